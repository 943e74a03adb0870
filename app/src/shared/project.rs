//! A project as it crosses the wire: its line in the projects list, its change requests,
//! its client updates and its share links.

use crate::domain::capacity::CapacityVerdict;

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
    pub overridden: bool,
    /// Whether its budget burn puts it at risk.
    #[cfg_attr(feature = "ssr", sqlx(default))]
    pub at_risk: bool,
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
