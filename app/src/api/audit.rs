//! The audit trail: every change, who made it, newest first.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub use crate::shared::audit::AuditEntry;

/// A page of the audit trail and what it can be filtered by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    /// Events, newest first.
    pub entries: Vec<AuditEntry>,
    /// Users who appear as actors: (id, name).
    pub actors: Vec<(i64, String)>,
    /// Entity kinds that appear.
    pub entities: Vec<String>,
    /// Pass as `before_seq` for the next (older) page, if there is one.
    pub next_before_seq: Option<i64>,
}

/// Removes keys that carry cost or margin figures from an event's JSON.
pub fn mask_cost_fields(json: &str) -> String {
    fn scrub(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                map.retain(|k, _| !(k.contains("cost") || k.contains("margin")));
                map.values_mut().for_each(scrub);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(scrub),
            _ => {}
        }
    }
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(mut v) => {
            scrub(&mut v);
            v.to_string()
        }
        Err(_) => String::new(),
    }
}

/// The audit trail of the caller's workspace, newest first, 100 at a time, optionally only
/// one actor's or one kind of entity's events. Needs "manage users and roles" (admins).
#[server(endpoint = "list_audit")]
pub async fn list_audit(
    actor_user_id: Option<i64>,
    entity: Option<String>,
    before_seq: Option<i64>,
) -> Result<AuditPage, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::audit_repo::{self, AuditFilter};
    use crate::server::context;

    const PAGE: i64 = 100;
    let caller = context::caller_with(Permission::ManageUsers).await?;
    let entity = entity.filter(|e| !e.is_empty());
    if entity.as_ref().is_some_and(|e| e.len() > 40) {
        return Err(AppError::invalid("entity", "is not a kind of entity"));
    }
    let pool = context::pool()?;
    let filter = AuditFilter {
        actor_user_id,
        entity: entity.as_deref(),
        before_seq,
    };
    let mut entries = audit_repo::entries(&pool, caller.workspace_id, filter, PAGE + 1).await?;
    let next_before_seq = if entries.len() as i64 > PAGE {
        entries.truncate(PAGE as usize);
        entries.last().map(|e| e.seq)
    } else {
        None
    };
    if !caller.permissions.sees_cost_amounts() {
        for entry in &mut entries {
            entry.before_json = entry.before_json.as_deref().map(mask_cost_fields);
            entry.after_json = entry.after_json.as_deref().map(mask_cost_fields);
        }
    }
    let actors = audit_repo::actors(&pool, caller.workspace_id).await?;
    let entities = audit_repo::entities(&pool, caller.workspace_id).await?;
    Ok(AuditPage {
        entries,
        actors,
        entities,
        next_before_seq,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cost_fields_are_removed_at_any_depth() {
        let masked = mask_cost_fields(
            r#"{"name":"Ada","cost_rate_minor":5000,"nested":{"margin_bp":1200,"bill_rate_minor":9000}}"#,
        );
        assert_eq!(
            masked,
            r#"{"name":"Ada","nested":{"bill_rate_minor":9000}}"#
        );
    }
}
