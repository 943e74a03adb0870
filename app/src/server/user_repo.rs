//! Users in the database: the user list, adding one, their role and whether they can sign
//! in, and the rows signing in and accepting an invite read and write.

use crate::error::AppError;
use crate::server::db::Conn;
use crate::server::role_repo::{keep_an_admin, unique_to_field};
use crate::shared::admin::UserView;

/// A user about to be added: either a password hash or an invite (its token's hash and
/// when it expires).
pub struct NewUser<'a> {
    /// Email (validated).
    pub email: &'a str,
    /// Display name (validated).
    pub name: &'a str,
    /// The initial password's hash, `None` for an invited user.
    pub password_hash: Option<&'a str>,
    /// The role (already checked to be the workspace's).
    pub role_id: i64,
    /// The invite token's hash, for an invited user.
    pub invite_token_hash: Option<String>,
    /// When the invite stops working, Unix ms.
    pub invite_expires_at: Option<i64>,
}

/// An account an email and password might open: one user of one workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInCandidate {
    /// The user.
    pub user_id: i64,
    /// Their workspace.
    pub workspace_id: i64,
    /// Their password's hash, `None` while the invite is not accepted.
    pub password_hash: Option<String>,
    /// The workspace's slug, as typed on the sign-in form.
    pub workspace_slug: String,
    /// The workspace's name.
    pub workspace_name: String,
}

/// Every user of the workspace, by name.
pub async fn list<'e>(
    db: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
) -> Result<Vec<UserView>, sqlx::Error> {
    sqlx::query_as(
        "SELECT u.id, u.name, u.email, u.role_id, r.name AS role_name, u.active = 1 AS active,
                u.password_hash IS NULL AS invited, u.version
         FROM users u JOIN roles r ON r.id = u.role_id
         WHERE u.workspace_id = $1 ORDER BY u.name, u.id",
    )
    .bind(workspace_id)
    .fetch_all(db)
    .await
}

/// Adds a user to the workspace; answers their id. An email the workspace already has is
/// a field error on `email`.
pub async fn insert(
    conn: &mut Conn,
    workspace_id: i64,
    user: NewUser<'_>,
    now_ms: i64,
) -> Result<i64, AppError> {
    sqlx::query_scalar::<_, i64>(
        "INSERT INTO users (workspace_id, email, name, password_hash, role_id, created_at,
                            invite_token_hash, invite_expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(workspace_id)
    .bind(user.email)
    .bind(user.name)
    .bind(user.password_hash)
    .bind(user.role_id)
    .bind(now_ms)
    .bind(user.invite_token_hash)
    .bind(user.invite_expires_at)
    .fetch_one(conn)
    .await
    .map_err(|e| unique_to_field(e, "email", "a user with this email already exists"))
}

/// The user's version and role, if they are in the workspace.
pub async fn version_and_role(
    conn: &mut Conn,
    workspace_id: i64,
    user_id: i64,
) -> Result<Option<(i64, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT version, role_id FROM users WHERE id = $1 AND workspace_id = $2")
        .bind(user_id)
        .bind(workspace_id)
        .fetch_optional(conn)
        .await
}

/// The user's version, if they are in the workspace.
pub async fn version(
    conn: &mut Conn,
    workspace_id: i64,
    user_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT version FROM users WHERE id = $1 AND workspace_id = $2")
        .bind(user_id)
        .bind(workspace_id)
        .fetch_optional(conn)
        .await
}

/// Gives a user of the workspace another role (their version goes up). Refused, as a
/// field error on `role`, when it would leave the workspace without an admin.
pub async fn set_role(
    conn: &mut Conn,
    workspace_id: i64,
    user_id: i64,
    role_id: i64,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE users SET role_id = $1, version = version + 1 WHERE id = $2 AND workspace_id = $3",
    )
    .bind(role_id)
    .bind(user_id)
    .bind(workspace_id)
    .execute(&mut *conn)
    .await?;
    keep_an_admin(conn, workspace_id, "role").await
}

/// Activates or deactivates a user of the workspace (their version goes up); deactivating
/// ends their sessions, and is refused, as a field error on `active`, when it would leave
/// the workspace without an admin.
pub async fn set_active(
    conn: &mut Conn,
    workspace_id: i64,
    user_id: i64,
    active: bool,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE users SET active = $1, version = version + 1 WHERE id = $2 AND workspace_id = $3",
    )
    .bind(i64::from(active))
    .bind(user_id)
    .bind(workspace_id)
    .execute(&mut *conn)
    .await?;
    if !active {
        keep_an_admin(&mut *conn, workspace_id, "active").await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND workspace_id = $2")
            .bind(user_id)
            .bind(workspace_id)
            .execute(conn)
            .await?;
    }
    Ok(())
}

/// The active users, in any workspace (or only in the one with slug `workspace_slug`),
/// whose email is `email`: the accounts a sign-in might open, oldest first. Signing in
/// comes before any workspace is known, so this is the one query not scoped by one.
pub async fn sign_in_candidates<'e>(
    db: impl crate::server::db::Executor<'e>,
    email: &str,
    workspace_slug: Option<&str>,
) -> Result<Vec<SignInCandidate>, sqlx::Error> {
    let rows: Vec<(i64, i64, Option<String>, String, String)> = sqlx::query_as(
        "SELECT u.id, u.workspace_id, u.password_hash, w.slug, w.name
         FROM users u JOIN workspaces w ON w.id = u.workspace_id
         WHERE u.email = $1 AND u.active = 1 AND ($2 IS NULL OR w.slug = $2)
         ORDER BY u.id",
    )
    .bind(email)
    .bind(workspace_slug)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(user_id, workspace_id, password_hash, workspace_slug, workspace_name)| {
                SignInCandidate {
                    user_id,
                    workspace_id,
                    password_hash,
                    workspace_slug,
                    workspace_name,
                }
            },
        )
        .collect())
}

/// The active user whose invite token hashes to `token_hash` and is still valid at
/// `now_ms`: (user id, workspace id). Found by the token alone: the invite link is all the
/// visitor has.
pub async fn invited<'e>(
    db: impl crate::server::db::Executor<'e>,
    token_hash: &str,
    now_ms: i64,
) -> Result<Option<(i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, workspace_id FROM users
         WHERE invite_token_hash = $1 AND invite_expires_at > $2 AND active = 1",
    )
    .bind(token_hash)
    .bind(now_ms)
    .fetch_optional(db)
    .await
}

/// Sets the password of a user of the workspace from their invite and uses the invite up
/// (their version goes up). `false` when the invite was used meanwhile: of the same link
/// used twice at once, only the first use sets the password.
pub async fn accept_invite(
    conn: &mut Conn,
    workspace_id: i64,
    user_id: i64,
    token_hash: &str,
    password_hash: &str,
) -> Result<bool, sqlx::Error> {
    let used = sqlx::query(
        "UPDATE users SET password_hash = $1, invite_token_hash = NULL, invite_expires_at = NULL,
                          version = version + 1
         WHERE id = $2 AND workspace_id = $3 AND invite_token_hash = $4",
    )
    .bind(password_hash)
    .bind(user_id)
    .bind(workspace_id)
    .bind(token_hash)
    .execute(conn)
    .await?;
    Ok(used.rows_affected() == 1)
}

/// The person (staff member) user `user_id` of the workspace is linked to, if any.
pub async fn person_of(
    conn: &mut crate::server::db::Conn,
    workspace_id: i64,
    user_id: i64,
) -> Result<Option<i64>, sqlx::Error> {
    Ok(sqlx::query_scalar::<_, Option<i64>>(
        "SELECT person_id FROM users WHERE id = $1 AND workspace_id = $2",
    )
    .bind(user_id)
    .bind(workspace_id)
    .fetch_optional(conn)
    .await?
    .flatten())
}

/// Every user of the workspace by name, with whether they are active: (id, name, active).
pub async fn users<'e>(
    pool: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
) -> Result<Vec<(i64, String, bool)>, sqlx::Error> {
    let rows: Vec<(i64, String, crate::server::db::Flag)> =
        sqlx::query_as("SELECT id, name, active FROM users WHERE workspace_id = $1 ORDER BY name")
            .bind(workspace_id)
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(id, name, active)| (id, name, active.0))
        .collect())
}

/// Who may own a deal or a client's account, or manage a project: the workspace's active
/// users by name, (id,
/// name).
pub async fn owners<'e>(
    pool: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name FROM users WHERE workspace_id = $1 AND active = 1 ORDER BY name",
    )
    .bind(workspace_id)
    .fetch_all(pool)
    .await
}

/// Whether `user_id` may own a deal or a client's account, or manage a project: an
/// active user of the workspace.
pub async fn is_owner<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    user_id: i64,
) -> Result<bool, sqlx::Error> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM users WHERE id = $1 AND workspace_id = $2 AND active = 1",
    )
    .bind(user_id)
    .bind(workspace_id)
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}
