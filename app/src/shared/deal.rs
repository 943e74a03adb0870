//! A deal as its drawer crosses the wire: the brief, the estimate by skill, and the
//! history of changes, ready to show.

use crate::domain::calendar::UtcOffsets;
use crate::domain::pipeline::StageKind;
use crate::shared::board::DealCard;
use serde::{Deserialize, Serialize};

/// Everything the deal drawer shows and edits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealDetail {
    /// The deal as its card shows it.
    pub card: DealCard,
    /// Its stage's kind: `open`, `won` or `lost`.
    pub stage_kind: StageKind,
    /// Probability override in percent, if any.
    pub probability_override_pct: Option<i64>,
    /// Planned start, `YYYY-MM-DD`.
    pub planned_start_on: Option<String>,
    /// Planned length in weeks.
    pub planned_weeks: i64,
    /// The brief: goals.
    pub brief_goals: String,
    /// The brief: priorities.
    pub brief_priorities: String,
    /// The brief: context.
    pub brief_context: String,
    /// Notes.
    pub notes: String,
    /// Why it was lost, if it was.
    pub lost_reason: Option<String>,
    /// Estimate: one line per skill of the workspace (0 minutes where none is estimated).
    pub estimate: Vec<EstimateLine>,
    /// History, newest first.
    pub activity: Vec<Activity>,
    /// The workspace's offsets from UTC over the history: it is dated in local time.
    pub offsets: UtcOffsets,
    /// Clients to choose from: (id, name).
    pub clients: Vec<(i64, String)>,
    /// Owners to choose from: (id, name).
    pub owners: Vec<(i64, String)>,
    /// What the viewer may do with it: the drawer shows only the controls they can use.
    #[serde(default)]
    pub rights: crate::shared::board::DealRights,
}

/// The estimated time of one skill on a deal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct EstimateLine {
    /// The skill's id (the drawer's field is `estimate[<skill_id>]`).
    pub skill_id: i64,
    /// The skill's name.
    pub skill: String,
    /// Estimated minutes, 0 for none.
    pub minutes: i64,
}

/// One entry of a deal's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    /// When, Unix ms.
    pub created_at: i64,
    /// Who.
    pub actor_name: Option<String>,
    /// What happened.
    pub action: String,
    /// What changed, field by field, as the caller may see it.
    pub changes: Vec<Change>,
}

/// One field of a change: its label, and its value before and after, ready to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The field, e.g. "Stage", "Value".
    pub field: String,
    /// Before ("" when it did not exist).
    pub from: String,
    /// After.
    pub to: String,
}
