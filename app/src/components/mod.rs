//! Reusable view pieces.

pub mod board_column;
pub mod board_state;
pub mod close_dialog;
pub mod deal_card;
pub mod deal_drawer;
pub mod errors;
pub mod planner_panels;
pub mod project_panels;
pub mod what_if;
