//! Server functions, one domain per file. Each is a public API under `/api/<name>`:
//! it authorizes the caller from the session, scopes every query to the caller's
//! workspace, validates its input, and answers with an
//! [`AppError`](crate::error::AppError) a user can act on.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod board;
pub mod changes;
pub mod clients;
pub mod close;
pub mod csv;
pub mod dashboard;
pub mod deals;
pub mod live;
pub mod planner;
pub mod projects;
pub mod time;
pub mod updates;
pub mod workspace;
