//! Roles and what they allow, in the database. Every role is looked up within its
//! workspace first; a role of another workspace does not exist.

use crate::domain::permissions::{Permission, PermissionSet};
use crate::error::AppError;
use crate::server::db::{Conn, Pool};
use crate::shared::admin::RoleView;

/// Maps a unique-constraint violation on a role or user name to a field error.
pub fn unique_to_field(err: sqlx::Error, field: &str, reason: &str) -> AppError {
    match &err {
        sqlx::Error::Database(db) if db.is_unique_violation() => AppError::invalid(field, reason),
        _ => err.into(),
    }
}

/// Every role of the workspace, with what it allows and how many active users have it.
pub async fn list(pool: &Pool, workspace_id: i64) -> Result<Vec<RoleView>, sqlx::Error> {
    let rows: Vec<(i64, String, Option<String>, i64, i64)> = sqlx::query_as(
        "SELECT r.id, r.name, r.preset, r.version,
                (SELECT COUNT(*) FROM users u WHERE u.role_id = r.id AND u.active = 1)
         FROM roles r WHERE r.workspace_id = $1 ORDER BY r.id",
    )
    .bind(workspace_id)
    .fetch_all(pool)
    .await?;
    let grants: Vec<(i64, String)> =
        sqlx::query_as("SELECT role_id, permission FROM role_permissions WHERE workspace_id = $1")
            .bind(workspace_id)
            .fetch_all(pool)
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

/// The role's version, if it is in the workspace; `NotFound` otherwise.
pub async fn version(conn: &mut Conn, workspace_id: i64, role_id: i64) -> Result<i64, AppError> {
    let version: Option<i64> =
        sqlx::query_scalar("SELECT version FROM roles WHERE id = $1 AND workspace_id = $2")
            .bind(role_id)
            .bind(workspace_id)
            .fetch_optional(conn)
            .await?;
    version.ok_or(AppError::NotFound)
}

/// Adds a role with no permissions to the workspace; answers its id. A name the workspace
/// already has is a field error on `name`.
pub async fn insert(conn: &mut Conn, workspace_id: i64, name: &str) -> Result<i64, AppError> {
    sqlx::query_scalar::<_, i64>(
        "INSERT INTO roles (workspace_id, name) VALUES ($1, $2) RETURNING id",
    )
    .bind(workspace_id)
    .bind(name)
    .fetch_one(conn)
    .await
    .map_err(|e| unique_to_field(e, "name", "a role with this name already exists"))
}

/// Renames a role of the workspace (its version goes up); answers the name it had. A name
/// the workspace already has is a field error on `name`.
pub async fn rename(
    conn: &mut Conn,
    workspace_id: i64,
    role_id: i64,
    name: &str,
) -> Result<String, AppError> {
    let before: String =
        sqlx::query_scalar("SELECT name FROM roles WHERE id = $1 AND workspace_id = $2")
            .bind(role_id)
            .bind(workspace_id)
            .fetch_one(&mut *conn)
            .await?;
    sqlx::query(
        "UPDATE roles SET name = $1, version = version + 1 WHERE id = $2 AND workspace_id = $3",
    )
    .bind(name)
    .bind(role_id)
    .bind(workspace_id)
    .execute(conn)
    .await
    .map_err(|e| unique_to_field(e, "name", "a role with this name already exists"))?;
    Ok(before)
}

/// Grants or withdraws one permission of a role of the workspace (its version goes up).
/// Withdrawing is refused when it would leave the workspace without an admin.
pub async fn set_permission(
    conn: &mut Conn,
    workspace_id: i64,
    role_id: i64,
    permission: Permission,
    granted: bool,
) -> Result<(), AppError> {
    if granted {
        sqlx::query(
            "INSERT INTO role_permissions (role_id, workspace_id, permission) VALUES ($1, $2, $3)
             ON CONFLICT (role_id, permission) DO NOTHING",
        )
        .bind(role_id)
        .bind(workspace_id)
        .bind(permission.as_str())
        .execute(&mut *conn)
        .await?;
    } else {
        sqlx::query("DELETE FROM role_permissions WHERE role_id = $1 AND workspace_id = $2 AND permission = $3")
            .bind(role_id)
            .bind(workspace_id)
            .bind(permission.as_str())
            .execute(&mut *conn)
            .await?;
        keep_an_admin(&mut *conn, workspace_id, "permission").await?;
    }
    sqlx::query("UPDATE roles SET version = version + 1 WHERE id = $1 AND workspace_id = $2")
        .bind(role_id)
        .bind(workspace_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Deletes a role of the workspace that nobody has; answers the name it had. While users
/// still have it, a field error on `role` saying how many.
pub async fn delete(conn: &mut Conn, workspace_id: i64, role_id: i64) -> Result<String, AppError> {
    let holders: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE role_id = $1 AND workspace_id = $2")
            .bind(role_id)
            .bind(workspace_id)
            .fetch_one(&mut *conn)
            .await?;
    if holders > 0 {
        return Err(AppError::invalid(
            "role",
            format!("{holders} users still have this role"),
        ));
    }
    let name: String =
        sqlx::query_scalar("SELECT name FROM roles WHERE id = $1 AND workspace_id = $2")
            .bind(role_id)
            .bind(workspace_id)
            .fetch_one(&mut *conn)
            .await?;
    sqlx::query("DELETE FROM roles WHERE id = $1 AND workspace_id = $2")
        .bind(role_id)
        .bind(workspace_id)
        .execute(conn)
        .await?;
    Ok(name)
}

/// Fails with "the last admin" (a field error on `field`) when no active user of the
/// workspace could manage users and roles any more. Run inside the transaction that made
/// the change.
pub async fn keep_an_admin(
    conn: &mut Conn,
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

/// The active users of the workspace whose role holds `permission`, as "Name (Role)",
/// by name: who a blocked close can be taken to.
pub async fn holders(
    conn: &mut Conn,
    workspace_id: i64,
    permission: Permission,
) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT u.name, r.name FROM users u
         JOIN roles r ON r.id = u.role_id AND r.workspace_id = u.workspace_id
         JOIN role_permissions rp ON rp.role_id = u.role_id AND rp.permission = $2
         WHERE u.workspace_id = $1 AND u.active = 1
         ORDER BY lower(u.name), u.id",
    )
    .bind(workspace_id)
    .bind(permission.as_str())
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, role)| format!("{name} ({role})"))
        .collect())
}
