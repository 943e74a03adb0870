//! Change requests in the database: loading one for review or decision, a project's
//! history of them, proposing one and deciding it. Every query is scoped by
//! `workspace_id`.

use crate::domain::calendar::{Date, Today};
use crate::domain::capacity::{CapacityVerdict, Demand, DemandLine, StaffingLine};
use crate::error::AppError;
use crate::server::close_repo;
use crate::server::db::Conn;
use crate::shared::project::ChangeRow;

/// A change request with its project, loaded for review or decision.
pub struct LoadedChange {
    /// The project it asks more of.
    pub project_id: i64,
    /// Its version.
    pub version: i64,
    /// `proposed`, `approved` or `rejected`.
    pub status: String,
    /// Extra value, minor units.
    pub extra_value_minor: i64,
    /// The project's budget now, minor units.
    pub budget_minor: i64,
    /// The project's status.
    pub project_status: String,
    /// Week 0: the first day of this week.
    pub first_week: Date,
    /// The week the extra work starts in.
    pub start_week: u32,
    /// The extra hours over the project's remaining weeks.
    pub demand: Demand,
    /// The workspace's margin target, basis points.
    pub target_bp: i64,
    /// The workspace's margin floor, basis points.
    pub floor_bp: i64,
}

/// Change request `id` of the workspace with its project, its extra hours spread over the
/// project's remaining weeks, and the workspace's margin targets.
pub async fn load(
    conn: &mut Conn,
    workspace_id: i64,
    id: i64,
    today: Today,
) -> Result<LoadedChange, AppError> {
    type Row = (i64, i64, String, i64, i64, String, String, String);
    let row: Option<Row> = sqlx::query_as(
        "SELECT c.project_id, c.version, c.status, c.extra_value_minor, p.budget_minor,
                    p.status, p.starts_on, p.ends_on
             FROM change_requests c JOIN projects p ON p.id = c.project_id
             WHERE c.id = $1 AND c.workspace_id = $2",
    )
    .bind(id)
    .bind(workspace_id)
    .fetch_optional(&mut *conn)
    .await?;
    let (project_id, version, status, extra, budget, project_status, starts, ends) =
        row.ok_or(AppError::NotFound)?;
    let lines: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT skill_id, minutes FROM change_request_lines
             WHERE change_request_id = $1 AND workspace_id = $2 ORDER BY skill_id",
    )
    .bind(id)
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    let first_week = today.this_week();
    let (start_week, weeks) = remaining_weeks(today, &starts, &ends);
    let (_, target_bp, floor_bp) = close_repo::targets(&mut *conn, workspace_id).await?;
    Ok(LoadedChange {
        target_bp,
        floor_bp,
        project_id,
        version,
        status,
        extra_value_minor: extra,
        budget_minor: budget,
        project_status,
        first_week,
        start_week,
        demand: Demand {
            lines: lines
                .into_iter()
                .map(|(skill, minutes)| DemandLine { skill, minutes })
                .collect(),
            weeks,
        },
    })
}

/// The weeks extra work fits in: from this week (or the project's first week, if
/// later) to the project's last week; at least one, at most 104.
pub fn remaining_weeks(today: Today, starts: &str, ends: &str) -> (u32, u32) {
    let first_week = today.this_week();
    let index = |text: &str| {
        Date::parse(text)
            .map(|d| first_week.days_until(today.week_of(d)) / 7)
            .unwrap_or(0)
    };
    let start = index(starts).clamp(0, 104);
    let end = index(ends);
    let weeks = (end - start + 1).clamp(1, 104);
    (start as u32, weeks as u32)
}

/// Skill and person names of the workspace: (skills, people), each (id, name).
pub async fn names(
    conn: &mut Conn,
    workspace_id: i64,
) -> Result<(Vec<(i64, String)>, Vec<(i64, String)>), sqlx::Error> {
    let skills = crate::server::skill_repo::all(&mut *conn, workspace_id).await?;
    let people = sqlx::query_as("SELECT id, name FROM people WHERE workspace_id = $1")
        .bind(workspace_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok((skills, people))
}

/// The name of `id` among `names`, or `#id` when it is not there.
pub fn name_of(names: &[(i64, String)], id: i64) -> String {
    names
        .iter()
        .find(|(i, _)| *i == id)
        .map(|(_, n)| n.clone())
        .unwrap_or_else(|| format!("#{id}"))
}

/// The history of a project's change requests, newest first, with every amount as
/// stored (the caller hides what the viewer may not see).
pub async fn history(
    conn: &mut Conn,
    workspace_id: i64,
    project_id: i64,
) -> Result<Vec<ChangeRow>, sqlx::Error> {
    type Row = (
        i64,
        i64,
        String,
        i64,
        String,
        String,
        i64,
        Option<String>,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
        crate::server::db::Flag,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT c.id, c.version, c.description, c.extra_value_minor, c.status, u.name,
                    c.created_at, d.name, c.decided_at, c.decision_reason, c.override_reason,
                    c.check_report, c.allocations_added = 1
             FROM change_requests c JOIN users u ON u.id = c.proposed_by
             LEFT JOIN users d ON d.id = c.decided_by
             WHERE c.project_id = $1 AND c.workspace_id = $2
             ORDER BY c.created_at DESC, c.id DESC",
    )
    .bind(project_id)
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    let lines: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT l.change_request_id, s.name, l.minutes FROM change_request_lines l
             JOIN change_requests c ON c.id = l.change_request_id
             JOIN skills s ON s.id = l.skill_id
             WHERE c.project_id = $1 AND l.workspace_id = $2 ORDER BY s.name",
    )
    .bind(project_id)
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ChangeRow {
            id: r.0,
            version: r.1,
            description: r.2,
            extra_value_minor: Some(r.3),
            hours: lines
                .iter()
                .filter(|l| l.0 == r.0)
                .map(|l| (l.1.clone(), l.2))
                .collect(),
            status: r.4,
            proposed_by: r.5,
            created_at: r.6,
            decided_by: r.7,
            decided_at: r.8,
            decision_reason: r.9,
            override_reason: r.10,
            verdicts: r
                .11
                .and_then(|j| serde_json::from_str::<(CapacityVerdict, Option<i64>)>(&j).ok()),
            allocations_added: r.12.into(),
        })
        .collect())
}

/// Whether `skill_id` is a skill of the workspace.
pub async fn is_skill(
    conn: &mut Conn,
    workspace_id: i64,
    skill_id: i64,
) -> Result<bool, sqlx::Error> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM skills WHERE id = $1 AND workspace_id = $2")
            .bind(skill_id)
            .bind(workspace_id)
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

/// A change request about to be proposed.
pub struct NewChange<'a> {
    /// The project it asks more of.
    pub project_id: i64,
    /// What is asked for (validated).
    pub description: &'a str,
    /// Extra value, minor units.
    pub extra_value_minor: i64,
    /// Who proposes it.
    pub proposed_by: i64,
    /// Extra hours: (skill id, minutes), skills of the workspace.
    pub minutes: &'a [(i64, i64)],
}

/// Adds a proposed change request with its extra hours, in the caller's transaction;
/// returns its id.
pub async fn insert(
    conn: &mut Conn,
    workspace_id: i64,
    change: NewChange<'_>,
    now_ms: i64,
) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO change_requests (workspace_id, project_id, description, extra_value_minor,
                                      proposed_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(workspace_id)
    .bind(change.project_id)
    .bind(change.description)
    .bind(change.extra_value_minor)
    .bind(change.proposed_by)
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await?;
    for (skill_id, m) in change.minutes {
        sqlx::query(
            "INSERT INTO change_request_lines (workspace_id, change_request_id, skill_id, minutes)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(workspace_id)
        .bind(id)
        .bind(skill_id)
        .bind(m)
        .execute(&mut *conn)
        .await?;
    }
    Ok(id)
}

/// Books the staffing of an approved change on its project, adding to what each person
/// already has on it in that week (`first_week` is week 0 of the staffing).
pub async fn book_staffing(
    conn: &mut Conn,
    workspace_id: i64,
    project_id: i64,
    first_week: Date,
    staffing: &[StaffingLine],
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    for line in staffing {
        let week = first_week.add_days(7 * line.week as i32).to_string();
        sqlx::query(
            "INSERT INTO allocations (workspace_id, person_id, project_id, week, minutes, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (person_id, project_id, week) WHERE project_id IS NOT NULL
                     DO UPDATE SET minutes = allocations.minutes + excluded.minutes,
                                   version = allocations.version + 1",
        )
        .bind(workspace_id)
        .bind(line.person_id)
        .bind(project_id)
        .bind(week)
        .bind(line.minutes)
        .bind(now_ms)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// How a change request is approved.
pub struct Approval<'a> {
    /// Who approves it.
    pub decided_by: i64,
    /// Why it is approved although a check blocks it.
    pub override_reason: Option<&'a str>,
    /// The verdicts at approval: capacity, margin of the revised budget.
    pub verdicts: (CapacityVerdict, Option<i64>),
    /// Whether its staffing was booked on the project.
    pub allocations_added: bool,
}

/// Marks change request `change_id` approved if it is still proposed at `version`;
/// `false` when someone else decided or changed it meanwhile.
pub async fn approve(
    conn: &mut Conn,
    workspace_id: i64,
    change_id: i64,
    version: i64,
    approval: Approval<'_>,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let verdicts = serde_json::json!([approval.verdicts.0, approval.verdicts.1]);
    let decided = sqlx::query(
        "UPDATE change_requests SET status = 'approved', decided_by = $1, decided_at = $2,
                    override_reason = $3, check_report = $4, allocations_added = $5,
                    version = version + 1
             WHERE id = $6 AND workspace_id = $7 AND version = $8 AND status = 'proposed'",
    )
    .bind(approval.decided_by)
    .bind(now_ms)
    .bind(approval.override_reason)
    .bind(verdicts.to_string())
    .bind(i64::from(approval.allocations_added))
    .bind(change_id)
    .bind(workspace_id)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(decided.rows_affected() == 1)
}

/// Marks change request `change_id` rejected by `decided_by` for `reason` if it is still
/// proposed at `version`; `false` when someone else decided or changed it meanwhile.
pub async fn reject(
    conn: &mut Conn,
    workspace_id: i64,
    change_id: i64,
    version: i64,
    decided_by: i64,
    reason: &str,
    now_ms: i64,
) -> Result<bool, sqlx::Error> {
    let decided = sqlx::query(
        "UPDATE change_requests SET status = 'rejected', decided_by = $1, decided_at = $2,
                    decision_reason = $3, version = version + 1
             WHERE id = $4 AND workspace_id = $5 AND version = $6 AND status = 'proposed'",
    )
    .bind(decided_by)
    .bind(now_ms)
    .bind(reason)
    .bind(change_id)
    .bind(workspace_id)
    .bind(version)
    .execute(conn)
    .await?;
    Ok(decided.rows_affected() == 1)
}
