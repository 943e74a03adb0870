//! Projects: loading the list and one project's page with their budget burn, assigning a
//! project's manager, and reopening the deal a project came from (removing the project)
//! — each write one transaction with one event. Arguments come decoded and validated;
//! the state and the clock come from the request's context.

use crate::domain::burn::Burn;
use crate::domain::calendar::Date;
use crate::domain::permissions::Permission;
use crate::domain::project::ProjectStatus;
use crate::error::AppError;
use crate::server::context::{self, Caller};
use crate::server::db::Conn;
use crate::server::project_repo;
use crate::server::{board_repo, burn_repo, change_repo, events, update_repo};
use crate::shared::close::CheckReport;
use crate::shared::live::LiveEvent;
use crate::shared::project::{
    BurnView, ChangeRow, ProjectDetail, ProjectList, ShareLinkRow, StaffRow, StatusUpdate,
};

/// Every project of the caller's workspace, newest first; a running project is at risk
/// when its budget burn says so. Budgets only for callers who may see deal values.
pub async fn list(caller: &Caller) -> Result<ProjectList, AppError> {
    let pool = context::pool()?;
    let seq = board_repo::latest_seq(&pool, caller.workspace_id).await?;
    let workspace = board_repo::workspace(&pool, caller.workspace_id).await?;
    let mut projects = project_repo::list(&pool, caller.workspace_id).await?;
    let mut conn = pool.acquire().await?;
    let today = context::today()?;
    let burns = context::state()?
        .burns
        .all(&mut conn, caller.workspace_id, today)
        .await?;
    for p in &mut projects {
        p.at_risk = burns.get(&p.id).is_some_and(|b| b.at_risk())
            && !ProjectStatus::stored_is_over(&p.status);
    }
    if !caller.can(Permission::ViewDealValues) {
        projects.iter_mut().for_each(|p| p.budget_minor = None);
    }
    Ok(ProjectList {
        currency: workspace.currency,
        projects,
        seq,
    })
}

/// Project `project_id` of the caller's workspace as its page shows it to the caller:
/// its source deal, staffing by week, logged time, budget burn, change requests, client
/// updates and (for callers who speak to clients) share links. Budgets only with "view
/// deal values"; cost figures only with both money permissions.
pub async fn project(caller: &Caller, project_id: i64) -> Result<ProjectDetail, AppError> {
    let values = caller.can(Permission::ViewDealValues);
    let costs = caller.permissions.sees_cost_amounts();
    let pool = context::pool()?;
    // Read the event number first: a change committed while the page loads is replayed.
    let seq = board_repo::latest_seq(&pool, caller.workspace_id).await?;
    let (mut row, facts) = project_repo::detail(&pool, caller.workspace_id, project_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let deal = match facts.deal_id {
        Some(id) => project_repo::source_deal(&pool, caller.workspace_id, id).await?,
        None => None,
    };
    let staffing = project_repo::staffing(&pool, caller.workspace_id, project_id).await?;
    let (weeks, staffing) = staffing_by_week(staffing);
    let logged_minutes =
        project_repo::logged_minutes(&pool, caller.workspace_id, project_id).await?;
    let pm_options = crate::server::user_repo::owners(&pool, caller.workspace_id).await?;
    let workspace = board_repo::workspace(&pool, caller.workspace_id).await?;
    let mut conn = pool.acquire().await?;
    let today = context::today()?;
    let burn = burn_repo::burns(&mut conn, caller.workspace_id, Some(project_id), today)
        .await?
        .remove(&project_id)
        .ok_or(AppError::Internal)?;
    let first_week = Date::parse(&row.starts_on)
        .map(|d| today.week_of(d))
        .unwrap_or(today.date);
    row.at_risk = burn.at_risk() && !ProjectStatus::stored_is_over(&row.status);
    row.budget_minor = row.budget_minor.filter(|_| values);
    let mut burn = burn_view(&burn, first_week, values, costs, row.at_risk);
    burn.this_week = today.this_week().to_string();
    let check_report = facts.check_report.map(|r| CheckReport {
        cost_minor: r.cost_minor.filter(|_| costs),
        ..r
    });
    let mut skills = crate::server::skill_repo::all(&mut *conn, caller.workspace_id).await?;
    skills.sort_by(|a, b| a.1.cmp(&b.1));
    let (changes, updates, share_links) = delivery(&mut conn, caller, project_id).await?;
    let stamps = changes
        .iter()
        .flat_map(|c| [Some(c.created_at), c.decided_at])
        .chain(updates.iter().map(|u| Some(u.created_at)))
        .chain(
            share_links
                .iter()
                .flat_map(|l| [Some(l.created_at), l.revoked_at, l.last_opened_at]),
        )
        .flatten();
    let offsets = context::calendar()?.offsets_for(stamps, context::now_ms());
    Ok(ProjectDetail {
        seq,
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
        offsets,
        can_contact: caller.contacts_clients(),
        can_decide: caller.can(Permission::ManageProjects),
    })
}

/// The project's change requests, client updates and (for callers who speak to clients)
/// share links, newest first. Extra values only with "view deal values", the margin at a
/// change's decision only with both money permissions.
async fn delivery(
    conn: &mut Conn,
    caller: &Caller,
    project_id: i64,
) -> Result<(Vec<ChangeRow>, Vec<StatusUpdate>, Vec<ShareLinkRow>), AppError> {
    let values = caller.can(Permission::ViewDealValues);
    let costs = caller.permissions.sees_cost_amounts();
    let changes = change_repo::history(&mut *conn, caller.workspace_id, project_id)
        .await?
        .into_iter()
        .map(|c| ChangeRow {
            extra_value_minor: c.extra_value_minor.filter(|_| values),
            verdicts: c
                .verdicts
                .map(|(capacity, bp)| (capacity, bp.filter(|_| costs))),
            ..c
        })
        .collect();
    let updates = update_repo::updates(&mut *conn, caller.workspace_id, project_id).await?;
    let share_links = if caller.contacts_clients() {
        update_repo::links(&mut *conn, caller.workspace_id, project_id).await?
    } else {
        Vec::new()
    };
    Ok((changes, updates, share_links))
}

/// Bookings (person id, name, week, minutes) as a grid: the weeks with any, in order,
/// and one row per person with their minutes in each of those weeks.
fn staffing_by_week(cells: Vec<(i64, String, String, i64)>) -> (Vec<String>, Vec<StaffRow>) {
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
    (weeks, staffing)
}

/// Burn `b` as a caller sees it: amounts with `values`, the forecast margin with
/// `costs`, risks by what they reveal; its weeks dated from `first_week`.
fn burn_view(b: &Burn, first_week: Date, values: bool, costs: bool, at_risk: bool) -> BurnView {
    BurnView {
        budget_minor: values.then_some(b.budget_minor),
        spent_minor: values.then_some(b.spent_minor),
        remaining_minor: values.then_some(b.remaining_minor),
        forecast_minor: values.then_some(b.forecast_minor),
        forecast_margin_bp: if costs { b.forecast_margin_bp } else { None },
        burn_bp: values.then_some(b.burn_bp),
        progress_bp: b.progress_bp,
        risks: crate::domain::burn::visible_risks(b, values, costs),
        at_risk,
        weeks: b
            .weeks
            .iter()
            .enumerate()
            .map(|(k, (p, l))| (first_week.add_days(7 * k as i32).to_string(), *p, *l))
            .collect(),
        this_week: String::new(),
    }
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
    let mut tx = state.db.write(caller.workspace_id).await?;
    let current = project_repo::pm(&mut tx, caller.workspace_id, project_id).await?;
    let (current_version, before) = current.ok_or(AppError::NotFound)?;
    if current_version != version {
        return Err(AppError::Conflict(
            "someone else changed this project; reload to see their change".into(),
        ));
    }
    if let Some(pm) = pm {
        if !crate::server::user_repo::is_owner(&mut *tx, caller.workspace_id, pm).await? {
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
    let mut tx = state.db.write(caller.workspace_id).await?;
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
    let entry =
        deal_service::stage_entry(&mut tx, caller.workspace_id, deal_id, from.kind, to.id, now)
            .await?;
    project_repo::reopen_deal(&mut tx, caller.workspace_id, deal_id, deal_version, entry).await?;
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
