//! Time entries in the database.

use crate::domain::calendar::Date;
use crate::domain::permissions::Permission;
use crate::error::AppError;
use crate::server::context::{self, Caller};
use crate::server::events;
use crate::shared::live::LiveEvent;
use crate::shared::time::{ProjectTimeLog, TimeEntry, WeekOfTime};
use sqlx::SqliteConnection;

const ENTRY_SQL: &str = "SELECT t.id, t.project_id, p.name AS project_name, t.person_id,
        pe.name AS person_name, t.worked_on, t.minutes, t.note, t.billable = 1 AS billable, t.version
     FROM time_entries t JOIN projects p ON p.id = t.project_id JOIN people pe ON pe.id = t.person_id";

/// Projects `person` may log on: running ones they are staffed on (every running one for
/// those who manage projects).
async fn loggable_projects(
    conn: &mut SqliteConnection,
    caller: &Caller,
    person: i64,
) -> Result<Vec<(i64, String)>, AppError> {
    let all = caller.can(Permission::ManageProjects);
    Ok(sqlx::query_as(
        "SELECT p.id, p.name FROM projects p
         WHERE p.workspace_id = $1 AND p.status IN ('planned', 'active', 'on_hold')
           AND ($2 = 1 OR EXISTS (SELECT 1 FROM allocations a WHERE a.project_id = p.id AND a.person_id = $3))
         ORDER BY p.name",
    )
    .bind(caller.workspace_id)
    .bind(i64::from(all))
    .bind(person)
    .fetch_all(&mut *conn)
    .await?)
}

/// The caller's week.
pub async fn timesheet(
    conn: &mut SqliteConnection,
    caller: &Caller,
    week: &str,
    now_ms: i64,
) -> Result<WeekOfTime, AppError> {
    let monday = if week.trim().is_empty() {
        Date::from_unix_ms(now_ms).week_start(1)
    } else {
        Date::parse(week.trim())
            .ok_or_else(|| AppError::invalid("week", "must be a date like 2027-01-11"))?
            .week_start(1)
    };
    let days: Vec<String> = (0..7).map(|d| monday.add_days(d).to_string()).collect();
    let Some(person) = context::own_person(&mut *conn, caller).await? else {
        return Ok(WeekOfTime {
            week: monday.to_string(),
            days,
            projects: Vec::new(),
            entries: Vec::new(),
            linked: false,
        });
    };
    let projects = loggable_projects(&mut *conn, caller, person).await?;
    let entries = sqlx::query_as(&format!(
        "{ENTRY_SQL} WHERE t.person_id = $1 AND t.workspace_id = $2 AND t.worked_on >= $3 AND t.worked_on < $4
         ORDER BY t.worked_on, p.name, t.id"
    ))
    .bind(person)
    .bind(caller.workspace_id)
    .bind(monday.to_string())
    .bind(monday.add_days(7).to_string())
    .fetch_all(&mut *conn)
    .await?;
    Ok(WeekOfTime {
        week: monday.to_string(),
        days,
        projects,
        entries,
        linked: true,
    })
}

/// Time about to be logged.
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

/// Logs time for the caller's person (see the `log_time` server function).
pub async fn log(caller: &Caller, t: NewTime<'_>, now_ms: i64) -> Result<TimeEntry, AppError> {
    let day = Date::parse(t.worked_on.trim())
        .ok_or_else(|| AppError::invalid("worked_on", "must be a date like 2027-01-11"))?;
    let today = Date::from_unix_ms(now_ms);
    if day > today {
        return Err(AppError::invalid("worked_on", "must not be in the future"));
    }
    if day.days_until(today) > 366 {
        return Err(AppError::invalid(
            "worked_on",
            "must be within the last year",
        ));
    }
    let minutes = crate::domain::validate::hours("hours", t.hours, 24)?;
    if minutes == 0 {
        return Err(AppError::invalid("hours", "must be more than 0"));
    }
    let note = crate::domain::validate::optional_text("note", t.note, 2000)?;
    let state = context::state()?;
    let ws = caller.workspace_id;
    let mut tx = state.db.write().await?;
    let person = context::own_person(&mut tx, caller).await?.ok_or_else(|| {
        AppError::invalid(
            "person",
            "your user is not linked to a person, so it has no time",
        )
    })?;
    let project: Option<String> = sqlx::query_scalar(
        "SELECT name FROM projects WHERE id = $1 AND workspace_id = $2 AND status IN ('planned', 'active', 'on_hold')",
    )
    .bind(t.project_id)
    .bind(ws)
    .fetch_optional(&mut *tx)
    .await?;
    let project = project.ok_or_else(|| {
        AppError::invalid("project", "is not a running project of this workspace")
    })?;
    if !caller.can(Permission::ManageProjects) {
        let staffed: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM allocations WHERE project_id = $1 AND person_id = $2",
        )
        .bind(t.project_id)
        .bind(person)
        .fetch_one(&mut *tx)
        .await?;
        if staffed == 0 {
            return Err(AppError::invalid(
                "project",
                "you are not staffed on this project; ask its project manager",
            ));
        }
    }
    let that_day: i64 = sqlx::query_scalar(
        "SELECT COALESCE(SUM(minutes), 0) FROM time_entries WHERE person_id = $1 AND worked_on = $2",
    )
    .bind(person)
    .bind(day.to_string())
    .fetch_one(&mut *tx)
    .await?;
    if that_day + minutes > 24 * 60 {
        return Err(AppError::invalid(
            "hours",
            format!(
                "would make more than 24 hours on {day} ({} h are logged already)",
                crate::domain::validate::hours_text(that_day)
            ),
        ));
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO time_entries (workspace_id, project_id, person_id, worked_on, minutes, note, billable, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(ws)
    .bind(t.project_id)
    .bind(person)
    .bind(day.to_string())
    .bind(minutes)
    .bind(&note)
    .bind(i64::from(t.billable))
    .bind(now_ms)
    .fetch_one(&mut *tx)
    .await?;
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
    let entry: TimeEntry = sqlx::query_as(&format!("{ENTRY_SQL} WHERE t.id = $1"))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    state.live.publish(ws, LiveEvent::Projects { seq });
    Ok(entry)
}

/// Removes one of the caller's entries.
pub async fn delete(
    caller: &Caller,
    entry_id: i64,
    version: i64,
    now_ms: i64,
) -> Result<(), AppError> {
    let state = context::state()?;
    let ws = caller.workspace_id;
    let mut tx = state.db.write().await?;
    let person = context::own_person(&mut tx, caller).await?;
    let row: Option<(i64, i64, String, i64)> = sqlx::query_as(
        "SELECT person_id, version, worked_on, minutes FROM time_entries WHERE id = $1 AND workspace_id = $2",
    )
    .bind(entry_id)
    .bind(ws)
    .fetch_optional(&mut *tx)
    .await?;
    let (owner, current, day, minutes) = row.ok_or(AppError::NotFound)?;
    if Some(owner) != person {
        return Err(AppError::Forbidden);
    }
    if current != version {
        return Err(AppError::Conflict(
            "this entry changed; reload to see it".into(),
        ));
    }
    sqlx::query("DELETE FROM time_entries WHERE id = $1")
        .bind(entry_id)
        .execute(&mut *tx)
        .await?;
    let seq = events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: ws,
            actor_user_id: Some(caller.user_id),
            entity: "time_entry",
            entity_id: entry_id,
            action: "deleted",
            before: Some(serde_json::json!({ "worked_on": day, "minutes": minutes })),
            after: None,
        },
        now_ms,
    )
    .await?;
    tx.commit().await?;
    state.live.publish(ws, LiveEvent::Projects { seq });
    Ok(())
}

/// Everyone's time on a project.
pub async fn project_time(
    conn: &mut SqliteConnection,
    caller: &Caller,
    project_id: i64,
) -> Result<ProjectTimeLog, AppError> {
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT id FROM projects WHERE id = $1 AND workspace_id = $2")
            .bind(project_id)
            .bind(caller.workspace_id)
            .fetch_optional(&mut *conn)
            .await?;
    exists.ok_or(AppError::NotFound)?;
    let (total_minutes, billable_minutes): (i64, i64) = sqlx::query_as(
        "SELECT COALESCE(SUM(minutes), 0), COALESCE(SUM(CASE WHEN billable = 1 THEN minutes ELSE 0 END), 0)
         FROM time_entries WHERE project_id = $1",
    )
    .bind(project_id)
    .fetch_one(&mut *conn)
    .await?;
    let entries = sqlx::query_as(&format!(
        "{ENTRY_SQL} WHERE t.project_id = $1 AND t.workspace_id = $2 ORDER BY t.worked_on DESC, t.id DESC LIMIT 500"
    ))
    .bind(project_id)
    .bind(caller.workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(ProjectTimeLog {
        entries,
        total_minutes,
        billable_minutes,
    })
}
