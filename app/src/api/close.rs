//! Closing a deal: what the close dialog needs, its preview, and the close itself, which
//! re-checks capacity and margin on the server and spawns the project in one transaction.
//!
//! Staffing travels as text, one line per person, skill and week:
//! `person_id:skill_id:YYYY-MM-DD:minutes`, lines separated by commas (the date is the
//! first day of the week). Empty means "the suggested staffing".

pub use crate::shared::close::*;

#[cfg(feature = "ssr")]
use crate::api::board::DealCard;
use crate::domain::close::ClosePreview;
use crate::error::AppError;
use leptos::prelude::*;

/// Loads the close dialog for an open deal. Needs "close deals".
#[server(endpoint = "close_setup")]
pub async fn close_setup(deal_id: i64) -> Result<CloseDialogData, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{close_repo, context};

    let caller = context::caller_with(Permission::CloseDeals).await?;
    let pool = context::pool()?;
    let mut conn = pool.acquire().await?;
    let now = context::now_ms();
    let deal = close_repo::open_deal(&mut conn, &caller, deal_id, now).await?;
    let start_week = deal.default_start_week();
    let evaluation = close_repo::evaluate(&mut conn, &caller, &deal, start_week, None).await?;
    let may_see_costs = caller.permissions.sees_cost_amounts();
    let (currency, target_bp, floor_bp) =
        close_repo::targets(&mut conn, caller.workspace_id).await?;
    let (skills, people) = close_repo::candidates(&mut conn, &caller, &deal).await?;
    let engine_input = if may_see_costs {
        Some(close_repo::engine_input(&mut conn, &caller, &deal, start_week).await?)
    } else {
        None
    };
    let card = if caller.can(Permission::ViewDealValues) {
        deal.card.clone()
    } else {
        DealCard {
            value_minor: None,
            ..deal.card.clone()
        }
    };
    Ok(CloseDialogData {
        card,
        currency,
        first_week: deal.first_week.to_string(),
        start_week,
        demand: deal.demand.clone(),
        skills,
        people,
        target_bp,
        floor_bp,
        value_minor: may_see_costs.then_some(deal.value_minor),
        engine_input,
        preview: ClosePreview::of(&evaluation, may_see_costs),
        can_override: caller.can(Permission::OverrideChecks),
    })
}

/// Re-checks the close with another start and staffing: verdicts and percentages (and
/// amounts only for those who may see cost rates). Needs "close deals".
#[server(endpoint = "preview_close")]
pub async fn preview_close(
    deal_id: i64,
    start_on: String,
    #[server(default)] staffing: String,
) -> Result<ClosePreview, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{close_repo, context};

    let caller = context::caller_with(Permission::CloseDeals).await?;
    let pool = context::pool()?;
    let mut conn = pool.acquire().await?;
    let now = context::now_ms();
    let deal = close_repo::open_deal(&mut conn, &caller, deal_id, now).await?;
    let start_week = close_repo::start_week(&start_on, now)?;
    let staffing = parse_staffing(&staffing, close_repo::first_week(now))?;
    let evaluation =
        close_repo::evaluate(&mut conn, &caller, &deal, start_week, staffing.as_deref()).await?;
    let may_see_costs = caller.permissions.sees_cost_amounts();
    Ok(ClosePreview::of(&evaluation, may_see_costs))
}

/// Wins a deal and spawns its project. The server re-checks capacity and margin from the
/// database; a block (short, or under the margin floor) needs "override checks" and a
/// reason of 10+ characters. In one transaction: the deal goes to Won, the project is
/// created (budget = value, dates, brief, check report, override), the staffing becomes
/// its confirmed allocations (the deal's tentative ones go), and the events are appended.
/// `close_key` makes it idempotent: the same key again answers the same project; the same
/// key with other arguments is refused.
#[server(endpoint = "close_deal")]
pub async fn close_deal(
    deal_id: i64,
    version: i64,
    close_key: String,
    start_on: String,
    #[server(default)] staffing: String,
    #[server(default)] override_reason: String,
) -> Result<CloseOutcome, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{close_repo, context};

    let caller = context::caller_with(Permission::CloseDeals).await?;
    let key = close_key.trim();
    if !(16..=100).contains(&key.len())
        || !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AppError::invalid(
            "close_key",
            "must be 16 to 100 letters, digits, - or _ (a fresh random key per close)",
        ));
    }
    let override_reason = override_reason.trim().to_string();
    if override_reason.chars().count() > 2_000 {
        return Err(AppError::invalid(
            "override_reason",
            "must be at most 2000 characters",
        ));
    }
    let now = context::now_ms();
    let start_week = close_repo::start_week(&start_on, now)?;
    let staffing_lines = parse_staffing(&staffing, close_repo::first_week(now))?;
    let fingerprint = close_repo::fingerprint(&[
        &deal_id.to_string(),
        &version.to_string(),
        start_on.trim(),
        staffing.trim(),
        &override_reason,
    ]);
    let request = close_repo::CloseRequest {
        deal_id,
        version,
        key,
        start_week,
        staffing: staffing_lines,
        override_reason,
        fingerprint,
    };
    close_repo::close(&caller, request, now).await
}
