//! Server-only code: context access, sessions, the database, services, repositories, the
//! demo seed. Compiled with the `ssr` feature only; server functions import it inside their
//! bodies.

pub mod audit_repo;
pub mod audit_service;
pub mod auth;
pub mod board_cache;
pub mod board_repo;
pub mod board_service;
pub mod burn_repo;
pub mod calendar;
pub mod capacity_cache;
pub mod capacity_repo;
pub mod change_repo;
pub mod change_service;
pub mod client_repo;
pub mod client_service;
pub mod clock;
pub mod close_repo;
pub mod close_service;
pub mod context;
pub mod dashboard_repo;
pub mod dashboard_service;
pub mod db;
pub mod deal_history;
pub mod deal_repo;
pub mod deal_service;
pub mod events;
pub mod export_repo;
pub mod export_service;
pub mod import_repo;
pub mod import_rows;
pub mod import_service;
pub mod limit_repo;
pub mod limits;
pub mod live;
pub mod planner_repo;
pub mod planner_service;
pub mod project_repo;
pub mod project_service;
pub mod relay_repo;
pub mod role_repo;
pub mod seed;
pub mod seed_agencies;
pub mod sign_in_service;
pub mod skill_repo;
pub mod state;
pub mod team_service;
pub mod time_repo;
pub mod time_service;
pub mod update_repo;
pub mod update_service;
pub mod user_repo;
pub mod workspace_repo;
pub mod workspace_service;

/// The nonce of the current response's Content-Security-Policy, put into the request by
/// the server's header middleware and handed to Leptos by the shell.
#[derive(Debug, Clone)]
pub struct CspNonce(pub String);
