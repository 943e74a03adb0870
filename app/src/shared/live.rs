//! What the live stream (`GET /api/live`, server-sent events) carries.

use crate::shared::board::DealCard;
use serde::{Deserialize, Serialize};

/// One message on the live stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LiveEvent {
    /// A deal was created or changed: here it is now. `seq` is the workspace's event number.
    Deal {
        /// The event's sequence number.
        seq: i64,
        /// The deal as the board shows it (values removed for viewers who may not see them).
        card: DealCard,
    },
    /// A deal left the board (archived).
    DealRemoved {
        /// The event's sequence number.
        seq: i64,
        /// Which deal.
        deal_id: i64,
    },
    /// Projects were created, changed or removed: lists of projects load again (through
    /// their permission-checked server functions; nothing about them travels here).
    Projects {
        /// The event's sequence number.
        seq: i64,
    },
    /// Allocations or time off changed: planners load their grid again.
    Capacity {
        /// The event's sequence number.
        seq: i64,
    },
    /// Too much was missed: load the board again.
    Reset {
        /// The latest sequence number.
        seq: i64,
    },
    /// Who has the board open.
    Presence {
        /// Their names.
        viewers: Vec<String>,
    },
    /// The stream's session ended (signed out, expired, the user deactivated) or no longer
    /// allows the board: the stream ends here and the page goes to sign-in.
    SignedOut,
}

impl LiveEvent {
    /// The sequence number, for events that change data.
    pub fn seq(&self) -> Option<i64> {
        match self {
            Self::Deal { seq, .. }
            | Self::DealRemoved { seq, .. }
            | Self::Projects { seq }
            | Self::Capacity { seq }
            | Self::Reset { seq } => Some(*seq),
            Self::Presence { .. } | Self::SignedOut => None,
        }
    }

    /// The event as one viewer may see it.
    pub fn masked(&self, may_see_values: bool) -> Self {
        match self {
            Self::Deal { seq, card } if !may_see_values => Self::Deal {
                seq: *seq,
                card: DealCard {
                    value_minor: None,
                    ..card.clone()
                },
            },
            other => other.clone(),
        }
    }
}
