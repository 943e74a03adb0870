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

/// One status update.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct StatusUpdate {
    /// Id.
    pub id: i64,
    /// `green`, `amber` or `red`.
    pub rag: String,
    /// What happened.
    pub summary: String,
    /// What comes next.
    pub next_steps: String,
    /// Who posted it.
    pub author: String,
    /// When, Unix ms.
    pub created_at: i64,
}

/// A share link as its project page lists it (the token itself is never shown again).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ShareLinkRow {
    /// Id.
    pub id: i64,
    /// The token's last 6 characters, to tell links apart.
    pub hint: String,
    /// Whether the link shows budget figures.
    pub show_budget: bool,
    /// Who made it.
    pub created_by: String,
    /// When, Unix ms.
    pub created_at: i64,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
    /// When a client last opened it.
    pub last_opened_at: Option<i64>,
}

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

#[cfg(feature = "ssr")]
mod repo {
    use super::*;
    use crate::server::context::Caller;
    use sqlx::SqliteConnection;

    /// The project's updates, newest first.
    pub async fn updates(
        conn: &mut SqliteConnection,
        workspace_id: i64,
        project_id: i64,
    ) -> Result<Vec<StatusUpdate>, AppError> {
        Ok(sqlx::query_as(
            "SELECT s.id, s.rag, s.summary, s.next_steps, u.name AS author, s.created_at
             FROM status_updates s JOIN users u ON u.id = s.author_user_id
             WHERE s.project_id = $1 AND s.workspace_id = $2
             ORDER BY s.created_at DESC, s.id DESC",
        )
        .bind(project_id)
        .bind(workspace_id)
        .fetch_all(conn)
        .await?)
    }

    /// The project's share links, newest first.
    pub async fn links(
        conn: &mut SqliteConnection,
        caller: &Caller,
        project_id: i64,
    ) -> Result<Vec<ShareLinkRow>, AppError> {
        Ok(sqlx::query_as(
            "SELECT l.id, l.hint, l.show_budget = 1 AS show_budget, u.name AS created_by,
                    l.created_at, l.revoked_at, l.last_opened_at
             FROM share_links l JOIN users u ON u.id = l.created_by
             WHERE l.project_id = $1 AND l.workspace_id = $2
             ORDER BY l.created_at DESC, l.id DESC",
        )
        .bind(project_id)
        .bind(caller.workspace_id)
        .fetch_all(conn)
        .await?)
    }

    /// `NotFound` unless `project_id` is a project of the caller's workspace.
    pub async fn project_exists(
        conn: &mut SqliteConnection,
        caller: &Caller,
        project_id: i64,
    ) -> Result<(), AppError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT id FROM projects WHERE id = $1 AND workspace_id = $2")
                .bind(project_id)
                .bind(caller.workspace_id)
                .fetch_optional(conn)
                .await?;
        found.map(|_| ()).ok_or(AppError::NotFound)
    }
}

#[cfg(feature = "ssr")]
pub use repo::{links, updates};

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
    use crate::server::{context, events};

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
    repo::project_exists(&mut tx, &caller, project_id).await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO status_updates (workspace_id, project_id, author_user_id, rag, summary,
                                     next_steps, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(caller.workspace_id)
    .bind(project_id)
    .bind(caller.user_id)
    .bind(&rag)
    .bind(&summary)
    .bind(&next_steps)
    .bind(now)
    .fetch_one(&mut *tx)
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
    use crate::server::{auth, context, events};

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
    repo::project_exists(&mut tx, &caller, project_id).await?;
    let active: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM share_links
         WHERE project_id = $1 AND workspace_id = $2 AND revoked_at IS NULL",
    )
    .bind(project_id)
    .bind(caller.workspace_id)
    .fetch_one(&mut *tx)
    .await?;
    if active >= 20 {
        return Err(AppError::invalid(
            "project",
            "has 20 active share links; revoke one first",
        ));
    }
    let token = auth::new_token();
    let hint = token[token.len() - 6..].to_string();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO share_links (workspace_id, project_id, token_hash, hint, show_budget,
                                  created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(caller.workspace_id)
    .bind(project_id)
    .bind(auth::hash_token(&token))
    .bind(&hint)
    .bind(i64::from(show_budget))
    .bind(caller.user_id)
    .bind(now)
    .fetch_one(&mut *tx)
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
    use crate::server::{context, events};

    let caller = context::caller().await?;
    caller.require_client_contact()?;
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write().await?;
    let link: Option<(i64, Option<i64>, String)> = sqlx::query_as(
        "SELECT project_id, revoked_at, hint FROM share_links WHERE id = $1 AND workspace_id = $2",
    )
    .bind(link_id)
    .bind(caller.workspace_id)
    .fetch_optional(&mut *tx)
    .await?;
    let (project_id, revoked, hint) = link.ok_or(AppError::NotFound)?;
    if revoked.is_some() {
        return Ok(());
    }
    sqlx::query("UPDATE share_links SET revoked_at = $1 WHERE id = $2 AND workspace_id = $3")
        .bind(now)
        .bind(link_id)
        .bind(caller.workspace_id)
        .execute(&mut *tx)
        .await?;
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
    use crate::server::{auth, burn_repo, context};

    let state = context::state()?;
    let now = context::now_ms();
    let well_formed = token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit());
    let found: Option<(i64, i64, i64, bool, bool)> = if well_formed {
        sqlx::query_as(
            "SELECT id, workspace_id, project_id, show_budget = 1, revoked_at IS NOT NULL
             FROM share_links WHERE token_hash = $1",
        )
        .bind(auth::hash_token(&token.to_ascii_lowercase()))
        .fetch_optional(state.db.reader())
        .await?
    } else {
        None
    };
    // A revoked link is a real link someone was given: 404, but not a guess.
    if found.as_ref().is_some_and(|f| f.4) {
        return Err(AppError::NotFound);
    }
    let Some((link_id, workspace_id, project_id, show_budget, _)) = found else {
        state
            .throttles
            .unknown_share_token(context::client_ip())
            .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
        return Err(AppError::NotFound);
    };
    // Recorded at most once a minute per link: a busy link does not queue a write per view.
    let mut tx = state.db.write().await?;
    sqlx::query(
        "UPDATE share_links SET last_opened_at = $1
         WHERE id = $2 AND (last_opened_at IS NULL OR last_opened_at < $1 - 60000)",
    )
    .bind(now)
    .bind(link_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    type Row = (String, String, String, String, String, String, String);
    let (agency, currency, name, client, starts_on, ends_on, status): Row = sqlx::query_as(
        "SELECT w.name, w.currency, p.name, c.name, p.starts_on, p.ends_on, p.status
         FROM projects p JOIN clients c ON c.id = p.client_id JOIN workspaces w ON w.id = p.workspace_id
         WHERE p.id = $1 AND p.workspace_id = $2",
    )
    .bind(project_id)
    .bind(workspace_id)
    .fetch_one(state.db.reader())
    .await?;
    let mut conn = state.db.read().await?;
    let burn = burn_repo::burns(
        &mut conn,
        workspace_id,
        Some(project_id),
        Date::from_unix_ms(now),
    )
    .await?
    .remove(&project_id);
    let updates = repo::updates(&mut conn, workspace_id, project_id).await?;
    Ok(SharedView {
        agency,
        name,
        client,
        starts_on,
        ends_on,
        status,
        progress_bp: burn.as_ref().map(|b| b.progress_bp).unwrap_or(0),
        currency,
        budget: burn
            .filter(|_| show_budget)
            .map(|b| (b.budget_minor, b.spent_minor, b.remaining_minor)),
        updates,
    })
}
