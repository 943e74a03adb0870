//! Users and roles as they cross the wire: the permission builder's roles, the user list
//! and a user just added.

use crate::domain::permissions::PermissionSet;
use serde::{Deserialize, Serialize};

/// A role as the permission builder shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleView {
    /// Role id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The built-in preset it came from, if any.
    pub preset: Option<String>,
    /// What it allows.
    pub permissions: PermissionSet,
    /// Users who have it.
    pub user_count: i64,
    /// Row version, sent back with every edit.
    pub version: i64,
}

/// A user as the user list shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct UserView {
    /// User id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Role id.
    pub role_id: i64,
    /// Role name.
    pub role_name: String,
    /// Whether they can sign in.
    #[cfg_attr(feature = "ssr", sqlx(try_from = "crate::shared::flag::Flag"))]
    pub active: bool,
    /// Whether they still have to accept their invite.
    #[cfg_attr(feature = "ssr", sqlx(try_from = "crate::shared::flag::Flag"))]
    pub invited: bool,
    /// Row version, sent back with every edit.
    pub version: i64,
}

/// A user just added: the one-time invite link is shown once, never again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedUser {
    /// The new user's id.
    pub user_id: i64,
    /// `/invite/<token>` when no initial password was given.
    pub invite_path: Option<String>,
}
