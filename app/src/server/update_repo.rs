//! Client updates in the database: a project's status updates and its read-only share
//! links (only a token's SHA-256 is stored). Every query is scoped by `workspace_id`,
//! except those that find a link by its token or by the id such a lookup gave.

use crate::error::AppError;
use crate::server::db::Conn;
use crate::shared::project::{ShareLinkRow, StatusUpdate};

/// The project's status updates, newest first.
pub async fn updates(
    conn: &mut Conn,
    workspace_id: i64,
    project_id: i64,
) -> Result<Vec<StatusUpdate>, sqlx::Error> {
    sqlx::query_as(
        "SELECT s.id, s.rag, s.summary, s.next_steps, u.name AS author, s.created_at
             FROM status_updates s JOIN users u ON u.id = s.author_user_id
             WHERE s.project_id = $1 AND s.workspace_id = $2
             ORDER BY s.created_at DESC, s.id DESC",
    )
    .bind(project_id)
    .bind(workspace_id)
    .fetch_all(conn)
    .await
}

/// The project's share links, newest first.
pub async fn links(
    conn: &mut Conn,
    workspace_id: i64,
    project_id: i64,
) -> Result<Vec<ShareLinkRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT l.id, l.hint, l.show_budget = 1 AS show_budget, u.name AS created_by,
                    l.created_at, l.revoked_at, l.last_opened_at
             FROM share_links l JOIN users u ON u.id = l.created_by
             WHERE l.project_id = $1 AND l.workspace_id = $2
             ORDER BY l.created_at DESC, l.id DESC",
    )
    .bind(project_id)
    .bind(workspace_id)
    .fetch_all(conn)
    .await
}

/// `NotFound` unless `project_id` is a project of the workspace.
pub async fn project_exists(
    conn: &mut Conn,
    workspace_id: i64,
    project_id: i64,
) -> Result<(), AppError> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM projects WHERE id = $1 AND workspace_id = $2")
            .bind(project_id)
            .bind(workspace_id)
            .fetch_optional(conn)
            .await?;
    found.map(|_| ()).ok_or(AppError::NotFound)
}

/// A status update about to be posted.
pub struct NewUpdate<'a> {
    /// The project it is about.
    pub project_id: i64,
    /// Who posts it.
    pub author_user_id: i64,
    /// `green`, `amber` or `red`.
    pub rag: &'a str,
    /// What happened (validated).
    pub summary: &'a str,
    /// What comes next (validated).
    pub next_steps: &'a str,
}

/// Adds a status update in the caller's transaction; returns its id.
pub async fn insert_update(
    conn: &mut Conn,
    workspace_id: i64,
    update: NewUpdate<'_>,
    now_ms: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO status_updates (workspace_id, project_id, author_user_id, rag, summary,
                                     next_steps, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(workspace_id)
    .bind(update.project_id)
    .bind(update.author_user_id)
    .bind(update.rag)
    .bind(update.summary)
    .bind(update.next_steps)
    .bind(now_ms)
    .fetch_one(conn)
    .await
}

/// How many of the project's share links are not revoked.
pub async fn active_links(
    conn: &mut Conn,
    workspace_id: i64,
    project_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM share_links
         WHERE project_id = $1 AND workspace_id = $2 AND revoked_at IS NULL",
    )
    .bind(project_id)
    .bind(workspace_id)
    .fetch_one(conn)
    .await
}

/// A share link about to be made.
pub struct NewLink<'a> {
    /// The project it shows.
    pub project_id: i64,
    /// The SHA-256 of its token.
    pub token_hash: &'a str,
    /// The token's last 6 characters.
    pub hint: &'a str,
    /// Whether it shows budget figures.
    pub show_budget: bool,
    /// Who makes it.
    pub created_by: i64,
}

/// Adds a share link in the caller's transaction; returns its id.
pub async fn insert_link(
    conn: &mut Conn,
    workspace_id: i64,
    link: NewLink<'_>,
    now_ms: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO share_links (workspace_id, project_id, token_hash, hint, show_budget,
                                  created_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(workspace_id)
    .bind(link.project_id)
    .bind(link.token_hash)
    .bind(link.hint)
    .bind(i64::from(link.show_budget))
    .bind(link.created_by)
    .bind(now_ms)
    .fetch_one(conn)
    .await
}

/// Share link `link_id` of the workspace, if there is one: (project id, when it was
/// revoked, hint).
pub async fn link(
    conn: &mut Conn,
    workspace_id: i64,
    link_id: i64,
) -> Result<Option<(i64, Option<i64>, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT project_id, revoked_at, hint FROM share_links WHERE id = $1 AND workspace_id = $2",
    )
    .bind(link_id)
    .bind(workspace_id)
    .fetch_optional(conn)
    .await
}

/// Revokes share link `link_id` of the workspace as of `now_ms`.
pub async fn revoke(
    conn: &mut Conn,
    workspace_id: i64,
    link_id: i64,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE share_links SET revoked_at = $1 WHERE id = $2 AND workspace_id = $3")
        .bind(now_ms)
        .bind(link_id)
        .bind(workspace_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// A share link found by its token.
pub struct FoundLink {
    /// Its id.
    pub id: i64,
    /// The workspace it belongs to.
    pub workspace_id: i64,
    /// The project it shows.
    pub project_id: i64,
    /// Whether it shows budget figures.
    pub show_budget: bool,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// The share link whose token has SHA-256 `token_hash`, in any workspace: the token is
/// what tells whose it is.
pub async fn by_token_hash<'e>(
    conn: impl crate::server::db::Executor<'e>,
    token_hash: &str,
) -> Result<Option<FoundLink>, sqlx::Error> {
    let found: Option<(
        i64,
        i64,
        i64,
        crate::server::db::Flag,
        crate::server::db::Flag,
    )> = sqlx::query_as(
        "SELECT id, workspace_id, project_id, show_budget = 1, revoked_at IS NOT NULL
             FROM share_links WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(conn)
    .await?;
    Ok(found.map(
        |(
            id,
            workspace_id,
            project_id,
            crate::server::db::Flag(show_budget),
            crate::server::db::Flag(revoked),
        )| FoundLink {
            id,
            workspace_id,
            project_id,
            show_budget,
            revoked,
        },
    ))
}

/// Records that share link `link_id` (found by its token) was opened at `now_ms`, at
/// most once a minute: a busy link does not queue a write per view.
pub async fn mark_opened(
    conn: &mut Conn,
    workspace_id: i64,
    link_id: i64,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE share_links SET last_opened_at = $1
         WHERE id = $2 AND workspace_id = $3
           AND (last_opened_at IS NULL OR last_opened_at < $1 - 60000)",
    )
    .bind(now_ms)
    .bind(link_id)
    .bind(workspace_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// What a share link shows of its project and agency.
pub struct SharedProject {
    /// The agency (workspace) name.
    pub agency: String,
    /// The workspace's currency code.
    pub currency: String,
    /// Project name.
    pub name: String,
    /// Client name.
    pub client: String,
    /// First day.
    pub starts_on: String,
    /// Last day.
    pub ends_on: String,
    /// Project status.
    pub status: String,
}

/// Project `project_id` of the workspace as a share link shows it.
pub async fn shared_project<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    project_id: i64,
) -> Result<SharedProject, sqlx::Error> {
    type Row = (String, String, String, String, String, String, String);
    let (agency, currency, name, client, starts_on, ends_on, status): Row = sqlx::query_as(
        "SELECT w.name, w.currency, p.name, c.name, p.starts_on, p.ends_on, p.status
         FROM projects p JOIN clients c ON c.id = p.client_id JOIN workspaces w ON w.id = p.workspace_id
         WHERE p.id = $1 AND p.workspace_id = $2",
    )
    .bind(project_id)
    .bind(workspace_id)
    .fetch_one(conn)
    .await?;
    Ok(SharedProject {
        agency,
        currency,
        name,
        client,
        starts_on,
        ends_on,
        status,
    })
}
