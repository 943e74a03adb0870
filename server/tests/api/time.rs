//! Logging time: the timesheet, the rules, project managers' view.

use crate::common::{fixture, Fixture};
use app::api::time::{ProjectTimeLog, TimeEntry, WeekOfTime};
use app::domain::calendar::Date;
use axum::http::StatusCode;

/// The day `offset` days from today in the demo workspace (Europe/Berlin).
fn day(offset: i32) -> String {
    crate::common::demo_calendar()
        .today(app::server::context::now_ms())
        .add_days(offset)
        .to_string()
}

/// A running project the team member is staffed on, and one they are not.
async fn projects(f: &Fixture) -> (i64, i64) {
    let person = f
        .id("SELECT person_id FROM users WHERE email = 'team@northwind.test'")
        .await;
    let staffed = f
        .id(&format!(
            "SELECT p.id FROM projects p WHERE p.status IN ('planned', 'active', 'on_hold')
               AND EXISTS (SELECT 1 FROM allocations a WHERE a.project_id = p.id AND a.person_id = {person})
             ORDER BY p.id LIMIT 1"
        ))
        .await;
    let other = f
        .id(&format!(
            "SELECT p.id FROM projects p JOIN workspaces w ON w.id = p.workspace_id
             WHERE w.slug = 'demo' AND p.status IN ('planned', 'active', 'on_hold')
               AND NOT EXISTS (SELECT 1 FROM allocations a WHERE a.project_id = p.id AND a.person_id = {person})
             ORDER BY p.id LIMIT 1"
        ))
        .await;
    (staffed, other)
}

#[tokio::test]
async fn a_team_member_logs_time_on_their_project_and_sees_it_in_their_week() {
    let f = fixture().await;
    let team = f.login("team@northwind.test").await;
    let (project, _) = projects(&f).await;
    let answer = f
        .call(
            "log_time",
            &format!(
                "project_id={project}&worked_on={}&hours=2.5&note=Wireframes&billable=on",
                day(0)
            ),
            Some(&team),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let entry: TimeEntry = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(
        (entry.minutes, entry.billable, entry.note.as_str()),
        (150, true, "Wireframes")
    );
    let unbillable = f
        .call(
            "log_time",
            &format!("project_id={project}&worked_on={}&hours=1&note=", day(0)),
            Some(&team),
        )
        .await;
    let unbillable: TimeEntry = serde_json::from_str(&unbillable.body).unwrap();
    assert!(!unbillable.billable);
    let sheet = f.call("timesheet", "week=", Some(&team)).await;
    let sheet: WeekOfTime = serde_json::from_str(&sheet.body).unwrap();
    assert!(sheet.linked);
    assert_eq!(sheet.days.len(), 7);
    assert!(sheet.projects.iter().any(|(id, _)| *id == project));
    let today: i64 = sheet
        .entries
        .iter()
        .filter(|e| e.worked_on == day(0))
        .map(|e| e.minutes)
        .sum();
    assert!(today >= 210);
    // A project manager sees it on the project.
    let pm = f.login("pm@northwind.test").await;
    let time = f
        .call("project_time", &format!("project_id={project}"), Some(&pm))
        .await;
    assert_eq!(time.status, StatusCode::OK, "{}", time.body);
    let time: ProjectTimeLog = serde_json::from_str(&time.body).unwrap();
    assert!(time.entries.iter().any(|e| e.id == entry.id));
    assert!(time.total_minutes >= time.billable_minutes + 60);
    // Removing it needs its version, and only its owner may.
    let theirs = f
        .call(
            "delete_time",
            &format!("entry_id={}&version={}", entry.id, entry.version),
            Some(&pm),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::FORBIDDEN);
    let gone = f
        .call(
            "delete_time",
            &format!("entry_id={}&version={}", entry.id, entry.version),
            Some(&team),
        )
        .await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.body);
}

#[tokio::test]
async fn bad_time_is_refused_with_the_field_and_nothing_written() {
    let f = fixture().await;
    let team = f.login("team@northwind.test").await;
    let (project, not_mine) = projects(&f).await;
    let foreign = f
        .id("SELECT p.id FROM projects p JOIN workspaces w ON w.id = p.workspace_id WHERE w.slug = 'bluebird' LIMIT 1")
        .await;
    // 20 h on yesterday in all, so 5 more would pass 24.
    let person = f
        .id("SELECT person_id FROM users WHERE email = 'team@northwind.test'")
        .await;
    let existing = f
        .id(&format!(
            "SELECT CAST(COALESCE(SUM(minutes), 0) AS BIGINT) FROM time_entries WHERE person_id = {person} AND worked_on = '{}'",
            day(-1)
        ))
        .await;
    let first = f
        .call(
            "log_time",
            &format!(
                "project_id={project}&worked_on={}&hours={}",
                day(-1),
                app::domain::validate::hours_text(20 * 60 - existing)
            ),
            Some(&team),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    let before = f.id("SELECT COUNT(*) FROM time_entries").await;
    for (form, field) in [
        (
            format!("project_id={project}&worked_on={}&hours=-1", day(0)),
            "hours",
        ),
        (
            format!("project_id={project}&worked_on={}&hours=0", day(0)),
            "hours",
        ),
        (
            format!("project_id={project}&worked_on={}&hours=25", day(0)),
            "hours",
        ),
        (
            format!("project_id={project}&worked_on={}&hours=5", day(-1)),
            "hours",
        ),
        (
            format!("project_id={project}&worked_on={}&hours=1", day(1)),
            "worked_on",
        ),
        (
            format!("project_id={project}&worked_on=yesterday&hours=1"),
            "worked_on",
        ),
        (
            format!("project_id={not_mine}&worked_on={}&hours=1", day(0)),
            "project",
        ),
        (
            format!("project_id={foreign}&worked_on={}&hours=1", day(0)),
            "project",
        ),
    ] {
        let answer = f.call("log_time", &form, Some(&team)).await;
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
    assert_eq!(f.id("SELECT COUNT(*) FROM time_entries").await, before);
    // A project manager may log on any running project.
    let pm = f.login("pm@northwind.test").await;
    let pm_log = f
        .call(
            "log_time",
            &format!("project_id={not_mine}&worked_on={}&hours=1", day(0)),
            Some(&pm),
        )
        .await;
    assert_eq!(pm_log.status, StatusCode::OK, "{}", pm_log.body);
}

#[tokio::test]
async fn logged_time_burns_the_budget_and_money_follows_the_permissions() {
    let f = fixture().await;
    let team = f.login("team@northwind.test").await;
    let pm = f.login("pm@northwind.test").await;
    let (project, _) = projects(&f).await;
    let page = |cookie: String| {
        let f = &f;
        async move {
            let answer = f
                .call(
                    "get_project",
                    &format!("project_id={project}"),
                    Some(&cookie),
                )
                .await;
            assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
            serde_json::from_str::<app::api::projects::ProjectDetail>(&answer.body).unwrap()
        }
    };
    let before = page(pm.clone()).await.burn;
    let rate = f
        .id("SELECT bill_rate_minor FROM people p JOIN users u ON u.person_id = p.id WHERE u.email = 'team@northwind.test'")
        .await;
    let answer = f
        .call(
            "log_time",
            &format!(
                "project_id={project}&worked_on={}&hours=3&billable=on",
                day(0)
            ),
            Some(&team),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let after = page(pm.clone()).await.burn;
    assert_eq!(
        after.spent_minor.unwrap() - before.spent_minor.unwrap(),
        3 * rate,
        "3 billable hours at the bill rate"
    );
    assert_eq!(
        after.remaining_minor.unwrap(),
        after.budget_minor.unwrap() - after.spent_minor.unwrap()
    );
    let logged = |b: &app::api::projects::BurnView| b.weeks.last().map(|w| w.2).unwrap_or(0);
    assert_eq!(logged(&after) - logged(&before), 180);
    // A project manager sees amounts but not the forecast margin (no cost rates); a team
    // member sees hours and the flag only.
    assert!(after.forecast_margin_bp.is_none());
    let mine = page(team.clone()).await;
    assert_eq!(mine.burn.spent_minor, None);
    assert_eq!(mine.burn.budget_minor, None);
    assert_eq!(logged(&mine.burn), logged(&after));
    let admin = f.login("admin@northwind.test").await;
    assert!(page(admin).await.burn.forecast_margin_bp.is_some());
}

#[tokio::test]
async fn remembered_burns_follow_time_logged_anywhere() {
    let f = crate::common::fixture().await;
    let admin = f.login("admin@northwind.test").await;
    let at_risk = |body: &str| -> Vec<(i64, bool)> {
        let list: serde_json::Value = serde_json::from_str(body).unwrap();
        let mut out: Vec<(i64, bool)> = list["projects"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["id"].as_i64().unwrap(), p["at_risk"].as_bool().unwrap()))
            .collect();
        out.sort();
        out
    };
    let before = at_risk(&f.call("list_projects", "", Some(&admin)).await.body);
    let (project, person): (i64, i64) = sqlx::query_as(
        "SELECT a.project_id, a.person_id FROM allocations a JOIN projects p ON p.id = a.project_id
         JOIN workspaces w ON w.id = p.workspace_id
         WHERE w.slug = 'demo' AND p.status = 'active' ORDER BY a.id LIMIT 1",
    )
    .fetch_one(&f.pool)
    .await
    .unwrap();
    assert_eq!(
        before.iter().find(|(id, _)| *id == project).map(|p| p.1),
        Some(false),
        "{before:?}"
    );
    // Far more time than the budget holds, logged by another server (plain SQL).
    let ws = f.id("SELECT id FROM workspaces WHERE slug = 'demo'").await;
    for day in 0..60 {
        sqlx::query(
            "INSERT INTO time_entries (workspace_id, project_id, person_id, worked_on, minutes, created_at)
             VALUES ($1, $2, $3, $4, 1440, 0)",
        )
        .bind(ws)
        .bind(project)
        .bind(person)
        .bind(
            crate::common::demo_calendar()
                .today(app::server::context::now_ms())
                .add_days(-day)
                .to_string(),
        )
        .execute(&f.pool)
        .await
        .unwrap();
    }
    let after = at_risk(&f.call("list_projects", "", Some(&admin)).await.body);
    assert_eq!(
        after.iter().find(|(id, _)| *id == project).map(|p| p.1),
        Some(true),
        "{after:?}"
    );
    // A server that never computed a burn answers the same.
    let fresh = f.call_fresh("list_projects", "", Some(&admin)).await;
    assert_eq!(after, at_risk(&fresh.body));
}

/// The per-project burn memory answers exactly what a fresh computation does after each
/// kind of change a burn reads, whoever writes it (plain SQL here).
#[tokio::test]
async fn remembered_burns_equal_fresh_ones_after_every_kind_of_change() {
    use app::domain::calendar::{Today, WeekStart};
    use app::server::burn_repo::{burns, BurnCache};
    let f = crate::common::fixture().await;
    let ws = f.id("SELECT id FROM workspaces WHERE slug = 'demo'").await;
    let today = crate::common::demo_calendar().at(app::server::context::now_ms());
    let cache = BurnCache::default();
    let mut conn = f.pool.acquire().await.unwrap();
    let changes = [
        // One project's planned work.
        "UPDATE allocations SET minutes = minutes + 600
         WHERE id = (SELECT MIN(id) FROM allocations WHERE project_id IS NOT NULL)",
        // Tentative work on a deal (no project's burn reads it).
        "UPDATE allocations SET minutes = minutes + 60
         WHERE id = (SELECT MIN(id) FROM allocations WHERE deal_id IS NOT NULL)",
        // Time moved from one project to another.
        "UPDATE time_entries SET project_id = (SELECT MAX(id) FROM projects)
         WHERE id = (SELECT MIN(id) FROM time_entries)",
        "DELETE FROM time_entries WHERE id = (SELECT MAX(id) FROM time_entries)",
        // A budget and a date.
        "UPDATE projects SET budget_minor = budget_minor / 3 WHERE id = (SELECT MIN(id) FROM projects)",
        "UPDATE projects SET ends_on = '2099-12-31' WHERE id = (SELECT MAX(id) FROM projects)",
        // Rates every burn reads; the margin floor.
        "UPDATE people SET cost_rate_minor = cost_rate_minor * 2",
        "UPDATE workspaces SET margin_floor_bp = margin_floor_bp / 2",
        // A project's planned work removed.
        "DELETE FROM allocations WHERE project_id = (SELECT MIN(id) FROM projects)",
    ];
    let first = cache.all(&mut conn, ws, today).await.unwrap();
    assert!(!first.is_empty());
    for change in changes {
        let done = sqlx::query(change).execute(&f.pool).await.unwrap();
        assert!(done.rows_affected() > 0, "{change}");
        let kept = cache.all(&mut conn, ws, today).await.unwrap();
        let fresh = burns(&mut conn, ws, None, today).await.unwrap();
        assert_eq!(*kept, fresh, "after {change}");
    }
    // The next day every burn moves on.
    let tomorrow = Today::new(today.date.add_days(1), today.week_start);
    let kept = cache.all(&mut conn, ws, tomorrow).await.unwrap();
    assert_eq!(*kept, burns(&mut conn, ws, None, tomorrow).await.unwrap());
    // So does every burn when the weeks start on another day.
    let sunday_weeks = Today::new(tomorrow.date, WeekStart::SUNDAY);
    let kept = cache.all(&mut conn, ws, sunday_weeks).await.unwrap();
    assert_eq!(
        *kept,
        burns(&mut conn, ws, None, sunday_weeks).await.unwrap()
    );
}

/// "Now" is the server's clock, which a test sets: the same requests on a Sunday just
/// before midnight (in the demo's Berlin, 23:00 UTC in winter) and half a second later
/// answer for two different weeks, whatever day the suite runs on.
#[tokio::test]
async fn weeks_follow_the_servers_clock_across_midnight_on_sunday() {
    let sunday = Date::parse("2027-03-07").unwrap().unix_ms() + 23 * 3_600_000 - 500;
    let (f, clock) = crate::common::fixture_at(sunday).await;
    let admin = f.login("admin@northwind.test").await;
    let week_of = |body: &str| -> (String, String) {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        (
            v["week"].as_str().unwrap_or_default().to_string(),
            body.to_string(),
        )
    };
    let this_week = |body: &str| -> String {
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        v["this_week"].as_str().unwrap().to_string()
    };
    let sheet = f.call("timesheet", "", Some(&admin)).await;
    assert_eq!(sheet.status, StatusCode::OK, "{}", sheet.body);
    assert_eq!(week_of(&sheet.body).0, "2027-03-01", "{}", sheet.body);
    let grid = f.call("capacity_grid", "weeks=2", Some(&admin)).await;
    assert_eq!(this_week(&grid.body), "2027-03-01");

    clock.advance(500);
    let sheet = f.call("timesheet", "", Some(&admin)).await;
    assert_eq!(week_of(&sheet.body).0, "2027-03-08", "{}", sheet.body);
    let grid = f.call("capacity_grid", "weeks=2", Some(&admin)).await;
    assert_eq!(this_week(&grid.body), "2027-03-08");
    // A second server of the same fixture reads the same clock.
    let fresh = f.call_fresh("capacity_grid", "weeks=2", Some(&admin)).await;
    assert_eq!(this_week(&fresh.body), "2027-03-08");
}
