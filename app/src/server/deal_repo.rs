//! Deals in the database: what the drawer shows of one deal (its brief, estimate by skill
//! and history), and the writes of each deal change. Changes are version-guarded and run
//! in the caller's transaction; the caller appends the event and publishes after commit.
//!
//! Every query is scoped by `workspace_id`, except those on a deal the caller's
//! transaction has already found in its workspace (`deal_service::current_deal`): its
//! estimate lines and the fields an edit records.

use crate::domain::pipeline::{Progress, StageKind, StagePlace};
use crate::error::AppError;
use crate::server::db::changed_one;
use crate::server::db::Conn;
use crate::shared::board::DealCard;
use crate::shared::deal::{DealDetail, EstimateLine};

/// The deal of `card` (a deal of the workspace, archived or not) as its drawer shows it,
/// around its card and `stage_kind`: its probability override, plan, brief, notes, lost
/// reason and estimate by skill. Its history and the clients and owners to choose from
/// are the caller's to add (left empty).
pub async fn drawer(
    conn: &mut Conn,
    workspace_id: i64,
    card: DealCard,
    stage_kind: StageKind,
) -> Result<DealDetail, sqlx::Error> {
    type Row = (
        Option<i64>,
        Option<String>,
        i64,
        String,
        String,
        String,
        String,
        Option<String>,
    );
    let deal_id = card.id;
    let (
        probability_override_pct,
        planned_start_on,
        planned_weeks,
        brief_goals,
        brief_priorities,
        brief_context,
        notes,
        lost_reason,
    ): Row = sqlx::query_as(
        "SELECT probability_override_pct, planned_start_on, planned_weeks, brief_goals,
                brief_priorities, brief_context, notes, lost_reason
         FROM deals WHERE id = $1 AND workspace_id = $2",
    )
    .bind(deal_id)
    .bind(workspace_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(DealDetail {
        card,
        stage_kind,
        probability_override_pct,
        planned_start_on,
        planned_weeks,
        brief_goals,
        brief_priorities,
        brief_context,
        notes,
        lost_reason,
        estimate: estimate(&mut *conn, workspace_id, deal_id).await?,
        activity: Vec::new(),
        offsets: Default::default(),
        clients: Vec::new(),
        owners: Vec::new(),
        rights: Default::default(),
    })
}

/// The deal's estimate: one line per skill of the workspace, by skill name, with 0
/// minutes where the deal has none.
pub async fn estimate<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    deal_id: i64,
) -> Result<Vec<EstimateLine>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.id AS skill_id, s.name AS skill, COALESCE(l.minutes, 0) AS minutes
         FROM skills s LEFT JOIN deal_estimate_lines l ON l.skill_id = s.id AND l.deal_id = $1
         WHERE s.workspace_id = $2 ORDER BY s.name",
    )
    .bind(deal_id)
    .bind(workspace_id)
    .fetch_all(conn)
    .await
}

/// One event of a deal's history as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DealEvent {
    /// When, Unix ms.
    pub created_at: i64,
    /// Who acted, if it was a user.
    pub actor_name: Option<String>,
    /// What happened: `created`, `edited`, `stage_changed`, ...
    pub action: String,
    /// The changed fields before, as JSON.
    pub before_json: Option<String>,
    /// The changed fields after, as JSON.
    pub after_json: Option<String>,
}

/// The deal's latest 50 events, newest first, with the name of who acted.
pub async fn history<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    deal_id: i64,
) -> Result<Vec<DealEvent>, sqlx::Error> {
    sqlx::query_as(
        "SELECT e.created_at, u.name AS actor_name, e.action, e.before_json, e.after_json
         FROM events e LEFT JOIN users u ON u.id = e.actor_user_id
         WHERE e.workspace_id = $1 AND e.entity = 'deal' AND e.entity_id = $2
         ORDER BY e.seq DESC LIMIT 50",
    )
    .bind(workspace_id)
    .bind(deal_id)
    .fetch_all(conn)
    .await
}

/// The estimate lines of a deal already found in the workspace: (skill id, minutes), by
/// skill id.
pub async fn estimate_lines<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    deal_id: i64,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT skill_id, minutes FROM deal_estimate_lines WHERE deal_id = $1 AND workspace_id = $2 ORDER BY skill_id",
    )
    .bind(deal_id)
    .bind(workspace_id)
    .fetch_all(conn)
    .await
}

/// The fields of a deal its `edited` event records, before or after the edit.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EditedFields {
    /// Title.
    pub title: String,
    /// Value, minor units.
    pub value_minor: i64,
    /// Client id.
    pub client_id: i64,
    /// Owner's user id.
    pub owner_user_id: i64,
    /// Probability override in percent, if any.
    pub probability_override_pct: Option<i64>,
}

/// The title, value, client, owner and probability override of a deal already found in
/// the workspace, as they are now.
pub async fn edited_fields<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    deal_id: i64,
) -> Result<EditedFields, sqlx::Error> {
    sqlx::query_as(
        "SELECT title, value_minor, client_id, owner_user_id, probability_override_pct FROM deals WHERE id = $1 AND workspace_id = $2",
    )
    .bind(deal_id)
    .bind(workspace_id)
    .fetch_one(conn)
    .await
}

/// The drawer's fields of a deal as saved (validated).
#[derive(Debug, Clone, Copy)]
pub struct DealEdit<'a> {
    /// Title.
    pub title: &'a str,
    /// Client id (a client of the workspace).
    pub client_id: i64,
    /// Value, minor units.
    pub value_minor: i64,
    /// Probability override in percent; `None` for the stage's.
    pub probability_override_pct: Option<i64>,
    /// Owner's user id (an active user of the workspace).
    pub owner_user_id: i64,
    /// Expected close, `YYYY-MM-DD`.
    pub expected_close_on: Option<&'a str>,
    /// Planned start, `YYYY-MM-DD`.
    pub planned_start_on: Option<&'a str>,
    /// Planned length in weeks.
    pub planned_weeks: i64,
    /// The brief: goals.
    pub brief_goals: &'a str,
    /// The brief: priorities.
    pub brief_priorities: &'a str,
    /// The brief: context.
    pub brief_context: &'a str,
    /// Notes.
    pub notes: &'a str,
}

/// Saves the drawer's fields of the deal if it still has `version`; otherwise the
/// conflict.
pub async fn save<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    deal_id: i64,
    version: i64,
    edit: DealEdit<'_>,
    now_ms: i64,
) -> Result<(), AppError> {
    let done = sqlx::query(
        "UPDATE deals SET title = $1, client_id = $2, value_minor = $3, probability_override_pct = $4,
                          owner_user_id = $5, expected_close_on = $6, planned_start_on = $7,
                          planned_weeks = $8, brief_goals = $9, brief_priorities = $10,
                          brief_context = $11, notes = $12, updated_at = $13, version = version + 1
         WHERE id = $14 AND workspace_id = $15 AND version = $16",
    )
    .bind(edit.title)
    .bind(edit.client_id)
    .bind(edit.value_minor)
    .bind(edit.probability_override_pct)
    .bind(edit.owner_user_id)
    .bind(edit.expected_close_on)
    .bind(edit.planned_start_on)
    .bind(edit.planned_weeks)
    .bind(edit.brief_goals)
    .bind(edit.brief_priorities)
    .bind(edit.brief_context)
    .bind(edit.notes)
    .bind(now_ms)
    .bind(deal_id)
    .bind(workspace_id)
    .bind(version)
    .execute(conn)
    .await?;
    changed_one(done, "deal")
}

/// Sets a deal's estimate for one skill of the workspace: 0 minutes removes the line.
pub async fn set_estimate(
    conn: &mut Conn,
    workspace_id: i64,
    deal_id: i64,
    skill_id: i64,
    minutes: i64,
) -> Result<(), sqlx::Error> {
    if minutes == 0 {
        sqlx::query(
            "DELETE FROM deal_estimate_lines WHERE deal_id = $1 AND skill_id = $2 AND workspace_id = $3",
        )
        .bind(deal_id)
        .bind(skill_id)
        .bind(workspace_id)
            .execute(conn)
            .await?;
    } else {
        sqlx::query(
            "INSERT INTO deal_estimate_lines (workspace_id, deal_id, skill_id, minutes)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (deal_id, skill_id) DO UPDATE SET minutes = excluded.minutes",
        )
        .bind(workspace_id)
        .bind(deal_id)
        .bind(skill_id)
        .bind(minutes)
        .execute(conn)
        .await?;
    }
    Ok(())
}

/// A deal entering a stage: which, when, and its progress after it (the furthest stage
/// of its run and when it last made progress, from `pipeline::Progress::entering`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StageEntry {
    /// The stage it enters.
    pub stage_id: i64,
    /// When, Unix ms.
    pub at: i64,
    /// Its progress once there.
    pub progress: Progress,
}

/// The progress of a deal of the workspace as stored: its run's furthest stage (its
/// stage where none is stored yet) where the pipeline has that stage now, and when it
/// last made progress (when it entered its stage where none is stored).
pub async fn progress<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    deal_id: i64,
) -> Result<Progress, sqlx::Error> {
    let (id, position, kind, progressed_at): (i64, i64, String, i64) = sqlx::query_as(
        "SELECT f.id, f.position, f.kind, COALESCE(d.progressed_at, d.stage_entered_at)
         FROM deals d
         JOIN stages f ON f.id = COALESCE(d.furthest_stage_id, d.stage_id)
                      AND f.workspace_id = d.workspace_id
         WHERE d.id = $1 AND d.workspace_id = $2",
    )
    .bind(deal_id)
    .bind(workspace_id)
    .fetch_one(conn)
    .await?;
    let kind = StageKind::parse(&kind)
        .ok_or_else(|| sqlx::Error::Decode(format!("stage {id} has an unknown kind").into()))?;
    Ok(Progress {
        furthest: StagePlace { id, position, kind },
        progressed_at,
    })
}

/// Moves the deal into the open stage of `entry` (open again: no close date, no lost
/// reason) if it still has `version`; otherwise the conflict.
pub async fn move_to_stage<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    deal_id: i64,
    version: i64,
    entry: StageEntry,
) -> Result<(), AppError> {
    let done = sqlx::query(
        "UPDATE deals SET stage_id = $1, stage_entered_at = $2, updated_at = $2, closed_at = NULL,
                          lost_reason = NULL, furthest_stage_id = $3, progressed_at = $4,
                          version = version + 1
         WHERE id = $5 AND workspace_id = $6 AND version = $7",
    )
    .bind(entry.stage_id)
    .bind(entry.at)
    .bind(entry.progress.furthest.id)
    .bind(entry.progress.progressed_at)
    .bind(deal_id)
    .bind(workspace_id)
    .bind(version)
    .execute(conn)
    .await?;
    changed_one(done, "deal")
}

/// A deal's planned start and probability override, as a planner what-if changes them.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Plan {
    /// Planned start, `YYYY-MM-DD`.
    pub planned_start_on: Option<String>,
    /// Probability override in percent; `None` for the stage's.
    pub probability_override_pct: Option<i64>,
}

/// The plan of a deal already found in the workspace.
pub async fn plan<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    deal_id: i64,
) -> Result<Plan, sqlx::Error> {
    sqlx::query_as(
        "SELECT planned_start_on, probability_override_pct FROM deals WHERE id = $1 AND workspace_id = $2",
    )
    .bind(deal_id)
    .bind(workspace_id)
    .fetch_one(conn)
    .await
}

/// Sets the deal's planned start and probability override if it still has `version`;
/// otherwise the conflict.
pub async fn set_plan<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    deal_id: i64,
    version: i64,
    plan: &Plan,
    now_ms: i64,
) -> Result<(), AppError> {
    let done = sqlx::query(
        "UPDATE deals SET planned_start_on = $1, probability_override_pct = $2, updated_at = $3,
                          version = version + 1
         WHERE id = $4 AND workspace_id = $5 AND version = $6",
    )
    .bind(plan.planned_start_on.as_deref())
    .bind(plan.probability_override_pct)
    .bind(now_ms)
    .bind(deal_id)
    .bind(workspace_id)
    .bind(version)
    .execute(conn)
    .await?;
    changed_one(done, "deal")
}

/// A deal about to be added (quick add).
#[derive(Debug, Clone, Copy)]
pub struct NewDeal<'a> {
    /// Client id (a client of the workspace).
    pub client_id: i64,
    /// Title (validated).
    pub title: &'a str,
    /// Value, minor units.
    pub value_minor: i64,
    /// The open stage it starts in.
    pub stage_id: i64,
    /// Its owner.
    pub owner_user_id: i64,
}

/// Adds a deal to the workspace, entering its stage now (its first progress); returns
/// its id.
pub async fn insert<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    deal: NewDeal<'_>,
    now_ms: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar::<_, i64>(
        "INSERT INTO deals (workspace_id, client_id, title, value_minor, stage_id, owner_user_id,
                            stage_entered_at, created_at, updated_at, furthest_stage_id,
                            progressed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7, $5, $7) RETURNING id",
    )
    .bind(workspace_id)
    .bind(deal.client_id)
    .bind(deal.title)
    .bind(deal.value_minor)
    .bind(deal.stage_id)
    .bind(deal.owner_user_id)
    .bind(now_ms)
    .fetch_one(conn)
    .await
}

/// Closes the deal as lost — into the lost stage of `entry`, with `reason` — if it still
/// has `version`; otherwise the conflict.
pub async fn mark_lost<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    deal_id: i64,
    version: i64,
    entry: StageEntry,
    reason: &str,
) -> Result<(), AppError> {
    let done = sqlx::query(
        "UPDATE deals SET stage_id = $1, stage_entered_at = $2, updated_at = $2, closed_at = $2,
                          lost_reason = $3, furthest_stage_id = $4, progressed_at = $5,
                          version = version + 1
         WHERE id = $6 AND workspace_id = $7 AND version = $8",
    )
    .bind(entry.stage_id)
    .bind(entry.at)
    .bind(reason)
    .bind(entry.progress.furthest.id)
    .bind(entry.progress.progressed_at)
    .bind(deal_id)
    .bind(workspace_id)
    .bind(version)
    .execute(conn)
    .await?;
    changed_one(done, "deal")
}

/// Takes the deal off the board (archived now, kept with its history) if it still has
/// `version`; otherwise the conflict.
pub async fn archive<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    deal_id: i64,
    version: i64,
    now_ms: i64,
) -> Result<(), AppError> {
    let done = sqlx::query(
        "UPDATE deals SET archived_at = $1, updated_at = $1, version = version + 1
         WHERE id = $2 AND workspace_id = $3 AND version = $4",
    )
    .bind(now_ms)
    .bind(deal_id)
    .bind(workspace_id)
    .bind(version)
    .execute(conn)
    .await?;
    changed_one(done, "deal")
}
