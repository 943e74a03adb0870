//! Closing a deal: what the close dialog needs, its preview, and the close itself, which
//! re-checks capacity and margin on the server and spawns the project in one transaction.
//!
//! Staffing travels as text, one line per person, skill and week:
//! `person_id:skill_id:YYYY-MM-DD:minutes`, lines separated by commas (the date is the
//! first day of the week). Empty means "the suggested staffing".

pub use crate::shared::close::*;

use crate::domain::close::ClosePreview;
use crate::error::AppError;
use leptos::prelude::*;

/// Loads the close dialog for an open deal. Needs "close deals", or "override checks"
/// (to approve a blocked close).
#[server(endpoint = "close_setup")]
pub async fn close_setup(deal_id: i64) -> Result<CloseDialogData, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{close_service, context};

    let caller =
        context::caller_with_any(&[Permission::CloseDeals, Permission::OverrideChecks]).await?;
    caller.require(Permission::ViewPipeline)?;
    close_service::dialog(&caller, deal_id).await
}

/// Re-checks the close with another start and staffing: verdicts and percentages (and
/// amounts only for those who may see cost rates). Needs "close deals" or "override
/// checks".
#[server(endpoint = "preview_close")]
pub async fn preview_close(
    deal_id: i64,
    start_on: String,
    #[server(default)] staffing: String,
) -> Result<ClosePreview, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{close_service, context};

    let caller =
        context::caller_with_any(&[Permission::CloseDeals, Permission::OverrideChecks]).await?;
    caller.require(Permission::ViewPipeline)?;
    close_service::preview(&caller, deal_id, &start_on, &staffing).await
}

/// Wins a deal and spawns its project. The server re-checks capacity and margin from the
/// database; a block (short, or under the margin floor) needs "override checks" and a
/// reason of 10+ characters. A caller with "override checks" but not "close deals" may
/// close only a blocked deal, with that reason: approving it. In one transaction: the deal goes to Won, the project is
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
    use crate::server::{close_service, context};

    let caller =
        context::caller_with_any(&[Permission::CloseDeals, Permission::OverrideChecks]).await?;
    caller.require(Permission::ViewPipeline)?;
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
    let asked = close_service::CloseAsked {
        deal_id,
        version,
        key,
        start_on: &start_on,
        staffing: &staffing,
        override_reason,
    };
    close_service::close_deal(&caller, asked).await
}
