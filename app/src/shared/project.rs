//! A project as it crosses the wire: its line in the projects list, its page with its
//! budget burn and staffing, its change requests and their review, its client updates,
//! its share links and what a share link shows.

use crate::domain::calendar::UtcOffsets;
use crate::domain::capacity::CapacityVerdict;
use crate::domain::margin::MarginVerdict;
use crate::shared::close::CheckReport;

/// One line of the projects list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ProjectRow {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Client id.
    pub client_id: i64,
    /// Client name.
    pub client_name: String,
    /// The project manager, if assigned.
    pub pm_name: Option<String>,
    /// First day, `YYYY-MM-DD`.
    pub starts_on: String,
    /// Last day, `YYYY-MM-DD`.
    pub ends_on: String,
    /// Budget, minor units (hidden without "view deal values").
    pub budget_minor: Option<i64>,
    /// `planned`, `active`, `on_hold`, `done` or `cancelled`.
    pub status: String,
    /// Whether a blocked close was overridden.
    #[cfg_attr(feature = "ssr", sqlx(try_from = "crate::shared::flag::Flag"))]
    pub overridden: bool,
    /// Whether its budget burn puts it at risk.
    #[cfg_attr(feature = "ssr", sqlx(default))]
    pub at_risk: bool,
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
    /// The first day of this week in the workspace: logged time stops there.
    #[serde(default)]
    pub this_week: String,
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
    /// The latest event number when it was read: the live stream replays what came after.
    pub seq: i64,
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
    pub changes: Vec<ChangeRow>,
    /// Client updates, newest first.
    pub updates: Vec<StatusUpdate>,
    /// Share links, newest first (with "edit deals" or "manage projects").
    pub share_links: Vec<ShareLinkRow>,
    /// The workspace's offsets from UTC over the instants above: the page shows them as
    /// local times.
    pub offsets: UtcOffsets,
    /// Whether the caller may propose changes, post updates and share ("edit deals" or
    /// "manage projects").
    pub can_contact: bool,
    /// Whether the caller may approve or reject changes ("manage projects").
    pub can_decide: bool,
}

/// One change request in a project's history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChangeRow {
    /// Id.
    pub id: i64,
    /// Version, for deciding.
    pub version: i64,
    /// What is asked for.
    pub description: String,
    /// Extra value, minor units (hidden without "view deal values").
    pub extra_value_minor: Option<i64>,
    /// Extra hours: (skill name, minutes).
    pub hours: Vec<(String, i64)>,
    /// `proposed`, `approved` or `rejected`.
    pub status: String,
    /// Who proposed it.
    pub proposed_by: String,
    /// When, Unix ms.
    pub created_at: i64,
    /// Who decided, if decided.
    pub decided_by: Option<String>,
    /// When, Unix ms.
    pub decided_at: Option<i64>,
    /// Why it was rejected.
    pub decision_reason: Option<String>,
    /// Why a blocked change was approved anyway.
    pub override_reason: Option<String>,
    /// The verdicts when decided: capacity, margin of the revised budget.
    pub verdicts: Option<(CapacityVerdict, Option<i64>)>,
    /// Whether its staffing was added to the planner on approval.
    pub allocations_added: bool,
}

/// One skill in one week of the extra work.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChangeCell {
    /// Skill name.
    pub skill: String,
    /// First day of the week.
    pub week: String,
    /// Minutes asked for.
    pub demand: i64,
    /// Minutes the suggested staffing covers.
    pub staffed: i64,
    /// Minutes nobody can cover.
    pub shortfall: i64,
}

/// The review of a proposed change, as the caller may see it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ChangeReviewView {
    /// The change request.
    pub id: i64,
    /// Its version.
    pub version: i64,
    /// First day of the first week the extra work is planned in.
    pub start_on: String,
    /// Weeks it is spread over (the project's remaining weeks).
    pub weeks: u32,
    /// Fits, tight or short.
    pub capacity: CapacityVerdict,
    /// Per skill and week.
    pub cells: Vec<ChangeCell>,
    /// Suggested staffing: (person, skill, week, minutes).
    pub staffing: Vec<(String, String, String, i64)>,
    /// Margin of the revised budget, basis points.
    pub margin_bp: Option<i64>,
    /// Pass, warn or block.
    pub margin: MarginVerdict,
    /// Workspace target, basis points.
    pub target_bp: i64,
    /// Workspace floor, basis points.
    pub floor_bp: i64,
    /// Budget now (with "view deal values").
    pub budget_minor: Option<i64>,
    /// Budget after approval (with "view deal values").
    pub revised_budget_minor: Option<i64>,
    /// Cost of the extra work (with "view cost rates").
    pub extra_cost_minor: Option<i64>,
    /// Forecast cost after approval (with "view cost rates").
    pub revised_cost_minor: Option<i64>,
    /// Whether approving needs an override.
    pub needs_override: bool,
    /// What blocks approval.
    pub blockers: Vec<String>,
    /// Whether the caller may decide.
    pub can_decide: bool,
    /// Whether the caller may override.
    pub can_override: bool,
}

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
    #[cfg_attr(feature = "ssr", sqlx(try_from = "crate::shared::flag::Flag"))]
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
    /// The agency's offsets from UTC over the updates: they show in its local time.
    pub offsets: UtcOffsets,
}
