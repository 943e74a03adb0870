//! The chance of being over capacity on a generated agency shaped like the seed's
//! benchmark one: 500 people, 5,000 deals (3,751 open), 12 weeks × 7 skills — P50, P90
//! and the chance over for every skill and week (what the server adds to the planner
//! with pipeline demand on; the planner's other numbers beside it), and the same after
//! a what-if change (the skills' weeks summed again, then the odds), as the browser does
//! it.
//!
//! `cargo bench -p app --bench odds`

use app::domain::odds;
use app::domain::planner::{self, DemandMode, PersonWeek};
use app::domain::sample::pipeline_sample;
use app::domain::what_if::{DealChange, Outcome, Scenario};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

fn odds_bench(c: &mut Criterion) {
    let weeks = 12;
    let sample = pipeline_sample(500, 5_000, weeks, 42);
    let numbers = planner::compute(
        weeks,
        &sample.skills,
        &sample.people,
        &sample.bookings,
        &sample.deals,
        DemandMode::Weighted,
    );
    let mut group = c.benchmark_group("odds 500 people, 3751 open deals, 12 weeks x 7 skills");
    group.bench_function("the planner's numbers without odds (for comparison)", |b| {
        b.iter(|| {
            planner::compute(
                weeks,
                black_box(&sample.skills),
                black_box(&sample.people),
                black_box(&sample.bookings),
                black_box(&sample.deals),
                DemandMode::Weighted,
            )
        })
    });
    group.bench_function("P50, P90 and chance over for every skill and week", |b| {
        b.iter(|| {
            odds::odds(
                weeks,
                black_box(&sample.skills),
                black_box(&numbers.skills),
                black_box(&sample.deals),
            )
        })
    });
    let team: Vec<(&[i64], &[PersonWeek])> = sample
        .people
        .iter()
        .zip(&numbers.people)
        .map(|(p, row)| (p.skills.as_slice(), row.as_slice()))
        .collect();
    let mut scenario = Scenario::default();
    for (i, d) in sample.deals.iter().take(10).enumerate() {
        scenario.set(DealChange {
            deal_id: d.deal_id,
            version: 1,
            outcome: [Outcome::Won, Outcome::Lost, Outcome::Open][i % 3],
            slip_weeks: (i % 4) as u32,
        });
    }
    group.bench_function("a what-if change: skills' weeks and odds again", |b| {
        b.iter(|| {
            let deals = scenario.apply(black_box(&sample.deals));
            let skills = planner::summarise(
                weeks,
                &sample.skills,
                black_box(&team),
                &numbers.assigned,
                &deals,
                DemandMode::Weighted,
            );
            odds::odds(weeks, &sample.skills, &skills, &deals)
        })
    });
    group.finish();
}

criterion_group!(benches, odds_bench);
criterion_main!(benches);
