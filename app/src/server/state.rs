//! The state shared by every request.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::SqlitePool;
use std::sync::Arc;

/// Handed to axum as router state and to server functions as context.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Leptos's site options (output names, site root, address).
    pub leptos_options: LeptosOptions,
    /// The database.
    pub pool: SqlitePool,
    /// Slug of the workspace served to visitors until sign-in exists.
    pub default_workspace: Arc<str>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
