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

pub use crate::shared::project::{ShareLinkRow, StatusUpdate};

/// A new share link: its path holds the only copy of the token.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NewShareLink {
    /// Id.
    pub id: i64,
    /// `/share/<token>`.
    pub path: String,
}

/// What a share link shows.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SharedView {
    /// The agency (workspace) name.
    pub agency: String,
    /// Project name.
    pub name: String,
    /// Client name.
    pub client: String,
    /// First day.
    pub starts_on: String,
    /// Last day.
    pub ends_on: String,
    /// Project status.
    pub status: String,
    /// Planned work already past, basis points.
    pub progress_bp: i64,
    /// Currency code.
    pub currency: String,
    /// Budget, spent, remaining (bill rates): only when the link shows the budget.
    pub budget: Option<(i64, i64, i64)>,
    /// Updates, newest first.
    pub updates: Vec<StatusUpdate>,
}

/// Posts a status update on a project: `rag` is `green`, `amber` or `red`. Needs "edit
/// deals" or "manage projects". Answers the update's id.
#[server(endpoint = "post_update")]
pub async fn post_update(
    project_id: i64,
    rag: String,
    summary: String,
    #[server(default)] next_steps: String,
) -> Result<i64, AppError> {
    use crate::api::live::LiveEvent;
    use crate::domain::validate;
    use crate::server::{context, events, update_repo};

    let caller = context::caller().await?;
    caller.require_client_contact()?;
    if !matches!(rag.as_str(), "green" | "amber" | "red") {
        return Err(AppError::invalid("rag", "must be green, amber or red"));
    }
    let summary = validate::required_text("summary", &summary, 4000)?;
    let next_steps = validate::optional_text("next_steps", &next_steps, 4000)?;
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write().await?;
    update_repo::project_exists(&mut tx, caller.workspace_id, project_id).await?;
    let id = update_repo::insert_update(
        &mut tx,
        caller.workspace_id,
        update_repo::NewUpdate {
            project_id,
            author_user_id: caller.user_id,
            rag: &rag,
            summary: &summary,
            next_steps: &next_steps,
        },
        now,
    )
    .await?;
    let seq = events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "project",
            entity_id: project_id,
            action: "update_posted",
            before: None,
            after: Some(serde_json::json!({ "update": id, "rag": rag, "summary": summary })),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    state
        .live
        .publish(caller.workspace_id, LiveEvent::Projects { seq });
    Ok(id)
}

/// Makes a read-only share link for a project; `show_budget` (`true`/`on`) lets it show
/// budget, spent and remaining. Needs "edit deals" or "manage projects"; showing the
/// budget also needs "view deal values". The answer holds the only copy of the token.
#[server(endpoint = "create_share_link")]
pub async fn create_share_link(
    project_id: i64,
    #[server(default)] show_budget: String,
) -> Result<NewShareLink, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{auth, context, events, update_repo};

    let caller = context::caller().await?;
    caller.require_client_contact()?;
    let show_budget = match show_budget.as_str() {
        "" | "false" | "off" => false,
        "true" | "on" => true,
        _ => return Err(AppError::invalid("show_budget", "must be true or false")),
    };
    if show_budget && !caller.can(Permission::ViewDealValues) {
        return Err(AppError::invalid(
            "show_budget",
            "you cannot see this project's budget, so you cannot share it",
        ));
    }
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write().await?;
    update_repo::project_exists(&mut tx, caller.workspace_id, project_id).await?;
    let active = update_repo::active_links(&mut tx, caller.workspace_id, project_id).await?;
    if active >= 20 {
        return Err(AppError::invalid(
            "project",
            "has 20 active share links; revoke one first",
        ));
    }
    let token = auth::new_token();
    let hint = token[token.len() - 6..].to_string();
    let id = update_repo::insert_link(
        &mut tx,
        caller.workspace_id,
        update_repo::NewLink {
            project_id,
            token_hash: &auth::hash_token(&token),
            hint: &hint,
            show_budget,
            created_by: caller.user_id,
        },
        now,
    )
    .await?;
    events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "project",
            entity_id: project_id,
            action: "share_link_created",
            before: None,
            after: Some(
                serde_json::json!({ "link": id, "hint": hint, "show_budget": show_budget }),
            ),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(NewShareLink {
        id,
        path: format!("/share/{token}"),
    })
}

/// Revokes a share link: from now on it answers like a link that never existed. Needs
/// "edit deals" or "manage projects".
#[server(endpoint = "revoke_share_link")]
pub async fn revoke_share_link(link_id: i64) -> Result<(), AppError> {
    use crate::server::{context, events, update_repo};

    let caller = context::caller().await?;
    caller.require_client_contact()?;
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write().await?;
    let link = update_repo::link(&mut tx, caller.workspace_id, link_id).await?;
    let (project_id, revoked, hint) = link.ok_or(AppError::NotFound)?;
    if revoked.is_some() {
        return Ok(());
    }
    update_repo::revoke(&mut tx, caller.workspace_id, link_id, now).await?;
    events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "project",
            entity_id: project_id,
            action: "share_link_revoked",
            before: Some(serde_json::json!({ "link": link_id, "hint": hint })),
            after: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What a share link shows; no sign-in. Unknown, malformed and revoked tokens all answer
/// 404; an address that tries many unknown tokens is slowed down (429). A link that
/// exists always opens: a client clicking an old link cannot lock their office out.
#[server(endpoint = "shared_project")]
pub async fn shared_project(token: String) -> Result<SharedView, AppError> {
    use crate::domain::calendar::Date;
    use crate::server::{auth, burn_repo, context, update_repo};

    let state = context::state()?;
    let now = context::now_ms();
    let well_formed = token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit());
    let found = if well_formed {
        let hash = auth::hash_token(&token.to_ascii_lowercase());
        update_repo::by_token_hash(state.db.reader(), &hash).await?
    } else {
        None
    };
    // A revoked link is a real link someone was given: 404, but not a guess.
    if found.as_ref().is_some_and(|f| f.revoked) {
        return Err(AppError::NotFound);
    }
    let Some(link) = found else {
        state
            .throttles
            .unknown_share_token(context::client_ip())
            .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
        return Err(AppError::NotFound);
    };
    let (workspace_id, project_id) = (link.workspace_id, link.project_id);
    // Recorded at most once a minute per link: a busy link does not queue a write per view.
    let mut tx = state.db.write().await?;
    update_repo::mark_opened(&mut tx, link.id, now).await?;
    tx.commit().await?;
    let project = update_repo::shared_project(state.db.reader(), workspace_id, project_id).await?;
    let mut conn = state.db.read().await?;
    let burn = burn_repo::burns(
        &mut conn,
        workspace_id,
        Some(project_id),
        Date::from_unix_ms(now),
    )
    .await?
    .remove(&project_id);
    let updates = update_repo::updates(&mut conn, workspace_id, project_id).await?;
    Ok(SharedView {
        agency: project.agency,
        name: project.name,
        client: project.client,
        starts_on: project.starts_on,
        ends_on: project.ends_on,
        status: project.status,
        progress_bp: burn.as_ref().map(|b| b.progress_bp).unwrap_or(0),
        currency: project.currency,
        budget: burn
            .filter(|_| link.show_budget)
            .map(|b| (b.budget_minor, b.spent_minor, b.remaining_minor)),
        updates,
    })
}
