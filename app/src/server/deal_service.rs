//! Deal changes and the drawer's read, each a transaction script: load the deal at the
//! caller's version (or the conflict that carries it), check the pipeline's rules, write
//! with its event in one transaction, commit and announce the changed card to every
//! board, and hide values from callers who may not see them.

use crate::domain::money::Currency;
use crate::domain::permissions::Permission;
use crate::domain::pipeline::{self, StageKind};
use crate::domain::validate;
use crate::error::AppError;
use crate::server::context::{self, Caller};
use crate::server::db::Conn;
use crate::server::deal_history::{self, ChangeContext};
use crate::server::{board_repo, client_repo, client_service, deal_repo, events};
use crate::shared::board::DealCard;
use crate::shared::deal::DealDetail;
use crate::shared::live::LiveEvent;
use serde_json::{json, Value};

/// The drawer's view of one deal: its card, brief, estimate and readable history, with
/// the value only for callers who may see values.
pub async fn detail(caller: &Caller, deal_id: i64) -> Result<DealDetail, AppError> {
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
    let mut conn = pool.acquire().await?;
    let drawer = deal_repo::drawer(&mut conn, caller.workspace_id, card, stage.kind).await?;
    let events = deal_repo::history(&mut *conn, caller.workspace_id, deal_id).await?;
    let clients = board_repo::clients(&mut *conn, caller.workspace_id).await?;
    let users = crate::server::user_repo::users(&mut *conn, caller.workspace_id).await?;
    let owners: Vec<(i64, String)> = users
        .iter()
        .filter(|u| u.2)
        .map(|u| (u.0, u.1.clone()))
        .collect();
    let all_users: Vec<(i64, String)> = users.into_iter().map(|u| (u.0, u.1)).collect();
    let ctx = ChangeContext {
        currency: Currency::new(
            &board_repo::workspace(&mut *conn, caller.workspace_id)
                .await?
                .currency,
        ),
        clients: &clients,
        users: &all_users,
        may_see_values: caller.can(Permission::ViewDealValues),
    };
    let activity = deal_history::activity(events, &ctx);
    let offsets =
        context::calendar()?.offsets_for(activity.iter().map(|a| a.created_at), context::now_ms());
    Ok(DealDetail {
        activity,
        offsets,
        clients,
        owners,
        rights: crate::shared::board::DealRights::of(caller.permissions),
        ..drawer
    })
}

/// Moves a deal at `version` into stage `stage_id` if the pipeline allows the move
/// (another open stage, or reopening a lost deal), recording the stage change; a move
/// into the stage it is in changes nothing and answers its card.
pub async fn move_to_stage(
    caller: &Caller,
    deal_id: i64,
    stage_id: i64,
    version: i64,
) -> Result<DealCard, AppError> {
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write(caller.workspace_id).await?;
    let (row, from) = current_deal(&mut tx, caller, deal_id, version, now).await?;
    let to = board_repo::stage(&mut *tx, caller.workspace_id, stage_id)
        .await?
        .ok_or_else(|| AppError::invalid("stage", "is not a stage of this pipeline"))?;
    pipeline::check_move(from.kind, to.kind)?;
    if from.id == to.id {
        let card = DealCard::from_row(&from, row, now);
        return Ok(mask(card, caller.can(Permission::ViewDealValues)));
    }
    let entry = stage_entry(&mut tx, caller.workspace_id, deal_id, from.kind, to.id, now).await?;
    deal_repo::move_to_stage(&mut *tx, caller.workspace_id, deal_id, version, entry).await?;
    let before = json!({ "stage": from.name });
    let after = json!({ "stage": to.name });
    let event = deal_event(caller, deal_id, "stage_changed", Some(before), Some(after));
    let seq = events::append(&mut tx, event, now).await?;
    commit_and_publish(tx, caller, &to, deal_id, seq, now).await
}

/// The deal drawer's fields as the caller sent them, decoded and checked — all but those
/// that need the database: the value (in the workspace's currency), the client, the
/// owner and the estimate's skills.
#[derive(Debug, Clone)]
pub struct DrawerEdit {
    /// Title (validated).
    pub title: String,
    /// The chosen client, used when `new_client` is empty.
    pub client_id: i64,
    /// A client named instead of `client_id` (an existing one or a new one), or empty.
    pub new_client: String,
    /// Value in major units as typed; empty keeps the deal's value.
    pub value: String,
    /// Probability override in percent; `None` for the stage's.
    pub probability_override_pct: Option<i64>,
    /// Owner's user id.
    pub owner_user_id: i64,
    /// Expected close, `YYYY-MM-DD`.
    pub expected_close_on: Option<String>,
    /// Planned start, `YYYY-MM-DD`.
    pub planned_start_on: Option<String>,
    /// Planned length in weeks (1 to 104).
    pub planned_weeks: i64,
    /// The brief: goals.
    pub brief_goals: String,
    /// The brief: priorities.
    pub brief_priorities: String,
    /// The brief: context.
    pub brief_context: String,
    /// Notes.
    pub notes: String,
    /// Estimate lines to set: (skill id, minutes), 0 removing the line.
    pub estimate_minutes: Vec<(i64, i64)>,
}

/// Saves the deal drawer of a deal at `version`: its fields, its client (adding a new
/// one by name if asked) and its estimate lines, recording what changed.
pub async fn update(
    caller: &Caller,
    deal_id: i64,
    version: i64,
    edit: DrawerEdit,
) -> Result<DealCard, AppError> {
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write(caller.workspace_id).await?;
    let currency = board_repo::workspace(&mut *tx, caller.workspace_id)
        .await?
        .currency;
    let (row, stage) = current_deal(&mut tx, caller, deal_id, version, now).await?;
    // Empty keeps the value (a viewer who may not see values sends none).
    let value_minor = if edit.value.trim().is_empty() {
        row.value_minor
    } else {
        validate::amount("value", &edit.value, &Currency::new(&currency))?
    };
    let client_id = drawer_client(&mut tx, caller, edit.client_id, &edit.new_client, now).await?;
    let skills = crate::server::skill_repo::all(&mut *tx, caller.workspace_id).await?;
    check_skills(&edit.estimate_minutes, &skills)?;
    let estimate_before = deal_repo::estimate_lines(&mut *tx, caller.workspace_id, deal_id).await?;
    if !crate::server::user_repo::is_owner(&mut *tx, caller.workspace_id, edit.owner_user_id)
        .await?
    {
        return Err(AppError::invalid(
            "owner",
            "is not an active user of this workspace",
        ));
    }
    let before = deal_repo::edited_fields(&mut *tx, caller.workspace_id, deal_id).await?;
    let saved = deal_repo::DealEdit {
        title: &edit.title,
        client_id,
        value_minor,
        probability_override_pct: edit.probability_override_pct,
        owner_user_id: edit.owner_user_id,
        expected_close_on: edit.expected_close_on.as_deref(),
        planned_start_on: edit.planned_start_on.as_deref(),
        planned_weeks: edit.planned_weeks,
        brief_goals: &edit.brief_goals,
        brief_priorities: &edit.brief_priorities,
        brief_context: &edit.brief_context,
        notes: &edit.notes,
    };
    deal_repo::save(&mut *tx, caller.workspace_id, deal_id, version, saved, now).await?;
    for (skill_id, minutes) in &edit.estimate_minutes {
        deal_repo::set_estimate(&mut tx, caller.workspace_id, deal_id, *skill_id, *minutes).await?;
    }
    let estimate_after = deal_repo::estimate_lines(&mut *tx, caller.workspace_id, deal_id).await?;
    let after = deal_repo::EditedFields {
        title: edit.title,
        value_minor,
        client_id,
        owner_user_id: edit.owner_user_id,
        probability_override_pct: edit.probability_override_pct,
    };
    let mut before_json = edited_json(&before);
    let mut after_json = edited_json(&after);
    if estimate_before != estimate_after {
        before_json["estimate_hours"] = estimate_hours(&skills, &estimate_before).into();
        after_json["estimate_hours"] = estimate_hours(&skills, &estimate_after).into();
    }
    let event = deal_event(
        caller,
        deal_id,
        "edited",
        Some(before_json),
        Some(after_json),
    );
    let seq = events::append(&mut tx, event, now).await?;
    commit_and_publish(tx, caller, &stage, deal_id, seq, now).await
}

/// The client the drawer names: `client_id` if it is the workspace's or, when
/// `new_client` is given, the client of that name (ignoring case), added now if the
/// workspace has none.
async fn drawer_client(
    tx: &mut Conn,
    caller: &Caller,
    client_id: i64,
    new_client: &str,
    now: i64,
) -> Result<i64, AppError> {
    if new_client.is_empty() {
        if !client_repo::exists(&mut *tx, caller.workspace_id, client_id).await? {
            return Err(AppError::invalid(
                "client",
                "is not a client of this workspace: pick one or type a new client's name",
            ));
        }
        return Ok(client_id);
    }
    match client_repo::by_name(tx, caller.workspace_id, new_client).await? {
        Some((id, _)) => Ok(id),
        None => {
            let created = client_repo::NewClient {
                name: new_client,
                contact_name: "",
                contact_email: "",
            };
            client_service::add_in(tx, caller, created, now).await
        }
    }
}

/// A field error unless every estimate line names one of the workspace's `skills`.
fn check_skills(lines: &[(i64, i64)], skills: &[(i64, String)]) -> Result<(), AppError> {
    if lines
        .iter()
        .any(|(id, _)| !skills.iter().any(|(s, _)| s == id))
    {
        return Err(AppError::invalid(
            "estimate",
            "names a skill this workspace does not have",
        ));
    }
    Ok(())
}

/// The fields an `edited` event records, as its JSON.
fn edited_json(fields: &deal_repo::EditedFields) -> Value {
    json!({
        "title": fields.title, "value_minor": fields.value_minor, "client_id": fields.client_id,
        "owner_user_id": fields.owner_user_id,
        "probability_override_pct": fields.probability_override_pct,
    })
}

/// Estimate lines as an `edited` event records them: skill name to hours as text.
fn estimate_hours(
    skills: &[(i64, String)],
    lines: &[(i64, i64)],
) -> serde_json::Map<String, Value> {
    lines
        .iter()
        .map(|(skill, minutes)| {
            let name = skills
                .iter()
                .find(|(id, _)| id == skill)
                .map(|(_, n)| n.clone())
                .unwrap_or_default();
            (name, json!(validate::hours_text(*minutes)))
        })
        .collect()
}

/// Adds a deal owned by the caller to open stage `stage_id` (quick add): `title`
/// (validated), a client of the workspace and `value` in major units as typed.
pub async fn create(
    caller: &Caller,
    stage_id: i64,
    title: &str,
    client_id: i64,
    value: &str,
) -> Result<DealCard, AppError> {
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write(caller.workspace_id).await?;
    let currency = board_repo::workspace(&mut *tx, caller.workspace_id)
        .await?
        .currency;
    let value_minor = validate::amount("value", value, &Currency::new(&currency))?;
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
        title,
        value_minor,
        stage_id: stage.id,
        owner_user_id: caller.user_id,
    };
    let deal_id = deal_repo::insert(&mut *tx, caller.workspace_id, new_deal, now).await?;
    let after = json!({ "title": title, "value_minor": value_minor, "stage": stage.name });
    let event = deal_event(caller, deal_id, "created", None, Some(after));
    let seq = events::append(&mut tx, event, now).await?;
    commit_and_publish(tx, caller, &stage, deal_id, seq, now).await
}

/// Marks an open deal at `version` lost, with the reason (at most 500 characters), kept
/// on the deal and in its history.
pub async fn mark_lost(
    caller: &Caller,
    deal_id: i64,
    version: i64,
    reason: &str,
) -> Result<DealCard, AppError> {
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write(caller.workspace_id).await?;
    let reason = validate::required_text("reason", reason, 500)?;
    let (_, from) = current_deal(&mut tx, caller, deal_id, version, now).await?;
    pipeline::check_mark_lost(from.kind)?;
    let lost = board_repo::stage_of_kind(&mut tx, caller.workspace_id, StageKind::Lost, false)
        .await?
        .ok_or_else(|| AppError::invalid("stage", "this pipeline has no Lost stage"))?;
    let entry = stage_entry(
        &mut tx,
        caller.workspace_id,
        deal_id,
        from.kind,
        lost.id,
        now,
    )
    .await?;
    deal_repo::mark_lost(
        &mut *tx,
        caller.workspace_id,
        deal_id,
        version,
        entry,
        &reason,
    )
    .await?;
    let before = json!({ "stage": from.name });
    let after = json!({ "stage": lost.name, "reason": reason });
    let event = deal_event(caller, deal_id, "lost", Some(before), Some(after));
    let seq = events::append(&mut tx, event, now).await?;
    commit_and_publish(tx, caller, &lost, deal_id, seq, now).await
}

/// What applying a planner what-if changes of an open deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replan {
    /// Weeks its planned start moves later.
    pub slip_weeks: u32,
    /// Won in the what-if: its probability becomes 100 % (it is not closed: closing
    /// starts the project and runs the checks, in the close dialog).
    pub won: bool,
}

/// Applies a planner what-if to an open deal at `version`: moves its planned start
/// later and, if won in the what-if, sets its probability to 100 %, recording both.
pub async fn replan(
    caller: &Caller,
    deal_id: i64,
    version: i64,
    plan: Replan,
) -> Result<DealCard, AppError> {
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write(caller.workspace_id).await?;
    let (_, stage) = current_deal(&mut tx, caller, deal_id, version, now).await?;
    if stage.kind != StageKind::Open {
        return Err(AppError::invalid(
            "stage",
            "only an open deal changes in a what-if",
        ));
    }
    let before = deal_repo::plan(&mut *tx, caller.workspace_id, deal_id).await?;
    let start = match (plan.slip_weeks, before.planned_start_on.as_deref()) {
        (0, start) => start.map(str::to_string),
        (weeks, Some(start)) => Some(
            crate::domain::calendar::Date::parse(start)
                .ok_or_else(|| {
                    tracing::error!(deal_id, start, "a stored planned start is not a date");
                    AppError::Internal
                })?
                .add_days(7 * weeks as i32)
                .to_string(),
        ),
        (_, None) => {
            return Err(AppError::invalid(
                "planned_start_on",
                "the deal has no planned start to move",
            ))
        }
    };
    let after = deal_repo::Plan {
        planned_start_on: start,
        probability_override_pct: if plan.won {
            Some(100)
        } else {
            before.probability_override_pct
        },
    };
    deal_repo::set_plan(&mut *tx, caller.workspace_id, deal_id, version, &after, now).await?;
    let event = deal_event(
        caller,
        deal_id,
        "what_if_applied",
        Some(plan_json(&before)),
        Some(plan_json(&after)),
    );
    let seq = events::append(&mut tx, event, now).await?;
    commit_and_publish(tx, caller, &stage, deal_id, seq, now).await
}

/// A deal's plan as its `what_if_applied` event records it.
fn plan_json(plan: &deal_repo::Plan) -> Value {
    json!({
        "planned_start_on": plan.planned_start_on,
        "probability_override_pct": plan.probability_override_pct,
    })
}

/// Takes a deal at `version` off the board (archived, kept with its history) and tells
/// every board to drop its card.
pub async fn archive(caller: &Caller, deal_id: i64, version: i64) -> Result<(), AppError> {
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.db.write(caller.workspace_id).await?;
    current_deal(&mut tx, caller, deal_id, version, now).await?;
    deal_repo::archive(&mut *tx, caller.workspace_id, deal_id, version, now).await?;
    let event = deal_event(caller, deal_id, "archived", None, None);
    let seq = events::append(&mut tx, event, now).await?;
    tx.commit().await?;
    state
        .live
        .publish(caller.workspace_id, LiveEvent::DealRemoved { seq, deal_id });
    Ok(())
}

/// Deal `deal_id`, now in a stage of kind `from`, entering stage `to_stage_id` at `now`:
/// with its progress after the move (`pipeline::Progress::entering`, the stages compared
/// where the pipeline has them now).
pub async fn stage_entry(
    conn: &mut Conn,
    workspace_id: i64,
    deal_id: i64,
    from: StageKind,
    to_stage_id: i64,
    now: i64,
) -> Result<deal_repo::StageEntry, AppError> {
    let progress = deal_repo::progress(&mut *conn, workspace_id, deal_id).await?;
    let to = board_repo::place(&mut *conn, workspace_id, to_stage_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(deal_repo::StageEntry {
        stage_id: to.id,
        at: now,
        progress: progress.entering(from, to, now),
    })
}

/// The event of the caller's change `action` to deal `deal_id`.
fn deal_event(
    caller: &Caller,
    deal_id: i64,
    action: &'static str,
    before: Option<Value>,
    after: Option<Value>,
) -> events::NewEvent<'static> {
    events::NewEvent {
        workspace_id: caller.workspace_id,
        actor_user_id: Some(caller.user_id),
        entity: "deal",
        entity_id: deal_id,
        action,
        before,
        after,
    }
}

/// The deal as it is now, with its stage, if it still has `version`; otherwise the
/// conflict that carries it (as the caller may see it).
pub async fn current_deal(
    conn: &mut Conn,
    caller: &Caller,
    deal_id: i64,
    version: i64,
    now: i64,
) -> Result<
    (
        crate::shared::board::BoardDealRow,
        crate::shared::board::StageSummary,
    ),
    AppError,
> {
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
pub async fn commit_and_publish(
    mut tx: sqlx::Transaction<'_, crate::server::db::Db>,
    caller: &Caller,
    stage: &crate::shared::board::StageSummary,
    deal_id: i64,
    seq: i64,
    now: i64,
) -> Result<DealCard, AppError> {
    let row = board_repo::board_deal(&mut *tx, caller.workspace_id, deal_id)
        .await?
        .ok_or(AppError::Internal)?;
    tx.commit().await?;
    let state = context::state()?;
    let mut card = DealCard::from_row(stage, row, now);
    // Other browsers see the change at once, with the badge the server remembers for the
    // deal: working the badge out may wait for the team's capacity to be re-read after
    // someone else's change, and the move must not wait for that.
    card.fit = state.capacity.remembered_fit(caller.workspace_id, deal_id);
    let published = card.fit;
    state.live.publish(
        caller.workspace_id,
        LiveEvent::Deal {
            seq,
            card: card.clone(),
        },
    );
    // The write is committed: a badge that cannot be computed now is left as it was (the
    // next board load has it) rather than turning a done change into an error.
    card.fit = match fit_of(caller.workspace_id, deal_id, now).await {
        Ok(fit) => fit,
        Err(err) => {
            tracing::warn!(?err, deal_id, "capacity badge after a committed change");
            published
        }
    };
    if card.fit != published {
        // The badge moved: the same event again, with it.
        state.live.publish(
            caller.workspace_id,
            LiveEvent::Deal {
                seq,
                card: card.clone(),
            },
        );
    }
    Ok(mask(card, caller.can(Permission::ViewDealValues)))
}

/// The capacity-fit badge of one open deal, read on a connection of its own.
async fn fit_of(
    workspace_id: i64,
    deal_id: i64,
    now: i64,
) -> Result<Option<crate::domain::capacity::CapacityVerdict>, AppError> {
    let first_week = context::calendar()?.this_week(now);
    let mut conn = context::read().await?;
    Ok(context::state()?
        .capacity
        .fits(&mut conn, workspace_id, Some(deal_id), first_week)
        .await?
        .first()
        .map(|(_, verdict)| *verdict))
}

/// The card without its value for callers who may not see values.
pub fn mask(card: DealCard, may_see_values: bool) -> DealCard {
    if may_see_values {
        card
    } else {
        DealCard {
            value_minor: None,
            ..card
        }
    }
}
