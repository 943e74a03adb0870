//! Closing a deal in the database: the deal's plan, brief and estimate, the workspace's
//! targets, skills and skilled people, and the writes of a close (the deal won, its
//! project, the project's confirmed allocations). Writes run in the caller's transaction;
//! the caller (`close_service`) checks, appends the events and publishes after commit.
//!
//! Every query is scoped by `workspace_id`, except the look-up of an earlier close by its
//! key: keys are unique across workspaces, and the caller compares the workspace itself.

use crate::domain::calendar::Date;
use crate::domain::capacity::DemandLine;
use crate::error::AppError;
use crate::server::db::Conn;
use crate::server::deal_repo::StageEntry;

/// The workspace's currency and margin targets: (currency, target bp, floor bp).
pub async fn targets(conn: &mut Conn, workspace_id: i64) -> Result<(String, i64, i64), AppError> {
    Ok(sqlx::query_as(
        "SELECT currency, margin_target_bp, margin_floor_bp FROM workspaces WHERE id = $1",
    )
    .bind(workspace_id)
    .fetch_one(&mut *conn)
    .await?)
}

/// A deal's plan and brief as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DealPlan {
    /// Planned start, `YYYY-MM-DD`, if any.
    pub planned_start_on: Option<String>,
    /// Planned length in weeks.
    pub planned_weeks: i64,
    /// The brief: goals.
    pub brief_goals: String,
    /// The brief: priorities.
    pub brief_priorities: String,
    /// The brief: context.
    pub brief_context: String,
}

/// The plan and brief of deal `deal_id` of the workspace.
pub async fn deal_plan<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    deal_id: i64,
) -> Result<DealPlan, sqlx::Error> {
    sqlx::query_as(
        "SELECT planned_start_on, planned_weeks, brief_goals, brief_priorities, brief_context
             FROM deals WHERE id = $1 AND workspace_id = $2",
    )
    .bind(deal_id)
    .bind(workspace_id)
    .fetch_one(conn)
    .await
}

/// The estimate of deal `deal_id` of the workspace: minutes by skill, by skill id.
pub async fn estimate_lines<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    deal_id: i64,
) -> Result<Vec<DemandLine>, sqlx::Error> {
    let lines: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT skill_id, minutes FROM deal_estimate_lines WHERE deal_id = $1 AND workspace_id = $2 ORDER BY skill_id",
    )
    .bind(deal_id)
    .bind(workspace_id)
    .fetch_all(conn)
    .await?;
    Ok(lines
        .into_iter()
        .map(|(skill, minutes)| DemandLine { skill, minutes })
        .collect())
}

/// The workspace's active people with each of their skills, by name: (person id, name,
/// skill id), one row per person and skill.
pub async fn skilled_people<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
) -> Result<Vec<(i64, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.id, p.name, ps.skill_id FROM people p JOIN person_skills ps ON ps.person_id = p.id
         WHERE p.workspace_id = $1 AND p.active = 1 ORDER BY p.name, p.id",
    )
    .bind(workspace_id)
    .fetch_all(conn)
    .await
}

/// The project an earlier close with idempotency key `key` spawned, in any workspace:
/// (project id, workspace id, deal id, close fingerprint).
pub async fn close_by_key<'e>(
    conn: impl crate::server::db::Executor<'e>,
    key: &str,
) -> Result<Option<(i64, i64, Option<i64>, Option<String>)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, workspace_id, deal_id, close_fingerprint FROM projects WHERE close_key = $1",
    )
    .bind(key)
    .fetch_optional(conn)
    .await
}

/// Moves deal `deal_id` into the Won stage of `entry`, starting on `starts_on`, if it
/// still has `version`; whether it did.
pub async fn win_deal<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    deal_id: i64,
    version: i64,
    entry: StageEntry,
    starts_on: Date,
) -> Result<bool, sqlx::Error> {
    let updated = sqlx::query(
        "UPDATE deals SET stage_id = $1, stage_entered_at = $2, updated_at = $2, closed_at = $2,
                          lost_reason = NULL, planned_start_on = $3, furthest_stage_id = $4,
                          progressed_at = $5, version = version + 1
         WHERE id = $6 AND workspace_id = $7 AND version = $8",
    )
    .bind(entry.stage_id)
    .bind(entry.at)
    .bind(starts_on.to_string())
    .bind(entry.progress.furthest.id)
    .bind(entry.progress.progressed_at)
    .bind(deal_id)
    .bind(workspace_id)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// The project a close spawns, as stored.
pub struct NewProject<'a> {
    /// The workspace.
    pub workspace_id: i64,
    /// The deal it comes from.
    pub deal_id: i64,
    /// The deal's client.
    pub client_id: i64,
    /// Its name.
    pub name: &'a str,
    /// Budget (the deal's value), minor units.
    pub budget_minor: i64,
    /// First day.
    pub starts_on: Date,
    /// Last day.
    pub ends_on: Date,
    /// Status as stored.
    pub status: &'a str,
    /// The brief: (goals, priorities, context).
    pub brief: &'a (String, String, String),
    /// The check report, as JSON.
    pub check_report: &'a str,
    /// Why a blocked close went ahead, if it was blocked.
    pub override_reason: &'a Option<String>,
    /// The close's idempotency key.
    pub close_key: &'a str,
    /// Digest of what the close asked for.
    pub close_fingerprint: &'a str,
    /// When, Unix ms.
    pub created_at: i64,
}

/// Stores `project` (no project manager yet); its id.
pub async fn insert_project<'e>(
    conn: impl crate::server::db::Executor<'e>,
    project: &NewProject<'_>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO projects (workspace_id, deal_id, client_id, name, budget_minor, starts_on,
                               ends_on, pm_user_id, status, brief_goals, brief_priorities,
                               brief_context, check_report, override_reason, close_key,
                               close_fingerprint, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         RETURNING id",
    )
    .bind(project.workspace_id)
    .bind(project.deal_id)
    .bind(project.client_id)
    .bind(project.name)
    .bind(project.budget_minor)
    .bind(project.starts_on.to_string())
    .bind(project.ends_on.to_string())
    .bind(project.status)
    .bind(&project.brief.0)
    .bind(&project.brief.1)
    .bind(&project.brief.2)
    .bind(project.check_report)
    .bind(project.override_reason)
    .bind(project.close_key)
    .bind(project.close_fingerprint)
    .bind(project.created_at)
    .fetch_one(conn)
    .await
}

/// Removes the allocations of deal `deal_id` (its tentative staffing).
pub async fn clear_deal_allocations<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    deal_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM allocations WHERE deal_id = $1 AND workspace_id = $2")
        .bind(deal_id)
        .bind(workspace_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Inserts the project's confirmed allocations, `(person id, week, minutes)` each, with
/// one statement per 100 rows (one round trip each instead of one per row).
pub async fn insert_allocations(
    conn: &mut crate::server::db::Conn,
    workspace_id: i64,
    project_id: i64,
    cells: &[(i64, Date, i64)],
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    for chunk in cells.chunks(100) {
        let mut sql = String::from(
            "INSERT INTO allocations (workspace_id, person_id, project_id, week, minutes, created_at) VALUES ",
        );
        for n in 0..chunk.len() {
            let p = n * 3;
            if n > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("($1, ${}, $2, ${}, ${}, $3)", p + 4, p + 5, p + 6));
        }
        let mut query = sqlx::query(&sql)
            .bind(workspace_id)
            .bind(project_id)
            .bind(now_ms);
        for &(person_id, week, minutes) in chunk {
            query = query.bind(person_id).bind(week.to_string()).bind(minutes);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}
