//! Clients: the list, one client's page (deals, projects, health), creating and editing.
//! Seeing clients needs "view pipeline"; changing them needs "edit deals"; amounts only
//! with "view deal values".

pub use crate::shared::client::*;

use crate::error::AppError;
use leptos::prelude::*;

/// Every client of the workspace with its open pipeline and active projects.
#[server(endpoint = "list_clients")]
pub async fn list_clients() -> Result<ClientList, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{board_repo, client_repo, context};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
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

/// One client: contact, owner, health, every deal and project.
#[server(endpoint = "get_client")]
pub async fn get_client(client_id: i64) -> Result<ClientDetail, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{board_repo, client_repo, context};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
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
    let owners = board_repo::owners(&pool, caller.workspace_id).await?;
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
    use crate::server::{board_repo, client_repo, context, events};

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
    let before = client_repo::find(&mut *tx, caller.workspace_id, client_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if before.version != version {
        return Err(AppError::Conflict(
            "someone else changed this client; reload to see their change".into(),
        ));
    }
    if let Some(owner) = owner {
        if !board_repo::is_owner(&mut *tx, caller.workspace_id, owner).await? {
            return Err(AppError::invalid(
                "owner",
                "is not an active user of this workspace",
            ));
        }
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
    let edit = client_repo::ClientEdit {
        name: &name,
        health: &health,
        owner_user_id: owner,
        contact_name: &contact_name,
        contact_email: &contact_email,
    };
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
