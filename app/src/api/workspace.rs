//! The workspace's settings: its time zone and the day its weeks start on. Both functions
//! need "manage settings" (admins).

pub use crate::shared::workspace::WorkspaceSettings;

use crate::error::AppError;
use leptos::prelude::*;

/// The caller's workspace's settings, with the time zones that may be chosen.
#[server(endpoint = "workspace_settings")]
pub async fn get_workspace_settings() -> Result<WorkspaceSettings, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, workspace_service};

    let caller = context::caller_with(Permission::ManageSettings).await?;
    workspace_service::settings(&caller).await
}

/// Sets the workspace's time zone (an IANA name such as `Europe/Berlin`) and week start
/// (`1` = Monday … `7` = Sunday, or the day's name), as seen at `version`. Every "today"
/// and "this week" follows them from the next request on; allocations move to the new
/// weeks. Recorded in the audit log.
#[server(endpoint = "set_workspace_calendar")]
pub async fn set_workspace_calendar(
    time_zone: String,
    week_start: String,
    version: i64,
) -> Result<(), AppError> {
    use crate::domain::calendar::WeekStart;
    use crate::domain::permissions::Permission;
    use crate::server::{context, workspace_service};

    let caller = context::caller_with(Permission::ManageSettings).await?;
    let week_start = WeekStart::parse("week_start", &week_start)?;
    workspace_service::set_calendar(&caller, &time_zone, week_start, version).await
}
