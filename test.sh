#!/usr/bin/env bash
# Runs every test: formatting and lints, the Rust unit and integration tests, the
# real-binary acceptance suite (the real Anki client from PyPI, real SQLite files, the
# built flashcard-flow-server and adminctl), and a bounded fuzz run of the control-socket
# decoder. Exits non-zero on any failure.
#
#   ./test.sh                      # everything
#   FF_FUZZ_SECONDS=0 ./test.sh    # skip the fuzz run (needs cargo-fuzz otherwise)
set -euo pipefail
cd "$(dirname "$0")"

venv=${FF_VENV:-.venv}
fuzz_seconds=${FF_FUZZ_SECONDS:-30}

step() { printf '\n== %s\n' "$*"; }

step "python environment ($venv: anki, pytest)"
if ! "$venv/bin/python" -c 'import anki, pytest' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check anki pytest
fi

step "cargo fmt --check, clippy"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "cargo test (unit and integration)"
cargo build --workspace --bins --quiet
cargo test --workspace --quiet

step "acceptance: real binaries, real Anki client"
FF_BIN_DIR="$PWD/target/debug" "$venv/bin/python" -m pytest tests -q -p no:cacheprovider

if [ "$fuzz_seconds" -gt 0 ]; then
  step "fuzz: control-socket decoder for ${fuzz_seconds}s"
  # cargo-fuzz needs nightly-only flags; the stable toolchain accepts them with
  # RUSTC_BOOTSTRAP=1 (the only toolchain this project can install).
  RUSTC_BOOTSTRAP=1 cargo fuzz run decode -- -max_total_time="$fuzz_seconds" -max_len=70000 \
    2>&1 | tail -n 3
  # With pipefail, a crash (non-zero exit from cargo fuzz) fails the script here.
fi
step "all tests passed"
