#!/usr/bin/env bash
# Runs the whole test suite: installs what it needs first (scripts/setup.sh),
# then formatting, lints and every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Tests start brokers on 127.0.0.1 with port 0; keep parallelism modest on
# small machines so timing-sensitive tests are not starved.
jobs="${KAVKA_TEST_THREADS:-$(nproc)}"

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings

echo "== cargo test"
cargo test --workspace -- --test-threads="$jobs"
