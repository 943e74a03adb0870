//! Clients as they cross the wire: the list, one client's page with its deals and
//! projects, and the health an account manager gives a relationship.

use serde::{Deserialize, Serialize};

/// How a client relationship is going, as the account manager judges it.
pub const HEALTH: [(&str, &str); 3] =
    [("good", "Good"), ("watch", "Watch"), ("at_risk", "At risk")];

/// The label of a stored health value.
pub fn health_label(health: &str) -> &'static str {
    HEALTH
        .iter()
        .find(|(key, _)| *key == health)
        .map(|(_, label)| *label)
        .unwrap_or("Good")
}

/// One line of the clients list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ClientRow {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// `good`, `watch` or `at_risk`.
    pub health: String,
    /// The account owner, if any.
    pub owner_name: Option<String>,
    /// Open deals on the board.
    pub open_deals: i64,
    /// Their value, minor units (hidden without "view deal values").
    pub open_value_minor: Option<i64>,
    /// Won deals' value, minor units (hidden without "view deal values").
    pub won_value_minor: Option<i64>,
    /// Projects that are not done or cancelled.
    pub active_projects: i64,
}

/// The clients list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientList {
    /// Workspace currency code.
    pub currency: String,
    /// Clients, by name.
    pub clients: Vec<ClientRow>,
    /// Whether the caller may create and edit clients.
    pub can_edit: bool,
}

/// A deal of one client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ClientDeal {
    /// Id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Stage name.
    pub stage_name: String,
    /// Open, won or lost.
    #[cfg_attr(feature = "ssr", sqlx(try_from = "String"))]
    pub stage_kind: crate::domain::pipeline::StageKind,
    /// Value, minor units (hidden without "view deal values").
    pub value_minor: Option<i64>,
    /// Expected close, `YYYY-MM-DD`.
    pub expected_close_on: Option<String>,
    /// Whether it was archived off the board.
    #[cfg_attr(feature = "ssr", sqlx(try_from = "crate::shared::flag::Flag"))]
    pub archived: bool,
}

/// A project of one client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ClientProject {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// `planned`, `active`, `on_hold`, `done` or `cancelled`.
    pub status: String,
    /// First day, `YYYY-MM-DD`.
    pub starts_on: String,
    /// Last day, `YYYY-MM-DD`.
    pub ends_on: String,
    /// Budget, minor units (hidden without "view deal values").
    pub budget_minor: Option<i64>,
}

/// One client with its deals and projects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientDetail {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// `good`, `watch` or `at_risk`.
    pub health: String,
    /// Contact person.
    pub contact_name: String,
    /// Contact email.
    pub contact_email: String,
    /// Account owner.
    pub owner_user_id: Option<i64>,
    /// Version, for editing.
    pub version: i64,
    /// Workspace currency code.
    pub currency: String,
    /// Deals, open first, then newest.
    pub deals: Vec<ClientDeal>,
    /// Projects, newest first.
    pub projects: Vec<ClientProject>,
    /// Users who may own the account: (id, name).
    pub owners: Vec<(i64, String)>,
    /// Whether the caller may edit the client.
    pub can_edit: bool,
}

/// The created client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedClient {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
}
