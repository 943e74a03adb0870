//! Who is signed in, as it crosses the wire.

use crate::domain::permissions::PermissionSet;
use serde::{Deserialize, Serialize};

/// The signed-in user, as the app frame shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInUser {
    /// User id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// Email.
    pub email: String,
    /// The role's name.
    pub role_name: String,
    /// The workspace's name.
    pub workspace_name: String,
    /// What the role allows (the server checks again on every call).
    pub permissions: PermissionSet,
}
