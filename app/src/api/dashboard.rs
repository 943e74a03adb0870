//! The home dashboard: forecast, win rate, utilisation, projects at risk, rotting deals.
//! Needs "view pipeline"; amounts only with "view deal values" (otherwise the forecast is
//! counted in deals).

use crate::error::AppError;
use leptos::prelude::*;

/// One month's bar of the forecast.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ForecastBar {
    /// `YYYY-MM`.
    pub month: String,
    /// Weighted value (with "view deal values").
    pub weighted_minor: Option<i64>,
    /// Unweighted value (with "view deal values").
    pub total_minor: Option<i64>,
    /// Open deals expected to close in the month.
    pub deals: i64,
}

/// One week of utilisation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UtilisationPoint {
    /// First day of the week.
    pub week: String,
    /// Confirmed / available, basis points.
    pub confirmed_bp: i64,
    /// With tentative work weighted by probability, basis points.
    pub with_pipeline_bp: i64,
    /// Available hours (minutes).
    pub available: i64,
}

/// A project at risk.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RiskyProject {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Client name.
    pub client: String,
    /// Why (as the caller may see it).
    pub risks: Vec<String>,
}

/// A deal that has sat in its stage too long.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RottingDeal {
    /// Id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Client name.
    pub client: String,
    /// Stage name.
    pub stage: String,
    /// Days in the stage.
    pub days: i64,
    /// The stage's limit.
    pub limit: i64,
    /// Value (with "view deal values").
    pub value_minor: Option<i64>,
}

/// Everything on the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DashboardData {
    /// Currency code.
    pub currency: String,
    /// Whether amounts are shown.
    pub values: bool,
    /// Six months from this one.
    pub forecast: Vec<ForecastBar>,
    /// Deals won in the last 90 days.
    pub won: i64,
    /// Deals lost in the last 90 days.
    pub lost: i64,
    /// Won / decided, basis points.
    pub win_rate_bp: Option<i64>,
    /// Value won in the last 90 days (with "view deal values").
    pub won_minor: Option<i64>,
    /// The next 8 weeks.
    pub utilisation: Vec<UtilisationPoint>,
    /// Running projects at risk.
    pub at_risk: Vec<RiskyProject>,
    /// Rotting deals, longest over first (at most 10).
    pub rotting: Vec<RottingDeal>,
    /// How many deals are rotting in all.
    pub rotting_total: i64,
    /// The latest event number (for the live stream).
    pub seq: i64,
}

/// The dashboard as the caller may see it.
#[server(endpoint = "dashboard")]
pub async fn dashboard() -> Result<DashboardData, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, dashboard_service};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    Ok(dashboard_service::dashboard(&caller).await?.into())
}

#[cfg(feature = "ssr")]
impl From<crate::server::dashboard_service::Dashboard> for DashboardData {
    fn from(d: crate::server::dashboard_service::Dashboard) -> Self {
        Self {
            currency: d.currency,
            values: d.values,
            forecast: d
                .forecast
                .into_iter()
                .map(|m| ForecastBar {
                    month: m.month,
                    weighted_minor: m.weighted_minor,
                    total_minor: m.total_minor,
                    deals: m.deals,
                })
                .collect(),
            won: d.won,
            lost: d.lost,
            win_rate_bp: d.win_rate_bp,
            won_minor: d.won_minor,
            utilisation: d
                .utilisation
                .into_iter()
                .map(|w| UtilisationPoint {
                    week: w.week,
                    confirmed_bp: w.confirmed_bp,
                    with_pipeline_bp: w.with_pipeline_bp,
                    available: w.available,
                })
                .collect(),
            at_risk: d
                .at_risk
                .into_iter()
                .map(|p| RiskyProject {
                    id: p.id,
                    name: p.name,
                    client: p.client,
                    risks: p.risks,
                })
                .collect(),
            rotting: d
                .rotting
                .into_iter()
                .map(|r| RottingDeal {
                    id: r.id,
                    title: r.title,
                    client: r.client,
                    stage: r.stage,
                    days: r.days,
                    limit: r.limit,
                    value_minor: r.value_minor,
                })
                .collect(),
            rotting_total: d.rotting_total,
            seq: d.seq,
        }
    }
}
