# Sourced by the other scripts: the tool paths and build settings every command shares.
# shellcheck shell=bash
export PATH="$PWD/end2end/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# cargo-leptos compiles with LEPTOS_OUTPUT_NAME set; setting it for plain cargo too keeps
# `cargo test`/`clippy` from invalidating the leptos build (and the reverse).
export LEPTOS_OUTPUT_NAME=baton
