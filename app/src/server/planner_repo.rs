//! The capacity planner in the database: the rows the grid and a person's week are built
//! from, and the writes of allocations and time off. Queries run on the connection or
//! transaction their caller hands in; the caller checks, appends the event and publishes.
//!
//! Every query is scoped by `workspace_id`, except those on a person the caller's
//! transaction has already found in its workspace (`planner_service`): their allocations
//! of a week, their capacity and time off for the over-allocation check, and the rows
//! written or removed by id.

use crate::domain::calendar::Date;
use crate::domain::planner::AllocationTarget;
use crate::server::db::Conn;
use crate::shared::planner::{CellAllocation, TimeOff};

/// A booking as stored: person, week (`YYYY-MM-DD`), minutes, the open deal (for
/// tentative work) and that deal's probability in percent.
pub type BookingRow = (i64, String, i64, Option<i64>, Option<i64>);

/// One estimate line of an open deal planned to start before a window ends.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DealLineRow {
    /// The deal.
    pub id: i64,
    /// Its title.
    pub title: String,
    /// Its client's name.
    pub client: String,
    /// Its version.
    pub version: i64,
    /// Planned start, `YYYY-MM-DD`.
    pub planned_start_on: String,
    /// Planned weeks.
    pub planned_weeks: i64,
    /// Probability in percent (the deal's own, else its stage's).
    pub probability_pct: i64,
    /// The line's skill.
    pub skill_id: i64,
    /// The line's minutes.
    pub minutes: i64,
}

/// A stretch of time off as stored for the grid: person, first day, last day, minutes
/// off each working day.
pub type TimeOffRow = (i64, String, String, i64);

/// Whether person `person_id` belongs to the workspace.
pub async fn person_exists(
    conn: &mut Conn,
    workspace_id: i64,
    person_id: i64,
) -> Result<bool, sqlx::Error> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM people WHERE id = $1 AND workspace_id = $2")
            .bind(person_id)
            .bind(workspace_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(found.is_some())
}

/// A person's name and weekly capacity in minutes (active or not).
pub async fn person(
    conn: &mut Conn,
    workspace_id: i64,
    person_id: i64,
) -> Result<Option<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT name, weekly_capacity_minutes FROM people WHERE id = $1 AND workspace_id = $2",
    )
    .bind(person_id)
    .bind(workspace_id)
    .fetch_optional(&mut *conn)
    .await
}

/// An active person's name and weekly capacity in minutes.
pub async fn active_person(
    conn: &mut Conn,
    workspace_id: i64,
    person_id: i64,
) -> Result<Option<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT name, weekly_capacity_minutes FROM people WHERE id = $1 AND workspace_id = $2 AND active = 1",
    )
    .bind(person_id)
    .bind(workspace_id)
    .fetch_optional(&mut *conn)
    .await
}

/// The workspace's active people: (id, name, weekly capacity in minutes).
pub async fn active_people(
    conn: &mut Conn,
    workspace_id: i64,
) -> Result<Vec<(i64, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name, weekly_capacity_minutes FROM people WHERE workspace_id = $1 AND active = 1",
    )
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await
}

/// Who has which skill: (person, skill), by person then skill.
pub async fn person_skills(
    conn: &mut Conn,
    workspace_id: i64,
) -> Result<Vec<(i64, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT person_id, skill_id FROM person_skills WHERE workspace_id = $1 ORDER BY person_id, skill_id",
    )
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await
}

/// Everyone's time off that meets the days from `first` up to (not including) `end`.
pub async fn time_off_between(
    conn: &mut Conn,
    workspace_id: i64,
    first: Date,
    end: Date,
) -> Result<Vec<TimeOffRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT person_id, starts_on, ends_on, minutes_per_day FROM time_off
         WHERE workspace_id = $1 AND ends_on >= $2 AND starts_on < $3",
    )
    .bind(workspace_id)
    .bind(first.to_string())
    .bind(end.to_string())
    .fetch_all(&mut *conn)
    .await
}

/// The bookings of the weeks from `first` up to `end`: on projects, and on deals that are
/// still open.
pub async fn bookings(
    conn: &mut Conn,
    workspace_id: i64,
    first: Date,
    end: Date,
) -> Result<Vec<BookingRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.person_id, a.week, a.minutes, a.deal_id,
                CASE WHEN a.deal_id IS NULL THEN NULL
                     ELSE COALESCE(d.probability_override_pct, s.probability_pct) END
         FROM allocations a
         LEFT JOIN deals d ON d.id = a.deal_id
         LEFT JOIN stages s ON s.id = d.stage_id
         WHERE a.workspace_id = $1 AND a.week >= $2 AND a.week < $3
           AND (a.deal_id IS NULL OR (s.kind = 'open' AND d.archived_at IS NULL))",
    )
    .bind(workspace_id)
    .bind(first.to_string())
    .bind(end.to_string())
    .fetch_all(&mut *conn)
    .await
}

/// The estimate lines of open deals planned to start before `end`, with their client
/// and version, by deal then skill.
pub async fn pipeline_lines(
    conn: &mut Conn,
    workspace_id: i64,
    end: Date,
) -> Result<Vec<DealLineRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT d.id, d.title, c.name AS client, d.version, d.planned_start_on, d.planned_weeks,
                COALESCE(d.probability_override_pct, s.probability_pct) AS probability_pct,
                l.skill_id, l.minutes
         FROM deals d JOIN stages s ON s.id = d.stage_id
         JOIN clients c ON c.id = d.client_id
         JOIN deal_estimate_lines l ON l.deal_id = d.id
         WHERE d.workspace_id = $1 AND s.kind = 'open' AND d.archived_at IS NULL
           AND d.planned_start_on IS NOT NULL AND d.planned_start_on < $2
         ORDER BY d.id, l.skill_id",
    )
    .bind(workspace_id)
    .bind(end.to_string())
    .fetch_all(&mut *conn)
    .await
}

/// The projects people can be booked on (planned, active, on hold): (id, name), by name.
pub async fn running_projects(
    conn: &mut Conn,
    workspace_id: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, name FROM projects WHERE workspace_id = $1 AND status IN ('planned', 'active', 'on_hold')
         ORDER BY name",
    )
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await
}

/// A person's allocations in `week`, projects first, by name.
pub async fn week_allocations(
    conn: &mut Conn,
    workspace_id: i64,
    person_id: i64,
    week: Date,
) -> Result<Vec<CellAllocation>, sqlx::Error> {
    sqlx::query_as(
        "SELECT a.project_id, a.deal_id, COALESCE(p.name, d.title) AS name, a.minutes, a.version
         FROM allocations a
         LEFT JOIN projects p ON p.id = a.project_id
         LEFT JOIN deals d ON d.id = a.deal_id
         WHERE a.person_id = $1 AND a.workspace_id = $2 AND a.week = $3
         ORDER BY a.deal_id IS NOT NULL, name",
    )
    .bind(person_id)
    .bind(workspace_id)
    .bind(week.to_string())
    .fetch_all(&mut *conn)
    .await
}

/// A person's time off that has not ended before `week`, the first 20 by start.
pub async fn time_off_from(
    conn: &mut Conn,
    workspace_id: i64,
    person_id: i64,
    week: Date,
) -> Result<Vec<TimeOff>, sqlx::Error> {
    sqlx::query_as(
        "SELECT id, starts_on, ends_on, minutes_per_day, reason, version FROM time_off
         WHERE person_id = $1 AND workspace_id = $2 AND ends_on >= $3
         ORDER BY starts_on LIMIT 20",
    )
    .bind(person_id)
    .bind(workspace_id)
    .bind(week.to_string())
    .fetch_all(&mut *conn)
    .await
}

/// The name of a project people can be booked on (or log time on): planned, active or
/// on hold.
pub async fn running_project_name(
    conn: &mut Conn,
    workspace_id: i64,
    project_id: i64,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT name FROM projects WHERE id = $1 AND workspace_id = $2 AND status IN ('planned', 'active', 'on_hold')",
    )
    .bind(project_id)
    .bind(workspace_id)
    .fetch_optional(&mut *conn)
    .await
}

/// The name of what an allocation books time on, if it is a running project or an open
/// deal (not archived) of the workspace.
pub async fn target_name(
    conn: &mut Conn,
    workspace_id: i64,
    target: AllocationTarget,
) -> Result<Option<String>, sqlx::Error> {
    match target {
        AllocationTarget::Project(id) => running_project_name(conn, workspace_id, id).await,
        AllocationTarget::Deal(id) => {
            sqlx::query_scalar(
                "SELECT d.title FROM deals d JOIN stages s ON s.id = d.stage_id
             WHERE d.id = $1 AND d.workspace_id = $2 AND s.kind = 'open' AND d.archived_at IS NULL",
            )
            .bind(id)
            .bind(workspace_id)
            .fetch_optional(&mut *conn)
            .await
        }
    }
}

/// The allocations column naming what `target` is.
fn target_column(target: AllocationTarget) -> &'static str {
    match target {
        AllocationTarget::Project(_) => "project_id",
        AllocationTarget::Deal(_) => "deal_id",
    }
}

/// A person's allocation on one target in one week as stored.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct AllocationRow {
    /// The allocation.
    pub id: i64,
    /// Minutes booked.
    pub minutes: i64,
    /// Its version.
    pub version: i64,
}

/// A person's allocation on `target` in `week`, if there is one.
pub async fn allocation(
    conn: &mut Conn,
    workspace_id: i64,
    person_id: i64,
    target: AllocationTarget,
    week: Date,
) -> Result<Option<AllocationRow>, sqlx::Error> {
    let column = target_column(target);
    sqlx::query_as(&format!(
        "SELECT id, minutes, version FROM allocations WHERE person_id = $1 AND {column} = $2 AND week = $3 AND workspace_id = $4"
    ))
    .bind(person_id)
    .bind(target.id())
    .bind(week.to_string())
    .bind(workspace_id)
    .fetch_optional(&mut *conn)
    .await
}

/// Removes allocation `allocation_id`.
pub async fn delete_allocation(
    conn: &mut Conn,
    workspace_id: i64,
    allocation_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM allocations WHERE id = $1 AND workspace_id = $2")
        .bind(allocation_id)
        .bind(workspace_id)
        .execute(&mut *conn)
        .await
        .map(|_| ())
}

/// Sets allocation `allocation_id` to `minutes`, a version later.
pub async fn set_allocation_minutes(
    conn: &mut Conn,
    workspace_id: i64,
    allocation_id: i64,
    minutes: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE allocations SET minutes = $1, version = version + 1 WHERE id = $2 AND workspace_id = $3")
        .bind(minutes)
        .bind(allocation_id)
        .bind(workspace_id)
        .execute(&mut *conn)
        .await
        .map(|_| ())
}

/// Books `minutes` of a person on `target` in `week`.
pub async fn insert_allocation(
    conn: &mut Conn,
    workspace_id: i64,
    person_id: i64,
    target: AllocationTarget,
    week: Date,
    minutes: i64,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let column = target_column(target);
    sqlx::query(&format!(
        "INSERT INTO allocations (workspace_id, person_id, {column}, week, minutes, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6)"
    ))
    .bind(workspace_id)
    .bind(person_id)
    .bind(target.id())
    .bind(week.to_string())
    .bind(minutes)
    .bind(now_ms)
    .execute(&mut *conn)
    .await
    .map(|_| ())
}

/// A person's weekly capacity in minutes.
pub async fn weekly_capacity(
    conn: &mut Conn,
    workspace_id: i64,
    person_id: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT weekly_capacity_minutes FROM people WHERE id = $1 AND workspace_id = $2",
    )
    .bind(person_id)
    .bind(workspace_id)
    .fetch_one(&mut *conn)
    .await
}

/// A person's booked minutes per week (`YYYY-MM-DD`) from `from` up to `end`, weeks with
/// bookings only.
pub async fn booked_by_week(
    conn: &mut Conn,
    workspace_id: i64,
    person_id: i64,
    from: Date,
    end: Date,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT week, CAST(SUM(minutes) AS BIGINT) FROM allocations
         WHERE person_id = $1 AND workspace_id = $2 AND week >= $3 AND week < $4 GROUP BY week",
    )
    .bind(person_id)
    .bind(workspace_id)
    .bind(from.to_string())
    .bind(end.to_string())
    .fetch_all(&mut *conn)
    .await
}

/// A person's time off meeting the days from `from` up to `end`: (first day, last day,
/// minutes off each working day).
pub async fn person_time_off(
    conn: &mut Conn,
    workspace_id: i64,
    person_id: i64,
    from: Date,
    end: Date,
) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT starts_on, ends_on, minutes_per_day FROM time_off
         WHERE person_id = $1 AND ends_on >= $2 AND starts_on < $3 AND workspace_id = $4",
    )
    .bind(person_id)
    .bind(from.to_string())
    .bind(end.to_string())
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await
}

/// A stretch of time off about to be stored.
pub struct NewTimeOff<'a> {
    /// Whose.
    pub person_id: i64,
    /// First day.
    pub starts_on: Date,
    /// Last day.
    pub ends_on: Date,
    /// Minutes off on each working day.
    pub minutes_per_day: i64,
    /// Why, if said.
    pub reason: Option<&'a str>,
}

/// Stores time off; answers its id.
pub async fn insert_time_off(
    conn: &mut Conn,
    workspace_id: i64,
    off: &NewTimeOff<'_>,
    now_ms: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO time_off (workspace_id, person_id, starts_on, ends_on, minutes_per_day, reason, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(workspace_id)
    .bind(off.person_id)
    .bind(off.starts_on.to_string())
    .bind(off.ends_on.to_string())
    .bind(off.minutes_per_day)
    .bind(off.reason)
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await
}

/// A stretch of time off as stored, for its removal.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TimeOffStretch {
    /// Its version.
    pub version: i64,
    /// First day.
    pub starts_on: String,
    /// Last day.
    pub ends_on: String,
    /// Whose.
    pub person_id: i64,
}

/// Time off `time_off_id` of the workspace, if it exists.
pub async fn time_off(
    conn: &mut Conn,
    workspace_id: i64,
    time_off_id: i64,
) -> Result<Option<TimeOffStretch>, sqlx::Error> {
    sqlx::query_as(
        "SELECT version, starts_on, ends_on, person_id FROM time_off WHERE id = $1 AND workspace_id = $2",
    )
    .bind(time_off_id)
    .bind(workspace_id)
    .fetch_optional(&mut *conn)
    .await
}

/// Removes time off `time_off_id`.
pub async fn delete_time_off(
    conn: &mut Conn,
    workspace_id: i64,
    time_off_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM time_off WHERE id = $1 AND workspace_id = $2")
        .bind(time_off_id)
        .bind(workspace_id)
        .execute(&mut *conn)
        .await
        .map(|_| ())
}
