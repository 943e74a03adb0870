//! Shared set-up for the HTTP tests: a seeded database, the router, signing in.
#![allow(dead_code)]

use app::server::db::Pool;
use app::server::{db, seed, state::AppState};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use tower::ServiceExt;

/// A seeded demo database with its router. The directory lives as long as this does.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    /// The database's URL (SQLite in `dir`, or PostgreSQL: see `db::scratch_database`).
    pub url: String,
    pub pool: Pool,
    /// The server's own connections (one writer, the readers).
    pub server_db: db::Database,
    pub router: axum::Router,
    /// The server's clock (a second server of the fixture shares it).
    pub clock: std::sync::Arc<dyn app::server::clock::Clock>,
}

/// An answer: status, headers, body text.
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

pub const NOBODY: &str = "nobody@northwind.test";
pub const PASSWORD: &str = seed::DEMO_PASSWORD;

/// The demo workspace's calendar as seeded: Europe/Berlin, weeks from Monday.
pub fn demo_calendar() -> app::server::calendar::WorkspaceCalendar {
    app::server::calendar::WorkspaceCalendar::new(
        "Europe/Berlin",
        app::domain::calendar::WeekStart::MONDAY,
    )
    .expect("a known zone")
}

/// Seeds the demo, plus a Northwind user whose role grants nothing (`NOBODY`).
pub async fn fixture() -> Fixture {
    fixture_with(false).await
}

/// Like [`fixture`], served as if behind HTTPS when `https`.
pub async fn fixture_with(https: bool) -> Fixture {
    fixture_with_limits(https, db::PoolLimits::default()).await
}

/// Like [`fixture`], with the server's database connections limited as given.
pub async fn fixture_with_limits(https: bool, limits: db::PoolLimits) -> Fixture {
    fixture_with_state(https, limits, |state| state).await
}

/// Like [`fixture`], behind a trusted proxy: the test router's requests come from no
/// connection (`0.0.0.0`), which is trusted, so `X-Forwarded-For` names the client.
pub async fn fixture_behind_proxy() -> Fixture {
    fixture_with_state(false, db::PoolLimits::default(), |mut state| {
        state.trusted_proxies =
            std::sync::Arc::new(app::server::limits::TrustedProxies::parse("0.0.0.0/32").unwrap());
        state
    })
    .await
}

/// A fixture whose server's clock stands at `ms` (the demo is seeded as of then) until
/// the test moves it.
pub async fn fixture_at(ms: i64) -> (Fixture, std::sync::Arc<app::server::clock::FixedClock>) {
    let clock = std::sync::Arc::new(app::server::clock::FixedClock::at(ms));
    let server_clock = clock.clone();
    let f = fixture_with_state(false, db::PoolLimits::default(), move |mut state| {
        state.clock = server_clock;
        state
    })
    .await;
    (f, clock)
}

/// Like [`fixture`], with the server's state adjusted by `adjust` before the router is
/// built.
pub async fn fixture_with_state(
    https: bool,
    limits: db::PoolLimits,
    adjust: impl FnOnce(AppState) -> AppState,
) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let url = db::scratch_database(dir.path()).await;
    let database = db::Database::open(&url, limits).await.unwrap();
    // The test's own pool, for set-up and for looking at what the server wrote.
    let pool = db::connect_and_migrate(&url).await.unwrap();
    let options = LeptosOptions::builder()
        .output_name("baton")
        .site_root(dir.path().display().to_string())
        .build();
    let state = adjust(AppState::new(options, database.clone(), https));
    // Seeded as of the server's "now" (the test's clock when it set one).
    seed::seed_demo(&pool, seed::SeedSize::DEMO, state.clock.now_ms())
        .await
        .unwrap();
    let ws: i64 = sqlx::query_scalar("SELECT id FROM workspaces WHERE slug = 'demo'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let role = sqlx::query_scalar::<_, i64>(
        "INSERT INTO roles (workspace_id, name) VALUES ($1, 'No access') RETURNING id",
    )
    .bind(ws)
    .fetch_one(&pool)
    .await
    .unwrap();
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM users WHERE email = 'team@northwind.test'")
            .fetch_one(&pool)
            .await
            .unwrap();
    sqlx::query(
        "INSERT INTO users (workspace_id, email, name, password_hash, role_id, created_at)
         VALUES ($1, $2, 'Nobody Special', $3, $4, 0)",
    )
    .bind(ws)
    .bind(NOBODY)
    .bind(hash)
    .bind(role)
    .execute(&pool)
    .await
    .unwrap();
    Fixture {
        dir,
        url,
        pool,
        server_db: database,
        clock: state.clock.clone(),
        router: baton::router(state),
    }
}

impl Fixture {
    /// Sends a request.
    pub async fn send(&self, request: Request<Body>) -> Answer {
        send_to(&self.router, request).await
    }

    /// POSTs a form-encoded body to a server function, with an optional session cookie,
    /// as a page of this site does (`Sec-Fetch-Site: same-origin`).
    pub async fn call(&self, name: &str, form: &str, cookie: Option<&str>) -> Answer {
        self.send(call_request(name, form, cookie)).await
    }

    /// [`Fixture::call`] on a second router over the same database with fresh server
    /// state (no caches, no live hub): what another server, or this one after a restart,
    /// would answer.
    pub async fn call_fresh(&self, name: &str, form: &str, cookie: Option<&str>) -> Answer {
        send_to(&self.fresh_router().await, call_request(name, form, cookie)).await
    }

    /// GETs a page with an optional session cookie.
    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Answer {
        let mut request = Request::get(path);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    /// Signs in and returns the `Cookie` header value for the new session.
    pub async fn login(&self, email: &str) -> String {
        let answer = self
            .call(
                "login",
                &format!("email={}&password={PASSWORD}", encode(email)),
                None,
            )
            .await;
        assert!(
            answer.status.is_success() || answer.status.is_redirection(),
            "login {email}: {} {}",
            answer.status,
            answer.body
        );
        session_cookie(&answer).unwrap_or_else(|| panic!("no session cookie for {email}"))
    }

    /// One number that changes whenever any row is written: for "nothing was written".
    pub async fn fingerprint(&self) -> String {
        sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM events) || '/' || (SELECT COUNT(*) FROM users) || '/' ||
                    (SELECT CAST(SUM(version) AS BIGINT) FROM users) || '/' || (SELECT COUNT(*) FROM roles) || '/' ||
                    (SELECT CAST(SUM(version) AS BIGINT) FROM roles) || '/' || (SELECT COUNT(*) FROM role_permissions) || '/' ||
                    (SELECT CAST(SUM(version) AS BIGINT) FROM deals) || '/' || (SELECT COUNT(*) FROM deals) || '/' ||
                    (SELECT COUNT(*) FROM sessions) || '/' || (SELECT COUNT(*) FROM clients) || '/' ||
                    (SELECT CAST(SUM(version) AS BIGINT) FROM clients) || '/' ||
                    (SELECT COUNT(*) || ':' || CAST(COALESCE(SUM(minutes), 0) AS BIGINT) FROM deal_estimate_lines) || '/' ||
                    (SELECT COUNT(*) || ':' || CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM projects) || '/' ||
                    (SELECT COUNT(*) || ':' || CAST(COALESCE(SUM(minutes), 0) AS BIGINT) || ':' || CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM allocations) || '/' ||
                    (SELECT COUNT(*) || ':' || CAST(COALESCE(SUM(minutes_per_day), 0) AS BIGINT) FROM time_off) || '/' ||
                    (SELECT COUNT(*) || ':' || CAST(COALESCE(SUM(minutes), 0) AS BIGINT) FROM time_entries) || '/' ||
                    (SELECT COUNT(*) || ':' || CAST(COALESCE(SUM(version), 0) AS BIGINT) FROM change_requests) || '/' ||
                    (SELECT COUNT(*) FROM status_updates) || '/' ||
                    (SELECT COUNT(*) || ':' || COUNT(revoked_at) FROM share_links) || '/' ||
                    (SELECT COUNT(*) FROM people) || '/' || (SELECT COUNT(*) FROM skills) || '/' ||
                    (SELECT COUNT(*) FROM person_skills) || '/' || (SELECT COUNT(*) FROM import_parts) || '/' ||
                    (SELECT CAST(SUM(version) AS BIGINT) FROM workspaces)",
        )
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    /// Adds a Northwind user whose role grants every permission but `missing`; returns
    /// their email (password `PASSWORD`).
    pub async fn user_without(&self, missing: app::domain::permissions::Permission) -> String {
        self.user_without_any(&[missing]).await
    }

    /// Adds a Northwind user whose role grants every permission but those in `missing`;
    /// returns their email (password `PASSWORD`).
    pub async fn user_without_any(
        &self,
        missing: &[app::domain::permissions::Permission],
    ) -> String {
        use app::domain::permissions::Permission;
        let names: Vec<String> = missing
            .iter()
            .map(|p| p.as_str().replace('_', "-"))
            .collect();
        let ws = self
            .id("SELECT id FROM workspaces WHERE slug = 'demo'")
            .await;
        let role = sqlx::query_scalar::<_, i64>(
            "INSERT INTO roles (workspace_id, name) VALUES ($1, $2) RETURNING id",
        )
        .bind(ws)
        .bind(format!("All but {}", names.join(" ")))
        .fetch_one(&self.pool)
        .await
        .unwrap();
        for p in Permission::ALL.into_iter().filter(|p| !missing.contains(p)) {
            sqlx::query("INSERT INTO role_permissions (role_id, workspace_id, permission) VALUES ($1, $2, $3)")
                .bind(role)
                .bind(ws)
                .bind(p.as_str())
                .execute(&self.pool)
                .await
                .unwrap();
        }
        let email = format!("without-{}@northwind.test", names.join("-"));
        let hash: String = sqlx::query_scalar(
            "SELECT password_hash FROM users WHERE email = 'team@northwind.test'",
        )
        .fetch_one(&self.pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO users (workspace_id, email, name, password_hash, role_id, created_at)
             VALUES ($1, $2, 'Almost Everything', $3, $4, 0)",
        )
        .bind(ws)
        .bind(&email)
        .bind(hash)
        .bind(role)
        .execute(&self.pool)
        .await
        .unwrap();
        email
    }

    /// A second router on the same database with fresh server state.
    async fn fresh_router(&self) -> axum::Router {
        baton::router(self.fresh_state().await)
    }

    /// Fresh server state over this fixture's database (no caches, no live hub), as a
    /// second server, or this one after a restart, would start with.
    pub async fn fresh_state(&self) -> AppState {
        let database = db::Database::open(&self.url, db::PoolLimits::default())
            .await
            .unwrap();
        let options = LeptosOptions::builder()
            .output_name("baton")
            .site_root(self.dir.path().display().to_string())
            .build();
        let mut state = AppState::new(options, database, false);
        state.clock = self.clock.clone();
        state
    }

    /// An id from a query's first row.
    pub async fn id(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }

    /// The names that are one workspace's own (by slug): its clients, deal titles,
    /// projects and people. The two seeded workspaces share none, so finding one of
    /// them in the other workspace's answer means something leaked.
    pub async fn names_of(&self, slug: &str) -> Vec<String> {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT c.name FROM clients c JOIN workspaces w ON w.id = c.workspace_id WHERE w.slug = $1
             UNION SELECT d.title FROM deals d JOIN workspaces w ON w.id = d.workspace_id WHERE w.slug = $1
             UNION SELECT p.name FROM projects p JOIN workspaces w ON w.id = p.workspace_id WHERE w.slug = $1
             UNION SELECT p.name FROM people p JOIN workspaces w ON w.id = p.workspace_id WHERE w.slug = $1",
        )
        .bind(slug)
        .fetch_all(&self.pool)
        .await
        .unwrap();
        assert!(names.len() > 10, "{slug} has too few names to look for");
        names
    }
}

/// The first of `names` that `text` holds, if any.
pub fn leaked<'a>(text: &str, names: &'a [String]) -> Option<&'a str> {
    names
        .iter()
        .map(String::as_str)
        .find(|name| text.contains(name))
}

/// The `name=value` of the session cookie an answer sets.
pub fn session_cookie(answer: &Answer) -> Option<String> {
    answer
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("baton_session=") && !v.starts_with("baton_session=;"))
        .map(|v| v.split(';').next().unwrap().to_string())
}

/// Form-encodes a value.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Reads live events from an SSE body until `done` says so, the stream ends, or 3 s pass.
pub async fn read_until(
    body: Body,
    done: impl Fn(&[app::api::live::LiveEvent]) -> bool,
) -> Vec<app::api::live::LiveEvent> {
    read_events(body, std::time::Duration::from_secs(3), done)
        .await
        .0
}

/// Reads live events from an SSE body until `done` says so, the stream ends, or `wait`
/// passes; and whether the stream ended.
pub async fn read_events(
    body: Body,
    wait: std::time::Duration,
    done: impl Fn(&[app::api::live::LiveEvent]) -> bool,
) -> (Vec<app::api::live::LiveEvent>, bool) {
    let mut body = body;
    let mut text = String::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    let mut ended = false;
    while !done(&events) {
        match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Some(bytes) = frame.data_ref() {
                    text.push_str(&String::from_utf8_lossy(bytes));
                }
            }
            Ok(None) | Ok(Some(Err(_))) => {
                ended = true;
            }
            Err(_) => break,
        }
        while let Some(end) = text.find("\n\n") {
            let block: String = text.drain(..end + 2).collect();
            for line in block.lines() {
                if let Some(data) = line
                    .strip_prefix("data: ")
                    .or_else(|| line.strip_prefix("data:"))
                {
                    if let Ok(event) = serde_json::from_str(data) {
                        events.push(event);
                    }
                }
            }
        }
        if ended {
            break;
        }
    }
    (events, ended)
}

/// Sends a request through `router`.
pub async fn send_to(router: &axum::Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

/// A form-encoded POST to a server function, as a page of this site sends it.
pub fn call_request(name: &str, form: &str, cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::post(format!("/api/{name}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header("sec-fetch-site", "same-origin");
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::from(form.to_string())).unwrap()
}
