//! Sign-in, sessions, rate limits, CSRF, headers and body limits.

use crate::common::{encode, fixture, session_cookie};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};

#[tokio::test]
async fn anonymous_visitors_are_sent_to_sign_in() {
    let f = fixture().await;
    let page = f.get("/pipeline", None).await;
    assert!(page.status.is_redirection());
    assert_eq!(page.headers["location"], "/login?next=/pipeline");
    let page = f.get("/settings/roles?x=1", None).await;
    assert_eq!(
        page.headers["location"],
        "/login?next=/settings/roles%3Fx%3D1"
    );
    let api = f.call("list_board", "", None).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    assert_eq!(api.body, "\"Unauthorized\"");
    let login = f.get("/login", None).await;
    assert_eq!(login.status, StatusCode::OK);
    assert!(login.body.contains("Sign in to Baton"));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer() {
    let f = fixture().await;
    let wrong = f
        .call("login", "email=am%40northwind.test&password=nope", None)
        .await;
    let unknown = f
        .call("login", "email=who%40northwind.test&password=nope", None)
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!((wrong.status, &wrong.body), (unknown.status, &unknown.body));
    assert!(session_cookie(&wrong).is_none());
    let bad = f.call("login", "email=not-an-email&password=x", None).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("\"field\":\"email\""), "{}", bad.body);
}

#[tokio::test]
async fn sign_in_sets_a_hardened_cookie_and_rotates_the_session() {
    let f = fixture().await;
    let answer = f
        .call(
            "login",
            "email=am%40northwind.test&password=baton-demo",
            None,
        )
        .await;
    let set_cookie = answer.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
        "{set_cookie}"
    );
    assert!(
        !set_cookie.contains("Secure"),
        "plain HTTP unless BATON_HTTPS"
    );
    let first = session_cookie(&answer).unwrap();
    assert_eq!(f.id("SELECT COUNT(*) FROM sessions").await, 1);
    // Signing in again from the same browser replaces the session.
    let again = f
        .call(
            "login",
            "email=am%40northwind.test&password=baton-demo",
            Some(&first),
        )
        .await;
    let second = session_cookie(&again).unwrap();
    assert_ne!(first, second);
    assert_eq!(f.id("SELECT COUNT(*) FROM sessions").await, 1);
    assert_eq!(
        f.call("list_board", "", Some(&first)).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        f.call("list_board", "", Some(&second)).await.status,
        StatusCode::OK
    );
    // Only a hash of the token is stored.
    let token = second.trim_start_matches("baton_session=");
    let stored = f
        .id(&format!(
            "SELECT COUNT(*) FROM sessions WHERE token_hash = '{token}'"
        ))
        .await;
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn logout_ends_the_session_row() {
    let f = fixture().await;
    let cookie = f.login("pm@northwind.test").await;
    let answer = f.call("logout", "", Some(&cookie)).await;
    assert!(answer.status.is_success() || answer.status.is_redirection());
    assert!(answer.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    assert_eq!(f.id("SELECT COUNT(*) FROM sessions").await, 0);
    assert_eq!(
        f.call("list_board", "", Some(&cookie)).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn repeated_failures_are_refused_with_429_for_a_while() {
    let f = fixture().await;
    for _ in 0..5 {
        let a = f
            .call(
                "login",
                "email=finance%40northwind.test&password=guess",
                None,
            )
            .await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
    let locked = f
        .call(
            "login",
            "email=finance%40northwind.test&password=baton-demo",
            None,
        )
        .await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(locked.headers.contains_key(header::RETRY_AFTER));
    assert!(session_cookie(&locked).is_none());
}

#[tokio::test]
async fn deactivated_users_lose_their_sessions_and_cannot_sign_in() {
    let f = fixture().await;
    let team = f.login("team@northwind.test").await;
    let admin = f.login("admin@northwind.test").await;
    let (id, version): (i64, i64) =
        sqlx::query_as("SELECT id, version FROM users WHERE email = 'team@northwind.test'")
            .fetch_one(&f.pool)
            .await
            .unwrap();
    let answer = f
        .call(
            "set_user_active",
            &format!("user_id={id}&active=false&version={version}"),
            Some(&admin),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        f.call("list_board", "", Some(&team)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let again = f
        .call(
            "login",
            "email=team%40northwind.test&password=baton-demo",
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_last_admin_cannot_be_removed() {
    let f = fixture().await;
    let admin = f.login("admin@northwind.test").await;
    let (id, version): (i64, i64) =
        sqlx::query_as("SELECT id, version FROM users WHERE email = 'admin@northwind.test'")
            .fetch_one(&f.pool)
            .await
            .unwrap();
    let before = f.fingerprint().await;
    let answer = f
        .call(
            "set_user_active",
            &format!("user_id={id}&active=false&version={version}"),
            Some(&admin),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    let team_role = f.id("SELECT r.id FROM roles r JOIN workspaces w ON w.id = r.workspace_id WHERE w.slug='demo' AND r.preset = 'team_member'").await;
    let answer = f
        .call(
            "set_user_role",
            &format!("user_id={id}&role_id={team_role}&version={version}"),
            Some(&admin),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    let (role, rv): (i64, i64) = sqlx::query_as(
        "SELECT role_id, (SELECT version FROM roles WHERE id = role_id) FROM users WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    let answer = f
        .call(
            "set_role_permission",
            &format!("role_id={role}&permission=manage_users&granted=false&version={rv}"),
            Some(&admin),
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    assert_eq!(
        f.fingerprint().await,
        before,
        "a refused change wrote something"
    );
}

#[tokio::test]
async fn cross_site_writes_are_refused() {
    let f = fixture().await;
    let cookie = f.login("admin@northwind.test").await;
    let post = |extra: (&'static str, &'static str)| {
        Request::post("/api/create_role")
            .header(header::HOST, "baton.example")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &cookie)
            .header(extra.0, extra.1)
            .body(Body::from("name=Intruders"))
            .unwrap()
    };
    let before = f.fingerprint().await;
    assert_eq!(
        f.send(post(("sec-fetch-site", "cross-site"))).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        f.send(post(("origin", "https://evil.example")))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        f.send(post(("origin", "null"))).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(f.fingerprint().await, before);
    let same = f.send(post(("origin", "http://baton.example"))).await;
    assert_eq!(same.status, StatusCode::OK, "{}", same.body);
}

#[tokio::test]
async fn responses_carry_the_security_headers_and_a_nonce() {
    let f = fixture().await;
    let page = f.get("/login", None).await;
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(!csp.contains("unsafe-inline"));
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(nonce.len() >= 16);
    assert!(
        page.body.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the nonce"
    );
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    assert_eq!(page.headers["referrer-policy"], "same-origin");
    assert!(!page.headers.contains_key("strict-transport-security"));
    let other = f.get("/login", None).await;
    assert!(
        !other.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains(nonce),
        "a nonce per response"
    );
}

#[tokio::test]
async fn oversized_bodies_get_413() {
    let f = fixture().await;
    let body = format!("email=a%40b.io&password={}", "x".repeat(1_100_000));
    let answer = f
        .send(
            Request::post("/api/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::CONTENT_LENGTH, body.len())
                .body(Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn an_invite_link_sets_a_password_once() {
    let f = fixture().await;
    let admin = f.login("admin@northwind.test").await;
    let role = f.id("SELECT r.id FROM roles r JOIN workspaces w ON w.id = r.workspace_id WHERE w.slug='demo' AND r.preset = 'project_manager'").await;
    let created = f
        .call(
            "create_user",
            &format!("name=Ines%20New&email=ines%40northwind.test&role_id={role}&password="),
            Some(&admin),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let value: serde_json::Value = serde_json::from_str(&created.body).unwrap();
    let path = value["invite_path"].as_str().unwrap().to_string();
    let token = path.trim_start_matches("/invite/");
    assert!(
        f.get(&path, None).await.status.is_success(),
        "the invite page is public"
    );
    let short = f
        .call(
            "accept_invite",
            &format!("token={token}&password=short"),
            None,
        )
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let ok = f
        .call(
            "accept_invite",
            &format!("token={token}&password={}", encode("a long new password")),
            None,
        )
        .await;
    assert!(session_cookie(&ok).is_some(), "{} {}", ok.status, ok.body);
    let reused = f
        .call(
            "accept_invite",
            &format!("token={token}&password={}", encode("another password!")),
            None,
        )
        .await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let login = f
        .call(
            "login",
            &format!(
                "email=ines%40northwind.test&password={}",
                encode("a long new password")
            ),
            None,
        )
        .await;
    assert!(session_cookie(&login).is_some());
}

#[tokio::test]
async fn https_deployments_get_hsts_and_secure_cookies() {
    let f = crate::common::fixture_with(true).await;
    let answer = f
        .call(
            "login",
            "email=am%40northwind.test&password=baton-demo",
            None,
        )
        .await;
    assert!(answer.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .contains("; Secure"));
    let page = f.get("/login", None).await;
    assert!(page.headers["strict-transport-security"]
        .to_str()
        .unwrap()
        .starts_with("max-age="));
}
