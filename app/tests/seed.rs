//! The data model and the demo seed against a real SQLite database.
#![cfg(feature = "ssr")]

use app::domain::permissions::RolePreset;
use app::server::db::Pool;
use app::server::{db, seed};

const NOW_MS: i64 = 1_795_000_000_000; // 2026-11-18, a Wednesday

async fn fresh_db() -> (tempfile::TempDir, Pool) {
    let dir = tempfile::tempdir().unwrap();
    let url = db::scratch_database(dir.path()).await;
    let pool = db::connect_and_migrate(&url).await.unwrap();
    (dir, pool)
}

async fn count(pool: &Pool, sql: &str, workspace: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(workspace)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn demo_seed_writes_a_realistic_agency_once() {
    let (_dir, pool) = fresh_db().await;
    assert!(seed::seed_demo_if_empty(&pool, NOW_MS).await.unwrap());
    assert!(
        !seed::seed_demo_if_empty(&pool, NOW_MS).await.unwrap(),
        "seeds on first start only"
    );

    let ws = "demo";
    let scoped = |table: &str| {
        format!("SELECT COUNT(*) FROM {table} t JOIN workspaces w ON w.id = t.workspace_id WHERE w.slug = $1")
    };
    assert!(count(&pool, &scoped("people"), ws).await >= 25);
    assert!(count(&pool, &scoped("skills"), ws).await >= 6);
    assert!(count(&pool, &scoped("clients"), ws).await >= 8);
    assert!(count(&pool, &scoped("deals"), ws).await >= 60);
    assert!(count(&pool, &scoped("time_off"), ws).await >= 1);
    assert!(count(&pool, &scoped("deal_estimate_lines"), ws).await >= 120);
    // Every stage has deals.
    let empty_stages = count(
        &pool,
        "SELECT COUNT(*) FROM stages s JOIN workspaces w ON w.id = s.workspace_id
         WHERE w.slug = $1 AND NOT EXISTS (SELECT 1 FROM deals d WHERE d.stage_id = s.id)",
        ws,
    )
    .await;
    assert_eq!(empty_stages, 0);
    // At least ten running projects, each with allocations and time logged.
    let running_staffed = count(
        &pool,
        "SELECT COUNT(*) FROM projects p JOIN workspaces w ON w.id = p.workspace_id
         WHERE w.slug = $1 AND p.status = 'active'
           AND EXISTS (SELECT 1 FROM allocations a WHERE a.project_id = p.id)
           AND EXISTS (SELECT 1 FROM time_entries t WHERE t.project_id = p.id)",
        ws,
    )
    .await;
    assert!(
        running_staffed >= 10,
        "running staffed projects: {running_staffed}"
    );
    // Tentative allocations exist for open deals.
    assert!(
        count(
            &pool,
            &(scoped("allocations") + " AND t.deal_id IS NOT NULL"),
            ws
        )
        .await
            > 0
    );
    // One login per built-in role, each with an argon2id hash.
    for preset in RolePreset::ALL {
        let n = count(
            &pool,
            "SELECT COUNT(*) FROM users u JOIN roles r ON r.id = u.role_id
             JOIN workspaces w ON w.id = u.workspace_id
             WHERE w.slug = $1 AND r.preset = $2 AND u.password_hash LIKE '$argon2id$v=19$m=19456,t=2,p=1$%'"
                .replace("$2", &format!("'{}'", preset.key()))
                .as_str(),
            ws,
        )
        .await;
        assert!(n >= 1, "no demo login for {preset:?}");
    }
    // Some open deals went a stage further once and were moved back: their days in
    // stage started again, their days without progress did not, and some of them rot
    // only by that clock. Progress never comes after the stage was entered.
    let open_deals = |condition: &str| {
        format!(
            "SELECT COUNT(*) FROM deals d JOIN stages s ON s.id = d.stage_id
             JOIN stages f ON f.id = d.furthest_stage_id
             JOIN workspaces w ON w.id = d.workspace_id
             WHERE w.slug = $1 AND s.kind = 'open' AND {condition}"
        )
    };
    let bounced = count(
        &pool,
        &open_deals("f.position > s.position AND d.progressed_at < d.stage_entered_at"),
        ws,
    )
    .await;
    let rotting_by_progress_only = count(
        &pool,
        &open_deals(&format!(
            "({NOW_MS} - d.progressed_at) / 86400000 > s.rotting_days
             AND ({NOW_MS} - d.stage_entered_at) / 86400000 <= s.rotting_days"
        )),
        ws,
    )
    .await;
    assert!(
        bounced >= 4 && rotting_by_progress_only >= 1,
        "bounced: {bounced}, rotting only by progress: {rotting_by_progress_only}"
    );
    let unordered = count(
        &pool,
        "SELECT COUNT(*) FROM deals d JOIN workspaces w ON w.id = d.workspace_id
         WHERE w.slug = $1 AND (d.progressed_at IS NULL OR d.furthest_stage_id IS NULL
                                OR d.progressed_at > d.stage_entered_at)",
        ws,
    )
    .await;
    assert_eq!(unordered, 0);
    // The second workspace exists and is small.
    assert_eq!(count(&pool, &scoped("deals"), "bluebird").await, 10);
    assert_eq!(count(&pool, &scoped("users"), "bluebird").await, 1);
    // Events are numbered 1..n per workspace.
    let (max_seq, n): (i64, i64) = sqlx::query_as(
        "SELECT MAX(seq), COUNT(*) FROM events e JOIN workspaces w ON w.id = e.workspace_id WHERE w.slug = 'demo'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(max_seq, n);
}

#[tokio::test]
async fn no_row_of_one_workspace_points_into_another() {
    let (_dir, pool) = fresh_db().await;
    seed::seed_demo(&pool, seed::SeedSize::DEMO, NOW_MS)
        .await
        .unwrap();
    let crossings: i64 = sqlx::query_scalar(
        "SELECT
           (SELECT COUNT(*) FROM deals d JOIN clients c ON c.id = d.client_id WHERE c.workspace_id <> d.workspace_id)
         + (SELECT COUNT(*) FROM deals d JOIN stages s ON s.id = d.stage_id WHERE s.workspace_id <> d.workspace_id)
         + (SELECT COUNT(*) FROM deals d JOIN stages s ON s.id = d.furthest_stage_id WHERE s.workspace_id <> d.workspace_id)
         + (SELECT COUNT(*) FROM deals d JOIN users u ON u.id = d.owner_user_id WHERE u.workspace_id <> d.workspace_id)
         + (SELECT COUNT(*) FROM allocations a JOIN people p ON p.id = a.person_id WHERE p.workspace_id <> a.workspace_id)
         + (SELECT COUNT(*) FROM time_entries t JOIN projects p ON p.id = t.project_id WHERE p.workspace_id <> t.workspace_id)
         + (SELECT COUNT(*) FROM users u JOIN roles r ON r.id = u.role_id WHERE r.workspace_id <> u.workspace_id)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(crossings, 0);
}

/// Every name and text a person reads in `slug`'s workspace.
async fn words_of(pool: &Pool, slug: &str) -> Vec<String> {
    let mut words = Vec::new();
    for sql in [
        "SELECT t.name FROM clients t",
        "SELECT t.contact_name FROM clients t",
        "SELECT t.title FROM deals t",
        "SELECT t.brief_goals FROM deals t",
        "SELECT t.brief_priorities FROM deals t",
        "SELECT t.brief_context FROM deals t",
        "SELECT t.name FROM projects t",
        "SELECT t.name FROM people t",
        "SELECT t.name FROM users t",
        "SELECT t.name FROM skills t",
        "SELECT t.name FROM stages t",
        "SELECT t.reason FROM time_off t",
    ] {
        let scoped = format!(
            "{sql} JOIN workspaces w ON w.id = t.workspace_id WHERE w.slug = $1 ORDER BY 1"
        );
        let found: Vec<String> = sqlx::query_scalar(&scoped)
            .bind(slug)
            .fetch_all(pool)
            .await
            .unwrap();
        assert!(!found.is_empty(), "{slug}: nothing for {sql}");
        words.extend(found);
    }
    words.sort();
    words.dedup();
    words
}

/// The kinds of `slug`'s stages, in pipeline order.
async fn stage_kinds(pool: &Pool, slug: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT s.kind FROM stages s JOIN workspaces w ON w.id = s.workspace_id
         WHERE w.slug = $1 ORDER BY s.position",
    )
    .bind(slug)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_two_workspaces_have_their_own_names() {
    let (_dir, pool) = fresh_db().await;
    seed::seed_demo(&pool, seed::SeedSize::DEMO, NOW_MS)
        .await
        .unwrap();
    let northwind = words_of(&pool, "demo").await;
    let bluebird = words_of(&pool, "bluebird").await;
    let shared: Vec<&String> = bluebird.iter().filter(|w| northwind.contains(w)).collect();
    assert!(shared.is_empty(), "in both workspaces: {shared:?}");
    // A brand and video studio in New York, with Northwind's pipeline shape.
    let (zone, currency): (String, String) =
        sqlx::query_as("SELECT time_zone, currency FROM workspaces WHERE slug = 'bluebird'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (zone.as_str(), currency.as_str()),
        ("America/New_York", "USD")
    );
    assert!(bluebird.iter().any(|w| w == "Video editing"));
    assert_eq!(
        stage_kinds(&pool, "bluebird").await,
        stage_kinds(&pool, "demo").await
    );
    // Staffed: its won deals have projects with people on them and time logged.
    let scoped = |table: &str| {
        format!("SELECT COUNT(*) FROM {table} t JOIN workspaces w ON w.id = t.workspace_id WHERE w.slug = $1")
    };
    assert!(count(&pool, &scoped("projects"), "bluebird").await >= 2);
    assert!(count(&pool, &scoped("allocations"), "bluebird").await > 0);
    assert!(count(&pool, &scoped("time_entries"), "bluebird").await > 0);
}

#[tokio::test]
async fn the_seed_is_deterministic_for_a_given_day() {
    let (_a, first) = fresh_db().await;
    let (_b, second) = fresh_db().await;
    seed::seed_demo(&first, seed::SeedSize::DEMO, NOW_MS)
        .await
        .unwrap();
    seed::seed_demo(&second, seed::SeedSize::DEMO, NOW_MS)
        .await
        .unwrap();
    let sql = "SELECT title || '|' || value_minor || '|' || stage_id || '|' || COALESCE(planned_start_on, '') FROM deals ORDER BY id";
    let a: Vec<String> = sqlx::query_scalar(sql).fetch_all(&first).await.unwrap();
    let b: Vec<String> = sqlx::query_scalar(sql).fetch_all(&second).await.unwrap();
    assert_eq!(a, b);
    let sql = "SELECT person_id || '|' || week || '|' || minutes FROM allocations ORDER BY id";
    let a: Vec<String> = sqlx::query_scalar(sql).fetch_all(&first).await.unwrap();
    let b: Vec<String> = sqlx::query_scalar(sql).fetch_all(&second).await.unwrap();
    assert_eq!(a, b);
}

#[tokio::test]
async fn the_generator_scales() {
    let (_dir, pool) = fresh_db().await;
    let report = seed::seed_demo(
        &pool,
        seed::SeedSize {
            people: 120,
            deals: 600,
        },
        NOW_MS,
    )
    .await
    .unwrap();
    assert_eq!(report.people, 120 + 6);
    assert_eq!(report.deals, 600 + 10);
    let deals: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM deals")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(deals, report.deals);
}

#[tokio::test]
async fn the_database_runs_durable_with_foreign_keys() {
    let (dir, pool) = fresh_db().await;
    let url = db::scratch_database(dir.path()).await;
    if db::Backend::of_url(&url) == Ok(db::Backend::Postgres) {
        // PostgreSQL: a commit is acknowledged after its WAL is flushed; foreign keys
        // are always enforced (checked by `constraints_reject_impossible_rows`).
        for (setting, expected) in [("synchronous_commit", "on"), ("fsync", "on")] {
            let value: String = sqlx::query_scalar(&format!("SHOW {setting}"))
                .fetch_one(&pool)
                .await
                .unwrap();
            assert_eq!(value, expected, "{setting}");
        }
        return;
    }
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(sync, 2, "synchronous = FULL");
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(fk, 1);
}

#[tokio::test]
async fn constraints_reject_impossible_rows() {
    let (_dir, pool) = fresh_db().await;
    seed::seed_demo(&pool, seed::SeedSize::DEMO, NOW_MS)
        .await
        .unwrap();
    let deal: (i64, i64) = sqlx::query_as("SELECT id, workspace_id FROM deals LIMIT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    for bad in [
        "UPDATE deals SET value_minor = -1 WHERE id = $1",
        "UPDATE deals SET probability_override_pct = 101 WHERE id = $1",
        "UPDATE deals SET stage_id = 999999 WHERE id = $1",
        "UPDATE deals SET title = '' WHERE id = $1",
    ] {
        let result = sqlx::query(bad).bind(deal.0).execute(&pool).await;
        assert!(result.is_err(), "accepted: {bad}");
    }
    // Events are append-only.
    assert!(sqlx::query("UPDATE events SET action = 'x'")
        .execute(&pool)
        .await
        .is_err());
    assert!(sqlx::query("DELETE FROM events")
        .execute(&pool)
        .await
        .is_err());
    // A deal has at most one project.
    let twice = sqlx::query(
        "INSERT INTO projects (workspace_id, deal_id, client_id, name, budget_minor, starts_on, ends_on, created_at)
         SELECT workspace_id, deal_id, client_id, name || ' again', 0, starts_on, ends_on, 0 FROM projects LIMIT 1",
    )
    .execute(&pool)
    .await;
    assert!(twice.is_err());
    // An allocation is on a project or a deal, not both, not neither.
    let both = sqlx::query(
        "INSERT INTO allocations (workspace_id, person_id, project_id, deal_id, week, minutes, created_at)
         SELECT $1, (SELECT id FROM people LIMIT 1), (SELECT id FROM projects LIMIT 1), $2, '2026-11-16', 60, 0",
    )
    .bind(deal.1)
    .bind(deal.0)
    .execute(&pool)
    .await;
    assert!(both.is_err());
}
