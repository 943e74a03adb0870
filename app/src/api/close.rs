//! Closing a deal: what the close dialog needs, its preview, and the close itself, which
//! re-checks capacity and margin on the server and spawns the project in one transaction.
//!
//! Staffing travels as text, one line per person, skill and week:
//! `person_id:skill_id:YYYY-MM-DD:minutes`, lines separated by commas (the date is the
//! first day of the week). Empty means "the suggested staffing".

use crate::api::board::DealCard;
use crate::domain::capacity::{CapacityInput, CapacityVerdict, Demand, StaffingLine};
use crate::domain::close::ClosePreview;
use crate::domain::margin::MarginVerdict;
use crate::error::AppError;
use leptos::prelude::*;

/// Someone who could staff the deal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClosePerson {
    /// Person id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Their skills among the deal's.
    pub skills: Vec<i64>,
}

/// Everything the close dialog needs, loaded once when it opens.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CloseDialogData {
    /// The deal as its card shows it.
    pub card: DealCard,
    /// Workspace currency code.
    pub currency: String,
    /// The first day of week 0 (this week), `YYYY-MM-DD`.
    pub first_week: String,
    /// The proposed start week (the planned start, or this week).
    pub start_week: u32,
    /// The deal's demand (estimate over its weeks).
    pub demand: Demand,
    /// The deal's skills: (id, name).
    pub skills: Vec<(i64, String)>,
    /// People with at least one of the deal's skills.
    pub people: Vec<ClosePerson>,
    /// Workspace margin target, basis points.
    pub target_bp: i64,
    /// Workspace margin floor, basis points.
    pub floor_bp: i64,
    /// The deal's value, for the browser's own margin: only with "view cost rates" and
    /// "view deal values".
    pub value_minor: Option<i64>,
    /// The engine's input, so the browser can re-check instantly: only for callers who
    /// may see cost rates (it carries them). Everyone else previews through the server.
    pub engine_input: Option<CapacityInput>,
    /// The suggested staffing at `start_week`, checked.
    pub preview: ClosePreview,
    /// Whether the caller may close despite a block (with a reason).
    pub can_override: bool,
}

/// What a close did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CloseOutcome {
    /// The project the deal became.
    pub project_id: i64,
    /// Whether this answer repeats an earlier close with the same key.
    pub repeated: bool,
}

/// The checks as they stood when the deal was closed, stored on the project.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CheckReport {
    /// Fits, tight or short.
    pub capacity: CapacityVerdict,
    /// Margin in basis points.
    pub margin_bp: Option<i64>,
    /// Pass, warn or block.
    pub margin: MarginVerdict,
    /// Target and floor at the time, basis points.
    pub target_bp: i64,
    /// Floor, basis points.
    pub floor_bp: i64,
    /// Cost of the staffing, minor units (shown only with "view cost rates").
    pub cost_minor: Option<i64>,
    /// First day of the first week.
    pub start_on: String,
    /// Weeks.
    pub weeks: u32,
    /// The earliest start that fitted, if any.
    pub earliest_start_on: Option<String>,
    /// Unstaffed minutes per skill: (skill name, minutes).
    pub shortfall: Vec<(String, i64)>,
    /// What blocked the close (overridden), if anything.
    pub blockers: Vec<String>,
    /// Whether the staffing was edited from the suggestion.
    pub staffing_edited: bool,
}

/// The staffing text for `lines` (weeks as indexes from `first_week`).
pub fn staffing_text(lines: &[StaffingLine], first_week: crate::domain::calendar::Date) -> String {
    lines
        .iter()
        .filter(|l| l.minutes > 0)
        .map(|l| {
            format!(
                "{}:{}:{}:{}",
                l.person_id,
                l.skill,
                first_week.add_days(7 * l.week as i32),
                l.minutes
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses staffing text into lines with weeks counted from `first_week`; `None` when empty.
pub fn parse_staffing(
    text: &str,
    first_week: crate::domain::calendar::Date,
) -> Result<Option<Vec<StaffingLine>>, AppError> {
    use crate::domain::calendar::Date;
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let bad = || {
        AppError::invalid(
            "staffing",
            "must be lines of person:skill:YYYY-MM-DD:minutes separated by commas",
        )
    };
    let mut lines = Vec::new();
    for part in text.split(',') {
        let fields: Vec<&str> = part.trim().split(':').collect();
        let [person, skill, week, minutes] = fields.as_slice() else {
            return Err(bad());
        };
        let week = Date::parse(week).ok_or_else(bad)?;
        let days = first_week.days_until(week);
        if days < 0 || days % 7 != 0 {
            return Err(AppError::invalid(
                "staffing",
                "weeks must start on the first day of a week, this week or later",
            ));
        }
        lines.push(StaffingLine {
            person_id: person.parse().map_err(|_| bad())?,
            skill: skill.parse().map_err(|_| bad())?,
            week: u32::try_from(days / 7).map_err(|_| bad())?,
            minutes: minutes.parse().map_err(|_| bad())?,
        });
        if lines.len() > 5_000 {
            return Err(AppError::invalid("staffing", "has too many lines"));
        }
    }
    Ok(Some(lines))
}

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
    let may_see_costs =
        caller.can(Permission::ViewCostRates) && caller.can(Permission::ViewDealValues);
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
    let may_see_costs =
        caller.can(Permission::ViewCostRates) && caller.can(Permission::ViewDealValues);
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
