//! Loading the engine's input from a seeded database, and checking a real deal with it.
#![cfg(feature = "ssr")]

use app::domain::calendar::Date;
use app::domain::capacity::{AllocationKind, Engine, TentativeMode};
use app::server::capacity_repo::{load_capacity_input, load_deal_demand, Horizon};
use app::server::{db, seed};

const NOW_MS: i64 = 1_795_000_000_000; // 2026-11-18

#[tokio::test]
async fn the_engine_input_matches_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let pool = db::connect_and_migrate(&db::scratch_database(dir.path()).await)
        .await
        .unwrap();
    seed::seed_demo(&pool, seed::SeedSize::DEMO, NOW_MS)
        .await
        .unwrap();
    let ws: i64 = sqlx::query_scalar("SELECT id FROM workspaces WHERE slug = 'demo'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let horizon = Horizon {
        first_week: Date::from_unix_ms(NOW_MS).week_start(1),
        weeks: 26,
    };
    let input = load_capacity_input(
        &mut pool.acquire().await.unwrap(),
        ws,
        horizon,
        TentativeMode::Weighted,
    )
    .await
    .unwrap();

    let people: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM people WHERE workspace_id = $1 AND active = 1")
            .bind(ws)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(input.people.len() as i64, people);
    let skills: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM person_skills WHERE workspace_id = $1")
            .bind(ws)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        input
            .people
            .iter()
            .map(|p| p.skills.len() as i64)
            .sum::<i64>(),
        skills
    );
    // Every allocation in the horizon is there, confirmed and tentative, and nothing else.
    let (confirmed, tentative): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(project_id), COUNT(deal_id) FROM allocations
         WHERE workspace_id = $1 AND week >= $2 AND week < $3",
    )
    .bind(ws)
    .bind(horizon.first_week.to_string())
    .bind(horizon.end().to_string())
    .fetch_one(&pool)
    .await
    .unwrap();
    let loaded_confirmed = input
        .allocations
        .iter()
        .filter(|a| a.kind == AllocationKind::Confirmed)
        .count() as i64;
    assert_eq!(loaded_confirmed, confirmed);
    assert_eq!(input.allocations.len() as i64 - loaded_confirmed, tentative);
    assert!(confirmed > 0 && tentative > 0);
    assert!(input.allocations.iter().all(|a| a.week < 26));
    // Time off becomes minutes in the right weeks.
    assert!(input.people.iter().any(|p| !p.time_off.is_empty()));
    // The other workspace's people are not here.
    let theirs: Vec<i64> = sqlx::query_scalar("SELECT id FROM people WHERE workspace_id <> $1")
        .bind(ws)
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(input.people.iter().all(|p| !theirs.contains(&p.id)));

    // A deal in negotiation checks end to end.
    let deal: i64 = sqlx::query_scalar(
        "SELECT d.id FROM deals d JOIN stages s ON s.id = d.stage_id WHERE d.workspace_id = $1 AND s.name = 'Negotiation' LIMIT 1",
    )
    .bind(ws)
    .fetch_one(&pool)
    .await
    .unwrap();
    let (demand, start, value) = load_deal_demand(&mut pool.acquire().await.unwrap(), ws, deal)
        .await
        .unwrap()
        .unwrap();
    assert!(!demand.lines.is_empty() && value > 0);
    let engine = Engine::new(&input).unwrap();
    let start_week = start.and_then(|d| horizon.week_of(d)).unwrap();
    let report = engine.check(&demand, start_week).unwrap();
    assert_eq!(
        report.cells.len(),
        demand.lines.len() * demand.weeks as usize
    );
    assert!(
        load_deal_demand(&mut pool.acquire().await.unwrap(), ws + 1, deal)
            .await
            .unwrap()
            .is_none(),
        "scoped to the workspace"
    );
}

#[test]
fn weeks_map_into_the_horizon() {
    let h = Horizon {
        first_week: Date::parse("2026-11-16").unwrap(),
        weeks: 2,
    };
    assert_eq!(h.week_of(Date::parse("2026-11-16").unwrap()), Some(0));
    assert_eq!(h.week_of(Date::parse("2026-11-29").unwrap()), Some(1));
    assert_eq!(h.week_of(Date::parse("2026-11-30").unwrap()), None);
    assert_eq!(h.week_of(Date::parse("2026-11-15").unwrap()), None);
}
