//! Signing in and out, accepting an invite, and who is signed in.

use crate::error::AppError;
use leptos::prelude::*;

pub use crate::shared::auth::SignedInUser;

/// Who is signed in on this browser, or `None`. Callable anonymously.
#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<SignedInUser>, AppError> {
    use crate::server::{context, sign_in_service};

    let Some(session) = context::session() else {
        return Ok(None);
    };
    Ok(Some(sign_in_service::signed_in_user(session).await?))
}

/// Signs in with email and password, replacing any session this browser had, then
/// redirects to `next` (a path on this site) or the board. Failed attempts are counted per
/// account and per account at this address, and one address is slowed past a burst; past
/// a limit the answer is 429 for a while. An unknown email
/// and a wrong password get the same answer.
#[server(endpoint = "login")]
pub async fn login(
    email: String,
    password: String,
    next: Option<String>,
    workspace: Option<String>,
) -> Result<(), AppError> {
    use crate::domain::validate;
    use crate::server::{auth, context, sign_in_service};

    let state = context::state()?;
    let email = validate::email("email", &email)?;
    if password.is_empty() || password.len() > 1024 {
        return Err(AppError::invalid(
            "password",
            "must be 1 to 1024 characters",
        ));
    }
    let workspace = workspace
        .map(|w| w.trim().to_ascii_lowercase())
        .filter(|w| !w.is_empty());
    let token = sign_in_service::sign_in(&email, password, workspace.as_deref()).await?;
    let response = expect_context::<leptos_axum::ResponseOptions>();
    response.insert_header(
        axum::http::header::SET_COOKIE,
        auth::session_cookie(&token, state.https)
            .parse()
            .map_err(|_| AppError::Internal)?,
    );
    leptos_axum::redirect(&validate::local_path(next.as_deref()));
    Ok(())
}

/// Signs out: ends this browser's session (the row is deleted) and goes to the login page.
#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::{auth, context, sign_in_service};

    let state = context::state()?;
    let session = context::session().ok_or(AppError::Unauthorized)?;
    sign_in_service::sign_out(&session).await?;
    let response = expect_context::<leptos_axum::ResponseOptions>();
    response.insert_header(
        axum::http::header::SET_COOKIE,
        auth::clear_session_cookie(state.https)
            .parse()
            .map_err(|_| AppError::Internal)?,
    );
    leptos_axum::redirect("/login");
    Ok(())
}

/// Sets the password of an invited user from their one-time link, signs them in and goes
/// to the board. The link stops working once used or after seven days.
#[server(endpoint = "accept_invite")]
pub async fn accept_invite(token: String, password: String) -> Result<(), AppError> {
    use crate::domain::validate;
    use crate::server::{auth, context, sign_in_service};

    let state = context::state()?;
    let password = validate::new_password("password", &password)?;
    let session_token = sign_in_service::accept_invite(&token, password).await?;
    let response = expect_context::<leptos_axum::ResponseOptions>();
    response.insert_header(
        axum::http::header::SET_COOKIE,
        auth::session_cookie(&session_token, state.https)
            .parse()
            .map_err(|_| AppError::Internal)?,
    );
    leptos_axum::redirect("/pipeline");
    Ok(())
}
