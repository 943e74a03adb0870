//! Time: a person's week, logging and deleting their own entries (each in one transaction
//! with its event, announced to every project view after commit), and a project's log.

use crate::domain::calendar::{Date, Today};
use crate::domain::permissions::Permission;
use crate::domain::{planner, validate};
use crate::error::AppError;
use crate::server::context::{self, Caller};
use crate::server::{events, planner_repo, time_repo};
use crate::shared::live::LiveEvent;
use crate::shared::time::{ProjectTimeLog, TimeEntry, WeekOfTime};

/// The caller's week (`week`: any day of it; empty: this week, by the workspace's
/// `today`): the days, the projects they may log on and what they logged. A user not
/// linked to a person has an empty week.
pub async fn timesheet(caller: &Caller, week: &str, today: Today) -> Result<WeekOfTime, AppError> {
    let mut conn = context::read().await?;
    let first = planner::week_of("week", week, today)?;
    let days: Vec<String> = (0..7).map(|d| first.add_days(d).to_string()).collect();
    let Some(person) = context::own_person(&mut conn, caller).await? else {
        return Ok(WeekOfTime {
            week: first.to_string(),
            days,
            today: today.date.to_string(),
            projects: Vec::new(),
            entries: Vec::new(),
            linked: false,
        });
    };
    let ws = caller.workspace_id;
    // Those who manage projects log on every running one.
    let all = caller.can(Permission::ManageProjects);
    let projects = time_repo::loggable_projects(&mut conn, ws, person, all).await?;
    let entries = time_repo::week_entries(&mut conn, ws, person, first).await?;
    Ok(WeekOfTime {
        week: first.to_string(),
        days,
        today: today.date.to_string(),
        projects,
        entries,
        linked: true,
    })
}

/// Time about to be logged, as typed.
#[derive(Debug, Clone, Copy)]
pub struct NewTime<'a> {
    /// Project.
    pub project_id: i64,
    /// Day as typed.
    pub worked_on: &'a str,
    /// Hours as typed.
    pub hours: &'a str,
    /// Note.
    pub note: &'a str,
    /// Billable.
    pub billable: bool,
}

/// The day, minutes and note of time as typed: a day not in the future (after the
/// workspace's `today`) and at most a year back, more than 0 hours, a note of 2000
/// characters at most.
fn checked(t: NewTime<'_>, today: Today) -> Result<(Date, i64, String), AppError> {
    let day = Date::parse(t.worked_on.trim())
        .ok_or_else(|| AppError::invalid("worked_on", "must be a date like 2027-01-11"))?;
    if today.is_future(day) {
        return Err(AppError::invalid("worked_on", "must not be in the future"));
    }
    if day.days_until(today.date) > 366 {
        return Err(AppError::invalid(
            "worked_on",
            "must be within the last year",
        ));
    }
    let minutes = validate::hours("hours", t.hours, 24)?;
    if minutes == 0 {
        return Err(AppError::invalid("hours", "must be more than 0"));
    }
    let note = validate::optional_text("note", t.note, 2000)?;
    Ok((day, minutes, note))
}

/// Logs time for the caller's own person on a running project they are staffed on (any
/// running one for those who manage projects), keeping their day at 24 hours at most;
/// writes the entry with its event (at `now_ms`) and tells every project view. `today`
/// is the workspace's: no day after it.
pub async fn log(
    caller: &Caller,
    t: NewTime<'_>,
    today: Today,
    now_ms: i64,
) -> Result<TimeEntry, AppError> {
    let (day, minutes, note) = checked(t, today)?;
    let state = context::state()?;
    let ws = caller.workspace_id;
    let mut tx = state.db.write(caller.workspace_id).await?;
    let person = context::own_person(&mut tx, caller).await?.ok_or_else(|| {
        AppError::invalid(
            "person",
            "your user is not linked to a person, so it has no time",
        )
    })?;
    let project = planner_repo::running_project_name(&mut tx, ws, t.project_id)
        .await?
        .ok_or_else(|| {
            AppError::invalid("project", "is not a running project of this workspace")
        })?;
    if !caller.can(Permission::ManageProjects)
        && !time_repo::is_staffed(&mut tx, ws, t.project_id, person).await?
    {
        return Err(AppError::invalid(
            "project",
            "you are not staffed on this project; ask its project manager",
        ));
    }
    let that_day = time_repo::minutes_on(&mut tx, ws, person, day).await?;
    if that_day + minutes > 24 * 60 {
        return Err(AppError::invalid(
            "hours",
            format!(
                "would make more than 24 hours on {day} ({} h are logged already)",
                validate::hours_text(that_day)
            ),
        ));
    }
    let new = time_repo::NewEntry {
        project_id: t.project_id,
        person_id: person,
        worked_on: day,
        minutes,
        note: &note,
        billable: t.billable,
    };
    let id = time_repo::insert_entry(&mut tx, ws, &new, now_ms).await?;
    let seq = events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: ws,
            actor_user_id: Some(caller.user_id),
            entity: "time_entry",
            entity_id: id,
            action: "logged",
            before: None,
            after: Some(serde_json::json!({
                "project": project, "worked_on": day.to_string(), "minutes": minutes, "billable": t.billable,
            })),
        },
        now_ms,
    )
    .await?;
    let entry = time_repo::entry(&mut tx, ws, id).await?;
    tx.commit().await?;
    state.live.publish(ws, LiveEvent::Projects { seq });
    Ok(entry)
}

/// Deletes one of the caller's own entries at the caller's version, with its event, and
/// tells every project view.
pub async fn delete(
    caller: &Caller,
    entry_id: i64,
    version: i64,
    now_ms: i64,
) -> Result<(), AppError> {
    let state = context::state()?;
    let ws = caller.workspace_id;
    let mut tx = state.db.write(caller.workspace_id).await?;
    let person = context::own_person(&mut tx, caller).await?;
    let row = time_repo::entry_row(&mut tx, ws, entry_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if Some(row.person_id) != person {
        return Err(AppError::Forbidden);
    }
    if row.version != version {
        return Err(AppError::Conflict(
            "this entry changed; reload to see it".into(),
        ));
    }
    time_repo::delete_entry(&mut tx, ws, entry_id).await?;
    let seq = events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: ws,
            actor_user_id: Some(caller.user_id),
            entity: "time_entry",
            entity_id: entry_id,
            action: "deleted",
            before: Some(serde_json::json!({ "worked_on": row.worked_on, "minutes": row.minutes })),
            after: None,
        },
        now_ms,
    )
    .await?;
    tx.commit().await?;
    state.live.publish(ws, LiveEvent::Projects { seq });
    Ok(())
}

/// Everyone's time on a project of the caller's workspace: the latest entries and the
/// totals, billable and not.
pub async fn project_time(caller: &Caller, project_id: i64) -> Result<ProjectTimeLog, AppError> {
    let ws = caller.workspace_id;
    let mut conn = context::read().await?;
    if !time_repo::project_exists(&mut conn, ws, project_id).await? {
        return Err(AppError::NotFound);
    }
    let (total_minutes, billable_minutes) =
        time_repo::project_totals(&mut conn, ws, project_id).await?;
    let entries = time_repo::project_entries(&mut conn, ws, project_id).await?;
    Ok(ProjectTimeLog {
        entries,
        total_minutes,
        billable_minutes,
    })
}
