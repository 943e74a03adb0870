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
    use crate::server::{context, project_service};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    let listing = project_service::list(&caller).await?;
    let mut projects = listing.projects;
    if !caller.can(Permission::ViewDealValues) {
        projects.iter_mut().for_each(|p| p.budget_minor = None);
    }
    Ok(ProjectList {
        currency: listing.currency,
        projects,
        seq: listing.seq,
    })
}

/// One project: brief, budget, dates, staffing by week, the checks at close.
#[server(endpoint = "get_project")]
pub async fn get_project(project_id: i64) -> Result<ProjectDetail, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, project_service};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    let page = project_service::project(&caller, project_id).await?;
    Ok(project_view(&caller, page))
}

/// The project's page as `caller` may see it: budgets with "view deal values", cost
/// figures with both money permissions.
#[cfg(feature = "ssr")]
fn project_view(
    caller: &crate::server::context::Caller,
    page: crate::server::project_service::ProjectPage,
) -> ProjectDetail {
    use crate::domain::permissions::Permission;

    let values = caller.can(Permission::ViewDealValues);
    let costs = caller.permissions.sees_cost_amounts();
    let (weeks, staffing) = staffing_by_week(page.staffing);
    let facts = page.facts;
    let mut check_report = facts.check_report;
    if !costs {
        if let Some(r) = check_report.as_mut() {
            r.cost_minor = None;
        }
    }
    let mut row = page.row;
    if !values {
        row.budget_minor = None;
    }
    let burn = burn_view(&page.burn, page.first_week, values, costs, row.at_risk);
    let deal = page.deal;
    let logged_minutes = page.logged_minutes;
    ProjectDetail {
        row,
        version: facts.version,
        deal: deal.as_ref().map(|(id, title, _)| (*id, title.clone())),
        deal_version: deal.as_ref().map(|d| d.2),
        brief_goals: facts.brief_goals,
        brief_priorities: facts.brief_priorities,
        brief_context: facts.brief_context,
        pm_user_id: facts.pm_user_id,
        pm_options: page.pm_options,
        weeks,
        staffing,
        check_report,
        override_reason: facts.override_reason,
        logged_minutes,
        currency: page.currency,
        can_manage: caller.can(Permission::ManageProjects),
        can_reopen: caller.can(Permission::CloseDeals) && logged_minutes == 0 && deal.is_some(),
        burn,
        skills: page.skills,
        changes: crate::api::changes::as_seen_by(page.changes, caller),
        updates: page.updates,
        share_links: page.share_links,
        can_contact: caller.contacts_clients(),
        can_decide: caller.can(Permission::ManageProjects),
    }
}

/// Bookings (person id, name, week, minutes) as a grid: the weeks with any, in order,
/// and one row per person with their minutes in each of those weeks.
#[cfg(feature = "ssr")]
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
#[cfg(feature = "ssr")]
fn burn_view(
    b: &crate::domain::burn::Burn,
    first_week: crate::domain::calendar::Date,
    values: bool,
    costs: bool,
    at_risk: bool,
) -> BurnView {
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
    }
}

/// Assigns the project manager (empty `pm_user_id`: nobody). Needs "manage projects".
#[server(endpoint = "set_project_pm")]
pub async fn set_project_pm(
    project_id: i64,
    version: i64,
    #[server(default)] pm_user_id: String,
) -> Result<(), AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, project_service};

    let caller = context::caller_with(Permission::ManageProjects).await?;
    let pm = match pm_user_id.trim() {
        "" => None,
        id => Some(
            id.parse::<i64>()
                .map_err(|_| AppError::invalid("pm", "is not a user of this workspace"))?,
        ),
    };
    project_service::assign_pm(&caller, project_id, version, pm).await
}

/// Reopens the deal a project came from, removing the project and its allocations, when
/// no time is logged on it: the deal goes back to the last open stage. One transaction,
/// one event. Needs "close deals".
#[server(endpoint = "reopen_deal")]
pub async fn reopen_deal(project_id: i64, deal_version: i64) -> Result<i64, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, project_service};

    let caller = context::caller_with(Permission::CloseDeals).await?;
    project_service::reopen_deal(&caller, project_id, deal_version).await
}
