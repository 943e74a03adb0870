//! Reusable view pieces.

pub mod board_column;
pub mod deal_card;
pub mod deal_drawer;
