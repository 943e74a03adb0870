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
    use crate::domain::validate;
    use crate::server::{change_service, context};

    let caller = context::caller().await?;
    caller.require_client_contact()?;
    let description = validate::required_text("description", &description, 4000)?;
    let minutes = extra_minutes(&hours)?;
    let proposal = change_service::Proposal {
        project_id,
        description: &description,
        extra_value: &extra_value,
        minutes: &minutes,
    };
    change_service::propose(&caller, proposal).await
}

/// The extra hours of a proposal as (skill id, minutes), skills with none left out: a
/// field error on `hours` when a key is not a skill id, a value is not hours, or no skill
/// has any.
#[cfg(feature = "ssr")]
fn extra_minutes(
    hours: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<(i64, i64)>, AppError> {
    let mut minutes = Vec::new();
    for (skill, text) in hours {
        let skill_id = skill.parse::<i64>().map_err(|_| {
            AppError::invalid("hours", "names a skill this workspace does not have")
        })?;
        let m = crate::domain::validate::hours("hours", text, 10_000)?;
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
    Ok(minutes)
}

/// Reviews a proposed change: capacity for the extra hours in the project's remaining
/// weeks and the margin of the revised budget. Needs "view pipeline"; amounts follow the
/// money permissions.
#[server(endpoint = "review_change")]
pub async fn review_change(change_id: i64) -> Result<ChangeReviewView, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{change_service, context};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    let reviewed = change_service::review(&caller, change_id).await?;
    Ok(review_view(&caller, change_id, &reviewed))
}

/// The review as `caller` may see it: budgets with "view deal values", cost figures and
/// the margin they leave only with both money permissions.
#[cfg(feature = "ssr")]
fn review_view(
    caller: &crate::server::context::Caller,
    change_id: i64,
    reviewed: &crate::server::change_service::ReviewedChange,
) -> ChangeReviewView {
    use crate::domain::permissions::Permission;

    let (loaded, review) = (&reviewed.loaded, &reviewed.review);
    let values = caller.can(Permission::ViewDealValues);
    // Cost figures and the margin they leave: only for those who may see both.
    let cost_amounts = caller.permissions.sees_cost_amounts();
    ChangeReviewView {
        id: change_id,
        version: loaded.version,
        start_on: reviewed.week(loaded.start_week),
        weeks: loaded.demand.weeks,
        capacity: review.capacity.verdict,
        cells: review
            .capacity
            .cells
            .iter()
            .map(|c| ChangeCell {
                skill: reviewed.skill(c.skill),
                week: reviewed.week(c.week),
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
                    reviewed.person(l.person_id),
                    reviewed.skill(l.skill),
                    reviewed.week(l.week),
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
    use crate::domain::change::Decision;
    use crate::domain::permissions::Permission;
    use crate::domain::validate;
    use crate::server::{change_service, context};

    let caller = context::caller_with(Permission::ManageProjects).await?;
    let decision = Decision::parse(&decision)?;
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
    if decision == Decision::Reject && reason.chars().count() < 3 {
        return Err(AppError::invalid(
            "reason",
            "say why the change is rejected (3 characters or more)",
        ));
    }
    let ruling = change_service::Ruling {
        change_id,
        version,
        decision,
        reason: &reason,
        override_reason: &override_reason,
        add_allocations,
    };
    change_service::decide(&caller, ruling).await
}
