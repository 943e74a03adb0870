//! The planner's odds and what-if: the chance of being over comes with pipeline demand,
//! over the whole team, with no money in it; applying a what-if writes each deal on its
//! own, refuses callers who may not edit deals, reports the deals it could not write,
//! and leaves the planner showing what the what-if showed.

use crate::common::{encode, fixture, leaked, Fixture};
use app::api::planner::{PlannerGrid, SkillRows, WhatIfOutcome};
use app::domain::what_if::{DealChange, Outcome, Scenario, LOST_REASON};
use axum::http::StatusCode;

async fn grid(f: &Fixture, cookie: &str, demand: &str) -> (PlannerGrid, String) {
    let answer = f
        .call(
            "capacity_grid",
            &format!("from=&weeks=12&demand={demand}"),
            Some(cookie),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    (serde_json::from_str(&answer.body).unwrap(), answer.body)
}

async fn apply(f: &Fixture, cookie: &str, changes: &str) -> (StatusCode, String) {
    let answer = f
        .call(
            "apply_what_if",
            &format!("changes={}", encode(changes)),
            Some(cookie),
        )
        .await;
    (answer.status, answer.body)
}

/// A deal's planned start, probability override, stage kind, lost reason and version.
async fn deal_row(
    f: &Fixture,
    id: i64,
) -> (Option<String>, Option<i64>, String, Option<String>, i64) {
    sqlx::query_as(
        "SELECT d.planned_start_on, d.probability_override_pct, s.kind, d.lost_reason, d.version
         FROM deals d JOIN stages s ON s.id = d.stage_id WHERE d.id = $1",
    )
    .bind(id)
    .fetch_one(&f.pool)
    .await
    .unwrap()
}

/// Open deals of the grid that start inside the window, at a probability under 100 %.
fn deals_in_window(g: &PlannerGrid) -> Vec<(i64, i64)> {
    g.open_deals
        .iter()
        .filter(|d| d.demand.start_week >= 0 && d.demand.probability_pct < 100)
        .map(|d| (d.demand.deal_id, d.version))
        .collect()
}

#[tokio::test]
async fn odds_come_with_pipeline_demand_over_the_whole_team_and_carry_no_money() {
    let f = fixture().await;
    let pm = f.login("pm@northwind.test").await;
    let (g, body) = grid(&f, &pm, "weighted").await;
    assert_eq!(g.odds.len(), g.skills.len());
    assert!(g.odds.iter().all(|row| row.len() == 12));
    for o in g.odds.iter().flatten() {
        assert!(o.p50 <= o.p90, "{o:?}");
        assert!((0..=10_000).contains(&o.over_bp), "{o:?}");
    }
    assert!(
        g.odds.iter().flatten().any(|o| o.p90 > 0),
        "the demo's pipeline has demand in the next weeks"
    );
    // With nothing changed, the browser's what-if shows the server's numbers.
    assert_eq!(
        g.what_if(&Scenario::default()),
        SkillRows {
            weeks: g.skill_weeks.clone(),
            odds: g.odds.clone()
        }
    );
    // A project manager may try a what-if but not apply it.
    assert!(!g.can_apply);
    // Hours and probabilities only.
    for money in [
        "value_minor",
        "\"value\"",
        "cost_rate",
        "cost_minor",
        "budget",
    ] {
        assert!(!body.contains(money), "{money} in {body}");
    }

    let (off, _) = grid(&f, &pm, "off").await;
    assert!(off.odds.is_empty() && off.assigned.is_empty());
    let team = f.login("team@northwind.test").await;
    let (mine, body) = grid(&f, &team, "weighted").await;
    assert!(
        mine.odds.is_empty(),
        "one person's capacity says nothing of a skill's"
    );
    assert!(!mine.can_apply);
    assert!(!body.contains("value_minor"));
    let am = f.login("am@northwind.test").await;
    let (theirs, _) = grid(&f, &am, "pessimistic").await;
    assert!(theirs.can_apply && !theirs.odds.is_empty());
}

#[tokio::test]
async fn a_what_if_applied_is_what_the_planner_showed() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let (g, _) = grid(&f, &am, "weighted").await;
    let deals = deals_in_window(&g);
    assert!(deals.len() >= 3, "{deals:?}");
    let (won, slipped, lost) = (deals[0], deals[1], deals[2]);
    let mut scenario = Scenario::default();
    for (deal, outcome, slip_weeks) in [
        (won, Outcome::Won, 0),
        (slipped, Outcome::Open, 2),
        (lost, Outcome::Lost, 0),
    ] {
        assert!(scenario.set(DealChange {
            deal_id: deal.0,
            version: deal.1,
            outcome,
            slip_weeks,
        }));
    }
    let shown = g.what_if(&scenario);
    assert_ne!(
        shown,
        g.what_if(&Scenario::default()),
        "the what-if moves the numbers"
    );
    let slipped_before = deal_row(&f, slipped.0).await;
    let events = f.id("SELECT COUNT(*) FROM events").await;

    let (status, body) = apply(&f, &am, &scenario.to_text()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let outcome: WhatIfOutcome = serde_json::from_str(&body).unwrap();
    assert!(outcome.failed.is_empty(), "{outcome:?}");
    let mut applied = outcome.applied.clone();
    applied.sort_unstable();
    let mut expected = vec![won.0, slipped.0, lost.0];
    expected.sort_unstable();
    assert_eq!(applied, expected);

    // Won: 100 %, still open, no project. Slipped: two weeks later. Lost: with the reason.
    let (_, pct, kind, _, _) = deal_row(&f, won.0).await;
    assert_eq!((pct, kind.as_str()), (Some(100), "open"));
    assert_eq!(
        f.id(&format!(
            "SELECT COUNT(*) FROM projects WHERE deal_id = {}",
            won.0
        ))
        .await,
        0,
        "winning in a what-if closes nothing"
    );
    let (start, pct, _, _, version) = deal_row(&f, slipped.0).await;
    let moved = app::domain::calendar::Date::parse(slipped_before.0.as_deref().unwrap())
        .unwrap()
        .add_days(14)
        .to_string();
    assert_eq!(start.as_deref(), Some(moved.as_str()));
    assert_eq!(pct, slipped_before.1, "a slip leaves the probability");
    assert_eq!(version, slipped_before.4 + 1);
    let (_, _, kind, reason, _) = deal_row(&f, lost.0).await;
    assert_eq!(kind, "lost");
    assert_eq!(reason.as_deref(), Some(LOST_REASON));
    assert_eq!(f.id("SELECT COUNT(*) FROM events").await, events + 3);
    assert_eq!(
        f.id("SELECT COUNT(*) FROM events WHERE action = 'what_if_applied'")
            .await,
        2
    );

    // The planner now shows what the what-if showed, odds and all.
    let (after, _) = grid(&f, &am, "weighted").await;
    assert_eq!(after.skill_weeks, shown.weeks);
    assert_eq!(after.odds, shown.odds);
}

#[tokio::test]
async fn applying_refuses_who_may_not_edit_deals_and_reports_the_deals_it_could_not_write() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let (g, _) = grid(&f, &am, "weighted").await;
    let deals = deals_in_window(&g);
    let (changed, fine) = (deals[0], deals[1]);
    let text = format!(
        "{}:{}:won:0,{}:{}:open:1",
        changed.0, changed.1, fine.0, fine.1
    );

    // A project manager may play with a what-if, not apply it: nothing is written.
    let pm = f.login("pm@northwind.test").await;
    let before = f.fingerprint().await;
    let (status, body) = apply(&f, &pm, &text).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = apply(&f, &am, "12:won").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("\"field\":\"changes\""), "{body}");
    assert_eq!(f.fingerprint().await, before, "nothing was written");

    // Someone changes one deal meanwhile; a won deal and another workspace's are not
    // open deals of this planner.
    sqlx::query(
        "UPDATE deals SET title = title || ' (renamed)', version = version + 1 WHERE id = $1",
    )
    .bind(changed.0)
    .execute(&f.pool)
    .await
    .unwrap();
    let won_deal: (i64, i64) = sqlx::query_as(
        "SELECT d.id, d.version FROM deals d JOIN stages s ON s.id = d.stage_id
         JOIN workspaces w ON w.id = d.workspace_id
         WHERE s.kind = 'won' AND w.slug = 'demo' ORDER BY d.id LIMIT 1",
    )
    .fetch_one(&f.pool)
    .await
    .unwrap();
    let foreign: (i64, i64) = sqlx::query_as(
        "SELECT d.id, d.version FROM deals d JOIN workspaces w ON w.id = d.workspace_id
         WHERE w.slug = 'bluebird' ORDER BY d.id LIMIT 1",
    )
    .fetch_one(&f.pool)
    .await
    .unwrap();
    let changed_before = deal_row(&f, changed.0).await;
    let text = format!(
        "{text},{}:{}:lost:0,{}:{}:won:0",
        won_deal.0, won_deal.1, foreign.0, foreign.1
    );
    let (status, body) = apply(&f, &am, &text).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let outcome: WhatIfOutcome = serde_json::from_str(&body).unwrap();
    assert_eq!(outcome.applied, vec![fine.0]);
    let reasons: Vec<(i64, &str)> = outcome
        .failed
        .iter()
        .map(|f| (f.deal_id, f.reason.as_str()))
        .collect();
    assert_eq!(reasons.len(), 3, "{reasons:?}");
    assert!(reasons[0].0 == changed.0 && reasons[0].1.contains("someone else changed"));
    assert!(reasons[1].0 == won_deal.0 && reasons[1].1.contains("no longer open"));
    assert!(reasons[2].0 == foreign.0 && reasons[2].1.contains("gone"));
    assert!(!body.to_lowercase().contains("bluebird"), "{body}");
    assert_eq!(leaked(&body, &f.names_of("bluebird").await), None, "{body}");
    // The deal changed meanwhile is as the other person left it; the won deal too.
    assert_eq!(deal_row(&f, changed.0).await, changed_before);
    assert_eq!(deal_row(&f, won_deal.0).await.4, won_deal.1);
    assert_eq!(deal_row(&f, fine.0).await.4, fine.1 + 1);
}

#[tokio::test]
async fn the_planner_page_shows_the_odds_and_the_what_if_as_rendered_by_the_server() {
    let f = fixture().await;
    let pm = f.login("pm@northwind.test").await;
    let page = f.get("/capacity?demand=weighted", Some(&pm)).await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "What if…",
        "data-odds=",
        "chance of being over capacity",
        "class=\"odds odds-",
        "Applying needs permission to edit deals",
    ] {
        assert!(page.body.contains(text), "{text} missing");
    }
    let off = f.get("/capacity", Some(&pm)).await;
    assert_eq!(off.status, StatusCode::OK);
    assert!(!off.body.contains("data-odds=") && !off.body.contains("What if…"));
    assert!(off.body.contains("Turn on pipeline demand"));
    let am = f.login("am@northwind.test").await;
    let theirs = f.get("/capacity?demand=pessimistic", Some(&am)).await;
    assert!(
        theirs.body.contains(">Apply<"),
        "an account manager may apply"
    );
}
