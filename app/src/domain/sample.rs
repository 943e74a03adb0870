//! A generated agency for benchmarks of the engine — natively (criterion) and as
//! WebAssembly in the browser (`/bench/engine`) — so both measure the same work; and
//! the planner's view of one for the odds benchmark (`benches/odds.rs`).

use super::capacity::{
    AllocationInput, AllocationKind, CapacityInput, Demand, DemandLine, PersonInput, TentativeMode,
};
use super::planner::{Booking, DealDemand, PlannerPerson};

/// The benchmark's size: people, horizon weeks, allocations; the deal is 12 weeks over
/// 5 skills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleSize {
    /// People.
    pub people: usize,
    /// Weeks in the horizon.
    pub weeks: u32,
    /// Existing allocations.
    pub allocations: usize,
}

impl SampleSize {
    /// 500 people × 52 weeks × 20,000 allocations.
    pub const BENCHMARK: SampleSize = SampleSize {
        people: 500,
        weeks: 52,
        allocations: 20_000,
    };
}

/// A deterministic agency of `size` with 8 skills, and a 12-week deal needing 5 of them.
pub fn sample(size: SampleSize, seed: u64) -> (CapacityInput, Demand) {
    let mut rng = super::rng::SplitMix::new(seed);
    let people = (0..size.people)
        .map(|i| {
            let main = (i % 8) as i64;
            let mut skills = vec![main];
            if rng.below(3) == 0 {
                skills.push(rng.below(8) as i64);
            }
            PersonInput {
                id: i as i64 + 1,
                name: format!("Person {:03}", i + 1),
                bill_rate_minor: 12_000,
                skills,
                weekly_capacity: [40, 40, 40, 32, 24][i % 5] * 60,
                cost_rate_minor: 3_500 + rng.below(5_000) as i64,
                time_off: if rng.below(4) == 0 {
                    vec![(
                        rng.below(u64::from(size.weeks)) as u32,
                        8 * 60 * (1 + rng.below(5) as i64),
                    )]
                } else {
                    Vec::new()
                },
            }
        })
        .collect();
    let allocations = (0..size.allocations)
        .map(|_| AllocationInput {
            person_id: rng.below(size.people as u64) as i64 + 1,
            week: rng.below(u64::from(size.weeks)) as u32,
            minutes: 60 * (4 + rng.below(17) as i64),
            kind: if rng.below(5) == 0 {
                AllocationKind::Tentative {
                    probability_pct: 10 + 5 * rng.below(15) as i64,
                }
            } else {
                AllocationKind::Confirmed
            },
        })
        .collect();
    let demand = Demand {
        lines: (0..5)
            .map(|skill| DemandLine {
                skill,
                minutes: 60 * (120 + 40 * skill),
            })
            .collect(),
        weeks: 12,
    };
    (
        CapacityInput {
            horizon_weeks: size.weeks,
            people,
            allocations,
            tentative: TentativeMode::Weighted,
            skill_names: (0..8).map(|s| (s, format!("Skill {s}"))).collect(),
        },
        demand,
    )
}

/// What one full check found: the verdicts and the earliest start, for a benchmark to
/// show (and to keep the work from being optimised away).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FullCheck {
    /// The capacity verdict at the start week.
    pub capacity: super::capacity::CapacityVerdict,
    /// The margin verdict.
    pub margin: super::margin::MarginVerdict,
    /// The earliest start within 12 weeks.
    pub earliest_start: Option<u32>,
    /// Staffing lines suggested.
    pub staffing_lines: usize,
}

/// One full check as closing a deal runs it: build the engine, check capacity at
/// `start_week`, price the staffing, find the earliest start within 12 weeks.
pub fn full_check(
    input: &CapacityInput,
    demand: &Demand,
    start_week: u32,
    value_minor: i64,
) -> Result<FullCheck, super::DomainError> {
    let engine = super::capacity::Engine::new(input)?;
    let report = engine.check(demand, start_week)?;
    let margin = super::margin::margin(&engine, &report, value_minor, 3_500, 1_500)?;
    let earliest_start =
        engine.earliest_start(demand, super::capacity::DEFAULT_EARLIEST_START_WITHIN)?;
    Ok(FullCheck {
        capacity: report.verdict,
        margin: margin.verdict,
        earliest_start,
        staffing_lines: report.staffing.len(),
    })
}

/// A generated agency as the capacity planner sees it, for the odds benchmark: people
/// with skills and time off, confirmed bookings, and the open deals of a pipeline drawn
/// like the demo seed's (`baton seed --people 500 --deals 5000`): three in four deals
/// open at 10 / 25 / 50 / 75 % (one in eight with its own probability), two to four
/// skills of seven at 40–320 h each, 4–14 weeks, starting over the next three months;
/// deals in negotiation partly staffed (tentative bookings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineSample {
    /// Skill ids.
    pub skills: Vec<i64>,
    /// The team.
    pub people: Vec<PlannerPerson>,
    /// Confirmed and tentative bookings in the window.
    pub bookings: Vec<Booking>,
    /// The open deals.
    pub deals: Vec<DealDemand>,
}

/// The skills of the seed's deal templates (0 strategy, 1 design, 2 frontend, 3
/// backend, 4 project management, 5 QA, 6 content).
const TEMPLATES: [&[i64]; 12] = [
    &[0, 1, 2, 6],
    &[1, 2, 3, 5],
    &[0, 1, 6],
    &[1, 2, 3, 5],
    &[1, 2],
    &[1, 2, 3, 4],
    &[1, 2, 6],
    &[1, 2, 3],
    &[2, 5],
    &[0, 6],
    &[1, 2, 3, 5],
    &[1, 2, 6, 4],
];

/// A deterministic agency of `people` people and `deals` deals over a window of `weeks`
/// weeks (see [`PipelineSample`]).
pub fn pipeline_sample(people: usize, deals: usize, weeks: u32, seed: u64) -> PipelineSample {
    let mut rng = super::rng::SplitMix::new(seed);
    // Main skills in the seed's proportions.
    let cycle: Vec<i64> = [3, 6, 6, 5, 3, 2, 3]
        .iter()
        .enumerate()
        .flat_map(|(skill, n)| std::iter::repeat_n(skill as i64, *n))
        .collect();
    let team: Vec<PlannerPerson> = (0..people)
        .map(|i| {
            let main = cycle[i % cycle.len()];
            let mut skills = vec![main];
            if rng.chance(35) {
                skills.push((main + 1 + rng.below(6) as i64) % 7);
            }
            let weekly_capacity = 60 * [40, 40, 40, 32, 24][i % 5];
            PlannerPerson {
                id: i as i64 + 1,
                name: format!("Person {}", i + 1),
                skills,
                weekly_capacity,
                time_off: if rng.chance(25) {
                    vec![(rng.below(u64::from(weeks)) as u32, 8 * 60)]
                } else {
                    Vec::new()
                },
            }
        })
        .collect();
    let mut bookings: Vec<Booking> = (0..people * weeks as usize * 10 / 13)
        .map(|_| Booking {
            person_id: rng.below(people as u64) as i64 + 1,
            week: rng.below(u64::from(weeks)) as u32,
            minutes: 60 * (4 + rng.below(17) as i64),
            tentative_pct: None,
            deal_id: None,
        })
        .collect();
    const STAGES: [usize; 16] = [0, 1, 2, 0, 3, 4, 1, 2, 0, 4, 5, 1, 2, 3, 4, 0];
    let mut open = Vec::new();
    for i in 0..deals {
        let stage = STAGES[i % STAGES.len()];
        let template = TEMPLATES[(i * 5 + i / 12) % TEMPLATES.len()];
        let mut lines = Vec::new();
        for (k, skill) in template.iter().enumerate() {
            if k > 1 && rng.chance(25) {
                continue;
            }
            lines.push((*skill, rng.range(5, 40) * 8 * 60));
        }
        let override_pct = (stage < 4 && rng.chance(12)).then(|| rng.range(1, 19) * 5);
        let deal_weeks = rng.range(4, 14) as u32;
        let start_week = (rng.range(3, 75) + rng.range(7, 21)) / 7;
        if stage >= 4 {
            continue;
        }
        let deal = DealDemand {
            deal_id: i as i64 + 1,
            probability_pct: override_pct.unwrap_or([10, 25, 50, 75][stage]),
            start_week,
            weeks: deal_weeks,
            lines,
        };
        if stage == 3 {
            // Negotiation: someone of each skill booked tentatively for the first weeks.
            for &(skill, _) in &deal.lines {
                let Some(who) = team
                    .iter()
                    .filter(|p| p.skills[0] == skill)
                    .nth(rng.below(20) as usize)
                else {
                    continue;
                };
                for (w, k) in super::planner::weeks_in_window(&deal, weeks as usize).take(4) {
                    bookings.push(Booking {
                        person_id: who.id,
                        week: w as u32,
                        minutes: deal.minutes_in(skill, k),
                        tentative_pct: Some(deal.probability_pct),
                        deal_id: Some(deal.deal_id),
                    });
                }
            }
        }
        open.push(deal);
    }
    PipelineSample {
        skills: (0..7).collect(),
        people: team,
        bookings,
        deals: open,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_is_deterministic_and_checkable() {
        let (a, d) = sample(SampleSize::BENCHMARK, 7);
        let (b, _) = sample(SampleSize::BENCHMARK, 7);
        assert_eq!(a, b);
        assert_eq!(a.people.len(), 500);
        assert_eq!(a.allocations.len(), 20_000);
        assert_eq!(d.lines.len(), 5);
        let result = full_check(&a, &d, 4, 25_000_000).unwrap();
        assert!(result.staffing_lines > 0);
    }

    #[test]
    fn the_pipeline_sample_is_deterministic_and_shaped_like_the_seed() {
        let a = pipeline_sample(500, 5_000, 12, 42);
        assert_eq!(a, pipeline_sample(500, 5_000, 12, 42));
        assert_eq!(a.people.len(), 500);
        assert_eq!(a.deals.len(), 3_751, "three in four deals open");
        assert!(a.bookings.iter().any(|b| b.tentative_pct.is_some()));
        assert!(a
            .deals
            .iter()
            .all(|d| (1..=100).contains(&d.probability_pct) && (2..=4).contains(&d.lines.len())));
    }
}
