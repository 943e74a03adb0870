//! Request guards and response hardening, as axum middleware.
//!
//! - [`session`]: loads the signed-in user from the session cookie; anonymous visitors
//!   are sent to `/login` (pages) or answered 401 (API), except on public paths.
//! - [`csrf`]: state-changing requests from another site are refused with 403.
//! - [`headers`]: a per-request CSP nonce and the security headers on every response.
//! - [`api_status`]: server function errors answered with the status they mean.

use app::error::AppError;
use app::server::auth::{self, Session};
use app::server::state::AppState;
use app::server::CspNonce;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use http_body_util::BodyExt;

/// Paths anyone may open without signing in.
fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/login"
            | "/healthz"
            | "/favicon.ico"
            | "/favicon.svg"
            | "/noscript.css"
            | "/api/login"
            | "/api/accept_invite"
            | "/api/current_user"
            | "/api/shared_project"
    ) || path.starts_with("/pkg/")
        || path.starts_with("/invite/")
        || path.starts_with("/share/")
}

/// An `AppError` response the way a server function would answer it.
pub fn error_response(err: &AppError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_string(err).unwrap_or_else(|_| "\"Internal\"".into());
    let mut response = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    if let Some(secs) = retry_after(err) {
        response.headers_mut().insert(header::RETRY_AFTER, secs);
    }
    response
}

/// The `Retry-After` an error is answered with: the lockout for a rate limit, a second
/// for a busy server.
fn retry_after(err: &AppError) -> Option<HeaderValue> {
    match err {
        AppError::RateLimited { retry_after_secs } => {
            HeaderValue::from_str(&retry_after_secs.to_string()).ok()
        }
        AppError::Unavailable => Some(HeaderValue::from_static("1")),
        _ => None,
    }
}

/// Requests being served at once (live streams aside) past which new ones are answered
/// 503 at once: an overloaded server says so quickly instead of queueing without end.
pub const MAX_IN_FLIGHT: usize = 1024;

/// Answers 503 with `Retry-After` when [`MAX_IN_FLIGHT`] requests are already running.
pub async fn shed_load(
    State(in_flight): State<std::sync::Arc<tokio::sync::Semaphore>>,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path() == "/api/live" {
        return next.run(request).await;
    }
    match in_flight.try_acquire() {
        Ok(_permit) => next.run(request).await,
        Err(_) => {
            tracing::warn!(path = %request.uri().path(), "overloaded: answered 503");
            error_response(&AppError::Unavailable)
        }
    }
}

/// Loads the session from the cookie into the request; guards non-public paths.
pub async fn session(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let token = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| auth::cookie_value(v, auth::SESSION_COOKIE).map(str::to_owned));
    let session: Option<Session> = match token {
        Some(token) => {
            match auth::load_session(state.db.reader(), &token, state.clock.now_ms()).await {
                Ok(s) => s,
                Err(err) => return error_response(&AppError::from(err)),
            }
        }
        None => None,
    };
    let path = request.uri().path().to_owned();
    match session {
        Some(session) => {
            request.extensions_mut().insert(session);
        }
        None if is_public(&path) => {}
        None if path.starts_with("/api/") => return error_response(&AppError::Unauthorized),
        None => {
            let target = request
                .uri()
                .path_and_query()
                .map(|pq| pq.as_str().to_owned())
                .unwrap_or_else(|| "/".into());
            let next = percent_encode(&target);
            return Redirect::to(&format!("/login?next={next}")).into_response();
        }
    }
    next.run(request).await
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Refuses state-changing requests that may come from another site:
/// - `Sec-Fetch-Site` other than `same-origin` (or `none`, a request the user typed);
///   `same-site` is refused too, since a sibling subdomain may be someone else's;
/// - an `Origin` whose host is not this request's `Host` (or `null`);
/// - with a session cookie, neither header at all: every browser Baton supports sends at
///   least one of them on a write, so a cookie-carrying write without both is a very old
///   browser relying on `SameSite` alone, or something forging the request. Tools such
///   as `curl` send `Origin` themselves (see docs/API.md).
pub async fn csrf(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe {
        let headers = request.headers();
        let fetch_site = headers.get("sec-fetch-site").map(|v| v.as_bytes());
        let cross_site = fetch_site.is_some_and(|v| {
            !v.eq_ignore_ascii_case(b"same-origin") && !v.eq_ignore_ascii_case(b"none")
        });
        let has_cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| auth::cookie_value(v, auth::SESSION_COOKIE).is_some());
        let unmarked = has_cookie && fetch_site.is_none() && !headers.contains_key(header::ORIGIN);
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        let foreign_origin = headers.get(header::ORIGIN).is_some_and(|v| {
            // An Origin that is not even text is not this site.
            let Ok(origin) = v.to_str() else {
                return true;
            };
            let origin_host = origin.split_once("://").map(|(_, rest)| rest);
            origin == "null" || origin_host != host
        });
        if cross_site || foreign_origin || unmarked {
            tracing::warn!(path = %request.uri().path(), "refused a cross-site request");
            return error_response(&AppError::Forbidden);
        }
    }
    next.run(request).await
}

/// Adds a fresh CSP nonce to the request, and the security headers to the response.
pub async fn headers(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let nonce = auth::new_token()[..32].to_string();
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let is_asset = request.uri().path().starts_with("/pkg/");
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let cached_by_choice = headers.contains_key(header::CACHE_CONTROL);
    let csp = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    );
    let mut set = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    set("x-content-type-options", "nosniff");
    // The bundle's files are not documents: the page's policy governs them, and a chunk
    // is one of dozens a first load fetches, so each carries only what applies to it.
    if !is_asset {
        set("content-security-policy", &csp);
        set("x-frame-options", "DENY");
        set("referrer-policy", "same-origin");
        set("cross-origin-opener-policy", "same-origin");
    }
    // Pages and answers carry private data: no browser or proxy keeps a copy. The
    // compiled assets under /pkg are public and set their own caching.
    if !is_asset && !cached_by_choice {
        set("cache-control", "no-store");
    }
    if state.https {
        set(
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        );
    }
    response
}

/// Answers 413 for a body over `limit` bytes sent without a `Content-Length` (chunked):
/// the body is read here, up to the limit, before anything else sees it. A declared
/// length over the limit is refused by `RequestBodyLimitLayer` without reading.
pub async fn limit_chunked(State(limit): State<usize>, request: Request, next: Next) -> Response {
    let has_body = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !has_body || request.headers().contains_key(header::CONTENT_LENGTH) {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => {
            tracing::warn!(path = %parts.uri.path(), "refused a body over the limit: 413");
            let mut response = error_response(&AppError::invalid(
                "body",
                format!("must be at most {} KiB", limit / 1024),
            ));
            *response.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            response
        }
    }
}

/// Server functions answer every error with 500; this gives each `AppError` its own status
/// (401, 403, 404, 409, 422, 429, 503) so clients and logs see what happened.
pub async fn api_status(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if !response.headers().contains_key("serverfnerror") {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = body.collect().await.map(|b| b.to_bytes()) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if let Some(secs) = retry_after(&err) {
            parts.headers.insert(header::RETRY_AFTER, secs);
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_paths_are_few() {
        assert!(is_public("/login"));
        assert!(is_public("/pkg/baton.wasm"));
        assert!(is_public("/invite/abc"));
        assert!(!is_public("/pipeline"));
        assert!(!is_public("/api/list_board"));
        assert!(!is_public("/settings/roles"));
    }

    #[test]
    fn next_paths_are_encoded() {
        assert_eq!(percent_encode("/a?b=c d"), "/a%3Fb%3Dc%20d");
    }
}
