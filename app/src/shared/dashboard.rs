//! The home dashboard as it crosses the wire: the forecast, the win rate, the team's
//! utilisation, the projects at risk and the rotting deals, amounts only for those who may
//! see deal values.

use serde::{Deserialize, Serialize};

/// One month's bar of the forecast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// A running project at risk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RottingDeal {
    /// Id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Client name.
    pub client: String,
    /// Stage name.
    pub stage: String,
    /// Days without progress (what rotting counts: `pipeline::Progress`).
    pub days: i64,
    /// Days since it last entered its stage (fewer than `days` after a move back or a
    /// reopening).
    #[serde(default)]
    pub days_in_stage: i64,
    /// The stage's limit.
    pub limit: i64,
    /// Value (with "view deal values").
    pub value_minor: Option<i64>,
}

/// Everything on the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
