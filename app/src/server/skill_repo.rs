//! The workspace's skills.

/// The workspace's skills, (id, name), by id (the order they were added in).
pub async fn all<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, name FROM skills WHERE workspace_id = $1 ORDER BY id")
        .bind(workspace_id)
        .fetch_all(conn)
        .await
}
