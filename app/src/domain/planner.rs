//! The capacity planner's numbers: per person and week what is available, what is booked
//! (confirmed on projects, tentative on open deals), how full that is; per skill and week
//! capacity against demand, with the pipeline's open deals added in weighted or
//! pessimistic (all at 100 %) mode; and the pipeline demand nobody is assigned to yet.

use serde::{Deserialize, Serialize};

/// How open deals count in the planner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DemandMode {
    /// Only confirmed work.
    Off,
    /// Open deals' estimates (and tentative allocations) weighted by probability.
    Weighted,
    /// Every open deal as if won.
    Pessimistic,
}

impl DemandMode {
    /// From the URL's `demand` value.
    pub fn parse(text: &str) -> Self {
        match text {
            "weighted" => Self::Weighted,
            "pessimistic" => Self::Pessimistic,
            _ => Self::Off,
        }
    }

    /// The URL's `demand` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Weighted => "weighted",
            Self::Pessimistic => "pessimistic",
        }
    }

    /// `minutes` of a deal at `probability_pct`, as this mode counts them.
    pub fn count(self, minutes: i64, probability_pct: i64) -> i64 {
        match self {
            Self::Off => 0,
            Self::Weighted => (minutes * probability_pct.clamp(0, 100) + 50) / 100,
            Self::Pessimistic => minutes,
        }
    }
}

/// How full a week is for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Utilisation {
    /// Under 60 % of the available time booked (or nothing available and nothing booked).
    Free,
    /// 60 % to 90 %.
    Healthy,
    /// Over 90 %, up to 100 %.
    Full,
    /// More booked than available.
    Over,
}

impl Utilisation {
    /// The class of `booked` minutes against `available`.
    pub fn of(booked: i64, available: i64) -> Self {
        if booked > available {
            Self::Over
        } else if available == 0 || booked * 10 < available * 6 {
            Self::Free
        } else if booked * 10 <= available * 9 {
            Self::Healthy
        } else {
            Self::Full
        }
    }

    /// CSS-friendly name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Healthy => "healthy",
            Self::Full => "full",
            Self::Over => "over",
        }
    }
}

/// A person as the planner needs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannerPerson {
    /// Person id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Skill ids (the first is the group they are listed under).
    pub skills: Vec<i64>,
    /// Minutes a week.
    pub weekly_capacity: i64,
    /// Time off per week index: (week, minutes).
    pub time_off: Vec<(u32, i64)>,
}

/// Booked time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    /// Person id.
    pub person_id: i64,
    /// Week index.
    pub week: u32,
    /// Minutes.
    pub minutes: i64,
    /// `None` for confirmed work on a project; the deal's probability for tentative work
    /// on an open deal.
    pub tentative_pct: Option<i64>,
    /// The open deal, for tentative work.
    pub deal_id: Option<i64>,
}

/// An open deal's estimate spread over its weeks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealDemand {
    /// Deal id.
    pub deal_id: i64,
    /// Probability in percent.
    pub probability_pct: i64,
    /// First week index (may be before the window: negative).
    pub start_week: i64,
    /// Weeks.
    pub weeks: u32,
    /// (skill, total minutes).
    pub lines: Vec<(i64, i64)>,
}

impl DealDemand {
    /// Minutes of `skill` in the deal's `k`-th week: an even spread, the remainder going
    /// a minute at a time to the first weeks (as the engine spreads it).
    pub fn minutes_in(&self, skill: i64, k: u32) -> i64 {
        let weeks = i64::from(self.weeks.max(1));
        self.lines
            .iter()
            .filter(|(s, _)| *s == skill)
            .map(|&(_, total)| total / weeks + i64::from(i64::from(k) < total % weeks))
            .sum()
    }
}

/// One person's week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonWeek {
    /// Capacity minus time off.
    pub available: i64,
    /// Time off.
    pub time_off: i64,
    /// Confirmed minutes.
    pub confirmed: i64,
    /// Tentative minutes as the mode counts them (0 with demand off).
    pub tentative: i64,
    /// How full: confirmed plus tentative against available.
    pub utilisation: Utilisation,
}

/// One skill's week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillWeek {
    /// Available minutes of everyone with the skill (people with several skills count in
    /// each of them).
    pub capacity: i64,
    /// Confirmed minutes of those people.
    pub confirmed: i64,
    /// Open deals' demand for the skill as the mode counts it.
    pub pipeline: i64,
    /// Of that, not assigned to anyone yet.
    pub unassigned: i64,
}

/// What the planner computes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannerNumbers {
    /// Per person (input order): one entry per week.
    pub people: Vec<Vec<PersonWeek>>,
    /// Per skill (input order): one entry per week.
    pub skills: Vec<Vec<SkillWeek>>,
}

/// Computes the planner for `weeks` weeks.
pub fn compute(
    weeks: u32,
    skills: &[i64],
    people: &[PlannerPerson],
    bookings: &[Booking],
    deals: &[DealDemand],
    mode: DemandMode,
) -> PlannerNumbers {
    use std::collections::HashMap;
    let n = weeks as usize;
    let positions: HashMap<i64, usize> =
        people.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
    let index = |id: i64| positions.get(&id).copied();
    let deal_index: HashMap<i64, usize> = deals
        .iter()
        .enumerate()
        .map(|(i, d)| (d.deal_id, i))
        .collect();
    let mut rows: Vec<Vec<PersonWeek>> = people
        .iter()
        .map(|p| {
            (0..weeks)
                .map(|w| {
                    let off: i64 = p
                        .time_off
                        .iter()
                        .filter(|(week, _)| *week == w)
                        .map(|(_, m)| *m)
                        .sum();
                    let off = off.min(p.weekly_capacity);
                    PersonWeek {
                        available: p.weekly_capacity - off,
                        time_off: off,
                        confirmed: 0,
                        tentative: 0,
                        utilisation: Utilisation::Free,
                    }
                })
                .collect()
        })
        .collect();
    // Tentative minutes assigned per (deal, skill, week), to subtract from the demand.
    let mut assigned: HashMap<(i64, i64, u32), i64> = HashMap::new();
    for b in bookings {
        let (Some(i), true) = (index(b.person_id), (b.week as usize) < n) else {
            continue;
        };
        let cell = &mut rows[i][b.week as usize];
        match b.tentative_pct {
            None => cell.confirmed += b.minutes,
            Some(pct) => {
                cell.tentative += mode.count(b.minutes, pct);
                if let Some(deal) = b
                    .deal_id
                    .and_then(|d| deal_index.get(&d).map(|&i| &deals[i]))
                {
                    // The first of the deal's skills the person has.
                    if let Some(&(skill, _)) = deal
                        .lines
                        .iter()
                        .find(|(s, _)| people[i].skills.contains(s))
                    {
                        *assigned.entry((deal.deal_id, skill, b.week)).or_insert(0) += b.minutes;
                    }
                }
            }
        }
    }
    for row in &mut rows {
        for cell in row.iter_mut() {
            cell.utilisation = Utilisation::of(cell.confirmed + cell.tentative, cell.available);
        }
    }
    let summaries = skills
        .iter()
        .map(|&skill| {
            (0..weeks)
                .map(|w| {
                    let mut s = SkillWeek {
                        capacity: 0,
                        confirmed: 0,
                        pipeline: 0,
                        unassigned: 0,
                    };
                    for (p, row) in people.iter().zip(&rows) {
                        if p.skills.contains(&skill) {
                            s.capacity += row[w as usize].available;
                            s.confirmed += row[w as usize].confirmed;
                        }
                    }
                    if mode != DemandMode::Off {
                        for d in deals {
                            let k = i64::from(w) - d.start_week;
                            if k < 0 || k >= i64::from(d.weeks) {
                                continue;
                            }
                            let need = d.minutes_in(skill, k as u32);
                            if need == 0 {
                                continue;
                            }
                            let done = assigned.get(&(d.deal_id, skill, w)).copied().unwrap_or(0);
                            s.pipeline += mode.count(need, d.probability_pct);
                            s.unassigned += mode.count((need - done).max(0), d.probability_pct);
                        }
                    }
                    s
                })
                .collect()
        })
        .collect();
    PlannerNumbers {
        people: rows,
        skills: summaries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const H: i64 = 60;

    fn person(id: i64, skills: &[i64], hours: i64) -> PlannerPerson {
        PlannerPerson {
            id,
            name: format!("P{id}"),
            skills: skills.to_vec(),
            weekly_capacity: hours * H,
            time_off: vec![],
        }
    }

    #[test]
    fn utilisation_bands() {
        assert_eq!(Utilisation::of(0, 40 * H), Utilisation::Free);
        assert_eq!(Utilisation::of(23 * H, 40 * H), Utilisation::Free);
        assert_eq!(Utilisation::of(24 * H, 40 * H), Utilisation::Healthy);
        assert_eq!(Utilisation::of(36 * H, 40 * H), Utilisation::Healthy);
        assert_eq!(Utilisation::of(37 * H, 40 * H), Utilisation::Full);
        assert_eq!(Utilisation::of(40 * H, 40 * H), Utilisation::Full);
        assert_eq!(Utilisation::of(41 * H, 40 * H), Utilisation::Over);
        assert_eq!(Utilisation::of(1, 0), Utilisation::Over);
        assert_eq!(Utilisation::of(0, 0), Utilisation::Free);
    }

    #[test]
    fn time_off_confirmed_and_tentative_work_fill_the_week() {
        let mut p = person(1, &[10], 40);
        p.time_off = vec![(1, 16 * H)];
        let bookings = [
            Booking {
                person_id: 1,
                week: 0,
                minutes: 30 * H,
                tentative_pct: None,
                deal_id: None,
            },
            Booking {
                person_id: 1,
                week: 1,
                minutes: 20 * H,
                tentative_pct: None,
                deal_id: None,
            },
            Booking {
                person_id: 1,
                week: 1,
                minutes: 10 * H,
                tentative_pct: Some(50),
                deal_id: Some(7),
            },
        ];
        let off = compute(2, &[10], &[p.clone()], &bookings, &[], DemandMode::Off);
        assert_eq!(off.people[0][0].utilisation, Utilisation::Healthy);
        assert_eq!(off.people[0][1].available, 24 * H);
        assert_eq!(off.people[0][1].tentative, 0);
        let weighted = compute(2, &[10], &[p.clone()], &bookings, &[], DemandMode::Weighted);
        assert_eq!(weighted.people[0][1].tentative, 5 * H);
        assert_eq!(weighted.people[0][1].utilisation, Utilisation::Over);
        let full = compute(2, &[10], &[p], &bookings, &[], DemandMode::Pessimistic);
        assert_eq!(full.people[0][1].tentative, 10 * H);
    }

    #[test]
    fn a_half_likely_deal_counts_half_and_assigned_work_leaves_the_unassigned_row() {
        let people = [person(1, &[10], 40), person(2, &[20], 40)];
        // 40 h of skill 10 and 20 h of skill 20 over 2 weeks from week 1, 50 %.
        let deal = DealDemand {
            deal_id: 7,
            probability_pct: 50,
            start_week: 1,
            weeks: 2,
            lines: vec![(10, 40 * H), (20, 20 * H)],
        };
        let bookings = [Booking {
            person_id: 1,
            week: 1,
            minutes: 8 * H,
            tentative_pct: Some(50),
            deal_id: Some(7),
        }];
        let g = compute(
            4,
            &[10, 20],
            &people,
            &bookings,
            std::slice::from_ref(&deal),
            DemandMode::Weighted,
        );
        let design: Vec<(i64, i64)> = g.skills[0]
            .iter()
            .map(|s| (s.pipeline, s.unassigned))
            .collect();
        assert_eq!(
            design,
            vec![(0, 0), (10 * H, 6 * H), (10 * H, 10 * H), (0, 0)]
        );
        assert_eq!(g.skills[1][2].pipeline, 5 * H);
        let p = compute(
            4,
            &[10, 20],
            &people,
            &bookings,
            std::slice::from_ref(&deal),
            DemandMode::Pessimistic,
        );
        assert_eq!(p.skills[0][1].unassigned, 12 * H);
        let off = compute(4, &[10, 20], &people, &bookings, &[deal], DemandMode::Off);
        assert!(off
            .skills
            .iter()
            .flatten()
            .all(|s| s.pipeline == 0 && s.unassigned == 0));
        assert_eq!(off.skills[0][0].capacity, 40 * H);
    }

    proptest! {
        #[test]
        fn pessimistic_never_shows_less_than_weighted(
            pct in 0_i64..=100, hours in 1_i64..500, weeks in 1_u32..8, start in -3_i64..6, assigned in 0_i64..100
        ) {
            let people = [person(1, &[10], 40)];
            let deal = DealDemand { deal_id: 1, probability_pct: pct, start_week: start, weeks, lines: vec![(10, hours * H)] };
            let bookings = [Booking { person_id: 1, week: 2, minutes: assigned * H, tentative_pct: Some(pct), deal_id: Some(1) }];
            let w = compute(10, &[10], &people, &bookings, std::slice::from_ref(&deal), DemandMode::Weighted);
            let p = compute(10, &[10], &people, &bookings, std::slice::from_ref(&deal), DemandMode::Pessimistic);
            for k in 0..10 {
                prop_assert!(p.skills[0][k].pipeline >= w.skills[0][k].pipeline);
                prop_assert!(w.skills[0][k].unassigned <= w.skills[0][k].pipeline);
                prop_assert!(p.skills[0][k].unassigned <= p.skills[0][k].pipeline);
            }
            // Inside the window the weighted total is the deal's hours times its probability
            // (within rounding per week).
            let in_window: i64 = (0..weeks).filter(|k| (0..10).contains(&(start + i64::from(*k)))).map(|k| deal.minutes_in(10, k)).sum();
            let shown: i64 = p.skills[0].iter().map(|s| s.pipeline).sum();
            prop_assert_eq!(shown, in_window);
        }
    }
}
