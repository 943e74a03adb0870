//! The pipeline board: stages as columns, deals as cards, with column totals.

pub use crate::shared::board::*;

#[cfg(feature = "ssr")]
use crate::domain::money::Currency;
use crate::error::AppError;
use leptos::prelude::*;

/// The caller's workspace's pipeline board. Needs "view pipeline"; values and totals are
/// left out for callers without "view deal values".
#[server(endpoint = "list_board")]
pub async fn list_board() -> Result<Board, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{board_repo, context};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    let mut conn = context::read().await?;
    // Read the event number first: a change committed while the cards load is replayed.
    let seq = board_repo::latest_seq(&mut *conn, caller.workspace_id).await?;
    let workspace = board_repo::workspace(&mut *conn, caller.workspace_id).await?;
    let rows = context::state()?
        .boards
        .rows(&mut conn, caller.workspace_id)
        .await?;
    let mut board = Board::assemble(
        workspace.name,
        Currency::new(&workspace.currency),
        rows.stages.clone(),
        rows.deals.clone(),
        context::now_ms(),
    )?;
    board.seq = seq;
    let fits: std::collections::HashMap<_, _> = context::state()?
        .capacity
        .fits(&mut conn, caller.workspace_id, None, context::now_ms())
        .await?
        .into_iter()
        .collect();
    for column in &mut board.columns {
        for card in &mut column.cards {
            card.fit = fits.get(&card.id).copied();
        }
    }
    board.clients = rows.clients.clone();
    if !caller.can(Permission::ViewDealValues) {
        board.hide_values();
    }
    Ok(board)
}
