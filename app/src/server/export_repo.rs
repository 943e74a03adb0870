//! What the CSV exports read: the workspace's deals, projects, time entries and people,
//! each query scoped by `workspace_id`. Which columns a caller may see is decided by the
//! export, not here.

use crate::server::db::Conn;

/// The read-only pool an export borrows its connection from
/// ([`Database::reader`](super::db::Database::reader)).
pub type ReadPool = crate::server::db::Pool;

/// A deal as the export lists it.
pub struct DealLine {
    /// Deal id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// The client's name.
    pub client: String,
    /// The stage's name.
    pub stage: String,
    /// The stage's kind as stored (`open`, `won`, `lost`).
    pub stage_kind: String,
    /// Value in minor units.
    pub value_minor: i64,
    /// The deal's own probability, else its stage's, in percent.
    pub probability_pct: i64,
    /// The owner's email.
    pub owner_email: String,
    /// Expected close date, if set.
    pub expected_close_on: Option<String>,
    /// Planned start date, if set.
    pub planned_start_on: Option<String>,
    /// Planned length in weeks.
    pub planned_weeks: i64,
    /// When it was created (Unix ms).
    pub created_at: i64,
    /// When it was closed (Unix ms), if it was.
    pub closed_at: Option<i64>,
    /// Why it was lost, if it was.
    pub lost_reason: Option<String>,
}

type DealRow = (
    i64,
    String,
    String,
    String,
    String,
    i64,
    i64,
    String,
    Option<String>,
    Option<String>,
    i64,
    i64,
    Option<i64>,
    Option<String>,
);

/// The workspace's deals that are not archived, oldest first.
pub async fn deals(conn: &mut Conn, workspace_id: i64) -> Result<Vec<DealLine>, sqlx::Error> {
    let rows: Vec<DealRow> = sqlx::query_as(
        "SELECT d.id, d.title, c.name, s.name, s.kind, d.value_minor,
                            COALESCE(d.probability_override_pct, s.probability_pct), u.email,
                            d.expected_close_on, d.planned_start_on, d.planned_weeks, d.created_at,
                            d.closed_at, d.lost_reason
                     FROM deals d JOIN clients c ON c.id = d.client_id JOIN stages s ON s.id = d.stage_id
                     JOIN users u ON u.id = d.owner_user_id
                     WHERE d.workspace_id = $1 AND d.archived_at IS NULL ORDER BY d.id",
    )
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| DealLine {
            id: r.0,
            title: r.1,
            client: r.2,
            stage: r.3,
            stage_kind: r.4,
            value_minor: r.5,
            probability_pct: r.6,
            owner_email: r.7,
            expected_close_on: r.8,
            planned_start_on: r.9,
            planned_weeks: r.10,
            created_at: r.11,
            closed_at: r.12,
            lost_reason: r.13,
        })
        .collect())
}

/// A project as the export lists it (its numbers come from the burn).
pub struct ProjectLine {
    /// Project id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// The client's name.
    pub client: String,
    /// The project manager's name, if there is one.
    pub pm: Option<String>,
    /// Status as stored.
    pub status: String,
    /// First day (`YYYY-MM-DD`).
    pub starts_on: String,
    /// Last day (`YYYY-MM-DD`).
    pub ends_on: String,
}

/// The workspace's projects, oldest first.
pub async fn projects(conn: &mut Conn, workspace_id: i64) -> Result<Vec<ProjectLine>, sqlx::Error> {
    type Row = (i64, String, String, Option<String>, String, String, String);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT p.id, p.name, c.name, u.name, p.status, p.starts_on, p.ends_on
                     FROM projects p JOIN clients c ON c.id = p.client_id
                     LEFT JOIN users u ON u.id = p.pm_user_id
                     WHERE p.workspace_id = $1 ORDER BY p.id",
    )
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ProjectLine {
            id: r.0,
            name: r.1,
            client: r.2,
            pm: r.3,
            status: r.4,
            starts_on: r.5,
            ends_on: r.6,
        })
        .collect())
}

/// A time entry as the export lists it, with the rates of whoever logged it.
pub struct TimeLine {
    /// The day worked (`YYYY-MM-DD`).
    pub worked_on: String,
    /// The person's name.
    pub person: String,
    /// The project's name.
    pub project: String,
    /// The project's client's name.
    pub client: String,
    /// Minutes worked.
    pub minutes: i64,
    /// Whether the time is billed.
    pub billable: bool,
    /// The note.
    pub note: String,
    /// The person's bill rate per hour, in minor units.
    pub bill_rate_minor: i64,
    /// The person's cost rate per hour, in minor units.
    pub cost_rate_minor: i64,
}

/// The workspace's time entries by day: all of them when `all`, otherwise only those of
/// `own_person` (none when that is `None`).
pub async fn time_entries(
    conn: &mut Conn,
    workspace_id: i64,
    all: bool,
    own_person: Option<i64>,
) -> Result<Vec<TimeLine>, sqlx::Error> {
    type Row = (
        String,
        String,
        String,
        String,
        i64,
        crate::server::db::Flag,
        String,
        i64,
        i64,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT t.worked_on, pe.name, p.name, c.name, t.minutes, t.billable = 1, t.note,
                            pe.bill_rate_minor, pe.cost_rate_minor
                     FROM time_entries t JOIN people pe ON pe.id = t.person_id
                     JOIN projects p ON p.id = t.project_id JOIN clients c ON c.id = p.client_id
                     WHERE t.workspace_id = $1 AND ($2 = 1 OR t.person_id = $3)
                     ORDER BY t.worked_on, t.id",
    )
    .bind(workspace_id)
    .bind(i64::from(all))
    .bind(own_person.unwrap_or(-1))
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| TimeLine {
            worked_on: r.0,
            person: r.1,
            project: r.2,
            client: r.3,
            minutes: r.4,
            billable: r.5.into(),
            note: r.6,
            bill_rate_minor: r.7,
            cost_rate_minor: r.8,
        })
        .collect())
}

/// A person of the team as the export lists them.
pub struct PersonLine {
    /// Person id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Email, if any.
    pub email: Option<String>,
    /// Job title, if any.
    pub title: Option<String>,
    /// Weekly capacity in minutes.
    pub weekly_minutes: i64,
    /// Bill rate per hour, in minor units.
    pub bill_rate_minor: i64,
    /// Cost rate per hour, in minor units.
    pub cost_rate_minor: i64,
    /// Whether they are still in the team.
    pub active: bool,
}

/// The workspace's people by name.
pub async fn people(conn: &mut Conn, workspace_id: i64) -> Result<Vec<PersonLine>, sqlx::Error> {
    type Row = (
        i64,
        String,
        Option<String>,
        Option<String>,
        i64,
        i64,
        i64,
        crate::server::db::Flag,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, name, email, title, weekly_capacity_minutes, bill_rate_minor,
                            cost_rate_minor, active = 1
                     FROM people WHERE workspace_id = $1 ORDER BY name, id",
    )
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| PersonLine {
            id: r.0,
            name: r.1,
            email: r.2,
            title: r.3,
            weekly_minutes: r.4,
            bill_rate_minor: r.5,
            cost_rate_minor: r.6,
            active: r.7.into(),
        })
        .collect())
}

/// Every skill held in the workspace, by skill name: (person id, skill name).
pub async fn person_skills(
    conn: &mut Conn,
    workspace_id: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT ps.person_id, s.name FROM person_skills ps JOIN skills s ON s.id = ps.skill_id
                     WHERE ps.workspace_id = $1 ORDER BY s.name",
    )
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await
}
