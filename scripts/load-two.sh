#!/usr/bin/env bash
# Runs the load harness (end2end/bench/load.mjs) against TWO Baton servers sharing one
# PostgreSQL database behind nginx (round-robin), then against ONE of them directly with
# the same options: the throughput of two servers against that of one.
#
#   scripts/load-two.sh [--bin PATH] [harness options: --users N --seconds S ...]
#
# The database is a fresh one on $BATON_TEST_POSTGRES, else on the test cluster that
# scripts/pg.sh started (scripts/pg.sh url); it is dropped at the end. --bin defaults to
# target/server-release/baton if built, else target/debug/baton.
#
# Everything listens on free loopback ports; the servers trust nginx's X-Forwarded-For
# (BATON_TRUSTED_PROXIES=127.0.0.1) so sign-in throttles key on the client's address.
# For the one-server run nginx and the second server are stopped first: the first server
# then serves alone, as one server would. Each run checks every acknowledged write in
# PostgreSQL afterwards. Fails on any 5xx, any lost acknowledged write, a failed database
# check or a server panic.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
source scripts/serve-lib.sh

bin=""
harness=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    *) harness+=("$1"); shift ;;
  esac
done
if [ -z "$bin" ]; then
  if [ -x target/server-release/baton ]; then bin=target/server-release/baton; else bin=target/debug/baton; fi
fi
[ -x "$bin" ] || { echo "no server binary at $bin: run cargo leptos build first"; exit 1; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx_bin" ] || { echo "nginx is not installed"; exit 1; }

admin="${BATON_TEST_POSTGRES:-}"
if [ -z "$admin" ]; then
  admin=$(scripts/pg.sh url) || { echo "no PostgreSQL: set BATON_TEST_POSTGRES or run scripts/pg.sh start"; exit 1; }
fi
case "$admin" in
  postgres://* | postgresql://*) ;;
  *) echo "BATON_TEST_POSTGRES must be a postgres:// URL, not $admin"; exit 1 ;;
esac
dbname="baton_load_two_$$_$(date +%s)"
dburl="${admin%/*}/$dbname"

work=$(mktemp -d)
# As root nginx's workers run as nobody: they must reach their temp dirs below.
chmod 711 "$work"
port1=$(free_port)
port2=$(free_port)
port3=$(free_port)
while [ "$port2" = "$port1" ]; do port2=$(free_port); done
while [ "$port3" = "$port1" ] || [ "$port3" = "$port2" ]; do port3=$(free_port); done

server1=""
server2=""
proxy=""
db_created=""
stop_pid() { # stop_pid PID: SIGTERM, then SIGKILL after 10 s
  local pid="$1"
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 40); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  stop_pid "$proxy"
  stop_pid "$server2"
  stop_pid "$server1"
  if [ -n "$db_created" ]; then
    psql -X -q -d "$admin" -c "DROP DATABASE IF EXISTS $dbname WITH (FORCE)" >/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

psql -X -q -v ON_ERROR_STOP=1 -d "$admin" -c "CREATE DATABASE $dbname" >/dev/null
db_created=1

start_server() { # start_server PORT LOG: starts a server in the background ($!)
  DATABASE_URL="$dburl" BATON_ADDR="127.0.0.1:$1" BATON_TRUSTED_PROXIES=127.0.0.1 RUST_LOG=warn \
    "$bin" serve >"$2" 2>&1 &
}
wait_healthy() { # wait_healthy PID PORT LOG
  for _ in $(seq 1 240); do
    curl -fsS "http://127.0.0.1:$2/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$1" 2>/dev/null || { cat "$3"; echo "the server on port $2 exited"; exit 1; }
    sleep 0.25
  done
  echo "the server on port $2 did not start"
  exit 1
}

# The first server migrates and seeds the demo; the second starts on the seeded database.
start_server "$port1" "$work/server1.log"
server1=$!
wait_healthy "$server1" "$port1" "$work/server1.log"
start_server "$port2" "$work/server2.log"
server2=$!
wait_healthy "$server2" "$port2" "$work/server2.log"
# load.mjs then also checks every B-tree index with amcheck (skipped where not available).
psql -X -q -d "$dburl" -c "CREATE EXTENSION IF NOT EXISTS amcheck" >/dev/null 2>&1 \
  || echo "amcheck not available: indexes not checked"

mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/client_body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  upstream baton {
    server 127.0.0.1:$port1;
    server 127.0.0.1:$port2;
    keepalive 64;
  }
  server {
    listen 127.0.0.1:$port3;
    location / {
      proxy_pass http://baton;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_read_timeout 1h;
      proxy_set_header X-Forwarded-For \$remote_addr;
      # With its port: Baton refuses a POST whose Origin is not this Host.
      proxy_set_header Host \$http_host;
    }
  }
}
EOF
"$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
proxy=$!
for _ in $(seq 1 40); do
  curl -fsS "http://127.0.0.1:$port3/healthz" >/dev/null 2>&1 && break
  kill -0 "$proxy" 2>/dev/null || { cat "$work/nginx/error.log"; echo "nginx exited"; exit 1; }
  sleep 0.25
done
curl -fsS "http://127.0.0.1:$port3/healthz" >/dev/null || { cat "$work/nginx/error.log"; echo "nginx does not answer"; exit 1; }

harness_run() { # harness_run URL OUT
  (cd end2end && BATON_URL="$1" BATON_DATABASE_URL="$dburl" node bench/load.mjs "${harness[@]}") 2>&1 | tee "$2"
  return "${PIPESTATUS[0]}"
}

status=0
echo "==> two servers (127.0.0.1:$port1, 127.0.0.1:$port2) behind nginx (127.0.0.1:$port3), one PostgreSQL database"
harness_run "http://127.0.0.1:$port3" "$work/two.txt" || status=1

stop_pid "$proxy"
proxy=""
stop_pid "$server2"
server2=""

# The sign-in budgets are shared through the database: the first run's sign-ins (64 from
# one address) would still count against the second. Start it as a fresh deployment.
psql -X -q -v ON_ERROR_STOP=1 -d "$dburl" -c "DELETE FROM throttles; DELETE FROM login_attempts" >/dev/null

echo
echo "==> one server (127.0.0.1:$port1) directly, same database, the second server stopped"
harness_run "http://127.0.0.1:$port1" "$work/one.txt" || status=1

summary() { # summary LABEL FILE
  echo "$1:"
  grep -E '^users=|^non-2xx by status|^acknowledged writes checked|^database integrity|^FAILED' "$2" | sed 's/^/  /'
}
echo
echo "==> summary"
summary "two servers behind nginx" "$work/two.txt"
summary "one server" "$work/one.txt"

for log in "$work/server1.log" "$work/server2.log"; do
  if grep -q "panicked" "$log"; then
    echo "--- $(basename "$log"): the server panicked ---"
    grep -A 3 "panicked" "$log" | head -n 40
    status=1
  fi
done
if [ "$status" -ne 0 ]; then
  for log in "$work/server1.log" "$work/server2.log" "$work/nginx/error.log"; do
    echo "--- $(basename "$log") ---"
    tail -n 30 "$log" || true
  done
fi
exit "$status"
