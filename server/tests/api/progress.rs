//! Days in stage and rotting: moving a deal back and forth, or closing and reopening it,
//! restarts its days in stage but not the days without progress that rotting counts.

use crate::close::{close_form, new_deal, start};
use crate::common::{fixture_at, Fixture};
use crate::deals::stage;
use app::api::board::{Board, DealCard};
use app::api::close::CloseOutcome;
use app::api::dashboard::DashboardData;
use app::api::deals::DealDetail;
use app::domain::calendar::MS_PER_DAY;
use axum::http::StatusCode;

/// An open Northwind deal in `stage_name` and its version.
async fn deal_in(f: &Fixture, stage_name: &str) -> (i64, i64) {
    sqlx::query_as(
        "SELECT d.id, d.version FROM deals d JOIN stages s ON s.id = d.stage_id
         JOIN workspaces w ON w.id = d.workspace_id
         WHERE w.slug = 'demo' AND s.name = $1 AND d.archived_at IS NULL ORDER BY d.id LIMIT 1",
    )
    .bind(stage_name)
    .fetch_one(&f.pool)
    .await
    .unwrap()
}

/// Makes deal `deal` as if it entered its stage, its last progress, `days` ago.
async fn stalled_for(f: &Fixture, deal: i64, days: i64) {
    let then = f.clock.now_ms() - days * MS_PER_DAY;
    sqlx::query(
        "UPDATE deals SET stage_entered_at = $1, progressed_at = $1, furthest_stage_id = stage_id
         WHERE id = $2",
    )
    .bind(then)
    .bind(deal)
    .execute(&f.pool)
    .await
    .unwrap();
}

/// Moves `deal` at `version` to `stage_id`; answers its card.
async fn move_deal(f: &Fixture, cookie: &str, deal: i64, version: i64, stage_id: i64) -> DealCard {
    let answer = f
        .call(
            "move_deal",
            &format!("deal_id={deal}&stage_id={stage_id}&version={version}"),
            Some(cookie),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    serde_json::from_str(&answer.body).unwrap()
}

/// The deal's card as the drawer shows it.
async fn drawer_card(f: &Fixture, cookie: &str, deal: i64) -> DealCard {
    let answer = f
        .call("get_deal", &format!("deal_id={deal}"), Some(cookie))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    serde_json::from_str::<DealDetail>(&answer.body)
        .unwrap()
        .card
}

/// The deal's card on the board.
async fn board_card(f: &Fixture, cookie: &str, deal: i64) -> DealCard {
    let answer = f.call("list_board", "", Some(cookie)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let board: Board = serde_json::from_str(&answer.body).unwrap();
    board.card(deal).cloned().expect("the deal is on the board")
}

/// (days in stage, days without progress, rotting) of a card.
fn clocks(card: &DealCard) -> (i64, i64, bool) {
    (card.days_in_stage, card.days_without_progress, card.rotting)
}

async fn now_fixture() -> (Fixture, std::sync::Arc<app::server::clock::FixedClock>) {
    fixture_at(app::server::clock::system_now_ms()).await
}

#[tokio::test]
async fn a_bounce_restarts_days_in_stage_but_not_the_rotting_clock() {
    let (f, clock) = now_fixture().await;
    let am = f.login("am@northwind.test").await;
    let (deal, version) = deal_in(&f, "Proposal").await;
    let qualified = stage(&f, "demo", "Qualified").await;
    let proposal = stage(&f, "demo", "Proposal").await;
    let negotiation = stage(&f, "demo", "Negotiation").await;
    // Twenty days in Proposal, which allows 14.
    stalled_for(&f, deal, 20).await;
    assert_eq!(clocks(&board_card(&f, &am, deal).await), (20, 20, true));

    // Back to Qualified (21 days allowed): a fresh stage, the same clock.
    let back = move_deal(&f, &am, deal, version, qualified).await;
    assert_eq!(clocks(&back), (0, 20, false));
    // And forward again to Proposal: not new ground, still rotting.
    let again = move_deal(&f, &am, deal, version + 1, proposal).await;
    assert_eq!(clocks(&again), (0, 20, true));
    assert_eq!(
        again.rot_text().as_deref(),
        Some("Rotting: no progress for 20 days")
    );
    assert_eq!(
        again.age_text(),
        "In this stage 0 days; no progress for 20 days"
    );
    assert_eq!(clocks(&board_card(&f, &am, deal).await), (0, 20, true));
    assert_eq!(clocks(&drawer_card(&f, &am, deal).await), (0, 20, true));

    // Both clocks run on.
    clock.advance(2 * MS_PER_DAY);
    assert_eq!(clocks(&drawer_card(&f, &am, deal).await), (2, 22, true));

    // Negotiation is new ground: the clock starts again, and a move back keeps that.
    let further = move_deal(&f, &am, deal, version + 2, negotiation).await;
    assert_eq!(clocks(&further), (0, 0, false));
    clock.advance(MS_PER_DAY);
    let back = move_deal(&f, &am, deal, version + 3, proposal).await;
    assert_eq!(clocks(&back), (0, 1, false));
    let (furthest, progressed_at): (i64, i64) =
        sqlx::query_as("SELECT furthest_stage_id, progressed_at FROM deals WHERE id = $1")
            .bind(deal)
            .fetch_one(&f.pool)
            .await
            .unwrap();
    assert_eq!(
        (furthest, progressed_at),
        (negotiation, f.clock.now_ms() - MS_PER_DAY)
    );
}

#[tokio::test]
async fn losing_and_reopening_does_not_hide_a_rotting_deal() {
    let (f, _clock) = now_fixture().await;
    let am = f.login("am@northwind.test").await;
    let (deal, version) = deal_in(&f, "Proposal").await;
    let proposal = stage(&f, "demo", "Proposal").await;
    let negotiation = stage(&f, "demo", "Negotiation").await;
    // Far longer without progress than any other deal: first on the dashboard's list.
    stalled_for(&f, deal, 400).await;

    let lost = f
        .call(
            "mark_deal_lost",
            &format!("deal_id={deal}&version={version}&reason=Gone%20quiet"),
            Some(&am),
        )
        .await;
    assert_eq!(lost.status, StatusCode::OK, "{}", lost.body);
    let lost: DealCard = serde_json::from_str(&lost.body).unwrap();
    assert!(!lost.rotting, "a closed deal does not rot");
    let reopened = move_deal(&f, &am, deal, version + 1, proposal).await;
    assert_eq!(clocks(&reopened), (0, 400, true));

    let admin = f.login("admin@northwind.test").await;
    let answer = f.call("dashboard", "", Some(&admin)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let dashboard: DashboardData = serde_json::from_str(&answer.body).unwrap();
    let first = &dashboard.rotting[0];
    assert_eq!(
        (first.id, first.days, first.days_in_stage, first.limit),
        (deal, 400, 0, 14)
    );
    // The dashboard counts what the board flags.
    let answer = f.call("list_board", "", Some(&admin)).await;
    let board: Board = serde_json::from_str(&answer.body).unwrap();
    let flagged = board
        .columns
        .iter()
        .flat_map(|c| &c.cards)
        .filter(|c| c.rotting)
        .count() as i64;
    assert_eq!(dashboard.rotting_total, flagged);

    // The reopened run moves on: Negotiation is new ground.
    let onwards = move_deal(&f, &am, deal, version + 2, negotiation).await;
    assert_eq!(clocks(&onwards), (0, 0, false));
}

#[tokio::test]
async fn a_reopened_won_deal_counts_from_its_win() {
    let (f, _clock) = now_fixture().await;
    let am = f.login("am@northwind.test").await;
    let (deal, version) = new_deal(&f, 4_000_000, &[("Design", 40)], 2).await;
    let closed = f
        .call(
            "close_deal",
            &close_form(deal, version, "key-progress-0000001", &start(2), ""),
            Some(&am),
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
    let outcome: CloseOutcome = serde_json::from_str(&closed.body).unwrap();
    // Closing as won is progress.
    let won = drawer_card(&f, &am, deal).await;
    assert_eq!(clocks(&won), (0, 0, false));
    // As if won twelve days ago.
    sqlx::query(
        "UPDATE deals SET stage_entered_at = stage_entered_at - $1, progressed_at = progressed_at - $1
         WHERE id = $2",
    )
    .bind(12 * MS_PER_DAY)
    .bind(deal)
    .execute(&f.pool)
    .await
    .unwrap();
    let reopened = f
        .call(
            "reopen_deal",
            &format!(
                "project_id={}&deal_version={}",
                outcome.project_id,
                version + 1
            ),
            Some(&am),
        )
        .await;
    assert_eq!(reopened.status, StatusCode::OK, "{}", reopened.body);
    // Back in Negotiation (10 days allowed): in the stage since now, no progress for 12.
    let card = drawer_card(&f, &am, deal).await;
    assert_eq!(card.stage_id, stage(&f, "demo", "Negotiation").await);
    assert_eq!(clocks(&card), (0, 12, true));
}

/// Runs every migration before the deal progress one on a new database.
async fn migrate_before_progress(url: &str) {
    use sqlx::migrate::Migrator;
    use sqlx::Connection;
    let sqlite = url.starts_with("sqlite:");
    let all = if sqlite {
        &app::server::db::MIGRATOR
    } else {
        &app::server::db::MIGRATOR_POSTGRES
    };
    let progress = all
        .iter()
        .find(|m| m.description == "deal progress")
        .expect("the deal progress migration")
        .version;
    let before = Migrator {
        migrations: std::borrow::Cow::Owned(
            all.iter()
                .filter(|m| m.version < progress)
                .cloned()
                .collect(),
        ),
        ..Migrator::DEFAULT
    };
    if sqlite {
        let options = <sqlx::sqlite::SqliteConnectOptions as std::str::FromStr>::from_str(url)
            .unwrap()
            .create_if_missing(true)
            .foreign_keys(false);
        let mut conn = sqlx::SqliteConnection::connect_with(&options)
            .await
            .unwrap();
        before.run(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        before.run(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }
}

#[tokio::test]
async fn existing_deals_get_their_progress_from_their_history() {
    let dir = tempfile::tempdir().unwrap();
    let url = app::server::db::scratch_database(dir.path()).await;
    migrate_before_progress(&url).await;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    let id = |sql: String| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(&sql)
                .fetch_one(&pool)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
        }
    };
    let ws = id("INSERT INTO workspaces (slug, name, currency, created_at)
                 VALUES ('old', 'Old Studio', 'EUR', 0) RETURNING id"
        .into())
    .await;
    let role = id(format!(
        "INSERT INTO roles (workspace_id, name) VALUES ({ws}, 'Admin') RETURNING id"
    ))
    .await;
    let user = id(format!(
        "INSERT INTO users (workspace_id, email, name, role_id, created_at)
         VALUES ({ws}, 'old@example.test', 'Old Hand', {role}, 0) RETURNING id"
    ))
    .await;
    let client = id(format!(
        "INSERT INTO clients (workspace_id, name, created_at) VALUES ({ws}, 'Acme', 0) RETURNING id"
    ))
    .await;
    let mut stages = std::collections::HashMap::new();
    for (position, (name, kind)) in [
        ("Lead", "open"),
        ("Qualified", "open"),
        ("Proposal", "open"),
        ("Won", "won"),
        ("Lost", "lost"),
    ]
    .into_iter()
    .enumerate()
    {
        let stage = id(format!(
            "INSERT INTO stages (workspace_id, name, position, probability_pct, kind, rotting_days)
             VALUES ({ws}, '{name}', {position}, 50, '{kind}', 14) RETURNING id"
        ))
        .await;
        stages.insert(name, stage);
    }
    let day = |d: i64| d * MS_PER_DAY;
    let mut seq = 0;
    // A deal in `stage` since `entered` with its stage events: (day, action, from, to).
    let mut deal = async |stage: &str, entered: i64, history: &[(i64, &str, &str, &str)]| {
        let deal = id(format!(
            "INSERT INTO deals (workspace_id, client_id, title, value_minor, stage_id,
                                owner_user_id, stage_entered_at, created_at, updated_at)
             VALUES ({ws}, {client}, 'Deal', 100, {}, {user}, {entered}, 0, 0) RETURNING id",
            stages[stage]
        ))
        .await;
        for &(at, action, from, to) in history {
            seq += 1;
            let before = if from.is_empty() {
                "NULL".to_string()
            } else {
                format!("'{{\"stage\":\"{from}\"}}'")
            };
            id(format!(
                "INSERT INTO events (workspace_id, seq, actor_user_id, entity, entity_id, action,
                                     before_json, after_json, created_at)
                 VALUES ({ws}, {seq}, {user}, 'deal', {deal}, '{action}', {before},
                         '{{\"stage\":\"{to}\",\"title\":\"Deal\"}}', {}) RETURNING id",
                day(at)
            ))
            .await;
        }
        deal
    };
    // Reached Proposal on day 10, back in Qualified since day 30.
    let bounced = deal(
        "Qualified",
        day(30),
        &[
            (0, "created", "", "Lead"),
            (10, "stage_changed", "Lead", "Proposal"),
            (30, "stage_changed", "Proposal", "Qualified"),
        ],
    )
    .await;
    // No history: its own stage, since it entered it.
    let quiet = deal("Proposal", day(5), &[]).await;
    // Lost from Proposal, dragged back into Lead: a new run, which reached Qualified on
    // day 25 and is back in Lead since day 28.
    let revived = deal(
        "Lead",
        day(28),
        &[
            (0, "created", "", "Lead"),
            (5, "stage_changed", "Lead", "Proposal"),
            (8, "lost", "Proposal", "Lost"),
            (20, "stage_changed", "Lost", "Lead"),
            (25, "stage_changed", "Lead", "Qualified"),
            (28, "stage_changed", "Qualified", "Lead"),
        ],
    )
    .await;
    // Its history stops at Lead, yet it is in Proposal since day 12.
    let unrecorded = deal("Proposal", day(12), &[(0, "created", "", "Lead")]).await;
    // Won on day 40 after Proposal on day 30.
    let won = deal(
        "Won",
        day(40),
        &[
            (0, "created", "", "Lead"),
            (30, "stage_changed", "Lead", "Proposal"),
            (40, "won", "Proposal", "Won"),
        ],
    )
    .await;
    pool.close().await;

    let pool = app::server::db::connect_and_migrate(&url).await.unwrap();
    let progress = async |deal: i64| -> (i64, i64) {
        sqlx::query_as("SELECT furthest_stage_id, progressed_at FROM deals WHERE id = $1")
            .bind(deal)
            .fetch_one(&pool)
            .await
            .unwrap()
    };
    assert_eq!(progress(bounced).await, (stages["Proposal"], day(10)));
    assert_eq!(progress(quiet).await, (stages["Proposal"], day(5)));
    assert_eq!(progress(revived).await, (stages["Qualified"], day(25)));
    assert_eq!(progress(unrecorded).await, (stages["Proposal"], day(12)));
    assert_eq!(progress(won).await, (stages["Won"], day(40)));
}
