//! Reading the audit trail: a page of the workspace's events, newest first, with cost and
//! margin figures removed for those who may not see them.

use crate::error::AppError;
use crate::server::audit_repo;
use crate::server::context::{self, Caller};
use crate::shared::audit::AuditPage;

pub use crate::server::audit_repo::AuditFilter;

/// Events on one page of the audit trail.
const PAGE: i64 = 100;

/// The events of the caller's workspace that pass `filter`, newest first, 100 at a time,
/// as the caller may see them.
pub async fn page(caller: &Caller, filter: AuditFilter<'_>) -> Result<AuditPage, AppError> {
    let pool = context::pool()?;
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
    let offsets =
        context::calendar()?.offsets_for(entries.iter().map(|e| e.created_at), context::now_ms());
    Ok(AuditPage {
        entries,
        actors,
        entities,
        next_before_seq,
        offsets,
    })
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
