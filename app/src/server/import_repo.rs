//! The staged CSV import in the database: the parts of an upload as they arrive, what
//! its rows are checked against, and the people and deals it writes. Every query is
//! scoped by the workspace, except the one that finds who an upload name belongs to
//! (upload names are unique across workspaces).

use crate::domain::money::Currency;
use crate::server::db::Conn;
use std::collections::{HashMap, HashSet};

/// A stage an imported deal may be put in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportStage {
    /// Stage id.
    pub id: i64,
    /// Name as the pipeline shows it.
    pub name: String,
    /// Its kind as stored (`open`, `won`, `lost`).
    pub kind: String,
}

/// What the rows of an import are checked against.
#[derive(Debug, Clone, PartialEq)]
pub struct Lookup {
    /// The workspace's currency, for money columns.
    pub currency: Currency,
    /// The emails of the team already (lower-cased).
    pub people_emails: HashSet<String>,
    /// The pipeline's stages in board order.
    pub stages: Vec<ImportStage>,
    /// Active users by lower-cased email: their ids.
    pub users: HashMap<String, i64>,
}

/// A person ready to insert.
pub struct NewPerson {
    /// Name (validated).
    pub name: String,
    /// Email, if any (validated, not yet in the team).
    pub email: Option<String>,
    /// Job title, if any.
    pub title: Option<String>,
    /// Weekly capacity in minutes.
    pub weekly_minutes: i64,
    /// Cost rate per hour, in minor units.
    pub cost_rate_minor: i64,
    /// Bill rate per hour, in minor units.
    pub bill_rate_minor: i64,
    /// Skill names, without duplicates (ignoring case).
    pub skills: Vec<String>,
}

/// A deal ready to insert.
pub struct NewDeal {
    /// Title (validated).
    pub title: String,
    /// The client's name: an existing client of that name, or a new one.
    pub client: String,
    /// Value in minor units.
    pub value_minor: i64,
    /// The open stage it starts in.
    pub stage_id: i64,
    /// Probability overriding the stage's, in percent.
    pub probability: Option<i64>,
    /// The owning user.
    pub owner_user_id: i64,
    /// Expected close date (`YYYY-MM-DD`).
    pub expected_close_on: Option<String>,
    /// Planned start date (`YYYY-MM-DD`).
    pub planned_start_on: Option<String>,
    /// Planned length in weeks.
    pub planned_weeks: i64,
}

/// One upload as it is staged: its name, kind, and whose it is.
pub struct Upload<'a> {
    /// The workspace it belongs to.
    pub workspace_id: i64,
    /// The user sending it.
    pub user_id: i64,
    /// The name the browser chose for it.
    pub name: &'a str,
    /// `people` or `deals`.
    pub kind: &'a str,
}

/// Who staged an upload name, in any workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadOwner {
    /// The workspace it belongs to.
    pub workspace_id: i64,
    /// The user who sent it.
    pub user_id: i64,
    /// `people` or `deals`.
    pub kind: String,
}

/// What the rows of an import into the workspace are checked against: its currency, the
/// team's emails, the stages and the active users.
pub async fn lookup(conn: &mut Conn, workspace_id: i64) -> Result<Lookup, sqlx::Error> {
    let currency: String = sqlx::query_scalar("SELECT currency FROM workspaces WHERE id = $1")
        .bind(workspace_id)
        .fetch_one(&mut *conn)
        .await?;
    let emails: Vec<Option<String>> =
        sqlx::query_scalar("SELECT email FROM people WHERE workspace_id = $1")
            .bind(workspace_id)
            .fetch_all(&mut *conn)
            .await?;
    let stages: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT id, name, kind FROM stages WHERE workspace_id = $1 ORDER BY position",
    )
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    let users: Vec<(String, i64)> =
        sqlx::query_as("SELECT lower(email), id FROM users WHERE workspace_id = $1 AND active = 1")
            .bind(workspace_id)
            .fetch_all(&mut *conn)
            .await?;
    Ok(Lookup {
        currency: Currency::new(&currency),
        people_emails: emails
            .into_iter()
            .flatten()
            .map(|e| e.to_lowercase())
            .collect(),
        stages: stages
            .into_iter()
            .map(|(id, name, kind)| ImportStage { id, name, kind })
            .collect(),
        users: users.into_iter().collect(),
    })
}

/// Forgets the workspace's uploads staged before `before_ms` (abandoned ones).
pub async fn clear_abandoned(
    conn: &mut Conn,
    workspace_id: i64,
    before_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM import_parts WHERE workspace_id = $1 AND created_at < $2")
        .bind(workspace_id)
        .bind(before_ms)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Who staged the upload named `upload`, if anyone did, in whichever workspace: upload
/// names are unique across workspaces.
pub async fn upload_owner(
    conn: &mut Conn,
    upload: &str,
) -> Result<Option<UploadOwner>, sqlx::Error> {
    let owner: Option<(i64, i64, String)> = sqlx::query_as(
        "SELECT workspace_id, user_id, kind FROM import_parts WHERE upload = $1 LIMIT 1",
    )
    .bind(upload)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(owner.map(|(workspace_id, user_id, kind)| UploadOwner {
        workspace_id,
        user_id,
        kind,
    }))
}

/// The stored answer of the workspace's upload `upload` if it already finished (as
/// JSON), `None` while it is still being sent.
pub async fn finished_result(
    conn: &mut Conn,
    workspace_id: i64,
    upload: &str,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT body FROM import_parts WHERE upload = $1 AND workspace_id = $2 AND part = -1",
    )
    .bind(upload)
    .bind(workspace_id)
    .fetch_optional(&mut *conn)
    .await
}

/// Stages part `part` of an upload with its CSV `body`; a part sent again replaces the
/// one staged before.
pub async fn stage_part(
    conn: &mut Conn,
    upload: &Upload<'_>,
    part: i64,
    body: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO import_parts (workspace_id, user_id, upload, kind, part, body, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (upload, part) DO UPDATE SET body = excluded.body",
    )
    .bind(upload.workspace_id)
    .bind(upload.user_id)
    .bind(upload.name)
    .bind(upload.kind)
    .bind(part)
    .bind(body)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The staged parts of the workspace's upload `upload`, in order.
pub async fn staged_parts(
    conn: &mut Conn,
    workspace_id: i64,
    upload: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT body FROM import_parts
         WHERE upload = $1 AND workspace_id = $2 AND part >= 0 ORDER BY part",
    )
    .bind(upload)
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await
}

/// Forgets everything staged for the workspace's upload `upload`.
pub async fn delete_upload(
    conn: &mut Conn,
    workspace_id: i64,
    upload: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM import_parts WHERE upload = $1 AND workspace_id = $2")
        .bind(upload)
        .bind(workspace_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Keeps the answer of a finished upload (as JSON), so a resent last part gets it again
/// instead of importing twice.
pub async fn store_result(
    conn: &mut Conn,
    upload: &Upload<'_>,
    result: &str,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO import_parts (workspace_id, user_id, upload, kind, part, body, created_at)
         VALUES ($1, $2, $3, $4, -1, $5, $6)",
    )
    .bind(upload.workspace_id)
    .bind(upload.user_id)
    .bind(upload.name)
    .bind(upload.kind)
    .bind(result)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The workspace's skills by lower-cased name: id. (Lower-cased here, not in SQL:
/// SQLite's lower() folds ASCII only.)
pub async fn skill_ids(
    conn: &mut Conn,
    workspace_id: i64,
) -> Result<HashMap<String, i64>, sqlx::Error> {
    Ok(
        sqlx::query_as::<_, (String, i64)>("SELECT name, id FROM skills WHERE workspace_id = $1")
            .bind(workspace_id)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .map(|(name, id)| (name.to_lowercase(), id))
            .collect(),
    )
}

/// Adds a person to the workspace; answers their id.
pub async fn insert_person(
    conn: &mut Conn,
    workspace_id: i64,
    p: &NewPerson,
    now_ms: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO people (workspace_id, name, email, title, weekly_capacity_minutes,
                                 cost_rate_minor, bill_rate_minor, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(workspace_id)
    .bind(&p.name)
    .bind(&p.email)
    .bind(&p.title)
    .bind(p.weekly_minutes)
    .bind(p.cost_rate_minor)
    .bind(p.bill_rate_minor)
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await
}

/// Gives a person of the workspace a skill.
pub async fn add_person_skill(
    conn: &mut Conn,
    workspace_id: i64,
    person_id: i64,
    skill_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO person_skills (person_id, skill_id, workspace_id) VALUES ($1, $2, $3)")
        .bind(person_id)
        .bind(skill_id)
        .bind(workspace_id)
        .execute(&mut *conn)
        .await
        .map(|_| ())
}

/// Adds the skill `name` to the workspace; answers its id.
pub async fn insert_skill(
    conn: &mut Conn,
    workspace_id: i64,
    name: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("INSERT INTO skills (workspace_id, name) VALUES ($1, $2) RETURNING id")
        .bind(workspace_id)
        .bind(name)
        .fetch_one(&mut *conn)
        .await
}

/// Adds a deal of client `client_id` to the workspace's pipeline; answers its id.
pub async fn insert_deal(
    conn: &mut Conn,
    workspace_id: i64,
    client_id: i64,
    d: &NewDeal,
    now_ms: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO deals (workspace_id, client_id, title, value_minor, stage_id,
                                probability_override_pct, owner_user_id, expected_close_on,
                                planned_start_on, planned_weeks, stage_entered_at, created_at,
                                updated_at, furthest_stage_id, progressed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $11, $5, $11) RETURNING id",
    )
    .bind(workspace_id)
    .bind(client_id)
    .bind(&d.title)
    .bind(d.value_minor)
    .bind(d.stage_id)
    .bind(d.probability)
    .bind(d.owner_user_id)
    .bind(&d.expected_close_on)
    .bind(&d.planned_start_on)
    .bind(d.planned_weeks)
    .bind(now_ms)
    .fetch_one(&mut *conn)
    .await
}
