//! Two servers on one database, as behind a load balancer. On PostgreSQL the sign-in
//! lockout and the per-address throttles live in the database, so every server counts
//! each account and address together. On SQLite one process serves a database, and each
//! server keeps its own counts in memory: these tests assert that documented per-server
//! behaviour there (two processes on one SQLite file share nothing).

use crate::common::{encode, fixture, send_to, Fixture, PASSWORD};
use app::server::db::Backend;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};

/// Whether the fixture's servers share their limits (PostgreSQL).
fn shared(f: &Fixture) -> bool {
    f.server_db.backend() == Backend::Postgres
}

/// A second server over the fixture's database, with state of its own.
async fn second_server(f: &Fixture) -> axum::Router {
    baton::router(f.fresh_state().await)
}

/// A form-encoded POST to server function `name`, with no session.
fn post(name: &str, form: String) -> Request<Body> {
    Request::post(format!("/api/{name}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header("sec-fetch-site", "same-origin")
        .body(Body::from(form))
        .unwrap()
}

/// Signs in as `email` with `password` through `server`; answers the status.
async fn sign_in(server: &axum::Router, email: &str, password: &str) -> StatusCode {
    let form = format!("email={}&password={}", encode(email), encode(password));
    send_to(server, post("login", form)).await.status
}

fn signed_in(status: StatusCode) -> bool {
    status.is_success() || status.is_redirection()
}

/// Opens the share link with token `token` through `server`; answers the status.
async fn open_share(server: &axum::Router, token: &str) -> StatusCode {
    send_to(server, post("shared_project", format!("token={token}")))
        .await
        .status
}

const EMAIL: &str = "am@northwind.test";
const WRONG: &str = "not the password";

#[tokio::test]
async fn failed_sign_ins_on_two_servers_add_up_to_one_lockout() {
    let f = fixture().await;
    let two = second_server(&f).await;
    let one = &f.router;
    // Three wrong passwords through one server, two through the other.
    for server in [one, one, one, &two, &two] {
        assert_eq!(
            sign_in(server, EMAIL, WRONG).await,
            StatusCode::UNAUTHORIZED
        );
    }
    if shared(&f) {
        // Five in all: this account at this address is locked out on every server, even
        // with the right password.
        assert_eq!(
            sign_in(one, EMAIL, PASSWORD).await,
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(
            sign_in(&two, EMAIL, PASSWORD).await,
            StatusCode::TOO_MANY_REQUESTS
        );
        // Every attempt was settled: five failures per key (the account, and the account
        // at this address), none left in flight.
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT state, COUNT(*) FROM login_attempts GROUP BY state ORDER BY state",
        )
        .fetch_all(&f.pool)
        .await
        .unwrap();
        assert_eq!(rows, vec![("failed".to_string(), 10)]);
    } else {
        // One server saw three failures, the other two: each still lets the owner in.
        assert!(signed_in(sign_in(&two, EMAIL, PASSWORD).await));
        assert!(signed_in(sign_in(one, EMAIL, PASSWORD).await));
    }
}

#[tokio::test]
async fn a_success_on_one_server_forgets_the_pairs_failures_on_every_server() {
    let f = fixture().await;
    let two = second_server(&f).await;
    let one = &f.router;
    for _ in 0..4 {
        assert_eq!(sign_in(one, EMAIL, WRONG).await, StatusCode::UNAUTHORIZED);
    }
    // The owner signs in through the other server.
    assert!(signed_in(sign_in(&two, EMAIL, PASSWORD).await));
    let mut after = Vec::new();
    for _ in 0..4 {
        after.push(sign_in(one, EMAIL, WRONG).await);
    }
    let last = sign_in(one, EMAIL, PASSWORD).await;
    if shared(&f) {
        // The success cleared the pair everywhere: four more mistakes are allowed, and the
        // right password still opens.
        assert_eq!(after, vec![StatusCode::UNAUTHORIZED; 4]);
        assert!(signed_in(last), "{last}");
    } else {
        // The first server never saw the success: its count goes on from four.
        let limited = StatusCode::TOO_MANY_REQUESTS;
        assert_eq!(
            after,
            vec![StatusCode::UNAUTHORIZED, limited, limited, limited]
        );
        assert_eq!(last, limited);
    }
}

#[tokio::test]
async fn unknown_share_tokens_on_two_servers_share_one_burst() {
    let f = fixture().await;
    let two = second_server(&f).await;
    let one = &f.router;
    // Twenty unknown tokens from one address (the burst), half through each server.
    for i in 0..20 {
        let server = if i % 2 == 0 { one } else { &two };
        let guess = format!("{:064x}", i + 1);
        assert_eq!(open_share(server, &guess).await, StatusCode::NOT_FOUND);
    }
    let guess = format!("{:064x}", 99);
    if shared(&f) {
        // The burst is used up on every server.
        assert_eq!(open_share(one, &guess).await, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            open_share(&two, &guess).await,
            StatusCode::TOO_MANY_REQUESTS
        );
    } else {
        // Each server has counted ten of its own twenty.
        assert_eq!(open_share(one, &guess).await, StatusCode::NOT_FOUND);
        assert_eq!(open_share(&two, &guess).await, StatusCode::NOT_FOUND);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_wrong_passwords_at_once_on_two_servers_admit_at_most_five() {
    let f = fixture().await;
    let servers = [f.router.clone(), second_server(&f).await];
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let server = servers[i % 2].clone();
            tokio::spawn(async move { (i % 2, sign_in(&server, "pm@northwind.test", WRONG).await) })
        })
        .collect();
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    let checked = |server: usize| {
        answers
            .iter()
            .filter(|(s, status)| *s == server && *status == StatusCode::UNAUTHORIZED)
            .count()
    };
    let refused = answers
        .iter()
        .filter(|(_, status)| *status == StatusCode::TOO_MANY_REQUESTS)
        .count();
    // Every attempt was either checked (and wrong) or refused before any password was.
    assert_eq!(checked(0) + checked(1) + refused, 20, "{answers:?}");
    if shared(&f) {
        // Five failures are allowed per window, whichever servers the attempts reach.
        assert_eq!(checked(0) + checked(1), 5, "{answers:?}");
    } else {
        // Each server admits its own five.
        assert_eq!((checked(0), checked(1)), (5, 5), "{answers:?}");
    }
}
