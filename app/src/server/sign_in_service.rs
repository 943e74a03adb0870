//! Who is signed in, signing in and out, and accepting an invite: the attempts counted
//! against the rate limits, the sessions started and ended, the events left behind, and
//! the open live streams told when a session ends.

use crate::error::AppError;
use crate::server::auth::{self, Attempt, Session};
use crate::server::context;
use crate::server::state::AppState;
use crate::server::{events, limits, user_repo, workspace_repo};
use crate::shared::auth::SignedInUser;

/// The user `session` is signed in as, with the name of their workspace.
pub async fn signed_in_user(session: Session) -> Result<SignedInUser, AppError> {
    let workspace_name = workspace_repo::name(&context::pool()?, session.workspace_id).await?;
    Ok(SignedInUser {
        id: session.user_id,
        name: session.name,
        email: session.email,
        role_name: session.role_name,
        workspace_name,
        permissions: session.permissions,
    })
}

/// Signs in with `email` (validated) and `password`, in the workspace with slug
/// `workspace` when given, and ends the session this browser had; answers the new
/// session's token. Failed attempts are counted per account and per account at this
/// address, and one address is slowed past a burst; past a limit the answer is 429 for a
/// while. An unknown email and a wrong password get the same answer.
pub async fn sign_in(
    email: &str,
    password: String,
    workspace: Option<&str>,
) -> Result<String, AppError> {
    let state = context::state()?;
    let address = context::client_address();
    let now = context::now_ms();
    // One address is slowed down past a burst; an account (at this address, and from
    // everywhere) is locked out after repeated failures. Checked and counted in one step,
    // so a burst cannot race past the limit.
    // On PostgreSQL the counts are the database's, shared by every server.
    state.throttles.sign_in(context::client_ip()).await?;
    let keys = auth::LoginLimiter::keys(email, &limits::rate_key(context::client_ip()).to_string());
    let attempt = state.limiter.begin_attempt(keys, now).await?;
    let (user_id, workspace_id) = account(&state, email, password, workspace, attempt).await?;

    // A new session id at every sign-in; the browser's previous session ends.
    let mut tx = state.db.write(workspace_id).await?;
    let replaced = context::session();
    if let Some(old) = &replaced {
        auth::delete_session(&mut tx, &old.token_hash).await?;
    }
    let token = auth::create_session(&mut tx, user_id, workspace_id, now).await?;
    let signed_in = events::NewEvent {
        workspace_id,
        actor_user_id: Some(user_id),
        entity: "user",
        entity_id: user_id,
        action: "signed_in",
        before: None,
        after: Some(serde_json::json!({ "address": address })),
    };
    events::append(&mut tx, signed_in, now).await?;
    tx.commit().await?;
    // The browser's previous session ended: its open live streams end now.
    if let Some(old) = replaced {
        state.live.access_changed(old.workspace_id);
    }
    Ok(token)
}

/// The one account `email` and `password` open (user, workspace), settling `attempt`.
/// `BadCredentials` when none does; when several do, a field error on `workspace` naming
/// them — only someone who knows the password of each learns their names.
async fn account(
    state: &AppState,
    email: &str,
    password: String,
    workspace: Option<&str>,
    attempt: Attempt,
) -> Result<(i64, i64), AppError> {
    // The same email may belong to several workspaces (each with its own password).
    let candidates = user_repo::sign_in_candidates(state.db.reader(), email, workspace).await?;
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
    match opened.as_slice() {
        [] => {
            attempt.failed().await?;
            Err(AppError::BadCredentials)
        }
        [one] => {
            attempt.succeeded().await?;
            Ok((one.user_id, one.workspace_id))
        }
        several => {
            attempt.succeeded().await?;
            let names: Vec<String> = several
                .iter()
                .map(|c| format!("{} ({})", c.workspace_name, c.workspace_slug))
                .collect();
            Err(AppError::invalid(
                "workspace",
                format!(
                    "this email and password open several workspaces; enter one of: {}",
                    names.join(", ")
                ),
            ))
        }
    }
}

/// Signs out: ends `session` (its row is deleted) and its open live streams.
pub async fn sign_out(session: &Session) -> Result<(), AppError> {
    let state = context::state()?;
    let mut tx = state.db.write(session.workspace_id).await?;
    auth::delete_session(&mut tx, &session.token_hash).await?;
    tx.commit().await?;
    // The session's open live streams end now.
    state.live.access_changed(session.workspace_id);
    Ok(())
}

/// Sets the password (validated) of the user invited with `token` and signs them in;
/// answers the new session's token. The link stops working once used or after seven days.
pub async fn accept_invite(token: &str, password: String) -> Result<String, AppError> {
    let state = context::state()?;
    let now = context::now_ms();
    let token_hash = auth::hash_token(token);
    let user = user_repo::invited(state.db.reader(), &token_hash, now).await?;
    let (user_id, workspace_id) = user.ok_or_else(invite_used)?;
    let hash = state.passwords.hash(password).await?;
    let mut tx = state.db.write(workspace_id).await?;
    // The same link used twice at once: only the first use sets the password.
    let used = user_repo::accept_invite(&mut tx, workspace_id, user_id, &token_hash, &hash).await?;
    if !used {
        return Err(invite_used());
    }
    let accepted = events::NewEvent {
        workspace_id,
        actor_user_id: Some(user_id),
        entity: "user",
        entity_id: user_id,
        action: "accepted_invite",
        before: None,
        after: None,
    };
    events::append(&mut tx, accepted, now).await?;
    let session_token = auth::create_session(&mut tx, user_id, workspace_id, now).await?;
    tx.commit().await?;
    Ok(session_token)
}

/// The answer to an invite link that was used, expired or never existed.
fn invite_used() -> AppError {
    AppError::invalid("token", "this invite link is not valid any more")
}
