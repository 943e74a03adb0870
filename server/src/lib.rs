//! The `baton` server: configuration, the axum router, its guards and routes.
//!
//! `main.rs` only wires these together; tests drive [`router`] with `oneshot`.

// The app's views are deeply nested types; rendering them here needs the deeper limit too.
#![recursion_limit = "256"]

pub mod assets;
pub mod compression;
pub mod config;
pub mod live;
pub mod relay;
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
///
/// Pages, server functions, exports and static files are compressed; the compression
/// layer is outside `api_status`, which must read error bodies as they were written. The
/// live stream and the health check are routed around it.
pub fn router(mut state: AppState) -> Router {
    let routes = route_list();
    let site = assets::Site::for_root(&state.leptos_options.site_root);
    state.leptos_options.site_pkg_dir = site.pkg_dir().into();
    let page = page_shell(&state, &site);
    let not_found = {
        let state = state.clone();
        leptos_axum::render_app_async_with_context(
            move || leptos::prelude::provide_context(state.clone()),
            page.clone(),
        )
    };
    let bundle = {
        let site = site.clone();
        move |request: axum::extract::Request| assets::bundle(site.clone(), request)
    };
    let fallback = move |request: axum::extract::Request| {
        let site = site.clone();
        let not_found = not_found.clone();
        async move {
            let (method, path) = (request.method().clone(), request.uri().path().to_string());
            let headers = request.headers().clone();
            if let Some(file) = assets::public_file(&site, &method, &path, &headers).await {
                return file;
            }
            if request.uri().path().starts_with("/pkg/") {
                return assets::not_found();
            }
            let mut page = not_found(request).await;
            if page.status() == StatusCode::OK {
                *page.status_mut() = StatusCode::NOT_FOUND;
            }
            page
        }
    };
    let compressed = Router::new()
        .route("/export/{file}", get(export))
        .route("/pkg/{*file}", get(bundle))
        .leptos_routes(&state, routes, page)
        .fallback(fallback)
        .layer(from_fn(security::api_status))
        .layer(compression::layer())
        .layer(from_fn(compression::vary_on_encoding));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/live", get(live::live))
        .merge(compressed)
        // Inside the guards: a body is read only for a request they let through, and a
        // 413 carries the security headers.
        .layer(from_fn_with_state(MAX_BODY_BYTES, security::limit_chunked))
        .layer(from_fn_with_state(state.clone(), security::session))
        .layer(from_fn(security::csrf))
        .layer(from_fn_with_state(state.clone(), security::headers))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(from_fn_with_state(
            std::sync::Arc::new(tokio::sync::Semaphore::new(security::MAX_IN_FLIGHT)),
            security::shed_load,
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Renders a page: the app in its shell, with the bundle's code-splitting manifest, so a
/// page that needs a lazily loaded part names its files for the browser to preload.
fn page_shell(
    state: &AppState,
    site: &assets::Site,
) -> impl Fn() -> leptos::prelude::AnyView + Clone + Send + Sync + 'static {
    use leptos::prelude::IntoAny;
    let options = state.leptos_options.clone();
    let manifest = site.split_manifest().map(|files| {
        leptos::WasmSplitManifest(leptos::prelude::ArcStoredValue::new((
            format!("/{}", site.pkg_dir()),
            files,
            "__wasm_split.______________________.js".to_string(),
        )))
    });
    move || {
        if let Some(manifest) = &manifest {
            leptos::prelude::provide_context(manifest.clone());
        }
        shell(options.clone()).into_any()
    }
}

/// The app's routes, worked out once per process.
///
/// Working them out renders the app with resource loading switched off through a flag
/// that is global to the process (`leptos_server`'s `SuppressResourceLoad`): a page
/// rendered by another router at that moment would wait forever on a resource that never
/// starts. So no router is built twice: a second server in the same process (a restart in
/// a test, several test servers at once) reuses the list, and a router built while the
/// list is being worked out waits for it instead of rendering.
fn route_list() -> Vec<leptos_axum::AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> =
        std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// `GET /healthz`: 200 `ok` when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(err) => {
            tracing::error!(error = %err, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// `GET /export/<kind>.csv` (deals, projects, time, people): the CSV as the signed-in
/// caller may see it, as a download.
async fn export(
    State(state): State<AppState>,
    axum::extract::Path(file): axum::extract::Path<String>,
    request: axum::extract::Request,
) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let Some(session) = request.extensions().get::<app::server::auth::Session>() else {
        return security::error_response(&app::error::AppError::Unauthorized);
    };
    let caller = app::server::context::Caller {
        user_id: session.user_id,
        workspace_id: session.workspace_id,
        permissions: session.permissions,
    };
    let Some(kind) = file.strip_suffix(".csv") else {
        return security::error_response(&app::error::AppError::NotFound);
    };
    let now = state.clock.now_ms();
    let calendar = &session.calendar;
    match app::server::export_service::export(state.db.reader(), &caller, calendar, kind, now).await
    {
        Ok(body) => {
            let today = calendar.today(now);
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"baton-{kind}-{today}.csv\""),
                    ),
                    (header::CACHE_CONTROL, "no-store".to_string()),
                ],
                body,
            )
                .into_response()
        }
        Err(err) => security::error_response(&err),
    }
}
