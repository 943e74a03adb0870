//! Time entries in the database: a person's week, a project's log, and the writes of
//! logging and deleting. Queries run on the connection or transaction their caller hands
//! in; the caller checks, appends the event and publishes.
//!
//! Every query is scoped by `workspace_id`, except those on a person or project the
//! caller has already found in its workspace (whether the person is staffed on the
//! project, their day's total, a project's sums) and on an entry by id.

use crate::domain::calendar::Date;
use crate::server::db::Conn;
use crate::shared::time::TimeEntry;

const ENTRY_SQL: &str = "SELECT t.id, t.project_id, p.name AS project_name, t.person_id,
        pe.name AS person_name, t.worked_on, t.minutes, t.note, t.billable = 1 AS billable, t.version
     FROM time_entries t
     JOIN projects p ON p.id = t.project_id AND p.workspace_id = t.workspace_id
     JOIN people pe ON pe.id = t.person_id AND pe.workspace_id = t.workspace_id";

/// The running projects (planned, active, on hold) person `person_id` may log on, by
/// name: those they are staffed on, or every one when `all`.
pub async fn loggable_projects(
    conn: &mut Conn,
    workspace_id: i64,
    person_id: i64,
    all: bool,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT p.id, p.name FROM projects p
         WHERE p.workspace_id = $1 AND p.status IN ('planned', 'active', 'on_hold')
           AND ($2 = 1 OR EXISTS (SELECT 1 FROM allocations a WHERE a.project_id = p.id AND a.person_id = $3))
         ORDER BY p.name",
    )
    .bind(workspace_id)
    .bind(i64::from(all))
    .bind(person_id)
    .fetch_all(&mut *conn)
    .await
}

/// A person's entries of the week starting `first`, by day, project name and id.
pub async fn week_entries(
    conn: &mut Conn,
    workspace_id: i64,
    person_id: i64,
    first: Date,
) -> Result<Vec<TimeEntry>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{ENTRY_SQL} WHERE t.person_id = $1 AND t.workspace_id = $2 AND t.worked_on >= $3 AND t.worked_on < $4
         ORDER BY t.worked_on, p.name, t.id"
    ))
    .bind(person_id)
    .bind(workspace_id)
    .bind(first.to_string())
    .bind(first.add_days(7).to_string())
    .fetch_all(&mut *conn)
    .await
}

/// Whether a person has any allocation on a project.
pub async fn is_staffed(
    conn: &mut Conn,
    workspace_id: i64,
    project_id: i64,
    person_id: i64,
) -> Result<bool, sqlx::Error> {
    let allocations: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM allocations WHERE project_id = $1 AND person_id = $2 AND workspace_id = $3",
    )
    .bind(project_id)
    .bind(person_id)
    .bind(workspace_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(allocations != 0)
}

/// The minutes a person has logged on `day`.
pub async fn minutes_on(
    conn: &mut Conn,
    workspace_id: i64,
    person_id: i64,
    day: Date,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(minutes), 0) AS BIGINT) FROM time_entries WHERE person_id = $1 AND worked_on = $2 AND workspace_id = $3",
    )
    .bind(person_id)
    .bind(day.to_string())
    .bind(workspace_id)
    .fetch_one(&mut *conn)
    .await
}

/// An entry about to be stored.
pub struct NewEntry<'a> {
    /// Project.
    pub project_id: i64,
    /// Whose.
    pub person_id: i64,
    /// Day.
    pub worked_on: Date,
    /// Minutes.
    pub minutes: i64,
    /// Note.
    pub note: &'a str,
    /// Billable.
    pub billable: bool,
}

/// Stores an entry; answers its id.
pub async fn insert_entry(
    conn: &mut Conn,
    workspace_id: i64,
    entry: &NewEntry<'_>,
    now_ms: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO time_entries (workspace_id, project_id, person_id, worked_on, minutes, note, billable, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(workspace_id)
    .bind(entry.project_id)
    .bind(entry.person_id)
    .bind(entry.worked_on.to_string())
    .bind(entry.minutes)
    .bind(entry.note)
    .bind(i64::from(entry.billable))
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await
}

/// Entry `entry_id` with its project's and person's names.
pub async fn entry(
    conn: &mut Conn,
    workspace_id: i64,
    entry_id: i64,
) -> Result<TimeEntry, sqlx::Error> {
    sqlx::query_as(&format!(
        "{ENTRY_SQL} WHERE t.id = $1 AND t.workspace_id = $2"
    ))
    .bind(entry_id)
    .bind(workspace_id)
    .fetch_one(&mut *conn)
    .await
}

/// An entry as stored, for its removal.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EntryRow {
    /// Whose.
    pub person_id: i64,
    /// Its version.
    pub version: i64,
    /// Day, `YYYY-MM-DD`.
    pub worked_on: String,
    /// Minutes.
    pub minutes: i64,
}

/// Entry `entry_id` of the workspace, if it exists.
pub async fn entry_row(
    conn: &mut Conn,
    workspace_id: i64,
    entry_id: i64,
) -> Result<Option<EntryRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT person_id, version, worked_on, minutes FROM time_entries WHERE id = $1 AND workspace_id = $2",
    )
    .bind(entry_id)
    .bind(workspace_id)
    .fetch_optional(&mut *conn)
    .await
}

/// Removes entry `entry_id`.
pub async fn delete_entry(
    conn: &mut Conn,
    workspace_id: i64,
    entry_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM time_entries WHERE id = $1 AND workspace_id = $2")
        .bind(entry_id)
        .bind(workspace_id)
        .execute(&mut *conn)
        .await
        .map(|_| ())
}

/// Whether project `project_id` belongs to the workspace (whatever its status).
pub async fn project_exists(
    conn: &mut Conn,
    workspace_id: i64,
    project_id: i64,
) -> Result<bool, sqlx::Error> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT id FROM projects WHERE id = $1 AND workspace_id = $2")
            .bind(project_id)
            .bind(workspace_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(found.is_some())
}

/// The minutes logged on a project: (all, billable).
pub async fn project_totals(
    conn: &mut Conn,
    workspace_id: i64,
    project_id: i64,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(minutes), 0) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN billable = 1 THEN minutes ELSE 0 END), 0) AS BIGINT)
         FROM time_entries WHERE project_id = $1 AND workspace_id = $2",
    )
    .bind(project_id)
    .bind(workspace_id)
    .fetch_one(&mut *conn)
    .await
}

/// A project's latest 500 entries, newest first.
pub async fn project_entries(
    conn: &mut Conn,
    workspace_id: i64,
    project_id: i64,
) -> Result<Vec<TimeEntry>, sqlx::Error> {
    sqlx::query_as(&format!(
        "{ENTRY_SQL} WHERE t.project_id = $1 AND t.workspace_id = $2 ORDER BY t.worked_on DESC, t.id DESC LIMIT 500"
    ))
    .bind(project_id)
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await
}
