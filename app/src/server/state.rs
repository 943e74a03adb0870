//! The state shared by every request.

use super::auth::{LoginLimiter, PasswordWorkers};
use super::db::{Backend, Database};
use super::live::LiveHub;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// Handed to axum as router state and to server functions as context.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Leptos's site options (output names, site root, address).
    pub leptos_options: LeptosOptions,
    /// The database: read through its readers, write through its one writer.
    pub db: Database,
    /// The threads that hash and check passwords, a fixed few at a time.
    pub passwords: Arc<PasswordWorkers>,
    /// Failed sign-in counts, for the login rate limit.
    pub limiter: Arc<LoginLimiter>,
    /// Rate limits per client address (sign-in attempts, unknown share links).
    pub throttles: Arc<super::limits::Throttles>,
    /// The proxies whose `X-Forwarded-For` names the client (`BATON_TRUSTED_PROXIES`).
    pub trusted_proxies: Arc<super::limits::TrustedProxies>,
    /// Whether Baton is served over HTTPS: cookies get `Secure`, responses get HSTS.
    pub https: bool,
    /// The live stream's hub.
    pub live: Arc<LiveHub>,
    /// The capacity engine per workspace, kept between closes.
    pub capacity: Arc<super::capacity_cache::CapacityCache>,
    /// Every project's burn per workspace, kept until what it reads changes.
    pub burns: Arc<super::burn_repo::BurnCache>,
    /// Board rows (stages, clients, live deals) per workspace.
    pub boards: Arc<super::board_cache::BoardCache>,
    /// Where "now" comes from (the system's clock; tests set their own).
    pub clock: Arc<dyn super::clock::Clock>,
}

impl AppState {
    /// State for `db` with default limits, served over plain HTTP unless `https`.
    pub fn new(leptos_options: LeptosOptions, db: Database, https: bool) -> Self {
        // Several servers on one PostgreSQL database share the rate limits through it;
        // one server on SQLite keeps them in memory.
        let (limiter, throttles) = if db.backend() == Backend::Postgres {
            let pool = db.writer().clone();
            (
                LoginLimiter::shared(pool.clone()),
                super::limits::Throttles::shared(pool),
            )
        } else {
            (LoginLimiter::default(), super::limits::Throttles::default())
        };
        Self {
            leptos_options,
            db,
            passwords: Arc::new(PasswordWorkers::new(PasswordWorkers::default_threads())),
            limiter: Arc::new(limiter),
            throttles: Arc::new(throttles),
            trusted_proxies: Arc::default(),
            https,
            live: Arc::new(LiveHub::new()),
            capacity: Arc::default(),
            burns: Arc::default(),
            boards: Arc::default(),
            clock: Arc::new(super::clock::SystemClock),
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
