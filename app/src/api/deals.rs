//! Changing deals on the board. Every change is version-checked, written with its event in
//! one transaction, and pushed live to every browser of the workspace after commit.

// A server function takes one argument per form field, so the drawer's plain HTML form
// (which works without JavaScript) maps onto it directly.
#![allow(clippy::too_many_arguments)]

use crate::api::board::DealCard;
use crate::error::AppError;
use leptos::prelude::*;

/// Moves a deal to another open stage (or reopens a lost one). Winning goes through
/// closing, which checks capacity and margin; losing needs a reason.
#[server(endpoint = "move_deal")]
pub async fn move_deal(deal_id: i64, stage_id: i64, version: i64) -> Result<DealCard, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{board_repo, context, events};

    let caller = context::caller_with(Permission::EditDeals).await?;
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.pool.begin().await?;
    let (row, from) = current_deal(&mut tx, &caller, deal_id, version, now).await?;
    let to = board_repo::stage(&mut *tx, caller.workspace_id, stage_id)
        .await?
        .ok_or_else(|| AppError::invalid("stage", "is not a stage of this pipeline"))?;
    match (from.kind.as_str(), to.kind.as_str()) {
        (_, "won") => {
            return Err(AppError::invalid(
                "stage",
                "win a deal with Close: it checks capacity and margin and creates the project",
            ))
        }
        (_, "lost") => {
            return Err(AppError::invalid(
                "stage",
                "mark the deal lost with a reason",
            ))
        }
        ("won", _) => {
            return Err(AppError::invalid(
                "stage",
                "a won deal is reopened from its project",
            ))
        }
        _ => {}
    }
    if from.id == to.id {
        let card = DealCard::from_row(&from, row, now);
        return Ok(mask(card, caller.can(Permission::ViewDealValues)));
    }
    sqlx::query(
        "UPDATE deals SET stage_id = $1, stage_entered_at = $2, updated_at = $2, closed_at = NULL,
                          lost_reason = NULL, version = version + 1
         WHERE id = $3 AND workspace_id = $4 AND version = $5",
    )
    .bind(to.id)
    .bind(now)
    .bind(deal_id)
    .bind(caller.workspace_id)
    .bind(version)
    .execute(&mut *tx)
    .await?;
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

/// The deal as it is now, with its stage, if it still has `version`; otherwise the
/// conflict that carries it (as the caller may see it).
#[cfg(feature = "ssr")]
async fn current_deal(
    conn: &mut sqlx::SqliteConnection,
    caller: &crate::server::context::Caller,
    deal_id: i64,
    version: i64,
    now: i64,
) -> Result<
    (
        crate::api::board::BoardDealRow,
        crate::api::board::StageSummary,
    ),
    AppError,
> {
    use crate::domain::permissions::Permission;
    use crate::server::board_repo;

    let row = board_repo::board_deal(&mut *conn, caller.workspace_id, deal_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let stage = board_repo::stage(&mut *conn, caller.workspace_id, row.stage_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if row.version != version {
        let current = DealCard::from_row(&stage, row, now);
        return Err(AppError::DealChanged {
            current: Box::new(mask(current, caller.can(Permission::ViewDealValues))),
        });
    }
    Ok((row, stage))
}

/// Commits the change of `deal_id` (event `seq`, now in `stage`), announces its card to
/// every board of the workspace, and answers the card as the caller may see it.
#[cfg(feature = "ssr")]
async fn commit_and_publish(
    mut tx: sqlx::Transaction<'_, sqlx::Sqlite>,
    caller: &crate::server::context::Caller,
    stage: &crate::api::board::StageSummary,
    deal_id: i64,
    seq: i64,
    now: i64,
) -> Result<DealCard, AppError> {
    use crate::api::live::LiveEvent;
    use crate::domain::permissions::Permission;
    use crate::server::{board_repo, context};

    let row = board_repo::board_deal(&mut *tx, caller.workspace_id, deal_id)
        .await?
        .ok_or(AppError::Internal)?;
    tx.commit().await?;
    let mut card = DealCard::from_row(stage, row, now);
    let pool = context::pool()?;
    card.fit =
        crate::server::capacity_repo::capacity_fits(&pool, caller.workspace_id, Some(deal_id), now)
            .await?
            .first()
            .map(|(_, verdict)| *verdict);
    context::state()?.live.publish(
        caller.workspace_id,
        LiveEvent::Deal {
            seq,
            card: card.clone(),
        },
    );
    Ok(mask(card, caller.can(Permission::ViewDealValues)))
}

/// The card without its value for callers who may not see values.
#[cfg(feature = "ssr")]
fn mask(card: DealCard, may_see_values: bool) -> DealCard {
    if may_see_values {
        card
    } else {
        DealCard {
            value_minor: None,
            ..card
        }
    }
}

/// Everything the deal drawer shows and edits.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DealDetail {
    /// The deal as its card shows it.
    pub card: DealCard,
    /// Probability override in percent, if any.
    pub probability_override_pct: Option<i64>,
    /// Planned start, `YYYY-MM-DD`.
    pub planned_start_on: Option<String>,
    /// Planned length in weeks.
    pub planned_weeks: i64,
    /// The brief: goals.
    pub brief_goals: String,
    /// The brief: priorities.
    pub brief_priorities: String,
    /// The brief: context.
    pub brief_context: String,
    /// Notes.
    pub notes: String,
    /// Why it was lost, if it was.
    pub lost_reason: Option<String>,
    /// Estimate lines: (skill, hours).
    pub estimate: Vec<(String, i64)>,
    /// History, newest first.
    pub activity: Vec<Activity>,
    /// Clients to choose from: (id, name).
    pub clients: Vec<(i64, String)>,
    /// Owners to choose from: (id, name).
    pub owners: Vec<(i64, String)>,
}

/// One entry of a deal's history.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct Activity {
    /// When, Unix ms.
    pub created_at: i64,
    /// Who.
    pub actor_name: Option<String>,
    /// What happened.
    pub action: String,
    /// The changed fields before (JSON).
    pub before_json: Option<String>,
    /// The changed fields after (JSON).
    pub after_json: Option<String>,
}

/// The drawer's fields beyond the card.
#[cfg(feature = "ssr")]
#[derive(sqlx::FromRow)]
struct DealExtra {
    probability_override_pct: Option<i64>,
    planned_start_on: Option<String>,
    planned_weeks: i64,
    brief_goals: String,
    brief_priorities: String,
    brief_context: String,
    notes: String,
    lost_reason: Option<String>,
}

/// One deal with its brief, estimate and history. Needs "view pipeline"; the value only
/// with "view deal values".
#[server(endpoint = "get_deal")]
pub async fn get_deal(deal_id: i64) -> Result<DealDetail, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{board_repo, context};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    let pool = context::pool()?;
    let row = board_repo::board_deal(&pool, caller.workspace_id, deal_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let stage = board_repo::stage(&pool, caller.workspace_id, row.stage_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let card = mask(
        DealCard::from_row(&stage, row, context::now_ms()),
        caller.can(Permission::ViewDealValues),
    );
    let extra: DealExtra = sqlx::query_as(
        "SELECT probability_override_pct, planned_start_on, planned_weeks, brief_goals,
                brief_priorities, brief_context, notes, lost_reason
         FROM deals WHERE id = $1 AND workspace_id = $2",
    )
    .bind(deal_id)
    .bind(caller.workspace_id)
    .fetch_one(&pool)
    .await?;
    let estimate: Vec<(String, i64)> = sqlx::query_as(
        "SELECT s.name, l.minutes / 60 FROM deal_estimate_lines l JOIN skills s ON s.id = l.skill_id
         WHERE l.deal_id = $1 AND l.workspace_id = $2 ORDER BY s.name",
    )
    .bind(deal_id)
    .bind(caller.workspace_id)
    .fetch_all(&pool)
    .await?;
    let activity = sqlx::query_as(
        "SELECT e.created_at, u.name AS actor_name, e.action, e.before_json, e.after_json
         FROM events e LEFT JOIN users u ON u.id = e.actor_user_id
         WHERE e.workspace_id = $1 AND e.entity = 'deal' AND e.entity_id = $2
         ORDER BY e.seq DESC LIMIT 50",
    )
    .bind(caller.workspace_id)
    .bind(deal_id)
    .fetch_all(&pool)
    .await?;
    let clients =
        sqlx::query_as("SELECT id, name FROM clients WHERE workspace_id = $1 ORDER BY name")
            .bind(caller.workspace_id)
            .fetch_all(&pool)
            .await?;
    let owners = sqlx::query_as(
        "SELECT id, name FROM users WHERE workspace_id = $1 AND active = 1 ORDER BY name",
    )
    .bind(caller.workspace_id)
    .fetch_all(&pool)
    .await?;
    Ok(DealDetail {
        card,
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
/// the brief and notes. `value` is in major units as typed ("48,500"); empty
/// `probability` means "the stage's". Refused with a field error on bad input, and with
/// the current deal when someone else saved first.
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
) -> Result<DealCard, AppError> {
    use crate::domain::calendar::Date;
    use crate::domain::money::{parse_money, Currency};
    use crate::domain::permissions::Permission;
    use crate::domain::validate;
    use crate::server::{context, events};

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

    let now = context::now_ms();
    let mut tx = state.pool.begin().await?;
    let currency: String = sqlx::query_scalar("SELECT currency FROM workspaces WHERE id = $1")
        .bind(caller.workspace_id)
        .fetch_one(&mut *tx)
        .await?;
    let (row, stage) = current_deal(&mut tx, &caller, deal_id, version, now).await?;
    // Empty keeps the value (a viewer who may not see values sends none).
    let value_minor = if value.trim().is_empty() {
        row.value_minor
    } else {
        parse_money(&value, &Currency::new(&currency))
            .filter(|v| *v <= 1_000_000_000_000)
            .ok_or_else(|| {
                AppError::invalid("value", "must be an amount from 0 to 10,000,000,000")
            })?
    };
    let client_ok: Option<i64> =
        sqlx::query_scalar("SELECT id FROM clients WHERE id = $1 AND workspace_id = $2")
            .bind(client_id)
            .bind(caller.workspace_id)
            .fetch_optional(&mut *tx)
            .await?;
    client_ok.ok_or_else(|| AppError::invalid("client", "is not a client of this workspace"))?;
    let owner_ok: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM users WHERE id = $1 AND workspace_id = $2 AND active = 1",
    )
    .bind(owner_user_id)
    .bind(caller.workspace_id)
    .fetch_optional(&mut *tx)
    .await?;
    owner_ok
        .ok_or_else(|| AppError::invalid("owner", "is not an active user of this workspace"))?;
    let before: (String, i64, i64, i64, Option<i64>) = sqlx::query_as(
        "SELECT title, value_minor, client_id, owner_user_id, probability_override_pct FROM deals WHERE id = $1",
    )
    .bind(deal_id)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE deals SET title = $1, client_id = $2, value_minor = $3, probability_override_pct = $4,
                          owner_user_id = $5, expected_close_on = $6, planned_start_on = $7,
                          planned_weeks = $8, brief_goals = $9, brief_priorities = $10,
                          brief_context = $11, notes = $12, updated_at = $13, version = version + 1
         WHERE id = $14 AND workspace_id = $15 AND version = $16",
    )
    .bind(&title)
    .bind(client_id)
    .bind(value_minor)
    .bind(probability)
    .bind(owner_user_id)
    .bind(&expected_close_on)
    .bind(&planned_start_on)
    .bind(planned_weeks)
    .bind(&brief_goals)
    .bind(&brief_priorities)
    .bind(&brief_context)
    .bind(&notes)
    .bind(now)
    .bind(deal_id)
    .bind(caller.workspace_id)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    let seq = events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "deal",
            entity_id: deal_id,
            action: "edited",
            before: Some(serde_json::json!({
                "title": before.0, "value_minor": before.1, "client_id": before.2,
                "owner_user_id": before.3, "probability_override_pct": before.4,
            })),
            after: Some(serde_json::json!({
                "title": title, "value_minor": value_minor, "client_id": client_id,
                "owner_user_id": owner_user_id, "probability_override_pct": probability,
            })),
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
    use crate::domain::money::{parse_money, Currency};
    use crate::domain::permissions::Permission;
    use crate::domain::validate;
    use crate::server::{board_repo, context, events};

    let caller = context::caller_with(Permission::EditDeals).await?;
    let state = context::state()?;
    let title = validate::required_text("title", &title, 200)?;
    let now = context::now_ms();
    let mut tx = state.pool.begin().await?;
    let currency: String = sqlx::query_scalar("SELECT currency FROM workspaces WHERE id = $1")
        .bind(caller.workspace_id)
        .fetch_one(&mut *tx)
        .await?;
    let value_minor = parse_money(&value, &Currency::new(&currency))
        .filter(|v| *v <= 1_000_000_000_000)
        .ok_or_else(|| AppError::invalid("value", "must be an amount from 0 to 10,000,000,000"))?;
    let stage = board_repo::stage(&mut *tx, caller.workspace_id, stage_id)
        .await?
        .filter(|s| s.kind == "open")
        .ok_or_else(|| AppError::invalid("stage", "is not an open stage of this pipeline"))?;
    let client_ok: Option<i64> =
        sqlx::query_scalar("SELECT id FROM clients WHERE id = $1 AND workspace_id = $2")
            .bind(client_id)
            .bind(caller.workspace_id)
            .fetch_optional(&mut *tx)
            .await?;
    client_ok.ok_or_else(|| AppError::invalid("client", "is not a client of this workspace"))?;
    let deal_id = sqlx::query(
        "INSERT INTO deals (workspace_id, client_id, title, value_minor, stage_id, owner_user_id,
                            stage_entered_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $7)",
    )
    .bind(caller.workspace_id)
    .bind(client_id)
    .bind(&title)
    .bind(value_minor)
    .bind(stage.id)
    .bind(caller.user_id)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .last_insert_rowid();
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
    use crate::domain::validate;
    use crate::server::{board_repo, context, events};

    let caller = context::caller_with(Permission::EditDeals).await?;
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.pool.begin().await?;
    let reason = validate::required_text("reason", &reason, 500)?;
    let (_, from) = current_deal(&mut tx, &caller, deal_id, version, now).await?;
    if from.kind != "open" {
        return Err(AppError::invalid(
            "stage",
            "only an open deal can be marked lost",
        ));
    }
    let lost_id: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM stages WHERE workspace_id = $1 AND kind = 'lost' ORDER BY position LIMIT 1",
    )
    .bind(caller.workspace_id)
    .fetch_optional(&mut *tx)
    .await?;
    let lost = board_repo::stage(
        &mut *tx,
        caller.workspace_id,
        lost_id.ok_or_else(|| AppError::invalid("stage", "this pipeline has no Lost stage"))?,
    )
    .await?
    .ok_or(AppError::Internal)?;
    sqlx::query(
        "UPDATE deals SET stage_id = $1, stage_entered_at = $2, updated_at = $2, closed_at = $2,
                          lost_reason = $3, version = version + 1
         WHERE id = $4 AND workspace_id = $5 AND version = $6",
    )
    .bind(lost.id)
    .bind(now)
    .bind(&reason)
    .bind(deal_id)
    .bind(caller.workspace_id)
    .bind(version)
    .execute(&mut *tx)
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
    use crate::server::{context, events};

    let caller = context::caller_with(Permission::EditDeals).await?;
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.pool.begin().await?;
    current_deal(&mut tx, &caller, deal_id, version, now).await?;
    sqlx::query(
        "UPDATE deals SET archived_at = $1, updated_at = $1, version = version + 1
         WHERE id = $2 AND workspace_id = $3 AND version = $4",
    )
    .bind(now)
    .bind(deal_id)
    .bind(caller.workspace_id)
    .bind(version)
    .execute(&mut *tx)
    .await?;
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
