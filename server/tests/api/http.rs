//! The HTTP surface, driven through the router without a socket.

use crate::common::{fixture, leaked};
use app::api::board::Board;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};

#[tokio::test]
async fn healthz_checks_the_database() {
    let f = fixture().await;
    let answer = f.get("/healthz", None).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (StatusCode::OK, "ok")
    );
    f.server_db.close().await;
    assert_eq!(
        f.get("/healthz", None).await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );
}

#[tokio::test]
async fn list_board_returns_every_live_deal_of_the_workspace_with_totals() {
    let f = fixture().await;
    let cookie = f.login("am@northwind.test").await;
    let answer = f.call("list_board", "", Some(&cookie)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let board: Board = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(board.workspace_name, "Northwind Studio");
    let names: Vec<&str> = board
        .columns
        .iter()
        .map(|c| c.stage.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "Lead",
            "Qualified",
            "Proposal",
            "Negotiation",
            "Won",
            "Lost"
        ]
    );
    let in_db = f
        .id(
            "SELECT COUNT(*) FROM deals d JOIN workspaces w ON w.id = d.workspace_id
             WHERE w.slug = 'demo' AND d.archived_at IS NULL",
        )
        .await;
    let on_board: usize = board.columns.iter().map(|c| c.cards.len()).sum();
    assert_eq!(on_board as i64, in_db);
    for column in &board.columns {
        assert_eq!(column.count, column.cards.len() as i64);
        let sum: i64 = column.cards.iter().map(|c| c.value_minor.unwrap()).sum();
        assert_eq!(column.value_minor, Some(sum), "{}", column.stage.name);
    }
}

#[tokio::test]
async fn a_workspace_sees_only_its_own_deals() {
    let f = fixture().await;
    let cookie = f.login("admin@bluebird.test").await;
    let answer = f.call("list_board", "", Some(&cookie)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let board: Board = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(board.workspace_name, "Bluebird Creative");
    assert_eq!(board.currency.code, "USD");
    let theirs: Vec<i64> = sqlx::query_scalar(
        "SELECT d.id FROM deals d JOIN workspaces w ON w.id = d.workspace_id WHERE w.slug = 'bluebird' ORDER BY d.id",
    )
    .fetch_all(&f.pool)
    .await
    .unwrap();
    let mut shown: Vec<i64> = board
        .columns
        .iter()
        .flat_map(|c| c.cards.iter().map(|d| d.id))
        .collect();
    shown.sort_unstable();
    assert_eq!(shown, theirs);
    // Nothing of Northwind on Bluebird's board, and nothing of Bluebird on Northwind's.
    let northwind = f.names_of("demo").await;
    assert_eq!(leaked(&answer.body, &northwind), None, "{}", answer.body);
    assert!(
        answer.body.contains("Hudson Coffee Roasters"),
        "{}",
        answer.body
    );
    let bluebird = f.names_of("bluebird").await;
    let admin = f.login("admin@northwind.test").await;
    let theirs = f.call("list_board", "", Some(&admin)).await;
    assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.body);
    assert_eq!(leaked(&theirs.body, &bluebird), None, "{}", theirs.body);
    assert!(theirs.body.contains("Harbor Health"), "{}", theirs.body);
    // The same for the pages as the server renders them; those that list clients, deals,
    // projects or people show the workspace's own.
    for (path, lists_names) in [
        ("/", false),
        ("/pipeline", true),
        ("/clients", true),
        ("/projects", true),
        ("/capacity", true),
        ("/time", false),
        ("/settings/users", true),
        ("/settings/audit", false),
    ] {
        for (who, own, other) in [
            (&cookie, &bluebird, &northwind),
            (&admin, &northwind, &bluebird),
        ] {
            let page = f.get(path, Some(who)).await;
            assert_eq!(page.status, StatusCode::OK, "{path}");
            assert_eq!(leaked(&page.body, other), None, "{path}");
            if lists_names {
                assert!(
                    leaked(&page.body, own).is_some(),
                    "{path} shows none of its own"
                );
            }
        }
    }
}

#[tokio::test]
async fn values_are_masked_for_roles_that_may_not_see_them() {
    let f = fixture().await;
    let cookie = f.login("team@northwind.test").await;
    let answer = f.call("list_board", "", Some(&cookie)).await;
    assert_eq!(answer.status, StatusCode::OK);
    let board: Board = serde_json::from_str(&answer.body).unwrap();
    assert!(board
        .columns
        .iter()
        .all(|c| c.value_minor.is_none() && c.weighted_minor.is_none()));
    assert!(board
        .columns
        .iter()
        .flat_map(|c| &c.cards)
        .all(|d| d.value_minor.is_none()));
    // Nor in the page.
    let page = f.get("/pipeline", Some(&cookie)).await;
    assert!(
        !page.body.contains("data-value-minor=\""),
        "values leaked into the page"
    );
    assert!(!page.body.contains("class=\"deal-value\""));
}

#[tokio::test]
async fn the_pipeline_page_is_complete_without_javascript() {
    let f = fixture().await;
    let cookie = f.login("am@northwind.test").await;
    let page = f.get("/pipeline", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    for stage in [
        "Lead",
        "Qualified",
        "Proposal",
        "Negotiation",
        "Won",
        "Lost",
    ] {
        assert!(
            page.body.contains(&format!("aria-label=\"{stage}\"")),
            "no column {stage}"
        );
    }
    let deals = f
        .id("SELECT COUNT(*) FROM deals d JOIN workspaces w ON w.id = d.workspace_id WHERE w.slug = 'demo'")
        .await;
    assert_eq!(page.body.matches("<article").count() as i64, deals);
    assert!(page.body.contains("Northwind Studio"));
    assert!(
        page.body.contains("Sofia Marin"),
        "the signed-in user is shown"
    );
}

#[tokio::test]
async fn unknown_pages_answer_404_and_root_is_the_dashboard() {
    let f = fixture().await;
    let cookie = f.login("am@northwind.test").await;
    let answer = f.get("/no-such-page", Some(&cookie)).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(answer.body.contains("Page not found"));
    let answer = f.get("/", Some(&cookie)).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.body.contains("Weighted pipeline"), "{}", answer.body);
    let answer = f.get("/", None).await;
    assert_eq!(answer.headers["location"], "/login?next=/");
}

#[tokio::test]
async fn no_server_function_answers_get() {
    let f = fixture().await;
    let cookie = f.login("admin@northwind.test").await;
    assert!(leptos::server_fn::axum::server_fn_paths().count() >= 15);
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        assert_eq!(method, axum::http::Method::POST, "{path} is not POST");
        let answer = f
            .send(
                Request::get(path)
                    .header(header::COOKIE, &cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED, "GET {path}");
    }
}

#[tokio::test]
async fn open_deals_carry_their_capacity_fit() {
    let f = fixture().await;
    let cookie = f.login("pm@northwind.test").await;
    let answer = f.call("list_board", "", Some(&cookie)).await;
    let board: Board = serde_json::from_str(&answer.body).unwrap();
    for column in &board.columns {
        for card in &column.cards {
            match column.stage.kind.as_str() {
                "open" => assert!(card.fit.is_some(), "{} has no fit", card.title),
                _ => assert!(card.fit.is_none(), "{} is closed", card.title),
            }
        }
    }
    let verdicts: std::collections::BTreeSet<String> = board
        .columns
        .iter()
        .flat_map(|c| &c.cards)
        .filter_map(|c| c.fit.map(|v| format!("{v:?}")))
        .collect();
    assert!(!verdicts.is_empty());
}
