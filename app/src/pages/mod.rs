//! Routed pages.

pub mod audit;
pub mod bench;
pub mod capacity;
pub mod clients;
pub mod dashboard;
pub mod data;
pub mod invite;
pub mod login;
pub mod not_found;
pub mod pipeline;
pub mod projects;
pub mod roles;
pub mod share;
pub mod time;
pub mod users;
pub mod workspace;
