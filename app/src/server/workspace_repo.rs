//! Workspaces in the database.

/// The display name of the workspace `workspace_id`.
pub async fn name<'e>(
    db: impl sqlx::SqliteExecutor<'e>,
    workspace_id: i64,
) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT name FROM workspaces WHERE id = $1")
        .bind(workspace_id)
        .fetch_one(db)
        .await
}
