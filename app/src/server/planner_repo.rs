//! The capacity planner in the database: loading the grid, and writing allocations and
//! time off with their events.

use crate::domain::calendar::Date;
use crate::domain::permissions::Permission;
use crate::domain::planner::{self, Booking, DealDemand, DemandMode, PlannerPerson};
use crate::error::AppError;
use crate::server::context::{self, Caller};
use crate::server::events;
use crate::shared::live::LiveEvent;
use crate::shared::planner::{
    CellAllocation, CellDetail, EditOutcome, PlannerGrid, PlannerRow, TimeOff,
};
use sqlx::SqliteConnection;

/// The first day of this week.
pub fn this_week(now_ms: i64) -> Date {
    Date::from_unix_ms(now_ms).week_start(1)
}

/// A date that must be the first day of a week.
pub fn monday(field: &str, text: &str) -> Result<Date, AppError> {
    let date = Date::parse(text.trim())
        .ok_or_else(|| AppError::invalid(field, "must be a date like 2027-01-11"))?;
    if date.week_start(1) != date {
        return Err(AppError::invalid(
            field,
            "must be the first day of a week (a Monday)",
        ));
    }
    Ok(date)
}

/// Edits reach from a year back to two years ahead.
pub fn in_range(week: Date, now_ms: i64) -> Result<(), AppError> {
    let days = this_week(now_ms).days_until(week);
    if !(-52 * 7..=104 * 7).contains(&days) {
        return Err(AppError::invalid(
            "week",
            "must be within a year back and two years ahead",
        ));
    }
    Ok(())
}

/// The week to start the planner at: the week containing `from`, or this week.
pub fn week_from(from: &str, now_ms: i64) -> Result<Date, AppError> {
    if from.trim().is_empty() {
        return Ok(this_week(now_ms));
    }
    let date = Date::parse(from.trim())
        .ok_or_else(|| AppError::invalid("from", "must be a date like 2027-01-11"))?
        .week_start(1);
    in_range(date, now_ms)
        .map_err(|_| AppError::invalid("from", "must be within a year back and two years ahead"))?;
    Ok(date)
}

/// Whether the caller sees everyone's row (planners, sales, delivery) or only their own.
pub fn sees_whole_team(caller: &Caller) -> bool {
    caller.can(Permission::ManageCapacity)
        || caller.can(Permission::EditDeals)
        || caller.can(Permission::CloseDeals)
        || caller.can(Permission::ManageProjects)
}

/// Refuses people of other workspaces (404) and, for callers who see only their own row,
/// anyone else (403).
pub async fn visible_person(
    conn: &mut SqliteConnection,
    caller: &Caller,
    person_id: i64,
) -> Result<(), AppError> {
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT id FROM people WHERE id = $1 AND workspace_id = $2")
            .bind(person_id)
            .bind(caller.workspace_id)
            .fetch_optional(&mut *conn)
            .await?;
    exists.ok_or(AppError::NotFound)?;
    if !sees_whole_team(caller) && context::own_person(conn, caller).await? != Some(person_id) {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// Loads and computes the planner.
pub async fn grid(
    conn: &mut SqliteConnection,
    caller: &Caller,
    first: Date,
    weeks: u32,
    mode: DemandMode,
    whole_team: bool,
) -> Result<PlannerGrid, AppError> {
    let ws = caller.workspace_id;
    let end = first.add_days(7 * weeks as i32);
    let week_of = |text: &str| {
        Date::parse(text)
            .map(|d| first.days_until(d.week_start(1)))
            .filter(|days| *days >= 0 && *days < 7 * weeks as i32)
            .map(|days| (days / 7) as u32)
    };
    let only = if whole_team {
        None
    } else {
        Some(context::own_person(&mut *conn, caller).await?.unwrap_or(-1))
    };

    let mut skills: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, name FROM skills WHERE workspace_id = $1")
            .bind(ws)
            .fetch_all(&mut *conn)
            .await?;
    skills.sort_by(|a, b| a.1.cmp(&b.1));
    let people_rows: Vec<(i64, String, i64)> = sqlx::query_as(
        "SELECT id, name, weekly_capacity_minutes FROM people WHERE workspace_id = $1 AND active = 1",
    )
    .bind(ws)
    .fetch_all(&mut *conn)
    .await?;
    let person_skills: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT person_id, skill_id FROM person_skills WHERE workspace_id = $1 ORDER BY person_id, skill_id",
    )
    .bind(ws)
    .fetch_all(&mut *conn)
    .await?;
    let mut people: Vec<PlannerPerson> = people_rows
        .into_iter()
        .filter(|(id, ..)| only.is_none_or(|o| o == *id))
        .map(|(id, name, weekly_capacity)| PlannerPerson {
            id,
            name,
            skills: Vec::new(),
            weekly_capacity,
            time_off: Vec::new(),
        })
        .collect();
    people.sort_by_key(|p| p.id);
    let find = |people: &[PlannerPerson], id: i64| people.binary_search_by_key(&id, |p| p.id).ok();
    for (person, skill) in person_skills {
        if let Some(i) = find(&people, person) {
            people[i].skills.push(skill);
        }
    }
    // Group under the first skill by name.
    let rank = |skill: i64| {
        skills
            .iter()
            .position(|(s, _)| *s == skill)
            .unwrap_or(usize::MAX)
    };
    for p in &mut people {
        p.skills.sort_by_key(|s| rank(*s));
    }

    let off: Vec<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT person_id, starts_on, ends_on, minutes_per_day FROM time_off
         WHERE workspace_id = $1 AND ends_on >= $2 AND starts_on < $3",
    )
    .bind(ws)
    .bind(first.to_string())
    .bind(end.to_string())
    .fetch_all(&mut *conn)
    .await?;
    for (person, starts, ends, per_day) in off {
        let (Some(i), Some(from), Some(to)) = (
            find(&people, person),
            Date::parse(&starts),
            Date::parse(&ends),
        ) else {
            continue;
        };
        let mut day = from.max(first);
        let to = to.min(end.add_days(-1));
        while day <= to {
            if day.iso_weekday() <= 5 {
                if let Some(w) = week_of(&day.to_string()) {
                    match people[i].time_off.iter_mut().find(|(x, _)| *x == w) {
                        Some((_, m)) => *m += per_day,
                        None => people[i].time_off.push((w, per_day)),
                    }
                }
            }
            day = day.add_days(1);
        }
    }

    type BookingRow = (i64, String, i64, Option<i64>, Option<i64>);
    let rows: Vec<BookingRow> = sqlx::query_as(
        "SELECT a.person_id, a.week, a.minutes, a.deal_id,
                CASE WHEN a.deal_id IS NULL THEN NULL
                     ELSE COALESCE(d.probability_override_pct, s.probability_pct) END
         FROM allocations a
         LEFT JOIN deals d ON d.id = a.deal_id
         LEFT JOIN stages s ON s.id = d.stage_id
         WHERE a.workspace_id = $1 AND a.week >= $2 AND a.week < $3
           AND (a.deal_id IS NULL OR (s.kind = 'open' AND d.archived_at IS NULL))",
    )
    .bind(ws)
    .bind(first.to_string())
    .bind(end.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let bookings: Vec<Booking> = rows
        .into_iter()
        .filter_map(|(person_id, week, minutes, deal_id, pct)| {
            Some(Booking {
                person_id,
                week: week_of(&week)?,
                minutes,
                tentative_pct: deal_id.map(|_| pct.unwrap_or(0)),
                deal_id,
            })
        })
        .collect();

    // Open deals whose planned weeks meet the window.
    let deal_rows: Vec<(i64, String, String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT d.id, d.title, d.planned_start_on, d.planned_weeks,
                COALESCE(d.probability_override_pct, s.probability_pct), l.skill_id, l.minutes
         FROM deals d JOIN stages s ON s.id = d.stage_id
         JOIN deal_estimate_lines l ON l.deal_id = d.id
         WHERE d.workspace_id = $1 AND s.kind = 'open' AND d.archived_at IS NULL
           AND d.planned_start_on IS NOT NULL AND d.planned_start_on < $2
         ORDER BY d.id, l.skill_id",
    )
    .bind(ws)
    .bind(end.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut deals: Vec<DealDemand> = Vec::new();
    let mut deal_names: Vec<(i64, String)> = Vec::new();
    for (id, title, start, weeks_n, pct, skill, minutes) in deal_rows {
        let Some(start) = Date::parse(&start) else {
            continue;
        };
        let start_week = i64::from(first.days_until(start.week_start(1))) / 7;
        if start_week + weeks_n <= 0 {
            continue;
        }
        match deals.last_mut() {
            Some(d) if d.deal_id == id => d.lines.push((skill, minutes)),
            _ => {
                deal_names.push((id, title));
                deals.push(DealDemand {
                    deal_id: id,
                    probability_pct: pct,
                    start_week,
                    weeks: weeks_n.clamp(1, 104) as u32,
                    lines: vec![(skill, minutes)],
                });
            }
        }
    }

    let title_of = |id: i64| {
        deal_names
            .iter()
            .find(|(d, _)| *d == id)
            .map(|(_, t)| t.clone())
            .unwrap_or_default()
    };
    let pipeline = deals
        .iter()
        .flat_map(|d| {
            d.lines
                .iter()
                .map(move |&(skill, minutes)| (d, skill, minutes))
        })
        .map(|(d, skill, minutes)| crate::shared::planner::PipelineLine {
            deal_id: d.deal_id,
            title: title_of(d.deal_id),
            skill,
            start_week: d.start_week,
            weeks: d.weeks,
            minutes_per_week: minutes / i64::from(d.weeks.max(1)),
            probability_pct: d.probability_pct,
        })
        .collect();
    let skill_ids: Vec<i64> = skills.iter().map(|(id, _)| *id).collect();
    let numbers = planner::compute(weeks, &skill_ids, &people, &bookings, &deals, mode);
    let mut rows: Vec<PlannerRow> = people
        .into_iter()
        .zip(numbers.people)
        .map(|(p, weeks)| PlannerRow {
            person_id: p.id,
            name: p.name,
            skills: p.skills,
            weeks,
        })
        .collect();
    rows.sort_by(|a, b| {
        let group = |r: &PlannerRow| r.skills.first().map(|s| rank(*s)).unwrap_or(usize::MAX);
        group(a).cmp(&group(b)).then_with(|| a.name.cmp(&b.name))
    });
    let projects = sqlx::query_as(
        "SELECT id, name FROM projects WHERE workspace_id = $1 AND status IN ('planned', 'active', 'on_hold')
         ORDER BY name",
    )
    .bind(ws)
    .fetch_all(&mut *conn)
    .await?;
    deal_names.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(PlannerGrid {
        first_week: first.to_string(),
        this_week: String::new(),
        weeks,
        mode,
        skills,
        skill_weeks: numbers.skills,
        rows,
        can_edit: caller.can(Permission::ManageCapacity),
        whole_team: only.is_none(),
        projects,
        deals: deal_names,
        pipeline,
        seq: 0,
    })
}

/// One person's week in detail.
pub async fn cell(
    conn: &mut SqliteConnection,
    caller: &Caller,
    person_id: i64,
    week: Date,
) -> Result<CellDetail, AppError> {
    let (name, weekly_capacity): (String, i64) = sqlx::query_as(
        "SELECT name, weekly_capacity_minutes FROM people WHERE id = $1 AND workspace_id = $2",
    )
    .bind(person_id)
    .bind(caller.workspace_id)
    .fetch_one(&mut *conn)
    .await?;
    let allocations: Vec<CellAllocation> = sqlx::query_as(
        "SELECT a.project_id, a.deal_id, COALESCE(p.name, d.title) AS name, a.minutes, a.version
         FROM allocations a
         LEFT JOIN projects p ON p.id = a.project_id
         LEFT JOIN deals d ON d.id = a.deal_id
         WHERE a.person_id = $1 AND a.workspace_id = $2 AND a.week = $3
         ORDER BY a.deal_id IS NOT NULL, name",
    )
    .bind(person_id)
    .bind(caller.workspace_id)
    .bind(week.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let time_off: Vec<TimeOff> = sqlx::query_as(
        "SELECT id, starts_on, ends_on, minutes_per_day, reason, version FROM time_off
         WHERE person_id = $1 AND workspace_id = $2 AND ends_on >= $3
         ORDER BY starts_on LIMIT 20",
    )
    .bind(person_id)
    .bind(caller.workspace_id)
    .bind(week.to_string())
    .fetch_all(&mut *conn)
    .await?;
    Ok(CellDetail {
        person_id,
        name,
        week: week.to_string(),
        weekly_capacity,
        allocations,
        time_off,
    })
}

/// Hours for a person on a project or deal over weeks.
pub struct Assignment<'a> {
    /// Person.
    pub person_id: i64,
    /// `project:ID` or `deal:ID`.
    pub target: &'a str,
    /// First week.
    pub from: Date,
    /// Weeks.
    pub weeks: u32,
    /// Minutes a week (0 removes).
    pub minutes: i64,
    /// The allocation's version for a single-cell edit (0: there is none yet); `None` for
    /// a range, which sets every week.
    pub version: Option<i64>,
}

/// Writes an assignment in one transaction with one event, then tells every planner.
pub async fn write_allocations(
    caller: &Caller,
    a: Assignment<'_>,
    now_ms: i64,
) -> Result<EditOutcome, AppError> {
    let state = context::state()?;
    let ws = caller.workspace_id;
    let (kind, id) = a
        .target
        .split_once(':')
        .and_then(|(k, id)| Some((k, id.parse::<i64>().ok()?)))
        .filter(|(k, _)| *k == "project" || *k == "deal")
        .ok_or_else(|| AppError::invalid("target", "must be project:ID or deal:ID"))?;
    let mut tx = state.db.write().await?;
    let person: Option<(String, i64)> = sqlx::query_as(
        "SELECT name, weekly_capacity_minutes FROM people WHERE id = $1 AND workspace_id = $2 AND active = 1",
    )
    .bind(a.person_id)
    .bind(ws)
    .fetch_optional(&mut *tx)
    .await?;
    // The person is what is being edited: another workspace's is not found.
    let (person_name, _) = person.ok_or(AppError::NotFound)?;
    let target_name: Option<String> = if kind == "project" {
        sqlx::query_scalar(
            "SELECT name FROM projects WHERE id = $1 AND workspace_id = $2 AND status IN ('planned', 'active', 'on_hold')",
        )
        .bind(id)
        .bind(ws)
        .fetch_optional(&mut *tx)
        .await?
    } else {
        sqlx::query_scalar(
            "SELECT d.title FROM deals d JOIN stages s ON s.id = d.stage_id
             WHERE d.id = $1 AND d.workspace_id = $2 AND s.kind = 'open' AND d.archived_at IS NULL",
        )
        .bind(id)
        .bind(ws)
        .fetch_optional(&mut *tx)
        .await?
    };
    let target_name = target_name.ok_or_else(|| {
        AppError::invalid(
            "target",
            "is not a running project or an open deal of this workspace",
        )
    })?;
    let column = if kind == "project" {
        "project_id"
    } else {
        "deal_id"
    };
    let mut before = Vec::new();
    for k in 0..a.weeks {
        let week = a.from.add_days(7 * k as i32).to_string();
        let existing: Option<(i64, i64, i64)> = sqlx::query_as(&format!(
            "SELECT id, minutes, version FROM allocations WHERE person_id = $1 AND {column} = $2 AND week = $3"
        ))
        .bind(a.person_id)
        .bind(id)
        .bind(&week)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(expected) = a.version {
            let current = existing.map(|e| e.2).unwrap_or(0);
            if current != expected {
                return Err(AppError::Conflict(format!(
                    "someone else changed {person_name}'s hours on {target_name} that week; the planner shows them now"
                )));
            }
        }
        before.push(existing.map(|e| e.1).unwrap_or(0));
        match (existing, a.minutes) {
            (Some((row, ..)), 0) => {
                sqlx::query("DELETE FROM allocations WHERE id = $1")
                    .bind(row)
                    .execute(&mut *tx)
                    .await?;
            }
            (Some((row, ..)), minutes) => {
                sqlx::query(
                    "UPDATE allocations SET minutes = $1, version = version + 1 WHERE id = $2",
                )
                .bind(minutes)
                .bind(row)
                .execute(&mut *tx)
                .await?;
            }
            (None, 0) => {}
            (None, minutes) => {
                sqlx::query(&format!(
                    "INSERT INTO allocations (workspace_id, person_id, {column}, week, minutes, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6)"
                ))
                .bind(ws)
                .bind(a.person_id)
                .bind(id)
                .bind(&week)
                .bind(minutes)
                .bind(now_ms)
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    let seq = events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: ws,
            actor_user_id: Some(caller.user_id),
            entity: "allocation",
            entity_id: a.person_id,
            action: if a.weeks == 1 { "set" } else { "assigned" },
            before: Some(serde_json::json!({ "minutes": before })),
            after: Some(serde_json::json!({
                "person": person_name, "target": a.target, "on": target_name,
                "from": a.from.to_string(), "weeks": a.weeks, "minutes": a.minutes,
            })),
        },
        now_ms,
    )
    .await?;
    let over = over_allocated(&mut tx, ws, a.person_id, a.from, a.weeks).await?;
    tx.commit().await?;
    state.live.publish(ws, LiveEvent::Capacity { seq });
    Ok(EditOutcome {
        over_allocated: over,
    })
}

/// The weeks from `from` (for `weeks`) in which a person's confirmed and tentative work
/// exceeds their capacity minus time off.
async fn over_allocated(
    conn: &mut SqliteConnection,
    ws: i64,
    person_id: i64,
    from: Date,
    weeks: u32,
) -> Result<Vec<String>, AppError> {
    let capacity: i64 =
        sqlx::query_scalar("SELECT weekly_capacity_minutes FROM people WHERE id = $1")
            .bind(person_id)
            .fetch_one(&mut *conn)
            .await?;
    let end = from.add_days(7 * weeks as i32);
    let booked: Vec<(String, i64)> = sqlx::query_as(
        "SELECT week, SUM(minutes) FROM allocations
         WHERE person_id = $1 AND workspace_id = $2 AND week >= $3 AND week < $4 GROUP BY week",
    )
    .bind(person_id)
    .bind(ws)
    .bind(from.to_string())
    .bind(end.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let off: Vec<(String, String, i64)> = sqlx::query_as(
        "SELECT starts_on, ends_on, minutes_per_day FROM time_off
         WHERE person_id = $1 AND ends_on >= $2 AND starts_on < $3",
    )
    .bind(person_id)
    .bind(from.to_string())
    .bind(end.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for (week, minutes) in booked {
        let Some(monday) = Date::parse(&week) else {
            continue;
        };
        let mut away = 0;
        for (s, e, per_day) in &off {
            let (Some(s), Some(e)) = (Date::parse(s), Date::parse(e)) else {
                continue;
            };
            for d in 0..5 {
                let day = monday.add_days(d);
                if s <= day && day <= e {
                    away += per_day;
                }
            }
        }
        if minutes > (capacity - away).max(0) {
            out.push(week);
        }
    }
    Ok(out)
}

/// Adds time off (see the `add_time_off` server function).
pub async fn add_time_off(
    caller: &Caller,
    person_id: i64,
    starts_on: &str,
    ends_on: &str,
    hours_per_day: &str,
    reason: &str,
    now_ms: i64,
) -> Result<(), AppError> {
    let starts = Date::parse(starts_on.trim())
        .ok_or_else(|| AppError::invalid("starts_on", "must be a date like 2027-01-11"))?;
    let ends = Date::parse(ends_on.trim())
        .ok_or_else(|| AppError::invalid("ends_on", "must be a date like 2027-01-15"))?;
    if ends < starts {
        return Err(AppError::invalid(
            "ends_on",
            "must not be before the first day",
        ));
    }
    if starts.days_until(ends) > 366 {
        return Err(AppError::invalid(
            "ends_on",
            "time off is entered a year at a time at most",
        ));
    }
    in_range(starts.week_start(1), now_ms).map_err(|_| {
        AppError::invalid(
            "starts_on",
            "must be within a year back and two years ahead",
        )
    })?;
    let reason = crate::domain::validate::optional_text("reason", reason, 200)?;
    let state = context::state()?;
    let ws = caller.workspace_id;
    let mut tx = state.db.write().await?;
    let person: Option<(String, i64)> = sqlx::query_as(
        "SELECT name, weekly_capacity_minutes FROM people WHERE id = $1 AND workspace_id = $2",
    )
    .bind(person_id)
    .bind(ws)
    .fetch_optional(&mut *tx)
    .await?;
    let (name, capacity) = person.ok_or(AppError::NotFound)?;
    let per_day = if hours_per_day.trim().is_empty() {
        capacity / 5
    } else {
        crate::domain::validate::hours("hours_per_day", hours_per_day, 24)?
    };
    if per_day == 0 {
        return Err(AppError::invalid("hours_per_day", "must be more than 0"));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO time_off (workspace_id, person_id, starts_on, ends_on, minutes_per_day, reason, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(ws)
    .bind(person_id)
    .bind(starts.to_string())
    .bind(ends.to_string())
    .bind(per_day)
    .bind((!reason.is_empty()).then_some(&reason))
    .bind(now_ms)
    .fetch_one(&mut *tx)
    .await?;
    let seq = events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: ws,
            actor_user_id: Some(caller.user_id),
            entity: "time_off",
            entity_id: id,
            action: "added",
            before: None,
            after: Some(serde_json::json!({
                "person": name, "starts_on": starts.to_string(), "ends_on": ends.to_string(),
                "minutes_per_day": per_day, "reason": reason,
            })),
        },
        now_ms,
    )
    .await?;
    tx.commit().await?;
    state.live.publish(ws, LiveEvent::Capacity { seq });
    Ok(())
}

/// Removes time off (see the `remove_time_off` server function).
pub async fn remove_time_off(
    caller: &Caller,
    time_off_id: i64,
    version: i64,
    now_ms: i64,
) -> Result<(), AppError> {
    let state = context::state()?;
    let ws = caller.workspace_id;
    let mut tx = state.db.write().await?;
    let row: Option<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT version, starts_on, ends_on, person_id FROM time_off WHERE id = $1 AND workspace_id = $2",
    )
    .bind(time_off_id)
    .bind(ws)
    .fetch_optional(&mut *tx)
    .await?;
    let (current, starts, ends, person) = row.ok_or(AppError::NotFound)?;
    if current != version {
        return Err(AppError::Conflict(
            "someone else changed this time off; the planner shows it now".into(),
        ));
    }
    sqlx::query("DELETE FROM time_off WHERE id = $1")
        .bind(time_off_id)
        .execute(&mut *tx)
        .await?;
    let seq = events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: ws,
            actor_user_id: Some(caller.user_id),
            entity: "time_off",
            entity_id: time_off_id,
            action: "removed",
            before: Some(
                serde_json::json!({ "person_id": person, "starts_on": starts, "ends_on": ends }),
            ),
            after: None,
        },
        now_ms,
    )
    .await?;
    tx.commit().await?;
    state.live.publish(ws, LiveEvent::Capacity { seq });
    Ok(())
}
