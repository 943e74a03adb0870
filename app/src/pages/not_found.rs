//! The 404 page.

use leptos::prelude::*;
use leptos_meta::Title;

/// Shown for any path no route matches; answers 404 on the server.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found"/>
        <section class="empty-state">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. "<a href="/pipeline">"Go to the pipeline"</a>"."</p>
        </section>
    }
}
