//! Client updates: status posts on a project (green / amber / red, summary, next steps),
//! and read-only share links that let the client read them without an account.
//!
//! Posting and managing links needs "edit deals" or "manage projects". A link is a
//! 256-bit random token; only its SHA-256 is stored, so the link is shown once, when it
//! is made. A link shows the project's name, dates, progress and updates — money only if
//! whoever made it chose to show the budget. Revoked links answer like unknown ones;
//! an address that presents five unknown tokens within 15 minutes is refused for a while.

use crate::error::AppError;
use leptos::prelude::*;

pub use crate::shared::project::{NewShareLink, ShareLinkRow, SharedView, StatusUpdate};

/// Posts a status update on a project: `rag` is `green`, `amber` or `red`. Needs "edit
/// deals" or "manage projects". Answers the update's id.
#[server(endpoint = "post_update")]
pub async fn post_update(
    project_id: i64,
    rag: String,
    summary: String,
    #[server(default)] next_steps: String,
) -> Result<i64, AppError> {
    use crate::domain::validate;
    use crate::server::{context, update_service};

    let caller = context::caller().await?;
    caller.require_client_contact()?;
    if !matches!(rag.as_str(), "green" | "amber" | "red") {
        return Err(AppError::invalid("rag", "must be green, amber or red"));
    }
    let summary = validate::required_text("summary", &summary, 4000)?;
    let next_steps = validate::optional_text("next_steps", &next_steps, 4000)?;
    update_service::post_update(&caller, project_id, &rag, &summary, &next_steps).await
}

/// Makes a read-only share link for a project; `show_budget` (`true`/`on`) lets it show
/// budget, spent and remaining. Needs "edit deals" or "manage projects"; showing the
/// budget also needs "view deal values". The answer holds the only copy of the token.
#[server(endpoint = "create_share_link")]
pub async fn create_share_link(
    project_id: i64,
    #[server(default)] show_budget: String,
) -> Result<NewShareLink, AppError> {
    use crate::server::{context, update_service};

    let caller = context::caller().await?;
    caller.require_client_contact()?;
    let show_budget = match show_budget.as_str() {
        "" | "false" | "off" => false,
        "true" | "on" => true,
        _ => return Err(AppError::invalid("show_budget", "must be true or false")),
    };
    update_service::create_share_link(&caller, project_id, show_budget).await
}

/// Revokes a share link: from now on it answers like a link that never existed. Needs
/// "edit deals" or "manage projects".
#[server(endpoint = "revoke_share_link")]
pub async fn revoke_share_link(link_id: i64) -> Result<(), AppError> {
    use crate::server::{context, update_service};

    let caller = context::caller().await?;
    caller.require_client_contact()?;
    update_service::revoke_share_link(&caller, link_id).await
}

/// What a share link shows; no sign-in. Unknown, malformed and revoked tokens all answer
/// 404; an address that tries many unknown tokens is slowed down (429). A link that
/// exists always opens: a client clicking an old link cannot lock their office out.
#[server(endpoint = "shared_project")]
pub async fn shared_project(token: String) -> Result<SharedView, AppError> {
    use crate::server::update_service;

    update_service::open_shared_link(&token).await
}
