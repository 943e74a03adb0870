//! Clients: the list and one client's page as the caller may see them (amounts only with
//! "view deal values"), adding a client and saving an edit, each write with its event in
//! one transaction.

use crate::domain::permissions::Permission;
use crate::error::AppError;
use crate::server::context::{self, Caller};
use crate::server::db::Conn;
use crate::server::{board_repo, client_repo, events};
use crate::shared::client::{ClientDetail, ClientList, CreatedClient};

pub use crate::server::client_repo::{ClientEdit, NewClient};

/// Every client of the workspace with its open pipeline and active projects, without
/// amounts for callers who may not see deal values.
pub async fn list(caller: &Caller) -> Result<ClientList, AppError> {
    let pool = context::pool()?;
    let workspace = board_repo::workspace(&pool, caller.workspace_id).await?;
    let mut clients = client_repo::list(&pool, caller.workspace_id).await?;
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

/// One client's page: contact, owner, health, every deal and project, without amounts
/// for callers who may not see deal values.
pub async fn detail(caller: &Caller, client_id: i64) -> Result<ClientDetail, AppError> {
    let pool = context::pool()?;
    let client = client_repo::find(&pool, caller.workspace_id, client_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let workspace = board_repo::workspace(&pool, caller.workspace_id).await?;
    let may_see_values = caller.can(Permission::ViewDealValues);
    let mut deals = client_repo::deals(&pool, caller.workspace_id, client_id).await?;
    let mut projects = client_repo::projects(&pool, caller.workspace_id, client_id).await?;
    if !may_see_values {
        deals.iter_mut().for_each(|d| d.value_minor = None);
        projects.iter_mut().for_each(|p| p.budget_minor = None);
    }
    let owners = crate::server::user_repo::owners(&pool, caller.workspace_id).await?;
    Ok(ClientDetail {
        id: client_id,
        name: client.name,
        health: client.health,
        contact_name: client.contact_name.unwrap_or_default(),
        contact_email: client.contact_email.unwrap_or_default(),
        owner_user_id: client.owner_user_id,
        version: client.version,
        currency: workspace.currency,
        deals,
        projects,
        owners,
        can_edit: caller.can(Permission::EditDeals),
    })
}

/// Adds a client owned by the caller (validated name, optional contact); a name the
/// workspace already has (ignoring case) is a field error naming it.
pub async fn create(caller: &Caller, client: NewClient<'_>) -> Result<CreatedClient, AppError> {
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write(caller.workspace_id).await?;
    if let Some((_, existing)) =
        client_repo::by_name(&mut tx, caller.workspace_id, client.name).await?
    {
        return Err(name_taken(&existing));
    }
    let id = add_in(&mut tx, caller, client, now).await?;
    tx.commit().await?;
    Ok(CreatedClient {
        id,
        name: client.name.to_string(),
    })
}

/// Saves the name, health, owner and contact of a client at `version`, recording the
/// change; the owner must be an active user and the name the workspace's only one.
pub async fn update(
    caller: &Caller,
    client_id: i64,
    version: i64,
    edit: ClientEdit<'_>,
) -> Result<(), AppError> {
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write(caller.workspace_id).await?;
    let before = client_repo::find(&mut *tx, caller.workspace_id, client_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if before.version != version {
        return Err(AppError::Conflict(
            "someone else changed this client; reload to see their change".into(),
        ));
    }
    if let Some(owner) = edit.owner_user_id {
        if !crate::server::user_repo::is_owner(&mut *tx, caller.workspace_id, owner).await? {
            return Err(AppError::invalid(
                "owner",
                "is not an active user of this workspace",
            ));
        }
    }
    if let Some((other, existing)) =
        client_repo::by_name(&mut tx, caller.workspace_id, edit.name).await?
    {
        if other != client_id {
            return Err(name_taken(&existing));
        }
    }
    client_repo::save(&mut *tx, caller.workspace_id, client_id, version, edit).await?;
    events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "client",
            entity_id: client_id,
            action: "edited",
            before: Some(serde_json::json!({
                "name": before.name, "health": before.health, "owner_user_id": before.owner_user_id,
            })),
            after: Some(serde_json::json!({
                "name": edit.name, "health": edit.health, "owner_user_id": edit.owner_user_id,
            })),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Adds a client owned by the caller, with its `created` event, in the caller's
/// transaction; returns its id.
pub async fn add_in(
    tx: &mut Conn,
    caller: &Caller,
    client: NewClient<'_>,
    now: i64,
) -> Result<i64, AppError> {
    let id = client_repo::insert_row(tx, caller.workspace_id, caller.user_id, client, now).await?;
    let created = client_repo::created_event(caller, id, client.name);
    events::append(tx, created, now).await?;
    Ok(id)
}

/// The field error for a name the workspace already has (as stored).
fn name_taken(existing: &str) -> AppError {
    AppError::invalid(
        "name",
        format!("the workspace already has a client called “{existing}”"),
    )
}
