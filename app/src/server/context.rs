//! What a server function reaches through Leptos context: the pool, the caller, the clock.

use super::state::AppState;
use crate::error::AppError;
use leptos::prelude::*;
use sqlx::SqlitePool;

/// Who is calling, resolved on the server (never from arguments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// The workspace every query of this request is scoped to.
    pub workspace_id: i64,
}

fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        AppError::Internal
    })
}

/// The database pool.
pub fn pool() -> Result<SqlitePool, AppError> {
    Ok(state()?.pool)
}

/// The caller of the current request.
///
/// Until sign-in lands every visitor reads the configured default workspace
/// (`BATON_WORKSPACE`); the read-only board is the only thing served.
pub async fn caller() -> Result<Caller, AppError> {
    let state = state()?;
    let id: Option<i64> = sqlx::query_scalar("SELECT id FROM workspaces WHERE slug = $1")
        .bind(state.default_workspace.as_ref())
        .fetch_optional(&state.pool)
        .await?;
    id.map(|workspace_id| Caller { workspace_id })
        .ok_or(AppError::NotFound)
}

/// The current time as Unix milliseconds.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
