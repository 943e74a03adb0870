//! The capacity planner's reads and edits: who sees which rows, the grid built from the
//! database's rows and the domain's numbers (with pipeline demand on, the odds of being
//! over capacity too), a person's week, the allocation and time off edits — each written
//! in one transaction with its event and announced to every planner after commit — and
//! applying a what-if, deal by deal, through the deal changes of `deal_service`.

use crate::domain::calendar::{Date, Today};
use crate::domain::permissions::Permission;
use crate::domain::planner::{
    self, AllocationTarget, Booking, DealDemand, DemandMode, PlannerPerson,
};
use crate::domain::what_if::{self, DealChange, Outcome};
use crate::error::AppError;
use crate::server::context::{self, Caller};
use crate::server::db::Conn;
use crate::server::planner_repo::{self, BookingRow, DealLineRow, TimeOffRow};
use crate::server::{board_repo, deal_service, events};
use crate::shared::live::LiveEvent;
use crate::shared::planner::{
    CellDetail, EditOutcome, OpenDeal, PlannerGrid, PlannerRow, WhatIfFailure, WhatIfOutcome,
};

/// Whether the caller sees everyone's row (planners, sales, delivery, and whoever approves
/// blocked closes: they judge the team's hours) or only their own.
fn sees_whole_team(caller: &Caller) -> bool {
    caller.can(Permission::ManageCapacity)
        || caller.can(Permission::OverrideChecks)
        || caller.can(Permission::EditDeals)
        || caller.can(Permission::CloseDeals)
        || caller.can(Permission::ManageProjects)
}

/// The planner for `weeks` weeks from `first`, with open deals counted as `mode` says:
/// everyone's rows, or only the caller's own for those who only log time. Weeks start on
/// the workspace's week start (`today`'s).
pub async fn grid(
    caller: &Caller,
    first: Date,
    weeks: u32,
    mode: DemandMode,
    today: Today,
) -> Result<PlannerGrid, AppError> {
    let mut conn = context::read().await?;
    // The event number first: a change committed while the grid loads is replayed.
    let seq = board_repo::latest_seq(&mut *conn, caller.workspace_id).await?;
    let only = if sees_whole_team(caller) {
        None
    } else {
        Some(context::own_person(&mut conn, caller).await?.unwrap_or(-1))
    };
    let window = Window {
        first,
        weeks,
        today,
    };
    let mut grid = load_grid(&mut conn, caller, window, mode, only).await?;
    grid.this_week = today.this_week().to_string();
    grid.seq = seq;
    Ok(grid)
}

/// The weeks the grid shows.
#[derive(Debug, Clone, Copy)]
struct Window {
    /// The first week's first day.
    first: Date,
    /// How many weeks.
    weeks: u32,
    /// Today, and the day weeks start on.
    today: Today,
}

impl Window {
    /// The day after the last week.
    fn end(self) -> Date {
        self.first.add_days(7 * self.weeks as i32)
    }

    /// The index of the week containing the date `text`, if the window shows it.
    fn week_of(self, text: &str) -> Option<u32> {
        Date::parse(text)
            .map(|d| self.first.days_until(self.today.week_of(d)))
            .filter(|days| *days >= 0 && *days < 7 * self.weeks as i32)
            .map(|days| (days / 7) as u32)
    }
}

/// Loads the window's rows and computes the grid (`only`: the one person shown).
async fn load_grid(
    conn: &mut Conn,
    caller: &Caller,
    window: Window,
    mode: DemandMode,
    only: Option<i64>,
) -> Result<PlannerGrid, AppError> {
    let ws = caller.workspace_id;
    let (first, end) = (window.first, window.end());
    let (skills, mut people) = team(conn, ws, only).await?;
    let off = planner_repo::time_off_between(conn, ws, first, end).await?;
    spread_time_off(&mut people, off, window);
    let bookings = bookings(planner_repo::bookings(conn, ws, first, end).await?, window);
    let (deals, about) = deal_demand(planner_repo::pipeline_lines(conn, ws, end).await?, window);
    let skill_ids: Vec<i64> = skills.iter().map(|(id, _)| *id).collect();
    let numbers = planner::compute(window.weeks, &skill_ids, &people, &bookings, &deals, mode);
    // The odds only with pipeline demand on, and only over the whole team.
    let odds = if mode != DemandMode::Off && only.is_none() {
        crate::domain::odds::odds(window.weeks, &skill_ids, &numbers.skills, &deals)
    } else {
        Vec::new()
    };
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
        let group = |r: &PlannerRow| {
            r.skills
                .first()
                .map(|s| rank(&skills, *s))
                .unwrap_or(usize::MAX)
        };
        group(a).cmp(&group(b)).then_with(|| a.name.cmp(&b.name))
    });
    let projects = planner_repo::running_projects(conn, ws).await?;
    let open_deals = deals
        .into_iter()
        .zip(about)
        .map(|(demand, (title, client, version))| OpenDeal {
            demand,
            title,
            client,
            version,
        })
        .collect();
    Ok(PlannerGrid {
        first_week: first.to_string(),
        this_week: String::new(),
        weeks: window.weeks,
        mode,
        skills,
        skill_weeks: numbers.skills,
        rows,
        can_edit: caller.can(Permission::ManageCapacity),
        whole_team: only.is_none(),
        projects,
        open_deals,
        assigned: if mode == DemandMode::Off {
            Vec::new()
        } else {
            numbers.assigned
        },
        odds,
        can_apply: caller.can(Permission::EditDeals),
        seq: 0,
    })
}

/// Where `skill` stands among the skills by name (unknown skills last).
fn rank(skills: &[(i64, String)], skill: i64) -> usize {
    skills
        .iter()
        .position(|(s, _)| *s == skill)
        .unwrap_or(usize::MAX)
}

/// The index of person `id` among `people` sorted by id.
fn find(people: &[PlannerPerson], id: i64) -> Option<usize> {
    people.binary_search_by_key(&id, |p| p.id).ok()
}

/// The skills by name, and the active people shown (all, or `only`) by id with their
/// skills, the skill they are grouped under first.
async fn team(
    conn: &mut Conn,
    ws: i64,
    only: Option<i64>,
) -> Result<(Vec<(i64, String)>, Vec<PlannerPerson>), AppError> {
    let mut skills = crate::server::skill_repo::all(&mut *conn, ws).await?;
    skills.sort_by(|a, b| a.1.cmp(&b.1));
    let people_rows = planner_repo::active_people(conn, ws).await?;
    let person_skills = planner_repo::person_skills(conn, ws).await?;
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
    for (person, skill) in person_skills {
        if let Some(i) = find(&people, person) {
            people[i].skills.push(skill);
        }
    }
    // Group under the first skill by name.
    for p in &mut people {
        p.skills.sort_by_key(|s| rank(&skills, *s));
    }
    Ok((skills, people))
}

/// Adds the minutes off on each working day of the window to each person's weeks.
fn spread_time_off(people: &mut [PlannerPerson], off: Vec<TimeOffRow>, window: Window) {
    let end = window.end();
    for (person, starts, ends, per_day) in off {
        let (Some(i), Some(from), Some(to)) = (
            find(people, person),
            Date::parse(&starts),
            Date::parse(&ends),
        ) else {
            continue;
        };
        let mut day = from.max(window.first);
        let to = to.min(end.add_days(-1));
        while day <= to {
            if day.iso_weekday() <= 5 {
                if let Some(w) = window.week_of(&day.to_string()) {
                    match people[i].time_off.iter_mut().find(|(x, _)| *x == w) {
                        Some((_, m)) => *m += per_day,
                        None => people[i].time_off.push((w, per_day)),
                    }
                }
            }
            day = day.add_days(1);
        }
    }
}

/// The bookings by week index: confirmed on projects, tentative (at the deal's
/// probability) on open deals.
fn bookings(rows: Vec<BookingRow>, window: Window) -> Vec<Booking> {
    rows.into_iter()
        .filter_map(|(person_id, week, minutes, deal_id, pct)| {
            Some(Booking {
                person_id,
                week: window.week_of(&week)?,
                minutes,
                tentative_pct: deal_id.map(|_| pct.unwrap_or(0)),
                deal_id,
            })
        })
        .collect()
}

/// Open deals whose planned weeks meet the window, with their estimates, and for each
/// its title, client and version.
fn deal_demand(
    rows: Vec<DealLineRow>,
    window: Window,
) -> (Vec<DealDemand>, Vec<(String, String, i64)>) {
    let first = window.first;
    let mut deals: Vec<DealDemand> = Vec::new();
    let mut about: Vec<(String, String, i64)> = Vec::new();
    for row in rows {
        let Some(start) = Date::parse(&row.planned_start_on) else {
            continue;
        };
        let start_week = i64::from(first.days_until(window.today.week_of(start))) / 7;
        if start_week + row.planned_weeks <= 0 {
            continue;
        }
        match deals.last_mut() {
            Some(d) if d.deal_id == row.id => d.lines.push((row.skill_id, row.minutes)),
            _ => {
                about.push((row.title, row.client, row.version));
                deals.push(DealDemand {
                    deal_id: row.id,
                    probability_pct: row.probability_pct,
                    start_week,
                    weeks: row.planned_weeks.clamp(1, 104) as u32,
                    lines: vec![(row.skill_id, row.minutes)],
                });
            }
        }
    }
    (deals, about)
}

/// One person's week in detail: allocations by project or deal, and their time off.
/// People of other workspaces are not found; callers who see only their own row may not
/// look at anyone else's.
pub async fn cell(caller: &Caller, person_id: i64, week: Date) -> Result<CellDetail, AppError> {
    let ws = caller.workspace_id;
    let mut conn = context::read().await?;
    if !planner_repo::person_exists(&mut conn, ws, person_id).await? {
        return Err(AppError::NotFound);
    }
    if !sees_whole_team(caller) && context::own_person(&mut conn, caller).await? != Some(person_id)
    {
        return Err(AppError::Forbidden);
    }
    let (name, weekly_capacity) = planner_repo::person(&mut conn, ws, person_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let allocations = planner_repo::week_allocations(&mut conn, ws, person_id, week).await?;
    let time_off = planner_repo::time_off_from(&mut conn, ws, person_id, week).await?;
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
#[derive(Debug, Clone, Copy)]
pub struct Assignment {
    /// Person.
    pub person_id: i64,
    /// The project or open deal.
    pub target: AllocationTarget,
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

/// Books a person's hours on a running project or an open deal for each week of the
/// assignment (0 removes them), in one transaction with one event, tells every planner,
/// and answers the weeks in which the person is now over-allocated.
pub async fn allocate(
    caller: &Caller,
    a: Assignment,
    now_ms: i64,
) -> Result<EditOutcome, AppError> {
    let state = context::state()?;
    let ws = caller.workspace_id;
    let mut tx = state.db.write(caller.workspace_id).await?;
    // The person is what is being edited: another workspace's is not found.
    let (person_name, _) = planner_repo::active_person(&mut tx, ws, a.person_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let target_name = planner_repo::target_name(&mut tx, ws, a.target)
        .await?
        .ok_or_else(|| {
            AppError::invalid(
                "target",
                "is not a running project or an open deal of this workspace",
            )
        })?;
    let before = write_weeks(&mut tx, ws, &a, &person_name, &target_name, now_ms).await?;
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
                "person": person_name, "target": a.target.to_string(), "on": target_name,
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

/// Sets the assignment's minutes in each of its weeks, refusing a single-cell edit whose
/// version is not the allocation's; answers the minutes each week had before.
async fn write_weeks(
    tx: &mut Conn,
    ws: i64,
    a: &Assignment,
    person_name: &str,
    target_name: &str,
    now_ms: i64,
) -> Result<Vec<i64>, AppError> {
    let mut before = Vec::new();
    for k in 0..a.weeks {
        let week = a.from.add_days(7 * k as i32);
        let existing = planner_repo::allocation(tx, ws, a.person_id, a.target, week).await?;
        if let Some(expected) = a.version {
            let current = existing.map(|e| e.version).unwrap_or(0);
            if current != expected {
                return Err(AppError::Conflict(format!(
                    "someone else changed {person_name}'s hours on {target_name} that week; the planner shows them now"
                )));
            }
        }
        before.push(existing.map(|e| e.minutes).unwrap_or(0));
        match (existing, a.minutes) {
            (Some(row), 0) => planner_repo::delete_allocation(tx, ws, row.id).await?,
            (Some(row), minutes) => {
                planner_repo::set_allocation_minutes(tx, ws, row.id, minutes).await?;
            }
            (None, 0) => {}
            (None, minutes) => {
                planner_repo::insert_allocation(
                    tx,
                    ws,
                    a.person_id,
                    a.target,
                    week,
                    minutes,
                    now_ms,
                )
                .await?;
            }
        }
    }
    Ok(before)
}

/// The weeks from `from` (for `weeks`) in which a person's confirmed and tentative work
/// exceeds their capacity minus time off.
async fn over_allocated(
    conn: &mut Conn,
    ws: i64,
    person_id: i64,
    from: Date,
    weeks: u32,
) -> Result<Vec<String>, AppError> {
    let capacity = planner_repo::weekly_capacity(conn, ws, person_id).await?;
    let end = from.add_days(7 * weeks as i32);
    let booked = planner_repo::booked_by_week(conn, ws, person_id, from, end).await?;
    let off = planner_repo::person_time_off(conn, ws, person_id, from, end).await?;
    let mut out = Vec::new();
    for (week, minutes) in booked {
        let Some(first) = Date::parse(&week) else {
            continue;
        };
        let mut away = 0;
        for (s, e, per_day) in &off {
            let (Some(s), Some(e)) = (Date::parse(s), Date::parse(e)) else {
                continue;
            };
            // Working days (Monday to Friday), wherever the week starts.
            for d in 0..7 {
                let day = first.add_days(d);
                if day.iso_weekday() <= 5 && s <= day && day <= e {
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

/// Time off as typed into the form.
#[derive(Debug, Clone, Copy)]
pub struct TimeOffRequest<'a> {
    /// Whose.
    pub person_id: i64,
    /// First day as typed.
    pub starts_on: &'a str,
    /// Last day as typed.
    pub ends_on: &'a str,
    /// Hours off on each working day as typed (empty: a full day, capacity / 5).
    pub hours_per_day: &'a str,
    /// Why, as typed.
    pub reason: &'a str,
}

/// Adds a stretch of time off for a person (at most a year, starting within the range
/// planner edits reach from `today`), with its event, and tells every planner.
pub async fn add_time_off(
    caller: &Caller,
    request: TimeOffRequest<'_>,
    today: Today,
    now_ms: i64,
) -> Result<(), AppError> {
    let (starts, ends) = planner::time_off_span(request.starts_on, request.ends_on, today)?;
    let reason = crate::domain::validate::optional_text("reason", request.reason, 200)?;
    let state = context::state()?;
    let ws = caller.workspace_id;
    let mut tx = state.db.write(caller.workspace_id).await?;
    let (name, capacity) = planner_repo::person(&mut tx, ws, request.person_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let per_day = if request.hours_per_day.trim().is_empty() {
        capacity / 5
    } else {
        crate::domain::validate::hours("hours_per_day", request.hours_per_day, 24)?
    };
    if per_day == 0 {
        return Err(AppError::invalid("hours_per_day", "must be more than 0"));
    }
    let off = planner_repo::NewTimeOff {
        person_id: request.person_id,
        starts_on: starts,
        ends_on: ends,
        minutes_per_day: per_day,
        reason: (!reason.is_empty()).then_some(reason.as_str()),
    };
    let id = planner_repo::insert_time_off(&mut tx, ws, &off, now_ms).await?;
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

/// Removes a stretch of time off at the caller's version, with its event, and tells
/// every planner.
pub async fn remove_time_off(
    caller: &Caller,
    time_off_id: i64,
    version: i64,
    now_ms: i64,
) -> Result<(), AppError> {
    let state = context::state()?;
    let ws = caller.workspace_id;
    let mut tx = state.db.write(caller.workspace_id).await?;
    let off = planner_repo::time_off(&mut tx, ws, time_off_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if off.version != version {
        return Err(AppError::Conflict(
            "someone else changed this time off; the planner shows it now".into(),
        ));
    }
    planner_repo::delete_time_off(&mut tx, ws, time_off_id).await?;
    let seq = events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: ws,
            actor_user_id: Some(caller.user_id),
            entity: "time_off",
            entity_id: time_off_id,
            action: "removed",
            before: Some(serde_json::json!({
                "person_id": off.person_id, "starts_on": off.starts_on, "ends_on": off.ends_on,
            })),
            after: None,
        },
        now_ms,
    )
    .await?;
    tx.commit().await?;
    state.live.publish(ws, LiveEvent::Capacity { seq });
    Ok(())
}

/// Applies a what-if the caller tried in the planner, deal by deal: each deal in its own
/// transaction through `deal_service` (the deal at the version the what-if was made
/// against, written with its event and announced to every board), so a deal is changed
/// completely or not at all, and one deal's failure leaves the others. Lost deals are
/// marked lost with [`what_if::LOST_REASON`]; won and slipped ones get their probability
/// set to 100 % and their planned start moved (never closed). Answers which deals were
/// written and why the others were not.
pub async fn apply_what_if(
    caller: &Caller,
    changes: &[DealChange],
) -> Result<WhatIfOutcome, AppError> {
    let mut outcome = WhatIfOutcome::default();
    for change in changes {
        let written = match change.outcome {
            Outcome::Lost => deal_service::mark_lost(
                caller,
                change.deal_id,
                change.version,
                what_if::LOST_REASON,
            )
            .await
            .map(|_| ()),
            Outcome::Won | Outcome::Open => deal_service::replan(
                caller,
                change.deal_id,
                change.version,
                deal_service::Replan {
                    slip_weeks: change.effective_slip(),
                    won: change.outcome == Outcome::Won,
                },
            )
            .await
            .map(|_| ()),
        };
        match written {
            Ok(()) => outcome.applied.push(change.deal_id),
            Err(err) => outcome.failed.push(WhatIfFailure {
                deal_id: change.deal_id,
                reason: why_not(&err),
            }),
        }
    }
    Ok(outcome)
}

/// Why a deal of a what-if was not written, as the planner says it.
fn why_not(err: &AppError) -> String {
    match err {
        AppError::DealChanged { .. } => {
            "someone else changed this deal meanwhile; look at it again and redo the change".into()
        }
        AppError::NotFound => "this deal is gone (deleted, or not of this workspace)".into(),
        AppError::Invalid { field, .. } if field == "stage" => "this deal is no longer open".into(),
        other => other.to_string(),
    }
}
