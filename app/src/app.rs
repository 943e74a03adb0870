//! The HTML shell, the app frame and the routes.

use crate::pages::{not_found::NotFound, pipeline::PipelinePage};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::{path, SsrMode};

/// The document around every page (server-side only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The application: top bar and routed pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/baton.css"/>
        <Title formatter=|page: String| {
            if page.is_empty() { "Baton".to_string() } else { format!("{page} · Baton") }
        }/>
        <Router>
            <header class="topbar">
                <A href="/pipeline" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true">"B"</span>
                    <span class="brand-name">"Baton"</span>
                </A>
                <nav class="mainnav" aria-label="Main">
                    <A href="/pipeline">"Pipeline"</A>
                </nav>
            </header>
            <main class="page">
                <Routes fallback=NotFound>
                    <Route path=path!("/pipeline") view=PipelinePage ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}
