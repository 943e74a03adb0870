//! How errors are shown: a page's message box and an action's sentence.

use crate::error::AppError;
use leptos::prelude::*;

/// The message box for an error a page could not recover from. On the server the page
/// is answered with the error's status (404 for an unknown or revoked share link or an
/// id that is not there, 403 for a page the role does not allow, …), not 200.
pub fn error_panel(title: &'static str, err: &AppError) -> AnyView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = axum::http::StatusCode::from_u16(err.status()) {
            response.set_status(status);
        }
    }
    let text = match err {
        AppError::Forbidden => {
            "Your role does not allow this page. Ask an admin if you need it.".to_string()
        }
        other => {
            let mut s = other.to_string();
            if let Some(first) = s.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            s
        }
    };
    view! {
        <section class="empty-state" role="alert">
            <h1>{title}</h1>
            <p>{text}</p>
        </section>
    }
    .into_any()
}

/// A sentence for an action's error, shown next to the form.
pub fn error_text(err: &AppError) -> String {
    let text = match err {
        AppError::Invalid { field, reason } => format!("{}: {reason}", field.replace('_', " ")),
        other => other.to_string(),
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!(
            "{}{}.",
            first.to_uppercase(),
            chars.as_str().trim_end_matches('.')
        ),
        None => text,
    }
}
