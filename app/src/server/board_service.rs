//! The pipeline board as a caller may see it.

use crate::domain::money::Currency;
use crate::error::AppError;
use crate::server::board_repo;
use crate::server::context::{self, Caller};
use crate::shared::board::Board;

/// The caller's workspace's board: stages as columns, live deals as cards with their
/// capacity fit, column totals, the clients for quick add, and the event number it was
/// read at (a change committed while the cards load is replayed to the browser). Values
/// and totals are left out for callers who may not see deal values.
pub async fn board(caller: &Caller) -> Result<Board, AppError> {
    let state = context::state()?;
    let mut conn = context::read().await?;
    // Read the event number first: a change committed while the cards load is replayed.
    let seq = board_repo::latest_seq(&mut *conn, caller.workspace_id).await?;
    let workspace = board_repo::workspace(&mut *conn, caller.workspace_id).await?;
    let rows = state.boards.rows(&mut conn, caller.workspace_id).await?;
    let now = context::now_ms();
    let mut board = Board::assemble(
        workspace.name,
        Currency::new(&workspace.currency),
        rows.stages.clone(),
        rows.deals.clone(),
        now,
    )?;
    board.seq = seq;
    let fits: std::collections::HashMap<_, _> = state
        .capacity
        .fits(
            &mut conn,
            caller.workspace_id,
            None,
            context::calendar()?.this_week(now),
        )
        .await?
        .into_iter()
        .collect();
    for column in &mut board.columns {
        for card in &mut column.cards {
            card.fit = fits.get(&card.id).copied();
        }
    }
    board.clients = rows.clients.clone();
    board.rights = crate::shared::board::DealRights::of(caller.permissions);
    if !caller.permissions.sees_values() {
        board.hide_values();
    }
    Ok(board)
}
