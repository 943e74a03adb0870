//! The audit trail as it crosses the wire: its events and a page of them.

use serde::{Deserialize, Serialize};

/// One event as the audit page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AuditEntry {
    /// The event's sequence number in the workspace.
    pub seq: i64,
    /// When, Unix ms.
    pub created_at: i64,
    /// Who acted, if a user did.
    pub actor_name: Option<String>,
    /// What kind of thing changed.
    pub entity: String,
    /// Which one.
    pub entity_id: i64,
    /// What happened.
    pub action: String,
    /// The changed fields before (JSON), with money the viewer may not see removed.
    pub before_json: Option<String>,
    /// The changed fields after (JSON), likewise.
    pub after_json: Option<String>,
}

/// A page of the audit trail and what it can be filtered by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    /// Events, newest first.
    pub entries: Vec<AuditEntry>,
    /// Users who appear as actors: (id, name).
    pub actors: Vec<(i64, String)>,
    /// Entity kinds that appear.
    pub entities: Vec<String>,
    /// Pass as `before_seq` for the next (older) page, if there is one.
    pub next_before_seq: Option<i64>,
    /// The workspace's offsets from UTC over the page's events: they show in local time.
    pub offsets: crate::domain::calendar::UtcOffsets,
}
