//! SQL for the pipeline board and what its drawer picks from (clients, owners). Every
//! query is scoped by `workspace_id`.

use crate::domain::pipeline::{StageKind, StagePlace};
use crate::shared::board::{BoardDealRow, StageSummary};

/// A workspace's display settings.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WorkspaceRow {
    /// Workspace id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// ISO currency code.
    pub currency: String,
}

/// The workspace `workspace_id`.
pub async fn workspace<'e>(
    pool: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
) -> Result<WorkspaceRow, sqlx::Error> {
    sqlx::query_as("SELECT id, name, currency FROM workspaces WHERE id = $1")
        .bind(workspace_id)
        .fetch_one(pool)
        .await
}

/// The workspace's stages in board order.
pub async fn stages<'e>(
    pool: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
) -> Result<Vec<StageSummary>, sqlx::Error> {
    let rows: Vec<StageRow> = sqlx::query_as(
        "SELECT id, name, probability_pct, kind, rotting_days
         FROM stages WHERE workspace_id = $1
         ORDER BY position, id",
    )
    .bind(workspace_id)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(StageRow::summary).collect()
}

/// A stage as stored: its kind as text.
#[derive(sqlx::FromRow)]
struct StageRow {
    id: i64,
    name: String,
    probability_pct: i64,
    kind: String,
    rotting_days: Option<i64>,
}

impl StageRow {
    fn summary(self) -> Result<StageSummary, sqlx::Error> {
        let kind = stage_kind(self.id, &self.kind)?;
        Ok(StageSummary {
            id: self.id,
            name: self.name,
            probability_pct: self.probability_pct,
            kind,
            rotting_days: self.rotting_days,
        })
    }
}

/// The kind of stage `id` as stored.
fn stage_kind(id: i64, kind: &str) -> Result<StageKind, sqlx::Error> {
    StageKind::parse(kind)
        .ok_or_else(|| sqlx::Error::Decode(format!("stage {id} has an unknown kind").into()))
}

/// The one query a board card is loaded with — the live deals of workspace `$1`, with
/// client and owner names — followed by `$tail` (an extra condition or the order).
macro_rules! board_deal_sql {
    ($tail:literal) => {
        concat!(
            "SELECT d.id, d.title, d.client_id, c.name AS client_name, d.owner_user_id,
                    d.value_minor, d.stage_id, d.probability_override_pct, u.name AS owner_name,
                    d.stage_entered_at,
                    COALESCE(d.progressed_at, d.stage_entered_at) AS progressed_at,
                    d.expected_close_on, d.version
             FROM deals d
             JOIN clients c ON c.id = d.client_id AND c.workspace_id = d.workspace_id
             JOIN users u ON u.id = d.owner_user_id AND u.workspace_id = d.workspace_id
             WHERE d.workspace_id = $1 AND d.archived_at IS NULL",
            $tail
        )
    };
}

/// The workspace's live (not archived) deals, in card order: soonest expected close first.
pub async fn board_deals<'e>(
    pool: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
) -> Result<Vec<BoardDealRow>, sqlx::Error> {
    sqlx::query_as(board_deal_sql!(
        " ORDER BY d.expected_close_on IS NULL, d.expected_close_on, d.id"
    ))
    .bind(workspace_id)
    .fetch_all(pool)
    .await
}

/// The live deals of the workspace stamped after board version `after` (in no order),
/// and the ids of its deals archived after it.
pub async fn board_deals_after(
    conn: &mut crate::server::db::Conn,
    workspace_id: i64,
    after: i64,
) -> Result<(Vec<BoardDealRow>, Vec<i64>), sqlx::Error> {
    let live = sqlx::query_as(board_deal_sql!(" AND d.board_rev > $2"))
        .bind(workspace_id)
        .bind(after)
        .fetch_all(&mut *conn)
        .await?;
    let archived = sqlx::query_scalar(
        "SELECT id FROM deals
         WHERE workspace_id = $1 AND board_rev > $2 AND archived_at IS NOT NULL",
    )
    .bind(workspace_id)
    .bind(after)
    .fetch_all(&mut *conn)
    .await?;
    Ok((live, archived))
}

/// The workspace's board counters: (`board_epoch`, `board_version`).
pub async fn board_versions<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as("SELECT board_epoch, board_version FROM workspaces WHERE id = $1")
        .bind(workspace_id)
        .fetch_one(conn)
        .await
}

/// The workspace's latest event number (0 before any event).
pub async fn latest_seq<'e>(
    pool: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM events WHERE workspace_id = $1")
        .bind(workspace_id)
        .fetch_one(pool)
        .await
}

/// The stage `stage_id` of the workspace.
pub async fn stage<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    stage_id: i64,
) -> Result<Option<StageSummary>, sqlx::Error> {
    let row: Option<StageRow> = sqlx::query_as(
        "SELECT id, name, probability_pct, kind, rotting_days FROM stages WHERE id = $1 AND workspace_id = $2",
    )
    .bind(stage_id)
    .bind(workspace_id)
    .fetch_optional(conn)
    .await?;
    row.map(StageRow::summary).transpose()
}

/// The first stage of `kind` in pipeline order, or the last one when `last`.
pub async fn stage_of_kind(
    conn: &mut crate::server::db::Conn,
    workspace_id: i64,
    kind: StageKind,
    last: bool,
) -> Result<Option<StageSummary>, sqlx::Error> {
    let order = if last { "DESC" } else { "ASC" };
    let row: Option<StageRow> = sqlx::query_as(&format!(
        "SELECT id, name, probability_pct, kind, rotting_days FROM stages
         WHERE workspace_id = $1 AND kind = $2 ORDER BY position {order} LIMIT 1"
    ))
    .bind(workspace_id)
    .bind(kind.as_str())
    .fetch_optional(conn)
    .await?;
    row.map(StageRow::summary).transpose()
}

/// Where stage `stage_id` of the workspace stands in its pipeline now.
pub async fn place<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    stage_id: i64,
) -> Result<Option<StagePlace>, sqlx::Error> {
    let row: Option<(i64, i64, String)> =
        sqlx::query_as("SELECT id, position, kind FROM stages WHERE id = $1 AND workspace_id = $2")
            .bind(stage_id)
            .bind(workspace_id)
            .fetch_optional(conn)
            .await?;
    row.map(|(id, position, kind)| {
        Ok(StagePlace {
            id,
            position,
            kind: stage_kind(id, &kind)?,
        })
    })
    .transpose()
}

/// One live (not archived) deal of the workspace as the board loads it.
pub async fn board_deal<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    deal_id: i64,
) -> Result<Option<BoardDealRow>, sqlx::Error> {
    sqlx::query_as(board_deal_sql!(" AND d.id = $2"))
        .bind(workspace_id)
        .bind(deal_id)
        .fetch_optional(conn)
        .await
}

/// The workspace's clients by name: (id, name).
pub async fn clients<'e>(
    pool: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, name FROM clients WHERE workspace_id = $1 ORDER BY name")
        .bind(workspace_id)
        .fetch_all(pool)
        .await
}
