//! What the live stream (`GET /api/live`, server-sent events) carries.

pub use crate::shared::live::*;
