//! Workspaces in the database.

/// The display name of the workspace `workspace_id`.
pub async fn name<'e>(
    db: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT name FROM workspaces WHERE id = $1")
        .bind(workspace_id)
        .fetch_one(db)
        .await
}

/// The workspace's `capacity_version`: bumped by every write that changes free capacity.
pub async fn capacity_version<'e>(
    db: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT capacity_version FROM workspaces WHERE id = $1")
        .bind(workspace_id)
        .fetch_one(db)
        .await
}

/// How many workspaces the database holds (the seed only writes into an empty one).
pub async fn count<'e>(db: impl crate::server::db::Executor<'e>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM workspaces")
        .fetch_one(db)
        .await
}
