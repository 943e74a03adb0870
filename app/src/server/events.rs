//! The append-only event log: every change, with who made it.

use crate::server::db::Conn;
use serde_json::Value;

/// An event about to be appended.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent<'a> {
    /// The workspace it belongs to.
    pub workspace_id: i64,
    /// Who acted (`None` for the system).
    pub actor_user_id: Option<i64>,
    /// What kind of thing changed: `deal`, `role`, `user`, ...
    pub entity: &'a str,
    /// Which one.
    pub entity_id: i64,
    /// What happened: `created`, `renamed`, `permissions_changed`, ...
    pub action: &'a str,
    /// The changed fields before.
    pub before: Option<Value>,
    /// The changed fields after.
    pub after: Option<Value>,
}

/// Appends an event in the caller's transaction and returns its sequence number: the next
/// in the workspace, computed in the same statement so concurrent writers cannot share one.
pub async fn append(conn: &mut Conn, event: NewEvent<'_>, now_ms: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO events (workspace_id, seq, actor_user_id, entity, entity_id, action,
                             before_json, after_json, created_at)
         SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5, $6, $7, $8
         FROM events WHERE workspace_id = $1
         RETURNING seq",
    )
    .bind(event.workspace_id)
    .bind(event.actor_user_id)
    .bind(event.entity)
    .bind(event.entity_id)
    .bind(event.action)
    .bind(event.before.map(|v| v.to_string()))
    .bind(event.after.map(|v| v.to_string()))
    .bind(now_ms)
    .fetch_one(conn)
    .await
}

/// The deals of the workspace with an event after `since`, at most `limit` of them.
pub async fn deals_changed_since<'e>(
    db: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    since: i64,
    limit: i64,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT entity_id FROM events
         WHERE workspace_id = $1 AND entity = 'deal' AND seq > $2
         LIMIT $3",
    )
    .bind(workspace_id)
    .bind(since)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Whether the workspace's projects changed after event `since` (a project's own event,
/// time logged or removed, a deal won or reopened, or the workspace's calendar).
pub async fn projects_changed_since<'e>(
    db: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    since: i64,
) -> Result<bool, sqlx::Error> {
    let last: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(seq) FROM events WHERE workspace_id = $1 AND seq > $2
           AND (entity IN ('project', 'time_entry', 'workspace')
                OR (entity = 'deal' AND action IN ('won', 'reopened')))",
    )
    .bind(workspace_id)
    .bind(since)
    .fetch_one(db)
    .await?;
    Ok(last.is_some())
}

/// Whether the workspace's free capacity may have changed after event `since`
/// (allocations, time off, projects, people added or imported, the workspace's calendar).
pub async fn capacity_changed_since<'e>(
    db: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    since: i64,
) -> Result<bool, sqlx::Error> {
    let last: Option<i64> = sqlx::query_scalar(
        "SELECT MAX(seq) FROM events WHERE workspace_id = $1 AND seq > $2
           AND entity IN ('allocation', 'time_off', 'project', 'person', 'import', 'workspace')",
    )
    .bind(workspace_id)
    .bind(since)
    .fetch_one(db)
    .await?;
    Ok(last.is_some())
}
