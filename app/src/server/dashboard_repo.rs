//! The dashboard's own queries: deals decided lately and the projects still running. Every
//! query is scoped by `workspace_id`.

use crate::server::db::Conn;

/// Deals of the workspace won and lost since a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecidedDeals {
    /// How many were won.
    pub won: i64,
    /// How many were lost.
    pub lost: i64,
    /// The value of those won, minor units.
    pub won_minor: i64,
}

/// A project still running (neither done nor cancelled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunningProject {
    /// Project id.
    pub id: i64,
    /// Project name.
    pub name: String,
    /// Its client's name.
    pub client: String,
}

/// The live deals of the workspace closed won or lost since `since_ms`, counted, with the
/// value won.
pub async fn decided_since(
    conn: &mut Conn,
    workspace_id: i64,
    since_ms: i64,
) -> Result<DecidedDeals, sqlx::Error> {
    let (won, lost, won_minor): (i64, i64, i64) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(CASE WHEN s.kind = 'won' THEN 1 ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN s.kind = 'lost' THEN 1 ELSE 0 END), 0) AS BIGINT),
                CAST(COALESCE(SUM(CASE WHEN s.kind = 'won' THEN d.value_minor ELSE 0 END), 0) AS BIGINT)
         FROM deals d JOIN stages s ON s.id = d.stage_id
         WHERE d.workspace_id = $1 AND d.closed_at >= $2 AND s.kind IN ('won', 'lost')
           AND d.archived_at IS NULL",
    )
    .bind(workspace_id)
    .bind(since_ms)
    .fetch_one(conn)
    .await?;
    Ok(DecidedDeals {
        won,
        lost,
        won_minor,
    })
}

/// The workspace's running projects with their clients, by name.
pub async fn running_projects(
    conn: &mut Conn,
    workspace_id: i64,
) -> Result<Vec<RunningProject>, sqlx::Error> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT p.id, p.name, c.name FROM projects p JOIN clients c ON c.id = p.client_id
         WHERE p.workspace_id = $1 AND p.status NOT IN ('done', 'cancelled')
         ORDER BY p.name, p.id",
    )
    .bind(workspace_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, client)| RunningProject { id, name, client })
        .collect())
}
