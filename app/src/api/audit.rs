//! The audit trail: every change, who made it, newest first.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// One event as the audit page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AuditEntry {
    /// The event's sequence number in the workspace.
    pub seq: i64,
    /// When, Unix ms.
    pub created_at: i64,
    /// Who acted, if a user did.
    pub actor_name: Option<String>,
    /// What kind of thing changed.
    pub entity: String,
    /// Which one.
    pub entity_id: i64,
    /// What happened.
    pub action: String,
    /// The changed fields before (JSON), with money the viewer may not see removed.
    pub before_json: Option<String>,
    /// The changed fields after (JSON), likewise.
    pub after_json: Option<String>,
}

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
    use crate::server::context;

    const PAGE: i64 = 100;
    let caller = context::caller_with(Permission::ManageUsers).await?;
    let entity = entity.filter(|e| !e.is_empty());
    if entity.as_ref().is_some_and(|e| e.len() > 40) {
        return Err(AppError::invalid("entity", "is not a kind of entity"));
    }
    let pool = context::pool()?;
    let mut entries: Vec<AuditEntry> = sqlx::query_as(
        "SELECT e.seq, e.created_at, u.name AS actor_name, e.entity, e.entity_id, e.action,
                e.before_json, e.after_json
         FROM events e LEFT JOIN users u ON u.id = e.actor_user_id
         WHERE e.workspace_id = $1
           AND ($2 IS NULL OR e.actor_user_id = $2)
           AND ($3 IS NULL OR e.entity = $3)
           AND ($4 IS NULL OR e.seq < $4)
         ORDER BY e.seq DESC
         LIMIT $5",
    )
    .bind(caller.workspace_id)
    .bind(actor_user_id)
    .bind(&entity)
    .bind(before_seq)
    .bind(PAGE + 1)
    .fetch_all(&pool)
    .await?;
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
    let actors = sqlx::query_as(
        "SELECT DISTINCT u.id, u.name FROM events e JOIN users u ON u.id = e.actor_user_id
         WHERE e.workspace_id = $1 ORDER BY u.name",
    )
    .bind(caller.workspace_id)
    .fetch_all(&pool)
    .await?;
    let entities = sqlx::query_scalar(
        "SELECT DISTINCT entity FROM events WHERE workspace_id = $1 ORDER BY entity",
    )
    .bind(caller.workspace_id)
    .fetch_all(&pool)
    .await?;
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
