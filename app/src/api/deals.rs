//! Changing deals on the board. Every change is version-checked, written with its event in
//! one transaction, and pushed live to every browser of the workspace after commit.

use crate::api::board::DealCard;
use crate::error::AppError;
use leptos::prelude::*;

/// Moves a deal to another open stage (or reopens a lost one). Winning goes through
/// closing, which checks capacity and margin; losing needs a reason.
#[server(endpoint = "move_deal")]
pub async fn move_deal(deal_id: i64, stage_id: i64, version: i64) -> Result<DealCard, AppError> {
    use crate::api::live::LiveEvent;
    use crate::domain::permissions::Permission;
    use crate::server::{board_repo, context, events};

    let caller = context::caller_with(Permission::EditDeals).await?;
    let state = context::state()?;
    let now = context::now_ms();
    let mut tx = state.pool.begin().await?;
    let row = board_repo::board_deal(&mut *tx, caller.workspace_id, deal_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let from = board_repo::stage(&mut *tx, caller.workspace_id, row.stage_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let to = board_repo::stage(&mut *tx, caller.workspace_id, stage_id)
        .await?
        .ok_or_else(|| AppError::invalid("stage", "is not a stage of this pipeline"))?;
    if row.version != version {
        let current = DealCard::from_row(&from, row, now);
        return Err(AppError::DealChanged {
            current: Box::new(mask(current, caller.can(Permission::ViewDealValues))),
        });
    }
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
    let row = board_repo::board_deal(&mut *tx, caller.workspace_id, deal_id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    let card = DealCard::from_row(&to, row, now);
    state.live.publish(
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
