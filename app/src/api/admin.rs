//! Users and roles: the permission builder and the user list. Every function here needs
//! "manage users and roles".

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use crate::shared::admin::{RoleView, UserView};

/// A user just added: the one-time invite link is shown once, never again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedUser {
    /// The new user's id.
    pub user_id: i64,
    /// `/invite/<token>` when no initial password was given.
    pub invite_path: Option<String>,
}

/// Every role of the workspace, with what it allows and how many users have it.
#[server(endpoint = "list_roles")]
pub async fn list_roles() -> Result<Vec<RoleView>, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, role_repo};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    Ok(role_repo::list(&context::pool()?, caller.workspace_id).await?)
}

/// Adds a role with no permissions; answers its id.
#[server(endpoint = "create_role")]
pub async fn create_role(name: String) -> Result<i64, AppError> {
    use crate::domain::{permissions::Permission, validate};
    use crate::server::{context, events, role_repo};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    let name = validate::required_text("name", &name, 80)?;
    let now = context::now_ms();
    let mut tx = context::write().await?;
    let id = role_repo::insert(&mut tx, caller.workspace_id, &name).await?;
    events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "role",
            entity_id: id,
            action: "created",
            before: None,
            after: Some(serde_json::json!({ "name": name })),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Renames a role.
#[server(endpoint = "rename_role")]
pub async fn rename_role(role_id: i64, name: String, version: i64) -> Result<(), AppError> {
    use crate::domain::{permissions::Permission, validate};
    use crate::server::{context, events, role_repo};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    let name = validate::required_text("name", &name, 80)?;
    let now = context::now_ms();
    let mut tx = context::write().await?;
    let current = role_repo::version(&mut tx, caller.workspace_id, role_id).await?;
    if current != version {
        return Err(AppError::Conflict(
            "someone else changed this role; the page now shows the latest".into(),
        ));
    }
    let before = role_repo::rename(&mut tx, caller.workspace_id, role_id, &name).await?;
    events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "role",
            entity_id: role_id,
            action: "renamed",
            before: Some(serde_json::json!({ "name": before })),
            after: Some(serde_json::json!({ "name": name })),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
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
    use crate::server::{context, events, role_repo};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    let flag = Permission::parse(&permission)
        .ok_or_else(|| AppError::invalid("permission", "is not a known permission"))?;
    let now = context::now_ms();
    let mut tx = context::write().await?;
    let current = role_repo::version(&mut tx, caller.workspace_id, role_id).await?;
    if current != version {
        return Err(AppError::Conflict(
            "someone else changed this role; the page now shows the latest".into(),
        ));
    }
    role_repo::set_permission(&mut tx, caller.workspace_id, role_id, flag, granted).await?;
    events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "role",
            entity_id: role_id,
            action: if granted {
                "permission_granted"
            } else {
                "permission_withdrawn"
            },
            before: None,
            after: Some(serde_json::json!({ "permission": flag.as_str() })),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    // Open live streams of the workspace check their session and permissions again.
    context::state()?.live.access_changed(caller.workspace_id);
    Ok(())
}

/// Deletes a role nobody has.
#[server(endpoint = "delete_role")]
pub async fn delete_role(role_id: i64, version: i64) -> Result<(), AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, events, role_repo};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    let now = context::now_ms();
    let mut tx = context::write().await?;
    let current = role_repo::version(&mut tx, caller.workspace_id, role_id).await?;
    if current != version {
        return Err(AppError::Conflict(
            "someone else changed this role; the page now shows the latest".into(),
        ));
    }
    let name = role_repo::delete(&mut tx, caller.workspace_id, role_id).await?;
    events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "role",
            entity_id: role_id,
            action: "deleted",
            before: Some(serde_json::json!({ "name": name })),
            after: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    // Open live streams of the workspace check their session and permissions again.
    context::state()?.live.access_changed(caller.workspace_id);
    Ok(())
}

/// Every user of the workspace.
#[server(endpoint = "list_users")]
pub async fn list_users() -> Result<Vec<UserView>, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, user_repo};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    Ok(user_repo::list(&context::pool()?, caller.workspace_id).await?)
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
    use crate::server::{auth, context, events, role_repo, user_repo};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    let name = validate::required_text("name", &name, 200)?;
    let email = validate::email("email", &email)?;
    let password = match password.as_deref() {
        None | Some("") => None,
        Some(p) => Some(validate::new_password("password", p)?),
    };
    let now = context::now_ms();
    let hash = match password {
        Some(p) => Some(context::state()?.passwords.hash(p).await?),
        None => None,
    };
    let invite = hash.is_none().then(auth::new_token);
    let mut tx = context::write().await?;
    // A role of another workspace is, to this caller, a role that does not exist.
    role_repo::version(&mut tx, caller.workspace_id, role_id).await?;
    let user_id = user_repo::insert(
        &mut tx,
        caller.workspace_id,
        user_repo::NewUser {
            email: &email,
            name: &name,
            password_hash: hash.as_deref(),
            role_id,
            invite_token_hash: invite.as_deref().map(auth::hash_token),
            invite_expires_at: invite.as_ref().map(|_| now + auth::INVITE_TTL_MS),
        },
        now,
    )
    .await?;
    events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "user",
            entity_id: user_id,
            action: "created",
            before: None,
            after: Some(serde_json::json!({ "name": name, "email": email, "role_id": role_id, "invited": invite.is_some() })),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedUser {
        user_id,
        invite_path: invite.map(|t| format!("/invite/{t}")),
    })
}

/// Gives a user another role. Refused when it would leave the workspace without an admin.
#[server(endpoint = "set_user_role")]
pub async fn set_user_role(user_id: i64, role_id: i64, version: i64) -> Result<(), AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, events, role_repo, user_repo};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    let now = context::now_ms();
    let mut tx = context::write().await?;
    let current = user_repo::version_and_role(&mut tx, caller.workspace_id, user_id).await?;
    let (current_version, before_role) = current.ok_or(AppError::NotFound)?;
    if current_version != version {
        return Err(AppError::Conflict(
            "someone else changed this user; the page now shows the latest".into(),
        ));
    }
    // A role of another workspace is, to this caller, a role that does not exist.
    role_repo::version(&mut tx, caller.workspace_id, role_id).await?;
    user_repo::set_role(&mut tx, caller.workspace_id, user_id, role_id).await?;
    events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "user",
            entity_id: user_id,
            action: "role_changed",
            before: Some(serde_json::json!({ "role_id": before_role })),
            after: Some(serde_json::json!({ "role_id": role_id })),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    // Open live streams of the workspace check their session and permissions again.
    context::state()?.live.access_changed(caller.workspace_id);
    Ok(())
}

/// Activates or deactivates a user; deactivating ends their sessions at once. Refused when
/// it would leave the workspace without an admin.
#[server(endpoint = "set_user_active")]
pub async fn set_user_active(user_id: i64, active: bool, version: i64) -> Result<(), AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{context, events, user_repo};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    let now = context::now_ms();
    let mut tx = context::write().await?;
    let current = user_repo::version(&mut tx, caller.workspace_id, user_id).await?;
    if current.ok_or(AppError::NotFound)? != version {
        return Err(AppError::Conflict(
            "someone else changed this user; the page now shows the latest".into(),
        ));
    }
    user_repo::set_active(&mut tx, caller.workspace_id, user_id, active).await?;
    events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "user",
            entity_id: user_id,
            action: if active { "activated" } else { "deactivated" },
            before: None,
            after: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    // Open live streams of the workspace check their session and permissions again.
    context::state()?.live.access_changed(caller.workspace_id);
    Ok(())
}
