//! Change requests: extra scope on a project, proposed by an account manager or a project
//! manager ("edit deals" or "manage projects"), reviewed against capacity and margin, and
//! approved or rejected by a project manager ("manage projects"). Approving what is short
//! or under the floor needs "override checks" and a written reason.

use crate::error::AppError;
use leptos::prelude::*;

pub use crate::shared::project::{ChangeCell, ChangeReviewView, ChangeRow};

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
    change_service::review(&caller, change_id).await
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

    // "Override checks" alone may approve a blocked change (and nothing else).
    let caller =
        context::caller_with_any(&[Permission::ManageProjects, Permission::OverrideChecks]).await?;
    caller.require(Permission::ViewPipeline)?;
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
        // Booking people is the project manager's call: an approver without "manage
        // projects" approves the budget, not a staffing.
        add_allocations: add_allocations && caller.can(Permission::ManageProjects),
    };
    change_service::decide(&caller, ruling).await
}
