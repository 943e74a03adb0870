#!/usr/bin/env bash
# The "team at once" measurements that need a running release server, each on a fresh
# demo database and a free loopback port (docs/BENCHMARKS.md, "A team at once"):
#   - 64 concurrent page loads of /capacity, / and /pipeline (wrk, 10 s each);
#   - live latency from browser A to browser B: idle, while 32 simulated people act with
#     no pause (a stress test), and while 32 act about once a second;
#   - 300 sign-in attempts at once: the server's memory.
# Needs the release build (`scripts/build.sh`) and wrk (`apt-get install wrk`). Loopback only,
# bounded in time; every server it starts is stopped.
#
#   scripts/bench-team.sh [--moves 100] [--seconds 75]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
source scripts/serve-lib.sh

moves=100
seconds=75
while [ $# -gt 0 ]; do
  case "$1" in
    --moves) moves="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    *) echo "unknown option $1"; exit 2 ;;
  esac
done
bin=target/server-release/baton
[ -x "$bin" ] || { echo "build first: scripts/build.sh"; exit 1; }
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install -y wrk"; exit 1; }

work=$(mktemp -d)
server=""
cleanup() {
  [ -n "$server" ] && kill -9 "$server" 2>/dev/null || true
  pkill -f "bench/load.mjs" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Starts a server on a fresh demo database; sets $url, $db and $server.
start() {
  stop
  local port
  port=$(free_port)
  url="http://127.0.0.1:$port"
  db="$work/$port.db"
  DATABASE_URL="sqlite://$db" BATON_ADDR="127.0.0.1:$port" RUST_LOG=warn "$bin" serve >"$work/$port.log" 2>&1 &
  server=$!
  for _ in $(seq 1 120); do
    curl -fsS "$url/healthz" >/dev/null 2>&1 && return 0
    sleep 0.25
  done
  echo "the server did not start"; cat "$work/$port.log"; exit 1
}
stop() {
  if [ -n "$server" ]; then
    kill -TERM "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=""
  fi
}

echo "== 64 concurrent page loads (wrk -t2 -c64 -d10s), demo data, signed in as the admin"
start
cookie=$(curl -fsS -D - -o /dev/null -X POST -d 'email=admin%40northwind.test&password=baton-demo' \
  "$url/api/login" | sed -n 's/^[Ss]et-[Cc]ookie: baton_session=\([^;]*\).*/\1/p')
for page in /capacity / /pipeline; do
  echo "-- $page"
  wrk -t2 -c64 -d10s --timeout 5s --latency -H "Cookie: baton_session=$cookie" "$url$page" |
    grep -E "Latency|50%|99%|requests in|Non-2xx|Socket errors"
done

echo "== live latency, idle"
start
(cd end2end && BATON_URL="$url" node bench/live-latency.mjs "$moves")

echo "== live latency while 32 people act with no pause (stress)"
start
(cd end2end && BATON_URL="$url" BATON_DB="$db" node bench/load.mjs --users 32 --seconds "$seconds" >"$work/stress.txt" 2>&1 &)
sleep 6
(cd end2end && BATON_URL="$url" node bench/live-latency.mjs "$moves")
while pgrep -f "bench/load.mjs" >/dev/null; do sleep 1; done
grep -E "^users=|acknowledged writes checked|integrity|non-2xx by status" "$work/stress.txt"

echo "== live latency while 32 people act about once a second"
start
(cd end2end && BATON_URL="$url" BATON_DB="$db" node bench/load.mjs --users 32 --seconds "$seconds" --think 1000 >"$work/think.txt" 2>&1 &)
sleep 6
(cd end2end && BATON_URL="$url" node bench/live-latency.mjs "$moves")
while pgrep -f "bench/load.mjs" >/dev/null; do sleep 1; done
grep -E "^users=|acknowledged writes checked|integrity|non-2xx by status" "$work/think.txt"

echo "== 300 sign-in attempts at once"
start
(cd end2end && BATON_URL="$url" BATON_PID="$server" node bench/signin-burst.mjs 300)
stop
