//! The capacity planner: people × weeks, with the pipeline's demand, and its edits.
//! Viewing needs "view pipeline" (people who only log time see their own row); editing
//! needs "manage capacity". Every edit is versioned, written with its event, and goes
//! live to every planner (and into the close dialog's numbers, through the capacity
//! version).

// One argument per form field.
#![allow(clippy::too_many_arguments)]

pub use crate::shared::planner::*;

#[cfg(feature = "ssr")]
use crate::domain::planner::DemandMode;
use crate::error::AppError;
use leptos::prelude::*;

/// The planner for `weeks` weeks from the week containing `from` (empty: this week),
/// with open deals counted as `demand` says (`off`, `weighted`, `pessimistic`).
#[server(endpoint = "capacity_grid")]
pub async fn capacity_grid(
    #[server(default)] from: String,
    weeks: u32,
    #[server(default)] demand: String,
) -> Result<PlannerGrid, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{board_repo, context, planner_repo};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    if !(1..=MAX_WEEKS).contains(&weeks) {
        return Err(AppError::invalid("weeks", "must be from 1 to 52"));
    }
    let now = context::now_ms();
    let first = planner_repo::week_from(&from, now)?;
    let mode = DemandMode::parse(demand.trim());
    let mut conn = context::read().await?;
    // The event number first: a change committed while the grid loads is replayed.
    let seq = board_repo::latest_seq(&mut *conn, caller.workspace_id).await?;
    let whole_team = planner_repo::sees_whole_team(&caller);
    let mut grid = planner_repo::grid(&mut conn, &caller, first, weeks, mode, whole_team).await?;
    grid.this_week = planner_repo::this_week(now).to_string();
    grid.seq = seq;
    Ok(grid)
}

/// One person's week: allocations by project or deal, and their time off.
#[server(endpoint = "capacity_cell")]
pub async fn capacity_cell(person_id: i64, week: String) -> Result<CellDetail, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, planner_repo};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    let week = planner_repo::monday("week", &week)?;
    let pool = context::pool()?;
    let mut conn = pool.acquire().await?;
    planner_repo::visible_person(&mut conn, &caller, person_id).await?;
    planner_repo::cell(&mut conn, &caller, person_id, week).await
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
    use crate::server::{context, planner_repo};

    let caller = context::caller_with(Permission::ManageCapacity).await?;
    let week = planner_repo::monday("week", &week)?;
    planner_repo::in_range(week, context::now_ms())?;
    let minutes = crate::domain::validate::hours("hours", &hours, 168)?;
    planner_repo::write_allocations(
        &caller,
        planner_repo::Assignment {
            person_id,
            target: &target,
            from: week,
            weeks: 1,
            minutes,
            version: Some(version),
        },
        context::now_ms(),
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
    use crate::server::{context, planner_repo};

    let caller = context::caller_with(Permission::ManageCapacity).await?;
    let from = planner_repo::monday("from_week", &from_week)?;
    planner_repo::in_range(from, context::now_ms())?;
    if !(1..=MAX_WEEKS).contains(&weeks) {
        return Err(AppError::invalid("weeks", "must be from 1 to 52"));
    }
    let minutes = crate::domain::validate::hours("hours", &hours, 168)?;
    if minutes == 0 {
        return Err(AppError::invalid("hours", "must be more than 0"));
    }
    planner_repo::write_allocations(
        &caller,
        planner_repo::Assignment {
            person_id,
            target: &target,
            from,
            weeks,
            minutes,
            version: None,
        },
        context::now_ms(),
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
    use crate::server::{context, planner_repo};

    let caller = context::caller_with(Permission::ManageCapacity).await?;
    planner_repo::add_time_off(
        &caller,
        person_id,
        &starts_on,
        &ends_on,
        &hours_per_day,
        &reason,
        context::now_ms(),
    )
    .await
}

/// Removes a stretch of time off.
#[server(endpoint = "remove_time_off")]
pub async fn remove_time_off(time_off_id: i64, version: i64) -> Result<(), AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, planner_repo};

    let caller = context::caller_with(Permission::ManageCapacity).await?;
    planner_repo::remove_time_off(&caller, time_off_id, version, context::now_ms()).await
}
