#!/usr/bin/env bash
# Builds the app, starts it on a throw-away database and a free port, runs the
# Playwright suite in Debian's Chromium against it, and stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
source scripts/serve-lib.sh

cargo leptos build

work=$(mktemp -d)
port=$(free_port)
export BATON_DB="$work/e2e.db"
export BATON_URL="http://127.0.0.1:$port"
# For specs that start servers of their own (restarts): the binary and where to run it.
export BATON_BIN="$PWD/target/debug/baton" BATON_ROOT="$PWD"
DATABASE_URL="sqlite://$BATON_DB" BATON_ADDR="127.0.0.1:$port" RUST_LOG=warn \
  target/debug/baton serve >"$work/server.log" 2>&1 &
server=$!
# The several-servers spec runs Baton on PostgreSQL behind nginx: it needs a cluster to
# create its database on (make test starts one; alone, this script starts its own).
own_pg=""
if [ -z "${BATON_TEST_POSTGRES:-}" ] && ! BATON_TEST_POSTGRES=$(scripts/pg.sh url 2>/dev/null); then
  BATON_TEST_POSTGRES=$(scripts/pg.sh start)
  own_pg=1
fi
export BATON_TEST_POSTGRES
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$work"
  if [ -n "$own_pg" ]; then scripts/pg.sh stop >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT

wait_healthy "$server" "$BATON_URL" "$work/server.log"

mkdir -p end2end/screenshots
status=0
(cd end2end && npx playwright test "$@") || status=$?
if [ "$status" -ne 0 ]; then
  echo "--- server log ---"
  tail -n 50 "$work/server.log"
fi
# A panic on the server is a failure even when every page coped with it.
if grep -q "panicked" "$work/server.log"; then
  echo "--- the server panicked ---"
  grep -A 3 "panicked" "$work/server.log" | head -n 40
  status=1
fi
exit "$status"
