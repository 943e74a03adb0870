//! A workspace's settings as they cross the wire: its calendar (time zone, week start).

use crate::domain::calendar::{Today, WeekStart};
use serde::{Deserialize, Serialize};

/// The workspace settings page: what it shows and what may be changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceSettings {
    /// The workspace's name.
    pub name: String,
    /// Its currency code.
    pub currency: String,
    /// Its time zone, an IANA name such as `Europe/Berlin`.
    pub time_zone: String,
    /// The day its weeks start on.
    pub week_start: WeekStart,
    /// Today there (by the server's clock), and the week start.
    pub today: Today,
    /// The local time there now, `YYYY-MM-DD HH:MM`.
    pub local_time: String,
    /// Every time zone that may be chosen.
    pub zones: Vec<String>,
    /// The row's version, sent back with a change.
    pub version: i64,
}
