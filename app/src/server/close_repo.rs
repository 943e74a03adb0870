//! Closing a deal in the database: the deal and the world it is checked against, and the
//! close transaction itself.

use crate::domain::calendar::Date;
use crate::domain::capacity::{
    CapacityInput, Demand, DemandLine, StaffingLine, TentativeMode, DEFAULT_EARLIEST_START_WITHIN,
    WEEK_MINUTES,
};
use crate::domain::close::{self, CloseEvaluation};
use crate::domain::permissions::Permission;
use crate::domain::pipeline::StageKind;
use crate::error::AppError;
use crate::server::capacity_repo::{self, Horizon};
use crate::server::context::Caller;
use crate::server::{board_repo, capacity_cache, events};
use crate::shared::board::DealCard;
use crate::shared::close::{CheckReport, CloseOutcome, ClosePerson};
use sqlx::SqliteConnection;

/// Latest start the dialog or the API may ask for, in weeks from this week.
pub const MAX_START_WEEK: u32 = 104;

/// Week 0: the first day of this week.
pub fn first_week(now_ms: i64) -> Date {
    Date::from_unix_ms(now_ms).week_start(1)
}

/// The week index of a start date (any day of that week), this week or later.
pub fn start_week(start_on: &str, now_ms: i64) -> Result<u32, AppError> {
    let date = Date::parse(start_on.trim())
        .ok_or_else(|| AppError::invalid("start_on", "must be a date like 2027-01-11"))?;
    let days = first_week(now_ms).days_until(date.week_start(1));
    if days < 0 {
        return Err(AppError::invalid("start_on", "must be this week or later"));
    }
    let week = (days / 7) as u32;
    if week > MAX_START_WEEK {
        return Err(AppError::invalid("start_on", "must be within two years"));
    }
    Ok(week)
}

/// A SHA-256 digest of what a close asked for.
pub fn fingerprint(parts: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0x1f]);
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An open deal about to be closed.
pub struct OpenDeal {
    /// Its card.
    pub card: DealCard,
    /// Value, minor units.
    pub value_minor: i64,
    /// Version.
    pub version: i64,
    /// Estimate over its weeks.
    pub demand: Demand,
    /// Planned start, if any.
    pub planned_start: Option<Date>,
    /// Week 0.
    pub first_week: Date,
    /// Brief: goals, priorities, context.
    pub brief: (String, String, String),
    /// The stage it is in now (name).
    pub stage_name: String,
}

impl OpenDeal {
    /// The start the dialog proposes: the planned start's week, or this week.
    pub fn default_start_week(&self) -> u32 {
        self.planned_start
            .map(|d| self.first_week.days_until(d.week_start(1)))
            .filter(|days| *days >= 0)
            .map(|days| ((days / 7) as u32).min(MAX_START_WEEK))
            .unwrap_or(0)
    }
}

/// The open deal `deal_id` of the caller's workspace, with its estimate.
pub async fn open_deal(
    conn: &mut SqliteConnection,
    caller: &Caller,
    deal_id: i64,
    now_ms: i64,
) -> Result<OpenDeal, AppError> {
    let row = board_repo::board_deal(&mut *conn, caller.workspace_id, deal_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let stage = board_repo::stage(&mut *conn, caller.workspace_id, row.stage_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if stage.kind != StageKind::Open {
        return Err(AppError::invalid(
            "stage",
            "only an open deal can be closed",
        ));
    }
    let (planned_start, weeks, goals, priorities, context): (
        Option<String>,
        i64,
        String,
        String,
        String,
    ) = sqlx::query_as(
        "SELECT planned_start_on, planned_weeks, brief_goals, brief_priorities, brief_context
             FROM deals WHERE id = $1 AND workspace_id = $2",
    )
    .bind(deal_id)
    .bind(caller.workspace_id)
    .fetch_one(&mut *conn)
    .await?;
    let lines: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT skill_id, minutes FROM deal_estimate_lines WHERE deal_id = $1 AND workspace_id = $2 ORDER BY skill_id",
    )
    .bind(deal_id)
    .bind(caller.workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    if lines.is_empty() {
        return Err(AppError::invalid(
            "estimate",
            "add an estimate (hours by skill) before closing: the project is staffed from it",
        ));
    }
    let value_minor = row.value_minor;
    let version = row.version;
    Ok(OpenDeal {
        stage_name: stage.name.clone(),
        card: DealCard::from_row(&stage, row, now_ms),
        value_minor,
        version,
        demand: Demand {
            lines: lines
                .into_iter()
                .map(|(skill, minutes)| DemandLine { skill, minutes })
                .collect(),
            weeks: weeks.clamp(1, 104) as u32,
        },
        planned_start: planned_start.as_deref().and_then(Date::parse),
        first_week: first_week(now_ms),
        brief: (goals, priorities, context),
    })
}

/// The workspace's currency and margin targets: (currency, target bp, floor bp).
pub async fn targets(
    conn: &mut SqliteConnection,
    workspace_id: i64,
) -> Result<(String, i64, i64), AppError> {
    Ok(sqlx::query_as(
        "SELECT currency, margin_target_bp, margin_floor_bp FROM workspaces WHERE id = $1",
    )
    .bind(workspace_id)
    .fetch_one(&mut *conn)
    .await?)
}

/// Both checks of `deal` at `start_week` with `staffing` (or the suggestion), against
/// the team's free time as the database has it now (confirmed work only: other deals'
/// tentative allocations do not hold people back from a won deal).
pub async fn evaluate(
    conn: &mut SqliteConnection,
    caller: &Caller,
    deal: &OpenDeal,
    start_week: u32,
    staffing: Option<&[StaffingLine]>,
) -> Result<CloseEvaluation, AppError> {
    let (_, target_bp, floor_bp) = targets(&mut *conn, caller.workspace_id).await?;
    let state = crate::server::context::state()?;
    state
        .capacity
        .with(
            &mut *conn,
            caller.workspace_id,
            deal.first_week,
            |snapshot| {
                close::evaluate(
                    &snapshot.engine,
                    &deal.demand,
                    start_week,
                    staffing,
                    deal.value_minor,
                    target_bp,
                    floor_bp,
                )
            },
        )
        .await?
        .map_err(AppError::from)
}

/// The deal's skills by name, and the people who have one of them (for the dialog's
/// staffing choices).
pub async fn candidates(
    conn: &mut SqliteConnection,
    caller: &Caller,
    deal: &OpenDeal,
) -> Result<(Vec<(i64, String)>, Vec<ClosePerson>), AppError> {
    let wanted: Vec<i64> = deal.demand.lines.iter().map(|l| l.skill).collect();
    let all_skills: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM skills WHERE workspace_id = $1 ORDER BY id")
            .bind(caller.workspace_id)
            .fetch_all(&mut *conn)
            .await?;
    let skills = all_skills
        .into_iter()
        .filter(|(id, _)| wanted.contains(id))
        .collect();
    let rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT p.id, p.name, ps.skill_id FROM people p JOIN person_skills ps ON ps.person_id = p.id
         WHERE p.workspace_id = $1 AND p.active = 1 ORDER BY p.name, p.id",
    )
    .bind(caller.workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut people: Vec<ClosePerson> = Vec::new();
    for (id, name, skill) in rows {
        if !wanted.contains(&skill) {
            continue;
        }
        match people.last_mut() {
            Some(p) if p.id == id => p.skills.push(skill),
            _ => people.push(ClosePerson {
                id,
                name,
                skills: vec![skill],
            }),
        }
    }
    Ok((skills, people))
}

/// The engine's input for the browser of someone who may see cost rates: the weeks the
/// dialog can plan in (this week to the latest start the engine suggests, plus the
/// deal's weeks, or the planned start's).
pub async fn engine_input(
    conn: &mut SqliteConnection,
    caller: &Caller,
    deal: &OpenDeal,
    start_week: u32,
) -> Result<CapacityInput, AppError> {
    let weeks = deal.demand.weeks;
    Ok(capacity_repo::load_capacity_input(
        &mut *conn,
        caller.workspace_id,
        Horizon {
            first_week: deal.first_week,
            weeks: (start_week + weeks).max(DEFAULT_EARLIEST_START_WITHIN + weeks),
        },
        TentativeMode::Exclude,
    )
    .await?)
}

/// A close as asked for, validated.
pub struct CloseRequest<'a> {
    /// The deal.
    pub deal_id: i64,
    /// The version the dialog was based on.
    pub version: i64,
    /// The idempotency key.
    pub key: &'a str,
    /// Start week index.
    pub start_week: u32,
    /// The staffing as edited, or `None` for the suggestion.
    pub staffing: Option<Vec<StaffingLine>>,
    /// Why a blocked close goes ahead (trimmed; may be empty).
    pub override_reason: String,
    /// Digest of the arguments.
    pub fingerprint: String,
}

/// Closes the deal: see the `close_deal` server function.
pub async fn close(
    caller: &Caller,
    request: CloseRequest<'_>,
    now_ms: i64,
) -> Result<CloseOutcome, AppError> {
    use crate::server::context;
    use crate::shared::live::LiveEvent;

    let state = context::state()?;
    // Closes take their turn at the writer with the write lock held from the first read,
    // so concurrent closes see each other's project instead of failing on an upgrade.
    let mut tx = state.db.write().await?;

    // The same key again: the same project, if it is the same close.
    let earlier: Option<(i64, i64, Option<i64>, Option<String>)> = sqlx::query_as(
        "SELECT id, workspace_id, deal_id, close_fingerprint FROM projects WHERE close_key = $1",
    )
    .bind(request.key)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((project_id, workspace_id, deal_id, fingerprint)) = earlier {
        if workspace_id == caller.workspace_id
            && deal_id == Some(request.deal_id)
            && fingerprint.as_deref() == Some(request.fingerprint.as_str())
        {
            return Ok(CloseOutcome {
                project_id,
                repeated: true,
            });
        }
        return Err(AppError::invalid(
            "close_key",
            "was already used for a different close: send a new key",
        ));
    }

    let (_, from) = crate::server::deal_service::current_deal(
        &mut tx,
        caller,
        request.deal_id,
        request.version,
        now_ms,
    )
    .await?;
    let deal = open_deal(&mut tx, caller, request.deal_id, now_ms).await?;
    let capacity_before = capacity_cache::version(&mut tx, caller.workspace_id).await?;
    let evaluation = evaluate(
        &mut tx,
        caller,
        &deal,
        request.start_week,
        request.staffing.as_deref(),
    )
    .await?;
    let (_, target_bp, floor_bp) = targets(&mut tx, caller.workspace_id).await?;
    let first_week = deal.first_week;
    let overridden = crate::domain::overrides::decide(
        "the close",
        &evaluation.blockers(),
        caller.can(Permission::OverrideChecks),
        &request.override_reason,
    )?;

    let won = board_repo::stage_of_kind(&mut tx, caller.workspace_id, StageKind::Won, false)
        .await?
        .ok_or_else(|| AppError::invalid("stage", "this pipeline has no Won stage"))?;

    let starts_on = first_week.add_days(7 * request.start_week as i32);
    let ends_on = starts_on.add_days(7 * deal.demand.weeks as i32 - 3);
    let today = Date::from_unix_ms(now_ms);
    let status = crate::domain::project::ProjectStatus::of_new_project(starts_on, today).as_str();
    let week_date = |week: u32| first_week.add_days(7 * week as i32);
    let skill_names: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM skills WHERE workspace_id = $1")
            .bind(caller.workspace_id)
            .fetch_all(&mut *tx)
            .await?;
    let skill_name = |id: i64| {
        skill_names
            .iter()
            .find(|(s, _)| *s == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    let report = CheckReport {
        capacity: evaluation.capacity.verdict,
        margin_bp: evaluation.margin.margin_bp,
        margin: evaluation.margin.verdict,
        target_bp,
        floor_bp,
        cost_minor: Some(evaluation.margin.cost_minor),
        start_on: starts_on.to_string(),
        weeks: deal.demand.weeks,
        earliest_start_on: evaluation.earliest_start.map(|w| week_date(w).to_string()),
        shortfall: evaluation
            .capacity
            .shortfall_by_skill()
            .into_iter()
            .filter(|(_, m)| *m > 0)
            .map(|(s, m)| (skill_name(s), m))
            .collect(),
        blockers: evaluation.blockers(),
        staffing_edited: request.staffing.is_some(),
    };
    let report_json = serde_json::to_string(&report).map_err(|_| AppError::Internal)?;

    let updated = sqlx::query(
        "UPDATE deals SET stage_id = $1, stage_entered_at = $2, updated_at = $2, closed_at = $2,
                          lost_reason = NULL, planned_start_on = $3, version = version + 1
         WHERE id = $4 AND workspace_id = $5 AND version = $6",
    )
    .bind(won.id)
    .bind(now_ms)
    .bind(starts_on.to_string())
    .bind(request.deal_id)
    .bind(caller.workspace_id)
    .bind(request.version)
    .execute(&mut *tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(AppError::Conflict(
            "the deal changed while closing; reopen the dialog".into(),
        ));
    }
    let name = crate::domain::close::project_name(&deal.card.client_name, &deal.card.title);
    let project_id: i64 = sqlx::query_scalar(
        "INSERT INTO projects (workspace_id, deal_id, client_id, name, budget_minor, starts_on,
                               ends_on, pm_user_id, status, brief_goals, brief_priorities,
                               brief_context, check_report, override_reason, close_key,
                               close_fingerprint, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         RETURNING id",
    )
    .bind(caller.workspace_id)
    .bind(request.deal_id)
    .bind(deal.card.client_id)
    .bind(&name)
    .bind(deal.value_minor)
    .bind(starts_on.to_string())
    .bind(ends_on.to_string())
    .bind(status)
    .bind(&deal.brief.0)
    .bind(&deal.brief.1)
    .bind(&deal.brief.2)
    .bind(&report_json)
    .bind(&overridden)
    .bind(request.key)
    .bind(&request.fingerprint)
    .bind(now_ms)
    .fetch_one(&mut *tx)
    .await?;

    // The staffing becomes confirmed allocations, one row per person and week.
    sqlx::query("DELETE FROM allocations WHERE deal_id = $1 AND workspace_id = $2")
        .bind(request.deal_id)
        .bind(caller.workspace_id)
        .execute(&mut *tx)
        .await?;
    let mut cells: Vec<(i64, u32, i64)> = Vec::new();
    for line in evaluation
        .capacity
        .staffing
        .iter()
        .filter(|l| l.minutes > 0)
    {
        match cells
            .iter_mut()
            .find(|(p, w, _)| *p == line.person_id && *w == line.week)
        {
            Some((_, _, m)) => *m += line.minutes,
            None => cells.push((line.person_id, line.week, line.minutes)),
        }
    }
    for &(person_id, week, minutes) in &cells {
        if minutes > WEEK_MINUTES {
            return Err(AppError::invalid(
                "staffing",
                "gives someone more than 168 hours in a week",
            ));
        }
        sqlx::query(
            "INSERT INTO allocations (workspace_id, person_id, project_id, week, minutes, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(caller.workspace_id)
        .bind(person_id)
        .bind(project_id)
        .bind(week_date(week).to_string())
        .bind(minutes)
        .bind(now_ms)
        .execute(&mut *tx)
        .await?;
    }

    let deal_seq = events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "deal",
            entity_id: request.deal_id,
            action: "won",
            before: Some(serde_json::json!({ "stage": from.name })),
            after: Some(serde_json::json!({ "stage": won.name, "project": name })),
        },
        now_ms,
    )
    .await?;
    let project_seq = events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "project",
            entity_id: project_id,
            action: "created",
            before: None,
            after: Some(serde_json::json!({
                "name": name, "deal_id": request.deal_id, "starts_on": starts_on.to_string(),
                "weeks": deal.demand.weeks, "capacity": report.capacity, "margin": report.margin,
                "override_reason": overridden, "allocations": cells.len(),
            })),
        },
        now_ms,
    )
    .await?;
    let capacity_after = capacity_cache::version(&mut tx, caller.workspace_id).await?;
    crate::server::deal_service::commit_and_publish(
        tx,
        caller,
        &won,
        request.deal_id,
        deal_seq,
        now_ms,
    )
    .await?;
    state
        .capacity
        .applied(
            caller.workspace_id,
            first_week,
            capacity_before,
            capacity_after,
            &cells,
        )
        .await;
    state.live.publish(
        caller.workspace_id,
        LiveEvent::Projects { seq: project_seq },
    );
    Ok(CloseOutcome {
        project_id,
        repeated: false,
    })
}
