//! The audit trail in the database: the event log read back, newest first. Every query is
//! scoped by `workspace_id`.

use crate::shared::audit::AuditEntry;

/// Which events of the workspace a page of the audit trail shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditFilter<'a> {
    /// Only this user's events.
    pub actor_user_id: Option<i64>,
    /// Only events about this kind of entity.
    pub entity: Option<&'a str>,
    /// Only events older than this sequence number.
    pub before_seq: Option<i64>,
}

/// Up to `limit` events of the workspace that pass `filter`, newest first, with the name
/// of the user who acted.
pub async fn entries<'e>(
    db: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    filter: AuditFilter<'_>,
    limit: i64,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    sqlx::query_as(
        "SELECT e.seq, e.created_at, u.name AS actor_name, e.entity, e.entity_id, e.action,
                e.before_json, e.after_json
         FROM events e LEFT JOIN users u ON u.id = e.actor_user_id
         WHERE e.workspace_id = $1
           AND ($2 IS NULL OR e.actor_user_id = $2)
           AND ($3 IS NULL OR e.entity = $3)
           AND ($4 IS NULL OR e.seq < $4)
         ORDER BY e.seq DESC
         LIMIT $5",
    )
    .bind(workspace_id)
    .bind(filter.actor_user_id)
    .bind(filter.entity)
    .bind(filter.before_seq)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The users who appear as actors in the workspace's events, by name: (id, name).
pub async fn actors<'e>(
    db: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT DISTINCT u.id, u.name FROM events e JOIN users u ON u.id = e.actor_user_id
         WHERE e.workspace_id = $1 ORDER BY u.name",
    )
    .bind(workspace_id)
    .fetch_all(db)
    .await
}

/// The kinds of entity the workspace's events are about, alphabetically.
pub async fn entities<'e>(
    db: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT DISTINCT entity FROM events WHERE workspace_id = $1 ORDER BY entity")
        .bind(workspace_id)
        .fetch_all(db)
        .await
}
