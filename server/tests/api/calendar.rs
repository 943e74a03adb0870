//! The workspace's calendar: its time zone decides which day it is (logging time, "this
//! week"), its week start where weeks begin (the planner, the close, the timesheet); an
//! admin changes both, with field errors for what is not a zone or a day.

use crate::common::{fixture, fixture_at, Fixture};
use app::api::planner::PlannerGrid;
use app::api::time::WeekOfTime;
use app::api::workspace::WorkspaceSettings;
use app::domain::calendar::{Date, WeekStart};
use axum::http::StatusCode;

const HOUR: i64 = 3_600_000;

/// Unix ms of `date` at `hour`:00 UTC.
fn at(date: &str, hour: i64) -> i64 {
    Date::parse(date).unwrap().unix_ms() + hour * HOUR
}

/// The workspace settings as `cookie`'s admin sees them.
async fn settings(f: &Fixture, cookie: &str) -> WorkspaceSettings {
    let answer = f.call("workspace_settings", "", Some(cookie)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    serde_json::from_str(&answer.body).unwrap()
}

/// Sets the admin's workspace's zone and week start at its current version.
async fn set_calendar(f: &Fixture, admin: &str, zone: &str, week_start: &str) {
    let version = settings(f, admin).await.version;
    let answer = f
        .call(
            "set_workspace_calendar",
            &format!(
                "time_zone={}&week_start={week_start}&version={version}",
                crate::common::encode(zone)
            ),
            Some(admin),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{zone}: {}", answer.body);
}

/// A running Northwind project the team member is staffed on.
async fn staffed_project(f: &Fixture) -> i64 {
    let person = f
        .id("SELECT person_id FROM users WHERE email = 'team@northwind.test'")
        .await;
    f.id(&format!(
        "SELECT p.id FROM projects p WHERE p.status IN ('planned', 'active', 'on_hold')
           AND EXISTS (SELECT 1 FROM allocations a WHERE a.project_id = p.id AND a.person_id = {person})
         ORDER BY p.id LIMIT 1"
    ))
    .await
}

async fn timesheet(f: &Fixture, cookie: &str) -> WeekOfTime {
    let answer = f.call("timesheet", "", Some(cookie)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    serde_json::from_str(&answer.body).unwrap()
}

async fn grid(f: &Fixture, cookie: &str) -> PlannerGrid {
    let answer = f.call("capacity_grid", "weeks=3", Some(cookie)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    serde_json::from_str(&answer.body).unwrap()
}

/// At 23:00 UTC on Sunday 29 November 2026 it is already 09:00 on Monday in Brisbane
/// (UTC+10): a workspace there logs Monday's time, while a UTC workspace, where it is
/// still Sunday, refuses the same day as in the future.
#[tokio::test]
async fn a_workspace_ten_hours_ahead_logs_its_monday_while_utc_is_still_on_sunday() {
    let (f, _clock) = fixture_at(at("2026-11-29", 23)).await;
    let admin = f.login("admin@northwind.test").await;
    let team = f.login("team@northwind.test").await;
    let project = staffed_project(&f).await;
    let log = |day: &str| format!("project_id={project}&worked_on={day}&hours=2&note=Kick-off");

    set_calendar(&f, &admin, "Australia/Brisbane", "1").await;
    let sheet = timesheet(&f, &team).await;
    assert_eq!(
        (sheet.week.as_str(), sheet.today.as_str()),
        ("2026-11-30", "2026-11-30")
    );
    let monday = f.call("log_time", &log("2026-11-30"), Some(&team)).await;
    assert_eq!(monday.status, StatusCode::OK, "{}", monday.body);
    let tuesday = f.call("log_time", &log("2026-12-01"), Some(&team)).await;
    assert_eq!(tuesday.status, StatusCode::UNPROCESSABLE_ENTITY);

    set_calendar(&f, &admin, "UTC", "1").await;
    let sheet = timesheet(&f, &team).await;
    assert_eq!(
        (sheet.week.as_str(), sheet.today.as_str()),
        ("2026-11-23", "2026-11-29")
    );
    let refused = f.call("log_time", &log("2026-11-30"), Some(&team)).await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("\"field\":\"worked_on\"")
            && refused.body.contains("must not be in the future"),
        "{}",
        refused.body
    );
    let sunday = f.call("log_time", &log("2026-11-29"), Some(&team)).await;
    assert_eq!(sunday.status, StatusCode::OK, "{}", sunday.body);
}

/// The demo's Berlin: at 23:30 UTC on a Sunday in winter it is Monday there, so this week
/// is the new one, on the planner and the timesheet alike.
#[tokio::test]
async fn the_seeded_demo_runs_on_berlin_days() {
    let (f, _clock) = fixture_at(at("2026-11-29", 23) + HOUR / 2).await;
    let admin = f.login("admin@northwind.test").await;
    let s = settings(&f, &admin).await;
    assert_eq!(
        (s.time_zone.as_str(), s.week_start),
        ("Europe/Berlin", WeekStart::MONDAY)
    );
    assert_eq!(s.today.date.to_string(), "2026-11-30");
    assert_eq!(s.local_time, "2026-11-30 00:30");
    assert!(s.zones.iter().any(|z| z == "Australia/Sydney"));
    assert_eq!(grid(&f, &admin).await.this_week, "2026-11-30");
    assert_eq!(timesheet(&f, &admin).await.week, "2026-11-30");
}

/// Weeks from Sunday: the planner, the timesheet and the close start their weeks on
/// Sunday at once — on this server and on another — booked hours move to the Sunday-week
/// holding the same working days, a Monday is no longer a week's first day, and the audit
/// log has the change. Back to Monday, the hours go back.
#[tokio::test]
async fn changing_the_week_start_to_sunday_moves_the_planners_weeks() {
    // Wednesday 2 December 2026, 13:00 in Berlin.
    let (f, _clock) = fixture_at(at("2026-12-02", 12)).await;
    let admin = f.login("admin@northwind.test").await;
    let ws = f.id("SELECT id FROM workspaces WHERE slug = 'demo'").await;
    let before = grid(&f, &admin).await;
    assert_eq!(
        (before.first_week.as_str(), before.this_week.as_str()),
        ("2026-11-30", "2026-11-30")
    );
    let booked = |g: &PlannerGrid| -> Vec<(i64, Vec<i64>)> {
        g.rows
            .iter()
            .map(|r| (r.person_id, r.weeks.iter().map(|w| w.confirmed).collect()))
            .collect()
    };
    assert!(
        booked(&before).iter().any(|(_, w)| w[0] > 0),
        "the demo books this week"
    );
    let rows_in = |week: &'static str| {
        format!("SELECT COUNT(*) FROM allocations WHERE workspace_id = {ws} AND week = '{week}'")
    };
    let mondays = f.id(&rows_in("2026-11-30")).await;
    assert!(mondays > 0);

    set_calendar(&f, &admin, "Europe/Berlin", "7").await;

    let after = grid(&f, &admin).await;
    assert_eq!(
        (after.first_week.as_str(), after.this_week.as_str()),
        ("2026-11-29", "2026-11-29")
    );
    assert_eq!(
        booked(&after),
        booked(&before),
        "the same hours, a day earlier"
    );
    assert_eq!(f.id(&rows_in("2026-11-29")).await, mondays);
    assert_eq!(f.id(&rows_in("2026-11-30")).await, 0);
    // Another server (no caches) agrees at once.
    let fresh = f.call_fresh("capacity_grid", "weeks=3", Some(&admin)).await;
    let fresh: PlannerGrid = serde_json::from_str(&fresh.body).unwrap();
    assert_eq!(fresh.first_week, "2026-11-29");
    // The timesheet's week and the close's week 0.
    assert_eq!(timesheet(&f, &admin).await.days[0], "2026-11-29");
    let deal = f
        .id(&format!(
            "SELECT MIN(d.id) FROM deals d JOIN stages s ON s.id = d.stage_id
             WHERE d.workspace_id = {ws} AND s.kind = 'open' AND d.archived_at IS NULL
               AND EXISTS (SELECT 1 FROM deal_estimate_lines l WHERE l.deal_id = d.id)"
        ))
        .await;
    let setup = f
        .call("close_setup", &format!("deal_id={deal}"), Some(&admin))
        .await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.body);
    let setup: serde_json::Value = serde_json::from_str(&setup.body).unwrap();
    assert_eq!(setup["first_week"], "2026-11-29");
    // The board's capacity badges are worked out against the rebuilt weeks.
    let board = f.call("list_board", "", Some(&admin)).await;
    assert_eq!(board.status, StatusCode::OK, "{}", board.body);
    assert!(board.body.contains("\"fit\":\""), "badges after the change");
    // A planner edit names a Sunday now.
    let person = f
        .id("SELECT person_id FROM users WHERE email = 'pm@northwind.test'")
        .await;
    let project = f
        .id(&format!(
            "SELECT MIN(id) FROM projects WHERE workspace_id = {ws} AND status IN ('planned', 'active')"
        ))
        .await;
    let edit = |week: &str| {
        format!("person_id={person}&target=project:{project}&week={week}&hours=0&version=0")
    };
    let monday = f
        .call("set_allocation", &edit("2026-12-07"), Some(&admin))
        .await;
    assert_eq!(monday.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        monday
            .body
            .contains("must be the first day of a week (a Sunday)"),
        "{}",
        monday.body
    );
    let sunday = f
        .call("set_allocation", &edit("2026-12-06"), Some(&admin))
        .await;
    assert_eq!(sunday.status, StatusCode::OK, "{}", sunday.body);
    // The audit log has who changed what.
    let audit = f.call("list_audit", "entity=workspace", Some(&admin)).await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.body);
    assert!(
        audit.body.contains("settings_changed") && audit.body.contains("Sunday"),
        "{}",
        audit.body
    );

    set_calendar(&f, &admin, "Europe/Berlin", "monday").await;
    assert_eq!(booked(&grid(&f, &admin).await), booked(&before));
    assert_eq!(f.id(&rows_in("2026-11-30")).await, mondays);
}

/// What is not a zone or a day is a field error, a stale version a conflict, and none of
/// them writes anything.
#[tokio::test]
async fn bad_zones_and_days_are_refused_with_their_field() {
    let f = fixture().await;
    let admin = f.login("admin@northwind.test").await;
    let version = settings(&f, &admin).await.version;
    let before = f.fingerprint().await;
    for (form, field, reason) in [
        (
            format!("time_zone=Mars%2FOlympus_Mons&week_start=1&version={version}"),
            "time_zone",
            "is not a known time zone",
        ),
        (
            format!("time_zone=&week_start=1&version={version}"),
            "time_zone",
            "is not a known time zone",
        ),
        (
            format!("time_zone=..%2F..%2Fetc%2Fpasswd&week_start=1&version={version}"),
            "time_zone",
            "is not a known time zone",
        ),
        (
            format!("time_zone=Europe%2FBerlin&week_start=8&version={version}"),
            "week_start",
            "must be a day of the week",
        ),
        (
            format!("time_zone=Europe%2FBerlin&week_start=someday&version={version}"),
            "week_start",
            "must be a day of the week",
        ),
    ] {
        let answer = f.call("set_workspace_calendar", &form, Some(&admin)).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{form}: {}",
            answer.body
        );
        assert!(
            answer.body.contains(&format!("\"field\":\"{field}\"")) && answer.body.contains(reason),
            "{form}: {}",
            answer.body
        );
    }
    let stale = f
        .call(
            "set_workspace_calendar",
            &format!(
                "time_zone=Asia%2FTokyo&week_start=1&version={}",
                version - 1
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert_eq!(f.fingerprint().await, before, "a refused change wrote");
    // A zone in any letter case is stored as the database spells it.
    let answer = f
        .call(
            "set_workspace_calendar",
            &format!("time_zone=asia%2Ftokyo&week_start=Sat&version={version}"),
            Some(&admin),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let s = settings(&f, &admin).await;
    assert_eq!(
        (s.time_zone.as_str(), s.week_start),
        ("Asia/Tokyo", WeekStart::SATURDAY)
    );
}
