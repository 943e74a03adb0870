//! Projects: the list, one project's page, its project manager, and reopening the deal
//! that spawned it. Seeing projects needs "view pipeline"; budgets need "view deal
//! values"; cost figures of the close report need "view cost rates".

use crate::error::AppError;
use leptos::prelude::*;

pub use crate::shared::project::{BurnView, ProjectDetail, ProjectList, ProjectRow, StaffRow};

/// Every project of the workspace, newest first.
#[server(endpoint = "list_projects")]
pub async fn list_projects() -> Result<ProjectList, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, project_service};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    project_service::list(&caller).await
}

/// One project: brief, budget, dates, staffing by week, the checks at close.
#[server(endpoint = "get_project")]
pub async fn get_project(project_id: i64) -> Result<ProjectDetail, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, project_service};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    project_service::project(&caller, project_id).await
}

/// Assigns the project manager (empty `pm_user_id`: nobody). Needs "manage projects".
#[server(endpoint = "set_project_pm")]
pub async fn set_project_pm(
    project_id: i64,
    version: i64,
    #[server(default)] pm_user_id: String,
) -> Result<(), AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, project_service};

    let caller = context::caller_with(Permission::ManageProjects).await?;
    let pm = match pm_user_id.trim() {
        "" => None,
        id => Some(
            id.parse::<i64>()
                .map_err(|_| AppError::invalid("pm", "is not a user of this workspace"))?,
        ),
    };
    project_service::assign_pm(&caller, project_id, version, pm).await
}

/// Reopens the deal a project came from, removing the project and its allocations, when
/// no time is logged on it: the deal goes back to the last open stage. One transaction,
/// one event. Needs "close deals".
#[server(endpoint = "reopen_deal")]
pub async fn reopen_deal(project_id: i64, deal_version: i64) -> Result<i64, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, project_service};

    let caller = context::caller_with(Permission::CloseDeals).await?;
    project_service::reopen_deal(&caller, project_id, deal_version).await
}
