//! The audit trail: every change, who made it, newest first.

use crate::error::AppError;
use leptos::prelude::*;

pub use crate::shared::audit::{AuditEntry, AuditPage};

/// The audit trail of the caller's workspace, newest first, 100 at a time, optionally only
/// one actor's or one kind of entity's events. Needs "manage users and roles" (admins).
#[server(endpoint = "list_audit")]
pub async fn list_audit(
    actor_user_id: Option<i64>,
    entity: Option<String>,
    before_seq: Option<i64>,
) -> Result<AuditPage, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::audit_service::{self, AuditFilter};
    use crate::server::context;

    let caller = context::caller_with(Permission::ManageUsers).await?;
    let entity = entity.filter(|e| !e.is_empty());
    if entity.as_ref().is_some_and(|e| e.len() > 40) {
        return Err(AppError::invalid("entity", "is not a kind of entity"));
    }
    let filter = AuditFilter {
        actor_user_id,
        entity: entity.as_deref(),
        before_seq,
    };
    audit_service::page(&caller, filter).await
}
