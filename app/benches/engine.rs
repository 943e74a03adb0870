//! The capacity and margin engine on a generated agency: 500 people × 52 weeks × 20,000
//! allocations, a 12-week deal over 5 skills.
//!
//! `cargo bench -p app --bench engine`

use app::domain::capacity::Engine;
use app::domain::sample::{full_check, sample, SampleSize};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

fn engine(c: &mut Criterion) {
    let (input, demand) = sample(SampleSize::BENCHMARK, 42);
    let mut group = c.benchmark_group("engine 500x52x20000");
    group.bench_function(
        "full check (engine + capacity + margin + earliest start)",
        |b| b.iter(|| full_check(black_box(&input), black_box(&demand), 4, 25_000_000).unwrap()),
    );
    group.bench_function("build the engine (free capacity)", |b| {
        b.iter(|| Engine::new(black_box(&input)).unwrap())
    });
    let built = Engine::new(&input).unwrap();
    group.bench_function("capacity check on a built engine", |b| {
        b.iter(|| built.check(black_box(&demand), 4).unwrap())
    });
    group.bench_function("earliest start on a built engine", |b| {
        b.iter(|| built.earliest_start(black_box(&demand), 12).unwrap())
    });
    group.finish();
}

criterion_group!(benches, engine);
criterion_main!(benches);
