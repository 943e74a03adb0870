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

/// Months in the forecast.
pub const FORECAST_MONTHS: u32 = 6;
/// Weeks of utilisation.
pub const UTILISATION_WEEKS: u32 = 8;

/// The dashboard as the caller may see it.
#[server(endpoint = "dashboard")]
pub async fn dashboard() -> Result<DashboardData, AppError> {
    use crate::domain::calendar::Date;
    use crate::domain::capacity::TentativeMode;
    use crate::domain::dashboard::{forecast_by_month, week_loads, win_rate_bp, ForecastDeal};
    use crate::domain::permissions::Permission;
    use crate::domain::pipeline::{days_in_stage, is_rotting, StageKind};
    use crate::server::{board_repo, capacity_repo, context, dashboard_repo};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    let started = std::time::Instant::now();
    let values = caller.can(Permission::ViewDealValues);
    let costs = caller.permissions.sees_cost_amounts();
    let pool = context::pool()?;
    let now = context::now_ms();
    let today = Date::from_unix_ms(now);
    let seq = board_repo::latest_seq(&pool, caller.workspace_id).await?;
    let workspace = board_repo::workspace(&pool, caller.workspace_id).await?;
    let mut conn = pool.acquire().await?;

    // Open deals from the board's rows: (deal, its stage).
    let rows = context::state()?
        .boards
        .rows(&mut conn, caller.workspace_id)
        .await?;
    let stages: std::collections::HashMap<i64, &crate::api::board::StageSummary> =
        rows.stages.iter().map(|s| (s.id, s)).collect();
    let open: Vec<(
        &crate::api::board::BoardDealRow,
        &crate::api::board::StageSummary,
    )> = rows
        .deals
        .iter()
        .filter_map(|d| {
            let stage = stages.get(&d.stage_id)?;
            (stage.kind == StageKind::Open).then_some((d, *stage))
        })
        .collect();
    let forecast_deals: Vec<ForecastDeal> = open
        .iter()
        .map(|(d, stage)| ForecastDeal {
            value_minor: d.value_minor,
            probability_pct: crate::domain::pipeline::effective_probability(
                StageKind::Open,
                stage.probability_pct,
                d.probability_override_pct,
            ),
            expected_close: d.expected_close_on.as_deref().and_then(Date::parse),
        })
        .collect();
    let forecast = forecast_by_month(&forecast_deals, today, FORECAST_MONTHS)
        .into_iter()
        .map(|m| ForecastBar {
            month: format!("{}-{:02}", m.year, m.month),
            weighted_minor: values.then_some(m.weighted_minor),
            total_minor: values.then_some(m.total_minor),
            deals: m.deals,
        })
        .collect();
    let mut rotting: Vec<RottingDeal> = open
        .iter()
        .filter_map(|(d, stage)| {
            let days = days_in_stage(d.stage_entered_at, now);
            is_rotting(StageKind::Open, days, stage.rotting_days).then(|| RottingDeal {
                id: d.id,
                title: d.title.clone(),
                client: d.client_name.clone(),
                stage: stage.name.clone(),
                days,
                limit: stage.rotting_days.unwrap_or(0),
                value_minor: values.then_some(d.value_minor),
            })
        })
        .collect();
    rotting.sort_by_key(|r| (-(r.days - r.limit), r.id));
    let rotting_total = rotting.len() as i64;
    rotting.truncate(10);

    let deals_ms = started.elapsed().as_millis();
    let since = now - 90 * 86_400_000;
    let decided = dashboard_repo::decided_since(&mut conn, caller.workspace_id, since).await?;

    let first_week = today.week_start(1);
    let input = capacity_repo::load_capacity_input(
        &mut conn,
        caller.workspace_id,
        capacity_repo::Horizon {
            first_week,
            weeks: UTILISATION_WEEKS,
        },
        TentativeMode::Weighted,
    )
    .await?;
    let utilisation = week_loads(&input)
        .into_iter()
        .enumerate()
        .map(|(k, load)| UtilisationPoint {
            week: first_week.add_days(7 * k as i32).to_string(),
            confirmed_bp: load.utilisation_bp(),
            with_pipeline_bp: load.with_pipeline_bp(),
            available: load.available,
        })
        .collect();

    let capacity_ms = started.elapsed().as_millis();
    let burns = context::state()?
        .burns
        .all(&mut conn, caller.workspace_id, today)
        .await?;
    tracing::debug!(
        deals_ms,
        capacity_ms,
        burns_ms = started.elapsed().as_millis(),
        "dashboard"
    );
    let at_risk = dashboard_repo::running_projects(&mut conn, caller.workspace_id)
        .await?
        .into_iter()
        .filter_map(|p| {
            let b = burns.get(&p.id).filter(|b| b.at_risk())?;
            Some(RiskyProject {
                risks: crate::domain::burn::visible_risks(b, values, costs),
                id: p.id,
                name: p.name,
                client: p.client,
            })
        })
        .collect();

    Ok(DashboardData {
        currency: workspace.currency,
        values,
        forecast,
        won: decided.won,
        lost: decided.lost,
        win_rate_bp: win_rate_bp(decided.won, decided.lost),
        won_minor: values.then_some(decided.won_minor),
        utilisation,
        at_risk,
        rotting,
        rotting_total,
        seq,
    })
}
