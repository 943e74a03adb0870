//! Change requests, as one transaction each: proposing extra scope on a running project,
//! reviewing it against the team's confirmed work and the margin floor, and approving
//! (revising the budget, booking the staffing if asked) or rejecting it. Arguments come
//! decoded and validated; the state and the clock come from the request's context.

use crate::domain::change::{ChangeReview, Decision};
use crate::domain::permissions::Permission;
use crate::error::AppError;
use crate::server::change_repo::{self, LoadedChange};
use crate::server::context::{self, Caller};
use crate::server::db::Conn;
use crate::server::{burn_repo, close_repo, events, project_repo};
use crate::shared::live::LiveEvent;
use crate::shared::project::{ChangeCell, ChangeReviewView};

/// Extra scope proposed on a project (validated, but not yet against the workspace).
pub struct Proposal<'a> {
    /// The project it asks more of.
    pub project_id: i64,
    /// What is asked for (validated).
    pub description: &'a str,
    /// Extra value as typed, major units (empty: none).
    pub extra_value: &'a str,
    /// Extra hours: (skill id, minutes), each more than zero, at least one.
    pub minutes: &'a [(i64, i64)],
}

/// Proposes extra scope on a running project: checks the extra value against the
/// workspace's currency, the project's status and the skills, records the change request
/// and its event, and tells the workspace's project pages. Answers its id.
pub async fn propose(caller: &Caller, proposal: Proposal<'_>) -> Result<i64, AppError> {
    use crate::domain::money::Currency;
    use crate::domain::project::ProjectStatus;
    use crate::domain::validate;

    let Proposal {
        project_id,
        description,
        extra_value,
        minutes,
    } = proposal;
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write(caller.workspace_id).await?;
    let (currency, ..) = close_repo::targets(&mut tx, caller.workspace_id).await?;
    let extra_value_minor = match extra_value.trim() {
        "" => 0,
        text => validate::amount("extra_value", text, &Currency::new(&currency))?,
    };
    let project = project_repo::status(&mut tx, caller.workspace_id, project_id).await?;
    let status = project.ok_or(AppError::NotFound)?;
    if ProjectStatus::stored_is_over(&status) {
        return Err(AppError::invalid(
            "project",
            format!("is {status}; changes can only be proposed on running projects"),
        ));
    }
    for (skill_id, _) in minutes {
        if !change_repo::is_skill(&mut tx, caller.workspace_id, *skill_id).await? {
            return Err(AppError::invalid(
                "hours",
                "names a skill this workspace does not have",
            ));
        }
    }
    let id = change_repo::insert(
        &mut tx,
        caller.workspace_id,
        change_repo::NewChange {
            project_id,
            description,
            extra_value_minor,
            proposed_by: caller.user_id,
            minutes,
        },
        now,
    )
    .await?;
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

/// Reviews a change request that is still proposed: capacity for its extra hours in the
/// project's remaining weeks, and the margin of the revised budget, as the caller may see
/// them.
pub async fn review(caller: &Caller, change_id: i64) -> Result<ChangeReviewView, AppError> {
    let pool = context::pool()?;
    let now = context::now_ms();
    let mut conn = pool.acquire().await?;
    let today = context::calendar()?.at(now);
    let loaded = change_repo::load(&mut conn, caller.workspace_id, change_id, today).await?;
    still_proposed(&loaded)?;
    let review = review_of(&mut conn, caller.workspace_id, &loaded, now).await?;
    let (skills, people) = change_repo::names(&mut conn, caller.workspace_id).await?;
    Ok(review_view(
        caller, change_id, &loaded, &review, &skills, &people,
    ))
}

/// The review of change request `change_id` as `caller` may see it: budgets with "view
/// deal values", cost figures and the margin they leave only with both money
/// permissions; skills and people by name (the workspace's `skills` and `people`, each
/// (id, name)), weeks by their first day.
fn review_view(
    caller: &Caller,
    change_id: i64,
    loaded: &LoadedChange,
    review: &ChangeReview,
    skills: &[(i64, String)],
    people: &[(i64, String)],
) -> ChangeReviewView {
    let week = |w: u32| loaded.first_week.add_days(7 * w as i32).to_string();
    let skill = |id: i64| change_repo::name_of(skills, id);
    let values = caller.can(Permission::ViewDealValues);
    // Cost figures and the margin they leave: only for those who may see both.
    let cost_amounts = caller.permissions.sees_cost_amounts();
    ChangeReviewView {
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
                skill: skill(c.skill),
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
                    change_repo::name_of(people, l.person_id),
                    skill(l.skill),
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
    }
}

/// A project manager's decision on a change request (validated).
pub struct Ruling<'a> {
    /// The change request.
    pub change_id: i64,
    /// Its version as the decider saw it.
    pub version: i64,
    /// Approve or reject.
    pub decision: Decision,
    /// Why it is rejected (3+ characters when it is).
    pub reason: &'a str,
    /// Why it is approved although a check blocks it.
    pub override_reason: &'a str,
    /// Whether approving books the suggested staffing on the project.
    pub add_allocations: bool,
}

/// Approves or rejects a proposed change at the version the decider saw, in one
/// transaction with one event; approval re-runs the review, applies the override rule,
/// revises the budget and books the staffing if asked. Tells the project pages, and the
/// planner when people were booked.
pub async fn decide(caller: &Caller, ruling: Ruling<'_>) -> Result<(), AppError> {
    let state = context::state()?;
    let now = context::now_ms();
    // Approval books people: it takes its turn at the writer like closes, so both see
    // each other's allocations.
    let mut tx = state.db.write(caller.workspace_id).await?;
    let today = context::calendar()?.at(now);
    let loaded = change_repo::load(&mut tx, caller.workspace_id, ruling.change_id, today).await?;
    still_proposed(&loaded)?;
    if loaded.version != ruling.version {
        return Err(AppError::Conflict(
            "someone else changed this change request; reload to see their change".into(),
        ));
    }
    if ruling.decision == Decision::Reject && !caller.can(Permission::ManageProjects) {
        return Err(AppError::Forbidden);
    }
    let (action, before, after) = match ruling.decision {
        Decision::Approve => approve(&mut tx, caller, &loaded, &ruling, now).await?,
        Decision::Reject => reject(&mut tx, caller, &ruling, now).await?,
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
    if ruling.decision == Decision::Approve && ruling.add_allocations {
        state
            .live
            .publish(caller.workspace_id, LiveEvent::Capacity { seq });
    }
    Ok(())
}

/// The event of a decision: its action, and the change request before and after.
type Decided = (&'static str, serde_json::Value, serde_json::Value);

/// Approves `loaded` in the caller's transaction: the review again, the override rule,
/// the revised budget, the staffing if asked, the change request marked approved.
async fn approve(
    tx: &mut Conn,
    caller: &Caller,
    loaded: &LoadedChange,
    ruling: &Ruling<'_>,
    now: i64,
) -> Result<Decided, AppError> {
    if crate::domain::project::ProjectStatus::stored_is_over(&loaded.project_status) {
        return Err(AppError::invalid(
            "project",
            format!(
                "is {}; changes can only be approved on running projects",
                loaded.project_status
            ),
        ));
    }
    let review = review_of(&mut *tx, caller.workspace_id, loaded, now).await?;
    let stored_override = crate::domain::overrides::decide(
        "approving the change",
        &review.blockers(caller.permissions.sees_cost_amounts()),
        caller.can(Permission::OverrideChecks),
        ruling.override_reason,
    )?;
    // Without "manage projects", overriding is approving: only a blocked change.
    if !caller.can(Permission::ManageProjects) && stored_override.is_none() {
        return Err(AppError::Forbidden);
    }
    project_repo::add_to_budget(
        &mut *tx,
        caller.workspace_id,
        loaded.project_id,
        loaded.extra_value_minor,
    )
    .await?;
    if ruling.add_allocations {
        change_repo::book_staffing(
            &mut *tx,
            caller.workspace_id,
            loaded.project_id,
            loaded.first_week,
            &review.capacity.staffing,
            now,
        )
        .await?;
    }
    let approval = change_repo::Approval {
        decided_by: caller.user_id,
        override_reason: stored_override.as_deref(),
        verdicts: (review.capacity.verdict, review.margin.margin_bp),
        allocations_added: ruling.add_allocations && !review.capacity.staffing.is_empty(),
    };
    let decided = change_repo::approve(
        &mut *tx,
        caller.workspace_id,
        ruling.change_id,
        ruling.version,
        approval,
        now,
    )
    .await?;
    if !decided {
        return Err(decided_meanwhile());
    }
    Ok((
        "change_approved",
        serde_json::json!({ "budget_minor": loaded.budget_minor }),
        serde_json::json!({
            "change_request": ruling.change_id,
            "budget_minor": review.revised_budget_minor,
            "capacity": review.capacity.verdict,
            "margin_bp": review.margin.margin_bp,
            "override_reason": stored_override,
            "allocations_added": ruling.add_allocations,
        }),
    ))
}

/// Rejects the change request in the caller's transaction, for the ruling's reason.
async fn reject(
    tx: &mut Conn,
    caller: &Caller,
    ruling: &Ruling<'_>,
    now: i64,
) -> Result<Decided, AppError> {
    let decided = change_repo::reject(
        tx,
        caller.workspace_id,
        ruling.change_id,
        ruling.version,
        caller.user_id,
        ruling.reason,
        now,
    )
    .await?;
    if !decided {
        return Err(decided_meanwhile());
    }
    Ok((
        "change_rejected",
        serde_json::json!({ "status": "proposed" }),
        serde_json::json!({ "change_request": ruling.change_id, "reason": ruling.reason }),
    ))
}

/// The conflict when a change request was already approved or rejected.
fn still_proposed(loaded: &LoadedChange) -> Result<(), AppError> {
    if loaded.status != "proposed" {
        return Err(AppError::Conflict(format!(
            "this change request was already {}",
            loaded.status
        )));
    }
    Ok(())
}

/// The conflict when someone decided the change request between loading and writing.
fn decided_meanwhile() -> AppError {
    AppError::Conflict("someone else decided this change request; reload to see it".into())
}

/// The review of `loaded`: the team's confirmed work (through the capacity cache) and
/// the project's forecast cost.
async fn review_of(
    conn: &mut Conn,
    workspace_id: i64,
    loaded: &LoadedChange,
    now_ms: i64,
) -> Result<ChangeReview, AppError> {
    let today = context::calendar()?.at(now_ms);
    let forecast_cost = burn_repo::burns(&mut *conn, workspace_id, Some(loaded.project_id), today)
        .await?
        .remove(&loaded.project_id)
        .map(|b| b.forecast_cost_minor)
        .unwrap_or(0);
    let state = context::state()?;
    state
        .capacity
        .with(&mut *conn, workspace_id, loaded.first_week, |snapshot| {
            crate::domain::change::review(
                &snapshot.engine,
                &loaded.demand,
                loaded.start_week,
                loaded.budget_minor,
                forecast_cost,
                loaded.extra_value_minor,
                loaded.target_bp,
                loaded.floor_bp,
            )
        })
        .await?
        .map_err(AppError::from)
}
