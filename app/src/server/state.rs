//! The state shared by every request.

use super::auth::LoginLimiter;
use super::live::LiveHub;
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
    /// Failed sign-in counts, for the login rate limit.
    pub limiter: Arc<LoginLimiter>,
    /// Whether Baton is served over HTTPS: cookies get `Secure`, responses get HSTS.
    pub https: bool,
    /// The live stream's hub.
    pub live: Arc<LiveHub>,
    /// The capacity engine per workspace, kept between closes.
    pub capacity: Arc<super::capacity_cache::CapacityCache>,
    /// Closes and reopens take turns here, first come first served, before they take
    /// SQLite's write lock (whose busy wait is not fair under load).
    pub close_gate: Arc<tokio::sync::Mutex<()>>,
}

impl AppState {
    /// State for `pool` with default limits, served over plain HTTP unless `https`.
    pub fn new(leptos_options: LeptosOptions, pool: SqlitePool, https: bool) -> Self {
        Self {
            leptos_options,
            pool,
            limiter: Arc::new(LoginLimiter::default()),
            https,
            live: Arc::new(LiveHub::new()),
            capacity: Arc::default(),
            close_gate: Arc::default(),
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
