#!/usr/bin/env bash
# `make test`: install what is missing, then every check Baton has, failing on the first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
source scripts/env.sh
# A full run builds everything once: incremental caches would only add gigabytes of disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
step() { printf '\n\033[1;34m==> %s\033[0m\n' "$*"; }

step "cargo fmt --check"
cargo fmt --all --check

step "clippy (ssr)"
cargo clippy -p app --features ssr --all-targets -- -D warnings
cargo clippy -p baton --all-targets -- -D warnings

step "clippy (hydrate, wasm32)"
cargo clippy -p app --features hydrate --target wasm32-unknown-unknown -- -D warnings

step "unit and integration tests (SQLite)"
cargo test -p app --features ssr 2>&1 | tee -a "$log"
cargo test -p baton 2>&1 | tee -a "$log"

# A throw-away PostgreSQL 15 cluster of this run's own (free port, temp dir), stopped on
# exit however the run ends; each test creates its own database on it.
step "integration tests again on PostgreSQL"
trap 'scripts/pg.sh stop >/dev/null 2>&1 || true; rm -f "$log"' EXIT
BATON_TEST_POSTGRES=$(scripts/pg.sh start)
export BATON_TEST_POSTGRES
cargo test -p app --features ssr --test seed --test capacity 2>&1 | tee -a "$log"
cargo test -p baton --test api 2>&1 | tee -a "$log"

step "end-to-end (Playwright + Chromium)"
scripts/e2e.sh 2>&1 | tee -a "$log"

# The release as it ships: built precompressed with the site inside the binary,
# the bundle-size report printed, the binary run alone from an empty directory and the
# first-load and board specs run against it.
step "release: one self-contained binary, its bundle report and first-load specs"
scripts/release-check.sh 2>&1 | tee -a "$log"

# A correctness check, not a timing one: any 5xx or lost write fails it.
step "load: 16 people at once for 15 s, then SIGTERM with a live stream open"
scripts/load.sh --bin target/debug/baton --users 16 --seconds 15

step "crash: SIGKILL under load, 3 times; no acknowledged write lost"
(cd end2end && BATON_BIN="$PWD/../target/debug/baton" BATON_ROOT="$PWD/.." node bench/crash.mjs --rounds 3 --users 8)

# The same on a fresh database of the PostgreSQL cluster started above (still running:
# the EXIT trap stops it).
step "crash on PostgreSQL: SIGKILL under load, 3 times; no acknowledged write lost"
(cd end2end && BATON_BIN="$PWD/../target/debug/baton" BATON_ROOT="$PWD/.." node bench/crash.mjs --rounds 3 --users 8 --postgres "$BATON_TEST_POSTGRES")

# One closing line over every suite.
passed=$(grep -oE 'test result: ok\. [0-9]+ passed' "$log" | awk '{s+=$4} END {print s+0}')
e2e=$(grep -oE '^ +[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
echo
echo "$((passed + e2e)) passed, 0 failed"
