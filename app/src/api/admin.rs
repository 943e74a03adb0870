//! Users and roles: the permission builder and the user list. Every function here needs
//! "manage users and roles".

use crate::error::AppError;
use leptos::prelude::*;

pub use crate::shared::admin::{CreatedUser, RoleView, UserView};

/// Every role of the workspace, with what it allows and how many users have it.
#[server(endpoint = "list_roles")]
pub async fn list_roles() -> Result<Vec<RoleView>, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, team_service};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    team_service::roles(&caller).await
}

/// Adds a role with no permissions; answers its id.
#[server(endpoint = "create_role")]
pub async fn create_role(name: String) -> Result<i64, AppError> {
    use crate::domain::{permissions::Permission, validate};
    use crate::server::{context, team_service};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    let name = validate::required_text("name", &name, 80)?;
    team_service::create_role(&caller, &name).await
}

/// Renames a role.
#[server(endpoint = "rename_role")]
pub async fn rename_role(role_id: i64, name: String, version: i64) -> Result<(), AppError> {
    use crate::domain::{permissions::Permission, validate};
    use crate::server::{context, team_service};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    let name = validate::required_text("name", &name, 80)?;
    team_service::rename_role(&caller, role_id, &name, version).await
}

/// Grants or withdraws one permission of a role (one checkbox of the permission builder).
/// Refused when it would leave the workspace without an admin.
#[server(endpoint = "set_role_permission")]
pub async fn set_role_permission(
    role_id: i64,
    permission: String,
    granted: bool,
    version: i64,
) -> Result<(), AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, team_service};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    let flag = Permission::parse(&permission)
        .ok_or_else(|| AppError::invalid("permission", "is not a known permission"))?;
    team_service::set_role_permission(&caller, role_id, flag, granted, version).await
}

/// Deletes a role nobody has.
#[server(endpoint = "delete_role")]
pub async fn delete_role(role_id: i64, version: i64) -> Result<(), AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, team_service};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    team_service::delete_role(&caller, role_id, version).await
}

/// Every user of the workspace.
#[server(endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<UserView>, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, team_service};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    team_service::users(&caller).await
}

/// Adds a user with a role and either an initial password or, when `password` is empty,
/// a one-time invite link (valid seven days) that is answered once and never shown again.
#[server(endpoint = "create_user")]
pub async fn create_user(
    name: String,
    email: String,
    role_id: i64,
    password: Option<String>,
) -> Result<CreatedUser, AppError> {
    use crate::domain::{permissions::Permission, validate};
    use crate::server::{context, team_service};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    let name = validate::required_text("name", &name, 200)?;
    let email = validate::email("email", &email)?;
    let password = match password.as_deref() {
        None | Some("") => None,
        Some(p) => Some(validate::new_password("password", p)?),
    };
    let member = team_service::NewMember {
        name,
        email,
        role_id,
        password,
    };
    team_service::create_user(&caller, member).await
}

/// Gives a user another role. Refused when it would leave the workspace without an admin.
#[server(endpoint = "set_user_role")]
pub async fn set_user_role(user_id: i64, role_id: i64, version: i64) -> Result<(), AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, team_service};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    team_service::set_user_role(&caller, user_id, role_id, version).await
}

/// Activates or deactivates a user; deactivating ends their sessions at once. Refused when
/// it would leave the workspace without an admin.
#[server(endpoint = "set_user_active")]
pub async fn set_user_active(user_id: i64, active: bool, version: i64) -> Result<(), AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, team_service};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    team_service::set_user_active(&caller, user_id, active, version).await
}
