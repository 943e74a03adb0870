//! The capacity planner: people × weeks, with the pipeline's demand and the odds of
//! being over capacity, and its edits. Viewing needs "view pipeline" (people who only log
//! time see their own row); editing needs "manage capacity"; applying a what-if needs
//! "edit deals". Every edit is versioned, written with its event, and goes live to every
//! planner (and into the close dialog's numbers, through the capacity version).

// One argument per form field.
#![allow(clippy::too_many_arguments)]

pub use crate::shared::planner::*;

use crate::error::AppError;
use leptos::prelude::*;

/// The planner for `weeks` weeks from the week containing `from` (empty: this week; weeks
/// start on the workspace's week start, "this week" by its time zone),
/// with open deals counted as `demand` says (`off`, `weighted`, `pessimistic`).
#[server(endpoint = "capacity_grid")]
pub async fn capacity_grid(
    #[server(default)] from: String,
    weeks: u32,
    #[server(default)] demand: String,
) -> Result<PlannerGrid, AppError> {
    use crate::domain::permissions::Permission;
    use crate::domain::planner::{week_from, DemandMode};
    use crate::server::{context, planner_service};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    if !(1..=MAX_WEEKS).contains(&weeks) {
        return Err(AppError::invalid("weeks", "must be from 1 to 52"));
    }
    let today = context::today()?;
    let first = week_from(&from, today)?;
    let mode = DemandMode::parse(demand.trim());
    planner_service::grid(&caller, first, weeks, mode, today).await
}

/// One person's week: allocations by project or deal, and their time off.
#[server(endpoint = "capacity_cell")]
pub async fn capacity_cell(person_id: i64, week: String) -> Result<CellDetail, AppError> {
    use crate::domain::permissions::Permission;
    use crate::domain::planner::week_first_day;
    use crate::server::{context, planner_service};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    let week = week_first_day("week", &week, context::today()?)?;
    planner_service::cell(&caller, person_id, week).await
}

/// Sets a person's hours on a project (or open deal: `target` is `project:ID` or
/// `deal:ID`) in one week; 0 removes it. `version` is the allocation's (0 when there is
/// none yet). Over-allocation is allowed and reported.
#[server(endpoint = "set_allocation")]
pub async fn set_allocation(
    person_id: i64,
    target: String,
    week: String,
    hours: String,
    version: i64,
) -> Result<EditOutcome, AppError> {
    use crate::domain::permissions::Permission;
    use crate::domain::planner::{in_range, week_first_day, AllocationTarget};
    use crate::domain::validate;
    use crate::server::{context, planner_service};

    let caller = context::caller_with(Permission::ManageCapacity).await?;
    let now = context::now_ms();
    let today = context::today()?;
    let week = week_first_day("week", &week, today)?;
    in_range(week, today)?;
    let minutes = validate::hours("hours", &hours, 168)?;
    let target = AllocationTarget::parse("target", &target)?;
    planner_service::allocate(
        &caller,
        planner_service::Assignment {
            person_id,
            target,
            from: week,
            weeks: 1,
            minutes,
            version: Some(version),
        },
        now,
    )
    .await
}

/// Assigns a person to a project (or an open deal, as tentative work) for `weeks` weeks
/// from `from_week` at `hours` a week, in one action.
#[server(endpoint = "assign_range")]
pub async fn assign_range(
    person_id: i64,
    target: String,
    from_week: String,
    weeks: u32,
    hours: String,
) -> Result<EditOutcome, AppError> {
    use crate::domain::permissions::Permission;
    use crate::domain::planner::{in_range, week_first_day, AllocationTarget};
    use crate::domain::validate;
    use crate::server::{context, planner_service};

    let caller = context::caller_with(Permission::ManageCapacity).await?;
    let now = context::now_ms();
    let today = context::today()?;
    let from = week_first_day("from_week", &from_week, today)?;
    in_range(from, today)?;
    if !(1..=MAX_WEEKS).contains(&weeks) {
        return Err(AppError::invalid("weeks", "must be from 1 to 52"));
    }
    let minutes = validate::hours("hours", &hours, 168)?;
    if minutes == 0 {
        return Err(AppError::invalid("hours", "must be more than 0"));
    }
    let target = AllocationTarget::parse("target", &target)?;
    planner_service::allocate(
        &caller,
        planner_service::Assignment {
            person_id,
            target,
            from,
            weeks,
            minutes,
            version: None,
        },
        now,
    )
    .await
}

/// Adds time off for a person: `starts_on` to `ends_on` (at most a year), `hours_per_day`
/// off on each working day (empty: a full day, capacity / 5).
#[server(endpoint = "add_time_off")]
pub async fn add_time_off(
    person_id: i64,
    starts_on: String,
    ends_on: String,
    #[server(default)] hours_per_day: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, planner_service};

    let caller = context::caller_with(Permission::ManageCapacity).await?;
    planner_service::add_time_off(
        &caller,
        planner_service::TimeOffRequest {
            person_id,
            starts_on: &starts_on,
            ends_on: &ends_on,
            hours_per_day: &hours_per_day,
            reason: &reason,
        },
        context::today()?,
        context::now_ms(),
    )
    .await
}

/// Removes a stretch of time off.
#[server(endpoint = "remove_time_off")]
pub async fn remove_time_off(time_off_id: i64, version: i64) -> Result<(), AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, planner_service};

    let caller = context::caller_with(Permission::ManageCapacity).await?;
    planner_service::remove_time_off(&caller, time_off_id, version, context::now_ms()).await
}

/// Applies a what-if tried in the planner: `changes` lists the deals it changed as
/// `deal:version:outcome:weeks` (outcome `open`, `won` or `lost`; weeks slipped, 0 to
/// 12), separated by commas. Each deal is written on its own — lost: marked lost with the
/// reason "Lost (planner what-if)"; won: probability 100 % (not closed); slipped: planned
/// start moved later — and only if it is still at that version. Answers which deals were
/// written and why the others were not. Needs "edit deals".
#[server(endpoint = "apply_what_if")]
pub async fn apply_what_if(changes: String) -> Result<WhatIfOutcome, AppError> {
    use crate::domain::permissions::Permission;
    use crate::domain::what_if::parse_changes;
    use crate::server::{context, planner_service};

    let caller = context::caller_with(Permission::EditDeals).await?;
    let changes = parse_changes("changes", &changes)?;
    planner_service::apply_what_if(&caller, &changes).await
}
