//! `/login`: sign in with email and password.

use crate::api::auth::Login;
use crate::components::errors::error_text;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The sign-in form. Works without JavaScript (a plain form post to `/api/login`).
#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    crate::app::SessionEpoch::follow(login.into());
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let workspace = move || query.read().get("workspace").unwrap_or_default();
    // One email may belong to several agencies: asked for only when the email and
    // password open more than one (or the link names one).
    let asks_workspace = move || {
        query.read().get("workspace").is_some()
            || matches!(
                login.value().get(),
                Some(Err(crate::error::AppError::Invalid { ref field, .. })) if field == "workspace"
            )
    };
    let error = move || {
        login
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_text(&e))
    };
    view! {
        <Title text="Sign in"/>
        <section class="auth-card">
            <div class="auth-brand">
                <span class="brand-mark large" aria-hidden="true">"B"</span>
                <h1>"Sign in to Baton"</h1>
                <p class="muted">"The live pipeline-to-project board."</p>
            </div>
            <ActionForm action=login attr:class="form">
                <input type="hidden" name="next" value=next/>
                <label>
                    <span>"Email"</span>
                    <input type="email" name="email" autocomplete="username" required autofocus/>
                </label>
                <label>
                    <span>"Password"</span>
                    <input type="password" name="password" autocomplete="current-password" required/>
                </label>
                {move || if asks_workspace() {
                    view! {
                        <label>
                            <span>"Workspace"</span>
                            <input type="text" name="workspace" value=workspace() autocomplete="organization" placeholder="as in the list below, e.g. northwind"/>
                        </label>
                    }.into_any()
                } else {
                    view! { <input type="hidden" name="workspace" value=workspace()/> }.into_any()
                }}
                <p class="form-error" role="alert" aria-live="polite">{error}</p>
                <button type="submit" class="button primary wide" disabled=move || login.pending().get()>
                    {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
        </section>
    }
}
