//! What a server function reaches through Leptos context: the pool, the caller, the clock.

use super::auth::Session;
use super::state::AppState;
use crate::domain::permissions::{Permission, PermissionSet};
use crate::error::AppError;
use crate::server::db::Pool;
use leptos::prelude::*;

/// Who is calling, resolved on the server from the session cookie (never from arguments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// The signed-in user.
    pub user_id: i64,
    /// The workspace every query of this request is scoped to.
    pub workspace_id: i64,
    /// What the user's role allows.
    pub permissions: PermissionSet,
}

impl Caller {
    /// `Forbidden` unless the caller has `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.permissions.contains(permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Whether the caller has `permission`.
    pub fn can(&self, permission: Permission) -> bool {
        self.permissions.contains(permission)
    }

    /// Whether the caller speaks for the agency to clients about projects — proposing
    /// changes, posting updates, sharing: "edit deals" or "manage projects".
    pub fn contacts_clients(&self) -> bool {
        self.can(Permission::EditDeals) || self.can(Permission::ManageProjects)
    }

    /// `Forbidden` unless [`Caller::contacts_clients`].
    pub fn require_client_contact(&self) -> Result<(), AppError> {
        if self.contacts_clients() {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// The shared state.
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the Leptos context");
        AppError::Internal
    })
}

/// The read-only pool: each query borrows a connection and gives it back. A request that
/// reads several times takes one connection with [`read`] instead.
pub fn pool() -> Result<Pool, AppError> {
    Ok(state()?.db.reader().clone())
}

/// One read-only connection for the whole request.
pub async fn read() -> Result<sqlx::pool::PoolConnection<super::db::Db>, AppError> {
    state()?.db.read().await
}

/// A write transaction: Baton's one way to write (see [`super::db`]).
pub async fn write(workspace_id: i64) -> Result<super::db::WriteTx, AppError> {
    state()?.db.write(workspace_id).await
}

/// The request being served (headers, extensions).
pub fn request_parts() -> Option<axum::http::request::Parts> {
    use_context::<axum::http::request::Parts>()
}

/// The client the current request came from: the connection's address, or behind a
/// trusted proxy the client it forwarded (see [`super::limits::TrustedProxies`]). Without
/// a connection (tests driving the router directly) the unspecified address.
pub fn client_ip() -> std::net::IpAddr {
    use axum::extract::ConnectInfo;
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};
    let Some(parts) = request_parts() else {
        return IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    };
    let peer = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(addr)| {
            addr.ip()
        });
    let forwarded: Vec<&str> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    match state() {
        Ok(state) => state.trusted_proxies.client(peer, &forwarded),
        Err(_) => peer,
    }
}

/// [`client_ip`] as text, for rate-limit keys and the audit log.
pub fn client_address() -> String {
    client_ip().to_string()
}

/// The signed-in session of the current request, if any.
pub fn session() -> Option<Session> {
    request_parts()?.extensions.get::<Session>().cloned()
}

/// The caller of the current request: `Unauthorized` when nobody is signed in.
pub async fn caller() -> Result<Caller, AppError> {
    session()
        .map(|s| Caller {
            user_id: s.user_id,
            workspace_id: s.workspace_id,
            permissions: s.permissions,
        })
        .ok_or(AppError::Unauthorized)
}

/// The caller, if they have `permission`: `Unauthorized` or `Forbidden` otherwise.
pub async fn caller_with(permission: Permission) -> Result<Caller, AppError> {
    let caller = caller().await?;
    caller.require(permission)?;
    Ok(caller)
}

/// The signed-in caller, if their role holds at least one of `permissions` (`Forbidden`
/// otherwise, `Unauthorized` when nobody is signed in).
pub async fn caller_with_any(permissions: &[Permission]) -> Result<Caller, AppError> {
    let caller = caller().await?;
    if permissions.iter().any(|p| caller.can(*p)) {
        Ok(caller)
    } else {
        Err(AppError::Forbidden)
    }
}

/// The current time as Unix milliseconds: the server's clock ([`AppState::clock`]; the
/// system's outside a request).
pub fn now_ms() -> i64 {
    use_context::<AppState>()
        .map(|state| state.clock.now_ms())
        .unwrap_or_else(super::clock::system_now_ms)
}

/// The calendar (time zone, week start) of the signed-in caller's workspace, read with the
/// session: `Unauthorized` when nobody is signed in.
pub fn calendar() -> Result<super::calendar::WorkspaceCalendar, AppError> {
    session().map(|s| s.calendar).ok_or(AppError::Unauthorized)
}

/// Today in the signed-in caller's workspace, by the server's clock: its date there and
/// the day its weeks start on.
pub fn today() -> Result<crate::domain::calendar::Today, AppError> {
    Ok(calendar()?.at(now_ms()))
}

/// The caller's own person (staff member), if their user is linked to one.
pub async fn own_person(
    conn: &mut crate::server::db::Conn,
    caller: &Caller,
) -> Result<Option<i64>, AppError> {
    Ok(super::user_repo::person_of(conn, caller.workspace_id, caller.user_id).await?)
}
