#!/usr/bin/env bash
# Builds the release: the WebAssembly bundle (size-optimised, `wasm-release` profile), every
# file of the site compressed once, brotli and gzip (`--precompress`, which also builds the
# site before the server), and the server with the site inside it (server/build.rs). The
# result is one file, target/server-release/baton.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
cargo leptos build --release --precompress "$@"
