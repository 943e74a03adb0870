//! `/bench/engine`: runs the capacity and margin engine as WebAssembly in this browser on
//! the benchmark agency (500 people × 52 weeks × 20,000 allocations, a 12-week deal over
//! 5 skills) and reports the times. Reported, never asserted: see docs/BENCHMARKS.md.

use leptos::prelude::*;
use leptos_meta::Title;

/// Milliseconds since page load, from `performance.now()` (0 on the server).
fn now_ms() -> f64 {
    #[cfg(feature = "hydrate")]
    {
        window().performance().map(|p| p.now()).unwrap_or(0.0)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0.0
    }
}

/// Runs `runs` full checks and describes the timings.
fn run_benchmark(runs: usize) -> String {
    use crate::domain::sample::{full_check, sample, SampleSize};
    let t0 = now_ms();
    let (input, demand) = sample(SampleSize::BENCHMARK, 42);
    let generated = now_ms() - t0;
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let start = now_ms();
        last = full_check(&input, &demand, 4, 25_000_000).ok();
        times.push(now_ms() - start);
    }
    times.sort_by(f64::total_cmp);
    let pick = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    format!(
        "runs={runs} median_ms={:.3} p95_ms={:.3} min_ms={:.3} generate_ms={generated:.1} verdict={:?}",
        pick(0.5),
        pick(0.95),
        times[0],
        last.map(|r| r.capacity)
    )
}

/// The benchmark page.
#[component]
pub fn EngineBenchPage() -> impl IntoView {
    let result = RwSignal::new(String::new());
    view! {
        <Title text="Engine benchmark"/>
        <div class="page-header">
            <div>
                <p class="eyebrow">"Benchmark"</p>
                <h1>"Capacity and margin engine in the browser"</h1>
            </div>
        </div>
        <section class="panel">
            <p class="muted">
                "500 people × 52 weeks × 20,000 allocations; one full check is capacity, staffing, margin and the earliest start of a 12-week deal over 5 skills."
            </p>
            <p>
                <button type="button" class="button primary" on:click=move |_| result.set(run_benchmark(50))>
                    "Run 50 full checks"
                </button>
            </p>
            <output data-testid="bench-result" class="mono">{move || result.get()}</output>
        </section>
    }
}
