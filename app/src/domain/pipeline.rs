//! Pipeline maths for the board: probabilities, weighted values, column totals, rotting.

use super::calendar::MS_PER_DAY;
use super::DomainError;
use serde::{Deserialize, Serialize};

/// What a stage means for the deals in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StageKind {
    /// Still being worked: counts in the weighted pipeline.
    Open,
    /// Closed won: the deal has (or will have) its project.
    Won,
    /// Closed lost.
    Lost,
}

impl StageKind {
    /// The kind stored in the database (`open`, `won`, `lost`).
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "open" => Some(Self::Open),
            "won" => Some(Self::Won),
            "lost" => Some(Self::Lost),
            _ => None,
        }
    }

    /// The database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Won => "won",
            Self::Lost => "lost",
        }
    }
}

impl TryFrom<String> for StageKind {
    type Error = String;

    /// The stored spelling back to the kind (rows read straight from the database).
    fn try_from(text: String) -> Result<Self, Self::Error> {
        Self::parse(&text).ok_or_else(|| format!("unknown stage kind {text:?}"))
    }
}

/// Whether a deal may be dragged from a stage of kind `from` to one of kind `to` on the
/// board. Winning goes through the close (capacity and margin), losing through "mark
/// lost" with a reason, and a won deal is reopened from its project; open stages move
/// freely among themselves, and a lost deal may be dragged back into play.
pub fn check_move(from: StageKind, to: StageKind) -> Result<(), DomainError> {
    let refuse = |reason: &str| Err(DomainError::out_of_range("stage", reason));
    match (from, to) {
        (_, StageKind::Won) => {
            refuse("win a deal with Close: it checks capacity and margin and creates the project")
        }
        (_, StageKind::Lost) => refuse("mark the deal lost with a reason"),
        (StageKind::Won, _) => refuse("a won deal is reopened from its project"),
        (StageKind::Open | StageKind::Lost, StageKind::Open) => Ok(()),
    }
}

/// Whether a deal in a stage of kind `from` may be marked lost.
pub fn check_mark_lost(from: StageKind) -> Result<(), DomainError> {
    match from {
        StageKind::Open => Ok(()),
        _ => Err(DomainError::out_of_range(
            "stage",
            "only an open deal can be marked lost",
        )),
    }
}

/// A deal's win probability in percent: its override if set, else its stage's.
/// Won deals are certain and lost deals worthless, whatever was set.
pub fn effective_probability(kind: StageKind, stage_pct: i64, override_pct: Option<i64>) -> i64 {
    match kind {
        StageKind::Won => 100,
        StageKind::Lost => 0,
        StageKind::Open => override_pct.unwrap_or(stage_pct).clamp(0, 100),
    }
}

/// Value × probability, in minor units, rounded half up.
pub fn weighted_value(value_minor: i64, probability_pct: i64) -> Result<i64, DomainError> {
    if !(0..=100).contains(&probability_pct) {
        return Err(DomainError::OutOfRange {
            field: "probability".into(),
            reason: "must be between 0 and 100".into(),
        });
    }
    let product = i128::from(value_minor) * i128::from(probability_pct);
    let rounded = if product >= 0 {
        (product + 50) / 100
    } else {
        (product - 50) / 100
    };
    i64::try_from(rounded).map_err(|_| DomainError::Overflow)
}

/// The header figures of one board column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnTotals {
    /// Number of deals in the column.
    pub count: i64,
    /// Sum of the deals' values, minor units.
    pub value_minor: i64,
    /// Sum of each deal's value × probability, minor units.
    pub weighted_minor: i64,
}

impl ColumnTotals {
    /// Adds one deal of `value_minor` at `probability_pct`.
    pub fn add(&mut self, value_minor: i64, probability_pct: i64) -> Result<(), DomainError> {
        let weighted = weighted_value(value_minor, probability_pct)?;
        self.count += 1;
        self.value_minor = self
            .value_minor
            .checked_add(value_minor)
            .ok_or(DomainError::Overflow)?;
        self.weighted_minor = self
            .weighted_minor
            .checked_add(weighted)
            .ok_or(DomainError::Overflow)?;
        Ok(())
    }

    /// Totals of `(value_minor, probability_pct)` pairs.
    pub fn of(deals: impl IntoIterator<Item = (i64, i64)>) -> Result<Self, DomainError> {
        let mut totals = Self::default();
        for (value, pct) in deals {
            totals.add(value, pct)?;
        }
        Ok(totals)
    }
}

/// Whole days a deal has been in its stage at `now_ms` (never negative).
pub fn days_in_stage(entered_at_ms: i64, now_ms: i64) -> i64 {
    (now_ms.saturating_sub(entered_at_ms)).max(0) / MS_PER_DAY
}

/// Whole days at `now_ms` since a deal last made progress (see [`Progress`]), never fewer
/// than its days in its stage: progress happens only as a stage is entered.
pub fn days_without_progress(progressed_at_ms: i64, entered_at_ms: i64, now_ms: i64) -> i64 {
    days_in_stage(progressed_at_ms.min(entered_at_ms), now_ms)
}

/// Whether a deal in an open stage has gone without progress for longer than the stage
/// allows (`days_stalled` from [`days_without_progress`]). Moving it back and forth does
/// not reset this clock, so a bounce cannot hide a rotting deal.
pub fn is_rotting(kind: StageKind, days_stalled: i64, rotting_days: Option<i64>) -> bool {
    kind == StageKind::Open && rotting_days.is_some_and(|limit| days_stalled > limit)
}

/// Where a stage stands in its workspace's pipeline, as the progress rule compares
/// stages: its position, ties broken by id (the board's column order), and its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagePlace {
    /// Stage id.
    pub id: i64,
    /// Its position in the pipeline.
    pub position: i64,
    /// Open, won or lost.
    pub kind: StageKind,
}

impl StagePlace {
    /// Whether this stage stands further along the pipeline than `other`.
    pub fn is_past(&self, other: &StagePlace) -> bool {
        (self.position, self.id) > (other.position, other.id)
    }
}

/// A deal's progress: the furthest stage it has reached in its current run, and when it
/// last reached new ground (the clock rotting counts from).
///
/// A run starts when the deal is added or reopened (from won or lost). Progress is
/// entering an open stage further along the pipeline than the furthest of the run, or
/// closing as won. Moving back, moving forward again to a stage already reached in the
/// run, losing and reopening are not progress: they leave the clock where it was, so
/// Proposal → Qualified → Proposal keeps it running. Stages are compared where the
/// pipeline has them when the deal moves; only the furthest stage (not its position)
/// and the time are kept, so reordering stages changes what counts as new ground from
/// then on and never rewrites the past.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// The furthest stage of the current run.
    pub furthest: StagePlace,
    /// When the deal last made progress, Unix ms.
    pub progressed_at: i64,
}

impl Progress {
    /// The progress of a deal that reached `stage` at `now_ms`: a new deal's (being added
    /// counts as progress), or any deal's after real progress.
    pub fn reached(stage: StagePlace, now_ms: i64) -> Self {
        Self {
            furthest: stage,
            progressed_at: now_ms,
        }
    }

    /// The progress after the deal leaves a stage of kind `from` for stage `to` at
    /// `now_ms`, `self.furthest` standing where the pipeline has it now.
    pub fn entering(self, from: StageKind, to: StagePlace, now_ms: i64) -> Self {
        match (from, to.kind) {
            (_, StageKind::Won) => Self::reached(to, now_ms),
            (_, StageKind::Lost) => self,
            // Reopening starts a new run from where it lands, on the same clock.
            (StageKind::Won | StageKind::Lost, StageKind::Open) => Self {
                furthest: to,
                progressed_at: self.progressed_at,
            },
            (StageKind::Open, StageKind::Open) if to.is_past(&self.furthest) => {
                Self::reached(to, now_ms)
            }
            (StageKind::Open, StageKind::Open) => self,
        }
    }
}

/// Up to two initials of a name, upper-case: `Ada Lovelace` → `AL`, `Cher` → `C`.
pub fn initials(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let picked = match words.as_slice() {
        [] => Vec::new(),
        [only] => vec![*only],
        [first, .., last] => vec![*first, *last],
    };
    picked
        .iter()
        .filter_map(|w| w.chars().next())
        .flat_map(char::to_uppercase)
        .collect()
}

#[cfg(test)]
mod tests {

    #[test]
    fn the_board_moves_only_between_open_stages_and_back_from_lost() {
        use StageKind::*;
        let all = [Open, Won, Lost];
        for from in all {
            for to in all {
                let allowed = check_move(from, to).is_ok();
                assert_eq!(allowed, from != Won && to == Open, "{from:?} -> {to:?}");
            }
        }
        assert!(check_mark_lost(Open).is_ok());
        assert!(check_mark_lost(Won).is_err() && check_mark_lost(Lost).is_err());
        // The stored spelling is the wire spelling.
        for kind in all {
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
            assert_eq!(StageKind::parse(kind.as_str()), Some(kind));
        }
    }

    use super::*;

    #[test]
    fn probability_comes_from_override_then_stage() {
        assert_eq!(effective_probability(StageKind::Open, 50, None), 50);
        assert_eq!(effective_probability(StageKind::Open, 50, Some(70)), 70);
        assert_eq!(effective_probability(StageKind::Won, 0, Some(20)), 100);
        assert_eq!(effective_probability(StageKind::Lost, 90, Some(90)), 0);
    }

    #[test]
    fn weighted_value_rounds_half_up() {
        assert_eq!(weighted_value(4_800_000, 25), Ok(1_200_000));
        assert_eq!(weighted_value(10, 25), Ok(3)); // 2.5 -> 3
        assert_eq!(weighted_value(10, 24), Ok(2)); // 2.4 -> 2
        assert_eq!(weighted_value(i64::MAX, 100), Ok(i64::MAX));
        assert!(weighted_value(1, 101).is_err());
    }

    #[test]
    fn column_totals_sum_values_and_weighted_values() {
        let totals = ColumnTotals::of([(1_000_000, 50), (2_000_000, 50), (333, 10)]).unwrap();
        assert_eq!(totals.count, 3);
        assert_eq!(totals.value_minor, 3_000_333);
        assert_eq!(totals.weighted_minor, 500_000 + 1_000_000 + 33);
    }

    #[test]
    fn column_totals_report_overflow_instead_of_wrapping() {
        assert_eq!(
            ColumnTotals::of([(i64::MAX, 10), (1, 10)]),
            Err(DomainError::Overflow)
        );
    }

    #[test]
    fn days_and_rotting() {
        assert_eq!(days_in_stage(0, MS_PER_DAY * 3 - 1), 2);
        assert_eq!(days_in_stage(MS_PER_DAY, 0), 0);
        assert_eq!(
            days_without_progress(0, 20 * MS_PER_DAY, 23 * MS_PER_DAY),
            23
        );
        // A clock that claims progress after the stage was entered counts from the entry.
        assert_eq!(
            days_without_progress(22 * MS_PER_DAY, 20 * MS_PER_DAY, 23 * MS_PER_DAY),
            3
        );
        assert!(is_rotting(StageKind::Open, 15, Some(14)));
        assert!(!is_rotting(StageKind::Open, 14, Some(14)));
        assert!(!is_rotting(StageKind::Won, 400, Some(14)));
        assert!(!is_rotting(StageKind::Open, 400, None));
    }

    /// The demo's pipeline: Lead, Qualified, Proposal, Negotiation (open), Won, Lost.
    fn places() -> Vec<StagePlace> {
        use StageKind::*;
        [Open, Open, Open, Open, Won, Lost]
            .into_iter()
            .enumerate()
            .map(|(i, kind)| StagePlace {
                id: i as i64 + 1,
                position: i as i64,
                kind,
            })
            .collect()
    }

    #[test]
    fn a_bounce_keeps_the_clock_and_a_real_advance_resets_it() {
        let p = places();
        let (qualified, proposal, negotiation, won, lost) = (p[1], p[2], p[3], p[4], p[5]);
        let day = |d: i64| d * MS_PER_DAY;
        let at_proposal = Progress::reached(proposal, day(0));
        // Proposal → Qualified → Proposal: no new ground.
        let back = at_proposal.entering(StageKind::Open, qualified, day(20));
        assert_eq!(back, at_proposal);
        let again = back.entering(StageKind::Open, proposal, day(21));
        assert_eq!(again, at_proposal);
        // Negotiation is new ground.
        let further = again.entering(StageKind::Open, negotiation, day(23));
        assert_eq!(further, Progress::reached(negotiation, day(23)));
        // Losing and reopening keep the clock; the new run starts where it lands.
        let gone = further.entering(StageKind::Open, lost, day(30));
        assert_eq!(gone, further);
        let reopened = gone.entering(StageKind::Lost, qualified, day(31));
        assert_eq!(reopened.progressed_at, day(23));
        assert_eq!(reopened.furthest, qualified);
        let onwards = reopened.entering(StageKind::Open, proposal, day(32));
        assert_eq!(onwards, Progress::reached(proposal, day(32)));
        // Closing as won is progress; reopening from won keeps the win's clock.
        let closed = onwards.entering(StageKind::Open, won, day(40));
        assert_eq!(closed, Progress::reached(won, day(40)));
        let undone = closed.entering(StageKind::Won, negotiation, day(45));
        assert_eq!(undone.progressed_at, day(40));
        // The whole story as rotting sees it at day 45 in Negotiation (limit 10).
        let stalled = days_without_progress(undone.progressed_at, day(45), day(52));
        assert_eq!(stalled, 12);
        assert!(is_rotting(StageKind::Open, stalled, Some(10)));
        assert!(!is_rotting(
            StageKind::Open,
            days_in_stage(day(45), day(52)),
            Some(10)
        ));
    }

    #[test]
    fn progress_compares_stages_where_the_pipeline_has_them_now() {
        let p = places();
        let (lead, qualified) = (p[0], p[1]);
        let at_qualified = Progress::reached(qualified, 0);
        // Lead moved after Qualified: entering Lead is now new ground.
        let lead_moved = StagePlace {
            position: 7,
            ..lead
        };
        let furthest_as_now = Progress {
            furthest: qualified,
            ..at_qualified
        };
        assert_eq!(
            furthest_as_now.entering(StageKind::Open, lead_moved, 5),
            Progress::reached(lead_moved, 5)
        );
        // Two stages at one position stand in id order, as the board's columns do.
        let twin = StagePlace {
            id: 9,
            position: qualified.position,
            kind: StageKind::Open,
        };
        assert!(twin.is_past(&qualified) && !qualified.is_past(&twin));
    }

    #[test]
    fn initials_of_names() {
        assert_eq!(initials("Ada Lovelace"), "AL");
        assert_eq!(initials("  maria de la cruz "), "MC");
        assert_eq!(initials("Cher"), "C");
        assert_eq!(initials(""), "");
    }

    proptest::proptest! {
        #[test]
        fn weighted_never_exceeds_value(value in 0_i64..1_000_000_000_000, pct in 0_i64..=100) {
            let w = weighted_value(value, pct).unwrap();
            proptest::prop_assert!(w >= 0 && w <= value);
        }

        /// Moves that never reach a stage past every stage of the run never move the
        /// clock; each one that does resets it to the moment of the move.
        #[test]
        fn only_new_ground_resets_the_stalled_clock(
            start in 0_usize..4,
            moves in proptest::collection::vec(0_usize..6, 1..40),
        ) {
            use StageKind::*;
            let p = places();
            let mut progress = Progress::reached(p[start], 0);
            let mut here = p[start];
            // The stages the deal has been in since its run started.
            let mut run = vec![p[start]];
            for (step, &to) in moves.iter().enumerate() {
                let to = p[to];
                // What Baton allows: an open deal goes anywhere (moved, closed, lost);
                // a closed one only back into an open stage (dragged or reopened).
                let allowed = to.id != here.id && (here.kind == Open || to.kind == Open);
                if !allowed {
                    continue;
                }
                let now = (step as i64 + 1) * MS_PER_DAY;
                let reopening = here.kind != Open;
                let new_ground = to.kind == Won
                    || (!reopening && to.kind == Open && run.iter().all(|s| to.position > s.position));
                let next = progress.entering(here.kind, to, now);
                if new_ground {
                    proptest::prop_assert_eq!(next, Progress::reached(to, now));
                } else {
                    proptest::prop_assert_eq!(next.progressed_at, progress.progressed_at);
                }
                if reopening {
                    run.clear();
                }
                if to.kind != Lost {
                    run.push(to);
                }
                let furthest = run.iter().max_by_key(|s| s.position).copied();
                proptest::prop_assert_eq!(Some(next.furthest), furthest);
                progress = next;
                here = to;
            }
        }

        #[test]
        fn totals_equal_the_sum_of_cards(cards in proptest::collection::vec((0_i64..1_000_000_000_000, 0_i64..=100), 0..50)) {
            let totals = ColumnTotals::of(cards.iter().copied()).unwrap();
            proptest::prop_assert_eq!(totals.count, cards.len() as i64);
            proptest::prop_assert_eq!(totals.value_minor, cards.iter().map(|c| c.0).sum::<i64>());
            let weighted: i64 = cards.iter().map(|&(v, p)| weighted_value(v, p).unwrap()).sum();
            proptest::prop_assert_eq!(totals.weighted_minor, weighted);
        }
    }
}
