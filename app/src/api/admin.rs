//! Users and roles: the permission builder and the user list. Every function here needs
//! "manage users and roles".

use crate::domain::permissions::PermissionSet;
use crate::error::AppError;
use leptos::prelude::*;
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
    pub active: bool,
    /// Whether they still have to accept their invite.
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

#[cfg(feature = "ssr")]
mod sql {
    use crate::domain::permissions::Permission;
    use crate::error::AppError;
    use sqlx::SqliteConnection;

    /// Fails with "the last admin" when no active user of the workspace could manage
    /// users and roles any more. Run inside the transaction that made the change.
    pub async fn keep_an_admin(
        conn: &mut SqliteConnection,
        workspace_id: i64,
        field: &str,
    ) -> Result<(), AppError> {
        let admins: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM users u
             JOIN role_permissions rp ON rp.role_id = u.role_id AND rp.permission = $2
             WHERE u.workspace_id = $1 AND u.active = 1",
        )
        .bind(workspace_id)
        .bind(Permission::ManageUsers.as_str())
        .fetch_one(conn)
        .await?;
        if admins == 0 {
            return Err(AppError::invalid(
                field,
                "this would leave the workspace without an admin (someone who can manage users and roles)",
            ));
        }
        Ok(())
    }

    /// The role's version, if it is in the workspace.
    pub async fn role_version(
        conn: &mut SqliteConnection,
        workspace_id: i64,
        role_id: i64,
    ) -> Result<i64, AppError> {
        let version: Option<i64> =
            sqlx::query_scalar("SELECT version FROM roles WHERE id = $1 AND workspace_id = $2")
                .bind(role_id)
                .bind(workspace_id)
                .fetch_optional(conn)
                .await?;
        version.ok_or(AppError::NotFound)
    }

    /// Maps a unique-constraint violation on a role or user name to a field error.
    pub fn unique_to_field(err: sqlx::Error, field: &str, reason: &str) -> AppError {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                AppError::invalid(field, reason)
            }
            _ => err.into(),
        }
    }
}

/// Every role of the workspace, with what it allows and how many users have it.
#[server(endpoint = "list_roles")]
pub async fn list_roles() -> Result<Vec<RoleView>, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::context;

    let caller = context::caller_with(Permission::ManageUsers).await?;
    let pool = context::pool()?;
    let rows: Vec<(i64, String, Option<String>, i64, i64)> = sqlx::query_as(
        "SELECT r.id, r.name, r.preset, r.version,
                (SELECT COUNT(*) FROM users u WHERE u.role_id = r.id AND u.active = 1)
         FROM roles r WHERE r.workspace_id = $1 ORDER BY r.id",
    )
    .bind(caller.workspace_id)
    .fetch_all(&pool)
    .await?;
    let grants: Vec<(i64, String)> =
        sqlx::query_as("SELECT role_id, permission FROM role_permissions WHERE workspace_id = $1")
            .bind(caller.workspace_id)
            .fetch_all(&pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, preset, version, user_count)| RoleView {
            permissions: PermissionSet::from_names(
                grants.iter().filter(|g| g.0 == id).map(|g| g.1.as_str()),
            ),
            id,
            name,
            preset,
            user_count,
            version,
        })
        .collect())
}

/// Adds a role with no permissions; answers its id.
#[server(endpoint = "create_role")]
pub async fn create_role(name: String) -> Result<i64, AppError> {
    use crate::domain::{permissions::Permission, validate};
    use crate::server::{context, events};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    let name = validate::required_text("name", &name, 80)?;
    let now = context::now_ms();
    let mut tx = context::write().await?;
    let id = sqlx::query("INSERT INTO roles (workspace_id, name) VALUES ($1, $2)")
        .bind(caller.workspace_id)
        .bind(&name)
        .execute(&mut *tx)
        .await
        .map_err(|e| sql::unique_to_field(e, "name", "a role with this name already exists"))?
        .last_insert_rowid();
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
    use crate::server::{context, events};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    let name = validate::required_text("name", &name, 80)?;
    let now = context::now_ms();
    let mut tx = context::write().await?;
    let current = sql::role_version(&mut tx, caller.workspace_id, role_id).await?;
    if current != version {
        return Err(AppError::Conflict(
            "someone else changed this role; the page now shows the latest".into(),
        ));
    }
    let before: String = sqlx::query_scalar("SELECT name FROM roles WHERE id = $1")
        .bind(role_id)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE roles SET name = $1, version = version + 1 WHERE id = $2 AND workspace_id = $3",
    )
    .bind(&name)
    .bind(role_id)
    .bind(caller.workspace_id)
    .execute(&mut *tx)
    .await
    .map_err(|e| sql::unique_to_field(e, "name", "a role with this name already exists"))?;
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
    use crate::server::{context, events};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    let flag = Permission::parse(&permission)
        .ok_or_else(|| AppError::invalid("permission", "is not a known permission"))?;
    let now = context::now_ms();
    let mut tx = context::write().await?;
    let current = sql::role_version(&mut tx, caller.workspace_id, role_id).await?;
    if current != version {
        return Err(AppError::Conflict(
            "someone else changed this role; the page now shows the latest".into(),
        ));
    }
    if granted {
        sqlx::query(
            "INSERT INTO role_permissions (role_id, workspace_id, permission) VALUES ($1, $2, $3)
             ON CONFLICT (role_id, permission) DO NOTHING",
        )
        .bind(role_id)
        .bind(caller.workspace_id)
        .bind(flag.as_str())
        .execute(&mut *tx)
        .await?;
    } else {
        sqlx::query("DELETE FROM role_permissions WHERE role_id = $1 AND workspace_id = $2 AND permission = $3")
            .bind(role_id)
            .bind(caller.workspace_id)
            .bind(flag.as_str())
            .execute(&mut *tx)
            .await?;
        sql::keep_an_admin(&mut tx, caller.workspace_id, "permission").await?;
    }
    sqlx::query("UPDATE roles SET version = version + 1 WHERE id = $1")
        .bind(role_id)
        .execute(&mut *tx)
        .await?;
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
    use crate::server::{context, events};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    let now = context::now_ms();
    let mut tx = context::write().await?;
    let current = sql::role_version(&mut tx, caller.workspace_id, role_id).await?;
    if current != version {
        return Err(AppError::Conflict(
            "someone else changed this role; the page now shows the latest".into(),
        ));
    }
    let holders: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role_id = $1")
        .bind(role_id)
        .fetch_one(&mut *tx)
        .await?;
    if holders > 0 {
        return Err(AppError::invalid(
            "role",
            format!("{holders} users still have this role"),
        ));
    }
    let name: String = sqlx::query_scalar("SELECT name FROM roles WHERE id = $1")
        .bind(role_id)
        .fetch_one(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM roles WHERE id = $1 AND workspace_id = $2")
        .bind(role_id)
        .bind(caller.workspace_id)
        .execute(&mut *tx)
        .await?;
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
    use crate::server::context;

    let caller = context::caller_with(Permission::ManageUsers).await?;
    let users = sqlx::query_as(
        "SELECT u.id, u.name, u.email, u.role_id, r.name AS role_name, u.active = 1 AS active,
                u.password_hash IS NULL AS invited, u.version
         FROM users u JOIN roles r ON r.id = u.role_id
         WHERE u.workspace_id = $1 ORDER BY u.name, u.id",
    )
    .bind(caller.workspace_id)
    .fetch_all(&context::pool()?)
    .await?;
    Ok(users)
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
    use crate::server::{auth, context, events};

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
    sql::role_version(&mut tx, caller.workspace_id, role_id).await?;
    let user_id = sqlx::query(
        "INSERT INTO users (workspace_id, email, name, password_hash, role_id, created_at,
                            invite_token_hash, invite_expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(caller.workspace_id)
    .bind(&email)
    .bind(&name)
    .bind(&hash)
    .bind(role_id)
    .bind(now)
    .bind(invite.as_deref().map(auth::hash_token))
    .bind(invite.as_ref().map(|_| now + auth::INVITE_TTL_MS))
    .execute(&mut *tx)
    .await
    .map_err(|e| sql::unique_to_field(e, "email", "a user with this email already exists"))?
    .last_insert_rowid();
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
    use crate::server::{context, events};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    let now = context::now_ms();
    let mut tx = context::write().await?;
    let current: Option<(i64, i64)> =
        sqlx::query_as("SELECT version, role_id FROM users WHERE id = $1 AND workspace_id = $2")
            .bind(user_id)
            .bind(caller.workspace_id)
            .fetch_optional(&mut *tx)
            .await?;
    let (current_version, before_role) = current.ok_or(AppError::NotFound)?;
    if current_version != version {
        return Err(AppError::Conflict(
            "someone else changed this user; the page now shows the latest".into(),
        ));
    }
    // A role of another workspace is, to this caller, a role that does not exist.
    sql::role_version(&mut tx, caller.workspace_id, role_id).await?;
    sqlx::query(
        "UPDATE users SET role_id = $1, version = version + 1 WHERE id = $2 AND workspace_id = $3",
    )
    .bind(role_id)
    .bind(user_id)
    .bind(caller.workspace_id)
    .execute(&mut *tx)
    .await?;
    sql::keep_an_admin(&mut tx, caller.workspace_id, "role").await?;
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
    use crate::server::{context, events};

    let caller = context::caller_with(Permission::ManageUsers).await?;
    let now = context::now_ms();
    let mut tx = context::write().await?;
    let current: Option<i64> =
        sqlx::query_scalar("SELECT version FROM users WHERE id = $1 AND workspace_id = $2")
            .bind(user_id)
            .bind(caller.workspace_id)
            .fetch_optional(&mut *tx)
            .await?;
    if current.ok_or(AppError::NotFound)? != version {
        return Err(AppError::Conflict(
            "someone else changed this user; the page now shows the latest".into(),
        ));
    }
    sqlx::query(
        "UPDATE users SET active = $1, version = version + 1 WHERE id = $2 AND workspace_id = $3",
    )
    .bind(i64::from(active))
    .bind(user_id)
    .bind(caller.workspace_id)
    .execute(&mut *tx)
    .await?;
    if !active {
        sql::keep_an_admin(&mut tx, caller.workspace_id, "active").await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
    }
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
