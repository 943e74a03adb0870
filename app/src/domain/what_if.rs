//! A planner what-if: open deals marked won or lost, or slipped by whole weeks, tried
//! privately in the browser. The scenario is only ever in the browser's memory; the
//! planner recomputes its numbers and odds from it with the same code as the server
//! (`planner::summarise`, `odds::odds`). Applying it writes each deal on its own
//! (`planner_service::apply_what_if`):
//!
//! - **slipped**: the deal's planned start moves later by that many weeks (its
//!   allocations stay where they are);
//! - **won**: the deal's probability is set to 100 % — the deal is not closed (closing
//!   starts its project and runs the checks: that is the close dialog's job);
//! - **lost**: the deal is marked lost with the reason [`LOST_REASON`]; a slip of a lost
//!   deal is moot and not written.

use crate::domain::planner::DealDemand;
use crate::domain::DomainError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The longest slip a what-if offers, in weeks.
pub const MAX_SLIP_WEEKS: u32 = 12;

/// The most deals one apply writes.
pub const MAX_CHANGES: usize = 200;

/// The reason a deal marked lost in a what-if is lost with.
pub const LOST_REASON: &str = "Lost (planner what-if)";

/// What a what-if says of a deal's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Still open, at its probability.
    Open,
    /// Won (probability 100 %).
    Won,
    /// Lost (gone from the pipeline).
    Lost,
}

impl Outcome {
    /// The wire spelling: `open`, `won`, `lost`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Won => "won",
            Self::Lost => "lost",
        }
    }

    /// From the wire spelling.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "open" => Some(Self::Open),
            "won" => Some(Self::Won),
            "lost" => Some(Self::Lost),
            _ => None,
        }
    }
}

/// One deal's change in a what-if, at the version of the deal it was made against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealChange {
    /// The deal.
    pub deal_id: i64,
    /// The deal's version when the change was made: applying it fails if the deal has
    /// changed since.
    pub version: i64,
    /// Won, lost or still open.
    pub outcome: Outcome,
    /// Weeks the planned start moves later (0 to [`MAX_SLIP_WEEKS`]).
    pub slip_weeks: u32,
}

impl DealChange {
    /// Whether the change changes nothing (open, not slipped).
    pub fn is_noop(&self) -> bool {
        self.outcome == Outcome::Open && self.slip_weeks == 0
    }

    /// The weeks the planned start moves when applied (none for a lost deal).
    pub fn effective_slip(&self) -> u32 {
        if self.outcome == Outcome::Lost {
            0
        } else {
            self.slip_weeks
        }
    }
}

/// A what-if: at most one change per deal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    changes: BTreeMap<i64, DealChange>,
}

impl Scenario {
    /// Whether nothing is changed.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// How many deals are changed.
    pub fn len(&self) -> usize {
        self.changes.len()
    }

    /// The change of `deal_id`, if any.
    pub fn get(&self, deal_id: i64) -> Option<&DealChange> {
        self.changes.get(&deal_id)
    }

    /// The changes, by deal id.
    pub fn changes(&self) -> impl Iterator<Item = &DealChange> {
        self.changes.values()
    }

    /// Sets a deal's change (one that changes nothing removes it); answers whether
    /// there was room (at most [`MAX_CHANGES`] deals, slips up to
    /// [`MAX_SLIP_WEEKS`]).
    pub fn set(&mut self, change: DealChange) -> bool {
        if change.is_noop() {
            self.changes.remove(&change.deal_id);
            return true;
        }
        if change.slip_weeks > MAX_SLIP_WEEKS
            || (self.changes.len() >= MAX_CHANGES && !self.changes.contains_key(&change.deal_id))
        {
            return false;
        }
        self.changes.insert(change.deal_id, change);
        true
    }

    /// Forgets a deal's change.
    pub fn remove(&mut self, deal_id: i64) {
        self.changes.remove(&deal_id);
    }

    /// Keeps only the changes `keep` says to keep.
    pub fn retain(&mut self, mut keep: impl FnMut(&DealChange) -> bool) {
        self.changes.retain(|_, c| keep(c));
    }

    /// The open deals as the what-if has them: won ones at 100 %, lost ones gone,
    /// slipped ones starting later; in the same order.
    pub fn apply<'a>(&self, deals: impl IntoIterator<Item = &'a DealDemand>) -> Vec<DealDemand> {
        deals
            .into_iter()
            .filter_map(|d| match self.changes.get(&d.deal_id) {
                None => Some(d.clone()),
                Some(c) if c.outcome == Outcome::Lost => None,
                Some(c) => Some(DealDemand {
                    probability_pct: if c.outcome == Outcome::Won {
                        100
                    } else {
                        d.probability_pct
                    },
                    start_week: d.start_week + i64::from(c.slip_weeks),
                    ..d.clone()
                }),
            })
            .collect()
    }

    /// The changes as the apply server function takes them: `deal:version:outcome:weeks`
    /// for each, separated by commas.
    pub fn to_text(&self) -> String {
        self.changes
            .values()
            .map(|c| {
                format!(
                    "{}:{}:{}:{}",
                    c.deal_id,
                    c.version,
                    c.outcome.as_str(),
                    c.slip_weeks
                )
            })
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The changes typed into `field` as [`Scenario::to_text`] writes them; a field error
/// for anything else, for a deal named twice, a change that changes nothing, a slip
/// past [`MAX_SLIP_WEEKS`] or more than [`MAX_CHANGES`] deals.
pub fn parse_changes(field: &str, text: &str) -> Result<Vec<DealChange>, DomainError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let mut out: Vec<DealChange> = Vec::new();
    for part in text.split(',') {
        let bad = || {
            DomainError::out_of_range(
                field,
                "must be deal:version:open|won|lost:weeks, separated by commas",
            )
        };
        let pieces: Vec<&str> = part.trim().split(':').collect();
        let [deal, version, outcome, weeks] = pieces.as_slice() else {
            return Err(bad());
        };
        let change = DealChange {
            deal_id: deal.parse().map_err(|_| bad())?,
            version: version.parse().map_err(|_| bad())?,
            outcome: Outcome::parse(outcome).ok_or_else(bad)?,
            slip_weeks: weeks.parse().map_err(|_| bad())?,
        };
        if change.slip_weeks > MAX_SLIP_WEEKS {
            return Err(DomainError::out_of_range(
                field,
                format!("a deal slips 0 to {MAX_SLIP_WEEKS} weeks"),
            ));
        }
        if change.is_noop() {
            return Err(DomainError::out_of_range(
                field,
                "names a deal without changing it",
            ));
        }
        if out.iter().any(|c| c.deal_id == change.deal_id) {
            return Err(DomainError::out_of_range(field, "names a deal twice"));
        }
        out.push(change);
        if out.len() > MAX_CHANGES {
            return Err(DomainError::out_of_range(
                field,
                format!("at most {MAX_CHANGES} deals at once"),
            ));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn deal(id: i64, pct: i64, start: i64) -> DealDemand {
        DealDemand {
            deal_id: id,
            probability_pct: pct,
            start_week: start,
            weeks: 4,
            lines: vec![(1, 600)],
        }
    }

    fn change(deal_id: i64, outcome: Outcome, slip_weeks: u32) -> DealChange {
        DealChange {
            deal_id,
            version: 3,
            outcome,
            slip_weeks,
        }
    }

    #[test]
    fn won_lost_and_slipped_deals_as_the_what_if_has_them() {
        let deals = [
            deal(1, 40, 0),
            deal(2, 25, 2),
            deal(3, 75, -1),
            deal(4, 10, 5),
        ];
        let mut s = Scenario::default();
        assert!(s.set(change(1, Outcome::Won, 0)));
        assert!(s.set(change(2, Outcome::Lost, 3)));
        assert!(s.set(change(3, Outcome::Open, 2)));
        assert!(s.set(change(4, Outcome::Won, 1)));
        let after = s.apply(&deals);
        let seen: Vec<(i64, i64, i64)> = after
            .iter()
            .map(|d| (d.deal_id, d.probability_pct, d.start_week))
            .collect();
        assert_eq!(seen, vec![(1, 100, 0), (3, 75, 1), (4, 100, 6)]);
        // Setting a deal back to as planned forgets it.
        assert!(s.set(change(3, Outcome::Open, 0)));
        assert_eq!(s.len(), 3);
        assert!(s.get(3).is_none());
        assert!(!s.set(change(5, Outcome::Open, MAX_SLIP_WEEKS + 1)));
        assert_eq!(s.get(2).map(DealChange::effective_slip), Some(0));
        assert_eq!(s.get(4).map(DealChange::effective_slip), Some(1));
    }

    #[test]
    fn a_scenario_has_room_for_a_bounded_number_of_deals() {
        let mut s = Scenario::default();
        for id in 0..MAX_CHANGES as i64 {
            assert!(s.set(change(id, Outcome::Won, 0)));
        }
        assert!(!s.set(change(-1, Outcome::Won, 0)));
        assert!(
            s.set(change(0, Outcome::Lost, 0)),
            "changing one already in"
        );
    }

    #[test]
    fn the_wire_text_names_the_field_when_wrong() {
        assert_eq!(parse_changes("changes", " "), Ok(vec![]));
        assert_eq!(
            parse_changes("changes", "12:3:won:0, 15:7:lost:0,20:1:open:2"),
            Ok(vec![
                DealChange {
                    deal_id: 12,
                    version: 3,
                    outcome: Outcome::Won,
                    slip_weeks: 0
                },
                DealChange {
                    deal_id: 15,
                    version: 7,
                    outcome: Outcome::Lost,
                    slip_weeks: 0
                },
                DealChange {
                    deal_id: 20,
                    version: 1,
                    outcome: Outcome::Open,
                    slip_weeks: 2
                },
            ])
        );
        for bad in [
            "12",
            "12:3:won",
            "12:3:maybe:0",
            "x:3:won:0",
            "12:3:won:-1",
            "12:3:won:13",
            "12:3:open:0",
            "12:3:won:0,12:3:lost:0",
            "12:3:won:0:1",
            "12:3:won:0,",
        ] {
            let err = parse_changes("changes", bad).unwrap_err();
            assert!(
                matches!(&err, DomainError::OutOfRange { field, .. } if field == "changes"),
                "{bad}: {err:?}"
            );
        }
        let many: Vec<String> = (0..=MAX_CHANGES).map(|i| format!("{i}:1:won:0")).collect();
        assert!(parse_changes("changes", &many.join(",")).is_err());
    }

    proptest! {
        #[test]
        fn the_text_reads_back_as_the_scenario(
            changes in proptest::collection::vec((0_i64..1_000, 0_i64..50, 0_u8..3, 0_u32..=MAX_SLIP_WEEKS), 0..30)
        ) {
            let mut s = Scenario::default();
            for (id, version, outcome, slip) in changes {
                let outcome = [Outcome::Open, Outcome::Won, Outcome::Lost][outcome as usize];
                s.set(DealChange { deal_id: id, version, outcome, slip_weeks: slip });
            }
            let read = parse_changes("changes", &s.to_text()).unwrap();
            prop_assert_eq!(read, s.changes().copied().collect::<Vec<_>>());
        }
    }
}
