//! Closing a deal: the checks on the server, the project it spawns, idempotency,
//! overrides, masking, reopening.

use crate::common::{encode, fixture, Fixture};
use app::api::close::{CloseDialogData, CloseOutcome};
use app::api::projects::{ProjectDetail, ProjectList};
use app::domain::calendar::Date;
use app::domain::capacity::CapacityVerdict;
use app::domain::close::ClosePreview;
use axum::http::StatusCode;

/// This week's first day and a start `weeks` from now.
pub(crate) fn start(weeks: i32) -> String {
    crate::common::demo_calendar()
        .this_week(app::server::context::now_ms())
        .add_days(7 * weeks)
        .to_string()
}

/// Adds an open Northwind deal in Negotiation worth `value_minor` with `hours` of each
/// skill over `weeks`, starting two weeks from now; answers (id, version).
pub(crate) async fn new_deal(
    f: &Fixture,
    value_minor: i64,
    hours: &[(&str, i64)],
    weeks: i64,
) -> (i64, i64) {
    let ws = f.id("SELECT id FROM workspaces WHERE slug = 'demo'").await;
    let stage = f
        .id(&format!(
            "SELECT id FROM stages WHERE workspace_id = {ws} AND name = 'Negotiation'"
        ))
        .await;
    let client = f
        .id(&format!(
            "SELECT id FROM clients WHERE workspace_id = {ws} ORDER BY id LIMIT 1"
        ))
        .await;
    let owner = f
        .id("SELECT id FROM users WHERE email = 'am@northwind.test'")
        .await;
    let id = sqlx::query_scalar::<_, i64>(
        "INSERT INTO deals (workspace_id, client_id, title, value_minor, stage_id, owner_user_id,
                            planned_start_on, planned_weeks, brief_goals, stage_entered_at,
                            created_at, updated_at)
         VALUES ($1, $2, 'Closing test', $3, $4, $5, $6, $7, 'Ship it', 0, 0, 0) RETURNING id",
    )
    .bind(ws)
    .bind(client)
    .bind(value_minor)
    .bind(stage)
    .bind(owner)
    .bind(start(2))
    .bind(weeks)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    for (skill, h) in hours {
        let skill_id = f
            .id(&format!(
                "SELECT id FROM skills WHERE workspace_id = {ws} AND name = '{skill}'"
            ))
            .await;
        sqlx::query(
            "INSERT INTO deal_estimate_lines (workspace_id, deal_id, skill_id, minutes) VALUES ($1, $2, $3, $4)",
        )
        .bind(ws)
        .bind(id)
        .bind(skill_id)
        .bind(h * 60)
        .execute(&f.pool)
        .await
        .unwrap();
    }
    // A tentative allocation the close must replace.
    let person = f
        .id(&format!(
            "SELECT id FROM people WHERE workspace_id = {ws} ORDER BY id LIMIT 1"
        ))
        .await;
    sqlx::query(
        "INSERT INTO allocations (workspace_id, person_id, deal_id, week, minutes, created_at)
         VALUES ($1, $2, $3, $4, 600, 0)",
    )
    .bind(ws)
    .bind(person)
    .bind(id)
    .bind(start(2))
    .execute(&f.pool)
    .await
    .unwrap();
    (id, 1)
}

pub(crate) fn close_form(
    deal: i64,
    version: i64,
    key: &str,
    start_on: &str,
    reason: &str,
) -> String {
    format!(
        "deal_id={deal}&version={version}&close_key={key}&start_on={start_on}&staffing=&override_reason={}",
        encode(reason)
    )
}

#[tokio::test]
async fn a_deal_that_fits_becomes_a_staffed_project_in_one_step() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let (deal, version) = new_deal(&f, 4_000_000, &[("Design", 40), ("Frontend", 60)], 4).await;
    let setup = f
        .call("close_setup", &format!("deal_id={deal}"), Some(&am))
        .await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.body);
    let setup: CloseDialogData = serde_json::from_str(&setup.body).unwrap();
    assert_eq!(setup.start_week, 2);
    assert_eq!(setup.preview.capacity.verdict, CapacityVerdict::Fits);
    assert!(!setup.preview.needs_override);
    let staffed: i64 = setup
        .preview
        .capacity
        .staffing
        .iter()
        .map(|l| l.minutes)
        .sum();
    assert_eq!(staffed, 100 * 60);

    let events_before = f.id("SELECT COUNT(*) FROM events").await;
    let answer = f
        .call(
            "close_deal",
            &close_form(deal, version, "key-fits-0000000001", &start(2), ""),
            Some(&am),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let outcome: CloseOutcome = serde_json::from_str(&answer.body).unwrap();
    assert!(!outcome.repeated);
    let p = outcome.project_id;
    let (stage, closed, budget, starts, ends, goals, report, reason): (
        String,
        Option<i64>,
        i64,
        String,
        String,
        String,
        String,
        Option<String>,
    ) = sqlx::query_as(
        "SELECT s.name, d.closed_at, p.budget_minor, p.starts_on, p.ends_on, p.brief_goals,
                p.check_report, p.override_reason
         FROM projects p JOIN deals d ON d.id = p.deal_id JOIN stages s ON s.id = d.stage_id
         WHERE p.id = $1",
    )
    .bind(p)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    assert_eq!(stage, "Won");
    assert!(closed.is_some());
    assert_eq!(budget, 4_000_000);
    assert_eq!(starts, start(2));
    assert_eq!(
        ends,
        Date::parse(&start(6)).unwrap().add_days(-3).to_string()
    );
    assert_eq!(goals, "Ship it");
    assert!(report.contains("\"capacity\":\"Fits\""), "{report}");
    assert_eq!(reason, None);
    // The allocations are the suggested staffing, per person and week; the tentative one is gone.
    let allocated = f
        .id(&format!(
            "SELECT CAST(SUM(minutes) AS BIGINT) FROM allocations WHERE project_id = {p}"
        ))
        .await;
    assert_eq!(allocated, 100 * 60);
    let per_week: Vec<(String, i64)> = sqlx::query_as(
        "SELECT week, CAST(SUM(minutes) AS BIGINT) FROM allocations WHERE project_id = $1 GROUP BY week ORDER BY week",
    )
    .bind(p)
    .fetch_all(&f.pool)
    .await
    .unwrap();
    assert_eq!(
        per_week.iter().map(|w| w.0.clone()).collect::<Vec<_>>(),
        (2..6).map(start).collect::<Vec<_>>()
    );
    assert_eq!(
        f.id(&format!(
            "SELECT COUNT(*) FROM allocations WHERE deal_id = {deal}"
        ))
        .await,
        0
    );
    assert_eq!(f.id("SELECT COUNT(*) FROM events").await, events_before + 2);

    // The project is listed and has its page.
    let list = f.call("list_projects", "", Some(&am)).await;
    let list: ProjectList = serde_json::from_str(&list.body).unwrap();
    assert_eq!(list.projects[0].id, p);
    let page = f
        .call("get_project", &format!("project_id={p}"), Some(&am))
        .await;
    let page: ProjectDetail = serde_json::from_str(&page.body).unwrap();
    assert_eq!(page.deal.as_ref().map(|d| d.0), Some(deal));
    assert_eq!(page.weeks.len(), 4);
    assert_eq!(
        page.staffing
            .iter()
            .flat_map(|r| r.minutes.iter())
            .sum::<i64>(),
        100 * 60
    );
    let report = page.check_report.unwrap();
    assert_eq!(report.cost_minor, None, "an account manager sees no cost");
    assert!(report.margin_bp.is_some());
}

#[tokio::test]
async fn a_retry_answers_the_same_project_and_a_reused_key_is_refused() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let (deal, version) = new_deal(&f, 4_000_000, &[("Design", 40)], 2).await;
    let form = close_form(deal, version, "key-retry-000000001", &start(2), "");
    let first = f.call("close_deal", &form, Some(&am)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let first: CloseOutcome = serde_json::from_str(&first.body).unwrap();
    let before = f.fingerprint().await;
    let again = f.call("close_deal", &form, Some(&am)).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    let again: CloseOutcome = serde_json::from_str(&again.body).unwrap();
    assert_eq!((again.project_id, again.repeated), (first.project_id, true));
    // The same key with other arguments.
    let other = f
        .call(
            "close_deal",
            &close_form(deal, version, "key-retry-000000001", &start(3), ""),
            Some(&am),
        )
        .await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        other.body
    );
    assert!(other.body.contains("\"field\":\"close_key\""));
    // A new key on the now-won deal's old version: a conflict, not a second project.
    let second = f
        .call(
            "close_deal",
            &close_form(deal, version, "key-retry-000000002", &start(2), ""),
            Some(&am),
        )
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.body);
    assert_eq!(f.fingerprint().await, before, "nothing more was written");
    // And the database itself allows one project per deal.
    let dup = sqlx::query(
        "INSERT INTO projects (workspace_id, deal_id, client_id, name, budget_minor, starts_on, ends_on, created_at)
         SELECT workspace_id, deal_id, client_id, 'Twin', 0, starts_on, ends_on, 0 FROM projects WHERE deal_id = $1",
    )
    .bind(deal)
    .execute(&f.pool)
    .await;
    assert!(dup.is_err(), "projects.deal_id is unique");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_identical_closes_make_one_project() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let (deal, version) = new_deal(&f, 4_000_000, &[("Design", 40), ("Frontend", 10)], 2).await;
    let form = close_form(deal, version, "key-concurrent-0001", &start(2), "");
    let calls = (0..50).map(|_| f.call("close_deal", &form, Some(&am)));
    let answers = futures::future::join_all(calls).await;
    let mut projects = Vec::new();
    for a in &answers {
        assert_eq!(a.status, StatusCode::OK, "{}", a.body);
        let o: CloseOutcome = serde_json::from_str(&a.body).unwrap();
        projects.push(o.project_id);
    }
    projects.dedup();
    assert_eq!(projects.len(), 1, "{projects:?}");
    assert_eq!(
        f.id(&format!(
            "SELECT COUNT(*) FROM projects WHERE deal_id = {deal}"
        ))
        .await,
        1
    );
    assert_eq!(
        answers
            .iter()
            .filter(|a| a.body.contains("\"repeated\":false"))
            .count(),
        1
    );
}

#[tokio::test]
async fn a_blocked_close_needs_the_override_permission_and_a_reason() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let admin = f.login("admin@northwind.test").await;
    // 600 h of QA in two weeks: far more than the two QA people have.
    let (deal, version) = new_deal(&f, 9_000_000, &[("QA", 600)], 2).await;
    let before = f.fingerprint().await;
    let refused = f
        .call(
            "close_deal",
            &close_form(deal, version, "key-short-000000001", &start(2), ""),
            Some(&am),
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(refused.body.contains("\"field\":\"override_reason\""));
    assert!(refused.body.contains("short"), "{}", refused.body);
    // With a reason but without the permission.
    let forbidden = f
        .call(
            "close_deal",
            &close_form(
                deal,
                version,
                "key-short-000000002",
                &start(2),
                "The client accepts a later finish",
            ),
            Some(&am),
        )
        .await;
    assert_eq!(
        forbidden.status,
        StatusCode::FORBIDDEN,
        "{}",
        forbidden.body
    );
    // With the permission, a too-short reason.
    let short_reason = f
        .call(
            "close_deal",
            &close_form(deal, version, "key-short-000000003", &start(2), "ok"),
            Some(&admin),
        )
        .await;
    assert_eq!(short_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(f.fingerprint().await, before, "nothing was written");

    let ok = f
        .call(
            "close_deal",
            &close_form(
                deal,
                version,
                "key-short-000000004",
                &start(2),
                "We hire two QA freelancers",
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let p: CloseOutcome = serde_json::from_str(&ok.body).unwrap();
    let (reason, report): (Option<String>, String) =
        sqlx::query_as("SELECT override_reason, check_report FROM projects WHERE id = $1")
            .bind(p.project_id)
            .fetch_one(&f.pool)
            .await
            .unwrap();
    assert_eq!(reason.as_deref(), Some("We hire two QA freelancers"));
    assert!(report.contains("\"capacity\":\"Short\""), "{report}");
    let event: String = sqlx::query_scalar(
        "SELECT after_json FROM events WHERE entity = 'project' AND entity_id = $1",
    )
    .bind(p.project_id)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    assert!(event.contains("We hire two QA freelancers"), "{event}");
    let list = f.call("list_projects", "", Some(&admin)).await;
    let list: ProjectList = serde_json::from_str(&list.body).unwrap();
    assert!(list
        .projects
        .iter()
        .any(|r| r.id == p.project_id && r.overridden));
}

#[tokio::test]
async fn bad_close_input_names_the_field_and_writes_nothing() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let (deal, version) = new_deal(&f, 4_000_000, &[("Design", 40)], 2).await;
    let design = f
        .id("SELECT s.id FROM skills s JOIN workspaces w ON w.id = s.workspace_id WHERE w.slug = 'demo' AND s.name = 'Design'")
        .await;
    let backend_person = f
        .id("SELECT ps.person_id FROM person_skills ps JOIN skills s ON s.id = ps.skill_id
             JOIN workspaces w ON w.id = s.workspace_id
             WHERE w.slug = 'demo' AND s.name = 'Backend'
               AND ps.person_id NOT IN (SELECT x.person_id FROM person_skills x JOIN skills y ON y.id = x.skill_id WHERE y.name = 'Design')
             LIMIT 1")
        .await;
    let before = f.fingerprint().await;
    let cases: Vec<(String, &str)> = vec![
        (close_form(deal, version, "short", &start(2), ""), "close_key"),
        (close_form(deal, version, "key-bad-input-0000001", "soon", ""), "start_on"),
        (close_form(deal, version, "key-bad-input-0000002", &start(-1), ""), "start_on"),
        (close_form(deal, version, "key-bad-input-0000003", &start(200), ""), "start_on"),
        (
            format!(
                "deal_id={deal}&version={version}&close_key=key-bad-input-0000004&start_on={}&staffing=1:2:3",
                start(2)
            ),
            "staffing",
        ),
        (
            format!(
                "deal_id={deal}&version={version}&close_key=key-bad-input-0000005&start_on={}&staffing={backend_person}:{design}:{}:600",
                start(2),
                start(2)
            ),
            "staffing",
        ),
    ];
    for (form, field) in cases {
        let answer = f.call("close_deal", &form, Some(&am)).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{form}: {}",
            answer.body
        );
        assert!(
            answer.body.contains(&format!("\"field\":\"{field}\"")),
            "{form}: {}",
            answer.body
        );
    }
    // A deal without an estimate cannot be staffed.
    let (bare, bare_version) = new_deal(&f, 4_000_000, &[], 2).await;
    let before_bare = f.fingerprint().await;
    let answer = f
        .call(
            "close_deal",
            &close_form(bare, bare_version, "key-bad-input-0000006", &start(2), ""),
            Some(&am),
        )
        .await;
    assert!(
        answer.body.contains("\"field\":\"estimate\""),
        "{}",
        answer.body
    );
    assert_eq!(f.fingerprint().await, before_bare);
    assert_ne!(before, before_bare, "the bare deal was added in between");
}

#[tokio::test]
async fn the_preview_shows_cost_only_to_those_who_may_see_cost_rates() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let admin = f.login("admin@northwind.test").await;
    let (deal, _) = new_deal(&f, 4_000_000, &[("Design", 40), ("Backend", 30)], 3).await;
    // The account manager: no engine input (it carries cost rates), no amounts.
    let setup = f
        .call("close_setup", &format!("deal_id={deal}"), Some(&am))
        .await;
    assert!(!setup.body.contains("cost_rate_minor"), "{}", setup.body);
    let setup: CloseDialogData = serde_json::from_str(&setup.body).unwrap();
    assert!(setup.engine_input.is_none());
    assert_eq!(setup.value_minor, None);
    assert_eq!(setup.preview.cost_minor, None);
    assert!(setup.preview.margin_bp.is_some());
    let preview = f
        .call(
            "preview_close",
            &format!("deal_id={deal}&start_on={}&staffing=", start(4)),
            Some(&am),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    let preview: ClosePreview = serde_json::from_str(&preview.body).unwrap();
    assert_eq!(preview.capacity.start_week, 4);
    assert_eq!(
        (preview.cost_minor, preview.max_discount_minor),
        (None, None)
    );
    // The admin gets the engine and the amounts.
    let setup = f
        .call("close_setup", &format!("deal_id={deal}"), Some(&admin))
        .await;
    let setup: CloseDialogData = serde_json::from_str(&setup.body).unwrap();
    assert!(setup.engine_input.is_some());
    assert!(setup.preview.cost_minor.is_some());
    // The browser's own engine agrees with the server.
    let input = setup.engine_input.unwrap();
    let engine = app::domain::capacity::Engine::new(&input).unwrap();
    let local = app::domain::close::evaluate(
        &engine,
        &setup.demand,
        setup.start_week,
        None,
        setup.value_minor.unwrap(),
        setup.target_bp,
        setup.floor_bp,
    )
    .unwrap();
    assert_eq!(ClosePreview::of(&local, true, true), setup.preview);
}

#[tokio::test]
async fn reopening_removes_the_project_unless_time_is_logged() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let (deal, version) = new_deal(&f, 4_000_000, &[("Design", 40)], 2).await;
    let closed = f
        .call(
            "close_deal",
            &close_form(deal, version, "key-reopen-00000001", &start(2), ""),
            Some(&am),
        )
        .await;
    let p: CloseOutcome = serde_json::from_str(&closed.body).unwrap();
    let events_before = f.id("SELECT COUNT(*) FROM events").await;
    let stale = f
        .call(
            "reopen_deal",
            &format!("project_id={}&deal_version={version}", p.project_id),
            Some(&am),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let reopened = f
        .call(
            "reopen_deal",
            &format!("project_id={}&deal_version={}", p.project_id, version + 1),
            Some(&am),
        )
        .await;
    assert_eq!(reopened.status, StatusCode::OK, "{}", reopened.body);
    assert_eq!(
        f.id(&format!(
            "SELECT COUNT(*) FROM projects WHERE id = {}",
            p.project_id
        ))
        .await,
        0
    );
    assert_eq!(
        f.id(&format!(
            "SELECT COUNT(*) FROM allocations WHERE project_id = {}",
            p.project_id
        ))
        .await,
        0
    );
    let stage: String = sqlx::query_scalar(
        "SELECT s.name FROM deals d JOIN stages s ON s.id = d.stage_id WHERE d.id = $1",
    )
    .bind(deal)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    assert_eq!(stage, "Negotiation");
    assert_eq!(f.id("SELECT COUNT(*) FROM events").await, events_before + 1);

    // Closed again, with time logged: it stays.
    let closed = f
        .call(
            "close_deal",
            &close_form(deal, version + 2, "key-reopen-00000002", &start(2), ""),
            Some(&am),
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
    let p: CloseOutcome = serde_json::from_str(&closed.body).unwrap();
    sqlx::query(
        "INSERT INTO time_entries (workspace_id, project_id, person_id, worked_on, minutes, note, billable, created_at)
         SELECT workspace_id, project_id, person_id, week, 60, '', 1, 0 FROM allocations WHERE project_id = $1 LIMIT 1",
    )
    .bind(p.project_id)
    .execute(&f.pool)
    .await
    .unwrap();
    let refused = f
        .call(
            "reopen_deal",
            &format!("project_id={}&deal_version={}", p.project_id, version + 3),
            Some(&am),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.body.contains("time is logged"));
}

#[tokio::test]
async fn a_reopened_deals_project_id_is_never_given_to_another_project() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let (deal, version) = new_deal(&f, 4_000_000, &[("Design", 40)], 2).await;
    let closed = f
        .call(
            "close_deal",
            &close_form(deal, version, "key-ids-000000001", &start(2), ""),
            Some(&am),
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
    let first: CloseOutcome = serde_json::from_str(&closed.body).unwrap();
    let page = format!("/projects/{}", first.project_id);
    assert_eq!(f.get(&page, Some(&am)).await.status, StatusCode::OK);
    // Reopening deletes the project: it was the newest one.
    let reopened = f
        .call(
            "reopen_deal",
            &format!(
                "project_id={}&deal_version={}",
                first.project_id,
                version + 1
            ),
            Some(&am),
        )
        .await;
    assert_eq!(reopened.status, StatusCode::OK, "{}", reopened.body);

    let (other, other_version) = new_deal(&f, 3_000_000, &[("Design", 20)], 2).await;
    let closed = f
        .call(
            "close_deal",
            &close_form(other, other_version, "key-ids-000000002", &start(2), ""),
            Some(&am),
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
    let second: CloseOutcome = serde_json::from_str(&closed.body).unwrap();
    assert!(
        second.project_id > first.project_id,
        "the new project took id {} after {}",
        second.project_id,
        first.project_id
    );
    // A bookmark of the reopened project finds nothing rather than another project.
    assert_eq!(f.get(&page, Some(&am)).await.status, StatusCode::NOT_FOUND);
    let gone = f
        .call(
            "get_project",
            &format!("project_id={}", first.project_id),
            Some(&am),
        )
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.body);
    let page = f
        .get(&format!("/projects/{}", second.project_id), Some(&am))
        .await;
    assert_eq!(page.status, StatusCode::OK);
}

#[tokio::test]
async fn the_project_manager_is_assigned_on_the_project() {
    let f = fixture().await;
    let pm = f.login("pm@northwind.test").await;
    let (project, version): (i64, i64) = sqlx::query_as(
        "SELECT p.id, p.version FROM projects p JOIN workspaces w ON w.id = p.workspace_id WHERE w.slug = 'demo' LIMIT 1",
    )
    .fetch_one(&f.pool)
    .await
    .unwrap();
    let pm_id = f
        .id("SELECT id FROM users WHERE email = 'pm@northwind.test'")
        .await;
    let foreign = f
        .id("SELECT id FROM users WHERE email = 'admin@bluebird.test'")
        .await;
    let bad = f
        .call(
            "set_project_pm",
            &format!("project_id={project}&version={version}&pm_user_id={foreign}"),
            Some(&pm),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("\"field\":\"pm\""));
    let ok = f
        .call(
            "set_project_pm",
            &format!("project_id={project}&version={version}&pm_user_id={pm_id}"),
            Some(&pm),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let stale = f
        .call(
            "set_project_pm",
            &format!("project_id={project}&version={version}&pm_user_id="),
            Some(&pm),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let page = f
        .call("get_project", &format!("project_id={project}"), Some(&pm))
        .await;
    let page: ProjectDetail = serde_json::from_str(&page.body).unwrap();
    assert_eq!(page.pm_user_id, Some(pm_id));
    assert_eq!(page.row.pm_name.as_deref(), Some("Tomasz Nowak"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_closes_of_different_deals_all_succeed() {
    let f = fixture().await;
    let admin = f.login("admin@northwind.test").await;
    let mut forms = Vec::new();
    for i in 0..12 {
        let (deal, version) = new_deal(&f, 4_000_000, &[("Design", 8), ("Frontend", 8)], 2).await;
        forms.push(close_form(
            deal,
            version,
            &format!("key-parallel-{i:08}"),
            &start(2),
            "Parallel closes in a test",
        ));
    }
    let calls = forms
        .iter()
        .map(|form| f.call("close_deal", form, Some(&admin)));
    for answer in futures::future::join_all(calls).await {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    }
}

#[tokio::test]
async fn the_checks_follow_every_change_to_the_team_however_it_is_written() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let (deal, _) = new_deal(&f, 4_000_000, &[("QA", 10)], 1).await;
    let preview = |start_on: String| {
        let f = &f;
        let am = am.clone();
        async move {
            let answer = f
                .call(
                    "preview_close",
                    &format!("deal_id={deal}&start_on={start_on}&staffing="),
                    Some(&am),
                )
                .await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            serde_json::from_str::<ClosePreview>(&answer.body).unwrap()
        }
    };
    let week = start(30);
    assert_ne!(
        preview(week.clone()).await.capacity.verdict,
        CapacityVerdict::Short
    );
    // Every QA person is booked full that week, written straight into the database.
    let project = f
        .id("SELECT p.id FROM projects p JOIN workspaces w ON w.id = p.workspace_id WHERE w.slug = 'demo' LIMIT 1")
        .await;
    sqlx::query(
        "INSERT INTO allocations (workspace_id, person_id, project_id, week, minutes, created_at)
         SELECT ps.workspace_id, ps.person_id, $1, $2, 168 * 60, 0
         FROM person_skills ps JOIN skills s ON s.id = ps.skill_id
         JOIN workspaces w ON w.id = s.workspace_id
         WHERE w.slug = 'demo' AND s.name = 'QA'",
    )
    .bind(project)
    .bind(&week)
    .execute(&f.pool)
    .await
    .unwrap();
    let after = preview(week.clone()).await;
    assert_eq!(after.capacity.verdict, CapacityVerdict::Short);
    // A close elsewhere that week is applied to the engine in memory too.
    let other_week = start(31);
    let (big, big_version) = new_deal(&f, 9_000_000, &[("QA", 60)], 1).await;
    let admin = f.login("admin@northwind.test").await;
    let closed = f
        .call(
            "close_deal",
            &close_form(
                big,
                big_version,
                "key-follow-00000001",
                &other_week,
                "Soaks up QA that week",
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
    let qa_free_before: i64 = f
        .id(&format!(
            "SELECT CAST(COALESCE(SUM(minutes), 0) AS BIGINT) FROM allocations WHERE week = '{other_week}' AND project_id IS NOT NULL"
        ))
        .await;
    assert!(qa_free_before >= 60 * 60);
    let (small, _) = new_deal(&f, 4_000_000, &[("QA", 70)], 1).await;
    let answer = f
        .call(
            "preview_close",
            &format!("deal_id={small}&start_on={other_week}&staffing="),
            Some(&am),
        )
        .await;
    let p: ClosePreview = serde_json::from_str(&answer.body).unwrap();
    // Two QA people at 40 h minus the 60 h just closed cannot take 70 h more.
    assert_eq!(
        p.capacity.verdict,
        CapacityVerdict::Short,
        "{:?}",
        p.capacity.cells
    );
}

/// A close's allocations go in one statement per 100 rows: 250 rows (three statements,
/// the last one short) all land, with their weeks and minutes.
#[tokio::test]
async fn allocations_are_inserted_in_chunks_without_losing_a_row() {
    let f = fixture().await;
    let ws = f.id("SELECT id FROM workspaces WHERE slug = 'demo'").await;
    let project = f
        .id("SELECT p.id FROM projects p JOIN workspaces w ON w.id = p.workspace_id WHERE w.slug = 'demo' ORDER BY p.id LIMIT 1")
        .await;
    let people: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM people WHERE workspace_id = $1 ORDER BY id LIMIT 10")
            .bind(ws)
            .fetch_all(&f.pool)
            .await
            .unwrap();
    let first = Date::parse("2031-01-06").unwrap();
    let cells: Vec<(i64, Date, i64)> = (0..250)
        .map(|i| {
            (
                people[i % people.len()],
                first.add_days(7 * (i / people.len()) as i32),
                60 + i as i64,
            )
        })
        .collect();
    let mut tx = app::server::db::begin_write(&f.pool, ws).await.unwrap();
    app::server::close_repo::insert_allocations(&mut tx, ws, project, &cells, 0)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let (rows, minutes): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), CAST(SUM(minutes) AS BIGINT) FROM allocations WHERE project_id = $1 AND week >= '2031-01-06'",
    )
    .bind(project)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    assert_eq!(rows, 250);
    assert_eq!(minutes, (0..250).map(|i| 60 + i).sum::<i64>());
}

/// One story from close to delivery: for open demo deals closed with the suggestion, the
/// budget, forecast and risks the close dialog showed are what the new project's page
/// says on its first day — at risk there exactly when the dialog said it would be.
#[tokio::test]
async fn the_project_page_starts_from_what_the_close_dialog_showed() {
    let f = fixture().await;
    let admin = f.login("admin@northwind.test").await;
    let deals: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT d.id, d.version FROM deals d JOIN stages s ON s.id = d.stage_id
         JOIN workspaces w ON w.id = d.workspace_id
         WHERE w.slug = 'demo' AND s.kind = 'open' AND d.archived_at IS NULL
           AND EXISTS (SELECT 1 FROM deal_estimate_lines l WHERE l.deal_id = d.id)
         ORDER BY d.id LIMIT 12",
    )
    .fetch_all(&f.pool)
    .await
    .unwrap();
    assert!(deals.len() >= 8, "the demo has open deals with estimates");
    let (mut closed, mut at_risk) = (0, 0);
    for (n, (deal, version)) in deals.into_iter().enumerate() {
        let setup = f
            .call("close_setup", &format!("deal_id={deal}"), Some(&admin))
            .await;
        assert_eq!(setup.status, StatusCode::OK, "{}", setup.body);
        let setup: CloseDialogData = serde_json::from_str(&setup.body).unwrap();
        let preview = setup.preview;
        if preview.needs_override {
            continue;
        }
        let start_on = Date::parse(&setup.first_week)
            .unwrap()
            .add_days(7 * setup.start_week as i32)
            .to_string();
        let answer = f
            .call(
                "close_deal",
                &close_form(deal, version, &format!("key-story-{n:012}"), &start_on, ""),
                Some(&admin),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let outcome: CloseOutcome = serde_json::from_str(&answer.body).unwrap();
        let page = f
            .call(
                "get_project",
                &format!("project_id={}", outcome.project_id),
                Some(&admin),
            )
            .await;
        let page: ProjectDetail = serde_json::from_str(&page.body).unwrap();
        assert_eq!(page.burn.budget_minor, preview.budget_minor, "deal {deal}");
        assert_eq!(
            page.burn.forecast_minor, preview.forecast_minor,
            "deal {deal}"
        );
        assert_eq!(page.burn.risks, preview.day_one_risks, "deal {deal}");
        assert_eq!(page.burn.at_risk, !preview.day_one_risks.is_empty());
        assert_eq!(page.burn.spent_minor, Some(0));
        closed += 1;
        at_risk += usize::from(page.burn.at_risk);
    }
    assert!(closed >= 4, "closed {closed}");
    eprintln!("closed {closed}, {at_risk} said at risk from day one");
}

#[tokio::test]
async fn finance_approves_a_blocked_close_and_only_a_blocked_one() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let finance = f.login("finance@northwind.test").await;
    // Blocked: 600 h of QA in two weeks.
    let (blocked, blocked_version) = new_deal(&f, 9_000_000, &[("QA", 600)], 2).await;
    // Not blocked: a few hours of design.
    let (fine, fine_version) = new_deal(&f, 9_000_000, &[("Design", 4)], 2).await;

    // The account manager's dialog names who can approve, and says they may not.
    let setup = f
        .call("close_setup", &format!("deal_id={blocked}"), Some(&am))
        .await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.body);
    let data: CloseDialogData = serde_json::from_str(&setup.body).unwrap();
    assert!(data.can_close && !data.can_override);
    assert!(
        data.approvers.iter().any(|a| a.ends_with("(Finance)")),
        "{:?}",
        data.approvers
    );
    assert!(data.preview.needs_override);

    // Finance opens the same dialog: may override, may not close.
    let setup = f
        .call("close_setup", &format!("deal_id={blocked}"), Some(&finance))
        .await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.body);
    let data: CloseDialogData = serde_json::from_str(&setup.body).unwrap();
    assert!(!data.can_close && data.can_override);
    let preview = f
        .call(
            "preview_close",
            &format!("deal_id={blocked}&start_on={}&staffing=", start(2)),
            Some(&finance),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);

    // Finance cannot close what nothing blocks, whatever it writes.
    let before = f.fingerprint().await;
    let refused = f
        .call(
            "close_deal",
            &close_form(
                fine,
                fine_version,
                "key-finance-0000001",
                &start(2),
                "Finance says go ahead",
            ),
            Some(&finance),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    // Nor a blocked one without a reason.
    let refused = f
        .call(
            "close_deal",
            &close_form(
                blocked,
                blocked_version,
                "key-finance-0000002",
                &start(2),
                "",
            ),
            Some(&finance),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("\"field\":\"override_reason\""));
    // Nor a deal made blocked by choosing the staffing (one hour of it leaves the rest
    // unassigned) or another start: an approval closes the deal as it stands.
    let person = f
        .id("SELECT p.id FROM people p JOIN workspaces w ON w.id = p.workspace_id WHERE w.slug = 'demo' ORDER BY p.id LIMIT 1")
        .await;
    let design = f
        .id("SELECT s.id FROM skills s JOIN workspaces w ON w.id = s.workspace_id WHERE w.slug = 'demo' AND s.name = 'Design'")
        .await;
    let made_short = f
        .call(
            "close_deal",
            &format!(
                "deal_id={fine}&version={fine_version}&close_key=key-finance-0000005&start_on={}&staffing={person}:{design}:{}:60&override_reason={}",
                start(2),
                start(2),
                encode("Finance says go ahead")
            ),
            Some(&finance),
        )
        .await;
    assert_eq!(
        made_short.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        made_short.body
    );
    assert!(
        made_short.body.contains("\"field\":\"staffing\""),
        "{}",
        made_short.body
    );
    let moved = f
        .call(
            "close_deal",
            &close_form(
                blocked,
                blocked_version,
                "key-finance-0000006",
                &start(5),
                "Approved: the client funds two contractors",
            ),
            Some(&finance),
        )
        .await;
    assert_eq!(
        moved.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        moved.body
    );
    assert!(
        moved.body.contains("\"field\":\"start_on\""),
        "{}",
        moved.body
    );
    assert_eq!(f.fingerprint().await, before, "nothing was written");

    // With a reason, the blocked close goes ahead: approved by Finance.
    let ok = f
        .call(
            "close_deal",
            &close_form(
                blocked,
                blocked_version,
                "key-finance-0000003",
                &start(2),
                "Approved: the client funds two contractors",
            ),
            Some(&finance),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let p: CloseOutcome = serde_json::from_str(&ok.body).unwrap();
    let reason: Option<String> =
        sqlx::query_scalar("SELECT override_reason FROM projects WHERE id = $1")
            .bind(p.project_id)
            .fetch_one(&f.pool)
            .await
            .unwrap();
    assert_eq!(
        reason.as_deref(),
        Some("Approved: the client funds two contractors")
    );
    let by_finance: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM events e JOIN users u ON u.id = e.actor_user_id
         WHERE u.email = 'finance@northwind.test'
           AND ((e.entity = 'project' AND e.entity_id = $1) OR (e.entity = 'deal' AND e.entity_id = $2))",
    )
    .bind(p.project_id)
    .bind(blocked)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    assert!(by_finance > 0, "the close is recorded as Finance's");
    // The unblocked deal is still the account manager's to close.
    let ok = f
        .call(
            "close_deal",
            &close_form(fine, fine_version, "key-finance-0000004", &start(2), ""),
            Some(&am),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
}

#[tokio::test]
async fn a_hand_picked_staffing_does_not_show_the_margin_to_who_may_not_see_costs() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let admin = f.login("admin@northwind.test").await;
    let (deal, _) = new_deal(&f, 9_000_000, &[("Design", 10)], 2).await;
    let person = f
        .id("SELECT p.id FROM people p JOIN person_skills ps ON ps.person_id = p.id JOIN skills s ON s.id = ps.skill_id \
             JOIN workspaces w ON w.id = p.workspace_id WHERE w.slug = 'demo' AND s.name = 'Design' ORDER BY p.id LIMIT 1")
        .await;
    let design = f
        .id("SELECT s.id FROM skills s JOIN workspaces w ON w.id = s.workspace_id WHERE w.slug = 'demo' AND s.name = 'Design'")
        .await;
    let args = format!(
        "deal_id={deal}&start_on={}&staffing={person}:{design}:{}:600",
        start(2),
        start(2)
    );
    // One person's hours against a value the account manager sees: the margin would be
    // their cost rate.
    let theirs = f.call("preview_close", &args, Some(&am)).await;
    assert_eq!(theirs.status, StatusCode::OK, "{}", theirs.body);
    let p: ClosePreview = serde_json::from_str(&theirs.body).unwrap();
    assert_eq!(p.margin_bp, None);
    assert!(p.cost_minor.is_none());
    // The suggestion's margin (the team's) they do see; the admin sees every margin.
    let suggested = f
        .call(
            "preview_close",
            &format!("deal_id={deal}&start_on={}&staffing=", start(2)),
            Some(&am),
        )
        .await;
    let p: ClosePreview = serde_json::from_str(&suggested.body).unwrap();
    assert!(p.margin_bp.is_some());
    let admins = f.call("preview_close", &args, Some(&admin)).await;
    let p: ClosePreview = serde_json::from_str(&admins.body).unwrap();
    assert!(p.margin_bp.is_some());
}
