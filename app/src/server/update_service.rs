//! Client updates, as one transaction each: posting a status update on a project, making
//! and revoking read-only share links, and opening one without an account. Arguments
//! come decoded and validated; the state and the clock come from the request's context.

use crate::domain::permissions::Permission;
use crate::error::AppError;
use crate::server::context::{self, Caller};
use crate::server::update_repo;
use crate::server::{auth, burn_repo, events, workspace_repo};
use crate::shared::live::LiveEvent;
use crate::shared::project::{NewShareLink, SharedView};

/// Posts a status update (`rag` green, amber or red; summary and next steps validated)
/// on a project of the workspace with its event, and tells the workspace's project
/// pages. Answers its id.
pub async fn post_update(
    caller: &Caller,
    project_id: i64,
    rag: &str,
    summary: &str,
    next_steps: &str,
) -> Result<i64, AppError> {
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write(caller.workspace_id).await?;
    update_repo::project_exists(&mut tx, caller.workspace_id, project_id).await?;
    let id = update_repo::insert_update(
        &mut tx,
        caller.workspace_id,
        update_repo::NewUpdate {
            project_id,
            author_user_id: caller.user_id,
            rag,
            summary,
            next_steps,
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

/// Makes a read-only share link for a project of the workspace, showing the budget if
/// `show_budget` (which needs "view deal values"); at most 20 active links a project.
/// Records its event; answers the link, whose path holds the only copy of the token
/// (only its SHA-256 is stored).
pub async fn create_share_link(
    caller: &Caller,
    project_id: i64,
    show_budget: bool,
) -> Result<NewShareLink, AppError> {
    if show_budget && !caller.can(Permission::ViewDealValues) {
        return Err(AppError::invalid(
            "show_budget",
            "you cannot see this project's budget, so you cannot share it",
        ));
    }
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write(caller.workspace_id).await?;
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

/// Revokes a share link of the workspace with its event: from then on it answers like a
/// link that never existed. A link already revoked is left as it is.
pub async fn revoke_share_link(caller: &Caller, link_id: i64) -> Result<(), AppError> {
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write(caller.workspace_id).await?;
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

/// Opens the share link whose token is `token`, without an account: unknown, malformed
/// and revoked tokens are `NotFound`, and an address that tries many unknown tokens is
/// slowed down (`RateLimited`). A link that exists always opens, and records when it
/// was (at most once a minute). The budget figures only when the link shows the budget.
pub async fn open_shared_link(token: &str) -> Result<SharedView, AppError> {
    use crate::server::calendar::WorkspaceCalendar;

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
            .await?;
        return Err(AppError::NotFound);
    };
    let (workspace_id, project_id) = (link.workspace_id, link.project_id);
    // Recorded at most once a minute per link: a busy link does not queue a write per view.
    let mut tx = state.db.write(workspace_id).await?;
    update_repo::mark_opened(&mut tx, workspace_id, link.id, now).await?;
    tx.commit().await?;
    let project = update_repo::shared_project(state.db.reader(), workspace_id, project_id).await?;
    let mut conn = state.db.read().await?;
    // No session here: the agency's calendar comes from its workspace.
    let (zone, week_start) = workspace_repo::calendar(&mut *conn, workspace_id).await?;
    let calendar = WorkspaceCalendar::stored(&zone, week_start);
    let burn = burn_repo::burns(&mut conn, workspace_id, Some(project_id), calendar.at(now))
        .await?
        .remove(&project_id);
    let updates = update_repo::updates(&mut conn, workspace_id, project_id).await?;
    let offsets = calendar.offsets_for(updates.iter().map(|u| u.created_at), now);
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
        offsets,
    })
}
