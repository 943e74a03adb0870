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
    use crate::server::{client_service, context};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    client_service::list(&caller).await
}

/// One client: contact, owner, health, every deal and project.
#[server(endpoint = "get_client")]
pub async fn get_client(client_id: i64) -> Result<ClientDetail, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{client_service, context};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    client_service::detail(&caller, client_id).await
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
    use crate::server::{client_service, context};

    let caller = context::caller_with(Permission::EditDeals).await?;
    let name = validate::required_text("name", &name, 200)?;
    let contact_name = validate::optional_text("contact_name", &contact_name, 200)?;
    let contact_email = contact_email_of(&contact_email)?;
    let client = client_service::NewClient {
        name: &name,
        contact_name: &contact_name,
        contact_email: &contact_email,
    };
    client_service::create(&caller, client).await
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
    use crate::server::{client_service, context};

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
    let edit = client_service::ClientEdit {
        name: &name,
        health: &health,
        owner_user_id: owner,
        contact_name: &contact_name,
        contact_email: &contact_email,
    };
    client_service::update(&caller, client_id, version, edit).await
}

/// A validated, optional contact email.
#[cfg(feature = "ssr")]
fn contact_email_of(text: &str) -> Result<String, AppError> {
    match text.trim() {
        "" => Ok(String::new()),
        t => Ok(crate::domain::validate::email("contact_email", t)?),
    }
}
