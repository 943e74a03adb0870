//! `/invite/:token`: an invited user sets their password.

use crate::api::auth::AcceptInvite;
use crate::components::errors::error_text;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The set-password form behind a one-time invite link.
#[component]
pub fn InvitePage() -> impl IntoView {
    let accept = ServerAction::<AcceptInvite>::new();
    crate::app::SessionEpoch::follow(accept.into());
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let error = move || {
        accept
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_text(&e))
    };
    view! {
        <Title text="Welcome"/>
        <section class="auth-card">
            <div class="auth-brand">
                <span class="brand-mark large" aria-hidden="true">"B"</span>
                <h1>"Welcome to Baton"</h1>
                <p class="muted">"Choose a password to finish setting up your account."</p>
            </div>
            <ActionForm action=accept attr:class="form">
                <input type="hidden" name="token" value=token/>
                <label>
                    <span>"New password"</span>
                    <input type="password" name="password" autocomplete="new-password" minlength="10" required/>
                </label>
                <p class="hint">"At least 10 characters."</p>
                <p class="form-error" role="alert" aria-live="polite">{error}</p>
                <button type="submit" class="button primary wide">"Set password and sign in"</button>
            </ActionForm>
        </section>
    }
}
