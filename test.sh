#!/usr/bin/env bash
# Runs every test: formatting and lints, the Rust unit and integration tests, the
# real-binary acceptance suite (the real Anki client from PyPI, the built
# flashcard-flow-server and adminctl), all of it once on SQLite and once on a private
# PostgreSQL cluster, and a bounded fuzz run of the control-socket decoder. Exits non-zero
# on any failure.
#
#   ./test.sh                      # everything
#   FF_FUZZ_SECONDS=0 ./test.sh    # skip the fuzz run (needs cargo-fuzz otherwise)
#   FF_POSTGRES=0 ./test.sh        # skip the PostgreSQL pass; =required: fail without it
set -euo pipefail
cd "$(dirname "$0")"

venv=${FF_VENV:-.venv}
fuzz_seconds=${FF_FUZZ_SECONDS:-30}
postgres=${FF_POSTGRES:-auto}

pg_dir=""
cleanup() {
  if [ -n "$pg_dir" ]; then
    bash tests/pg_cluster.sh stop "$pg_dir/cluster" >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

step "python environment ($venv: anki, pytest)"
if ! "$venv/bin/python" -c 'import anki, pytest, zstandard, aiosmtpd' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check anki pytest zstandard aiosmtpd
fi

step "cargo fmt --check, clippy"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "cargo test (unit and integration)"
cargo build --workspace --bins --quiet
# Anki's own "today" for varied collections, computed now by the installed anki: the
# oracle the collection-time tests compare against (besides the committed vectors).
mkdir -p target
"$venv/bin/python" tests/oracle/day_timing_vectors.py > target/day_timing_vectors.json
export FF_DAY_TIMING_VECTORS="$PWD/target/day_timing_vectors.json"
# The oracles the collection tests compare against besides the committed vectors: what
# the installed anki computes now, on collections it builds now (tests/oracle/NAME_vectors.py
# writes OUT_DIR/vectors.json and the collections next to it; VAR points the tests at it).
oracle() {
  local name=$1 var=$2
  rm -rf "target/${name}_vectors"
  "$venv/bin/python" "tests/oracle/${name}_vectors.py" "target/${name}_vectors"
  export "$var=$PWD/target/${name}_vectors/vectors.json"
}
oracle deck_tree FF_DECK_TREE_VECTORS  # the deck list: new / learning / review counts
oracle render FF_RENDER_VECTORS        # question, answer, css, typed-answer comparisons
oracle sched FF_SCHED_VECTORS          # button labels, the rows answer_card writes
oracle queue FF_QUEUE_VECTORS          # get_queued_cards, and what its answers bury
oracle study FF_STUDY_VECTORS          # a study session: the cards shown, every row written
cargo test --workspace --quiet

step "acceptance on SQLite: real binaries, real Anki client"
FF_BIN_DIR="$PWD/target/debug" "$venv/bin/python" -m pytest tests -q -p no:cacheprovider

if [ "$postgres" != 0 ]; then
  if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    step "PostgreSQL: a private cluster on loopback"
    pg_dir=$(mktemp -d /tmp/ff-pg.XXXXXX)
    chmod 755 "$pg_dir"  # the cluster runs as the unprivileged postgres user
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    pg_url=$(bash tests/pg_cluster.sh start "$pg_dir/cluster" "$port")
    export FF_TEST_POSTGRES_URL="$pg_url" FF_TEST_POSTGRES_DIR="$pg_dir/cluster"

    step "cargo test on PostgreSQL (account store, server)"
    cargo test -p flashcard-flow-server --quiet

    step "acceptance on PostgreSQL"
    FF_BIN_DIR="$PWD/target/debug" "$venv/bin/python" -m pytest tests -q -p no:cacheprovider
    unset FF_TEST_POSTGRES_URL FF_TEST_POSTGRES_DIR
  elif [ "$postgres" = required ]; then
    echo "FF_POSTGRES=required but PostgreSQL is not installed (apt-get install postgresql)" >&2
    exit 1
  else
    echo "PostgreSQL is not installed: the PostgreSQL pass did not run (FF_POSTGRES=required makes this an error)"
  fi
fi

if [ "$fuzz_seconds" -gt 0 ]; then
  step "fuzz: control-socket decoder for ${fuzz_seconds}s"
  # cargo-fuzz needs nightly-only flags; the stable toolchain accepts them with
  # RUSTC_BOOTSTRAP=1 (the only toolchain this project can install).
  RUSTC_BOOTSTRAP=1 cargo fuzz run decode -- -max_total_time="$fuzz_seconds" -max_len=70000 \
    2>&1 | tail -n 3
  # With pipefail, a crash (non-zero exit from cargo fuzz) fails the script here.
fi
step "all tests passed"
