//! Reusable view pieces.

pub mod board_column;
pub mod close_dialog;
pub mod deal_card;
pub mod deal_drawer;
pub mod project_panels;
