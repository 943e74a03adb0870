//! Delivery: change requests, client updates, share links, the dashboard, CSV.

use crate::common::{encode, fixture, leaked, Fixture};
use axum::http::StatusCode;
use serde_json::Value;

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// A running Northwind project and the id of a skill.
async fn project_and_skill(f: &Fixture) -> (i64, i64) {
    let project = f
        .id(
            "SELECT p.id FROM projects p JOIN workspaces w ON w.id = p.workspace_id
             WHERE w.slug = 'demo' AND p.status = 'active' ORDER BY p.id LIMIT 1",
        )
        .await;
    let skill = f
        .id(
            "SELECT s.id FROM skills s JOIN workspaces w ON w.id = s.workspace_id
             WHERE w.slug = 'demo' AND s.name = 'Design'",
        )
        .await;
    (project, skill)
}

fn field_error(answer: &crate::common::Answer, field: &str) {
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{field}: {}",
        answer.body
    );
    assert!(
        answer.body.contains(&format!("\"field\":\"{field}\"")),
        "expected a {field} error: {}",
        answer.body
    );
}

async fn propose(
    f: &Fixture,
    cookie: &str,
    project: i64,
    skill: i64,
    hours: &str,
    value: &str,
) -> i64 {
    let answer = f
        .call(
            "propose_change",
            &format!(
                "project_id={project}&description={}&extra_value={value}&hours%5B{skill}%5D={hours}",
                encode("Two more landing pages")
            ),
            Some(cookie),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.body.trim().parse().unwrap()
}

async fn budget(f: &Fixture, project: i64) -> i64 {
    f.id(&format!(
        "SELECT budget_minor FROM projects WHERE id = {project}"
    ))
    .await
}

#[tokio::test]
async fn a_change_that_fits_is_approved_with_its_staffing_in_one_step() {
    let f = fixture().await;
    let pm = f.login("pm@northwind.test").await;
    let (project, skill) = project_and_skill(&f).await;
    let before_budget = budget(&f, project).await;
    let before_alloc = f
        .id(&format!(
            "SELECT CAST(COALESCE(SUM(minutes), 0) AS BIGINT) FROM allocations WHERE project_id = {project}"
        ))
        .await;
    let id = propose(&f, &pm, project, skill, "6", "1500").await;

    let review = json(
        &f.call("review_change", &format!("change_id={id}"), Some(&pm))
            .await
            .body,
    );
    assert_eq!(review["capacity"], "Fits", "{review}");
    assert_eq!(review["needs_override"], false);
    assert_eq!(review["revised_budget_minor"], before_budget + 150_000);
    // A project manager sees amounts but not costs, nor the margin derived from them.
    assert!(review["extra_cost_minor"].is_null());
    assert!(review["margin_bp"].is_null());
    assert!(review["margin"].is_string());
    let staffed: i64 = review["staffing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l[3].as_i64().unwrap())
        .sum();
    assert_eq!(staffed, 360);

    let events = f.id("SELECT COUNT(*) FROM events").await;
    let answer = f
        .call(
            "decide_change",
            &format!("change_id={id}&version=1&decision=approve&add_allocations=true"),
            Some(&pm),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(budget(&f, project).await, before_budget + 150_000);
    let after_alloc = f
        .id(&format!(
            "SELECT CAST(COALESCE(SUM(minutes), 0) AS BIGINT) FROM allocations WHERE project_id = {project}"
        ))
        .await;
    assert_eq!(after_alloc - before_alloc, 360);
    assert_eq!(f.id("SELECT COUNT(*) FROM events").await, events + 1);
    assert_eq!(
        f.id(&format!("SELECT COUNT(*) FROM change_requests WHERE id = {id} AND status = 'approved' AND allocations_added = 1")).await,
        1
    );
    // The project page shows the history and the revised budget.
    let detail = json(
        &f.call("get_project", &format!("project_id={project}"), Some(&pm))
            .await
            .body,
    );
    assert_eq!(detail["row"]["budget_minor"], before_budget + 150_000);
    assert_eq!(detail["changes"][0]["status"], "approved");
    assert_eq!(detail["changes"][0]["hours"][0][1], 360);
    // Deciding again is a conflict.
    let again = f
        .call(
            "decide_change",
            &format!("change_id={id}&version=2&decision=approve"),
            Some(&pm),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
}

#[tokio::test]
async fn a_change_beyond_capacity_is_short_and_needs_the_override() {
    let f = fixture().await;
    let pm = f.login("pm@northwind.test").await;
    let admin = f.login("admin@northwind.test").await;
    let (project, skill) = project_and_skill(&f).await;
    let before_budget = budget(&f, project).await;
    let id = propose(&f, &pm, project, skill, "9000", "100000").await;
    let review = json(
        &f.call("review_change", &format!("change_id={id}"), Some(&admin))
            .await
            .body,
    );
    assert_eq!(review["capacity"], "Short", "{review}");
    assert_eq!(review["needs_override"], true);
    assert!(review["blockers"][0].as_str().unwrap().contains("short"));
    // Admins see the cost of the extra work.
    assert!(review["extra_cost_minor"].as_i64().unwrap() > 0);

    let before = f.fingerprint().await;
    // No reason: refused, naming the field.
    let answer = f
        .call(
            "decide_change",
            &format!("change_id={id}&version=1&decision=approve"),
            Some(&admin),
        )
        .await;
    field_error(&answer, "override_reason");
    // A project manager may decide but not override.
    let answer = f
        .call(
            "decide_change",
            &format!(
                "change_id={id}&version=1&decision=approve&override_reason={}",
                encode("The client pays for contractors")
            ),
            Some(&pm),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert_eq!(f.fingerprint().await, before, "a refused approval wrote");
    assert_eq!(budget(&f, project).await, before_budget);
    // The same rule as closing a deal: with no permission, refused whatever the reason's
    // length; with it, a reason under 10 characters names the field.
    for (who, reason, status) in [
        (&pm, "short", StatusCode::FORBIDDEN),
        (&admin, "  short  ", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let answer = f
            .call(
                "decide_change",
                &format!(
                    "change_id={id}&version=1&decision=approve&override_reason={}",
                    encode(reason)
                ),
                Some(who),
            )
            .await;
        assert_eq!(answer.status, status, "{}", answer.body);
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            field_error(&answer, "override_reason");
        }
    }
    assert_eq!(f.fingerprint().await, before, "a refused approval wrote");

    // With the permission and a reason it goes through, flagged.
    let answer = f
        .call(
            "decide_change",
            &format!(
                "change_id={id}&version=1&decision=approve&override_reason={}",
                encode("The client pays for contractors")
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(budget(&f, project).await, before_budget + 10_000_000);
    let detail = json(
        &f.call("get_project", &format!("project_id={project}"), Some(&pm))
            .await
            .body,
    );
    assert_eq!(
        detail["changes"][0]["override_reason"],
        "The client pays for contractors"
    );
    assert_eq!(detail["changes"][0]["verdicts"][0], "Short");
    // The margin at approval is cost data: not for the project manager...
    assert!(detail["changes"][0]["verdicts"][1].is_null());
    // ...but for the admin.
    let full = json(
        &f.call(
            "get_project",
            &format!("project_id={project}"),
            Some(&admin),
        )
        .await
        .body,
    );
    assert!(full["changes"][0]["verdicts"][1].is_i64());
    assert_eq!(detail["changes"][0]["allocations_added"], false);
}

#[tokio::test]
async fn rejecting_needs_a_reason_and_changes_no_budget() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let pm = f.login("pm@northwind.test").await;
    let (project, skill) = project_and_skill(&f).await;
    let before_budget = budget(&f, project).await;
    // An account manager proposes but cannot decide.
    let id = propose(&f, &am, project, skill, "10", "2000").await;
    let answer = f
        .call(
            "decide_change",
            &format!("change_id={id}&version=1&decision=reject&reason=No"),
            Some(&am),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = f
        .call(
            "decide_change",
            &format!("change_id={id}&version=1&decision=reject&reason="),
            Some(&pm),
        )
        .await;
    field_error(&answer, "reason");
    let answer = f
        .call(
            "decide_change",
            &format!("change_id={id}&version=1&decision=maybe&reason=Hmm"),
            Some(&pm),
        )
        .await;
    field_error(&answer, "decision");
    let answer = f
        .call(
            "decide_change",
            &format!("change_id={id}&version=7&decision=reject&reason=Too%20late"),
            Some(&pm),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
    let answer = f
        .call(
            "decide_change",
            &format!("change_id={id}&version=1&decision=reject&reason=Out%20of%20scope%20for%20Q1"),
            Some(&pm),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(budget(&f, project).await, before_budget);
    let detail = json(
        &f.call("get_project", &format!("project_id={project}"), Some(&am))
            .await
            .body,
    );
    assert_eq!(detail["changes"][0]["status"], "rejected");
    assert_eq!(
        detail["changes"][0]["decision_reason"],
        "Out of scope for Q1"
    );
    // A decided change cannot be reviewed again.
    let review = f
        .call("review_change", &format!("change_id={id}"), Some(&pm))
        .await;
    assert_eq!(review.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn proposing_a_change_answers_bad_input_by_field() {
    let f = fixture().await;
    let pm = f.login("pm@northwind.test").await;
    let (project, skill) = project_and_skill(&f).await;
    let bluebird_skill = f
        .id("SELECT s.id FROM skills s JOIN workspaces w ON w.id = s.workspace_id WHERE w.slug = 'bluebird' LIMIT 1")
        .await;
    let before = f.fingerprint().await;
    for (form, field) in [
        (
            format!("project_id={project}&description=&hours%5B{skill}%5D=5"),
            "description",
        ),
        (
            format!("project_id={project}&description=x&hours%5B{skill}%5D=0"),
            "hours",
        ),
        (format!("project_id={project}&description=x"), "hours"),
        (
            format!("project_id={project}&description=x&hours%5B{skill}%5D=-3"),
            "hours",
        ),
        (
            format!("project_id={project}&description=x&hours%5B{skill}%5D=abc"),
            "hours",
        ),
        (
            format!("project_id={project}&description=x&hours%5Bdesign%5D=3"),
            "hours",
        ),
        (
            format!("project_id={project}&description=x&hours%5B{bluebird_skill}%5D=3"),
            "hours",
        ),
        (
            format!(
                "project_id={project}&description=x&hours%5B{skill}%5D=3&hours%5B0{skill}%5D=2"
            ),
            "request",
        ),
        (
            format!("project_id=abc&description=x&hours%5B{skill}%5D=3"),
            "request",
        ),
        (
            format!("project_id={project}&description=x&extra_value=lots&hours%5B{skill}%5D=3"),
            "extra_value",
        ),
        (
            format!("project_id={project}&description=x&extra_value=-5&hours%5B{skill}%5D=3"),
            "extra_value",
        ),
    ] {
        let answer = f.call("propose_change", &form, Some(&pm)).await;
        field_error(&answer, field);
    }
    sqlx::query("UPDATE projects SET status = 'done' WHERE id = $1")
        .bind(project)
        .execute(&f.pool)
        .await
        .unwrap();
    let before_done = f.fingerprint().await;
    let answer = f
        .call(
            "propose_change",
            &format!("project_id={project}&description=x&hours%5B{skill}%5D=3"),
            Some(&pm),
        )
        .await;
    field_error(&answer, "project");
    assert_eq!(f.fingerprint().await, before_done);
    assert_eq!(before, before_done, "a refused proposal wrote");
    let answer = f
        .call(
            "propose_change",
            &format!("project_id=999999&description=x&hours%5B{skill}%5D=3"),
            Some(&pm),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn client_updates_form_a_timeline_and_bad_ones_are_refused() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let team = f.login("team@northwind.test").await;
    let (project, _) = project_and_skill(&f).await;
    for (rag, summary) in [("green", "Kick-off done"), ("amber", "Copy is late")] {
        let answer = f
            .call(
                "post_update",
                &format!(
                    "project_id={project}&rag={rag}&summary={}&next_steps={}",
                    encode(summary),
                    encode("Review on Friday")
                ),
                Some(&am),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    }
    let detail = json(
        &f.call("get_project", &format!("project_id={project}"), Some(&team))
            .await
            .body,
    );
    let updates = detail["updates"].as_array().unwrap();
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[0]["rag"], "amber", "newest first");
    assert_eq!(updates[1]["summary"], "Kick-off done");
    assert_eq!(updates[0]["author"], "Sofia Marin");
    // A team member reads but does not post, and sees no share links.
    assert_eq!(detail["share_links"].as_array().unwrap().len(), 0);
    let answer = f
        .call(
            "post_update",
            &format!("project_id={project}&rag=green&summary=Hi"),
            Some(&team),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let before = f.fingerprint().await;
    for (form, field) in [
        (format!("project_id={project}&rag=blue&summary=Hi"), "rag"),
        (
            format!("project_id={project}&rag=red&summary=%20%20"),
            "summary",
        ),
        (
            format!(
                "project_id={project}&rag=red&summary=ok&next_steps={}",
                "x".repeat(4001)
            ),
            "next_steps",
        ),
    ] {
        field_error(&f.call("post_update", &form, Some(&am)).await, field);
    }
    assert_eq!(f.fingerprint().await, before);
}

async fn make_link(f: &Fixture, cookie: &str, project: i64, show_budget: bool) -> String {
    let answer = f
        .call(
            "create_share_link",
            &format!("project_id={project}&show_budget={show_budget}"),
            Some(cookie),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let link = json(&answer.body);
    let path = link["path"].as_str().unwrap().to_string();
    path.trim_start_matches("/share/").to_string()
}

#[tokio::test]
async fn a_share_link_shows_updates_without_signing_in_until_it_is_revoked() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let (project, _) = project_and_skill(&f).await;
    f.call(
        "post_update",
        &format!(
            "project_id={project}&rag=green&summary={}",
            encode("Designs approved")
        ),
        Some(&am),
    )
    .await;
    let token = make_link(&f, &am, project, false).await;
    assert_eq!(token.len(), 64);
    assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
    // Only a digest is stored.
    let stored = f
        .id(&format!(
            "SELECT COUNT(*) FROM share_links WHERE token_hash = '{token}'"
        ))
        .await;
    assert_eq!(stored, 0);

    let answer = f
        .call("shared_project", &format!("token={token}"), None)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let shared = json(&answer.body);
    assert_eq!(shared["updates"][0]["summary"], "Designs approved");
    assert!(
        shared["budget"].is_null(),
        "money only when chosen: {shared}"
    );
    assert!(!answer.body.contains("_minor\":"), "{}", answer.body);
    // The page renders for a visitor with no session.
    let page = f.get(&format!("/share/{token}"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Designs approved"), "{}", page.body);

    // A link that shows the budget.
    let with_money = make_link(&f, &am, project, true).await;
    let shared = json(
        &f.call("shared_project", &format!("token={with_money}"), None)
            .await
            .body,
    );
    assert_eq!(shared["budget"][0], budget(&f, project).await);

    // Revoked: gone, like a link that never existed.
    let link_id = f
        .id(&format!(
            "SELECT id FROM share_links WHERE project_id = {project} AND show_budget = 0"
        ))
        .await;
    let answer = f
        .call(
            "revoke_share_link",
            &format!("link_id={link_id}"),
            Some(&am),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let answer = f
        .call("shared_project", &format!("token={token}"), None)
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let page = f.get(&format!("/share/{token}"), None).await;
    assert!(page.body.contains("not available"), "{}", page.body);
    // Unknown ids: not found, nothing written.
    let before = f.fingerprint().await;
    let answer = f
        .call("revoke_share_link", "link_id=999999", Some(&am))
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let answer = f.call("review_change", "change_id=999999", Some(&am)).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let answer = f
        .call(
            "post_update",
            "project_id=999999&rag=red&summary=x",
            Some(&am),
        )
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(f.fingerprint().await, before);
    // The other link still works.
    let answer = f
        .call("shared_project", &format!("token={with_money}"), None)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn share_links_cannot_be_guessed_or_enumerated() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let (project, _) = project_and_skill(&f).await;
    let token = make_link(&f, &am, project, false).await;
    // A neighbour of the real token, another length, other characters, the stored hint.
    let mut near = token.clone().into_bytes();
    near[63] = if near[63] == b'0' { b'1' } else { b'0' };
    let near = String::from_utf8(near).unwrap();
    let hint = f
        .id(&format!(
            "SELECT id FROM share_links WHERE project_id = {project}"
        ))
        .await;
    for guess in [
        near,
        token[..63].to_string(),
        format!("{token}0"),
        "zz".repeat(32),
    ] {
        let answer = f
            .call("shared_project", &format!("token={guess}"), None)
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{guess}");
    }
    // Link ids do not open anything either.
    let answer = f
        .call("shared_project", &format!("token={hint}"), None)
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    // Misses from one address slow its guessing down (see
    // `hardening::an_old_share_link_clicked_again_and_again_locks_out_nobody`) but never
    // shut the address out of a real link.
    let answer = f
        .call("shared_project", &format!("token={token}"), None)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn a_user_who_cannot_see_money_cannot_share_it() {
    let f = fixture().await;
    let email = f
        .user_without(app::domain::permissions::Permission::ViewDealValues)
        .await;
    let cookie = f.login(&email).await;
    let (project, _) = project_and_skill(&f).await;
    let before = f.fingerprint().await;
    let answer = f
        .call(
            "create_share_link",
            &format!("project_id={project}&show_budget=true"),
            Some(&cookie),
        )
        .await;
    field_error(&answer, "show_budget");
    field_error(
        &f.call(
            "create_share_link",
            &format!("project_id={project}&show_budget=maybe"),
            Some(&cookie),
        )
        .await,
        "show_budget",
    );
    assert_eq!(f.fingerprint().await, before);
}

#[tokio::test]
async fn the_dashboard_matches_the_database_and_hides_money_by_permission() {
    let f = fixture().await;
    let admin = f.login("admin@northwind.test").await;
    let team = f.login("team@northwind.test").await;
    let d = json(&f.call("dashboard", "", Some(&admin)).await.body);
    let ws = f.id("SELECT id FROM workspaces WHERE slug = 'demo'").await;
    let now = app::server::context::now_ms();
    let today = crate::common::demo_calendar().today(now);
    let (y, m, _) = today.ymd();
    let horizon_end = if m + 6 > 12 {
        format!("{}-{:02}-01", y + 1, m + 6 - 12)
    } else {
        format!("{y}-{:02}-01", m + 6)
    };
    let expected_deals = f
        .id(&format!(
            "SELECT COUNT(*) FROM deals d JOIN stages s ON s.id = d.stage_id
             WHERE d.workspace_id = {ws} AND s.kind = 'open' AND d.archived_at IS NULL
               AND (d.expected_close_on IS NULL OR d.expected_close_on < '{horizon_end}')"
        ))
        .await;
    let bars = d["forecast"].as_array().unwrap();
    assert_eq!(bars.len(), 6);
    assert_eq!(
        bars.iter()
            .map(|b| b["deals"].as_i64().unwrap())
            .sum::<i64>(),
        expected_deals
    );
    assert!(bars
        .iter()
        .all(|b| b["weighted_minor"].as_i64().unwrap() <= b["total_minor"].as_i64().unwrap()));
    let since = now - 90 * 86_400_000;
    let won = f
        .id(&format!(
            "SELECT COUNT(*) FROM deals d JOIN stages s ON s.id = d.stage_id
             WHERE d.workspace_id = {ws} AND s.kind = 'won' AND d.closed_at >= {since}"
        ))
        .await;
    let lost = f
        .id(&format!(
            "SELECT COUNT(*) FROM deals d JOIN stages s ON s.id = d.stage_id
             WHERE d.workspace_id = {ws} AND s.kind = 'lost' AND d.closed_at >= {since}"
        ))
        .await;
    assert_eq!(
        (d["won"].as_i64().unwrap(), d["lost"].as_i64().unwrap()),
        (won, lost)
    );
    if won + lost > 0 {
        assert_eq!(d["win_rate_bp"], won * 10_000 / (won + lost));
    }
    assert_eq!(d["utilisation"].as_array().unwrap().len(), 8);
    let rotting = f
        .id(&format!(
            "SELECT COUNT(*) FROM deals d JOIN stages s ON s.id = d.stage_id
             WHERE d.workspace_id = {ws} AND s.kind = 'open' AND d.archived_at IS NULL
               AND s.rotting_days IS NOT NULL
               AND ({now} - COALESCE(d.progressed_at, d.stage_entered_at)) / 86400000 > s.rotting_days"
        ))
        .await;
    assert_eq!(d["rotting_total"], rotting);

    let t = json(&f.call("dashboard", "", Some(&team)).await.body);
    assert!(t["forecast"]
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b["weighted_minor"].is_null()));
    assert!(t["won_minor"].is_null());
    assert!(t["rotting"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["value_minor"].is_null()));
    assert_eq!(t["forecast"][0]["deals"], d["forecast"][0]["deals"]);

    // Live: a newly rotting deal shows up.
    sqlx::query(&format!(
        "UPDATE deals SET stage_entered_at = 0, progressed_at = 0 WHERE id = (SELECT d.id FROM deals d JOIN stages s ON s.id = d.stage_id
           WHERE d.workspace_id = {ws} AND s.name = 'Lead' AND d.archived_at IS NULL
             AND ({now} - COALESCE(d.progressed_at, d.stage_entered_at)) / 86400000 <= s.rotting_days
           ORDER BY d.id LIMIT 1)"
    ))
    .execute(&f.pool)
    .await
    .unwrap();
    let again = json(&f.call("dashboard", "", Some(&admin)).await.body);
    assert_eq!(again["rotting_total"], rotting + 1);
}

#[tokio::test]
async fn exports_follow_the_money_permissions_and_the_workspace() {
    let f = fixture().await;
    let admin = f.login("admin@northwind.test").await;
    let team = f.login("team@northwind.test").await;
    let am = f.login("am@northwind.test").await;
    let bluebird = f.login("admin@bluebird.test").await;

    let deals = f.get("/export/deals.csv", Some(&admin)).await;
    assert_eq!(deals.status, StatusCode::OK);
    assert!(deals.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(deals.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let rows = app::domain::csv::parse(&deals.body).unwrap();
    assert!(rows[0].contains(&"value".to_string()));
    let ws = f.id("SELECT id FROM workspaces WHERE slug = 'demo'").await;
    let count = f
        .id(&format!(
            "SELECT COUNT(*) FROM deals WHERE workspace_id = {ws} AND archived_at IS NULL"
        ))
        .await;
    assert_eq!(rows.len() as i64 - 1, count);

    let team_deals =
        app::domain::csv::parse(&f.get("/export/deals.csv", Some(&team)).await.body).unwrap();
    assert!(
        !team_deals[0].contains(&"value".to_string()),
        "{:?}",
        team_deals[0]
    );
    assert!(!team_deals[0].contains(&"weighted_value".to_string()));
    assert_eq!(team_deals.len(), rows.len());

    let people_am =
        app::domain::csv::parse(&f.get("/export/people.csv", Some(&am)).await.body).unwrap();
    assert!(people_am[0].contains(&"bill_rate".to_string()));
    assert!(!people_am[0].contains(&"cost_rate".to_string()));
    let people_admin =
        app::domain::csv::parse(&f.get("/export/people.csv", Some(&admin)).await.body).unwrap();
    assert!(people_admin[0].contains(&"cost_rate".to_string()));
    let projects_am = f.get("/export/projects.csv", Some(&am)).await.body;
    assert!(
        projects_am.starts_with(
            "id,name,client,pm,status,starts_on,ends_on,budget,spent,forecast,progress_pct"
        ),
        "{projects_am}"
    );

    // Time: a team member gets their own entries only.
    let own = f
        .id("SELECT person_id FROM users WHERE email = 'team@northwind.test'")
        .await;
    let own_name: String = sqlx::query_scalar("SELECT name FROM people WHERE id = $1")
        .bind(own)
        .fetch_one(&f.pool)
        .await
        .unwrap();
    let time = app::domain::csv::parse(&f.get("/export/time.csv", Some(&team)).await.body).unwrap();
    assert!(time[1..].iter().all(|r| r[1] == own_name), "{time:?}");
    let all_time =
        app::domain::csv::parse(&f.get("/export/time.csv", Some(&admin)).await.body).unwrap();
    assert!(all_time.len() > time.len());

    // Another workspace's exports hold nothing of Northwind, and Northwind's nothing of
    // theirs.
    let northwind_names = f.names_of("demo").await;
    let bluebird_names = f.names_of("bluebird").await;
    for kind in ["deals", "projects", "people", "time"] {
        let path = format!("/export/{kind}.csv");
        let theirs = f.get(&path, Some(&bluebird)).await;
        assert_eq!(theirs.status, StatusCode::OK, "{path}: {}", theirs.body);
        assert!(!theirs.body.to_lowercase().contains("northwind"), "{path}");
        assert_eq!(leaked(&theirs.body, &northwind_names), None, "{path}");
        assert!(leaked(&theirs.body, &bluebird_names).is_some(), "{path}");
        let ours = f.get(&path, Some(&admin)).await;
        assert_eq!(leaked(&ours.body, &bluebird_names), None, "{path}");
    }
    let other = f.get("/export/deals.csv", Some(&bluebird)).await.body;
    let bluebird_deals = f
        .id(
            "SELECT COUNT(*) FROM deals d JOIN workspaces w ON w.id = d.workspace_id
             WHERE w.slug = 'bluebird' AND d.archived_at IS NULL",
        )
        .await;
    assert_eq!(
        app::domain::csv::parse(&other).unwrap().len() as i64 - 1,
        bluebird_deals
    );
    // Signed out: to the login page. Unknown kind: a field error.
    let anonymous = f.get("/export/deals.csv", None).await;
    assert!(anonymous.status.is_redirection());
    let unknown = f.get("/export/secrets.csv", Some(&admin)).await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A user whose role grants nothing exports nothing.
    let nobody = f.login(crate::common::NOBODY).await;
    assert_eq!(
        f.get("/export/deals.csv", Some(&nobody)).await.status,
        StatusCode::FORBIDDEN
    );
}

fn form_csv(text: &str) -> String {
    encode(text)
}

#[tokio::test]
async fn an_import_with_one_bad_row_writes_nothing_and_names_every_problem() {
    let f = fixture().await;
    let admin = f.login("admin@northwind.test").await;
    let existing: String = sqlx::query_scalar(
        "SELECT email FROM people WHERE email IS NOT NULL AND workspace_id = (SELECT id FROM workspaces WHERE slug = 'demo') LIMIT 1",
    )
    .fetch_one(&f.pool)
    .await
    .unwrap();
    let csv = format!(
        "name,email,weekly_hours,skills,cost_rate,bill_rate\n\
         Ines Duarte,ines@example.test,40,Design;Motion,60,140\n\
         ,nameless@example.test,40,,,\n\
         Bad Mail,not-an-email,40,,,\n\
         Too Busy,busy@example.test,200,,,\n\
         Twin,ines@example.test,40,,,\n\
         Already,{existing},40,,,\n\
         Pricey,pricey@example.test,40,,lots,\n"
    );
    let check = f
        .call(
            "import_check",
            &format!("kind=people&first_row=2&csv={}", form_csv(&csv)),
            Some(&admin),
        )
        .await;
    assert_eq!(check.status, StatusCode::OK, "{}", check.body);
    let check = json(&check.body);
    let errors: Vec<(i64, String)> = check["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["field"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            (3, "name".into()),
            (4, "email".into()),
            (5, "weekly_hours".into()),
            (6, "email".into()),
            (7, "email".into()),
            (8, "cost_rate".into()),
        ]
    );
    let before = f.fingerprint().await;
    let result = json(
        &f.call(
            "import_part",
            &format!(
                "kind=people&upload=test-upload-000001&part=0&parts=1&csv={}",
                form_csv(&csv)
            ),
            Some(&admin),
        )
        .await
        .body,
    );
    assert_eq!(result["done"], true);
    assert_eq!(result["created"], 0);
    assert_eq!(result["errors"].as_array().unwrap().len(), 6);
    assert_eq!(f.fingerprint().await, before, "a failed import wrote");

    // Header problems are row 1.
    let check = json(
        &f.call(
            "import_check",
            &format!(
                "kind=people&first_row=2&csv={}",
                form_csv("name,salary\nX,1\n")
            ),
            Some(&admin),
        )
        .await
        .body,
    );
    assert_eq!(check["errors"][0]["row"], 1);
    assert_eq!(check["errors"][0]["field"], "salary");
    // Bad arguments.
    for (form, field) in [
        ("kind=robots&first_row=2&csv=a".to_string(), "kind"),
        ("kind=people&first_row=0&csv=a".to_string(), "first_row"),
        (
            format!("kind=people&first_row=2&csv={}", form_csv("name\n\"open")),
            "csv",
        ),
    ] {
        field_error(&f.call("import_check", &form, Some(&admin)).await, field);
    }
    for (form, field) in [
        (
            "kind=people&upload=short&part=0&parts=1&csv=a".to_string(),
            "upload",
        ),
        (
            "kind=people&upload=test-upload-000002&part=2&parts=2&csv=a".to_string(),
            "part",
        ),
        (
            "kind=people&upload=test-upload-000002&part=0&parts=0&csv=a".to_string(),
            "parts",
        ),
        (
            "kind=people&upload=test-upload-000002&part=0&parts=51&csv=a".to_string(),
            "parts",
        ),
    ] {
        field_error(&f.call("import_part", &form, Some(&admin)).await, field);
    }
    // Parts with different headers: refused as a row-1 problem, parts dropped.
    let before = f.fingerprint().await;
    f.call(
        "import_part",
        &format!(
            "kind=people&upload=test-upload-000003&part=0&parts=2&csv={}",
            form_csv("name,weekly_hours\nA,1\n")
        ),
        Some(&admin),
    )
    .await;
    let mixed = json(
        &f.call(
            "import_part",
            &format!(
                "kind=people&upload=test-upload-000003&part=1&parts=2&csv={}",
                form_csv("weekly_hours,name\n1,B\n")
            ),
            Some(&admin),
        )
        .await
        .body,
    );
    assert_eq!(mixed["errors"][0]["row"], 1, "{mixed}");
    assert_eq!(mixed["created"], 0);
    assert_eq!(f.fingerprint().await, before);
    // Importing people needs "manage people"; an account manager may not.
    let am = f.login("am@northwind.test").await;
    let answer = f
        .call(
            "import_check",
            &format!("kind=people&first_row=2&csv={}", form_csv(&csv)),
            Some(&am),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_large_import_arrives_in_parts_and_is_written_at_once() {
    let f = fixture().await;
    let admin = f.login("admin@northwind.test").await;
    let ws = f.id("SELECT id FROM workspaces WHERE slug = 'demo'").await;
    let deals_before = f
        .id(&format!(
            "SELECT COUNT(*) FROM deals WHERE workspace_id = {ws}"
        ))
        .await;
    let header = "title,client,value,stage,probability,owner_email,expected_close_on,planned_weeks";
    let rows: Vec<String> = (0..2500)
        .map(|i| {
            format!(
                "Imported deal {i},\"Client {}, Ltd\",{}.50,{},{},{},2027-0{}-15,{}",
                i % 40,
                1000 + i,
                if i % 2 == 0 { "Lead" } else { "qualified" },
                if i % 3 == 0 {
                    String::new()
                } else {
                    format!("{}", i % 100)
                },
                if i % 5 == 0 { "am@northwind.test" } else { "" },
                1 + i % 9,
                1 + i % 12
            )
        })
        .collect();
    let parts: Vec<String> = rows
        .chunks(app::api::csv::ROWS_PER_PART)
        .map(|c| format!("{header}\n{}\n", c.join("\n")))
        .collect();
    assert_eq!(parts.len(), 3);
    for (k, part) in parts.iter().enumerate() {
        let answer = f
            .call(
                "import_part",
                &format!(
                    "kind=deals&upload=big-import-0000001&part={k}&parts=3&csv={}",
                    form_csv(part)
                ),
                Some(&admin),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let result = json(&answer.body);
        let deals_now = f
            .id(&format!(
                "SELECT COUNT(*) FROM deals WHERE workspace_id = {ws}"
            ))
            .await;
        if k < 2 {
            assert_eq!(result["done"], false);
            assert_eq!(deals_now, deals_before, "written before the last part");
        } else {
            assert_eq!(result["done"], true, "{}", answer.body);
            assert_eq!(result["created"], 2500);
            assert_eq!(deals_now, deals_before + 2500);
        }
    }
    let value: i64 = f
        .id("SELECT value_minor FROM deals WHERE title = 'Imported deal 7'")
        .await;
    assert_eq!(value, 100_750);
    let clients = f
        .id(&format!(
            "SELECT COUNT(*) FROM clients WHERE workspace_id = {ws} AND name LIKE 'Client %, Ltd'"
        ))
        .await;
    assert_eq!(clients, 40, "one client per name");
    // Only the finished upload's answer is kept; sending the last part again answers it
    // without importing twice.
    assert_eq!(
        f.id("SELECT COUNT(*) FROM import_parts WHERE part >= 0")
            .await,
        0
    );
    let again = f
        .call(
            "import_part",
            &format!(
                "kind=deals&upload=big-import-0000001&part=2&parts=3&csv={}",
                form_csv(&parts[2])
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(json(&again.body)["created"], 2500, "{}", again.body);
    assert_eq!(
        f.id(&format!(
            "SELECT COUNT(*) FROM deals WHERE workspace_id = {ws}"
        ))
        .await,
        deals_before + 2500,
        "a resent part imported twice"
    );
    let owner = f
        .id(
            "SELECT COUNT(*) FROM deals d JOIN users u ON u.id = d.owner_user_id
             WHERE d.title = 'Imported deal 5' AND u.email = 'am@northwind.test'",
        )
        .await;
    assert_eq!(owner, 1);

    // People with new skills, matched ignoring case beyond ASCII.
    sqlx::query("INSERT INTO skills (workspace_id, name) VALUES ($1, 'Übersetzung')")
        .bind(ws)
        .execute(&f.pool)
        .await
        .unwrap();
    let csv = "name,email,weekly_hours,skills\nMara Quist,mara@example.test,32,Design; Sound design; übersetzung; ÜBERSETZUNG\n";
    let result = json(
        &f.call(
            "import_part",
            &format!(
                "kind=people&upload=people-import-000001&part=0&parts=1&csv={}",
                form_csv(csv)
            ),
            Some(&admin),
        )
        .await
        .body,
    );
    assert_eq!(result["created"], 1, "{result}");
    let skills = f
        .id("SELECT COUNT(*) FROM person_skills ps JOIN people p ON p.id = ps.person_id WHERE p.name = 'Mara Quist'")
        .await;
    assert_eq!(skills, 3);
    assert_eq!(
        f.id(&format!("SELECT weekly_capacity_minutes FROM people WHERE name = 'Mara Quist' AND workspace_id = {ws}")).await,
        32 * 60
    );
}

#[tokio::test]
async fn finance_approves_blocked_changes_only() {
    let f = fixture().await;
    let pm = f.login("pm@northwind.test").await;
    let finance = f.login("finance@northwind.test").await;
    let (project, skill) = project_and_skill(&f).await;
    let fine = propose(&f, &pm, project, skill, "6", "1500").await;
    let blocked = propose(&f, &pm, project, skill, "9000", "100000").await;
    let before = f.fingerprint().await;
    // Nothing blocks: approving is the project manager's, not Finance's.
    let answer = f
        .call(
            "decide_change",
            &format!(
                "change_id={fine}&version=1&decision=approve&override_reason={}",
                encode("Finance is fine with it")
            ),
            Some(&finance),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    // Rejecting is the project manager's too.
    let answer = f
        .call(
            "decide_change",
            &format!("change_id={blocked}&version=1&decision=reject&reason=Not%20now"),
            Some(&finance),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{}", answer.body);
    assert_eq!(f.fingerprint().await, before, "a refused decision wrote");
    // The review tells Finance it may override.
    let review = json(
        &f.call(
            "review_change",
            &format!("change_id={blocked}"),
            Some(&finance),
        )
        .await
        .body,
    );
    assert_eq!(review["needs_override"], true, "{review}");
    assert_eq!(review["can_override"], true);
    assert_eq!(review["can_decide"], false);
    // A blocked change with a reason: Finance approves it.
    let answer = f
        .call(
            "decide_change",
            &format!(
                "change_id={blocked}&version=1&decision=approve&override_reason={}",
                encode("Budget covers two contractors")
            ),
            Some(&finance),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let status: String = sqlx::query_scalar("SELECT status FROM change_requests WHERE id = $1")
        .bind(blocked)
        .fetch_one(&f.pool)
        .await
        .unwrap();
    assert_eq!(status, "approved");
}
