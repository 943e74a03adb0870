//! Changing deals on the board. Every change is version-checked, written with its event in
//! one transaction, and pushed live to every browser of the workspace after commit.

// A server function takes one argument per form field, so the drawer's plain HTML form
// (which works without JavaScript) maps onto it directly.
#![allow(clippy::too_many_arguments)]

pub use crate::shared::deal::*;

use crate::api::board::DealCard;
use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::server::deal_service::{commit_and_publish, current_deal, mask};
use leptos::prelude::*;

/// Moves a deal to another open stage (or reopens a lost one). Winning goes through
/// closing, which checks capacity and margin; losing needs a reason.
#[server(endpoint = "move_deal")]
pub async fn move_deal(deal_id: i64, stage_id: i64, version: i64) -> Result<DealCard, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{board_repo, context, deal_repo, events};

    let caller = context::caller_with(Permission::EditDeals).await?;
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write().await?;
    let (row, from) = current_deal(&mut tx, &caller, deal_id, version, now).await?;
    let to = board_repo::stage(&mut *tx, caller.workspace_id, stage_id)
        .await?
        .ok_or_else(|| AppError::invalid("stage", "is not a stage of this pipeline"))?;
    crate::domain::pipeline::check_move(from.kind, to.kind)?;
    if from.id == to.id {
        let card = DealCard::from_row(&from, row, now);
        return Ok(mask(card, caller.can(Permission::ViewDealValues)));
    }
    deal_repo::move_to_stage(&mut *tx, caller.workspace_id, deal_id, version, to.id, now).await?;
    let seq = events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "deal",
            entity_id: deal_id,
            action: "stage_changed",
            before: Some(serde_json::json!({ "stage": from.name })),
            after: Some(serde_json::json!({ "stage": to.name })),
        },
        now,
    )
    .await?;
    commit_and_publish(tx, &caller, &to, deal_id, seq, now).await
}

/// Names and formats for turning stored event fields into readable changes.
#[cfg(feature = "ssr")]
struct ChangeContext<'a> {
    currency: crate::domain::money::Currency,
    clients: &'a [(i64, String)],
    users: &'a [(i64, String)],
    may_see_values: bool,
}

/// The fields that differ between an event's before and after, labelled and formatted,
/// without amounts the caller may not see.
#[cfg(feature = "ssr")]
fn describe_changes(
    before: Option<&str>,
    after: Option<&str>,
    ctx: &ChangeContext<'_>,
) -> Vec<Change> {
    use serde_json::Value;
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
    fn label(key: &str) -> &str {
        match key {
            "value_minor" => "Value",
            "client_id" => "Client",
            "owner_user_id" => "Owner",
            "probability_override_pct" => "Probability",
            "estimate_hours" => "Estimate",
            "stage" => "Stage",
            "title" => "Title",
            "reason" => "Reason",
            other => other,
        }
    }
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

/// One deal with its brief, estimate and history. Needs "view pipeline"; the value only
/// with "view deal values".
#[server(endpoint = "get_deal")]
pub async fn get_deal(deal_id: i64) -> Result<DealDetail, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{board_repo, context, deal_repo};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    let pool = context::pool()?;
    let row = board_repo::board_deal(&pool, caller.workspace_id, deal_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let stage = board_repo::stage(&pool, caller.workspace_id, row.stage_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let stage_kind = stage.kind;
    let card = mask(
        DealCard::from_row(&stage, row, context::now_ms()),
        caller.can(Permission::ViewDealValues),
    );
    let extra = deal_repo::drawer_fields(&pool, caller.workspace_id, deal_id).await?;
    let estimate = deal_repo::estimate(&pool, caller.workspace_id, deal_id).await?;
    let events = deal_repo::history(&pool, caller.workspace_id, deal_id).await?;
    let clients = board_repo::clients(&pool, caller.workspace_id).await?;
    let users = board_repo::users(&pool, caller.workspace_id).await?;
    let owners: Vec<(i64, String)> = users
        .iter()
        .filter(|u| u.2)
        .map(|u| (u.0, u.1.clone()))
        .collect();
    let all_users: Vec<(i64, String)> = users.into_iter().map(|u| (u.0, u.1)).collect();
    let ctx = ChangeContext {
        currency: crate::domain::money::Currency::new(
            &board_repo::workspace(&pool, caller.workspace_id)
                .await?
                .currency,
        ),
        clients: &clients,
        users: &all_users,
        may_see_values: caller.can(Permission::ViewDealValues),
    };
    let activity = events
        .into_iter()
        .map(|e| Activity {
            changes: describe_changes(e.before_json.as_deref(), e.after_json.as_deref(), &ctx),
            created_at: e.created_at,
            actor_name: e.actor_name,
            action: e.action,
        })
        .collect();
    Ok(DealDetail {
        card,
        stage_kind,
        probability_override_pct: extra.probability_override_pct,
        planned_start_on: extra.planned_start_on,
        planned_weeks: extra.planned_weeks,
        brief_goals: extra.brief_goals,
        brief_priorities: extra.brief_priorities,
        brief_context: extra.brief_context,
        notes: extra.notes,
        lost_reason: extra.lost_reason,
        estimate,
        activity,
        clients,
        owners,
    })
}

/// Saves the deal drawer: title, client, value, probability override, owner, dates, weeks,
/// the brief, notes and estimate. `value` is in major units as typed ("48,500"); empty
/// `probability` means "the stage's". A non-empty `new_client` names the client instead
/// of `client_id`: an existing one of that name (ignoring case) or a new one, created in
/// the same transaction. `estimate[<skill_id>]` sets that skill's hours (empty or 0
/// removes it); skills not sent keep their line. Refused with a field error on bad
/// input, and with the current deal when someone else saved first.
#[server(endpoint = "update_deal")]
pub async fn update_deal(
    deal_id: i64,
    version: i64,
    title: String,
    client_id: i64,
    value: String,
    probability: String,
    owner_user_id: i64,
    expected_close_on: String,
    planned_start_on: String,
    planned_weeks: i64,
    brief_goals: String,
    brief_priorities: String,
    brief_context: String,
    notes: String,
    #[server(default)] new_client: String,
    #[server(default)] estimate: std::collections::BTreeMap<String, String>,
) -> Result<DealCard, AppError> {
    use crate::domain::calendar::Date;
    use crate::domain::money::Currency;
    use crate::domain::permissions::Permission;
    use crate::domain::validate;
    use crate::server::{board_repo, client_repo, context, deal_repo, events};

    let caller = context::caller_with(Permission::EditDeals).await?;
    let state = context::state()?;
    let title = validate::required_text("title", &title, 200)?;
    let probability = match probability.trim() {
        "" => None,
        p => Some(
            p.trim_end_matches('%')
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|p| (0..=100).contains(p))
                .ok_or_else(|| {
                    AppError::invalid("probability", "must be a whole number from 0 to 100")
                })?,
        ),
    };
    let date = |field: &str, text: &str| -> Result<Option<String>, AppError> {
        match text.trim() {
            "" => Ok(None),
            t => Date::parse(t)
                .map(|d| Some(d.to_string()))
                .ok_or_else(|| AppError::invalid(field, "must be a date like 2026-12-31")),
        }
    };
    let expected_close_on = date("expected_close_on", &expected_close_on)?;
    let planned_start_on = date("planned_start_on", &planned_start_on)?;
    if !(1..=104).contains(&planned_weeks) {
        return Err(AppError::invalid(
            "planned_weeks",
            "must be from 1 to 104 weeks",
        ));
    }
    let brief_goals = validate::optional_text("brief_goals", &brief_goals, 4000)?;
    let brief_priorities = validate::optional_text("brief_priorities", &brief_priorities, 4000)?;
    let brief_context = validate::optional_text("brief_context", &brief_context, 4000)?;
    let notes = validate::optional_text("notes", &notes, 8000)?;
    let new_client = validate::optional_text("new_client", &new_client, 200)?;
    if new_client.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "new_client",
            "must not contain control characters",
        ));
    }
    let mut estimate_minutes = Vec::with_capacity(estimate.len());
    for (skill, hours) in &estimate {
        let skill_id = skill.parse::<i64>().map_err(|_| {
            AppError::invalid("estimate", "names a skill this workspace does not have")
        })?;
        estimate_minutes.push((skill_id, validate::hours("estimate", hours, 10_000)?));
    }

    let now = context::now_ms();
    let mut tx = state.db.write().await?;
    let currency = board_repo::workspace(&mut *tx, caller.workspace_id)
        .await?
        .currency;
    let (row, stage) = current_deal(&mut tx, &caller, deal_id, version, now).await?;
    // Empty keeps the value (a viewer who may not see values sends none).
    let value_minor = if value.trim().is_empty() {
        row.value_minor
    } else {
        validate::amount("value", &value, &Currency::new(&currency))?
    };
    let client_id = if new_client.is_empty() {
        if !client_repo::exists(&mut *tx, caller.workspace_id, client_id).await? {
            return Err(AppError::invalid(
                "client",
                "is not a client of this workspace: pick one or type a new client's name",
            ));
        }
        client_id
    } else {
        match client_repo::by_name(&mut tx, caller.workspace_id, &new_client).await? {
            Some((id, _)) => id,
            None => {
                let created = client_repo::NewClient {
                    name: &new_client,
                    contact_name: "",
                    contact_email: "",
                };
                client_repo::insert(&mut tx, &caller, created, now).await?
            }
        }
    };
    let skills = deal_repo::skills(&mut *tx, caller.workspace_id).await?;
    if estimate_minutes
        .iter()
        .any(|(id, _)| !skills.iter().any(|(s, _)| s == id))
    {
        return Err(AppError::invalid(
            "estimate",
            "names a skill this workspace does not have",
        ));
    }
    let estimate_before = deal_repo::estimate_lines(&mut *tx, deal_id).await?;
    if !board_repo::is_owner(&mut *tx, caller.workspace_id, owner_user_id).await? {
        return Err(AppError::invalid(
            "owner",
            "is not an active user of this workspace",
        ));
    }
    let before = deal_repo::edited_fields(&mut *tx, deal_id).await?;
    let edit = deal_repo::DealEdit {
        title: &title,
        client_id,
        value_minor,
        probability_override_pct: probability,
        owner_user_id,
        expected_close_on: expected_close_on.as_deref(),
        planned_start_on: planned_start_on.as_deref(),
        planned_weeks,
        brief_goals: &brief_goals,
        brief_priorities: &brief_priorities,
        brief_context: &brief_context,
        notes: &notes,
    };
    deal_repo::save(&mut *tx, caller.workspace_id, deal_id, version, edit, now).await?;
    for (skill_id, minutes) in &estimate_minutes {
        deal_repo::set_estimate(&mut tx, caller.workspace_id, deal_id, *skill_id, *minutes).await?;
    }
    let estimate_after = deal_repo::estimate_lines(&mut *tx, deal_id).await?;
    let mut before_json = serde_json::json!({
        "title": before.title, "value_minor": before.value_minor, "client_id": before.client_id,
        "owner_user_id": before.owner_user_id,
        "probability_override_pct": before.probability_override_pct,
    });
    let mut after_json = serde_json::json!({
        "title": title, "value_minor": value_minor, "client_id": client_id,
        "owner_user_id": owner_user_id, "probability_override_pct": probability,
    });
    if estimate_before != estimate_after {
        let hours = |lines: &[(i64, i64)]| {
            lines
                .iter()
                .map(|(skill, minutes)| {
                    let name = skills
                        .iter()
                        .find(|(id, _)| id == skill)
                        .map(|(_, n)| n.clone())
                        .unwrap_or_default();
                    (name, serde_json::json!(validate::hours_text(*minutes)))
                })
                .collect::<serde_json::Map<_, _>>()
        };
        before_json["estimate_hours"] = hours(&estimate_before).into();
        after_json["estimate_hours"] = hours(&estimate_after).into();
    }
    let seq = events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "deal",
            entity_id: deal_id,
            action: "edited",
            before: Some(before_json),
            after: Some(after_json),
        },
        now,
    )
    .await?;
    commit_and_publish(tx, &caller, &stage, deal_id, seq, now).await
}

/// Adds a deal to an open stage (quick add): title, client and value; the caller owns it.
#[server(endpoint = "create_deal")]
pub async fn create_deal(
    stage_id: i64,
    title: String,
    client_id: i64,
    value: String,
) -> Result<DealCard, AppError> {
    use crate::domain::money::Currency;
    use crate::domain::permissions::Permission;
    use crate::domain::pipeline::StageKind;
    use crate::domain::validate;
    use crate::server::{board_repo, client_repo, context, deal_repo, events};

    let caller = context::caller_with(Permission::EditDeals).await?;
    let state = context::state()?;
    let title = validate::required_text("title", &title, 200)?;
    let now = context::now_ms();
    let mut tx = state.db.write().await?;
    let currency = board_repo::workspace(&mut *tx, caller.workspace_id)
        .await?
        .currency;
    let value_minor = validate::amount("value", &value, &Currency::new(&currency))?;
    let stage = board_repo::stage(&mut *tx, caller.workspace_id, stage_id)
        .await?
        .filter(|s| s.kind == StageKind::Open)
        .ok_or_else(|| AppError::invalid("stage", "is not an open stage of this pipeline"))?;
    if !client_repo::exists(&mut *tx, caller.workspace_id, client_id).await? {
        return Err(AppError::invalid(
            "client",
            "is not a client of this workspace",
        ));
    }
    let new_deal = deal_repo::NewDeal {
        client_id,
        title: &title,
        value_minor,
        stage_id: stage.id,
        owner_user_id: caller.user_id,
    };
    let deal_id = deal_repo::insert(&mut *tx, caller.workspace_id, new_deal, now).await?;
    let seq = events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "deal",
            entity_id: deal_id,
            action: "created",
            before: None,
            after: Some(serde_json::json!({ "title": title, "value_minor": value_minor, "stage": stage.name })),
        },
        now,
    )
    .await?;
    commit_and_publish(tx, &caller, &stage, deal_id, seq, now).await
}

/// Marks an open deal lost, with the reason (kept on the deal and in its history).
#[server(endpoint = "mark_deal_lost")]
pub async fn mark_deal_lost(
    deal_id: i64,
    version: i64,
    reason: String,
) -> Result<DealCard, AppError> {
    use crate::domain::permissions::Permission;
    use crate::domain::pipeline::StageKind;
    use crate::domain::validate;
    use crate::server::{board_repo, context, deal_repo, events};

    let caller = context::caller_with(Permission::EditDeals).await?;
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write().await?;
    let reason = validate::required_text("reason", &reason, 500)?;
    let (_, from) = current_deal(&mut tx, &caller, deal_id, version, now).await?;
    crate::domain::pipeline::check_mark_lost(from.kind)?;
    let lost = board_repo::stage_of_kind(&mut tx, caller.workspace_id, StageKind::Lost, false)
        .await?
        .ok_or_else(|| AppError::invalid("stage", "this pipeline has no Lost stage"))?;
    deal_repo::mark_lost(
        &mut *tx,
        caller.workspace_id,
        deal_id,
        version,
        lost.id,
        &reason,
        now,
    )
    .await?;
    let seq = events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "deal",
            entity_id: deal_id,
            action: "lost",
            before: Some(serde_json::json!({ "stage": from.name })),
            after: Some(serde_json::json!({ "stage": lost.name, "reason": reason })),
        },
        now,
    )
    .await?;
    commit_and_publish(tx, &caller, &lost, deal_id, seq, now).await
}

/// Takes a deal off the board (archived, kept with its history).
#[server(endpoint = "archive_deal")]
pub async fn archive_deal(deal_id: i64, version: i64) -> Result<(), AppError> {
    use crate::api::live::LiveEvent;
    use crate::domain::permissions::Permission;
    use crate::server::{context, deal_repo, events};

    let caller = context::caller_with(Permission::EditDeals).await?;
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write().await?;
    current_deal(&mut tx, &caller, deal_id, version, now).await?;
    deal_repo::archive(&mut *tx, caller.workspace_id, deal_id, version, now).await?;
    let seq = events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "deal",
            entity_id: deal_id,
            action: "archived",
            before: None,
            after: None,
        },
        now,
    )
    .await?;
    tx.commit().await?;
    state
        .live
        .publish(caller.workspace_id, LiveEvent::DealRemoved { seq, deal_id });
    Ok(())
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn changes_are_named_formatted_and_masked() {
        let clients = [(1, "Acme".to_string()), (2, "Globex".to_string())];
        let users = [(7, "Ada".to_string())];
        let mut ctx = ChangeContext {
            currency: crate::domain::money::Currency::new("EUR"),
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
