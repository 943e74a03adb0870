//! Moving deals, and the live stream that carries the change to every browser.

use crate::common::{fixture, read_until, Fixture};
use app::api::board::DealCard;
use app::api::live::LiveEvent;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tower::ServiceExt;

pub(crate) async fn lead_deal(f: &Fixture) -> (i64, i64) {
    sqlx::query_as(
        "SELECT d.id, d.version FROM deals d JOIN stages s ON s.id = d.stage_id
         JOIN workspaces w ON w.id = d.workspace_id
         WHERE w.slug = 'demo' AND s.name = 'Lead' ORDER BY d.id LIMIT 1",
    )
    .fetch_one(&f.pool)
    .await
    .unwrap()
}

pub(crate) async fn stage(f: &Fixture, slug: &str, name: &str) -> i64 {
    f.id(&format!(
        "SELECT s.id FROM stages s JOIN workspaces w ON w.id = s.workspace_id WHERE w.slug = '{slug}' AND s.name = '{name}'"
    ))
    .await
}

#[tokio::test]
async fn moving_a_deal_saves_it_with_an_event() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let (deal, version) = lead_deal(&f).await;
    let qualified = stage(&f, "demo", "Qualified").await;
    let events_before = f.id("SELECT COUNT(*) FROM events").await;
    let answer = f
        .call(
            "move_deal",
            &format!("deal_id={deal}&stage_id={qualified}&version={version}"),
            Some(&am),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let card: DealCard = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(
        (card.stage_id, card.version, card.days_in_stage),
        (qualified, version + 1, 0)
    );
    assert_eq!(card.probability_pct, 25, "the new stage's probability");
    let (stage_now, action): (i64, String) = sqlx::query_as(
        "SELECT d.stage_id, e.action FROM deals d JOIN events e ON e.entity = 'deal' AND e.entity_id = d.id
         WHERE d.id = $1 ORDER BY e.seq DESC LIMIT 1",
    )
    .bind(deal)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    assert_eq!((stage_now, action.as_str()), (qualified, "stage_changed"));
    assert_eq!(f.id("SELECT COUNT(*) FROM events").await, events_before + 1);
}

#[tokio::test]
async fn a_stale_move_is_a_conflict_carrying_the_current_deal() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let (deal, version) = lead_deal(&f).await;
    let qualified = stage(&f, "demo", "Qualified").await;
    let proposal = stage(&f, "demo", "Proposal").await;
    let first = f
        .call(
            "move_deal",
            &format!("deal_id={deal}&stage_id={qualified}&version={version}"),
            Some(&am),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let before = f.fingerprint().await;
    // A second browser still holding the old version.
    let stale = f
        .call(
            "move_deal",
            &format!("deal_id={deal}&stage_id={proposal}&version={version}"),
            Some(&am),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    let err: app::error::AppError = serde_json::from_str(&stale.body).unwrap();
    match err {
        app::error::AppError::DealChanged { current } => {
            assert_eq!(
                (current.stage_id, current.version),
                (qualified, version + 1)
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        f.fingerprint().await,
        before,
        "the stale move wrote nothing"
    );
}

#[tokio::test]
async fn bad_moves_get_a_field_error_and_write_nothing() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let (deal, version) = lead_deal(&f).await;
    let won = stage(&f, "demo", "Won").await;
    let lost = stage(&f, "demo", "Lost").await;
    let foreign = stage(&f, "bluebird", "Discovery call").await;
    let before = f.fingerprint().await;
    for (target, expect) in [
        (won, "Close"),
        (lost, "reason"),
        (foreign, "not a stage"),
        (999_999, "not a stage"),
    ] {
        let answer = f
            .call(
                "move_deal",
                &format!("deal_id={deal}&stage_id={target}&version={version}"),
                Some(&am),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            answer.body
        );
        assert!(
            answer.body.contains("\"field\":\"stage\"") && answer.body.contains(expect),
            "{}",
            answer.body
        );
    }
    let garbage = f
        .call("move_deal", "deal_id=abc&stage_id=1&version=1", Some(&am))
        .await;
    assert!(garbage.status.is_client_error() || garbage.status.is_server_error());
    assert_ne!(garbage.status, StatusCode::OK);
    assert_eq!(f.fingerprint().await, before);
}

/// Reads SSE frames from a live stream until `done` says so (or 3 s passed).
fn has_deal(events: &[LiveEvent]) -> bool {
    events.iter().any(|e| matches!(e, LiveEvent::Deal { .. }))
}

#[tokio::test]
async fn a_move_reaches_every_live_browser_of_the_workspace_only() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let team = f.login("team@northwind.test").await;
    let other = f.login("admin@bluebird.test").await;
    let open = |cookie: &str| {
        f.router.clone().oneshot(
            Request::get("/api/live")
                .header(header::COOKIE, cookie)
                .body(Body::empty())
                .unwrap(),
        )
    };
    let team_stream = open(&team).await.unwrap();
    assert_eq!(team_stream.status(), StatusCode::OK);
    assert_eq!(
        team_stream.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    let other_stream = open(&other).await.unwrap();
    let (deal, version) = lead_deal(&f).await;
    let qualified = stage(&f, "demo", "Qualified").await;
    let answer = f
        .call(
            "move_deal",
            &format!("deal_id={deal}&stage_id={qualified}&version={version}"),
            Some(&am),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    // The team member sees the move (presence first), without the deal's value.
    let events = read_until(team_stream.into_body(), has_deal).await;
    let moved = events
        .iter()
        .find_map(|e| match e {
            LiveEvent::Deal { card, .. } => Some(card.clone()),
            _ => None,
        })
        .expect("the move arrives");
    assert_eq!((moved.id, moved.stage_id), (deal, qualified));
    assert_eq!(moved.value_minor, None, "no values for a team member");
    // The other workspace sees nothing of it.
    let theirs = read_until(other_stream.into_body(), has_deal).await;
    assert!(
        theirs.iter().all(|e| !matches!(e, LiveEvent::Deal { .. })),
        "{theirs:?}"
    );
}

#[tokio::test]
async fn a_reconnecting_browser_gets_what_it_missed() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let since = f.id("SELECT MAX(seq) FROM events e JOIN workspaces w ON w.id = e.workspace_id WHERE w.slug = 'demo'").await;
    let (deal, version) = lead_deal(&f).await;
    let qualified = stage(&f, "demo", "Qualified").await;
    f.call(
        "move_deal",
        &format!("deal_id={deal}&stage_id={qualified}&version={version}"),
        Some(&am),
    )
    .await;
    let stream = f
        .router
        .clone()
        .oneshot(
            Request::get(format!("/api/live?since={since}"))
                .header(header::COOKIE, &am)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let events = read_until(stream.into_body(), |e| !e.is_empty()).await;
    match &events[0] {
        LiveEvent::Deal { seq, card } => {
            assert_eq!((card.id, card.stage_id), (deal, qualified));
            assert_eq!(*seq, since + 1);
            assert!(card.value_minor.is_some());
        }
        other => panic!("{other:?}"),
    }
    // Far behind: told to reload.
    let stream = f
        .router
        .clone()
        .oneshot(
            Request::get("/api/live?since=-5")
                .header(header::COOKIE, &am)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let events = read_until(stream.into_body(), |e| !e.is_empty()).await;
    assert!(matches!(events[0], LiveEvent::Reset { .. }), "{events:?}");
    // Anonymous: 401.
    let anonymous = f.get("/api/live", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

fn edit_form(deal: i64, version: i64, client: i64, owner: i64, over: &[(&str, &str)]) -> String {
    let mut fields: Vec<(String, String)> = [
        ("deal_id", deal.to_string()),
        ("version", version.to_string()),
        ("title", "Website relaunch".into()),
        ("client_id", client.to_string()),
        ("value", "48,500".into()),
        ("probability", "".into()),
        ("owner_user_id", owner.to_string()),
        ("expected_close_on", "2026-12-31".into()),
        ("planned_start_on", "2027-01-11".into()),
        ("planned_weeks", "8".into()),
        ("brief_goals", "Double online bookings".into()),
        ("brief_priorities", "Speed".into()),
        ("brief_context", "Referral".into()),
        ("notes", "".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in over {
        match fields.iter_mut().find(|(f, _)| f == k) {
            Some(field) => field.1 = v.to_string(),
            None => fields.push((k.to_string(), v.to_string())),
        }
    }
    fields
        .into_iter()
        .map(|(k, v)| format!("{k}={}", crate::common::encode(&v)))
        .collect::<Vec<_>>()
        .join("&")
}

async fn ids_for_edit(f: &Fixture) -> (i64, i64, i64, i64, i64, i64) {
    let (deal, version) = lead_deal(f).await;
    let client = f.id("SELECT c.id FROM clients c JOIN workspaces w ON w.id = c.workspace_id WHERE w.slug = 'demo' ORDER BY c.id DESC LIMIT 1").await;
    let owner = f
        .id("SELECT id FROM users WHERE email = 'daniel@northwind.test'")
        .await;
    let foreign_client = f.id("SELECT c.id FROM clients c JOIN workspaces w ON w.id = c.workspace_id WHERE w.slug = 'bluebird' LIMIT 1").await;
    let foreign_owner = f
        .id("SELECT id FROM users WHERE email = 'admin@bluebird.test'")
        .await;
    (deal, version, client, owner, foreign_client, foreign_owner)
}

#[tokio::test]
async fn the_drawer_saves_every_field_with_an_event_and_shows_the_history() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let (deal, version, client, owner, ..) = ids_for_edit(&f).await;
    let answer = f
        .call(
            "update_deal",
            &edit_form(deal, version, client, owner, &[("probability", "40")]),
            Some(&am),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let card: DealCard = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(
        (
            card.title.as_str(),
            card.value_minor,
            card.probability_pct,
            card.client_id,
            card.owner_user_id,
            card.version
        ),
        (
            "Website relaunch",
            Some(4_850_000),
            40,
            client,
            owner,
            version + 1
        )
    );
    let saved: (String, String, i64, String) = sqlx::query_as(
        "SELECT expected_close_on, planned_start_on, planned_weeks, brief_goals FROM deals WHERE id = $1",
    )
    .bind(deal)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    assert_eq!(
        saved,
        (
            "2026-12-31".into(),
            "2027-01-11".into(),
            8,
            "Double online bookings".into()
        )
    );
    let detail = f
        .call("get_deal", &format!("deal_id={deal}"), Some(&am))
        .await;
    assert_eq!(detail.status, StatusCode::OK);
    let detail: app::api::deals::DealDetail = serde_json::from_str(&detail.body).unwrap();
    assert_eq!(detail.activity[0].action, "edited");
    assert_eq!(
        detail.activity[0].actor_name.as_deref(),
        Some("Sofia Marin")
    );
    let changes = &detail.activity[0].changes;
    let change = |field: &str| changes.iter().find(|c| c.field == field).cloned();
    assert_eq!(change("Title").unwrap().to, "Website relaunch");
    assert_eq!(change("Value").unwrap().to, "€48,500");
    assert_eq!(change("Owner").unwrap().to, "Daniel Brooks");
    assert!(
        changes.iter().all(|c| c.from != c.to),
        "unchanged fields are left out: {changes:?}"
    );
    assert!(detail.estimate.iter().any(|line| line.minutes > 0));

    // Someone who may not see values sees the change without the amounts.
    let team = f.login("team@northwind.test").await;
    let detail = f
        .call("get_deal", &format!("deal_id={deal}"), Some(&team))
        .await;
    assert!(!detail.body.contains("48500"), "{}", detail.body);
    let detail: app::api::deals::DealDetail = serde_json::from_str(&detail.body).unwrap();
    assert!(detail.activity[0]
        .changes
        .iter()
        .all(|c| c.field != "Value"));
    assert!(detail.activity[0]
        .changes
        .iter()
        .any(|c| c.field == "Title"));
}

async fn skill(f: &Fixture, slug: &str, name: &str) -> i64 {
    f.id(&format!(
        "SELECT s.id FROM skills s JOIN workspaces w ON w.id = s.workspace_id WHERE w.slug = '{slug}' AND s.name = '{name}'"
    ))
    .await
}

#[tokio::test]
async fn the_drawer_edits_the_estimate_and_creates_a_client_inline() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let (deal, version, client, owner, ..) = ids_for_edit(&f).await;
    let design = skill(&f, "demo", "Design").await;
    let strategy = skill(&f, "demo", "Strategy").await;
    let (design_key, strategy_key) = (
        format!("estimate[{design}]"),
        format!("estimate[{strategy}]"),
    );
    let clients_before = f.id("SELECT COUNT(*) FROM clients").await;
    let answer = f
        .call(
            "update_deal",
            &edit_form(
                deal,
                version,
                client,
                owner,
                &[
                    ("client_id", "0"),
                    ("new_client", "  Acme Studio "),
                    (&design_key, "12.5"),
                    (&strategy_key, ""),
                ],
            ),
            Some(&am),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let card: DealCard = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(card.client_name, "Acme Studio");
    assert_eq!(
        f.id("SELECT COUNT(*) FROM clients").await,
        clients_before + 1
    );
    let lines: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT skill_id, minutes FROM deal_estimate_lines WHERE deal_id = $1 ORDER BY skill_id",
    )
    .bind(deal)
    .fetch_all(&f.pool)
    .await
    .unwrap();
    assert!(lines.contains(&(design, 750)), "{lines:?}");
    assert!(!lines.iter().any(|(s, _)| *s == strategy), "{lines:?}");
    let (created, edited): (String, String) = sqlx::query_as(
        "SELECT (SELECT action FROM events WHERE entity = 'client' ORDER BY seq DESC LIMIT 1),
                (SELECT after_json FROM events WHERE entity = 'deal' AND entity_id = $1 ORDER BY seq DESC LIMIT 1)",
    )
    .bind(deal)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    assert_eq!(created, "created");
    assert!(edited.contains("\"Design\":\"12.5\""), "{edited}");

    // The same name again, in other case, picks the existing client.
    let again = f
        .call(
            "update_deal",
            &edit_form(
                deal,
                card.version,
                client,
                owner,
                &[("client_id", "0"), ("new_client", "acme studio")],
            ),
            Some(&am),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert_eq!(
        f.id("SELECT COUNT(*) FROM clients").await,
        clients_before + 1
    );
    // Skills not sent keep their lines.
    assert_eq!(
        f.id(&format!("SELECT minutes FROM deal_estimate_lines WHERE deal_id = {deal} AND skill_id = {design}")).await,
        750
    );
    let detail = f
        .call("get_deal", &format!("deal_id={deal}"), Some(&am))
        .await;
    let detail: app::api::deals::DealDetail = serde_json::from_str(&detail.body).unwrap();
    let skills = f.id("SELECT COUNT(*) FROM skills s JOIN workspaces w ON w.id = s.workspace_id WHERE w.slug = 'demo'").await;
    assert_eq!(detail.estimate.len() as i64, skills, "one line per skill");
    assert!(detail
        .estimate
        .iter()
        .any(|l| l.skill_id == design && l.minutes == 750));
}

#[tokio::test]
async fn bad_drawer_input_names_the_field_and_writes_nothing() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let (deal, version, client, owner, foreign_client, foreign_owner) = ids_for_edit(&f).await;
    let long = "x".repeat(501);
    let fc = foreign_client.to_string();
    let fo = foreign_owner.to_string();
    let design_key = format!("estimate[{}]", skill(&f, "demo", "Design").await);
    let foreign_key = format!("estimate[{}]", f.id("SELECT s.id FROM skills s JOIN workspaces w ON w.id = s.workspace_id WHERE w.slug = 'bluebird' LIMIT 1").await);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("title", "")], "title"),
        (vec![("title", long.as_str())], "title"),
        (vec![("value", "-5")], "value"),
        (vec![("value", "99999999999999999")], "value"),
        (vec![("value", "lots")], "value"),
        (vec![("probability", "101")], "probability"),
        (vec![("probability", "-1")], "probability"),
        (vec![("client_id", fc.as_str())], "client"),
        (vec![("client_id", "999999")], "client"),
        (vec![("owner_user_id", fo.as_str())], "owner"),
        (
            vec![("expected_close_on", "2026-02-30")],
            "expected_close_on",
        ),
        (vec![("planned_start_on", "next week")], "planned_start_on"),
        (vec![("planned_weeks", "0")], "planned_weeks"),
        (vec![("client_id", "0")], "client"),
        (
            vec![("client_id", "0"), ("new_client", long.as_str())],
            "new_client",
        ),
        (vec![(design_key.as_str(), "-3")], "estimate"),
        (vec![(design_key.as_str(), "20000")], "estimate"),
        (vec![(design_key.as_str(), "lots")], "estimate"),
        (vec![("estimate[design]", "5")], "estimate"),
        (vec![(foreign_key.as_str(), "5")], "estimate"),
    ];
    let before = f.fingerprint().await;
    for (over, field) in cases {
        let answer = f
            .call(
                "update_deal",
                &edit_form(deal, version, client, owner, &over),
                Some(&am),
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{over:?}: {}",
            answer.body
        );
        assert!(
            answer.body.contains(&format!("\"field\":\"{field}\"")),
            "{over:?}: {}",
            answer.body
        );
    }
    // A stale version is a conflict carrying the current deal.
    let stale = f
        .call(
            "update_deal",
            &edit_form(deal, version - 1, client, owner, &[]),
            Some(&am),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(f.fingerprint().await, before, "nothing was written");
}

#[tokio::test]
async fn quick_add_lost_and_archive_follow_the_rules() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let (_, _, client, ..) = ids_for_edit(&f).await;
    let lead = stage(&f, "demo", "Lead").await;
    let won = stage(&f, "demo", "Won").await;
    let before = f.fingerprint().await;
    for (form, field) in [
        (
            format!("stage_id={lead}&title=&client_id={client}&value=100"),
            "title",
        ),
        (
            format!("stage_id={lead}&title=X&client_id={client}&value=-1"),
            "value",
        ),
        (
            format!("stage_id={won}&title=X&client_id={client}&value=100"),
            "stage",
        ),
        (
            format!("stage_id={lead}&title=X&client_id=999999&value=100"),
            "client",
        ),
    ] {
        let answer = f.call("create_deal", &form, Some(&am)).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{form}: {}",
            answer.body
        );
        assert!(
            answer.body.contains(&format!("\"field\":\"{field}\"")),
            "{}",
            answer.body
        );
    }
    assert_eq!(f.fingerprint().await, before);

    let created = f
        .call(
            "create_deal",
            &format!("stage_id={lead}&title=Podcast%20studio&client_id={client}&value=12%2C000"),
            Some(&am),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let card: DealCard = serde_json::from_str(&created.body).unwrap();
    assert_eq!(
        (card.stage_id, card.value_minor, card.version),
        (lead, Some(1_200_000), 1)
    );
    let owner: String = sqlx::query_scalar(
        "SELECT u.email FROM deals d JOIN users u ON u.id = d.owner_user_id WHERE d.id = $1",
    )
    .bind(card.id)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    assert_eq!(owner, "am@northwind.test");

    // Lost needs a reason.
    let no_reason = f
        .call(
            "mark_deal_lost",
            &format!("deal_id={}&version=1&reason=", card.id),
            Some(&am),
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    let lost = f
        .call(
            "mark_deal_lost",
            &format!(
                "deal_id={}&version=1&reason=Chose%20a%20freelancer",
                card.id
            ),
            Some(&am),
        )
        .await;
    assert_eq!(lost.status, StatusCode::OK, "{}", lost.body);
    let (stage_name, reason, closed): (String, String, Option<i64>) = sqlx::query_as(
        "SELECT s.name, d.lost_reason, d.closed_at FROM deals d JOIN stages s ON s.id = d.stage_id WHERE d.id = $1",
    )
    .bind(card.id)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    assert_eq!(
        (stage_name.as_str(), reason.as_str()),
        ("Lost", "Chose a freelancer")
    );
    assert!(closed.is_some());

    // Archived deals leave the board.
    let archived = f
        .call(
            "archive_deal",
            &format!("deal_id={}&version=2", card.id),
            Some(&am),
        )
        .await;
    assert_eq!(archived.status, StatusCode::OK, "{}", archived.body);
    let board = f.call("list_board", "", Some(&am)).await;
    let board: app::api::board::Board = serde_json::from_str(&board.body).unwrap();
    assert!(board.card(card.id).is_none());
    assert_eq!(
        f.call("get_deal", &format!("deal_id={}", card.id), Some(&am))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

/// The board rows a server keeps equal a fresh read after each kind of change, whoever
/// writes it (plain SQL here, as another server or a script would).
#[tokio::test]
async fn remembered_board_rows_equal_a_fresh_read_after_every_kind_of_change() {
    use app::server::board_cache::BoardCache;
    use app::server::board_repo;
    let f = crate::common::fixture().await;
    let ws = f.id("SELECT id FROM workspaces WHERE slug = 'demo'").await;
    let cache = BoardCache::default();
    let mut conn = f.pool.acquire().await.unwrap();
    let changes = [
        "UPDATE deals SET title = 'Renamed by SQL', version = version + 1
         WHERE id = (SELECT MIN(id) FROM deals WHERE archived_at IS NULL)",
        "UPDATE deals SET expected_close_on = '2020-01-01' WHERE id = (SELECT MAX(id) FROM deals)",
        "UPDATE deals SET expected_close_on = NULL WHERE id = (SELECT MIN(id) FROM deals)",
        "UPDATE deals SET stage_id = (SELECT MAX(id) FROM stages WHERE workspace_id = deals.workspace_id)
         WHERE id = (SELECT MIN(id) + 3 FROM deals)",
        "INSERT INTO deals (workspace_id, client_id, title, value_minor, stage_id, owner_user_id,
                            stage_entered_at, created_at, updated_at)
         SELECT workspace_id, client_id, 'Inserted by SQL', 1234, stage_id, owner_user_id, 0, 0, 0
         FROM deals WHERE id = (SELECT MIN(id) FROM deals)",
        "UPDATE deals SET archived_at = 1 WHERE id = (SELECT MIN(id) + 5 FROM deals)",
        "UPDATE deals SET archived_at = NULL WHERE id = (SELECT MIN(id) + 5 FROM deals)",
        "UPDATE clients SET name = 'Renamed client' WHERE id = (SELECT MIN(client_id) FROM deals)",
        "UPDATE users SET name = 'Renamed owner' WHERE id = (SELECT MIN(owner_user_id) FROM deals)",
        "UPDATE stages SET name = 'Renamed stage' WHERE id = (SELECT MIN(stage_id) FROM deals)",
        "INSERT INTO clients (workspace_id, name, created_at)
         SELECT workspace_id, 'Client by SQL', 0 FROM clients WHERE id = (SELECT MIN(id) FROM clients)",
        "DELETE FROM deal_estimate_lines WHERE deal_id = (SELECT MIN(deal_id) FROM deal_estimate_lines)",
        "UPDATE deals SET title = 'Inserted by SQL, renamed' WHERE title = 'Inserted by SQL'",
        "DELETE FROM deals WHERE title = 'Inserted by SQL, renamed'",
    ];
    let first = cache.rows(&mut conn, ws).await.unwrap();
    assert!(first.deals.len() > 10);
    for change in changes {
        let done = sqlx::query(change).execute(&f.pool).await.unwrap();
        assert!(done.rows_affected() > 0, "{change}");
        let kept = cache.rows(&mut conn, ws).await.unwrap();
        assert_eq!(
            kept.stages,
            board_repo::stages(&mut *conn, ws).await.unwrap(),
            "{change}"
        );
        assert_eq!(
            kept.clients,
            board_repo::clients(&mut *conn, ws).await.unwrap(),
            "{change}"
        );
        assert_eq!(
            kept.deals,
            board_repo::board_deals(&mut *conn, ws).await.unwrap(),
            "{change}"
        );
    }
    let renamed = cache.rows(&mut conn, ws).await.unwrap();
    assert!(renamed.deals.iter().any(|d| d.title == "Renamed by SQL"));
    assert!(!renamed
        .deals
        .iter()
        .any(|d| d.title.starts_with("Inserted by SQL")));
}
