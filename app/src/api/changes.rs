//! Change requests: extra scope on a project, proposed by an account manager or a project
//! manager ("edit deals" or "manage projects"), reviewed against capacity and margin, and
//! approved or rejected by a project manager ("manage projects"). Approving what is short
//! or under the floor needs "override checks" and a written reason.

use crate::domain::capacity::CapacityVerdict;
use crate::domain::margin::MarginVerdict;
use crate::error::AppError;
use leptos::prelude::*;

/// One change request in a project's history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChangeRow {
    /// Id.
    pub id: i64,
    /// Version, for deciding.
    pub version: i64,
    /// What is asked for.
    pub description: String,
    /// Extra value, minor units (hidden without "view deal values").
    pub extra_value_minor: Option<i64>,
    /// Extra hours: (skill name, minutes).
    pub hours: Vec<(String, i64)>,
    /// `proposed`, `approved` or `rejected`.
    pub status: String,
    /// Who proposed it.
    pub proposed_by: String,
    /// When, Unix ms.
    pub created_at: i64,
    /// Who decided, if decided.
    pub decided_by: Option<String>,
    /// When, Unix ms.
    pub decided_at: Option<i64>,
    /// Why it was rejected.
    pub decision_reason: Option<String>,
    /// Why a blocked change was approved anyway.
    pub override_reason: Option<String>,
    /// The verdicts when decided: capacity, margin of the revised budget.
    pub verdicts: Option<(CapacityVerdict, Option<i64>)>,
    /// Whether its staffing was added to the planner on approval.
    pub allocations_added: bool,
}

/// One skill in one week of the extra work.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChangeCell {
    /// Skill name.
    pub skill: String,
    /// First day of the week.
    pub week: String,
    /// Minutes asked for.
    pub demand: i64,
    /// Minutes the suggested staffing covers.
    pub staffed: i64,
    /// Minutes nobody can cover.
    pub shortfall: i64,
}

/// The review of a proposed change, as the caller may see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChangeReviewView {
    /// The change request.
    pub id: i64,
    /// Its version.
    pub version: i64,
    /// First day of the first week the extra work is planned in.
    pub start_on: String,
    /// Weeks it is spread over (the project's remaining weeks).
    pub weeks: u32,
    /// Fits, tight or short.
    pub capacity: CapacityVerdict,
    /// Per skill and week.
    pub cells: Vec<ChangeCell>,
    /// Suggested staffing: (person, skill, week, minutes).
    pub staffing: Vec<(String, String, String, i64)>,
    /// Margin of the revised budget, basis points.
    pub margin_bp: Option<i64>,
    /// Pass, warn or block.
    pub margin: MarginVerdict,
    /// Workspace target, basis points.
    pub target_bp: i64,
    /// Workspace floor, basis points.
    pub floor_bp: i64,
    /// Budget now (with "view deal values").
    pub budget_minor: Option<i64>,
    /// Budget after approval (with "view deal values").
    pub revised_budget_minor: Option<i64>,
    /// Cost of the extra work (with "view cost rates").
    pub extra_cost_minor: Option<i64>,
    /// Forecast cost after approval (with "view cost rates").
    pub revised_cost_minor: Option<i64>,
    /// Whether approving needs an override.
    pub needs_override: bool,
    /// What blocks approval.
    pub blockers: Vec<String>,
    /// Whether the caller may decide.
    pub can_decide: bool,
    /// Whether the caller may override.
    pub can_override: bool,
}

#[cfg(feature = "ssr")]
mod repo {
    use super::*;
    use crate::domain::calendar::Date;
    use crate::domain::capacity::{Demand, DemandLine};
    use crate::domain::change::{review, ChangeReview};
    use crate::server::close_repo;
    use crate::server::context::{self, Caller};
    use sqlx::SqliteConnection;

    /// A change request with its project, loaded for review or decision.
    pub struct Loaded {
        pub project_id: i64,
        pub version: i64,
        pub status: String,
        pub extra_value_minor: i64,
        pub budget_minor: i64,
        pub project_status: String,
        pub first_week: Date,
        pub start_week: u32,
        pub demand: Demand,
        /// The workspace's margin target and floor, basis points.
        pub target_bp: i64,
        pub floor_bp: i64,
    }

    /// Loads change request `id` of the caller's workspace.
    pub async fn load(
        conn: &mut SqliteConnection,
        caller: &Caller,
        id: i64,
        now_ms: i64,
    ) -> Result<Loaded, AppError> {
        type Row = (i64, i64, String, i64, i64, String, String, String);
        let row: Option<Row> = sqlx::query_as(
            "SELECT c.project_id, c.version, c.status, c.extra_value_minor, p.budget_minor,
                    p.status, p.starts_on, p.ends_on
             FROM change_requests c JOIN projects p ON p.id = c.project_id
             WHERE c.id = $1 AND c.workspace_id = $2",
        )
        .bind(id)
        .bind(caller.workspace_id)
        .fetch_optional(&mut *conn)
        .await?;
        let (project_id, version, status, extra, budget, project_status, starts, ends) =
            row.ok_or(AppError::NotFound)?;
        let lines: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT skill_id, minutes FROM change_request_lines
             WHERE change_request_id = $1 AND workspace_id = $2 ORDER BY skill_id",
        )
        .bind(id)
        .bind(caller.workspace_id)
        .fetch_all(&mut *conn)
        .await?;
        let first_week = close_repo::first_week(now_ms);
        let (start_week, weeks) = remaining_weeks(first_week, &starts, &ends);
        let (_, target_bp, floor_bp) = close_repo::targets(&mut *conn, caller.workspace_id).await?;
        Ok(Loaded {
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
    pub fn remaining_weeks(first_week: Date, starts: &str, ends: &str) -> (u32, u32) {
        let index = |text: &str| {
            Date::parse(text)
                .map(|d| first_week.days_until(d.week_start(1)) / 7)
                .unwrap_or(0)
        };
        let start = index(starts).clamp(0, 104);
        let end = index(ends);
        let weeks = (end - start + 1).clamp(1, 104);
        (start as u32, weeks as u32)
    }

    /// Reviews `loaded` against the team's confirmed work and the project's forecast.
    pub async fn review_of(
        conn: &mut SqliteConnection,
        caller: &Caller,
        loaded: &Loaded,
        now_ms: i64,
    ) -> Result<ChangeReview, AppError> {
        let today = Date::from_unix_ms(now_ms);
        let forecast_cost = crate::server::burn_repo::burns(
            &mut *conn,
            caller.workspace_id,
            Some(loaded.project_id),
            today,
        )
        .await?
        .remove(&loaded.project_id)
        .map(|b| b.forecast_cost_minor)
        .unwrap_or(0);
        let state = context::state()?;
        state
            .capacity
            .with(
                &mut *conn,
                caller.workspace_id,
                loaded.first_week,
                |snapshot| {
                    review(
                        &snapshot.engine,
                        &loaded.demand,
                        loaded.start_week,
                        loaded.budget_minor,
                        forecast_cost,
                        loaded.extra_value_minor,
                        loaded.target_bp,
                        loaded.floor_bp,
                    )
                },
            )
            .await?
            .map_err(AppError::from)
    }

    /// Skill and person names of the workspace.
    pub async fn names(
        conn: &mut SqliteConnection,
        workspace_id: i64,
    ) -> Result<(Vec<(i64, String)>, Vec<(i64, String)>), AppError> {
        let skills = sqlx::query_as("SELECT id, name FROM skills WHERE workspace_id = $1")
            .bind(workspace_id)
            .fetch_all(&mut *conn)
            .await?;
        let people = sqlx::query_as("SELECT id, name FROM people WHERE workspace_id = $1")
            .bind(workspace_id)
            .fetch_all(&mut *conn)
            .await?;
        Ok((skills, people))
    }

    pub fn name_of(names: &[(i64, String)], id: i64) -> String {
        names
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| format!("#{id}"))
    }

    /// The history of a project's change requests, money as the caller may see it.
    pub async fn history(
        conn: &mut SqliteConnection,
        caller: &Caller,
        project_id: i64,
    ) -> Result<Vec<ChangeRow>, AppError> {
        use crate::domain::permissions::Permission;
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
            bool,
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
        .bind(caller.workspace_id)
        .fetch_all(&mut *conn)
        .await?;
        let lines: Vec<(i64, String, i64)> = sqlx::query_as(
            "SELECT l.change_request_id, s.name, l.minutes FROM change_request_lines l
             JOIN change_requests c ON c.id = l.change_request_id
             JOIN skills s ON s.id = l.skill_id
             WHERE c.project_id = $1 AND l.workspace_id = $2 ORDER BY s.name",
        )
        .bind(project_id)
        .bind(caller.workspace_id)
        .fetch_all(&mut *conn)
        .await?;
        let values = caller.can(Permission::ViewDealValues);
        let costs = caller.permissions.sees_cost_amounts();
        Ok(rows
            .into_iter()
            .map(|r| ChangeRow {
                id: r.0,
                version: r.1,
                description: r.2,
                extra_value_minor: values.then_some(r.3),
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
                    .and_then(|j| serde_json::from_str::<(CapacityVerdict, Option<i64>)>(&j).ok())
                    .map(|(capacity, bp)| (capacity, bp.filter(|_| costs))),
                allocations_added: r.12,
            })
            .collect())
    }
}

#[cfg(feature = "ssr")]
pub use repo::{history, remaining_weeks};

/// Proposes extra scope on a project: a description, extra value (major units, empty for
/// none) and extra hours per skill (`hours[<skill_id>]`). Needs "edit deals" or "manage
/// projects". Answers the new change request's id.
#[server(endpoint = "propose_change")]
pub async fn propose_change(
    project_id: i64,
    description: String,
    #[server(default)] extra_value: String,
    #[server(default)] hours: std::collections::BTreeMap<String, String>,
) -> Result<i64, AppError> {
    use crate::api::live::LiveEvent;
    use crate::domain::money::Currency;
    use crate::domain::validate;
    use crate::server::{close_repo, context, events};

    let caller = context::caller().await?;
    caller.require_client_contact()?;
    let description = validate::required_text("description", &description, 4000)?;
    let mut minutes = Vec::new();
    for (skill, text) in &hours {
        let skill_id = skill.parse::<i64>().map_err(|_| {
            AppError::invalid("hours", "names a skill this workspace does not have")
        })?;
        let m = validate::hours("hours", text, 10_000)?;
        if m > 0 {
            minutes.push((skill_id, m));
        }
    }
    if minutes.is_empty() {
        return Err(AppError::invalid(
            "hours",
            "name the extra hours of at least one skill",
        ));
    }
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write().await?;
    let (currency, ..) = close_repo::targets(&mut tx, caller.workspace_id).await?;
    let extra_value_minor = match extra_value.trim() {
        "" => 0,
        text => validate::amount("extra_value", text, &Currency::new(&currency))?,
    };
    let project: Option<String> =
        sqlx::query_scalar("SELECT status FROM projects WHERE id = $1 AND workspace_id = $2")
            .bind(project_id)
            .bind(caller.workspace_id)
            .fetch_optional(&mut *tx)
            .await?;
    let status = project.ok_or(AppError::NotFound)?;
    if crate::domain::project::ProjectStatus::stored_is_over(&status) {
        return Err(AppError::invalid(
            "project",
            format!("is {status}; changes can only be proposed on running projects"),
        ));
    }
    for (skill_id, _) in &minutes {
        let ok: Option<i64> =
            sqlx::query_scalar("SELECT id FROM skills WHERE id = $1 AND workspace_id = $2")
                .bind(skill_id)
                .bind(caller.workspace_id)
                .fetch_optional(&mut *tx)
                .await?;
        ok.ok_or_else(|| AppError::invalid("hours", "names a skill this workspace does not have"))?;
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO change_requests (workspace_id, project_id, description, extra_value_minor,
                                      proposed_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(caller.workspace_id)
    .bind(project_id)
    .bind(&description)
    .bind(extra_value_minor)
    .bind(caller.user_id)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    for (skill_id, m) in &minutes {
        sqlx::query(
            "INSERT INTO change_request_lines (workspace_id, change_request_id, skill_id, minutes)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(caller.workspace_id)
        .bind(id)
        .bind(skill_id)
        .bind(m)
        .execute(&mut *tx)
        .await?;
    }
    let seq = events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "project",
            entity_id: project_id,
            action: "change_proposed",
            before: None,
            after: Some(serde_json::json!({
                "change_request": id,
                "description": description,
                "extra_value_minor": extra_value_minor,
                "hours": minutes.iter().map(|(s, m)| serde_json::json!({ "skill_id": s, "minutes": m })).collect::<Vec<_>>(),
            })),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    state
        .live
        .publish(caller.workspace_id, LiveEvent::Projects { seq });
    Ok(id)
}

/// Reviews a proposed change: capacity for the extra hours in the project's remaining
/// weeks and the margin of the revised budget. Needs "view pipeline"; amounts follow the
/// money permissions.
#[server(endpoint = "review_change")]
pub async fn review_change(change_id: i64) -> Result<ChangeReviewView, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::context;

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    let pool = context::pool()?;
    let now = context::now_ms();
    let mut conn = pool.acquire().await?;
    let loaded = repo::load(&mut conn, &caller, change_id, now).await?;
    if loaded.status != "proposed" {
        return Err(AppError::Conflict(format!(
            "this change request was already {}",
            loaded.status
        )));
    }
    let review = repo::review_of(&mut conn, &caller, &loaded, now).await?;
    let (skills, people) = repo::names(&mut conn, caller.workspace_id).await?;
    let week = |w: u32| loaded.first_week.add_days(7 * w as i32).to_string();
    let values = caller.can(Permission::ViewDealValues);
    // Cost figures and the margin they leave: only for those who may see both.
    let cost_amounts = caller.permissions.sees_cost_amounts();
    Ok(ChangeReviewView {
        id: change_id,
        version: loaded.version,
        start_on: week(loaded.start_week),
        weeks: loaded.demand.weeks,
        capacity: review.capacity.verdict,
        cells: review
            .capacity
            .cells
            .iter()
            .map(|c| ChangeCell {
                skill: repo::name_of(&skills, c.skill),
                week: week(c.week),
                demand: c.demand,
                staffed: c.staffed,
                shortfall: c.shortfall,
            })
            .collect(),
        staffing: review
            .capacity
            .staffing
            .iter()
            .map(|l| {
                (
                    repo::name_of(&people, l.person_id),
                    repo::name_of(&skills, l.skill),
                    week(l.week),
                    l.minutes,
                )
            })
            .collect(),
        margin_bp: review.margin.margin_bp.filter(|_| cost_amounts),
        margin: review.margin.verdict,
        target_bp: loaded.target_bp,
        floor_bp: loaded.floor_bp,
        budget_minor: values.then_some(loaded.budget_minor),
        revised_budget_minor: values.then_some(review.revised_budget_minor),
        extra_cost_minor: cost_amounts.then_some(review.extra_cost_minor),
        revised_cost_minor: cost_amounts.then_some(review.revised_cost_minor),
        needs_override: review.needs_override(),
        blockers: review.blockers(cost_amounts),
        can_decide: caller.can(Permission::ManageProjects),
        can_override: caller.can(Permission::OverrideChecks),
    })
}

/// Approves (`decision = approve`) or rejects (`decision = reject`, with a `reason`) a
/// proposed change. Approval re-runs the review; if it is short or under the floor it
/// needs "override checks" and an `override_reason` of 10+ characters. It revises the
/// budget, and with `add_allocations` books the suggested staffing on the project — one
/// transaction, one event. Needs "manage projects".
#[server(endpoint = "decide_change")]
pub async fn decide_change(
    change_id: i64,
    version: i64,
    decision: String,
    #[server(default)] reason: String,
    #[server(default)] override_reason: String,
    #[server(default)] add_allocations: String,
) -> Result<(), AppError> {
    use crate::api::live::LiveEvent;
    use crate::domain::permissions::Permission;
    use crate::domain::validate;
    use crate::server::{context, events};

    let caller = context::caller_with(Permission::ManageProjects).await?;
    let approve = match decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(AppError::invalid(
                "decision",
                "must be \"approve\" or \"reject\"",
            ))
        }
    };
    let add_allocations = match add_allocations.as_str() {
        "" | "false" | "off" => false,
        "true" | "on" => true,
        _ => {
            return Err(AppError::invalid(
                "add_allocations",
                "must be true or false",
            ))
        }
    };
    let reason = validate::optional_text("reason", &reason, 2000)?;
    let override_reason = validate::optional_text("override_reason", &override_reason, 2000)?;
    if !approve && reason.chars().count() < 3 {
        return Err(AppError::invalid(
            "reason",
            "say why the change is rejected (3 characters or more)",
        ));
    }
    let state = context::state()?;
    let now = context::now_ms();
    // Approval books people: it takes its turn at the writer like closes, so both see
    // each other's allocations.
    let mut tx = state.db.write().await?;
    let loaded = repo::load(&mut tx, &caller, change_id, now).await?;
    if loaded.status != "proposed" {
        return Err(AppError::Conflict(format!(
            "this change request was already {}",
            loaded.status
        )));
    }
    if loaded.version != version {
        return Err(AppError::Conflict(
            "someone else changed this change request; reload to see their change".into(),
        ));
    }
    let (action, before, after) = if approve {
        if crate::domain::project::ProjectStatus::stored_is_over(&loaded.project_status) {
            return Err(AppError::invalid(
                "project",
                format!(
                    "is {}; changes can only be approved on running projects",
                    loaded.project_status
                ),
            ));
        }
        let review = repo::review_of(&mut tx, &caller, &loaded, now).await?;
        let stored_override = crate::domain::overrides::decide(
            "approving the change",
            &review.blockers(caller.permissions.sees_cost_amounts()),
            caller.can(Permission::OverrideChecks),
            &override_reason,
        )?;
        sqlx::query(
            "UPDATE projects SET budget_minor = budget_minor + $1, version = version + 1
             WHERE id = $2 AND workspace_id = $3",
        )
        .bind(loaded.extra_value_minor)
        .bind(loaded.project_id)
        .bind(caller.workspace_id)
        .execute(&mut *tx)
        .await?;
        if add_allocations {
            for line in &review.capacity.staffing {
                let week = loaded.first_week.add_days(7 * line.week as i32).to_string();
                sqlx::query(
                    "INSERT INTO allocations (workspace_id, person_id, project_id, week, minutes, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (person_id, project_id, week) WHERE project_id IS NOT NULL
                     DO UPDATE SET minutes = allocations.minutes + excluded.minutes,
                                   version = allocations.version + 1",
                )
                .bind(caller.workspace_id)
                .bind(line.person_id)
                .bind(loaded.project_id)
                .bind(week)
                .bind(line.minutes)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
        }
        let verdicts = serde_json::json!([review.capacity.verdict, review.margin.margin_bp]);
        let decided = sqlx::query(
            "UPDATE change_requests SET status = 'approved', decided_by = $1, decided_at = $2,
                    override_reason = $3, check_report = $4, allocations_added = $5,
                    version = version + 1
             WHERE id = $6 AND workspace_id = $7 AND version = $8 AND status = 'proposed'",
        )
        .bind(caller.user_id)
        .bind(now)
        .bind(&stored_override)
        .bind(verdicts.to_string())
        .bind(i64::from(
            add_allocations && !review.capacity.staffing.is_empty(),
        ))
        .bind(change_id)
        .bind(caller.workspace_id)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        if decided.rows_affected() != 1 {
            return Err(AppError::Conflict(
                "someone else decided this change request; reload to see it".into(),
            ));
        }
        (
            "change_approved",
            serde_json::json!({ "budget_minor": loaded.budget_minor }),
            serde_json::json!({
                "change_request": change_id,
                "budget_minor": review.revised_budget_minor,
                "capacity": review.capacity.verdict,
                "margin_bp": review.margin.margin_bp,
                "override_reason": stored_override,
                "allocations_added": add_allocations,
            }),
        )
    } else {
        let decided = sqlx::query(
            "UPDATE change_requests SET status = 'rejected', decided_by = $1, decided_at = $2,
                    decision_reason = $3, version = version + 1
             WHERE id = $4 AND workspace_id = $5 AND version = $6 AND status = 'proposed'",
        )
        .bind(caller.user_id)
        .bind(now)
        .bind(&reason)
        .bind(change_id)
        .bind(caller.workspace_id)
        .bind(version)
        .execute(&mut *tx)
        .await?;
        if decided.rows_affected() != 1 {
            return Err(AppError::Conflict(
                "someone else decided this change request; reload to see it".into(),
            ));
        }
        (
            "change_rejected",
            serde_json::json!({ "status": "proposed" }),
            serde_json::json!({ "change_request": change_id, "reason": reason }),
        )
    };
    let seq = events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "project",
            entity_id: loaded.project_id,
            action,
            before: Some(before),
            after: Some(after),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    state
        .live
        .publish(caller.workspace_id, LiveEvent::Projects { seq });
    if approve && add_allocations {
        state
            .live
            .publish(caller.workspace_id, LiveEvent::Capacity { seq });
    }
    Ok(())
}
