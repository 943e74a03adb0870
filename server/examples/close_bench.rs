//! Close benchmark: seeds an agency of 500 people and 5,000 deals into a throw-away
//! database (a SQLite file; a new PostgreSQL database when `BATON_TEST_POSTGRES` names a
//! server), then closes open deals through `POST /api/close_deal` (the whole server
//! path: session, checks on the server, the project spawn in one transaction) at 1, 8 and
//! 32 concurrent callers. Beside it, in the same run and on the same database, a bare
//! transaction writes the same rows (deal to Won, the project, its allocations in one
//! multi-row INSERT as a close does, two events) with no checks, under the same write lock (`db::begin_write`: `BEGIN IMMEDIATE`
//! on SQLite, the workspace's advisory lock on PostgreSQL). Reports p50 / p99 latency, throughput and the ratio.
//!
//! ```text
//! cargo run --profile server-release -p baton --example close_bench [closes-per-level]
//! ```

use app::server::db::Pool;
use app::server::{context, db, seed, state::AppState};
use axum::body::Body;
use axum::http::{header, Request};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use tower::ServiceExt;

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

async fn call(router: &axum::Router, name: &str, form: String, cookie: &str) -> (u16, String) {
    let request = Request::post(format!("/api/{name}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        // As a page of the site sends it: the cross-site guard refuses anything else.
        .header("sec-fetch-site", "same-origin")
        .header(header::COOKIE, cookie)
        .body(Body::from(form))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

/// What one close wrote, to be written again bare.
#[derive(Clone)]
struct Rows {
    allocations: Vec<(i64, String, i64)>,
    report: String,
}

/// One bare transaction writing a close's rows for `deal` (no reads, no checks).
async fn bare_close(pool: &Pool, ws: i64, won: i64, deal: (i64, i64), rows: &Rows, n: i64) {
    let now = context::now_ms();
    let mut tx = db::begin_write(pool, ws).await.unwrap();
    sqlx::query(
        "UPDATE deals SET stage_id = $1, stage_entered_at = $2, updated_at = $2, closed_at = $2,
                          furthest_stage_id = $1, progressed_at = $2, version = version + 1
         WHERE id = $3 AND workspace_id = $4",
    )
    .bind(won)
    .bind(now)
    .bind(deal.0)
    .bind(ws)
    .execute(&mut *tx)
    .await
    .unwrap();
    let project: i64 = sqlx::query_scalar(
        "INSERT INTO projects (workspace_id, deal_id, client_id, name, budget_minor, starts_on, ends_on,
                               status, check_report, close_key, close_fingerprint, created_at)
         VALUES ($1, $2, $3, 'Bare', 100, '2027-01-04', '2027-03-26', 'planned', $4, $5, 'x', $6)
         RETURNING id",
    )
    .bind(ws)
    .bind(deal.0)
    .bind(deal.1)
    .bind(&rows.report)
    .bind(format!("bare-close-key-{n:08}"))
    .bind(now)
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    sqlx::query("DELETE FROM allocations WHERE deal_id = $1")
        .bind(deal.0)
        .execute(&mut *tx)
        .await
        .unwrap();
    // The same rows in the same multi-row INSERT a close uses.
    let cells: Vec<(i64, app::domain::calendar::Date, i64)> = rows
        .allocations
        .iter()
        .map(|(person, week, minutes)| {
            (
                *person,
                app::domain::calendar::Date::parse(week).expect("a week date"),
                *minutes,
            )
        })
        .collect();
    app::server::close_repo::insert_allocations(&mut tx, ws, project, &cells, now)
        .await
        .unwrap();
    for entity in ["deal", "project"] {
        sqlx::query(
            "INSERT INTO events (workspace_id, seq, actor_user_id, entity, entity_id, action, after_json, created_at)
             SELECT $1, COALESCE(MAX(seq), 0) + 1, NULL, $2, $3, 'won', '{}', $4 FROM events WHERE workspace_id = $1",
        )
        .bind(ws)
        .bind(entity)
        .bind(deal.0)
        .bind(now)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

struct Level {
    p50: f64,
    p99: f64,
    per_second: f64,
}

fn summarise(mut times: Vec<f64>, wall: Duration) -> Level {
    times.sort_by(f64::total_cmp);
    Level {
        p50: percentile(&times, 0.5),
        p99: percentile(&times, 0.99),
        per_second: times.len() as f64 / wall.as_secs_f64(),
    }
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let per_level: usize = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let dir = tempfile::tempdir().unwrap();
    let url = db::scratch_database(dir.path()).await;
    eprintln!("database: {}", db::redact(&url));
    let database = db::Database::open(&url, db::PoolLimits::default())
        .await
        .unwrap();
    let pool = database.writer().clone();
    let t = Instant::now();
    seed::seed_demo(
        &pool,
        seed::SeedSize {
            people: 500,
            deals: 5_000,
        },
        context::now_ms(),
    )
    .await
    .unwrap();
    eprintln!("seeded 500 people / 5,000 deals in {:.1?}", t.elapsed());
    let options = LeptosOptions::builder()
        .output_name("baton")
        .site_root(dir.path().display().to_string())
        .build();
    let router = baton::router(AppState::new(options, database, false));

    let (status, _) = call(
        &router,
        "login",
        "email=admin%40northwind.test&password=baton-demo".into(),
        "",
    )
    .await;
    assert!(status < 400, "login");
    // The session cookie: sign in again through the router to read it.
    let request = Request::post("/api/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .body(Body::from(
            "email=admin%40northwind.test&password=baton-demo",
        ))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("baton_session="))
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_string();

    let ws: i64 = sqlx::query_scalar("SELECT id FROM workspaces WHERE slug = 'demo'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let won: i64 =
        sqlx::query_scalar("SELECT id FROM stages WHERE workspace_id = $1 AND kind = 'won'")
            .bind(ws)
            .fetch_one(&pool)
            .await
            .unwrap();
    // Open deals with an estimate: half closed through the server, half written bare.
    let deals: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT d.id, d.version, d.client_id FROM deals d JOIN stages s ON s.id = d.stage_id
         WHERE d.workspace_id = $1 AND s.kind = 'open' AND d.archived_at IS NULL
           AND EXISTS (SELECT 1 FROM deal_estimate_lines l WHERE l.deal_id = d.id)
         ORDER BY d.id",
    )
    .bind(ws)
    .fetch_all(&pool)
    .await
    .unwrap();
    let levels = [1_usize, 8, 32];
    let needed = per_level * levels.len();
    assert!(
        deals.len() >= 2 * needed,
        "only {} open deals with an estimate",
        deals.len()
    );
    let (zone, week_start) = app::server::workspace_repo::calendar(&pool, ws)
        .await
        .unwrap();
    let this_week = app::server::calendar::WorkspaceCalendar::stored(&zone, week_start)
        .this_week(context::now_ms())
        .add_days(14)
        .to_string();
    let (served, bare) = deals.split_at(needed);
    let written: Arc<Mutex<Vec<Rows>>> = Arc::new(Mutex::new(Vec::new()));

    println!("| callers | close p50 ms | close p99 ms | closes/s | bare p50 ms | bare p99 ms | bare tx/s | p50 ratio | p99 ratio |");
    println!("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut served_next = 0;
    let mut bare_next = 0;
    for callers in levels {
        // Through the server.
        let queue = Arc::new(Mutex::new(
            served[served_next..served_next + per_level].to_vec(),
        ));
        served_next += per_level;
        let times = Arc::new(Mutex::new(Vec::new()));
        let closed = Arc::new(Mutex::new(Vec::new()));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..callers {
            let (queue, times, router, cookie, start_on, closed) = (
                queue.clone(),
                times.clone(),
                router.clone(),
                cookie.clone(),
                this_week.clone(),
                closed.clone(),
            );
            tasks.push(tokio::spawn(async move {
                loop {
                    let Some((deal, version, _)) = queue.lock().await.pop() else {
                        break;
                    };
                    let form = format!(
                        "deal_id={deal}&version={version}&close_key=bench-close-{deal:010}&start_on={start_on}&staffing=&override_reason=Benchmark%20close%20run"
                    );
                    let t = Instant::now();
                    let (status, body) = call(&router, "close_deal", form, &cookie).await;
                    let ms = t.elapsed().as_secs_f64() * 1e3;
                    assert_eq!(status, 200, "{body}");
                    times.lock().await.push(ms);
                    closed.lock().await.push(deal);
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let served_level = summarise(times.lock().await.clone(), started.elapsed());
        // What each close wrote, read back outside the timing.
        for deal in closed.lock().await.iter() {
            let (project, report): (i64, String) =
                sqlx::query_as("SELECT id, check_report FROM projects WHERE deal_id = $1")
                    .bind(deal)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            let allocations = sqlx::query_as(
                "SELECT person_id, week, minutes FROM allocations WHERE project_id = $1",
            )
            .bind(project)
            .fetch_all(&pool)
            .await
            .unwrap();
            written.lock().await.push(Rows {
                allocations,
                report,
            });
        }

        // Bare, the same rows.
        let rows: Vec<Rows> = written.lock().await.drain(..).collect();
        let work: Vec<((i64, i64), Rows, i64)> = bare[bare_next..bare_next + per_level]
            .iter()
            .zip(rows)
            .enumerate()
            .map(|(i, (d, r))| ((d.0, d.2), r, (bare_next + i) as i64))
            .collect();
        bare_next += per_level;
        let queue = Arc::new(Mutex::new(work));
        let times = Arc::new(Mutex::new(Vec::new()));
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..callers {
            let (queue, times, pool) = (queue.clone(), times.clone(), pool.clone());
            tasks.push(tokio::spawn(async move {
                loop {
                    let Some((deal, rows, n)) = queue.lock().await.pop() else {
                        break;
                    };
                    let t = Instant::now();
                    bare_close(&pool, ws, won, deal, &rows, n).await;
                    times.lock().await.push(t.elapsed().as_secs_f64() * 1e3);
                }
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let bare_level = summarise(times.lock().await.clone(), started.elapsed());
        println!(
            "| {callers} | {:.2} | {:.2} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2}× | {:.2}× |",
            served_level.p50,
            served_level.p99,
            served_level.per_second,
            bare_level.p50,
            bare_level.p99,
            bare_level.per_second,
            served_level.p50 / bare_level.p50,
            served_level.p99 / bare_level.p99,
        );
    }
    let allocations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM allocations")
        .fetch_one(&pool)
        .await
        .unwrap();
    eprintln!("allocations in the database at the end: {allocations}");
}
