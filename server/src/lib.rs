//! The `baton` server: configuration, the axum router, its guards and routes.
//!
//! `main.rs` only wires these together; tests drive [`router`] with `oneshot`.

// The app's views are deeply nested types; rendering them here needs the deeper limit too.
#![recursion_limit = "256"]

pub mod config;
pub mod live;
pub mod security;

use app::app::{shell, App};
use app::server::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::get;
use axum::Router;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

/// The largest request body accepted; larger ones are answered 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The whole HTTP surface: pages, server functions under `/api`, `/healthz`, static files,
/// behind the session guard, the CSRF check and the security headers.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/live", get(live::live))
        .leptos_routes(&state, routes, {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(from_fn(security::api_status))
        .layer(from_fn_with_state(state.clone(), security::session))
        .layer(from_fn(security::csrf))
        .layer(from_fn_with_state(state.clone(), security::headers))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// `GET /healthz`: 200 `ok` when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match sqlx::query_scalar::<_, i64>("SELECT 1")
        .fetch_one(&state.pool)
        .await
    {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(err) => {
            tracing::error!(error = %err, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
