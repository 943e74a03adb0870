//! What a probe from outside found, each as a test that failed before its fix: hostile
//! names in the head, live streams outliving their session, redirects after sign-in,
//! derived values over their limits, chunked bodies, caching, unmarked writes.

use crate::common::{encode, fixture, read_events, Fixture};
use app::api::live::LiveEvent;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use std::time::Duration;
use tower::ServiceExt;

const HOSTILE: &str = r#"</title><meta http-equiv="refresh" content="0;url=http://evil.test/"><script>alert(1)</script>"#;

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// Everything a browser would read as markup from `html` contains nothing of `HOSTILE`.
fn assert_inert(path: &str, html: &str) {
    let lower = html.to_ascii_lowercase();
    if let Some(at) = lower.find("<meta http-equiv") {
        panic!(
            "{path}: a meta refresh got into the page: {}",
            &html[at.saturating_sub(300)..(at + 200).min(html.len())]
        );
    }
    assert!(!lower.contains("<script>alert"), "{path}: a script got in");
    let head = &html[..lower.find("</head>").unwrap_or(html.len())];
    assert_eq!(
        head.matches("<title>").count(),
        1,
        "{path}: the title was broken open"
    );
    assert_eq!(head.matches("</title>").count(), 1, "{path}: {head}");
    let title = head
        .split("<title>")
        .nth(1)
        .and_then(|t| t.split("</title>").next())
        .unwrap_or_default();
    assert!(
        !title.contains('<') && !title.contains('"'),
        "{path}: title {title:?}"
    );
}

#[tokio::test]
async fn hostile_names_stay_text_in_every_page_and_head() {
    let f = fixture().await;
    let admin = f.login("admin@northwind.test").await;
    let am = f.login("am@northwind.test").await;
    let (project, client, deal): (i64, i64, i64) = sqlx::query_as(
        "SELECT p.id, p.client_id, p.deal_id FROM projects p JOIN workspaces w ON w.id = p.workspace_id
         WHERE w.slug = 'demo' AND p.deal_id IS NOT NULL ORDER BY p.id LIMIT 1",
    )
    .fetch_one(&f.pool)
    .await
    .unwrap();
    // Written the way the API writes them (the API accepts any text in a name).
    let answer = f
        .call(
            "create_client",
            &format!(
                "name={}&contact_name=&contact_email=",
                encode(&format!("{HOSTILE} (new)"))
            ),
            Some(&am),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    for sql in [
        "UPDATE clients SET name = $1 WHERE id = $2",
        "UPDATE projects SET name = $1 WHERE client_id = $2",
    ] {
        sqlx::query(sql)
            .bind(HOSTILE)
            .bind(client)
            .execute(&f.pool)
            .await
            .unwrap();
    }
    sqlx::query("UPDATE deals SET title = $1 WHERE id = $2 OR client_id = $3")
        .bind(HOSTILE)
        .bind(deal)
        .bind(client)
        .execute(&f.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE users SET name = $1 WHERE email = 'am@northwind.test'")
        .bind(HOSTILE)
        .execute(&f.pool)
        .await
        .unwrap();
    let link = f
        .call(
            "create_share_link",
            &format!("project_id={project}&show_budget=true"),
            Some(&am),
        )
        .await;
    assert_eq!(link.status, StatusCode::OK, "{}", link.body);
    let share = json(&link.body)["path"].as_str().unwrap().to_string();
    let pages = [
        "/".to_string(),
        "/pipeline".into(),
        "/clients".into(),
        format!("/clients/{client}"),
        "/projects".into(),
        format!("/projects/{project}"),
        "/capacity".into(),
        "/time".into(),
        "/data".into(),
        "/settings/users".into(),
        "/settings/roles".into(),
        "/settings/audit".into(),
    ];
    for path in &pages {
        let page = f.get(path, Some(&admin)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_inert(path, &page.body);
    }
    let page = f.get(&share, None).await;
    assert_eq!(page.status, StatusCode::OK, "{share}");
    assert_inert(&share, &page.body);
    // The project page's title carries the name, escaped.
    let page = f.get(&format!("/projects/{project}"), Some(&admin)).await;
    assert!(
        page.body.contains("&lt;/title&gt;&lt;meta http-equiv="),
        "the name is shown as text"
    );
}

/// Opens `/api/live` with a cookie.
async fn open_live(f: &Fixture, cookie: &str) -> Body {
    let answer = f
        .router
        .clone()
        .oneshot(
            Request::get("/api/live")
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    answer.into_body()
}

fn signed_out(events: &[LiveEvent]) -> bool {
    events.iter().any(|e| matches!(e, LiveEvent::SignedOut))
}

async fn user(f: &Fixture, email: &str) -> (i64, i64) {
    sqlx::query_as("SELECT id, version FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&f.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_live_stream_ends_when_its_session_does() {
    let f = fixture().await;
    let admin = f.login("admin@northwind.test").await;

    // Signed out.
    let am = f.login("am@northwind.test").await;
    let stream = open_live(&f, &am).await;
    let answer = f.call("logout", "", Some(&am)).await;
    assert!(answer.status.is_success(), "{}", answer.body);
    let (events, ended) = read_events(stream, Duration::from_secs(3), |_| false).await;
    assert!(signed_out(&events), "{events:?}");
    assert!(ended, "the stream ended");

    // Deactivated by an admin: the stream says so and ends, with nothing after.
    let daniel = f.login("daniel@northwind.test").await;
    let stream = open_live(&f, &daniel).await;
    let (id, version) = user(&f, "daniel@northwind.test").await;
    let answer = f
        .call(
            "set_user_active",
            &format!("user_id={id}&active=false&version={version}"),
            Some(&admin),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let (events, ended) = read_events(stream, Duration::from_secs(3), |_| false).await;
    assert!(signed_out(&events), "{events:?}");
    assert!(ended, "the stream ended");
    assert!(
        matches!(events.last(), Some(LiveEvent::SignedOut)),
        "{events:?}"
    );

    // Its session removed behind this server's back (another server, an expiry): the
    // stream notices within its recheck interval.
    let team = f.login("team@northwind.test").await;
    let stream = open_live(&f, &team).await;
    sqlx::query(
        "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE email = 'team@northwind.test')",
    )
    .execute(&f.pool)
    .await
    .unwrap();
    let (events, ended) = read_events(stream, Duration::from_secs(5), |_| false).await;
    assert!(signed_out(&events) && ended, "{events:?}");
}

#[tokio::test]
async fn a_live_stream_stops_showing_values_when_the_role_loses_them() {
    let f = fixture().await;
    let admin = f.login("admin@northwind.test").await;
    let am = f.login("am@northwind.test").await;
    let pm = f.login("pm@northwind.test").await;
    let stream = open_live(&f, &pm).await;
    let (role, version): (i64, i64) = sqlx::query_as(
        "SELECT r.id, r.version FROM roles r JOIN users u ON u.role_id = r.id
         WHERE u.email = 'pm@northwind.test'",
    )
    .fetch_one(&f.pool)
    .await
    .unwrap();
    let answer = f
        .call(
            "set_role_permission",
            &format!("role_id={role}&permission=view_deal_values&granted=false&version={version}"),
            Some(&admin),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    // A deal moves after the change: the viewer is told to reload, then sees no value.
    let (deal, deal_version, stage): (i64, i64, i64) = sqlx::query_as(
        "SELECT d.id, d.version,
                (SELECT s2.id FROM stages s2 WHERE s2.workspace_id = d.workspace_id
                   AND s2.kind = 'open' AND s2.id != d.stage_id ORDER BY s2.position LIMIT 1)
         FROM deals d JOIN stages s ON s.id = d.stage_id JOIN workspaces w ON w.id = d.workspace_id
         WHERE w.slug = 'demo' AND s.kind = 'open' AND d.archived_at IS NULL ORDER BY d.id LIMIT 1",
    )
    .fetch_one(&f.pool)
    .await
    .unwrap();
    // Give the stream a moment to take the change of access before the move.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let answer = f
        .call(
            "move_deal",
            &format!("deal_id={deal}&stage_id={stage}&version={deal_version}"),
            Some(&am),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let (events, _) = read_events(stream, Duration::from_secs(3), |e| {
        e.iter().any(|e| matches!(e, LiveEvent::Deal { .. }))
    })
    .await;
    let reset = events
        .iter()
        .position(|e| matches!(e, LiveEvent::Reset { .. }))
        .expect("told to reload");
    let card = events
        .iter()
        .position(|e| matches!(e, LiveEvent::Deal { card, .. } if card.value_minor.is_none()))
        .expect("the move, without its value");
    assert!(reset < card, "{events:?}");
    assert!(!events
        .iter()
        .any(|e| matches!(e, LiveEvent::Deal { card, .. } if card.value_minor.is_some())));
}

#[tokio::test]
async fn sign_in_sends_only_to_local_paths_and_never_panics() {
    let f = fixture().await;
    for (next, expected) in [
        ("/%09/evil.test", "/pipeline"),
        ("/%0d/evil.test", "/pipeline"),
        ("/%0d%0aSet-Cookie:%20x=y", "/pipeline"),
        ("//evil.test", "/pipeline"),
        ("/%5Cevil.test", "/pipeline"),
        ("https://evil.test/", "/pipeline"),
        ("/projects?tab=time", "/projects?tab=time"),
    ] {
        let answer = f
            .send(
                Request::post("/api/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::ACCEPT, "text/html")
                    .body(Body::from(format!(
                        "email=admin%40northwind.test&password=baton-demo&next={next}"
                    )))
                    .unwrap(),
            )
            .await;
        assert_eq!(answer.status, StatusCode::FOUND, "{next}: {}", answer.body);
        assert_eq!(answer.headers[header::LOCATION], expected, "{next}");
    }
}

#[tokio::test]
async fn derived_and_lengthened_values_get_field_errors_not_500() {
    let f = fixture().await;
    let admin = f.login("admin@northwind.test").await;
    // An email that grows past the limit when lower-cased.
    let role = f
        .id("SELECT r.id FROM roles r JOIN workspaces w ON w.id = r.workspace_id WHERE w.slug = 'demo' ORDER BY r.id LIMIT 1")
        .await;
    let email = format!("{}@example.test", "İ".repeat(240));
    let answer = f
        .call(
            "create_user",
            &format!(
                "name=Long&email={}&role_id={role}&password=long%20enough%20password",
                encode(&email)
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("\"field\":\"email\""),
        "{}",
        answer.body
    );

    // A deal of a 200-character title at a client of a 200-character name closes into a
    // project whose name fits.
    let (deal, version, client): (i64, i64, i64) = sqlx::query_as(
        "SELECT d.id, d.version, d.client_id FROM deals d JOIN stages s ON s.id = d.stage_id
         JOIN workspaces w ON w.id = d.workspace_id
         WHERE w.slug = 'demo' AND s.kind = 'open' AND d.archived_at IS NULL
           AND EXISTS (SELECT 1 FROM deal_estimate_lines l WHERE l.deal_id = d.id)
         ORDER BY d.id LIMIT 1",
    )
    .fetch_one(&f.pool)
    .await
    .unwrap();
    sqlx::query("UPDATE clients SET name = $1 WHERE id = $2")
        .bind("C".repeat(200))
        .bind(client)
        .execute(&f.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE deals SET title = $1 WHERE id = $2")
        .bind("T".repeat(200))
        .bind(deal)
        .execute(&f.pool)
        .await
        .unwrap();
    let monday = crate::common::demo_calendar()
        .this_week(app::server::context::now_ms())
        .add_days(7);
    let answer = f
        .call(
            "close_deal",
            &format!(
                "deal_id={deal}&version={version}&close_key=long-names-close-key-0001&start_on={monday}&staffing=&override_reason=Long%20names%20test"
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let name: String = sqlx::query_scalar("SELECT name FROM projects WHERE deal_id = $1")
        .bind(deal)
        .fetch_one(&f.pool)
        .await
        .unwrap();
    assert_eq!(name.chars().count(), 200, "{name}");
}

#[tokio::test]
async fn a_chunked_body_over_the_limit_gets_413() {
    let f = fixture().await;
    let chunk = vec![b'a'; 64 * 1024];
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = (0..20).map(|_| Ok(chunk.clone())).collect();
    let body = Body::from_stream(futures::stream::iter(chunks));
    let answer = f
        .send(
            Request::post("/api/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "application/json")
                .body(body)
                .unwrap(),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::PAYLOAD_TOO_LARGE,
        "{}",
        answer.body
    );
    // A small chunked body goes through.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![
        Ok(b"email=admin%40northwind.test&".to_vec()),
        Ok(b"password=baton-demo".to_vec()),
    ];
    let answer = f
        .send(
            Request::post("/api/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "application/json")
                .body(Body::from_stream(futures::stream::iter(chunks)))
                .unwrap(),
        )
        .await;
    assert!(
        answer.status.is_success(),
        "{} {}",
        answer.status,
        answer.body
    );
}

#[tokio::test]
async fn private_answers_are_never_stored_and_dead_links_are_404() {
    let f = fixture().await;
    let admin = f.login("admin@northwind.test").await;
    for path in ["/pipeline", "/", "/projects", "/login"] {
        let page = f.get(path, Some(&admin)).await;
        assert_eq!(page.headers[header::CACHE_CONTROL], "no-store", "{path}");
    }
    let answer = f.call("list_board", "", Some(&admin)).await;
    assert_eq!(answer.headers[header::CACHE_CONTROL], "no-store");
    let share = f.get(&format!("/share/{}", "ab".repeat(32)), None).await;
    assert_eq!(share.status, StatusCode::NOT_FOUND);
    assert_eq!(share.headers[header::CACHE_CONTROL], "no-store");
    assert!(share.body.contains("This link is not available"));
    let missing = f.get("/projects/999999", Some(&admin)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_signed_in_write_without_origin_or_fetch_site_is_refused() {
    let f = fixture().await;
    let admin = f.login("admin@northwind.test").await;
    let before = f.fingerprint().await;
    let post = |name: &str, headers: &[(&str, &str)]| {
        let mut request = Request::post("/api/create_client")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .header(header::HOST, "baton.example")
            .header(header::COOKIE, &admin);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        request
            .body(Body::from(format!(
                "name={name}&contact_name=&contact_email="
            )))
            .unwrap()
    };
    let answer = f.send(post("Unmarked", &[])).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    let answer = f
        .send(post("Sibling", &[("sec-fetch-site", "same-site")]))
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert_eq!(f.fingerprint().await, before, "nothing was written");
    let answer = f
        .send(post("With origin", &[("origin", "https://baton.example")]))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let answer = f
        .send(post("Same origin", &[("sec-fetch-site", "same-origin")]))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn an_invite_accepted_eight_times_at_once_sets_one_password() {
    let f = fixture().await;
    let admin = f.login("admin@northwind.test").await;
    let role = f
        .id("SELECT r.id FROM roles r JOIN workspaces w ON w.id = r.workspace_id WHERE w.slug='demo' AND r.preset = 'project_manager'")
        .await;
    let created = f
        .call(
            "create_user",
            &format!("name=Ines%20New&email=ines%40northwind.test&role_id={role}&password="),
            Some(&admin),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let path = json(&created.body)["invite_path"]
        .as_str()
        .unwrap()
        .to_string();
    let token = path.trim_start_matches("/invite/").to_string();
    let answers = futures::future::join_all((0..8).map(|i| {
        let form = format!(
            "token={token}&password={}",
            encode(&format!("password number {i}"))
        );
        let f = &f;
        async move { f.call("accept_invite", &form, None).await }
    }))
    .await;
    let accepted: Vec<usize> = answers
        .iter()
        .enumerate()
        .filter(|(_, a)| crate::common::session_cookie(a).is_some())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(accepted.len(), 1, "exactly one accept wins");
    for (i, a) in answers.iter().enumerate() {
        if !accepted.contains(&i) {
            assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
        }
    }
    // The winner's password is the one that works.
    let winner = accepted[0];
    let answer = f
        .call(
            "login",
            &format!(
                "email=ines%40northwind.test&password={}",
                encode(&format!("password number {winner}"))
            ),
            None,
        )
        .await;
    assert!(
        crate::common::session_cookie(&answer).is_some(),
        "{}",
        answer.body
    );
}

/// Signs in as `email` with `password` from `client` (as the trusted proxy reports it).
async fn sign_in_from(f: &Fixture, client: &str, email: &str, password: &str) -> StatusCode {
    f.send(
        Request::post("/api/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .header("x-forwarded-for", format!("198.51.100.77, {client}"))
            .body(Body::from(format!(
                "email={}&password={}",
                encode(email),
                encode(password)
            )))
            .unwrap(),
    )
    .await
    .status
}

#[tokio::test]
async fn limits_key_on_the_real_client_and_cannot_be_turned_against_anyone() {
    let f = crate::common::fixture_behind_proxy().await;
    let ok = |s: StatusCode| s.is_success() || s.is_redirection();
    // A guesser at one address locks only their own attempts at that account.
    for _ in 0..5 {
        assert_eq!(
            sign_in_from(&f, "203.0.113.1", "am@northwind.test", "wrong password").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        sign_in_from(&f, "203.0.113.1", "am@northwind.test", "baton-demo").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The account's owner, elsewhere, signs in; so do colleagues behind the guesser's
    // address (the address itself is not locked out).
    assert!(ok(sign_in_from(
        &f,
        "203.0.113.2",
        "am@northwind.test",
        "baton-demo"
    )
    .await));
    assert!(ok(sign_in_from(
        &f,
        "203.0.113.1",
        "pm@northwind.test",
        "baton-demo"
    )
    .await));
    // The owner's success does not unlock the guesser.
    assert_eq!(
        sign_in_from(&f, "203.0.113.1", "am@northwind.test", "baton-demo").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Behind the proxy, X-Forwarded-For from an untrusted peer is not believed: without
    // the trusted proxy all of these would have shared one address.
    let plain = fixture().await;
    for _ in 0..5 {
        assert_eq!(
            sign_in_from(&plain, "203.0.113.1", "am@northwind.test", "wrong password").await,
            StatusCode::UNAUTHORIZED
        );
    }
    // Untrusted: the header was ignored, the pair is (am, 0.0.0.0) — a "different"
    // forwarded client does not escape the lockout.
    assert_eq!(
        sign_in_from(&plain, "203.0.113.99", "am@northwind.test", "baton-demo").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn an_old_share_link_clicked_again_and_again_locks_out_nobody() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let project = f
        .id("SELECT p.id FROM projects p JOIN workspaces w ON w.id = p.workspace_id WHERE w.slug = 'demo' ORDER BY p.id LIMIT 1")
        .await;
    let make = || async {
        let link = f
            .call(
                "create_share_link",
                &format!("project_id={project}&show_budget=false"),
                Some(&am),
            )
            .await;
        assert_eq!(link.status, StatusCode::OK, "{}", link.body);
        json(&link.body)["path"]
            .as_str()
            .unwrap()
            .trim_start_matches("/share/")
            .to_string()
    };
    let old = make().await;
    let current = make().await;
    sqlx::query("UPDATE share_links SET revoked_at = 1 WHERE id = (SELECT MIN(id) FROM share_links WHERE project_id = $1)")
        .bind(project)
        .execute(&f.pool)
        .await
        .unwrap();
    // Thirty clicks on the revoked link: each a 404, none a lockout.
    for _ in 0..30 {
        let answer = f
            .call("shared_project", &format!("token={old}"), None)
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{}", answer.body);
    }
    // The current link still opens from the same address.
    let answer = f
        .call("shared_project", &format!("token={current}"), None)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    // Guessing many unknown tokens from one address is slowed down.
    let mut limited = false;
    for i in 0..40 {
        let guess = format!("{:064x}", i + 1);
        let answer = f
            .call("shared_project", &format!("token={guess}"), None)
            .await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
    }
    assert!(limited, "an address guessing tokens is slowed down");
    // ...and even then, the real link still opens.
    let answer = f
        .call("shared_project", &format!("token={current}"), None)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn adding_a_user_reveals_nothing_about_other_workspaces() {
    let f = fixture().await;
    let northwind = f.login("admin@northwind.test").await;
    let bluebird = f.login("admin@bluebird.test").await;
    // Bluebird adds someone whose email Northwind uses: the same answer as for anyone.
    let answer = f
        .call(
            "create_user",
            &format!(
                "name=Alex%20Am&email=am%40northwind.test&role_id={}&password=",
                last_role(&f, "bluebird").await
            ),
            Some(&bluebird),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(
        !answer.body.to_lowercase().contains("exist"),
        "{}",
        answer.body
    );
    // Within one workspace an email is still one user.
    let answer = f
        .call(
            "create_user",
            &format!(
                "name=Again&email=am%40northwind.test&role_id={}&password=",
                last_role(&f, "demo").await
            ),
            Some(&northwind),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("\"field\":\"email\""),
        "{}",
        answer.body
    );
    // The Northwind account signs in as before (the Bluebird one has no password yet).
    let answer = f
        .call(
            "login",
            "email=am%40northwind.test&password=baton-demo",
            None,
        )
        .await;
    assert!(
        crate::common::session_cookie(&answer).is_some(),
        "{}",
        answer.body
    );
    // With the same password in both, the person is asked which workspace...
    sqlx::query(
        "UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE email = 'admin@northwind.test')
         WHERE email = 'am@northwind.test' AND password_hash IS NULL",
    )
    .execute(&f.pool)
    .await
    .unwrap();
    let answer = f
        .call(
            "login",
            "email=am%40northwind.test&password=baton-demo",
            None,
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("\"field\":\"workspace\"") && answer.body.contains("(bluebird)"),
        "{}",
        answer.body
    );
    // ...and signs into the one they name.
    let answer = f
        .call(
            "login",
            "email=am%40northwind.test&password=baton-demo&workspace=bluebird",
            None,
        )
        .await;
    let cookie = crate::common::session_cookie(&answer).expect("signed in");
    let me = f.call("current_user", "", Some(&cookie)).await;
    assert!(me.body.contains("Alex Am"), "{}", me.body);
}

async fn last_role(f: &Fixture, slug: &str) -> i64 {
    f.id(&format!(
        "SELECT r.id FROM roles r JOIN workspaces w ON w.id = r.workspace_id
         WHERE w.slug = '{slug}' ORDER BY r.id DESC LIMIT 1"
    ))
    .await
}
