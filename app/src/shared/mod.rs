//! Types that cross the wire between the browser and the server (serde only), and the
//! pure helpers both sides use on them. They name nothing above `domain/`: the server's
//! services and repositories answer them, server functions return them, pages show them.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod board;
pub mod client;
pub mod close;
pub mod dashboard;
pub mod deal;
#[cfg(feature = "ssr")]
pub mod flag;
pub mod import;
pub mod live;
pub mod planner;
pub mod project;
pub mod time;
pub mod workspace;
