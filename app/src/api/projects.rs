//! Projects: the list, one project's page, its project manager, and reopening the deal
//! that spawned it. Seeing projects needs "view pipeline"; budgets need "view deal
//! values"; cost figures of the close report need "view cost rates".

use crate::api::close::CheckReport;
use crate::error::AppError;
use leptos::prelude::*;

pub use crate::shared::project::ProjectRow;

/// A project's budget burn as the caller may see it: amounts with "view deal values",
/// the forecast margin with "view cost rates"; hours and the risk flag for everyone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BurnView {
    /// Budget.
    pub budget_minor: Option<i64>,
    /// Billable time × bill rates.
    pub spent_minor: Option<i64>,
    /// Budget − spent.
    pub remaining_minor: Option<i64>,
    /// Forecast at completion.
    pub forecast_minor: Option<i64>,
    /// Forecast margin, basis points.
    pub forecast_margin_bp: Option<i64>,
    /// Spent / budget, basis points.
    pub burn_bp: Option<i64>,
    /// Planned work already past, basis points.
    pub progress_bp: i64,
    /// Why it is at risk (empty: it is not).
    pub risks: Vec<String>,
    /// Whether it is at risk.
    pub at_risk: bool,
    /// Per week (first day): cumulative planned and logged minutes.
    pub weeks: Vec<(String, i64, i64)>,
}

/// The projects list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProjectList {
    /// Workspace currency code.
    pub currency: String,
    /// Projects, newest first.
    pub projects: Vec<ProjectRow>,
    /// The latest event number (for the live stream).
    pub seq: i64,
}

/// Who works on the project in one week.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StaffRow {
    /// Person id.
    pub person_id: i64,
    /// Name.
    pub name: String,
    /// Minutes per week, aligned with [`ProjectDetail::weeks`].
    pub minutes: Vec<i64>,
}

/// One project.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProjectDetail {
    /// The project as the list shows it.
    pub row: ProjectRow,
    /// Version, for editing.
    pub version: i64,
    /// The deal it came from: (id, title), if any.
    pub deal: Option<(i64, String)>,
    /// The deal's version (for reopening).
    pub deal_version: Option<i64>,
    /// The brief: goals.
    pub brief_goals: String,
    /// The brief: priorities.
    pub brief_priorities: String,
    /// The brief: context.
    pub brief_context: String,
    /// The PM's user id.
    pub pm_user_id: Option<i64>,
    /// Who may be PM: (user id, name).
    pub pm_options: Vec<(i64, String)>,
    /// The weeks with staffing, `YYYY-MM-DD` (first day of each).
    pub weeks: Vec<String>,
    /// Staffing by person and week.
    pub staffing: Vec<StaffRow>,
    /// The checks at close (cost only with "view cost rates").
    pub check_report: Option<CheckReport>,
    /// Why a blocked close went ahead.
    pub override_reason: Option<String>,
    /// Minutes of time logged.
    pub logged_minutes: i64,
    /// Workspace currency code.
    pub currency: String,
    /// Whether the caller may assign the PM.
    pub can_manage: bool,
    /// Whether the caller may reopen the deal (and nothing is logged yet).
    pub can_reopen: bool,
    /// Budget burn.
    pub burn: BurnView,
    /// The workspace's skills (for proposing a change).
    pub skills: Vec<(i64, String)>,
    /// Change requests, newest first.
    pub changes: Vec<crate::api::changes::ChangeRow>,
    /// Client updates, newest first.
    pub updates: Vec<crate::api::updates::StatusUpdate>,
    /// Share links, newest first (with "edit deals" or "manage projects").
    pub share_links: Vec<crate::api::updates::ShareLinkRow>,
    /// Whether the caller may propose changes, post updates and share ("edit deals" or
    /// "manage projects").
    pub can_contact: bool,
    /// Whether the caller may approve or reject changes ("manage projects").
    pub can_decide: bool,
}

/// Every project of the workspace, newest first.
#[server(endpoint = "list_projects")]
pub async fn list_projects() -> Result<ProjectList, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{board_repo, context, project_repo};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    let pool = context::pool()?;
    let seq = board_repo::latest_seq(&pool, caller.workspace_id).await?;
    let workspace = board_repo::workspace(&pool, caller.workspace_id).await?;
    let mut projects = project_repo::list(&pool, caller.workspace_id).await?;
    if !caller.can(Permission::ViewDealValues) {
        projects.iter_mut().for_each(|p| p.budget_minor = None);
    }
    let mut conn = pool.acquire().await?;
    let today = crate::domain::calendar::Date::from_unix_ms(context::now_ms());
    let burns = context::state()?
        .burns
        .all(&mut conn, caller.workspace_id, today)
        .await?;
    for p in &mut projects {
        p.at_risk = burns.get(&p.id).is_some_and(|b| b.at_risk())
            && !crate::domain::project::ProjectStatus::stored_is_over(&p.status);
    }
    Ok(ProjectList {
        currency: workspace.currency,
        projects,
        seq,
    })
}

/// One project: brief, budget, dates, staffing by week, the checks at close.
#[server(endpoint = "get_project")]
pub async fn get_project(project_id: i64) -> Result<ProjectDetail, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{board_repo, change_repo, context, project_repo, update_repo};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    let pool = context::pool()?;
    let (mut row, facts) = project_repo::detail(&pool, caller.workspace_id, project_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let deal = match facts.deal_id {
        Some(id) => project_repo::source_deal(&pool, caller.workspace_id, id).await?,
        None => None,
    };
    let cells = project_repo::staffing(&pool, caller.workspace_id, project_id).await?;
    let mut weeks: Vec<String> = cells.iter().map(|c| c.2.clone()).collect();
    weeks.sort();
    weeks.dedup();
    let mut staffing: Vec<StaffRow> = Vec::new();
    for (person_id, name, week, minutes) in cells {
        let i = weeks.binary_search(&week).unwrap_or(0);
        match staffing.iter_mut().find(|r| r.person_id == person_id) {
            Some(r) => r.minutes[i] += minutes,
            None => {
                let mut row = StaffRow {
                    person_id,
                    name,
                    minutes: vec![0; weeks.len()],
                };
                row.minutes[i] = minutes;
                staffing.push(row);
            }
        }
    }
    let logged_minutes =
        project_repo::logged_minutes(&pool, caller.workspace_id, project_id).await?;
    let pm_options = project_repo::pm_options(&pool, caller.workspace_id).await?;
    let mut check_report = facts.check_report;
    if !caller.permissions.sees_cost_amounts() {
        if let Some(r) = check_report.as_mut() {
            r.cost_minor = None;
        }
    }
    if !caller.can(Permission::ViewDealValues) {
        row.budget_minor = None;
    }
    let workspace = board_repo::workspace(&pool, caller.workspace_id).await?;
    let mut conn = pool.acquire().await?;
    let today = crate::domain::calendar::Date::from_unix_ms(context::now_ms());
    let b =
        crate::server::burn_repo::burns(&mut conn, caller.workspace_id, Some(project_id), today)
            .await?
            .remove(&project_id)
            .ok_or(AppError::Internal)?;
    let values = caller.can(Permission::ViewDealValues);
    let costs = caller.permissions.sees_cost_amounts();
    let first = crate::domain::calendar::Date::parse(&row.starts_on)
        .map(|d| d.week_start(1))
        .unwrap_or(today);
    row.at_risk =
        b.at_risk() && !crate::domain::project::ProjectStatus::stored_is_over(&row.status);
    let burn = BurnView {
        budget_minor: values.then_some(b.budget_minor),
        spent_minor: values.then_some(b.spent_minor),
        remaining_minor: values.then_some(b.remaining_minor),
        forecast_minor: values.then_some(b.forecast_minor),
        forecast_margin_bp: if costs { b.forecast_margin_bp } else { None },
        burn_bp: values.then_some(b.burn_bp),
        progress_bp: b.progress_bp,
        risks: crate::domain::burn::visible_risks(&b, values, costs),
        at_risk: row.at_risk,
        weeks: b
            .weeks
            .iter()
            .enumerate()
            .map(|(k, (p, l))| (first.add_days(7 * k as i32).to_string(), *p, *l))
            .collect(),
    };
    let skills = project_repo::skills(&mut *conn, caller.workspace_id).await?;
    let changes = change_repo::history(&mut conn, caller.workspace_id, project_id).await?;
    let changes = crate::api::changes::as_seen_by(changes, &caller);
    let updates = update_repo::updates(&mut conn, caller.workspace_id, project_id).await?;
    let can_contact = caller.contacts_clients();
    let share_links = if can_contact {
        update_repo::links(&mut conn, caller.workspace_id, project_id).await?
    } else {
        Vec::new()
    };
    Ok(ProjectDetail {
        row,
        version: facts.version,
        deal: deal.as_ref().map(|(id, title, _)| (*id, title.clone())),
        deal_version: deal.as_ref().map(|d| d.2),
        brief_goals: facts.brief_goals,
        brief_priorities: facts.brief_priorities,
        brief_context: facts.brief_context,
        pm_user_id: facts.pm_user_id,
        pm_options,
        weeks,
        staffing,
        check_report,
        override_reason: facts.override_reason,
        logged_minutes,
        currency: workspace.currency,
        can_manage: caller.can(Permission::ManageProjects),
        can_reopen: caller.can(Permission::CloseDeals) && logged_minutes == 0 && deal.is_some(),
        burn,
        skills,
        changes,
        updates,
        share_links,
        can_contact,
        can_decide: caller.can(Permission::ManageProjects),
    })
}

/// Assigns the project manager (empty `pm_user_id`: nobody). Needs "manage projects".
#[server(endpoint = "set_project_pm")]
pub async fn set_project_pm(
    project_id: i64,
    version: i64,
    #[server(default)] pm_user_id: String,
) -> Result<(), AppError> {
    use crate::api::live::LiveEvent;
    use crate::domain::permissions::Permission;
    use crate::server::{context, events, project_repo};

    let caller = context::caller_with(Permission::ManageProjects).await?;
    let pm = match pm_user_id.trim() {
        "" => None,
        id => Some(
            id.parse::<i64>()
                .map_err(|_| AppError::invalid("pm", "is not a user of this workspace"))?,
        ),
    };
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

/// Reopens the deal a project came from, removing the project and its allocations, when
/// no time is logged on it: the deal goes back to the last open stage. One transaction,
/// one event. Needs "close deals".
#[server(endpoint = "reopen_deal")]
pub async fn reopen_deal(project_id: i64, deal_version: i64) -> Result<i64, AppError> {
    use crate::api::live::LiveEvent;
    use crate::domain::permissions::Permission;
    use crate::server::{board_repo, context, events, project_repo};

    let caller = context::caller_with(Permission::CloseDeals).await?;
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
    let (_, from) =
        crate::server::deal_service::current_deal(&mut tx, &caller, deal_id, deal_version, now)
            .await?;
    let (logged, other) = project_repo::dependents(&mut tx, project_id).await?;
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
    crate::server::deal_service::commit_and_publish(tx, &caller, &to, deal_id, seq, now).await?;
    state
        .live
        .publish(caller.workspace_id, LiveEvent::Projects { seq });
    Ok(deal_id)
}
