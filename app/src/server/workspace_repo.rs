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

/// The workspace's calendar as stored: (time zone, week start as ISO weekday 1–7).
pub async fn calendar<'e>(
    db: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
) -> Result<(String, i64), sqlx::Error> {
    sqlx::query_as("SELECT time_zone, week_start FROM workspaces WHERE id = $1")
        .bind(workspace_id)
        .fetch_one(db)
        .await
}

/// The workspace's settings as its settings page shows them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SettingsRow {
    /// Display name.
    pub name: String,
    /// Currency code.
    pub currency: String,
    /// Time zone (IANA name).
    pub time_zone: String,
    /// Week start, ISO weekday 1–7.
    pub week_start: i64,
    /// Row version.
    pub version: i64,
}

/// The settings of workspace `workspace_id`.
pub async fn settings<'e>(
    db: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
) -> Result<SettingsRow, sqlx::Error> {
    sqlx::query_as(
        "SELECT name, currency, time_zone, week_start, version FROM workspaces WHERE id = $1",
    )
    .bind(workspace_id)
    .fetch_one(db)
    .await
}

/// Sets the workspace's time zone and week start if it is still at `version`.
pub async fn set_calendar(
    conn: &mut crate::server::db::Conn,
    workspace_id: i64,
    time_zone: &str,
    week_start: i64,
    version: i64,
) -> Result<crate::server::db::Done, sqlx::Error> {
    sqlx::query(
        "UPDATE workspaces SET time_zone = $2, week_start = $3, version = version + 1
         WHERE id = $1 AND version = $4",
    )
    .bind(workspace_id)
    .bind(time_zone)
    .bind(week_start)
    .bind(version)
    .execute(conn)
    .await
}

/// The distinct weeks (first days, `YYYY-MM-DD`) the workspace's allocations are booked
/// in, earliest first.
pub async fn allocation_weeks(
    conn: &mut crate::server::db::Conn,
    workspace_id: i64,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT week FROM allocations WHERE workspace_id = $1 ORDER BY week",
    )
    .bind(workspace_id)
    .fetch_all(conn)
    .await
}

/// Moves every allocation of the workspace booked in week `from` to week `to`.
pub async fn move_allocation_week(
    conn: &mut crate::server::db::Conn,
    workspace_id: i64,
    from: &str,
    to: &str,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE allocations SET week = $1, version = version + 1
                     WHERE workspace_id = $2 AND week = $3",
    )
    .bind(to)
    .bind(workspace_id)
    .bind(from)
    .execute(conn)
    .await?
    .rows_affected())
}
