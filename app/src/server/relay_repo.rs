//! What the servers on one PostgreSQL database share about live connections: who has a
//! workspace open on which server (`presence`, one row per connection, kept fresh by a
//! heartbeat so a crashed server's rows expire), and notifications (`pg_notify`) that
//! wake the other servers. PostgreSQL only; on SQLite there is one server and none of
//! this runs.

use crate::server::db::Executor;

/// Records a viewer of `workspace_id` on server `server_id` (their connection there).
pub async fn joined<'e>(
    db: impl Executor<'e>,
    server_id: &str,
    connection: i64,
    workspace_id: i64,
    name: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO presence (server_id, connection_id, workspace_id, name, seen_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (server_id, connection_id) DO UPDATE SET workspace_id = EXCLUDED.workspace_id,
             name = EXCLUDED.name, seen_at = EXCLUDED.seen_at",
    )
    .bind(server_id)
    .bind(connection)
    .bind(workspace_id)
    .bind(name)
    .bind(now_ms)
    .execute(db)
    .await
    .map(|_| ())
}

/// Forgets a viewer's connection on server `server_id`.
pub async fn left<'e>(
    db: impl Executor<'e>,
    server_id: &str,
    connection: i64,
    workspace_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "DELETE FROM presence WHERE server_id = $1 AND connection_id = $2 AND workspace_id = $3",
    )
    .bind(server_id)
    .bind(connection)
    .bind(workspace_id)
    .execute(db)
    .await
    .map(|_| ())
}

/// Marks every connection of server `server_id` as still there; answers how many rows it
/// still had (fewer than its connections: another server expired some, and they are
/// written again).
pub async fn heartbeat<'e>(
    db: impl Executor<'e>,
    server_id: &str,
    now_ms: i64,
) -> Result<u64, sqlx::Error> {
    sqlx::query("UPDATE presence SET seen_at = $2 WHERE server_id = $1")
        .bind(server_id)
        .bind(now_ms)
        .execute(db)
        .await
        .map(|done| done.rows_affected())
}

/// Removes connections not seen since `cutoff_ms` (their server stopped without saying
/// so); answers the workspaces they were in.
pub async fn expire<'e>(db: impl Executor<'e>, cutoff_ms: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("DELETE FROM presence WHERE seen_at < $1 RETURNING workspace_id")
        .bind(cutoff_ms)
        .fetch_all(db)
        .await
}

/// Removes every connection of server `server_id` (it is shutting down); answers the
/// workspaces they were in.
pub async fn leave_all<'e>(
    db: impl Executor<'e>,
    server_id: &str,
) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar("DELETE FROM presence WHERE server_id = $1 RETURNING workspace_id")
        .bind(server_id)
        .fetch_all(db)
        .await
}

/// The names of the viewers of `workspace_id` on servers other than `server_id`, seen
/// since `cutoff_ms`.
pub async fn viewers_elsewhere<'e>(
    db: impl Executor<'e>,
    workspace_id: i64,
    server_id: &str,
    cutoff_ms: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT name FROM presence
         WHERE workspace_id = $1 AND server_id <> $2 AND seen_at >= $3 ORDER BY name",
    )
    .bind(workspace_id)
    .bind(server_id)
    .bind(cutoff_ms)
    .fetch_all(db)
    .await
}

/// Wakes every server listening on `channel` with `payload` (at commit, when run inside
/// a transaction).
pub async fn notify<'e>(
    db: impl Executor<'e>,
    channel: &str,
    payload: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT CAST(1 AS BIGINT) FROM (SELECT pg_notify($1, $2)) AS sent")
        .bind(channel)
        .bind(payload)
        .execute(db)
        .await
        .map(|_| ())
}
