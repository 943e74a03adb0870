//! Signing in and out, accepting an invite, and who is signed in.

use crate::domain::permissions::PermissionSet;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The signed-in user, as the app frame shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInUser {
    /// User id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Email.
    pub email: String,
    /// The role's name.
    pub role_name: String,
    /// The workspace's name.
    pub workspace_name: String,
    /// What the role allows (the server checks again on every call).
    pub permissions: PermissionSet,
}

/// Who is signed in on this browser, or `None`. Callable anonymously.
#[server(endpoint = "current_user")]
pub async fn current_user() -> Result<Option<SignedInUser>, AppError> {
    use crate::server::{context, workspace_repo};

    let Some(session) = context::session() else {
        return Ok(None);
    };
    let workspace_name = workspace_repo::name(&context::pool()?, session.workspace_id).await?;
    Ok(Some(SignedInUser {
        id: session.user_id,
        name: session.name,
        email: session.email,
        role_name: session.role_name,
        workspace_name,
        permissions: session.permissions,
    }))
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
    use crate::server::{auth, context, events, user_repo};

    let state = context::state()?;
    let email = validate::email("email", &email)?;
    if password.is_empty() || password.len() > 1024 {
        return Err(AppError::invalid(
            "password",
            "must be 1 to 1024 characters",
        ));
    }
    let address = context::client_address();
    let now = context::now_ms();
    // One address is slowed down past a burst; an account (at this address, and from
    // everywhere) is locked out after repeated failures. Checked and counted in one step,
    // so a burst cannot race past the limit.
    state
        .throttles
        .sign_in(context::client_ip())
        .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
    let attempt = state
        .limiter
        .begin_attempt(
            auth::LoginLimiter::keys(
                &email,
                &crate::server::limits::rate_key(context::client_ip()).to_string(),
            ),
            now,
        )
        .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;

    // The same email may belong to several workspaces (each with its own password).
    let workspace = workspace
        .map(|w| w.trim().to_ascii_lowercase())
        .filter(|w| !w.is_empty());
    let candidates =
        user_repo::sign_in_candidates(state.db.reader(), &email, workspace.as_deref()).await?;
    // On the password workers: argon2 takes tens of milliseconds and 19 MiB by design,
    // and only a fixed few run at once however many sign-ins arrive. An unknown email
    // checks a dummy hash, so it takes as long as a wrong password.
    // A busy answer (503) drops the attempt unsettled: it counts as nothing.
    let mut opened: Vec<&user_repo::SignInCandidate> = Vec::new();
    if candidates.is_empty() {
        state.passwords.verify(None, password).await?;
    } else {
        for candidate in &candidates {
            if state
                .passwords
                .verify(candidate.password_hash.clone(), password.clone())
                .await?
            {
                opened.push(candidate);
            }
        }
    }
    let (user_id, workspace_id) = match opened.as_slice() {
        [] => {
            attempt.failed();
            return Err(AppError::BadCredentials);
        }
        [one] => (one.user_id, one.workspace_id),
        several => {
            // Only someone who knows the password of each learns their names.
            attempt.succeeded();
            let names: Vec<String> = several
                .iter()
                .map(|c| format!("{} ({})", c.workspace_name, c.workspace_slug))
                .collect();
            return Err(AppError::invalid(
                "workspace",
                format!(
                    "this email and password open several workspaces; enter one of: {}",
                    names.join(", ")
                ),
            ));
        }
    };
    attempt.succeeded();

    // A new session id at every sign-in; the browser's previous session ends.
    let mut tx = state.db.write().await?;
    let replaced = context::session();
    if let Some(old) = &replaced {
        auth::delete_session(&mut tx, &old.token_hash).await?;
    }
    let token = auth::create_session(&mut tx, user_id, workspace_id, now).await?;
    events::append(
        &mut tx,
        events::NewEvent {
            workspace_id,
            actor_user_id: Some(user_id),
            entity: "user",
            entity_id: user_id,
            action: "signed_in",
            before: None,
            after: Some(serde_json::json!({ "address": address })),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    // The browser's previous session ended: its open live streams end now.
    if let Some(old) = replaced {
        state.live.access_changed(old.workspace_id);
    }
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
    use crate::server::{auth, context};

    let state = context::state()?;
    let session = context::session().ok_or(AppError::Unauthorized)?;
    let mut tx = state.db.write().await?;
    auth::delete_session(&mut tx, &session.token_hash).await?;
    tx.commit().await?;
    // The session's open live streams end now.
    state.live.access_changed(session.workspace_id);
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
    use crate::server::{auth, context, events, user_repo};

    let state = context::state()?;
    let password = validate::new_password("password", &password)?;
    let now = context::now_ms();
    let token_hash = auth::hash_token(&token);
    let user = user_repo::invited(state.db.reader(), &token_hash, now).await?;
    let (user_id, workspace_id) =
        user.ok_or_else(|| AppError::invalid("token", "this invite link is not valid any more"))?;
    let hash = state.passwords.hash(password).await?;
    let mut tx = state.db.write().await?;
    // The same link used twice at once: only the first use sets the password.
    let used = user_repo::accept_invite(&mut tx, workspace_id, user_id, &token_hash, &hash).await?;
    if !used {
        return Err(AppError::invalid(
            "token",
            "this invite link is not valid any more",
        ));
    }
    events::append(
        &mut tx,
        events::NewEvent {
            workspace_id,
            actor_user_id: Some(user_id),
            entity: "user",
            entity_id: user_id,
            action: "accepted_invite",
            before: None,
            after: None,
        },
        now,
    )
    .await?;
    let session_token = auth::create_session(&mut tx, user_id, workspace_id, now).await?;
    tx.commit().await?;
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
