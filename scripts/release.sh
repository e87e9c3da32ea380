#!/usr/bin/env bash
# Build the provider and write Terraform Registry release artifacts into dist/:
#
#   terraform-provider-jit_VERSION_OS_ARCH.zip       one file, terraform-provider-jit_vVERSION (0755)
#   terraform-provider-jit_VERSION_manifest.json     {"version":1,"metadata":{"protocol_versions":["6.0"]}}
#   terraform-provider-jit_VERSION_SHA256SUMS        the zips and the manifest
#   terraform-provider-jit_VERSION_SHA256SUMS.sig    binary detached signature (only with a key)
#
# usage: bash scripts/release.sh [options] VERSION
#
#   (no options)          release build for this machine's platform, then package
#   --target TRIPLE       build for a Rust target instead (x86_64|aarch64 -unknown-linux-gnu / -apple-darwin)
#   --build-only          stop after the build; copy the binary to OUT/OS_ARCH/terraform-provider-jit
#   --binaries DIR        no build: package DIR/OS_ARCH/terraform-provider-jit for every OS_ARCH there
#   --profile dev         package the debug build (tests only: never publish it); default release
#   --out DIR             output directory (default dist/, or target/release-binaries with --build-only)
#
# Environment:
#   JIT_RELEASE_GPG_KEY         armored RSA private key: sign SHA256SUMS (else unsigned, with a warning)
#   JIT_RELEASE_GPG_PASSPHRASE  its passphrase, if any
#   JIT_RELEASE_PROFILE         same as --profile
#
# Release builds are reproducible: the same commit and toolchain give the same
# binary from any checkout path (--remap-path-prefix for the checkout and the
# cargo home; RUSTFLAGS from the environment are not used), and the same
# binary always gives the same zip. Needs `bash scripts/setup.sh` first (the
# pinned protoc in .tools/).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"
CARGO="${CARGO:-cargo}"

die() { echo "release.sh: error: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2; exit "${1:-2}"; }

target=""
build_only=0
binaries=""
profile="${JIT_RELEASE_PROFILE:-release}"
out=""
version=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        --target) [[ $# -ge 2 ]] || usage; target="$2"; shift 2 ;;
        --build-only) build_only=1; shift ;;
        --binaries) [[ $# -ge 2 ]] || usage; binaries="$2"; shift 2 ;;
        --profile) [[ $# -ge 2 ]] || usage; profile="$2"; shift 2 ;;
        --out) [[ $# -ge 2 ]] || usage; out="$2"; shift 2 ;;
        -h|--help) usage 0 ;;
        -*) echo "release.sh: unknown option $1" >&2; usage ;;
        *) [[ -z "$version" ]] || usage; version="$1"; shift ;;
    esac
done
[[ -n "$version" ]] || usage
[[ "$version" =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z.-]+)?$ ]] \
    || die "\`$version\` is not a release version: use MAJOR.MINOR.PATCH (e.g. 0.1.0) without a leading v"
[[ "$profile" == release || "$profile" == dev ]] || die "--profile is release or dev, not \`$profile\`"
[[ -z "$binaries" || ( -z "$target" && $build_only -eq 0 ) ]] \
    || die "--binaries packages prebuilt binaries: it does not go with --target or --build-only"

# The binary reports the crate version; a release of another version would lie.
crate_version="$(python3 -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["workspace"]["package"]["version"])' Cargo.toml)"
[[ "$version" == "$crate_version" ]] \
    || die "version $version differs from Cargo.toml's workspace version $crate_version: bump Cargo.toml first"

# Rust target triple -> Terraform platform.
platform_of() {
    case "$1" in
        x86_64-unknown-linux-gnu) echo linux_amd64 ;;
        aarch64-unknown-linux-gnu) echo linux_arm64 ;;
        x86_64-apple-darwin) echo darwin_amd64 ;;
        aarch64-apple-darwin) echo darwin_arm64 ;;
        *) die "no Terraform platform for Rust target \`$1\` (supported: x86_64/aarch64 linux-gnu and apple-darwin)" ;;
    esac
}

# Cargo's package variables (set when a test runs this script) would change
# build fingerprints and rebuild half the tree; RUSTFLAGS would change the
# binary. Neither is inherited.
clean_env=(env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u CARGO_BUILD_RUSTFLAGS)
while IFS='=' read -r name _; do
    case "$name" in
        CARGO_MANIFEST_*|CARGO_PKG_*|CARGO_CRATE_*|CARGO_PRIMARY_PACKAGE|CARGO_TARGET_TMPDIR|CARGO_BIN_*|OUT_DIR)
            clean_env+=(-u "$name") ;;
    esac
done < <(env)

target_dir="$("${clean_env[@]}" "$CARGO" metadata --format-version 1 --no-deps \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"

build() {
    local triple="$1" started binary
    [[ -x .tools/venv/bin/protoc ]] || die ".tools/venv/bin/protoc is missing: run \`bash scripts/setup.sh\` first"
    started=$(date +%s)
    if [[ "$profile" == dev ]]; then
        [[ "$triple" == "$(host_triple)" ]] || die "--profile dev packages this machine's debug build only"
        echo "release.sh: packaging the DEBUG build (tests only; never publish it)" >&2
        "${clean_env[@]}" "$CARGO" build --quiet -p terraform-provider-jit --bin terraform-provider-jit >&2
        binary="$target_dir/debug/terraform-provider-jit"
    else
        local cargo_home="${CARGO_HOME:-$HOME/.cargo}"
        cargo_home="$(cd "$cargo_home" 2>/dev/null && pwd -P || echo "$cargo_home")"
        echo "release.sh: cargo build --release --locked --target $triple" >&2
        # --target keeps RUSTFLAGS away from build scripts and proc macros.
        "${clean_env[@]}" \
            RUSTFLAGS="--remap-path-prefix=$REPO=/build/terraform-provider-jit --remap-path-prefix=$cargo_home=/cargo" \
            "$CARGO" build --release --locked --target "$triple" \
            -p terraform-provider-jit --bin terraform-provider-jit >&2
        binary="$target_dir/$triple/release/terraform-provider-jit"
    fi
    [[ -x "$binary" ]] || die "cargo built no $binary"
    echo "release.sh: built $binary in $(( $(date +%s) - started )) s" >&2
    echo "$binary"
}

host_triple() { rustc -vV | sed -n 's/^host: //p'; }

triple="${target:-$(host_triple)}"
pairs=()
if [[ -n "$binaries" ]]; then
    [[ -d "$binaries" ]] || die "--binaries $binaries is not a directory"
    for dir in "$binaries"/*_*/; do
        [[ -f "$dir/terraform-provider-jit" ]] || continue
        pairs+=(--binary "$(basename "$dir")=$(cd "$dir" && pwd -P)/terraform-provider-jit")
    done
    [[ ${#pairs[@]} -gt 0 ]] || die "no $binaries/OS_ARCH/terraform-provider-jit found"
else
    platform="$(platform_of "$triple")"
    binary="$(build "$triple")"
    if [[ $build_only -eq 1 ]]; then
        out="${out:-$target_dir/release-binaries}"
        mkdir -p "$out/$platform"
        cp "$binary" "$out/$platform/terraform-provider-jit"
        echo "$out/$platform/terraform-provider-jit"
        exit 0
    fi
    pairs+=(--binary "$platform=$binary")
fi

out="${out:-$REPO/dist}"
# The packager is a small binary of the tests crate (debug build; the same
# one `cargo test` builds), without the release RUSTFLAGS.
"${clean_env[@]}" "$CARGO" build --quiet --locked -p tests --bin release >&2
"$target_dir/debug/release" --version "$version" --out "$out" "${pairs[@]}"
