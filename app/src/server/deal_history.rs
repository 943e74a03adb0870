//! A deal's history as the drawer shows it: each stored event turned into readable
//! changes (labelled fields, names for ids, formatted amounts), without the amounts the
//! caller may not see.

use crate::domain::money::Currency;
use crate::server::deal_repo::DealEvent;
use crate::shared::deal::{Activity, Change};
use serde_json::Value;

/// Names and formats for turning stored event fields into readable changes.
pub struct ChangeContext<'a> {
    /// The workspace's currency, for amounts.
    pub currency: Currency,
    /// The workspace's clients, (id, name).
    pub clients: &'a [(i64, String)],
    /// The workspace's users, (id, name).
    pub users: &'a [(i64, String)],
    /// Whether the caller may see deal values.
    pub may_see_values: bool,
}

/// The deal's events as activity: who did what when, and which fields changed how.
pub fn activity(events: Vec<DealEvent>, ctx: &ChangeContext<'_>) -> Vec<Activity> {
    events
        .into_iter()
        .map(|e| Activity {
            changes: describe_changes(e.before_json.as_deref(), e.after_json.as_deref(), ctx),
            created_at: e.created_at,
            actor_name: e.actor_name,
            action: e.action,
        })
        .collect()
}

/// The fields that differ between an event's before and after, labelled and formatted,
/// without amounts the caller may not see.
fn describe_changes(
    before: Option<&str>,
    after: Option<&str>,
    ctx: &ChangeContext<'_>,
) -> Vec<Change> {
    let parse = |text: Option<&str>| {
        text.and_then(|t| serde_json::from_str::<serde_json::Map<String, Value>>(t).ok())
            .unwrap_or_default()
    };
    let (before, after) = (parse(before), parse(after));
    let name_of = |list: &[(i64, String)], v: &Value| {
        v.as_i64()
            .and_then(|id| list.iter().find(|(i, _)| *i == id).map(|(_, n)| n.clone()))
            .unwrap_or_else(|| "—".into())
    };
    let show = |key: &str, v: Option<&Value>| -> String {
        let Some(v) = v else { return String::new() };
        match (key, v) {
            (_, Value::Null) => "—".into(),
            ("value_minor", v) => v
                .as_i64()
                .map(|m| crate::domain::money::format_money(m, &ctx.currency))
                .unwrap_or_default(),
            ("client_id", v) => name_of(ctx.clients, v),
            ("owner_user_id", v) => name_of(ctx.users, v),
            ("probability_override_pct", v) => format!("{v} %"),
            ("estimate_hours", Value::Object(lines)) if lines.is_empty() => "none".into(),
            ("estimate_hours", Value::Object(lines)) => lines
                .iter()
                .map(|(skill, h)| format!("{skill} {} h", h.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(", "),
            (_, Value::String(s)) => s.clone(),
            (_, other) => other.to_string(),
        }
    };
    let mut keys: Vec<&String> = after.keys().chain(before.keys()).collect();
    keys.dedup();
    let mut seen = std::collections::BTreeSet::new();
    keys.into_iter()
        .filter(|k| seen.insert(k.as_str()))
        .filter(|k| ctx.may_see_values || k.as_str() != "value_minor")
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| Change {
            field: label(k).to_string(),
            from: show(k, before.get(k)),
            to: show(k, after.get(k)),
        })
        .collect()
}

/// The drawer's label of a stored event field.
fn label(key: &str) -> &str {
    match key {
        "value_minor" => "Value",
        "client_id" => "Client",
        "owner_user_id" => "Owner",
        "probability_override_pct" => "Probability",
        "planned_start_on" => "Planned start",
        "estimate_hours" => "Estimate",
        "stage" => "Stage",
        "title" => "Title",
        "reason" => "Reason",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_are_named_formatted_and_masked() {
        let clients = [(1, "Acme".to_string()), (2, "Globex".to_string())];
        let users = [(7, "Ada".to_string())];
        let mut ctx = ChangeContext {
            currency: Currency::new("EUR"),
            clients: &clients,
            users: &users,
            may_see_values: true,
        };
        let before = r#"{"title":"A","value_minor":100000,"client_id":1,"owner_user_id":7,"probability_override_pct":null}"#;
        let after = r#"{"title":"A","value_minor":250000,"client_id":2,"owner_user_id":7,"probability_override_pct":40,"estimate_hours":{"QA":"7.5"}}"#;
        let changes = describe_changes(Some(before), Some(after), &ctx);
        let fields: Vec<(&str, &str, &str)> = changes
            .iter()
            .map(|c| (c.field.as_str(), c.from.as_str(), c.to.as_str()))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("Client", "Acme", "Globex"),
                ("Estimate", "", "QA 7.5 h"),
                ("Probability", "—", "40 %"),
                ("Value", "€1,000", "€2,500"),
            ]
        );
        ctx.may_see_values = false;
        let masked = describe_changes(Some(before), Some(after), &ctx);
        assert!(masked.iter().all(|c| c.field != "Value"));
        assert_eq!(masked.len(), 3);
        // A created event has only an "after".
        let created = describe_changes(None, Some(r#"{"stage":"Lead"}"#), &ctx);
        assert_eq!(created[0].from, "");
        assert_eq!(created[0].to, "Lead");
    }
}
