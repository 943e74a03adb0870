//! Clients in the database: the list, one client with its deals and projects, finding
//! one by name, adding one and saving an edit. Every query is scoped by `workspace_id`.

use crate::error::AppError;
use crate::server::context::Caller;
use crate::server::db::changed_one;
use crate::server::db::Conn;
use crate::server::events;
use crate::shared::client::{ClientDeal, ClientProject, ClientRow};

/// A client about to be added.
#[derive(Debug, Clone, Copy)]
pub struct NewClient<'a> {
    /// Name (validated).
    pub name: &'a str,
    /// Contact person, empty for none.
    pub contact_name: &'a str,
    /// Contact email, empty for none.
    pub contact_email: &'a str,
}

/// The client of the workspace with this name, ignoring case: (id, name as stored).
pub async fn by_name(
    conn: &mut Conn,
    workspace_id: i64,
    name: &str,
) -> Result<Option<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name FROM clients WHERE workspace_id = $1 AND lower(name) = lower($2)",
    )
    .bind(workspace_id)
    .bind(name)
    .fetch_optional(conn)
    .await
}

/// Adds a client owned by `owner_user_id` to the workspace; returns its id.
pub async fn insert_row(
    conn: &mut Conn,
    workspace_id: i64,
    owner_user_id: i64,
    client: NewClient<'_>,
    now_ms: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO clients (workspace_id, name, owner_user_id, contact_name, contact_email, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(workspace_id)
    .bind(client.name)
    .bind(owner_user_id)
    .bind(non_empty(client.contact_name))
    .bind(non_empty(client.contact_email))
    .bind(now_ms)
    .fetch_one(conn)
    .await
}

/// The `created` event of client `client_id`, named `name`, added by the caller: the one
/// both a client added by hand (`client_service::add_in`) and one added by the CSV import
/// record.
pub fn created_event(caller: &Caller, client_id: i64, name: &str) -> events::NewEvent<'static> {
    events::NewEvent {
        workspace_id: caller.workspace_id,
        actor_user_id: Some(caller.user_id),
        entity: "client",
        entity_id: client_id,
        action: "created",
        before: None,
        after: Some(serde_json::json!({ "name": name })),
    }
}

/// An empty contact field as stored: none.
fn non_empty(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}

/// Whether `client_id` is a client of the workspace.
pub async fn exists<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    client_id: i64,
) -> Result<bool, sqlx::Error> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM clients WHERE id = $1 AND workspace_id = $2")
            .bind(client_id)
            .bind(workspace_id)
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

/// Every client of the workspace by name, with its account owner, its open deals and
/// their value, its won value and its projects that are neither done nor cancelled.
pub async fn list<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
) -> Result<Vec<ClientRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.id, c.name, c.health, u.name AS owner_name,
                (SELECT COUNT(*) FROM deals d JOIN stages s ON s.id = d.stage_id
                  WHERE d.client_id = c.id AND s.kind = 'open' AND d.archived_at IS NULL) AS open_deals,
                (SELECT CAST(COALESCE(SUM(d.value_minor), 0) AS BIGINT) FROM deals d JOIN stages s ON s.id = d.stage_id
                  WHERE d.client_id = c.id AND s.kind = 'open' AND d.archived_at IS NULL) AS open_value_minor,
                (SELECT CAST(COALESCE(SUM(d.value_minor), 0) AS BIGINT) FROM deals d JOIN stages s ON s.id = d.stage_id
                  WHERE d.client_id = c.id AND s.kind = 'won') AS won_value_minor,
                (SELECT COUNT(*) FROM projects p
                  WHERE p.client_id = c.id AND p.status NOT IN ('done', 'cancelled')) AS active_projects
         FROM clients c LEFT JOIN users u ON u.id = c.owner_user_id
         WHERE c.workspace_id = $1
         ORDER BY c.name",
    )
    .bind(workspace_id)
    .fetch_all(conn)
    .await
}

/// A client as stored: the fields its page shows and edits.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ClientRecord {
    /// Name.
    pub name: String,
    /// `good`, `watch` or `at_risk`.
    pub health: String,
    /// Contact person, if any.
    pub contact_name: Option<String>,
    /// Contact email, if any.
    pub contact_email: Option<String>,
    /// Account owner, if any.
    pub owner_user_id: Option<i64>,
    /// Version, for editing.
    pub version: i64,
}

/// The client `client_id` of the workspace.
pub async fn find<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    client_id: i64,
) -> Result<Option<ClientRecord>, sqlx::Error> {
    sqlx::query_as(
        "SELECT name, health, contact_name, contact_email, owner_user_id, version
             FROM clients WHERE id = $1 AND workspace_id = $2",
    )
    .bind(client_id)
    .bind(workspace_id)
    .fetch_optional(conn)
    .await
}

/// The client's deals, archived ones too: open first, then won, then lost, each live
/// before archived and most recently changed first.
pub async fn deals<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    client_id: i64,
) -> Result<Vec<ClientDeal>, sqlx::Error> {
    sqlx::query_as(
        "SELECT d.id, d.title, s.name AS stage_name, s.kind AS stage_kind, d.value_minor,
                d.expected_close_on, d.archived_at IS NOT NULL AS archived
         FROM deals d JOIN stages s ON s.id = d.stage_id
         WHERE d.client_id = $1 AND d.workspace_id = $2
         ORDER BY CASE s.kind WHEN 'open' THEN 0 WHEN 'won' THEN 1 ELSE 2 END,
                  d.archived_at IS NOT NULL, d.updated_at DESC",
    )
    .bind(client_id)
    .bind(workspace_id)
    .fetch_all(conn)
    .await
}

/// The client's projects, latest start first.
pub async fn projects<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    client_id: i64,
) -> Result<Vec<ClientProject>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, status, starts_on, ends_on, budget_minor
         FROM projects WHERE client_id = $1 AND workspace_id = $2
         ORDER BY starts_on DESC, id DESC",
    )
    .bind(client_id)
    .bind(workspace_id)
    .fetch_all(conn)
    .await
}

/// The edit of the client's page, as the caller saves it (validated).
#[derive(Debug, Clone, Copy)]
pub struct ClientEdit<'a> {
    /// Name.
    pub name: &'a str,
    /// `good`, `watch` or `at_risk`.
    pub health: &'a str,
    /// Account owner (an active user of the workspace), or nobody.
    pub owner_user_id: Option<i64>,
    /// Contact person, empty for none.
    pub contact_name: &'a str,
    /// Contact email, empty for none.
    pub contact_email: &'a str,
}

/// Saves the client's name, health, owner and contact if it still has `version`;
/// otherwise the conflict.
pub async fn save<'e>(
    conn: impl crate::server::db::Executor<'e>,
    workspace_id: i64,
    client_id: i64,
    version: i64,
    edit: ClientEdit<'_>,
) -> Result<(), AppError> {
    let done = sqlx::query(
        "UPDATE clients SET name = $1, health = $2, owner_user_id = $3, contact_name = $4,
                            contact_email = $5, version = version + 1
         WHERE id = $6 AND workspace_id = $7 AND version = $8",
    )
    .bind(edit.name)
    .bind(edit.health)
    .bind(edit.owner_user_id)
    .bind(non_empty(edit.contact_name))
    .bind(non_empty(edit.contact_email))
    .bind(client_id)
    .bind(workspace_id)
    .bind(version)
    .execute(conn)
    .await?;
    changed_one(done, "client")
}
