//! Baton's business rules in pure Rust: no leptos, no sqlx, no cfg.
//!
//! The browser runs these for instant previews; the server runs the same code to decide.
//! Everything here compiles to `wasm32-unknown-unknown` and natively, and uses integers
//! only: money in minor units (`i64`), durations in minutes, dates as day numbers.

pub mod burn;
pub mod calendar;
pub mod capacity;
pub mod change;
pub mod close;
pub mod csv;
pub mod dashboard;
pub mod margin;
pub mod money;
pub mod odds;
pub mod overrides;
pub mod permissions;
pub mod pipeline;
pub mod planner;
pub mod project;
pub mod rng;
pub mod sample;
pub mod validate;
pub mod what_if;

use serde::{Deserialize, Serialize};

/// What can go wrong in a domain computation. Nothing here panics on user input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum DomainError {
    /// A sum or product left the range Baton supports (about ±9.2 × 10^18 minor units).
    #[error("the amount is too large to compute")]
    Overflow,
    /// A value outside its allowed range, naming the field.
    #[error("{field}: {reason}")]
    OutOfRange {
        /// The input field at fault.
        field: String,
        /// A sentence a user can act on.
        reason: String,
    },
    /// The caller's role does not allow this.
    #[error("not allowed")]
    NotAllowed,
}

impl DomainError {
    /// A field error: `field` and a sentence a user can act on.
    pub fn out_of_range(field: &str, reason: impl Into<String>) -> Self {
        Self::OutOfRange {
            field: field.to_string(),
            reason: reason.into(),
        }
    }
}
