//! The home dashboard, read and shaped for its caller: the forecast, the win rate, the
//! team's utilisation, the projects at risk and the rotting deals, with amounts only for
//! those who may see deal values (otherwise the forecast is counted in deals).

use crate::domain::calendar::{Date, Today};
use crate::domain::capacity::TentativeMode;
use crate::domain::dashboard::{forecast_by_month, week_loads, win_rate_bp, ForecastDeal};
use crate::domain::permissions::Permission;
use crate::domain::pipeline::{
    days_in_stage, days_without_progress, effective_probability, is_rotting, StageKind,
};
use crate::error::AppError;
use crate::server::context::{self, Caller};
use crate::server::db::Conn;
use crate::server::{board_repo, capacity_repo, dashboard_repo};
use crate::shared::board::{BoardDealRow, StageSummary};
use crate::shared::dashboard::{
    DashboardData, ForecastBar, RiskyProject, RottingDeal, UtilisationPoint,
};
use std::collections::HashMap;

/// Months in the forecast.
pub const FORECAST_MONTHS: u32 = 6;
/// Weeks of utilisation.
pub const UTILISATION_WEEKS: u32 = 8;
/// The most rotting deals the dashboard lists.
const ROTTING_SHOWN: usize = 10;

/// The dashboard of the caller's workspace as the caller may see it.
pub async fn dashboard(caller: &Caller) -> Result<DashboardData, AppError> {
    let started = std::time::Instant::now();
    let values = caller.can(Permission::ViewDealValues);
    let costs = caller.permissions.sees_cost_amounts();
    let state = context::state()?;
    let pool = context::pool()?;
    let now = context::now_ms();
    let today = context::calendar()?.at(now);
    let seq = board_repo::latest_seq(&pool, caller.workspace_id).await?;
    let workspace = board_repo::workspace(&pool, caller.workspace_id).await?;
    let mut conn = pool.acquire().await?;

    let rows = state.boards.rows(&mut conn, caller.workspace_id).await?;
    let open = open_deals(&rows.deals, &rows.stages);
    let forecast = forecast(&open, today.date, values);
    let (rotting, rotting_total) = rotting(&open, now, values);

    let deals_ms = started.elapsed().as_millis();
    let since = now - 90 * 86_400_000;
    let decided = dashboard_repo::decided_since(&mut conn, caller.workspace_id, since).await?;
    let utilisation = utilisation(&mut conn, caller.workspace_id, today).await?;

    let capacity_ms = started.elapsed().as_millis();
    let burns = state
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

/// The open deals of the board's rows, each with its stage.
fn open_deals<'a>(
    deals: &'a [BoardDealRow],
    stages: &'a [StageSummary],
) -> Vec<(&'a BoardDealRow, &'a StageSummary)> {
    let stages: HashMap<i64, &StageSummary> = stages.iter().map(|s| (s.id, s)).collect();
    deals
        .iter()
        .filter_map(|d| {
            let stage = stages.get(&d.stage_id)?;
            (stage.kind == StageKind::Open).then_some((d, *stage))
        })
        .collect()
}

/// The forecast by month of the open deals from `today`, amounts only with `values`.
fn forecast(
    open: &[(&BoardDealRow, &StageSummary)],
    today: Date,
    values: bool,
) -> Vec<ForecastBar> {
    let deals: Vec<ForecastDeal> = open
        .iter()
        .map(|(d, stage)| ForecastDeal {
            value_minor: d.value_minor,
            probability_pct: effective_probability(
                StageKind::Open,
                stage.probability_pct,
                d.probability_override_pct,
            ),
            expected_close: d.expected_close_on.as_deref().and_then(Date::parse),
        })
        .collect();
    forecast_by_month(&deals, today, FORECAST_MONTHS)
        .into_iter()
        .map(|m| ForecastBar {
            month: format!("{}-{:02}", m.year, m.month),
            weighted_minor: values.then_some(m.weighted_minor),
            total_minor: values.then_some(m.total_minor),
            deals: m.deals,
        })
        .collect()
}

/// The open deals rotting at `now` (no progress for longer than their stage allows),
/// longest over first, at most ten of them, and how many there are in all; values only
/// with `values`.
fn rotting(
    open: &[(&BoardDealRow, &StageSummary)],
    now: i64,
    values: bool,
) -> (Vec<RottingDeal>, i64) {
    let mut rotting: Vec<RottingDeal> = open
        .iter()
        .filter_map(|(d, stage)| {
            let days = days_without_progress(d.progressed_at, d.stage_entered_at, now);
            is_rotting(StageKind::Open, days, stage.rotting_days).then(|| RottingDeal {
                id: d.id,
                title: d.title.clone(),
                client: d.client_name.clone(),
                stage: stage.name.clone(),
                days,
                days_in_stage: days_in_stage(d.stage_entered_at, now),
                limit: stage.rotting_days.unwrap_or(0),
                value_minor: values.then_some(d.value_minor),
            })
        })
        .collect();
    rotting.sort_by_key(|r| (-(r.days - r.limit), r.id));
    let total = rotting.len() as i64;
    rotting.truncate(ROTTING_SHOWN);
    (rotting, total)
}

/// The team's utilisation over the weeks from this week (the workspace's), tentative work
/// weighted by its probability.
async fn utilisation(
    conn: &mut Conn,
    workspace_id: i64,
    today: Today,
) -> Result<Vec<UtilisationPoint>, AppError> {
    let first_week = today.this_week();
    let input = capacity_repo::load_capacity_input(
        conn,
        workspace_id,
        capacity_repo::Horizon {
            first_week,
            weeks: UTILISATION_WEEKS,
        },
        TentativeMode::Weighted,
    )
    .await?;
    Ok(week_loads(&input)
        .into_iter()
        .enumerate()
        .map(|(k, load)| UtilisationPoint {
            week: first_week.add_days(7 * k as i32).to_string(),
            confirmed_bp: load.utilisation_bp(),
            with_pipeline_bp: load.with_pipeline_bp(),
            available: load.available,
        })
        .collect())
}
