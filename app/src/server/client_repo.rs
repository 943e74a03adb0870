//! Clients in the database: finding one by name and adding one with its event.

use crate::server::context::Caller;
use crate::server::events;
use sqlx::SqliteConnection;

/// A client about to be added.
pub struct NewClient<'a> {
    /// Name (validated).
    pub name: &'a str,
    /// Contact person, empty for none.
    pub contact_name: &'a str,
    /// Contact email, empty for none.
    pub contact_email: &'a str,
}

/// The client of the workspace with this name, ignoring case: (id, name as stored).
pub async fn by_name(
    conn: &mut SqliteConnection,
    workspace_id: i64,
    name: &str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name FROM clients WHERE workspace_id = $1 AND lower(name) = lower($2)",
    )
    .bind(workspace_id)
    .bind(name)
    .fetch_optional(conn)
    .await
}

/// Adds a client owned by the caller, with its `created` event, in the caller's
/// transaction; returns its id.
pub async fn insert(
    conn: &mut SqliteConnection,
    caller: &Caller,
    client: NewClient<'_>,
    now_ms: i64,
) -> Result<i64, sqlx::Error> {
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO clients (workspace_id, name, owner_user_id, contact_name, contact_email, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(caller.workspace_id)
    .bind(client.name)
    .bind(caller.user_id)
    .bind(non_empty(client.contact_name))
    .bind(non_empty(client.contact_email))
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await?;
    events::append(
        conn,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "client",
            entity_id: id,
            action: "created",
            before: None,
            after: Some(serde_json::json!({ "name": client.name })),
        },
        now_ms,
    )
    .await?;
    Ok(id)
}
