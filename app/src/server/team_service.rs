//! Team administration: roles and what they allow, users and their roles. Each change is
//! checked against the version the admin saw, written in one transaction with its event,
//! and changes of access make the workspace's open live streams check their sessions again.

use crate::domain::permissions::Permission;
use crate::error::AppError;
use crate::server::context::{self, Caller};
use crate::server::db::WriteTx;
use crate::server::{auth, events, role_repo, user_repo};
use crate::shared::admin::{CreatedUser, RoleView, UserView};
use serde_json::{json, Value};

/// A user about to be added, their fields already validated.
pub struct NewMember {
    /// Display name.
    pub name: String,
    /// Email.
    pub email: String,
    /// Their role (it must be the workspace's).
    pub role_id: i64,
    /// An initial password, or `None` for a one-time invite link.
    pub password: Option<String>,
}

/// Every role of the caller's workspace, with what it allows and how many users have it.
pub async fn roles(caller: &Caller) -> Result<Vec<RoleView>, AppError> {
    Ok(role_repo::list(&context::pool()?, caller.workspace_id).await?)
}

/// Adds a role with no permissions; answers its id.
pub async fn create_role(caller: &Caller, name: &str) -> Result<i64, AppError> {
    let now = context::now_ms();
    let mut tx = context::state()?.db.write(caller.workspace_id).await?;
    let id = role_repo::insert(&mut tx, caller.workspace_id, name).await?;
    let created = change(
        caller,
        "role",
        id,
        "created",
        None,
        Some(json!({ "name": name })),
    );
    events::append(&mut tx, created, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Renames a role the caller saw at `version`.
pub async fn rename_role(
    caller: &Caller,
    role_id: i64,
    name: &str,
    version: i64,
) -> Result<(), AppError> {
    let now = context::now_ms();
    let mut tx = context::state()?.db.write(caller.workspace_id).await?;
    role_at(&mut tx, caller, role_id, version).await?;
    let before = role_repo::rename(&mut tx, caller.workspace_id, role_id, name).await?;
    let renamed = change(
        caller,
        "role",
        role_id,
        "renamed",
        Some(json!({ "name": before })),
        Some(json!({ "name": name })),
    );
    events::append(&mut tx, renamed, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Grants or withdraws one permission of a role the caller saw at `version`. Refused when
/// it would leave the workspace without an admin.
pub async fn set_role_permission(
    caller: &Caller,
    role_id: i64,
    permission: Permission,
    granted: bool,
    version: i64,
) -> Result<(), AppError> {
    let now = context::now_ms();
    let state = context::state()?;
    let mut tx = state.db.write(caller.workspace_id).await?;
    role_at(&mut tx, caller, role_id, version).await?;
    role_repo::set_permission(&mut tx, caller.workspace_id, role_id, permission, granted).await?;
    let action = if granted {
        "permission_granted"
    } else {
        "permission_withdrawn"
    };
    let after = json!({ "permission": permission.as_str() });
    events::append(
        &mut tx,
        change(caller, "role", role_id, action, None, Some(after)),
        now,
    )
    .await?;
    tx.commit().await?;
    // Open live streams of the workspace check their session and permissions again.
    state.live.access_changed(caller.workspace_id);
    Ok(())
}

/// Deletes a role nobody has, as the caller saw it at `version`.
pub async fn delete_role(caller: &Caller, role_id: i64, version: i64) -> Result<(), AppError> {
    let now = context::now_ms();
    let state = context::state()?;
    let mut tx = state.db.write(caller.workspace_id).await?;
    role_at(&mut tx, caller, role_id, version).await?;
    let name = role_repo::delete(&mut tx, caller.workspace_id, role_id).await?;
    let deleted = change(
        caller,
        "role",
        role_id,
        "deleted",
        Some(json!({ "name": name })),
        None,
    );
    events::append(&mut tx, deleted, now).await?;
    tx.commit().await?;
    // Open live streams of the workspace check their session and permissions again.
    state.live.access_changed(caller.workspace_id);
    Ok(())
}

/// Every user of the caller's workspace.
pub async fn users(caller: &Caller) -> Result<Vec<UserView>, AppError> {
    Ok(user_repo::list(&context::pool()?, caller.workspace_id).await?)
}

/// Adds a user with a role and either an initial password or a one-time invite link
/// (valid seven days), answered once and never again.
pub async fn create_user(caller: &Caller, member: NewMember) -> Result<CreatedUser, AppError> {
    let NewMember {
        name,
        email,
        role_id,
        password,
    } = member;
    let now = context::now_ms();
    let state = context::state()?;
    let hash = match password {
        Some(p) => Some(state.passwords.hash(p).await?),
        None => None,
    };
    let invite = hash.is_none().then(auth::new_token);
    let mut tx = state.db.write(caller.workspace_id).await?;
    // A role of another workspace is, to this caller, a role that does not exist.
    role_repo::version(&mut tx, caller.workspace_id, role_id).await?;
    let user = user_repo::NewUser {
        email: &email,
        name: &name,
        password_hash: hash.as_deref(),
        role_id,
        invite_token_hash: invite.as_deref().map(auth::hash_token),
        invite_expires_at: invite.as_ref().map(|_| now + auth::INVITE_TTL_MS),
    };
    let user_id = user_repo::insert(&mut tx, caller.workspace_id, user, now).await?;
    let after =
        json!({ "name": name, "email": email, "role_id": role_id, "invited": invite.is_some() });
    events::append(
        &mut tx,
        change(caller, "user", user_id, "created", None, Some(after)),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedUser {
        user_id,
        invite_path: invite.map(|t| format!("/invite/{t}")),
    })
}

/// Gives a user the caller saw at `version` another role. Refused when it would leave the
/// workspace without an admin.
pub async fn set_user_role(
    caller: &Caller,
    user_id: i64,
    role_id: i64,
    version: i64,
) -> Result<(), AppError> {
    let now = context::now_ms();
    let state = context::state()?;
    let mut tx = state.db.write(caller.workspace_id).await?;
    let current = user_repo::version_and_role(&mut tx, caller.workspace_id, user_id).await?;
    let (current_version, before_role) = current.ok_or(AppError::NotFound)?;
    if current_version != version {
        return Err(user_changed());
    }
    // A role of another workspace is, to this caller, a role that does not exist.
    role_repo::version(&mut tx, caller.workspace_id, role_id).await?;
    user_repo::set_role(&mut tx, caller.workspace_id, user_id, role_id).await?;
    let changed = change(
        caller,
        "user",
        user_id,
        "role_changed",
        Some(json!({ "role_id": before_role })),
        Some(json!({ "role_id": role_id })),
    );
    events::append(&mut tx, changed, now).await?;
    tx.commit().await?;
    // Open live streams of the workspace check their session and permissions again.
    state.live.access_changed(caller.workspace_id);
    Ok(())
}

/// Activates or deactivates a user the caller saw at `version`; deactivating ends their
/// sessions at once. Refused when it would leave the workspace without an admin.
pub async fn set_user_active(
    caller: &Caller,
    user_id: i64,
    active: bool,
    version: i64,
) -> Result<(), AppError> {
    let now = context::now_ms();
    let state = context::state()?;
    let mut tx = state.db.write(caller.workspace_id).await?;
    let current = user_repo::version(&mut tx, caller.workspace_id, user_id).await?;
    if current.ok_or(AppError::NotFound)? != version {
        return Err(user_changed());
    }
    user_repo::set_active(&mut tx, caller.workspace_id, user_id, active).await?;
    let action = if active { "activated" } else { "deactivated" };
    events::append(
        &mut tx,
        change(caller, "user", user_id, action, None, None),
        now,
    )
    .await?;
    tx.commit().await?;
    // Open live streams of the workspace check their session and permissions again.
    state.live.access_changed(caller.workspace_id);
    Ok(())
}

/// `NotFound` unless the role is the workspace's, `Conflict` unless it is still at
/// `version`.
async fn role_at(
    tx: &mut WriteTx,
    caller: &Caller,
    role_id: i64,
    version: i64,
) -> Result<(), AppError> {
    if role_repo::version(tx, caller.workspace_id, role_id).await? != version {
        return Err(AppError::Conflict(
            "someone else changed this role; the page now shows the latest".into(),
        ));
    }
    Ok(())
}

/// The conflict of a user changed since the admin saw them.
fn user_changed() -> AppError {
    AppError::Conflict("someone else changed this user; the page now shows the latest".into())
}

/// `action` on `entity` `entity_id` by the caller, as the audit trail records it.
fn change(
    caller: &Caller,
    entity: &'static str,
    entity_id: i64,
    action: &'static str,
    before: Option<Value>,
    after: Option<Value>,
) -> events::NewEvent<'static> {
    events::NewEvent {
        workspace_id: caller.workspace_id,
        actor_user_id: Some(caller.user_id),
        entity,
        entity_id,
        action,
        before,
        after,
    }
}
