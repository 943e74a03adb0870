//! The capacity planner: the grid, editing allocations, assigning ranges, time off.

use crate::common::{encode, fixture, Fixture};
use app::api::planner::{EditOutcome, PlannerGrid};
use app::domain::calendar::Date;
use app::domain::planner::DemandMode;
use axum::http::StatusCode;

fn week(n: i32) -> String {
    crate::common::demo_calendar()
        .this_week(app::server::context::now_ms())
        .add_days(7 * n)
        .to_string()
}

async fn grid(f: &Fixture, cookie: &str, demand: &str) -> PlannerGrid {
    let answer = f
        .call(
            "capacity_grid",
            &format!("from=&weeks=12&demand={demand}"),
            Some(cookie),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    serde_json::from_str(&answer.body).unwrap()
}

async fn ids(f: &Fixture) -> (i64, i64, i64, i64) {
    let person = f
        .id("SELECT p.id FROM people p JOIN users u ON u.person_id = p.id WHERE u.email = 'team@northwind.test'")
        .await;
    let project = f
        .id("SELECT p.id FROM projects p JOIN workspaces w ON w.id = p.workspace_id WHERE w.slug = 'demo' AND p.status = 'active' ORDER BY p.id LIMIT 1")
        .await;
    let foreign_person = f
        .id("SELECT p.id FROM people p JOIN workspaces w ON w.id = p.workspace_id WHERE w.slug = 'bluebird' LIMIT 1")
        .await;
    let foreign_project = f
        .id("SELECT p.id FROM projects p JOIN workspaces w ON w.id = p.workspace_id WHERE w.slug = 'bluebird' LIMIT 1")
        .await;
    (person, project, foreign_person, foreign_project)
}

#[tokio::test]
async fn the_grid_shows_everyone_to_planners_and_only_themselves_to_team_members() {
    let f = fixture().await;
    let pm = f.login("pm@northwind.test").await;
    let g = grid(&f, &pm, "off").await;
    let people = f
        .id("SELECT COUNT(*) FROM people p JOIN workspaces w ON w.id = p.workspace_id WHERE w.slug = 'demo' AND p.active = 1")
        .await;
    assert_eq!(g.rows.len() as i64, people);
    assert_eq!(g.weeks, 12);
    assert!(g.can_edit && g.whole_team);
    assert!(g.rows.iter().all(|r| r.weeks.len() == 12));
    assert_eq!(g.skill_weeks.len(), g.skills.len());
    // A person's booked minutes are their confirmed allocations that week.
    let row = g
        .rows
        .iter()
        .find(|r| r.weeks[0].confirmed > 0)
        .expect("someone is booked");
    let booked = f
        .id(&format!(
            "SELECT CAST(SUM(minutes) AS BIGINT) FROM allocations WHERE person_id = {} AND week = '{}' AND project_id IS NOT NULL",
            row.person_id,
            week(0)
        ))
        .await;
    assert_eq!(row.weeks[0].confirmed, booked);
    // Skill capacity is the sum of the available time of the people with the skill.
    let (i, skill) = g
        .skills
        .iter()
        .enumerate()
        .map(|(i, s)| (i, s.0))
        .next()
        .unwrap();
    let sum: i64 = g
        .rows
        .iter()
        .filter(|r| r.skills.contains(&skill))
        .map(|r| r.weeks[3].available)
        .sum();
    assert_eq!(g.skill_weeks[i][3].capacity, sum);

    // Pipeline demand: weighted adds some, pessimistic at least as much.
    let weighted = grid(&f, &pm, "weighted").await;
    let pessimistic = grid(&f, &pm, "pessimistic").await;
    assert_eq!(weighted.mode, DemandMode::Weighted);
    let total =
        |g: &PlannerGrid| -> i64 { g.skill_weeks.iter().flatten().map(|s| s.pipeline).sum() };
    assert!(total(&weighted) > 0);
    assert!(total(&pessimistic) > total(&weighted));
    assert_eq!(total(&g), 0);

    // A team member sees their own row only, read-only.
    let team = f.login("team@northwind.test").await;
    let mine = grid(&f, &team, "off").await;
    let (person, ..) = ids(&f).await;
    assert_eq!(mine.rows.len(), 1);
    assert_eq!(mine.rows[0].person_id, person);
    assert!(!mine.can_edit && !mine.whole_team);
    let other = g
        .rows
        .iter()
        .find(|r| r.person_id != person)
        .unwrap()
        .person_id;
    let peek = f
        .call(
            "capacity_cell",
            &format!("person_id={other}&week={}", week(0)),
            Some(&team),
        )
        .await;
    assert_eq!(peek.status, StatusCode::FORBIDDEN);
    let own = f
        .call(
            "capacity_cell",
            &format!("person_id={person}&week={}", week(0)),
            Some(&team),
        )
        .await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
}

#[tokio::test]
async fn a_cell_edit_is_versioned_and_written_with_its_event() {
    let f = fixture().await;
    let pm = f.login("pm@northwind.test").await;
    let (person, project, ..) = ids(&f).await;
    let w = week(20);
    let form = |hours: &str, version: i64| {
        format!(
            "person_id={person}&target=project%3A{project}&week={w}&hours={}&version={version}",
            encode(hours)
        )
    };
    let events = f.id("SELECT COUNT(*) FROM events").await;
    let set = f.call("set_allocation", &form("12.5", 0), Some(&pm)).await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    let (minutes, version): (i64, i64) = sqlx::query_as(
        "SELECT minutes, version FROM allocations WHERE person_id = $1 AND project_id = $2 AND week = $3",
    )
    .bind(person)
    .bind(project)
    .bind(&w)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    assert_eq!((minutes, version), (750, 1));
    assert_eq!(f.id("SELECT COUNT(*) FROM events").await, events + 1);
    // Someone else's stale view is a conflict.
    let stale = f.call("set_allocation", &form("30", 0), Some(&pm)).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    let more = f.call("set_allocation", &form("30", 1), Some(&pm)).await;
    assert_eq!(more.status, StatusCode::OK, "{}", more.body);
    // 0 removes it.
    let gone = f.call("set_allocation", &form("0", 2), Some(&pm)).await;
    assert_eq!(gone.status, StatusCode::OK, "{}", gone.body);
    assert_eq!(
        f.id(&format!(
            "SELECT COUNT(*) FROM allocations WHERE person_id = {person} AND project_id = {project} AND week = '{w}'"
        ))
        .await,
        0
    );
}

#[tokio::test]
async fn bad_planner_input_names_the_field_and_writes_nothing() {
    let f = fixture().await;
    let pm = f.login("pm@northwind.test").await;
    let (person, project, foreign_person, foreign_project) = ids(&f).await;
    let w = week(2);
    let tuesday = Date::parse(&w).unwrap().add_days(1).to_string();
    let far = week(200);
    let before = f.fingerprint().await;
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "set_allocation",
            format!("person_id={person}&target=project:{project}&week={w}&hours=-2&version=0"),
            "hours",
        ),
        (
            "set_allocation",
            format!("person_id={person}&target=project:{project}&week={w}&hours=169&version=0"),
            "hours",
        ),
        (
            "set_allocation",
            format!("person_id={person}&target=project:{project}&week={tuesday}&hours=8&version=0"),
            "week",
        ),
        (
            "set_allocation",
            format!("person_id={person}&target=project:{project}&week={far}&hours=8&version=0"),
            "week",
        ),
        (
            "set_allocation",
            format!("person_id={person}&target=project:{project}&week=soon&hours=8&version=0"),
            "week",
        ),
        (
            "set_allocation",
            format!(
                "person_id={person}&target=project:{foreign_project}&week={w}&hours=8&version=0"
            ),
            "target",
        ),
        (
            "set_allocation",
            format!("person_id={person}&target=client:1&week={w}&hours=8&version=0"),
            "target",
        ),
        (
            "assign_range",
            format!("person_id={person}&target=project:{project}&from_week={w}&weeks=0&hours=8"),
            "weeks",
        ),
        (
            "assign_range",
            format!("person_id={person}&target=project:{project}&from_week={w}&weeks=53&hours=8"),
            "weeks",
        ),
        (
            "assign_range",
            format!("person_id={person}&target=project:{project}&from_week={w}&weeks=4&hours=0"),
            "hours",
        ),
        (
            "add_time_off",
            format!("person_id={person}&starts_on={w}&ends_on={tuesday}&hours_per_day=25"),
            "hours_per_day",
        ),
        (
            "add_time_off",
            format!("person_id={person}&starts_on={tuesday}&ends_on={w}"),
            "ends_on",
        ),
        (
            "capacity_grid",
            "from=&weeks=53&demand=off".to_string(),
            "weeks",
        ),
    ];
    for (name, form, field) in cases {
        let answer = f.call(name, &form, Some(&pm)).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name} {form}: {}",
            answer.body
        );
        assert!(
            answer.body.contains(&format!("\"field\":\"{field}\"")),
            "{name} {form}: {}",
            answer.body
        );
    }
    // Another workspace's person is not found.
    for (name, form) in [
        (
            "set_allocation",
            format!(
                "person_id={foreign_person}&target=project:{project}&week={w}&hours=8&version=0"
            ),
        ),
        (
            "add_time_off",
            format!("person_id={foreign_person}&starts_on={w}&ends_on={tuesday}"),
        ),
        (
            "capacity_cell",
            format!("person_id={foreign_person}&week={w}"),
        ),
    ] {
        let answer = f.call(name, &form, Some(&pm)).await;
        assert_eq!(
            answer.status,
            StatusCode::NOT_FOUND,
            "{name}: {}",
            answer.body
        );
    }
    assert_eq!(f.fingerprint().await, before, "nothing was written");
}

#[tokio::test]
async fn assigning_a_range_and_time_off_show_in_the_grid_with_over_allocation_reported() {
    let f = fixture().await;
    let pm = f.login("pm@northwind.test").await;
    let (person, project, ..) = ids(&f).await;
    let capacity = f
        .id(&format!(
            "SELECT weekly_capacity_minutes FROM people WHERE id = {person}"
        ))
        .await;
    let from = week(30);
    let answer = f
        .call(
            "assign_range",
            &format!(
                "person_id={person}&target=project%3A{project}&from_week={from}&weeks=4&hours=30"
            ),
            Some(&pm),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let outcome: EditOutcome = serde_json::from_str(&answer.body).unwrap();
    assert!(outcome.over_allocated.is_empty() || capacity < 30 * 60);
    assert_eq!(
        f.id(&format!(
            "SELECT COUNT(*) FROM allocations WHERE person_id = {person} AND project_id = {project} AND week >= '{from}'"
        ))
        .await,
        4
    );
    // More than they have: allowed, and reported week by week.
    let over = f
        .call(
            "assign_range",
            &format!(
                "person_id={person}&target=project%3A{project}&from_week={from}&weeks=2&hours=60"
            ),
            Some(&pm),
        )
        .await;
    let outcome: EditOutcome = serde_json::from_str(&over.body).unwrap();
    assert_eq!(outcome.over_allocated, vec![week(30), week(31)]);
    // A week of time off.
    let friday = Date::parse(&week(31)).unwrap().add_days(4).to_string();
    let off = f
        .call(
            "add_time_off",
            &format!(
                "person_id={person}&starts_on={}&ends_on={friday}&hours_per_day=&reason=Holiday",
                week(31)
            ),
            Some(&pm),
        )
        .await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    let g: PlannerGrid = serde_json::from_str(
        &f.call(
            "capacity_grid",
            &format!("from={from}&weeks=4&demand=off"),
            Some(&pm),
        )
        .await
        .body,
    )
    .unwrap();
    let row = g.rows.iter().find(|r| r.person_id == person).unwrap();
    assert_eq!(row.weeks[0].confirmed, 60 * 60);
    assert_eq!(row.weeks[1].time_off, capacity);
    assert_eq!(row.weeks[1].available, 0);
    assert_eq!(row.weeks[2].confirmed, 30 * 60);
    assert_eq!(format!("{:?}", row.weeks[1].utilisation), "Over");
    // Removing it, with its version.
    let (id, version): (i64, i64) = sqlx::query_as(
        "SELECT id, version FROM time_off WHERE person_id = $1 AND reason = 'Holiday'",
    )
    .bind(person)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    let stale = f
        .call(
            "remove_time_off",
            &format!("time_off_id={id}&version={}", version + 1),
            Some(&pm),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    let removed = f
        .call(
            "remove_time_off",
            &format!("time_off_id={id}&version={version}"),
            Some(&pm),
        )
        .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
}

/// One open deal's need for one skill, from the grid.
#[derive(Debug, Clone)]
struct Line {
    deal_id: i64,
    skill: i64,
    start_week: i64,
    weeks: u32,
    minutes_per_week: i64,
}

#[tokio::test]
async fn unassigned_demand_becomes_someones_tentative_allocation() {
    let f = fixture().await;
    let pm = f.login("pm@northwind.test").await;
    let before = grid(&f, &pm, "pessimistic").await;
    let mut chosen = None;
    let lines: Vec<Line> = before
        .open_deals
        .iter()
        .flat_map(|d| {
            d.demand.lines.iter().map(|&(skill, minutes)| Line {
                deal_id: d.demand.deal_id,
                skill,
                start_week: d.demand.start_week,
                weeks: d.demand.weeks,
                minutes_per_week: minutes / i64::from(d.demand.weeks),
            })
        })
        .collect();
    for l in lines.iter().filter(|l| {
        l.start_week >= 0 && l.start_week + i64::from(l.weeks) <= 12 && l.minutes_per_week >= 60
    }) {
        let assigned = f
            .id(&format!(
                "SELECT COUNT(*) FROM allocations WHERE deal_id = {}",
                l.deal_id
            ))
            .await;
        let person = before
            .rows
            .iter()
            .find(|r| r.skills == vec![l.skill])
            .map(|r| r.person_id);
        if let (0, Some(person)) = (assigned, person) {
            chosen = Some((l.clone(), person));
            break;
        }
    }
    let (line, person) = chosen.expect("an unstaffed open deal in the window");
    let skill_index = before
        .skills
        .iter()
        .position(|s| s.0 == line.skill)
        .unwrap();
    let w = line.start_week as usize;
    let unassigned_before = before.skill_weeks[skill_index][w].unassigned;
    let answer = f
        .call(
            "assign_range",
            &format!(
                "person_id={person}&target=deal%3A{}&from_week={}&weeks={}&hours=1",
                line.deal_id,
                week(line.start_week as i32),
                line.weeks
            ),
            Some(&pm),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(
        f.id(&format!(
            "SELECT COUNT(*) FROM allocations WHERE deal_id = {} AND person_id = {person}",
            line.deal_id
        ))
        .await
            >= i64::from(line.weeks)
    );
    let after = grid(&f, &pm, "pessimistic").await;
    assert_eq!(
        after.skill_weeks[skill_index][w].unassigned,
        (unassigned_before - 60).max(0),
        "an hour of that week is now someone's"
    );
}

/// The board's capacity badges as (deal, verdict), from `list_board`'s answer.
fn badges(body: &str) -> Vec<(i64, String)> {
    let board: serde_json::Value = serde_json::from_str(body).unwrap();
    let mut out: Vec<(i64, String)> = board["columns"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["cards"].as_array().unwrap().clone())
        .filter(|card| !card["fit"].is_null())
        .map(|card| (card["id"].as_i64().unwrap(), card["fit"].to_string()))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn remembered_capacity_badges_match_fresh_ones_after_every_kind_of_change() {
    let f = crate::common::fixture().await;
    let pm = f.login("pm@northwind.test").await;
    let before = badges(&f.call("list_board", "", Some(&pm)).await.body);
    assert!(before.len() >= 3, "the demo has badges: {before:?}");
    let monday = crate::common::demo_calendar().this_week(app::server::context::now_ms());
    let ws = f.id("SELECT id FROM workspaces WHERE slug = 'demo'").await;
    let project = f
        .id(&format!(
            "SELECT id FROM projects WHERE workspace_id = {ws} ORDER BY id LIMIT 1"
        ))
        .await;
    // Fill half the team's next thirty weeks, change one deal's estimate and another's
    // start: each through SQL, as another server would.
    let people: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM people WHERE workspace_id = $1 AND id % 2 = 0 ORDER BY id",
    )
    .bind(ws)
    .fetch_all(&f.pool)
    .await
    .unwrap();
    for person in &people {
        for k in 0..30 {
            let week = monday.add_days(7 * k).to_string();
            sqlx::query(
                "DELETE FROM allocations WHERE person_id = $1 AND project_id = $2 AND week = $3",
            )
            .bind(person)
            .bind(project)
            .bind(&week)
            .execute(&f.pool)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO allocations (workspace_id, person_id, project_id, week, minutes, created_at)
                 VALUES ($1, $2, $3, $4, 6000, 0)",
            )
            .bind(ws)
            .bind(person)
            .bind(project)
            .bind(&week)
            .execute(&f.pool)
            .await
            .unwrap();
        }
    }
    let deals: Vec<i64> = before.iter().map(|(id, _)| *id).collect();
    sqlx::query("UPDATE deal_estimate_lines SET minutes = minutes * 4 WHERE deal_id = $1")
        .bind(deals[0])
        .execute(&f.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE deals SET planned_start_on = $1 WHERE id = $2")
        .bind(monday.add_days(14).to_string())
        .bind(deals[1])
        .execute(&f.pool)
        .await
        .unwrap();
    let after_warm = badges(&f.call("list_board", "", Some(&pm)).await.body);
    // A server that never saw the board before answers the same badges.
    let fresh = f.call_fresh("list_board", "", Some(&pm)).await;
    let after_fresh = badges(&fresh.body);
    assert_eq!(after_warm, after_fresh);
    assert_ne!(before, after_warm, "the changes moved some badge");
}
