#!/usr/bin/env bash
# `make run`: install what is missing, build the release app, serve the demo.
# Configuration: DATABASE_URL, BATON_ADDR, RUST_LOG (see .env.example).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
source scripts/env.sh
if [ -f .env ]; then
  set -a
  # shellcheck disable=SC1091
  source .env
  set +a
fi
scripts/build.sh
export LEPTOS_ENV=PROD
exec target/server-release/baton serve
