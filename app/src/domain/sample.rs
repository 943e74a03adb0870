//! A generated agency for benchmarks of the engine — natively (criterion) and as
//! WebAssembly in the browser (`/bench/engine`) — so both measure the same work.

use super::capacity::{
    AllocationInput, AllocationKind, CapacityInput, Demand, DemandLine, PersonInput, TentativeMode,
};

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
}
