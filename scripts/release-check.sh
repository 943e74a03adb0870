#!/usr/bin/env bash
# The release as it ships: builds it (precompressed, the site inside the binary), prints
# its bundle-size report against the budgets (end2end/bench/bundle-report.mjs), then
# copies the binary alone into an empty directory, runs it there on a throw-away database
# and runs the first-load and board specs against it. Loopback only; stops the server on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
source scripts/serve-lib.sh
root=$PWD

[ -n "${BATON_SKIP_BUILD:-}" ] || scripts/build.sh
(cd end2end && node bench/bundle-report.mjs "$root/target/site/pkg")

work=$(mktemp -d)
cp target/server-release/baton "$work/baton"
port=$(free_port)
export BATON_URL="http://127.0.0.1:$port"
export BATON_DB="$work/release.db"
(cd "$work" && DATABASE_URL="sqlite://$BATON_DB" BATON_ADDR="127.0.0.1:$port" RUST_LOG=warn \
  LEPTOS_ENV=PROD exec ./baton serve >"$work/server.log" 2>&1) &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
wait_healthy "$server" "$BATON_URL" "$work/server.log"
ls "$work"  # the binary and its database: nothing else

status=0
(cd end2end && npx playwright test first-load.spec.ts pipeline.spec.ts "$@") || status=$?
if [ "$status" -ne 0 ] || grep -q "panicked" "$work/server.log"; then
  echo "--- server log ---"
  tail -n 50 "$work/server.log"
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
