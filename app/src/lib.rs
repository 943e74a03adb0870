//! Baton: the live pipeline-to-project board.
//!
//! One crate, two builds: with `hydrate` it is the WebAssembly that runs in the browser;
//! with `ssr` it is the library the `baton` server renders pages and serves server
//! functions from. See `docs/ARCHITECTURE.md`.

// Leptos's typed views nest deeply; the board's page exceeds the default of 128.
#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod components;
pub mod domain;
pub mod error;
#[cfg(all(test, feature = "ssr"))]
mod layering;
pub mod live_client;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;
pub mod shared;

/// The browser entry point (started by `boot.js`): hydrates the server-rendered page. A
/// panic leaves a message with a way to reload rather than a dead page
/// (`live_client::show_broken`).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    std::panic::set_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        live_client::show_broken();
    }));
    leptos::mount::hydrate_body(app::App);
    // Marks the page as live: its controls answer from here on (tests wait for it).
    if let Some(root) = leptos::prelude::document().document_element() {
        let _ = root.set_attribute("data-hydrated", "");
    }
}
