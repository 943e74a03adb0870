# Sourced by the scripts that run a throw-away Baton for tests: a free loopback port, and
# waiting until a started server answers /healthz.
# shellcheck shell=bash

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_healthy PID URL LOG: waits up to a minute for URL/healthz; if the server exits or
# never answers, prints its log and fails.
wait_healthy() {
  local pid=$1 url=$2 log=$3
  for _ in $(seq 1 120); do
    if curl -fsS "$url/healthz" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then cat "$log"; echo "the server exited"; return 1; fi
    sleep 0.5
  done
  curl -fsS "$url/healthz" >/dev/null 2>&1 || { cat "$log"; echo "the server did not start"; return 1; }
}
