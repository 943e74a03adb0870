//! Closing a deal: what the close dialog needs, its preview, and the close itself, which
//! re-checks capacity and margin against the database and spawns the project in one
//! transaction (the deal won, the project created, its staffing confirmed, the events
//! appended), announcing the deal and the project after commit.

use crate::domain::calendar::{Date, Today};
use crate::domain::capacity::{
    CapacityInput, Demand, StaffingLine, TentativeMode, DEFAULT_EARLIEST_START_WITHIN, WEEK_MINUTES,
};
use crate::domain::close::{self, CloseEvaluation, ClosePreview};
use crate::domain::permissions::Permission;
use crate::domain::pipeline::StageKind;
use crate::error::AppError;
use crate::server::capacity_repo::{self, Horizon};
use crate::server::close_repo;
use crate::server::context::{self, Caller};
use crate::server::db::Conn;
use crate::server::role_repo;
use crate::server::{board_repo, capacity_cache, deal_service, events, skill_repo};
use crate::shared::board::{DealCard, StageSummary};
use crate::shared::close::{
    parse_staffing, CheckReport, CloseDialogData, CloseOutcome, ClosePerson,
};
use crate::shared::live::LiveEvent;

/// Latest start the dialog or the API may ask for, in weeks from this week.
const MAX_START_WEEK: u32 = 104;

/// The week index of a start date (any day of that week), this week or later.
fn start_week_of(start_on: &str, today: Today) -> Result<u32, AppError> {
    let date = Date::parse(start_on.trim())
        .ok_or_else(|| AppError::invalid("start_on", "must be a date like 2027-01-11"))?;
    let days = today.this_week().days_until(today.week_of(date));
    if days < 0 {
        return Err(AppError::invalid("start_on", "must be this week or later"));
    }
    let week = (days / 7) as u32;
    if week > MAX_START_WEEK {
        return Err(AppError::invalid("start_on", "must be within two years"));
    }
    Ok(week)
}

/// `day`, or the Friday before it when it falls on a weekend: a project's last day is
/// the last working day of its last week, whichever day the workspace's weeks start on.
fn last_working_day(day: Date) -> Date {
    match day.iso_weekday() {
        6 => day.add_days(-1),
        7 => day.add_days(-2),
        _ => day,
    }
}

/// A SHA-256 digest of what a close asked for.
fn fingerprint(parts: &[&str]) -> String {
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
struct OpenDeal {
    /// Its card.
    card: DealCard,
    /// Value, minor units.
    value_minor: i64,
    /// Estimate over its weeks.
    demand: Demand,
    /// Planned start, if any.
    planned_start: Option<Date>,
    /// Week 0.
    first_week: Date,
    /// Brief: goals, priorities, context.
    brief: (String, String, String),
}

impl OpenDeal {
    /// The start the dialog proposes: the planned start's week, or this week.
    fn default_start_week(&self) -> u32 {
        // Week 0 starts on the workspace's week start.
        self.planned_start
            .map(|d| {
                self.first_week
                    .days_until(d.week_start(self.first_week.iso_weekday()))
            })
            .filter(|days| *days >= 0)
            .map(|days| ((days / 7) as u32).min(MAX_START_WEEK))
            .unwrap_or(0)
    }

    /// The first day of week `week` (counted from week 0).
    fn week_date(&self, week: u32) -> Date {
        self.first_week.add_days(7 * week as i32)
    }
}

/// The open deal `deal_id` of the caller's workspace, with its estimate: not found, not
/// open, or without an estimate is refused.
async fn open_deal(
    conn: &mut Conn,
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
    open_deal_from(conn, caller, deal_id, row, &stage, now_ms).await
}

/// [`open_deal`] for a deal whose card row and stage the caller already read.
async fn open_deal_from(
    conn: &mut Conn,
    caller: &Caller,
    deal_id: i64,
    row: crate::shared::board::BoardDealRow,
    stage: &StageSummary,
    now_ms: i64,
) -> Result<OpenDeal, AppError> {
    if stage.kind != StageKind::Open {
        return Err(AppError::invalid(
            "stage",
            "only an open deal can be closed",
        ));
    }
    let plan = close_repo::deal_plan(&mut *conn, caller.workspace_id, deal_id).await?;
    let lines = close_repo::estimate_lines(&mut *conn, caller.workspace_id, deal_id).await?;
    if lines.is_empty() {
        return Err(AppError::invalid(
            "estimate",
            "add an estimate (hours by skill) before closing: the project is staffed from it",
        ));
    }
    let value_minor = row.value_minor;
    Ok(OpenDeal {
        card: DealCard::from_row(stage, row, now_ms),
        value_minor,
        demand: Demand {
            lines,
            weeks: plan.planned_weeks.clamp(1, 104) as u32,
        },
        planned_start: plan.planned_start_on.as_deref().and_then(Date::parse),
        first_week: context::calendar()?.this_week(now_ms),
        brief: (plan.brief_goals, plan.brief_priorities, plan.brief_context),
    })
}

/// Both checks of `deal` at `start_week` with `staffing` (or the suggestion), against
/// the team's free time as the database has it now (confirmed work only: other deals'
/// tentative allocations do not hold people back from a won deal).
async fn evaluate(
    conn: &mut Conn,
    caller: &Caller,
    deal: &OpenDeal,
    start_week: u32,
    staffing: Option<&[StaffingLine]>,
) -> Result<CloseEvaluation, AppError> {
    let (_, target_bp, floor_bp) = close_repo::targets(&mut *conn, caller.workspace_id).await?;
    let state = context::state()?;
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
async fn candidates(
    conn: &mut Conn,
    caller: &Caller,
    deal: &OpenDeal,
) -> Result<(Vec<(i64, String)>, Vec<ClosePerson>), AppError> {
    let wanted: Vec<i64> = deal.demand.lines.iter().map(|l| l.skill).collect();
    let skills = skill_repo::all(&mut *conn, caller.workspace_id)
        .await?
        .into_iter()
        .filter(|(id, _)| wanted.contains(id))
        .collect();
    let rows = close_repo::skilled_people(&mut *conn, caller.workspace_id).await?;
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
async fn engine_input(
    conn: &mut Conn,
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

/// The close dialog of open deal `deal_id`: the deal as the caller may see it, the
/// suggested start and staffing checked, who could staff it, and (for those who may see
/// cost rates) what the browser needs to re-check on its own.
pub async fn dialog(caller: &Caller, deal_id: i64) -> Result<CloseDialogData, AppError> {
    let mut conn = context::read().await?;
    let now = context::now_ms();
    let deal = open_deal(&mut conn, caller, deal_id, now).await?;
    let start_week = deal.default_start_week();
    let evaluation = evaluate(&mut conn, caller, &deal, start_week, None).await?;
    let may_see_costs = caller.permissions.sees_cost_amounts();
    let (currency, target_bp, floor_bp) =
        close_repo::targets(&mut conn, caller.workspace_id).await?;
    let (skills, people) = candidates(&mut conn, caller, &deal).await?;
    let engine_input = if may_see_costs {
        Some(engine_input(&mut conn, caller, &deal, start_week).await?)
    } else {
        None
    };
    let approvers =
        role_repo::holders(&mut conn, caller.workspace_id, Permission::OverrideChecks).await?;
    Ok(CloseDialogData {
        card: deal_service::mask(deal.card, caller.can(Permission::ViewDealValues)),
        currency,
        first_week: deal.first_week.to_string(),
        start_week,
        demand: deal.demand,
        skills,
        people,
        target_bp,
        floor_bp,
        value_minor: may_see_costs.then_some(deal.value_minor),
        engine_input,
        preview: ClosePreview::of(
            &evaluation,
            may_see_costs,
            caller.can(Permission::ViewDealValues),
        ),
        can_override: caller.can(Permission::OverrideChecks),
        can_close: caller.can(Permission::CloseDeals),
        approvers,
    })
}

/// The checks of closing open deal `deal_id` with another start (`start_on`) and
/// staffing (as text; empty for the suggestion): verdicts and percentages, amounts only
/// for those who may see cost rates.
pub async fn preview(
    caller: &Caller,
    deal_id: i64,
    start_on: &str,
    staffing: &str,
) -> Result<ClosePreview, AppError> {
    let mut conn = context::read().await?;
    let now = context::now_ms();
    let deal = open_deal(&mut conn, caller, deal_id, now).await?;
    let today = context::calendar()?.at(now);
    let start_week = start_week_of(start_on, today)?;
    let staffing = parse_staffing(staffing, today.this_week())?;
    let evaluation = evaluate(&mut conn, caller, &deal, start_week, staffing.as_deref()).await?;
    let preview = ClosePreview::of(
        &evaluation,
        caller.permissions.sees_cost_amounts(),
        caller.can(Permission::ViewDealValues),
    );
    // The margin of a hand-picked staffing would give people's cost rates away.
    Ok(
        if staffing.is_some() && !caller.permissions.sees_cost_amounts() {
            preview.without_margin_figure(&evaluation)
        } else {
            preview
        },
    )
}

/// A close as the caller asked for it, its key and reason already checked.
pub struct CloseAsked<'a> {
    /// The deal.
    pub deal_id: i64,
    /// The version the dialog was based on.
    pub version: i64,
    /// The idempotency key (trimmed).
    pub key: &'a str,
    /// The start date, any day of the start week.
    pub start_on: &'a str,
    /// The staffing as text, empty for the suggestion.
    pub staffing: &'a str,
    /// Why a blocked close goes ahead (trimmed; may be empty).
    pub override_reason: String,
}

/// A close as asked for, validated.
struct CloseRequest<'a> {
    /// The deal.
    deal_id: i64,
    /// The version the dialog was based on.
    version: i64,
    /// The idempotency key.
    key: &'a str,
    /// Start week index.
    start_week: u32,
    /// The staffing as edited, or `None` for the suggestion.
    staffing: Option<Vec<StaffingLine>>,
    /// Why a blocked close goes ahead (trimmed; may be empty).
    override_reason: String,
    /// Digest of the arguments.
    fingerprint: String,
}

/// Wins the deal and spawns its project, after re-checking capacity and margin (a block
/// goes ahead only with an allowed override); the same key again answers the same
/// project, the same key with other arguments is refused.
pub async fn close_deal(caller: &Caller, asked: CloseAsked<'_>) -> Result<CloseOutcome, AppError> {
    let now = context::now_ms();
    let today = context::calendar()?.at(now);
    let start_week = start_week_of(asked.start_on, today)?;
    let staffing = parse_staffing(asked.staffing, today.this_week())?;
    let fingerprint = fingerprint(&[
        &asked.deal_id.to_string(),
        &asked.version.to_string(),
        asked.start_on.trim(),
        asked.staffing.trim(),
        &asked.override_reason,
    ]);
    let request = CloseRequest {
        deal_id: asked.deal_id,
        version: asked.version,
        key: asked.key,
        start_week,
        staffing,
        override_reason: asked.override_reason,
        fingerprint,
    };
    close_in_transaction(caller, request, now).await
}

/// The close transaction: an earlier close with the same key, or load, check, write,
/// append the events, commit, and announce the deal and the project.
async fn close_in_transaction(
    caller: &Caller,
    request: CloseRequest<'_>,
    now_ms: i64,
) -> Result<CloseOutcome, AppError> {
    let state = context::state()?;
    // Closes take their turn at the writer with the write lock held from the first read,
    // so concurrent closes see each other's project instead of failing on an upgrade.
    let mut tx = state.db.write(caller.workspace_id).await?;
    if let Some(earlier) = repeated_close(&mut tx, caller, &request).await? {
        return Ok(earlier);
    }
    let checked = check(&mut tx, caller, &request, now_ms).await?;
    let written = write(&mut tx, caller, &request, &checked, now_ms).await?;
    let (deal_seq, project_seq) =
        append_events(&mut tx, caller, &request, &checked, &written, now_ms).await?;
    let capacity_after = capacity_cache::version(&mut tx, caller.workspace_id).await?;
    // The kept engine takes this close's allocations before the commit, while the close
    // still holds its workspace's write lock: the next close, which waits for that lock,
    // finds the engine at the version it reads instead of re-reading the whole team. A
    // commit that fails forgets the engine (it is rebuilt from what was committed).
    state
        .capacity
        .applied(
            caller.workspace_id,
            checked.deal.first_week,
            checked.capacity_before,
            capacity_after,
            &written.cells,
        )
        .await;
    if let Err(err) = deal_service::commit_and_publish(
        tx,
        caller,
        &checked.won,
        request.deal_id,
        deal_seq,
        now_ms,
    )
    .await
    {
        state.capacity.forget(caller.workspace_id).await;
        return Err(err);
    }
    state.live.publish(
        caller.workspace_id,
        LiveEvent::Projects { seq: project_seq },
    );
    Ok(CloseOutcome {
        project_id: written.project_id,
        repeated: false,
    })
}

/// The same key again: the same project, if it is the same close; refused if it is not.
async fn repeated_close(
    conn: &mut Conn,
    caller: &Caller,
    request: &CloseRequest<'_>,
) -> Result<Option<CloseOutcome>, AppError> {
    let Some((project_id, workspace_id, deal_id, fingerprint)) =
        close_repo::close_by_key(&mut *conn, request.key).await?
    else {
        return Ok(None);
    };
    if workspace_id == caller.workspace_id
        && deal_id == Some(request.deal_id)
        && fingerprint.as_deref() == Some(request.fingerprint.as_str())
    {
        return Ok(Some(CloseOutcome {
            project_id,
            repeated: true,
        }));
    }
    Err(AppError::invalid(
        "close_key",
        "was already used for a different close: send a new key",
    ))
}

/// What a close found and decided before writing.
struct CheckedClose {
    /// The stage the deal leaves.
    from: StageSummary,
    /// The Won stage it enters.
    won: StageSummary,
    /// The deal.
    deal: OpenDeal,
    /// The team's capacity version before the close.
    capacity_before: i64,
    /// Both checks.
    evaluation: CloseEvaluation,
    /// Why a blocked close goes ahead, if it was blocked.
    overridden: Option<String>,
    /// The project's first day.
    starts_on: Date,
    /// The checks as stored on the project.
    report: CheckReport,
}

/// The deal at the asked version, still open, checked at the asked start and staffing;
/// a block goes ahead only as the override rule allows.
async fn check(
    conn: &mut Conn,
    caller: &Caller,
    request: &CloseRequest<'_>,
    now_ms: i64,
) -> Result<CheckedClose, AppError> {
    let (row, from) =
        deal_service::current_deal(&mut *conn, caller, request.deal_id, request.version, now_ms)
            .await?;
    let deal = open_deal_from(&mut *conn, caller, request.deal_id, row, &from, now_ms).await?;
    // An approval (override without "close deals") closes the deal as it stands — its
    // planned start, the suggested staffing — so the block it approves is the deal's own,
    // not one made by choosing a start or a staffing.
    if !caller.can(Permission::CloseDeals) {
        if request.staffing.is_some() {
            return Err(AppError::invalid(
                "staffing",
                "an approval closes with the suggested staffing: only someone who may close deals changes it",
            ));
        }
        if request.start_week != deal.default_start_week() {
            return Err(AppError::invalid(
                "start_on",
                format!(
                    "an approval closes at the deal's planned start ({}): only someone who may close deals changes it",
                    deal.week_date(deal.default_start_week())
                ),
            ));
        }
    }
    let capacity_before = capacity_cache::version(&mut *conn, caller.workspace_id).await?;
    let evaluation = evaluate(
        &mut *conn,
        caller,
        &deal,
        request.start_week,
        request.staffing.as_deref(),
    )
    .await?;
    let (_, target_bp, floor_bp) = close_repo::targets(&mut *conn, caller.workspace_id).await?;
    let margin_figure = caller.permissions.sees_cost_amounts() || request.staffing.is_none();
    let overridden = crate::domain::overrides::decide(
        "the close",
        &evaluation.blockers_with(margin_figure),
        caller.can(Permission::OverrideChecks),
        &request.override_reason,
    )?;
    // Without "close deals", overriding is approving: only a blocked close, with its reason.
    if !caller.can(Permission::CloseDeals) && overridden.is_none() {
        return Err(AppError::Forbidden);
    }
    let won = board_repo::stage_of_kind(&mut *conn, caller.workspace_id, StageKind::Won, false)
        .await?
        .ok_or_else(|| AppError::invalid("stage", "this pipeline has no Won stage"))?;
    let starts_on = deal.week_date(request.start_week);
    let skill_names = skill_repo::all(&mut *conn, caller.workspace_id).await?;
    let report = CheckReport {
        capacity: evaluation.capacity.verdict,
        margin_bp: evaluation.margin.margin_bp,
        margin: evaluation.margin.verdict,
        target_bp,
        floor_bp,
        cost_minor: Some(evaluation.margin.cost_minor),
        start_on: starts_on.to_string(),
        weeks: deal.demand.weeks,
        earliest_start_on: evaluation
            .earliest_start
            .map(|w| deal.week_date(w).to_string()),
        shortfall: shortfall(&evaluation, &skill_names),
        blockers: evaluation.blockers(),
        staffing_edited: request.staffing.is_some(),
    };
    Ok(CheckedClose {
        from,
        won,
        deal,
        capacity_before,
        evaluation,
        overridden,
        starts_on,
        report,
    })
}

/// The unstaffed minutes by skill name, skills fully staffed left out.
fn shortfall(evaluation: &CloseEvaluation, skill_names: &[(i64, String)]) -> Vec<(String, i64)> {
    let skill_name = |id: i64| {
        skill_names
            .iter()
            .find(|(s, _)| *s == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_default()
    };
    evaluation
        .capacity
        .shortfall_by_skill()
        .into_iter()
        .filter(|(_, m)| *m > 0)
        .map(|(s, m)| (skill_name(s), m))
        .collect()
}

/// What a close wrote.
struct WrittenClose {
    /// The project.
    project_id: i64,
    /// Its name.
    name: String,
    /// Its confirmed allocations: (person id, week index, minutes).
    cells: Vec<(i64, u32, i64)>,
}

/// The deal moved to Won (if it still has the asked version), its project created with
/// the check report, and the staffing confirmed.
async fn write(
    conn: &mut Conn,
    caller: &Caller,
    request: &CloseRequest<'_>,
    checked: &CheckedClose,
    now_ms: i64,
) -> Result<WrittenClose, AppError> {
    let deal = &checked.deal;
    let report_json = serde_json::to_string(&checked.report).map_err(|_| AppError::Internal)?;
    let entry = crate::server::deal_service::stage_entry(
        conn,
        caller.workspace_id,
        request.deal_id,
        checked.from.kind,
        checked.won.id,
        now_ms,
    )
    .await?;
    let won = close_repo::win_deal(
        &mut *conn,
        caller.workspace_id,
        request.deal_id,
        request.version,
        entry,
        checked.starts_on,
    )
    .await?;
    if !won {
        return Err(AppError::Conflict(
            "the deal changed while closing; reopen the dialog".into(),
        ));
    }
    let name = close::project_name(&deal.card.client_name, &deal.card.title);
    let today = context::calendar()?.today(now_ms);
    let project = close_repo::NewProject {
        workspace_id: caller.workspace_id,
        deal_id: request.deal_id,
        client_id: deal.card.client_id,
        name: &name,
        budget_minor: deal.value_minor,
        starts_on: checked.starts_on,
        ends_on: last_working_day(checked.starts_on.add_days(7 * deal.demand.weeks as i32 - 1)),
        status: crate::domain::project::ProjectStatus::of_new_project(checked.starts_on, today)
            .as_str(),
        brief: &deal.brief,
        check_report: &report_json,
        override_reason: &checked.overridden,
        close_key: request.key,
        close_fingerprint: &request.fingerprint,
        created_at: now_ms,
    };
    let project_id = close_repo::insert_project(&mut *conn, &project).await?;
    let cells =
        confirm_staffing(conn, caller, request.deal_id, project_id, checked, now_ms).await?;
    Ok(WrittenClose {
        project_id,
        name,
        cells,
    })
}

/// The staffing becomes confirmed allocations of project `project_id`, one row per
/// person and week (the deal's tentative ones go); the cells written.
async fn confirm_staffing(
    conn: &mut Conn,
    caller: &Caller,
    deal_id: i64,
    project_id: i64,
    checked: &CheckedClose,
    now_ms: i64,
) -> Result<Vec<(i64, u32, i64)>, AppError> {
    close_repo::clear_deal_allocations(&mut *conn, caller.workspace_id, deal_id).await?;
    let cells = close::per_person_week(&checked.evaluation.capacity.staffing);
    if cells.iter().any(|&(_, _, minutes)| minutes > WEEK_MINUTES) {
        return Err(AppError::invalid(
            "staffing",
            "gives someone more than 168 hours in a week",
        ));
    }
    let rows: Vec<(i64, crate::domain::calendar::Date, i64)> = cells
        .iter()
        .map(|&(person_id, week, minutes)| (person_id, checked.deal.week_date(week), minutes))
        .collect();
    close_repo::insert_allocations(&mut *conn, caller.workspace_id, project_id, &rows, now_ms)
        .await?;
    Ok(cells)
}

/// The events of a close: the deal won, the project created; their sequence numbers.
async fn append_events(
    conn: &mut Conn,
    caller: &Caller,
    request: &CloseRequest<'_>,
    checked: &CheckedClose,
    written: &WrittenClose,
    now_ms: i64,
) -> Result<(i64, i64), AppError> {
    let deal_seq = events::append(
        &mut *conn,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "deal",
            entity_id: request.deal_id,
            action: "won",
            before: Some(serde_json::json!({ "stage": checked.from.name })),
            after: Some(serde_json::json!({ "stage": checked.won.name, "project": written.name })),
        },
        now_ms,
    )
    .await?;
    let project_seq = events::append(
        &mut *conn,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "project",
            entity_id: written.project_id,
            action: "created",
            before: None,
            after: Some(serde_json::json!({
                "name": written.name, "deal_id": request.deal_id,
                "starts_on": checked.starts_on.to_string(), "weeks": checked.deal.demand.weeks,
                "capacity": checked.report.capacity, "margin": checked.report.margin,
                "override_reason": checked.overridden, "allocations": written.cells.len(),
            })),
        },
        now_ms,
    )
    .await?;
    Ok((deal_seq, project_seq))
}
