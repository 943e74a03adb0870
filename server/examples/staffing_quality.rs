//! Staffing quality: seeds the demo agency and the 500-person / 5,000-deal benchmark
//! agency into throw-away SQLite databases (dated 2026-11-30, so runs compare), checks
//! every open deal with an estimate at its planned start (or this week) as the close
//! dialog does — confirmed work only — and reports how the suggested staffings read to a
//! project manager: people per skill, person switches per skill, the share of slices not in
//! whole or half hours, and how many deals are short.
//!
//! ```text
//! cargo run --release -p baton --example staffing_quality
//! ```

use app::domain::calendar::Date;
use app::domain::capacity::quality::StaffingQuality;
use app::domain::capacity::{CapacityVerdict, Engine, TentativeMode};
use app::server::capacity_repo::{self, Horizon};
use app::server::{db, seed};
use std::time::Instant;

/// 2026-11-30T09:00:00Z.
const NOW_MS: i64 = 1_796_029_200_000;

async fn measure(name: &str, size: seed::SeedSize) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/baton.db", dir.path().display());
    let database = db::Database::open(&url, db::PoolLimits::default())
        .await
        .unwrap();
    let pool = database.writer().clone();
    seed::seed_demo(&pool, size, NOW_MS).await.unwrap();
    let mut conn = pool.acquire().await.unwrap();
    let workspace: i64 = sqlx::query_scalar("SELECT id FROM workspaces WHERE slug = 'demo'")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let first_week = Date::from_unix_ms(NOW_MS).week_start(1);
    let deals = capacity_repo::open_demands(&mut conn, workspace, None)
        .await
        .unwrap();
    let input = capacity_repo::load_capacity_input(
        &mut conn,
        workspace,
        Horizon {
            first_week,
            weeks: 12 + 104,
        },
        TentativeMode::Exclude,
    )
    .await
    .unwrap();
    let engine = Engine::new(&input).unwrap();
    let mut total = StaffingQuality::default();
    let (mut checked, mut short) = (0, 0);
    let mut most_people = 0;
    let mut biggest = String::new();
    let t = Instant::now();
    for deal in &deals {
        let days = first_week.days_until(deal.start.week_start(1)).max(0);
        let start = (days / 7) as u32;
        if start + deal.demand.weeks > engine.horizon_weeks() {
            continue;
        }
        let report = engine.check(&deal.demand, start).unwrap();
        let q = StaffingQuality::of(&report.staffing);
        let people = report
            .staffing
            .iter()
            .map(|l| l.person_id)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        if people > most_people {
            most_people = people;
            let hours: i64 = deal.demand.lines.iter().map(|l| l.minutes).sum::<i64>() / 60;
            biggest = format!(
                " ({hours} h of {} skills over {} weeks)",
                deal.demand.lines.len(),
                deal.demand.weeks
            );
        }
        total.add(q);
        checked += 1;
        short += usize::from(report.verdict == CapacityVerdict::Short);
    }
    println!(
        "{name}: {checked} open deals checked in {:.1?} ({short} short)\n  people per skill {:.2}, switches per skill {:.2}, slices {} of which not whole/half hours {:.1} %, most people on one deal {most_people}{biggest}",
        t.elapsed(),
        total.people_per_skill(),
        total.switches_per_skill(),
        total.slices,
        total.odd_share_pct(),
    );
}

#[tokio::main]
async fn main() {
    measure("demo agency (28 people, 64 deals)", seed::SeedSize::DEMO).await;
    measure(
        "benchmark agency (500 people, 5,000 deals)",
        seed::SeedSize {
            people: 500,
            deals: 5_000,
        },
    )
    .await;
}
