//! The pipeline board: stages as columns, deals as cards, with column totals.

pub use crate::shared::board::*;

use crate::error::AppError;
use leptos::prelude::*;

/// The caller's workspace's pipeline board. Needs "view pipeline"; values and totals are
/// left out for callers without "view deal values".
#[server(endpoint = "list_board")]
pub async fn list_board() -> Result<Board, AppError> {
    use crate::domain::permissions::Permission;
    use crate::server::{board_service, context};

    let caller = context::caller_with(Permission::ViewPipeline).await?;
    board_service::board(&caller).await
}
