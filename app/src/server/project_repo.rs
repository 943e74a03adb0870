//! Projects in the database: the list, one project with its staffing and logged time, its
//! project manager, its budget, and removing it when its deal is reopened. Every query is
//! scoped by `workspace_id`, except where a project already found in the workspace is
//! counted by its id.

use crate::error::AppError;
use crate::server::db;
use crate::server::db::{Conn, Pool};
use crate::server::deal_repo::StageEntry;
use crate::shared::close::CheckReport;
use crate::shared::project::ProjectRow;

/// Every project of the workspace, newest first, budgets included and not yet at risk.
pub async fn list<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
) -> Result<Vec<ProjectRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.id, p.name, p.client_id, c.name AS client_name, u.name AS pm_name, p.starts_on,
                p.ends_on, p.budget_minor, p.status, p.override_reason IS NOT NULL AS overridden
         FROM projects p JOIN clients c ON c.id = p.client_id
         LEFT JOIN users u ON u.id = p.pm_user_id
         WHERE p.workspace_id = $1
         ORDER BY p.created_at DESC, p.id DESC",
    )
    .bind(workspace_id)
    .fetch_all(conn)
    .await
}

/// What a project's page shows besides its list line.
pub struct ProjectFacts {
    /// Version, for editing.
    pub version: i64,
    /// The deal it came from, if any.
    pub deal_id: Option<i64>,
    /// The brief: goals.
    pub brief_goals: String,
    /// The brief: priorities.
    pub brief_priorities: String,
    /// The brief: context.
    pub brief_context: String,
    /// The project manager's user id.
    pub pm_user_id: Option<i64>,
    /// The checks at close, cost included.
    pub check_report: Option<CheckReport>,
    /// Why a blocked close went ahead.
    pub override_reason: Option<String>,
}

/// Project `project_id` of the workspace: its list line (budget included, not yet at
/// risk) and the rest of what its page shows; `None` when there is no such project.
pub async fn detail(
    pool: &Pool,
    workspace_id: i64,
    project_id: i64,
) -> Result<Option<(ProjectRow, ProjectFacts)>, sqlx::Error> {
    let row: Option<ProjectRow> = sqlx::query_as(
        "SELECT p.id, p.name, p.client_id, c.name AS client_name, u.name AS pm_name, p.starts_on,
                p.ends_on, p.budget_minor, p.status, p.override_reason IS NOT NULL AS overridden
         FROM projects p JOIN clients c ON c.id = p.client_id
         LEFT JOIN users u ON u.id = p.pm_user_id
         WHERE p.id = $1 AND p.workspace_id = $2",
    )
    .bind(project_id)
    .bind(workspace_id)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    type Facts = (
        i64,
        Option<i64>,
        String,
        String,
        String,
        Option<i64>,
        Option<String>,
        Option<String>,
    );
    // The project was found in the workspace just above.
    let (version, deal_id, goals, priorities, context, pm_user_id, report, override_reason): Facts =
        sqlx::query_as(
            "SELECT version, deal_id, brief_goals, brief_priorities, brief_context, pm_user_id,
                    check_report, override_reason
             FROM projects WHERE id = $1 AND workspace_id = $2",
        )
        .bind(project_id)
        .bind(workspace_id)
        .fetch_one(pool)
        .await?;
    let facts = ProjectFacts {
        version,
        deal_id,
        brief_goals: goals,
        brief_priorities: priorities,
        brief_context: context,
        pm_user_id,
        check_report: report.and_then(|r| serde_json::from_str(&r).ok()),
        override_reason,
    };
    Ok(Some((row, facts)))
}

/// The deal a project came from, if it is still a deal of the workspace: (id, title,
/// version).
pub async fn source_deal<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    deal_id: i64,
) -> Result<Option<(i64, String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT id, title, version FROM deals WHERE id = $1 AND workspace_id = $2")
        .bind(deal_id)
        .bind(workspace_id)
        .fetch_optional(conn)
        .await
}

/// Who is booked on the project, week by week: (person id, name, week, minutes), by
/// name, then week.
pub async fn staffing<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    project_id: i64,
) -> Result<Vec<(i64, String, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.person_id, p.name, a.week, a.minutes FROM allocations a
         JOIN people p ON p.id = a.person_id
         WHERE a.project_id = $1 AND a.workspace_id = $2
         ORDER BY p.name, a.week",
    )
    .bind(project_id)
    .bind(workspace_id)
    .fetch_all(conn)
    .await
}

/// Minutes of time logged on the project.
pub async fn logged_minutes<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    project_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(minutes), 0) AS BIGINT) FROM time_entries WHERE project_id = $1 AND workspace_id = $2",
    )
    .bind(project_id)
    .bind(workspace_id)
    .fetch_one(conn)
    .await
}

/// The status of project `project_id` of the workspace, if there is one.
pub async fn status(
    conn: &mut Conn,
    workspace_id: i64,
    project_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT status FROM projects WHERE id = $1 AND workspace_id = $2")
        .bind(project_id)
        .bind(workspace_id)
        .fetch_optional(conn)
        .await
}

/// Adds `extra_minor` to the project's budget (an approved change).
pub async fn add_to_budget(
    conn: &mut Conn,
    workspace_id: i64,
    project_id: i64,
    extra_minor: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE projects SET budget_minor = budget_minor + $1, version = version + 1
             WHERE id = $2 AND workspace_id = $3",
    )
    .bind(extra_minor)
    .bind(project_id)
    .bind(workspace_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The project's version and its project manager's user id, if there is such a project.
pub async fn pm(
    conn: &mut Conn,
    workspace_id: i64,
    project_id: i64,
) -> Result<Option<(i64, Option<i64>)>, sqlx::Error> {
    sqlx::query_as("SELECT version, pm_user_id FROM projects WHERE id = $1 AND workspace_id = $2")
        .bind(project_id)
        .bind(workspace_id)
        .fetch_optional(conn)
        .await
}

/// Makes `pm` (nobody for `None`) the project's manager if the project still has
/// `version`; otherwise the conflict.
pub async fn set_pm(
    conn: &mut Conn,
    workspace_id: i64,
    project_id: i64,
    version: i64,
    pm: Option<i64>,
) -> Result<(), AppError> {
    db::changed_one(
        sqlx::query(
            "UPDATE projects SET pm_user_id = $1, version = version + 1
             WHERE id = $2 AND workspace_id = $3 AND version = $4",
        )
        .bind(pm)
        .bind(project_id)
        .bind(workspace_id)
        .bind(version)
        .execute(conn)
        .await?,
        "project",
    )
}

/// The deal a project came from (if any) and the project's name, if there is such a
/// project in the workspace.
pub async fn origin(
    conn: &mut Conn,
    workspace_id: i64,
    project_id: i64,
) -> Result<Option<(Option<i64>, String)>, sqlx::Error> {
    sqlx::query_as("SELECT deal_id, name FROM projects WHERE id = $1 AND workspace_id = $2")
        .bind(project_id)
        .bind(workspace_id)
        .fetch_optional(conn)
        .await
}

/// What hangs on a project already found in the workspace: (time entries, change
/// requests + status updates + share links).
pub async fn dependents(
    conn: &mut Conn,
    workspace_id: i64,
    project_id: i64,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM time_entries WHERE project_id = $1 AND workspace_id = $2),
                (SELECT COUNT(*) FROM change_requests WHERE project_id = $1 AND workspace_id = $2)
                  + (SELECT COUNT(*) FROM status_updates WHERE project_id = $1 AND workspace_id = $2)
                  + (SELECT COUNT(*) FROM share_links WHERE project_id = $1 AND workspace_id = $2)",
    )
    .bind(project_id)
    .bind(workspace_id)
    .fetch_one(conn)
    .await
}

/// Removes the project and its allocations.
pub async fn delete(
    conn: &mut Conn,
    workspace_id: i64,
    project_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM allocations WHERE project_id = $1 AND workspace_id = $2")
        .bind(project_id)
        .bind(workspace_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM projects WHERE id = $1 AND workspace_id = $2")
        .bind(project_id)
        .bind(workspace_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Moves the deal a removed project came from back into the open stage of `entry`, if
/// the deal still has `version`; otherwise the conflict.
pub async fn reopen_deal(
    conn: &mut Conn,
    workspace_id: i64,
    deal_id: i64,
    version: i64,
    entry: StageEntry,
) -> Result<(), AppError> {
    db::changed_one(
        sqlx::query(
            "UPDATE deals SET stage_id = $1, stage_entered_at = $2, updated_at = $2, closed_at = NULL,
                              furthest_stage_id = $3, progressed_at = $4, version = version + 1
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
        .await?,
        "deal",
    )
}
