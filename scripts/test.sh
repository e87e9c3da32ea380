#!/usr/bin/env bash
# Set up the pinned tools, then run every check CI runs: formatting, clippy,
# unit tests and the end-to-end tests (real Terraform 1.15.5 and 1.0.3
# against moto). Idempotent; quick when already set up and built.
#
#   bash scripts/test.sh                 everything
#   bash scripts/test.sh grant           only tests whose name contains "grant"
#   JIT_E2E_TF_LOG=trace bash scripts/test.sh   every Terraform run with TF_LOG=trace
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$REPO"

bash scripts/setup.sh

# Threads per test binary: each end-to-end case runs moto, Terraform and the
# provider, which mostly wait on each other; 4 keeps 2 cores busy.
THREADS="${JIT_TEST_THREADS:-4}"

echo "test.sh: cargo fmt --check"
cargo fmt --all -- --check
echo "test.sh: cargo clippy"
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "test.sh: cargo test"
cargo test --workspace -- --test-threads "$THREADS" "$@"
