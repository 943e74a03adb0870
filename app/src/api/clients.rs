//! Clients: the list, one client's page (deals, projects, health), creating and editing.
//! Seeing clients needs "view pipeline"; changing them needs "edit deals"; amounts only
//! with "view deal values".

use crate::error::AppError;
use leptos::prelude::*;

/// How a client relationship is going, as the account manager judges it.
pub const HEALTH: [(&str, &str); 3] =
    [("good", "Good"), ("watch", "Watch"), ("at_risk", "At risk")];

/// The label of a stored health value.
pub fn health_label(health: &str) -> &'static str {
    HEALTH
        .iter()
        .find(|(key, _)| *key == health)
        .map(|(_, label)| *label)
        .unwrap_or("Good")
}

/// One line of the clients list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ClientRow {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// `good`, `watch` or `at_risk`.
    pub health: String,
    /// The account owner, if any.
    pub owner_name: Option<String>,
    /// Open deals on the board.
    pub open_deals: i64,
    /// Their value, minor units (hidden without "view deal values").
    pub open_value_minor: Option<i64>,
    /// Won deals' value, minor units (hidden without "view deal values").
    pub won_value_minor: Option<i64>,
    /// Projects that are not done or cancelled.
    pub active_projects: i64,
}

/// The clients list.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClientList {
    /// Workspace currency code.
    pub currency: String,
    /// Clients, by name.
    pub clients: Vec<ClientRow>,
    /// Whether the caller may create and edit clients.
    pub can_edit: bool,
}

/// A deal of one client.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ClientDeal {
    /// Id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Stage name.
    pub stage_name: String,
    /// `open`, `won` or `lost`.
    pub stage_kind: String,
    /// Value, minor units (hidden without "view deal values").
    pub value_minor: Option<i64>,
    /// Expected close, `YYYY-MM-DD`.
    pub expected_close_on: Option<String>,
    /// Whether it was archived off the board.
    pub archived: bool,
}

/// A project of one client.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ClientProject {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// `planned`, `active`, `on_hold`, `done` or `cancelled`.
    pub status: String,
    /// First day, `YYYY-MM-DD`.
    pub starts_on: String,
    /// Last day, `YYYY-MM-DD`.
    pub ends_on: String,
    /// Budget, minor units (hidden without "view deal values").
    pub budget_minor: Option<i64>,
}

/// One client with its deals and projects.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClientDetail {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// `good`, `watch` or `at_risk`.
    pub health: String,
    /// Contact person.
    pub contact_name: String,
    /// Contact email.
    pub contact_email: String,
    /// Account owner.
    pub owner_user_id: Option<i64>,
    /// Version, for editing.
    pub version: i64,
    /// Workspace currency code.
    pub currency: String,
    /// Deals, open first, then newest.
    pub deals: Vec<ClientDeal>,
    /// Projects, newest first.
    pub projects: Vec<ClientProject>,
    /// Users who may own the account: (id, name).
    pub owners: Vec<(i64, String)>,
    /// Whether the caller may edit the client.
    pub can_edit: bool,
}

/// The created client.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CreatedClient {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
}

/// Every client of the workspace with its open pipeline and active projects.
#[server(endpoint = "list_clients")]
pub async fn list_clients() -> Result<ClientList, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{board_repo, context};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    let pool = context::pool()?;
    let workspace = board_repo::workspace(&pool, caller.workspace_id).await?;
    let mut clients: Vec<ClientRow> = sqlx::query_as(
        "SELECT c.id, c.name, c.health, u.name AS owner_name,
                (SELECT COUNT(*) FROM deals d JOIN stages s ON s.id = d.stage_id
                  WHERE d.client_id = c.id AND s.kind = 'open' AND d.archived_at IS NULL) AS open_deals,
                (SELECT COALESCE(SUM(d.value_minor), 0) FROM deals d JOIN stages s ON s.id = d.stage_id
                  WHERE d.client_id = c.id AND s.kind = 'open' AND d.archived_at IS NULL) AS open_value_minor,
                (SELECT COALESCE(SUM(d.value_minor), 0) FROM deals d JOIN stages s ON s.id = d.stage_id
                  WHERE d.client_id = c.id AND s.kind = 'won') AS won_value_minor,
                (SELECT COUNT(*) FROM projects p
                  WHERE p.client_id = c.id AND p.status NOT IN ('done', 'cancelled')) AS active_projects
         FROM clients c LEFT JOIN users u ON u.id = c.owner_user_id
         WHERE c.workspace_id = $1
         ORDER BY c.name",
    )
    .bind(caller.workspace_id)
    .fetch_all(&pool)
    .await?;
    if !caller.can(Permission::ViewDealValues) {
        for c in &mut clients {
            c.open_value_minor = None;
            c.won_value_minor = None;
        }
    }
    Ok(ClientList {
        currency: workspace.currency,
        clients,
        can_edit: caller.can(Permission::EditDeals),
    })
}

/// One client: contact, owner, health, every deal and project.
#[server(endpoint = "get_client")]
pub async fn get_client(client_id: i64) -> Result<ClientDetail, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{board_repo, context};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    let pool = context::pool()?;
    type ClientFields = (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<i64>,
        i64,
    );
    let row: Option<ClientFields> = sqlx::query_as(
        "SELECT name, health, contact_name, contact_email, owner_user_id, version
             FROM clients WHERE id = $1 AND workspace_id = $2",
    )
    .bind(client_id)
    .bind(caller.workspace_id)
    .fetch_optional(&pool)
    .await?;
    let (name, health, contact_name, contact_email, owner_user_id, version) =
        row.ok_or(AppError::NotFound)?;
    let workspace = board_repo::workspace(&pool, caller.workspace_id).await?;
    let may_see_values = caller.can(Permission::ViewDealValues);
    let mut deals: Vec<ClientDeal> = sqlx::query_as(
        "SELECT d.id, d.title, s.name AS stage_name, s.kind AS stage_kind, d.value_minor,
                d.expected_close_on, d.archived_at IS NOT NULL AS archived
         FROM deals d JOIN stages s ON s.id = d.stage_id
         WHERE d.client_id = $1 AND d.workspace_id = $2
         ORDER BY CASE s.kind WHEN 'open' THEN 0 WHEN 'won' THEN 1 ELSE 2 END,
                  d.archived_at IS NOT NULL, d.updated_at DESC",
    )
    .bind(client_id)
    .bind(caller.workspace_id)
    .fetch_all(&pool)
    .await?;
    let mut projects: Vec<ClientProject> = sqlx::query_as(
        "SELECT id, name, status, starts_on, ends_on, budget_minor
         FROM projects WHERE client_id = $1 AND workspace_id = $2
         ORDER BY starts_on DESC, id DESC",
    )
    .bind(client_id)
    .bind(caller.workspace_id)
    .fetch_all(&pool)
    .await?;
    if !may_see_values {
        deals.iter_mut().for_each(|d| d.value_minor = None);
        projects.iter_mut().for_each(|p| p.budget_minor = None);
    }
    let owners = sqlx::query_as(
        "SELECT id, name FROM users WHERE workspace_id = $1 AND active = 1 ORDER BY name",
    )
    .bind(caller.workspace_id)
    .fetch_all(&pool)
    .await?;
    Ok(ClientDetail {
        id: client_id,
        name,
        health,
        contact_name: contact_name.unwrap_or_default(),
        contact_email: contact_email.unwrap_or_default(),
        owner_user_id,
        version,
        currency: workspace.currency,
        deals,
        projects,
        owners,
        can_edit: caller.can(Permission::EditDeals),
    })
}

/// Adds a client by name (with an optional contact). A name the workspace already has
/// (ignoring case) is a field error naming it.
#[server(endpoint = "create_client")]
pub async fn create_client(
    name: String,
    #[server(default)] contact_name: String,
    #[server(default)] contact_email: String,
) -> Result<CreatedClient, AppError> {
    use crate::domain::permissions::Permission;
    use crate::domain::validate;
    use crate::server::{client_repo, context};

    let caller = context::caller_with(Permission::EditDeals).await?;
    let name = validate::required_text("name", &name, 200)?;
    let contact_name = validate::optional_text("contact_name", &contact_name, 200)?;
    let contact_email = contact_email_of(&contact_email)?;
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write().await?;
    if let Some((_, existing)) = client_repo::by_name(&mut tx, caller.workspace_id, &name).await? {
        return Err(AppError::invalid(
            "name",
            format!("the workspace already has a client called “{existing}”"),
        ));
    }
    let id = client_repo::insert(
        &mut tx,
        &caller,
        client_repo::NewClient {
            name: &name,
            contact_name: &contact_name,
            contact_email: &contact_email,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedClient { id, name })
}

/// Saves a client's name, health, owner and contact. `owner_user_id` empty means nobody.
#[server(endpoint = "update_client")]
pub async fn update_client(
    client_id: i64,
    version: i64,
    name: String,
    health: String,
    #[server(default)] owner_user_id: String,
    #[server(default)] contact_name: String,
    #[server(default)] contact_email: String,
) -> Result<(), AppError> {
    use crate::domain::permissions::Permission;
    use crate::domain::validate;
    use crate::server::{client_repo, context, events};

    let caller = context::caller_with(Permission::EditDeals).await?;
    let name = validate::required_text("name", &name, 200)?;
    if !HEALTH.iter().any(|(key, _)| *key == health) {
        return Err(AppError::invalid(
            "health",
            "must be good, watch or at_risk",
        ));
    }
    let contact_name = validate::optional_text("contact_name", &contact_name, 200)?;
    let contact_email = contact_email_of(&contact_email)?;
    let owner = match owner_user_id.trim() {
        "" => None,
        id => Some(
            id.parse::<i64>()
                .map_err(|_| AppError::invalid("owner", "is not a user of this workspace"))?,
        ),
    };
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write().await?;
    let before: Option<(String, String, Option<i64>, i64)> = sqlx::query_as(
        "SELECT name, health, owner_user_id, version FROM clients WHERE id = $1 AND workspace_id = $2",
    )
    .bind(client_id)
    .bind(caller.workspace_id)
    .fetch_optional(&mut *tx)
    .await?;
    let before = before.ok_or(AppError::NotFound)?;
    if before.3 != version {
        return Err(AppError::Conflict(
            "someone else changed this client; reload to see their change".into(),
        ));
    }
    if let Some(owner) = owner {
        let ok: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM users WHERE id = $1 AND workspace_id = $2 AND active = 1",
        )
        .bind(owner)
        .bind(caller.workspace_id)
        .fetch_optional(&mut *tx)
        .await?;
        ok.ok_or_else(|| AppError::invalid("owner", "is not an active user of this workspace"))?;
    }
    if let Some((other, existing)) =
        client_repo::by_name(&mut tx, caller.workspace_id, &name).await?
    {
        if other != client_id {
            return Err(AppError::invalid(
                "name",
                format!("the workspace already has a client called “{existing}”"),
            ));
        }
    }
    crate::server::db::changed_one(
        sqlx::query(
            "UPDATE clients SET name = $1, health = $2, owner_user_id = $3, contact_name = $4,
                                contact_email = $5, version = version + 1
             WHERE id = $6 AND workspace_id = $7 AND version = $8",
        )
        .bind(&name)
        .bind(&health)
        .bind(owner)
        .bind(non_empty(&contact_name))
        .bind(non_empty(&contact_email))
        .bind(client_id)
        .bind(caller.workspace_id)
        .bind(version)
        .execute(&mut *tx)
        .await?,
        "client",
    )?;
    events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "client",
            entity_id: client_id,
            action: "edited",
            before: Some(serde_json::json!({
                "name": before.0, "health": before.1, "owner_user_id": before.2,
            })),
            after: Some(serde_json::json!({
                "name": name, "health": health, "owner_user_id": owner,
            })),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A validated, optional contact email.
#[cfg(feature = "ssr")]
fn contact_email_of(text: &str) -> Result<String, AppError> {
    match text.trim() {
        "" => Ok(String::new()),
        t => Ok(crate::domain::validate::email("contact_email", t)?),
    }
}

#[cfg(feature = "ssr")]
fn non_empty(text: &str) -> Option<&str> {
    (!text.is_empty()).then_some(text)
}
