//! Several servers on one PostgreSQL database: what one server commits reaches the live
//! browsers of another, with who is looking and changes of access; a relay that lost its
//! connection catches up. On SQLite there is one server (nothing to relay): these tests
//! return at once there.

use crate::common::{fixture, Fixture};
use crate::deals::lead_deal;
use app::api::live::LiveEvent;
use app::server::db::Backend;
use app::server::state::AppState;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use std::time::Duration;
use tower::ServiceExt;

/// A second server over the fixture's database, with its relay running.
async fn server(f: &Fixture) -> (AppState, axum::Router) {
    let state = f.fresh_state().await;
    baton::relay::start(&state)
        .await
        .unwrap()
        .expect("a relay on PostgreSQL");
    (state.clone(), baton::router(state))
}

fn on_postgres(f: &Fixture) -> bool {
    Backend::of_url(&f.url) == Ok(Backend::Postgres)
}

/// An open live stream, read a little at a time.
struct Live {
    body: Body,
    text: String,
    seen: Vec<LiveEvent>,
}

impl Live {
    async fn open(router: &axum::Router, cookie: &str) -> Self {
        let answer = router
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
        Self {
            body: answer.into_body(),
            text: String::new(),
            seen: Vec::new(),
        }
    }

    /// Reads until an event read by this call satisfies `found` (answered), or 5 s pass
    /// (`None`).
    async fn next(&mut self, found: impl Fn(&LiveEvent) -> bool) -> Option<LiveEvent> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            while let Some(end) = self.text.find("\n\n") {
                let block: String = self.text.drain(..end + 2).collect();
                for line in block.lines() {
                    if let Some(data) = line.strip_prefix("data: ").or(line.strip_prefix("data:")) {
                        if let Ok(event) = serde_json::from_str::<LiveEvent>(data) {
                            self.seen.push(event.clone());
                            if found(&event) {
                                return Some(event);
                            }
                        }
                    }
                }
            }
            match tokio::time::timeout_at(deadline, self.body.frame()).await {
                Ok(Some(Ok(frame))) => {
                    if let Some(bytes) = frame.data_ref() {
                        self.text.push_str(&String::from_utf8_lossy(bytes));
                    }
                }
                _ => return None,
            }
        }
    }
}

async fn qualified(f: &Fixture) -> i64 {
    crate::deals::stage(f, "demo", "Qualified").await
}

fn deal_in(deal: i64, stage: i64) -> impl Fn(&LiveEvent) -> bool {
    move |e| matches!(e, LiveEvent::Deal { card, .. } if card.id == deal && card.stage_id == stage)
}

#[tokio::test]
async fn a_move_and_a_close_on_one_server_reach_browsers_on_another() {
    let f = fixture().await;
    if !on_postgres(&f) {
        return;
    }
    let (_b, router_b) = server(&f).await;
    let team = f.login("team@northwind.test").await;
    let am = f.login("am@northwind.test").await;
    let mut on_b = Live::open(&router_b, &team).await;
    let (deal, version) = lead_deal(&f).await;
    let stage = qualified(&f).await;
    let answer = f
        .call(
            "move_deal",
            &format!("deal_id={deal}&stage_id={stage}&version={version}"),
            Some(&am),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let moved = on_b.next(deal_in(deal, stage)).await;
    match moved {
        Some(LiveEvent::Deal { card, .. }) => {
            assert_eq!(card.value_minor, None, "a team member sees no values");
        }
        other => panic!(
            "the move did not reach server B: {other:?} after {:?}",
            on_b.seen
        ),
    }

    // A close through server A: B's browsers learn of the new project and the won deal.
    let (won, version) =
        crate::close::new_deal(&f, 4_000_000, &[("Design", 40), ("Frontend", 60)], 4).await;
    let form = crate::close::close_form(
        won,
        version,
        "key-relay-000000001",
        &crate::close::start(2),
        "",
    );
    let answer = f.call("close_deal", &form, Some(&am)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let projects = on_b.next(|e| matches!(e, LiveEvent::Projects { .. })).await;
    assert!(
        projects.is_some(),
        "no Projects event on B: {:?}",
        on_b.seen
    );
}

#[tokio::test]
async fn who_is_looking_is_shared_and_access_changes_reach_every_server() {
    let f = fixture().await;
    if !on_postgres(&f) {
        return;
    }
    let (_a, router_a) = server(&f).await;
    let (_b, router_b) = server(&f).await;
    let am = f.login("am@northwind.test").await;
    let team = f.login("team@northwind.test").await;
    let mut on_a = Live::open(&router_a, &am).await;
    let mut on_b = Live::open(&router_b, &team).await;
    // Each sees both names, whichever server the other is on.
    let both = |e: &LiveEvent| matches!(e, LiveEvent::Presence { viewers } if viewers.len() >= 2);
    assert!(on_a.next(both).await.is_some(), "{:?}", on_a.seen);
    assert!(on_b.next(both).await.is_some(), "{:?}", on_b.seen);

    // Signed out through server A: the stream on server B ends at once.
    let mut team_on_b = on_b;
    let answer = crate::common::send_to(
        &router_a,
        crate::common::call_request("logout", "", Some(&team)),
    )
    .await;
    assert!(answer.status.is_success(), "{}", answer.body);
    let ended = team_on_b.next(|e| matches!(e, LiveEvent::SignedOut)).await;
    assert!(ended.is_some(), "{:?}", team_on_b.seen);
    // The browser reads the end of the stream; the connection closes.
    drop(team_on_b);
    // And A's viewer sees the team member leave.
    let alone = on_a
        .next(|e| matches!(e, LiveEvent::Presence { viewers } if viewers.len() == 1))
        .await;
    assert!(alone.is_some(), "{:?}", on_a.seen);
}

#[tokio::test]
async fn a_relay_that_lost_its_connection_catches_up() {
    let f = fixture().await;
    if !on_postgres(&f) {
        return;
    }
    let (b, router_b) = server(&f).await;
    let team = f.login("team@northwind.test").await;
    let am = f.login("am@northwind.test").await;
    let mut on_b = Live::open(&router_b, &team).await;
    let stage = qualified(&f).await;
    // A first move: relayed as it happens.
    let (deal, version) = lead_deal(&f).await;
    f.call(
        "move_deal",
        &format!("deal_id={deal}&stage_id={stage}&version={version}"),
        Some(&am),
    )
    .await;
    assert!(on_b.next(deal_in(deal, stage)).await.is_some());
    // The relay's connection is cut; a move is committed meanwhile.
    let cut: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE application_name = $1 AND query LIKE 'LISTEN%'",
    )
    .bind(b.db.application_name())
    .fetch_all(&f.pool)
    .await
    .unwrap();
    assert_eq!(cut, vec![true], "the relay's listening connection was cut");
    let (deal, version) = lead_deal(&f).await;
    f.call(
        "move_deal",
        &format!("deal_id={deal}&stage_id={stage}&version={version}"),
        Some(&am),
    )
    .await;
    let caught_up = on_b
        .next(|e| deal_in(deal, stage)(e) || matches!(e, LiveEvent::Reset { .. }))
        .await;
    assert!(caught_up.is_some(), "{:?}", on_b.seen);
}
