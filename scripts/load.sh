#!/usr/bin/env bash
# Runs the load harness (end2end/bench/load.mjs) against a Baton server of its own on a
# throw-away database and a free loopback port, then stops the server with SIGTERM while
# a live stream is open and checks that it exits within a few seconds.
#
#   scripts/load.sh [--bin PATH] [--people N --deals N] [--bare N]
#                   [harness options: --users N --seconds S]
#
# --bin defaults to target/server-release/baton if built, else target/debug/baton.
# --people/--deals seed a larger agency with `baton seed` instead of the demo.
# --bare N then times N bare SQLite write transactions of the same rows (a deal and its
# event, WAL, synchronous = FULL, the write lock first) on a copy of the database: the
# baseline for the harness's writes per second.
# Fails on any 5xx, any lost acknowledged write, a damaged database or a slow shutdown.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
source scripts/serve-lib.sh

bin=""
people=""
deals=""
bare=""
harness=()
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --people) people="$2"; shift 2 ;;
    --deals) deals="$2"; shift 2 ;;
    --bare) bare="$2"; shift 2 ;;
    *) harness+=("$1"); shift ;;
  esac
done
if [ -z "$bin" ]; then
  if [ -x target/server-release/baton ]; then bin=target/server-release/baton; else bin=target/debug/baton; fi
fi
[ -x "$bin" ] || { echo "no server binary at $bin: run cargo leptos build first"; exit 1; }

work=$(mktemp -d)
port=$(free_port)
url="http://127.0.0.1:$port"
db="$work/load.db"
server=""
cleanup() {
  [ -n "$server" ] && kill -9 "$server" 2>/dev/null || true
  [ -n "${live:-}" ] && kill "$live" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ -n "$people$deals" ]; then
  "$bin" seed --people "${people:-28}" --deals "${deals:-60}" --db "$db"
fi
DATABASE_URL="sqlite://$db" BATON_ADDR="127.0.0.1:$port" RUST_LOG=warn \
  "$bin" serve >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 240); do
  curl -fsS "$url/healthz" >/dev/null 2>&1 && break
  kill -0 "$server" 2>/dev/null || { cat "$work/server.log"; echo "the server exited"; exit 1; }
  sleep 0.25
done

status=0
(cd end2end && BATON_URL="$url" BATON_DB="$db" node bench/load.mjs "${harness[@]}") || status=$?

if [ -n "$bare" ]; then
  cp "$db" "$work/bare.db"
  [ -f "$db-wal" ] && cp "$db-wal" "$work/bare.db-wal"
  {
    echo "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
    echo "CREATE TEMP TABLE ids AS SELECT (SELECT id FROM workspaces WHERE slug = 'demo') AS ws,
            (SELECT MIN(id) FROM clients WHERE workspace_id = (SELECT id FROM workspaces WHERE slug = 'demo')) AS client,
            (SELECT MIN(id) FROM stages WHERE workspace_id = (SELECT id FROM workspaces WHERE slug = 'demo')) AS stage,
            (SELECT MIN(id) FROM users WHERE workspace_id = (SELECT id FROM workspaces WHERE slug = 'demo')) AS owner;"
    for i in $(seq 1 "$bare"); do
      echo "BEGIN IMMEDIATE;
INSERT INTO deals (workspace_id, client_id, title, value_minor, stage_id, owner_user_id, stage_entered_at, created_at, updated_at)
  SELECT ws, client, 'Bare $i', 1000, stage, owner, 0, 0, 0 FROM ids;
INSERT INTO events (workspace_id, seq, actor_user_id, entity, entity_id, action, after_json, created_at)
  SELECT ws, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE workspace_id = ws), owner, 'deal', last_insert_rowid(), 'created', '{}', 0 FROM ids;
COMMIT;"
    done
  } >"$work/bare.sql"
  t0=$(date +%s%N)
  sqlite3 "$work/bare.db" <"$work/bare.sql" >/dev/null
  ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  echo "bare SQLite baseline: $bare write transactions (a deal and its event) in $ms ms: $(( bare * 1000 / (ms > 0 ? ms : 1) )) per second"
fi

# Graceful shutdown with a browser's live stream open: the stream ends, the server exits.
curl -fsS -c "$work/jar" -o /dev/null -X POST \
  -d 'email=admin%40northwind.test&password=baton-demo' "$url/api/login" || true
curl -sS -N -b "$work/jar" "$url/api/live" -o "$work/live.txt" &
live=$!
sleep 0.5
started=$(date +%s%N)
kill -TERM "$server"
for _ in $(seq 1 60); do
  kill -0 "$server" 2>/dev/null || break
  sleep 0.25
done
if kill -0 "$server" 2>/dev/null; then
  echo "FAILED: the server did not exit within 15 s of SIGTERM with a live stream open"
  status=1
else
  wait "$server" || true
  echo "graceful shutdown with a live stream open: $(( ($(date +%s%N) - started) / 1000000 )) ms"
fi
server=""
grep -q "data:" "$work/live.txt" || { echo "FAILED: the live stream never delivered its first event"; status=1; }
if grep -q "panicked" "$work/server.log"; then
  echo "--- the server panicked ---"
  grep -A 3 "panicked" "$work/server.log" | head -n 40
  status=1
fi
if [ "$status" -ne 0 ]; then
  echo "--- server log ---"
  tail -n 40 "$work/server.log"
fi
exit "$status"
