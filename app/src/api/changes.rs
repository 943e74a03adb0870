//! Change requests: extra scope on a project, proposed by an account manager or a project
//! manager ("edit deals" or "manage projects"), reviewed against capacity and margin, and
//! approved or rejected by a project manager ("manage projects"). Approving what is short
//! or under the floor needs "override checks" and a written reason.

use crate::domain::capacity::CapacityVerdict;
use crate::domain::margin::MarginVerdict;
use crate::error::AppError;
use leptos::prelude::*;

pub use crate::shared::project::ChangeRow;

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

/// A project's change requests as `caller` may see them: extra values only with "view
/// deal values", the margin at decision only with both money permissions.
#[cfg(feature = "ssr")]
pub fn as_seen_by(
    changes: Vec<ChangeRow>,
    caller: &crate::server::context::Caller,
) -> Vec<ChangeRow> {
    use crate::domain::permissions::Permission;
    let values = caller.can(Permission::ViewDealValues);
    let costs = caller.permissions.sees_cost_amounts();
    changes
        .into_iter()
        .map(|c| ChangeRow {
            extra_value_minor: c.extra_value_minor.filter(|_| values),
            verdicts: c
                .verdicts
                .map(|(capacity, bp)| (capacity, bp.filter(|_| costs))),
            ..c
        })
        .collect()
}

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
    use crate::server::{change_repo, close_repo, context, events, project_repo};

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
    let project = project_repo::status(&mut tx, caller.workspace_id, project_id).await?;
    let status = project.ok_or(AppError::NotFound)?;
    if crate::domain::project::ProjectStatus::stored_is_over(&status) {
        return Err(AppError::invalid(
            "project",
            format!("is {status}; changes can only be proposed on running projects"),
        ));
    }
    for (skill_id, _) in &minutes {
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
            description: &description,
            extra_value_minor,
            proposed_by: caller.user_id,
            minutes: &minutes,
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

/// Reviews a proposed change: capacity for the extra hours in the project's remaining
/// weeks and the margin of the revised budget. Needs "view pipeline"; amounts follow the
/// money permissions.
#[server(endpoint = "review_change")]
pub async fn review_change(change_id: i64) -> Result<ChangeReviewView, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{change_repo, context};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    let pool = context::pool()?;
    let now = context::now_ms();
    let mut conn = pool.acquire().await?;
    let loaded = change_repo::load(&mut conn, caller.workspace_id, change_id, now).await?;
    if loaded.status != "proposed" {
        return Err(AppError::Conflict(format!(
            "this change request was already {}",
            loaded.status
        )));
    }
    let review = change_repo::review_of(&mut conn, caller.workspace_id, &loaded, now).await?;
    let (skills, people) = change_repo::names(&mut conn, caller.workspace_id).await?;
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
                skill: change_repo::name_of(&skills, c.skill),
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
                    change_repo::name_of(&people, l.person_id),
                    change_repo::name_of(&skills, l.skill),
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
    use crate::server::{change_repo, context, events, project_repo};

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
    let loaded = change_repo::load(&mut tx, caller.workspace_id, change_id, now).await?;
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
        let review = change_repo::review_of(&mut tx, caller.workspace_id, &loaded, now).await?;
        let stored_override = crate::domain::overrides::decide(
            "approving the change",
            &review.blockers(caller.permissions.sees_cost_amounts()),
            caller.can(Permission::OverrideChecks),
            &override_reason,
        )?;
        project_repo::add_to_budget(
            &mut tx,
            caller.workspace_id,
            loaded.project_id,
            loaded.extra_value_minor,
        )
        .await?;
        if add_allocations {
            change_repo::book_staffing(
                &mut tx,
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
            allocations_added: add_allocations && !review.capacity.staffing.is_empty(),
        };
        let decided = change_repo::approve(
            &mut tx,
            caller.workspace_id,
            change_id,
            version,
            approval,
            now,
        )
        .await?;
        if !decided {
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
        let decided = change_repo::reject(
            &mut tx,
            caller.workspace_id,
            change_id,
            version,
            caller.user_id,
            &reason,
            now,
        )
        .await?;
        if !decided {
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
