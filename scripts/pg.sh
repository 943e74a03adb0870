#!/usr/bin/env bash
# A throw-away PostgreSQL 15 cluster for tests: a fresh data directory in a temp dir,
# listening on a free TCP port on 127.0.0.1 only, trust authentication, no locale
# (text compares byte by byte, as SQLite's BINARY collation does).
#
#   scripts/pg.sh start   initdb + start; prints the URL
#                         (postgres://postgres@127.0.0.1:<port>/postgres) on one line.
#                         If the cluster recorded in the state file still runs, prints its URL.
#   scripts/pg.sh stop    stops it (fast), removes the temp dir and the state file; idempotent.
#   scripts/pg.sh url     prints the URL of the running cluster; exit 1 if none.
#
# The state (temp dir and URL) is kept in target/pg-test/state; the server's log is
# <temp dir>/postgres.log. PostgreSQL refuses to run as root: as root the server runs as
# the `postgres` system user; as any other user it runs as that user.
# PG_BIN overrides the binaries' directory (default /usr/lib/postgresql/15/bin).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state_dir="$root/target/pg-test"
state_file="$state_dir/state"
bin="${PG_BIN:-/usr/lib/postgresql/15/bin}"

die() { echo "pg.sh: $*" >&2; exit 1; }

if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root needs the 'postgres' system user"
    as_pg() { (cd / && runuser -u postgres -- "$@"); }
    tmp_base=/tmp # must be reachable by the postgres user
else
    as_pg() { "$@"; }
    tmp_base="${TMPDIR:-/tmp}"
fi

# The state file holds `dir=...`, `port=...` and `url=...` lines.
state_get() { [ -f "$state_file" ] && sed -n "s/^$1=//p" "$state_file" | head -n 1; }

# Is the recorded cluster running and answering? (A killed server may linger as a zombie
# that `pg_ctl status` still counts, hence the pg_isready.)
running() {
    local dir port
    dir=$(state_get dir || true)
    port=$(state_get port || true)
    [ -n "$dir" ] && [ -n "$port" ] && [ -d "$dir/data" ] \
        && as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1 \
        && "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 5 >/dev/null 2>&1
}

# Refuse to `rm -rf` anything that is not one of our temp dirs.
remove_dir() {
    case "$1" in
        */baton-pg.*) [ -d "$1" ] && rm -rf -- "$1" ;;
        '') ;;
        *) die "refusing to remove '$1' (not a baton-pg temp dir)" ;;
    esac
}

free_port() {
    if command -v python3 >/dev/null 2>&1 \
        && python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null; then
        return
    fi
    local port
    for _ in $(seq 1 200); do
        port=$((20000 + RANDOM % 40000))
        # Nothing answers a connect: take it.
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
    die "no free port found"
}

stop() {
    local dir
    dir=$(state_get dir || true)
    if [ -n "$dir" ] && [ -f "$dir/data/postmaster.pid" ] \
        && as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 \
            || as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
    fi
    remove_dir "$dir"
    rm -f "$state_file"
}

start() {
    [ -x "$bin/initdb" ] || die "no PostgreSQL binaries in $bin (set PG_BIN)"
    local dir url
    if running; then
        echo "pg.sh: already running (scripts/pg.sh stop first for a fresh one)" >&2
        state_get url
        return
    fi
    stop # a stale state file from a crashed run

    dir=$(mktemp -d "$tmp_base/baton-pg.XXXXXX")
    trap 'as_pg "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; remove_dir "$dir"' EXIT
    chmod 700 "$dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"

    as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-locale -E UTF8 \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    as_pg sh -c 'cat > "$1"' sh "$dir/data/pg_hba.conf" <<'EOF'
# TYPE  DATABASE  USER  ADDRESS       METHOD
local   all       all                 trust
host    all       all   127.0.0.1/32  trust
EOF

    as_pg sh -c 'echo "include = '"'"'baton-test.conf'"'"'" >> "$1"' sh "$dir/data/postgresql.conf"
    local port attempt
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        as_pg sh -c 'cat > "$1"' sh "$dir/data/baton-test.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 400
fsync = on
EOF
        if as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null 2>&1; then
            break
        fi
        # Most likely someone took the port between the probe and the bind: another one.
        [ "$attempt" -eq 5 ] && { tail -n 20 "$dir/postgres.log" >&2 || true; die "could not start the server"; }
    done

    url="postgres://postgres@127.0.0.1:$port/postgres"
    mkdir -p "$state_dir"
    printf 'dir=%s\nport=%s\nurl=%s\n' "$dir" "$port" "$url" >"$state_file"
    trap - EXIT
    echo "$url"
}

url() {
    running || die "no test cluster running (scripts/pg.sh start)"
    state_get url
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    url) url ;;
    *) echo "usage: scripts/pg.sh start|stop|url" >&2; exit 2 ;;
esac
