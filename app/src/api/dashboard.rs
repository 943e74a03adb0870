//! The home dashboard: forecast, win rate, utilisation, projects at risk, rotting deals.
//! Needs "view pipeline"; amounts only with "view deal values" (otherwise the forecast is
//! counted in deals).

use crate::error::AppError;
use leptos::prelude::*;

pub use crate::shared::dashboard::*;

/// The dashboard as the caller may see it.
#[server(endpoint = "dashboard")]
pub async fn dashboard() -> Result<DashboardData, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, dashboard_service};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    dashboard_service::dashboard(&caller).await
}
