//! Changing deals on the board. Every change is version-checked, written with its event in
//! one transaction, and pushed live to every browser of the workspace after commit
//! (`server::deal_service`).

// A server function takes one argument per form field, so the drawer's plain HTML form
// (which works without JavaScript) maps onto it directly.
#![allow(clippy::too_many_arguments)]

pub use crate::shared::deal::*;

use crate::api::board::DealCard;
use crate::error::AppError;
use leptos::prelude::*;

/// Moves a deal to another open stage (or reopens a lost one). Winning goes through
/// closing, which checks capacity and margin; losing needs a reason.
#[server(endpoint = "move_deal")]
pub async fn move_deal(deal_id: i64, stage_id: i64, version: i64) -> Result<DealCard, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, deal_service};

    let caller = context::caller_with(Permission::EditDeals).await?;
    deal_service::move_to_stage(&caller, deal_id, stage_id, version).await
}

/// One deal with its brief, estimate and history. Needs "view pipeline"; the value only
/// with "view deal values".
#[server(endpoint = "get_deal")]
pub async fn get_deal(deal_id: i64) -> Result<DealDetail, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, deal_service};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    deal_service::detail(&caller, deal_id).await
}

/// Saves the deal drawer: title, client, value, probability override, owner, dates, weeks,
/// the brief, notes and estimate. `value` is in major units as typed ("48,500"); empty
/// `probability` means "the stage's". A non-empty `new_client` names the client instead
/// of `client_id`: an existing one of that name (ignoring case) or a new one, created in
/// the same transaction. `estimate[<skill_id>]` sets that skill's hours (empty or 0
/// removes it); skills not sent keep their line. Refused with a field error on bad
/// input, and with the current deal when someone else saved first.
#[server(endpoint = "update_deal")]
pub async fn update_deal(
    deal_id: i64,
    version: i64,
    title: String,
    client_id: i64,
    value: String,
    probability: String,
    owner_user_id: i64,
    expected_close_on: String,
    planned_start_on: String,
    planned_weeks: i64,
    brief_goals: String,
    brief_priorities: String,
    brief_context: String,
    notes: String,
    #[server(default)] new_client: String,
    #[server(default)] estimate: std::collections::BTreeMap<String, String>,
) -> Result<DealCard, AppError> {
    use crate::domain::permissions::Permission;
    use crate::domain::validate;
    use crate::server::{context, deal_service};

    let caller = context::caller_with(Permission::EditDeals).await?;
    // Checked in the order written: the first bad field is the one reported.
    let edit = deal_service::DrawerEdit {
        title: validate::required_text("title", &title, 200)?,
        probability_override_pct: probability_of(&probability)?,
        expected_close_on: date_of("expected_close_on", &expected_close_on)?,
        planned_start_on: date_of("planned_start_on", &planned_start_on)?,
        planned_weeks: weeks_of(planned_weeks)?,
        brief_goals: validate::optional_text("brief_goals", &brief_goals, 4000)?,
        brief_priorities: validate::optional_text("brief_priorities", &brief_priorities, 4000)?,
        brief_context: validate::optional_text("brief_context", &brief_context, 4000)?,
        notes: validate::optional_text("notes", &notes, 8000)?,
        new_client: new_client_of(&new_client)?,
        estimate_minutes: estimate_of(&estimate)?,
        client_id,
        value,
        owner_user_id,
    };
    deal_service::update(&caller, deal_id, version, edit).await
}

/// A probability override as typed ("40", "40 %"): a whole percentage, or `None` when
/// empty (the stage's).
#[cfg(feature = "ssr")]
fn probability_of(text: &str) -> Result<Option<i64>, AppError> {
    match text.trim() {
        "" => Ok(None),
        p => p
            .trim_end_matches('%')
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|p| (0..=100).contains(p))
            .map(Some)
            .ok_or_else(|| {
                AppError::invalid("probability", "must be a whole number from 0 to 100")
            }),
    }
}

/// An optional date as typed, stored as `YYYY-MM-DD`.
#[cfg(feature = "ssr")]
fn date_of(field: &str, text: &str) -> Result<Option<String>, AppError> {
    match text.trim() {
        "" => Ok(None),
        t => crate::domain::calendar::Date::parse(t)
            .map(|d| Some(d.to_string()))
            .ok_or_else(|| AppError::invalid(field, "must be a date like 2026-12-31")),
    }
}

/// A planned length: 1 to 104 weeks.
#[cfg(feature = "ssr")]
fn weeks_of(weeks: i64) -> Result<i64, AppError> {
    if (1..=104).contains(&weeks) {
        Ok(weeks)
    } else {
        Err(AppError::invalid(
            "planned_weeks",
            "must be from 1 to 104 weeks",
        ))
    }
}

/// The name of a client to use instead of the chosen one, or empty.
#[cfg(feature = "ssr")]
fn new_client_of(text: &str) -> Result<String, AppError> {
    let name = crate::domain::validate::optional_text("new_client", text, 200)?;
    if name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "new_client",
            "must not contain control characters",
        ));
    }
    Ok(name)
}

/// The estimate as sent — skill id to hours as typed — as (skill id, minutes).
#[cfg(feature = "ssr")]
fn estimate_of(
    estimate: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<(i64, i64)>, AppError> {
    let mut minutes = Vec::with_capacity(estimate.len());
    for (skill, hours) in estimate {
        let skill_id = skill.parse::<i64>().map_err(|_| {
            AppError::invalid("estimate", "names a skill this workspace does not have")
        })?;
        minutes.push((
            skill_id,
            crate::domain::validate::hours("estimate", hours, 10_000)?,
        ));
    }
    Ok(minutes)
}

/// Adds a deal to an open stage (quick add): title, client and value; the caller owns it.
#[server(endpoint = "create_deal")]
pub async fn create_deal(
    stage_id: i64,
    title: String,
    client_id: i64,
    value: String,
) -> Result<DealCard, AppError> {
    use crate::domain::permissions::Permission;
    use crate::domain::validate;
    use crate::server::{context, deal_service};

    let caller = context::caller_with(Permission::EditDeals).await?;
    let title = validate::required_text("title", &title, 200)?;
    deal_service::create(&caller, stage_id, &title, client_id, &value).await
}

/// Marks an open deal lost, with the reason (kept on the deal and in its history).
#[server(endpoint = "mark_deal_lost")]
pub async fn mark_deal_lost(
    deal_id: i64,
    version: i64,
    reason: String,
) -> Result<DealCard, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, deal_service};

    let caller = context::caller_with(Permission::EditDeals).await?;
    deal_service::mark_lost(&caller, deal_id, version, &reason).await
}

/// Takes a deal off the board (archived, kept with its history).
#[server(endpoint = "archive_deal")]
pub async fn archive_deal(deal_id: i64, version: i64) -> Result<(), AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, deal_service};

    let caller = context::caller_with(Permission::EditDeals).await?;
    deal_service::archive(&caller, deal_id, version).await
}
