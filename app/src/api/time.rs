//! Time: people log hours on their projects (day, hours, note, billable) and see their
//! week; project managers see everyone's time on a project. Logging needs "log own time";
//! a person logs only on projects they are staffed on, unless they may manage projects.

pub use crate::shared::time::*;

use crate::error::AppError;
use leptos::prelude::*;

/// The caller's week (`week`: any day of it; empty: this week in the workspace's time
/// zone, its weeks starting on the workspace's week start).
#[server(endpoint = "timesheet")]
pub async fn timesheet(#[server(default)] week: String) -> Result<WeekOfTime, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, time_service};

    let caller = context::caller_with(Permission::LogOwnTime).await?;
    time_service::timesheet(&caller, &week, context::today()?).await
}

/// Logs time: `worked_on` (not after the workspace's today, at most a year back), `hours` (more than 0;
/// a person's day adds up to 24 h at most), a note, billable or not.
#[server(endpoint = "log_time")]
pub async fn log_time(
    project_id: i64,
    worked_on: String,
    hours: String,
    #[server(default)] note: String,
    #[server(default)] billable: Option<String>,
) -> Result<TimeEntry, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, time_service};

    let caller = context::caller_with(Permission::LogOwnTime).await?;
    time_service::log(
        &caller,
        time_service::NewTime {
            project_id,
            worked_on: &worked_on,
            hours: &hours,
            note: &note,
            billable: billable.is_some_and(|b| b != "false" && b != "0"),
        },
        context::today()?,
        context::now_ms(),
    )
    .await
}

/// Removes one of the caller's own entries.
#[server(endpoint = "delete_time")]
pub async fn delete_time(entry_id: i64, version: i64) -> Result<(), AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, time_service};

    let caller = context::caller_with(Permission::LogOwnTime).await?;
    time_service::delete(&caller, entry_id, version, context::now_ms()).await
}

/// Everyone's time on a project. Needs "manage projects".
#[server(endpoint = "project_time")]
pub async fn project_time(project_id: i64) -> Result<ProjectTimeLog, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, time_service};

    let caller = context::caller_with(Permission::ManageProjects).await?;
    time_service::project_time(&caller, project_id).await
}
