//! The HTTP surface, driven through the router without a socket.

use app::api::board::Board;
use app::server::{db, seed, state::AppState};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use leptos::config::LeptosOptions;
use sqlx::SqlitePool;
use tower::ServiceExt;

async fn setup(workspace: &str) -> (tempfile::TempDir, SqlitePool, axum::Router) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/baton.db", dir.path().display());
    let pool = db::connect_and_migrate(&url).await.unwrap();
    seed::seed_demo(&pool, seed::SeedSize::DEMO, app::server::context::now_ms())
        .await
        .unwrap();
    let options = LeptosOptions::builder()
        .output_name("baton")
        .site_root(dir.path().display().to_string())
        .build();
    let state = AppState {
        leptos_options: options,
        pool: pool.clone(),
        default_workspace: workspace.into(),
    };
    (dir, pool, baton::router(state))
}

async fn send(router: &axum::Router, request: Request<Body>) -> (StatusCode, String) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn post_api(name: &str) -> Request<Body> {
    Request::post(format!("/api/{name}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn healthz_checks_the_database() {
    let (_dir, pool, router) = setup("demo").await;
    let (status, body) = send(
        &router,
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
    pool.close().await;
    let (status, _) = send(
        &router,
        Request::get("/healthz").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn list_board_returns_every_live_deal_of_the_workspace_with_totals() {
    let (_dir, pool, router) = setup("demo").await;
    let (status, body) = send(&router, post_api("list_board")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let board: Board = serde_json::from_str(&body).unwrap();
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
    let in_db: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM deals d JOIN workspaces w ON w.id = d.workspace_id
         WHERE w.slug = 'demo' AND d.archived_at IS NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let on_board: usize = board.columns.iter().map(|c| c.cards.len()).sum();
    assert_eq!(on_board as i64, in_db);
    for column in &board.columns {
        assert_eq!(column.totals.count, column.cards.len() as i64);
        let sum: i64 = column.cards.iter().map(|c| c.value_minor).sum();
        assert_eq!(column.totals.value_minor, sum, "{}", column.stage.name);
    }
}

#[tokio::test]
async fn a_workspace_sees_only_its_own_deals() {
    let (_dir, pool, router) = setup("bluebird").await;
    let (status, body) = send(&router, post_api("list_board")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let board: Board = serde_json::from_str(&body).unwrap();
    assert_eq!(board.workspace_name, "Bluebird Creative");
    assert_eq!(board.currency.code, "USD");
    let theirs: Vec<i64> = sqlx::query_scalar(
        "SELECT d.id FROM deals d JOIN workspaces w ON w.id = d.workspace_id WHERE w.slug = 'bluebird' ORDER BY d.id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut shown: Vec<i64> = board
        .columns
        .iter()
        .flat_map(|c| c.cards.iter().map(|d| d.id))
        .collect();
    shown.sort_unstable();
    assert_eq!(shown, theirs);
}

#[tokio::test]
async fn the_pipeline_page_is_complete_without_javascript() {
    let (_dir, pool, router) = setup("demo").await;
    let (status, html) = send(
        &router,
        Request::get("/pipeline").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    for stage in [
        "Lead",
        "Qualified",
        "Proposal",
        "Negotiation",
        "Won",
        "Lost",
    ] {
        assert!(
            html.contains(&format!("aria-label=\"{stage}\"")),
            "no column {stage}"
        );
    }
    let deals: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM deals d JOIN workspaces w ON w.id = d.workspace_id WHERE w.slug = 'demo'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(html.matches("<article").count() as i64, deals);
    assert!(html.contains("Northwind Studio"));
}

#[tokio::test]
async fn unknown_pages_answer_404_and_root_redirects() {
    let (_dir, _pool, router) = setup("demo").await;
    let (status, html) = send(
        &router,
        Request::get("/no-such-page").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(html.contains("Page not found"));
    let response = router
        .clone()
        .oneshot(Request::get("/").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(response.headers()["location"], "/pipeline");
}
