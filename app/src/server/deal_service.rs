//! The steps every deal change shares: read the deal at the caller's version (or the
//! conflict that carries it), commit and announce the changed card to every board, and
//! hide values from callers who may not see them.

use crate::error::AppError;
use crate::shared::board::DealCard;

/// The deal as it is now, with its stage, if it still has `version`; otherwise the
/// conflict that carries it (as the caller may see it).
pub async fn current_deal(
    conn: &mut sqlx::SqliteConnection,
    caller: &crate::server::context::Caller,
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
pub async fn commit_and_publish(
    mut tx: sqlx::Transaction<'_, sqlx::Sqlite>,
    caller: &crate::server::context::Caller,
    stage: &crate::shared::board::StageSummary,
    deal_id: i64,
    seq: i64,
    now: i64,
) -> Result<DealCard, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{board_repo, context};
    use crate::shared::live::LiveEvent;

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
    let mut conn = crate::server::context::read().await?;
    Ok(crate::server::context::state()?
        .capacity
        .fits(&mut conn, workspace_id, Some(deal_id), now)
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
