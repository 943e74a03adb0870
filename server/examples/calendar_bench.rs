//! Calendar benchmark: what a workspace's time zone and week start cost. Measures the
//! calendar itself (today's date in a zone, looking a zone up, the offsets a page gets),
//! then seeds an agency of 500 people and 5,000 deals into a throw-away database (a
//! SQLite file; a new PostgreSQL database when `BATON_TEST_POSTGRES` names a server) and
//! times a timesheet and a planner through the server, and changing the week start
//! (Monday → Sunday → Monday), which moves every allocation.
//!
//! ```text
//! cargo run -p baton --example calendar_bench [rounds]
//! ```

use app::domain::calendar::WeekStart;
use app::server::calendar::WorkspaceCalendar;
use app::server::{context, db, seed, state::AppState};
use axum::body::Body;
use axum::http::{header, Request};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use std::time::Instant;
use tower::ServiceExt;

async fn call(router: &axum::Router, name: &str, form: &str, cookie: &str) -> (u16, String) {
    let request = Request::post(format!("/api/{name}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header("sec-fetch-site", "same-origin")
        .header(header::COOKIE, cookie)
        .body(Body::from(form.to_string()))
        .unwrap();
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("baton_session="))
        .and_then(|v| v.split(';').next())
        .map(str::to_string);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    match cookie {
        Some(cookie) => (status, cookie),
        None => (status, String::from_utf8_lossy(&body).into_owned()),
    }
}

/// p50 and p99 in ms of `rounds` calls.
async fn time_calls(
    router: &axum::Router,
    name: &str,
    form: &str,
    cookie: &str,
    rounds: usize,
) -> (f64, f64) {
    let mut times = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        let (status, body) = call(router, name, form, cookie).await;
        assert_eq!(status, 200, "{name}: {body}");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let now = context::now_ms();

    // The calendar alone.
    let berlin = WorkspaceCalendar::new("Europe/Berlin", WeekStart::MONDAY).unwrap();
    let n = 1_000_000;
    let t = Instant::now();
    let mut sum = 0_i64;
    for k in 0..n {
        sum += i64::from(berlin.today(now + k * 60_000).days());
    }
    let today_ns = t.elapsed().as_nanos() as f64 / n as f64;
    let t = Instant::now();
    for _ in 0..10_000 {
        sum += i64::from(
            WorkspaceCalendar::new("Australia/Sydney", WeekStart::SUNDAY)
                .unwrap()
                .week_start()
                .iso(),
        );
    }
    let lookup_us = t.elapsed().as_secs_f64() * 1e6 / 10_000.0;
    let t = Instant::now();
    for _ in 0..10_000 {
        sum += berlin
            .offsets(now - 365 * 86_400_000, now)
            .date_of(now)
            .days() as i64;
    }
    let offsets_us = t.elapsed().as_secs_f64() * 1e6 / 10_000.0;
    println!("| calendar step | time |");
    println!("| --- | ---: |");
    println!("| today in Europe/Berlin | {today_ns:.0} ns |");
    println!("| look a zone up (Australia/Sydney) | {lookup_us:.1} µs |");
    println!("| a year of Berlin's offsets for a page | {offsets_us:.1} µs |");
    eprintln!("(checksum {sum})");

    // Through the server.
    let dir = tempfile::tempdir().unwrap();
    let url = db::scratch_database(dir.path()).await;
    eprintln!("database: {}", db::redact(&url));
    let database = db::Database::open(&url, db::PoolLimits::default())
        .await
        .unwrap();
    let pool = database.writer().clone();
    let size = seed::SeedSize {
        people: 500,
        deals: 5_000,
    };
    seed::seed_demo(&pool, size, now).await.unwrap();
    let options = LeptosOptions::builder()
        .output_name("baton")
        .site_root(dir.path().display().to_string())
        .build();
    let router = baton::router(AppState::new(options, database, false));
    let (status, cookie) = call(
        &router,
        "login",
        "email=admin%40northwind.test&password=baton-demo",
        "",
    )
    .await;
    assert!(status < 400, "login: {cookie}");
    let ws: i64 = sqlx::query_scalar("SELECT id FROM workspaces WHERE slug = 'demo'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let allocations: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM allocations WHERE workspace_id = $1")
            .bind(ws)
            .fetch_one(&pool)
            .await
            .unwrap();

    println!();
    println!(
        "| through the server ({} rounds) | p50 ms | p99 ms |",
        rounds
    );
    println!("| --- | ---: | ---: |");
    let (p50, p99) = time_calls(&router, "timesheet", "", &cookie, rounds).await;
    println!("| `timesheet` | {p50:.2} | {p99:.2} |");
    let (p50, p99) = time_calls(&router, "capacity_grid", "weeks=12", &cookie, rounds).await;
    println!("| `capacity_grid` 12 weeks, 500 people | {p50:.2} | {p99:.2} |");

    println!();
    println!("| week start change ({allocations} allocations) | ms |");
    println!("| --- | ---: |");
    for (day, label) in [("7", "Monday → Sunday"), ("1", "Sunday → Monday")] {
        let (_, body) = call(&router, "workspace_settings", "", &cookie).await;
        let settings: serde_json::Value = serde_json::from_str(&body).unwrap();
        let version = settings["version"].as_i64().unwrap();
        let t = Instant::now();
        let (status, body) = call(
            &router,
            "set_workspace_calendar",
            &format!("time_zone=Europe%2FBerlin&week_start={day}&version={version}"),
            &cookie,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        println!("| {label} | {:.0} |", t.elapsed().as_secs_f64() * 1000.0);
    }
}
