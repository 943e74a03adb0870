//! Projects: loading the list and one project's page with their budget burn, assigning a
//! project's manager, and reopening the deal a project came from (removing the project)
//! — each write one transaction with one event. Arguments come decoded and validated;
//! the state and the clock come from the request's context.

use crate::domain::burn::Burn;
use crate::domain::calendar::Date;
use crate::domain::project::ProjectStatus;
use crate::error::AppError;
use crate::server::context::{self, Caller};
use crate::server::project_repo::{self, ProjectFacts};
use crate::server::{board_repo, burn_repo, change_repo, events, update_repo};
use crate::shared::live::LiveEvent;
use crate::shared::project::{ChangeRow, ProjectRow, ShareLinkRow, StatusUpdate};

/// The projects of a workspace, with every amount as stored (the caller's answer hides
/// what they may not see).
pub struct ProjectListing {
    /// The workspace's currency code.
    pub currency: String,
    /// Projects, newest first, each flagged when its burn puts it at risk.
    pub projects: Vec<ProjectRow>,
    /// The latest event number (for the live stream).
    pub seq: i64,
}

/// Every project of the caller's workspace, newest first; a running project is at risk
/// when its budget burn says so.
pub async fn list(caller: &Caller) -> Result<ProjectListing, AppError> {
    let pool = context::pool()?;
    let seq = board_repo::latest_seq(&pool, caller.workspace_id).await?;
    let workspace = board_repo::workspace(&pool, caller.workspace_id).await?;
    let mut projects = project_repo::list(&pool, caller.workspace_id).await?;
    let mut conn = pool.acquire().await?;
    let today = Date::from_unix_ms(context::now_ms());
    let burns = context::state()?
        .burns
        .all(&mut conn, caller.workspace_id, today)
        .await?;
    for p in &mut projects {
        p.at_risk = burns.get(&p.id).is_some_and(|b| b.at_risk())
            && !ProjectStatus::stored_is_over(&p.status);
    }
    Ok(ProjectListing {
        currency: workspace.currency,
        projects,
        seq,
    })
}

/// One project as its page shows it, with every amount as stored (the caller's answer
/// hides what they may not see).
pub struct ProjectPage {
    /// Its list line, flagged when its burn puts a running project at risk.
    pub row: ProjectRow,
    /// Version, brief, project manager, the checks at close.
    pub facts: ProjectFacts,
    /// The deal it came from, if still there: (id, title, version).
    pub deal: Option<(i64, String, i64)>,
    /// Who is booked on it: (person id, name, week, minutes), by name, then week.
    pub staffing: Vec<(i64, String, String, i64)>,
    /// Minutes of time logged on it.
    pub logged_minutes: i64,
    /// Who may be its manager: (user id, name).
    pub pm_options: Vec<(i64, String)>,
    /// The workspace's currency code.
    pub currency: String,
    /// Its budget burn.
    pub burn: Burn,
    /// The first day of the burn's first week.
    pub first_week: Date,
    /// The workspace's skills, (id, name).
    pub skills: Vec<(i64, String)>,
    /// Its change requests, newest first.
    pub changes: Vec<ChangeRow>,
    /// Its client updates, newest first.
    pub updates: Vec<StatusUpdate>,
    /// Its share links, newest first: only for callers who speak to clients.
    pub share_links: Vec<ShareLinkRow>,
}

/// Project `project_id` of the caller's workspace with its source deal, staffing, logged
/// time, budget burn, change requests, client updates and (for callers who speak to
/// clients) share links.
pub async fn project(caller: &Caller, project_id: i64) -> Result<ProjectPage, AppError> {
    let pool = context::pool()?;
    let (mut row, facts) = project_repo::detail(&pool, caller.workspace_id, project_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let deal = match facts.deal_id {
        Some(id) => project_repo::source_deal(&pool, caller.workspace_id, id).await?,
        None => None,
    };
    let staffing = project_repo::staffing(&pool, caller.workspace_id, project_id).await?;
    let logged_minutes =
        project_repo::logged_minutes(&pool, caller.workspace_id, project_id).await?;
    let pm_options = project_repo::pm_options(&pool, caller.workspace_id).await?;
    let workspace = board_repo::workspace(&pool, caller.workspace_id).await?;
    let mut conn = pool.acquire().await?;
    let today = Date::from_unix_ms(context::now_ms());
    let burn = burn_repo::burns(&mut conn, caller.workspace_id, Some(project_id), today)
        .await?
        .remove(&project_id)
        .ok_or(AppError::Internal)?;
    let first_week = Date::parse(&row.starts_on)
        .map(|d| d.week_start(1))
        .unwrap_or(today);
    row.at_risk = burn.at_risk() && !ProjectStatus::stored_is_over(&row.status);
    let skills = project_repo::skills(&mut *conn, caller.workspace_id).await?;
    let changes = change_repo::history(&mut conn, caller.workspace_id, project_id).await?;
    let updates = update_repo::updates(&mut conn, caller.workspace_id, project_id).await?;
    let share_links = if caller.contacts_clients() {
        update_repo::links(&mut conn, caller.workspace_id, project_id).await?
    } else {
        Vec::new()
    };
    Ok(ProjectPage {
        row,
        facts,
        deal,
        staffing,
        logged_minutes,
        pm_options,
        currency: workspace.currency,
        burn,
        first_week,
        skills,
        changes,
        updates,
        share_links,
    })
}

/// Makes `pm` (nobody for `None`), an active user of the workspace, the project's
/// manager if the project still has `version`, with its event; tells the workspace's
/// project pages.
pub async fn assign_pm(
    caller: &Caller,
    project_id: i64,
    version: i64,
    pm: Option<i64>,
) -> Result<(), AppError> {
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write().await?;
    let current = project_repo::pm(&mut tx, caller.workspace_id, project_id).await?;
    let (current_version, before) = current.ok_or(AppError::NotFound)?;
    if current_version != version {
        return Err(AppError::Conflict(
            "someone else changed this project; reload to see their change".into(),
        ));
    }
    if let Some(pm) = pm {
        if !project_repo::is_active_user(&mut tx, caller.workspace_id, pm).await? {
            return Err(AppError::invalid(
                "pm",
                "is not an active user of this workspace",
            ));
        }
    }
    project_repo::set_pm(&mut tx, caller.workspace_id, project_id, version, pm).await?;
    let seq = events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "project",
            entity_id: project_id,
            action: "pm_assigned",
            before: Some(serde_json::json!({ "pm_user_id": before })),
            after: Some(serde_json::json!({ "pm_user_id": pm })),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    state
        .live
        .publish(caller.workspace_id, LiveEvent::Projects { seq });
    Ok(())
}

/// Reopens the deal project `project_id` came from, at the deal's `deal_version`, when
/// nothing hangs on the project: the project and its allocations are removed and the
/// deal goes back to the last open stage, with one event. Tells every board and the
/// project pages; answers the deal's id.
pub async fn reopen_deal(
    caller: &Caller,
    project_id: i64,
    deal_version: i64,
) -> Result<i64, AppError> {
    use crate::server::deal_service;

    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write().await?;
    let project = project_repo::origin(&mut tx, caller.workspace_id, project_id).await?;
    let (deal_id, name) = project.ok_or(AppError::NotFound)?;
    let deal_id = deal_id.ok_or_else(|| {
        AppError::invalid(
            "project",
            "was not created from a deal, so there is none to reopen",
        )
    })?;
    let (_, from) = deal_service::current_deal(&mut tx, caller, deal_id, deal_version, now).await?;
    let (logged, other) =
        project_repo::dependents(&mut tx, caller.workspace_id, project_id).await?;
    if logged > 0 {
        return Err(AppError::Conflict(
            "time is logged on this project, so its deal cannot be reopened".into(),
        ));
    }
    if other > 0 {
        return Err(AppError::Conflict(
            "the project has change requests, client updates or share links, so its deal cannot be reopened"
                .into(),
        ));
    }
    let to = board_repo::stage_of_kind(
        &mut tx,
        caller.workspace_id,
        crate::domain::pipeline::StageKind::Open,
        true,
    )
    .await?
    .ok_or_else(|| AppError::invalid("stage", "this pipeline has no open stage"))?;
    project_repo::delete(&mut tx, caller.workspace_id, project_id).await?;
    project_repo::reopen_deal(
        &mut tx,
        caller.workspace_id,
        deal_id,
        deal_version,
        to.id,
        now,
    )
    .await?;
    let seq = events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "deal",
            entity_id: deal_id,
            action: "reopened",
            before: Some(serde_json::json!({ "stage": from.name, "project": name })),
            after: Some(serde_json::json!({ "stage": to.name, "project": null })),
        },
        now,
    )
    .await?;
    deal_service::commit_and_publish(tx, caller, &to, deal_id, seq, now).await?;
    state
        .live
        .publish(caller.workspace_id, LiveEvent::Projects { seq });
    Ok(deal_id)
}
