//! CSV export (deals, projects, time entries, people) and import (people, deals).
//!
//! Export is `GET /export/<kind>.csv` (see the server's router), built here by
//! [`export`]: every query scoped to the caller's workspace, money columns only for the
//! permissions that may see them. Import goes in two steps, both server functions:
//! [`import_check`] validates a part of a file and answers per-row errors and a preview;
//! [`import_part`] stores the parts of an upload and, when the last one arrives, checks
//! them all together and writes every row in one transaction — or nothing, if any row
//! is wrong. Files are sent in parts of at most [`ROWS_PER_PART`] rows (each request
//! stays under the body limit) so the browser can show progress.

use crate::error::AppError;
use leptos::prelude::*;

/// Rows per request when the browser sends a file.
pub const ROWS_PER_PART: usize = 1000;
/// The most rows one import may hold.
pub const MAX_IMPORT_ROWS: usize = 50_000;
/// The most parts one import may have.
pub const MAX_PARTS: i64 = (MAX_IMPORT_ROWS / ROWS_PER_PART) as i64;

/// The columns an import of `kind` understands (the first ones are required).
pub fn import_columns(kind: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    match kind {
        "people" => Some((
            &["name", "weekly_hours"],
            &["email", "title", "skills", "cost_rate", "bill_rate"],
        )),
        "deals" => Some((
            &["title", "client", "value"],
            &[
                "stage",
                "probability",
                "owner_email",
                "expected_close_on",
                "planned_start_on",
                "planned_weeks",
            ],
        )),
        _ => None,
    }
}

/// A problem with one row (row 1 is the header).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowError {
    /// 1-based row of the file, the header being row 1.
    pub row: i64,
    /// The column at fault.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// The answer to checking part of a file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CheckedPart {
    /// Rows checked in this part.
    pub rows: i64,
    /// Problems, at most 200.
    pub errors: Vec<RowError>,
    /// The header as understood.
    pub header: Vec<String>,
    /// The first rows as they would be written (at most 5).
    pub preview: Vec<Vec<String>>,
}

/// The answer to one part of an upload.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImportResult {
    /// Parts received so far.
    pub received: i64,
    /// Whether the import ran (all parts were in).
    pub done: bool,
    /// Rows written (0 unless done without errors).
    pub created: i64,
    /// Problems found when all parts were checked together (nothing was written).
    pub errors: Vec<RowError>,
}

#[cfg(feature = "ssr")]
mod imp {
    use super::*;
    use crate::domain::calendar::Date;
    use crate::domain::money::Currency;
    use crate::domain::permissions::Permission;
    use crate::domain::validate;
    use crate::server::context::Caller;
    use sqlx::SqliteConnection;
    use std::collections::{HashMap, HashSet};

    /// A person ready to insert.
    pub struct NewPerson {
        pub name: String,
        pub email: Option<String>,
        pub title: Option<String>,
        pub weekly_minutes: i64,
        pub cost_rate_minor: i64,
        pub bill_rate_minor: i64,
        pub skills: Vec<String>,
    }

    /// A deal ready to insert.
    pub struct NewDeal {
        pub title: String,
        pub client: String,
        pub value_minor: i64,
        pub stage_id: i64,
        pub probability: Option<i64>,
        pub owner_user_id: i64,
        pub expected_close_on: Option<String>,
        pub planned_start_on: Option<String>,
        pub planned_weeks: i64,
    }

    /// What rows are checked against.
    #[derive(PartialEq)]
    pub struct Lookup {
        currency: Currency,
        people_emails: HashSet<String>,
        stages: Vec<(i64, String, String)>,
        users: HashMap<String, i64>,
    }

    pub fn require(caller: &Caller, kind: &str) -> Result<(), AppError> {
        match kind {
            "people" => caller.require(Permission::ManagePeople),
            "deals" => caller.require(Permission::EditDeals),
            _ => Err(AppError::invalid("kind", "must be people or deals")),
        }
    }

    pub async fn lookup(conn: &mut SqliteConnection, caller: &Caller) -> Result<Lookup, AppError> {
        let currency: String = sqlx::query_scalar("SELECT currency FROM workspaces WHERE id = $1")
            .bind(caller.workspace_id)
            .fetch_one(&mut *conn)
            .await?;
        let emails: Vec<Option<String>> =
            sqlx::query_scalar("SELECT email FROM people WHERE workspace_id = $1")
                .bind(caller.workspace_id)
                .fetch_all(&mut *conn)
                .await?;
        let stages = sqlx::query_as(
            "SELECT id, name, kind FROM stages WHERE workspace_id = $1 ORDER BY position",
        )
        .bind(caller.workspace_id)
        .fetch_all(&mut *conn)
        .await?;
        let users: Vec<(String, i64)> = sqlx::query_as(
            "SELECT lower(email), id FROM users WHERE workspace_id = $1 AND active = 1",
        )
        .bind(caller.workspace_id)
        .fetch_all(&mut *conn)
        .await?;
        Ok(Lookup {
            currency: Currency::new(&currency),
            people_emails: emails
                .into_iter()
                .flatten()
                .map(|e| e.to_lowercase())
                .collect(),
            stages,
            users: users.into_iter().collect(),
        })
    }

    /// The header's columns, or an error on row 1.
    pub fn header(kind: &str, record: &[String]) -> Result<Vec<String>, RowError> {
        let (required, optional) = import_columns(kind).ok_or_else(|| RowError {
            row: 1,
            field: "kind".into(),
            message: "must be people or deals".into(),
        })?;
        let names: Vec<String> = record
            .iter()
            .map(|h| h.trim().to_lowercase().replace(' ', "_"))
            .collect();
        for n in &names {
            if !required.contains(&n.as_str()) && !optional.contains(&n.as_str()) {
                return Err(RowError {
                    row: 1,
                    field: n.clone(),
                    message: format!(
                        "is not a column Baton knows; use {}",
                        required
                            .iter()
                            .chain(optional.iter())
                            .copied()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
        }
        let mut seen = HashSet::new();
        for n in &names {
            if !seen.insert(n.clone()) {
                return Err(RowError {
                    row: 1,
                    field: n.clone(),
                    message: "appears twice".into(),
                });
            }
        }
        for r in required {
            if !names.iter().any(|n| n == r) {
                return Err(RowError {
                    row: 1,
                    field: (*r).into(),
                    message: "is a required column".into(),
                });
            }
        }
        Ok(names)
    }

    fn get<'a>(header: &[String], record: &'a [String], name: &str) -> &'a str {
        header
            .iter()
            .position(|h| h == name)
            .and_then(|i| record.get(i))
            .map(|s| s.trim())
            .unwrap_or("")
    }

    /// `Err` unless the row has as many cells as the header.
    fn same_width(header: &[String], record: &[String], row: i64) -> Result<(), RowError> {
        if record.len() == header.len() {
            return Ok(());
        }
        Err(RowError {
            row,
            field: String::new(),
            message: format!(
                "has {} cells; the header has {}",
                record.len(),
                header.len()
            ),
        })
    }

    fn err(row: i64, e: AppError) -> RowError {
        match e {
            AppError::Invalid { field, reason } => RowError {
                row,
                field,
                message: reason,
            },
            other => RowError {
                row,
                field: String::new(),
                message: other.to_string(),
            },
        }
    }

    fn money(field: &str, text: &str, currency: &Currency) -> Result<i64, AppError> {
        if text.is_empty() {
            return Ok(0);
        }
        Ok(validate::amount(field, text, currency)?)
    }

    fn date(field: &str, text: &str) -> Result<Option<String>, AppError> {
        match text {
            "" => Ok(None),
            t => Date::parse(t)
                .map(|d| Some(d.to_string()))
                .ok_or_else(|| AppError::invalid(field, "must be a date like 2026-12-31")),
        }
    }

    pub fn person(
        header: &[String],
        record: &[String],
        row: i64,
        lookup: &Lookup,
        emails_in_file: &mut HashSet<String>,
    ) -> Result<NewPerson, RowError> {
        let f = |name: &str| get(header, record, name);
        same_width(header, record, row)?;
        let name =
            validate::required_text("name", f("name"), 200).map_err(|e| err(row, e.into()))?;
        let email = match f("email") {
            "" => None,
            e => {
                let e = validate::email("email", e).map_err(|e| err(row, e.into()))?;
                let key = e.to_lowercase();
                if lookup.people_emails.contains(&key) {
                    return Err(err(
                        row,
                        AppError::invalid("email", "belongs to someone already in the team"),
                    ));
                }
                if !emails_in_file.insert(key) {
                    return Err(err(
                        row,
                        AppError::invalid("email", "appears on an earlier row"),
                    ));
                }
                Some(e)
            }
        };
        let title =
            validate::optional_text("title", f("title"), 200).map_err(|e| err(row, e.into()))?;
        let weekly_minutes = validate::hours("weekly_hours", f("weekly_hours"), 168)
            .map_err(|e| err(row, e.into()))?;
        if f("weekly_hours").is_empty() {
            return Err(err(
                row,
                AppError::invalid("weekly_hours", "is required (hours a week, 0 to 168)"),
            ));
        }
        let cost_rate_minor =
            money("cost_rate", f("cost_rate"), &lookup.currency).map_err(|e| err(row, e))?;
        let bill_rate_minor =
            money("bill_rate", f("bill_rate"), &lookup.currency).map_err(|e| err(row, e))?;
        let mut skills: Vec<String> = Vec::new();
        for s in f("skills")
            .split(';')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            if s.chars().count() > 80 {
                return Err(err(
                    row,
                    AppError::invalid("skills", "a skill name is longer than 80 characters"),
                ));
            }
            if !skills.iter().any(|k| k.to_lowercase() == s.to_lowercase()) {
                skills.push(s.to_string());
            }
        }
        Ok(NewPerson {
            name,
            email,
            title: (!title.is_empty()).then_some(title),
            weekly_minutes,
            cost_rate_minor,
            bill_rate_minor,
            skills,
        })
    }

    pub fn deal(
        header: &[String],
        record: &[String],
        row: i64,
        lookup: &Lookup,
        caller: &Caller,
    ) -> Result<NewDeal, RowError> {
        let f = |name: &str| get(header, record, name);
        same_width(header, record, row)?;
        let title =
            validate::required_text("title", f("title"), 200).map_err(|e| err(row, e.into()))?;
        let client =
            validate::required_text("client", f("client"), 200).map_err(|e| err(row, e.into()))?;
        if client.chars().any(char::is_control) {
            return Err(err(
                row,
                AppError::invalid("client", "must not contain control characters"),
            ));
        }
        let value_minor = money("value", f("value"), &lookup.currency).map_err(|e| err(row, e))?;
        let stage_id = match f("stage") {
            "" => lookup.stages.iter().find(|s| s.2 == "open").map(|s| s.0),
            name => lookup
                .stages
                .iter()
                .find(|s| s.1.eq_ignore_ascii_case(name) && s.2 == "open")
                .map(|s| s.0),
        }
        .ok_or_else(|| {
            err(
                row,
                AppError::invalid("stage", "is not an open stage of this pipeline"),
            )
        })?;
        let probability = match f("probability").trim_end_matches('%').trim() {
            "" => None,
            p => Some(
                p.parse::<i64>()
                    .ok()
                    .filter(|p| (0..=100).contains(p))
                    .ok_or_else(|| {
                        err(
                            row,
                            AppError::invalid(
                                "probability",
                                "must be a whole number from 0 to 100",
                            ),
                        )
                    })?,
            ),
        };
        let owner_user_id = match f("owner_email") {
            "" => caller.user_id,
            e => *lookup.users.get(&e.to_lowercase()).ok_or_else(|| {
                err(
                    row,
                    AppError::invalid("owner_email", "is not an active user of this workspace"),
                )
            })?,
        };
        let expected_close_on =
            date("expected_close_on", f("expected_close_on")).map_err(|e| err(row, e))?;
        let planned_start_on =
            date("planned_start_on", f("planned_start_on")).map_err(|e| err(row, e))?;
        let planned_weeks = match f("planned_weeks") {
            "" => 4,
            w => w
                .parse::<i64>()
                .ok()
                .filter(|w| (1..=104).contains(w))
                .ok_or_else(|| {
                    err(
                        row,
                        AppError::invalid("planned_weeks", "must be from 1 to 104 weeks"),
                    )
                })?,
        };
        Ok(NewDeal {
            title,
            client,
            value_minor,
            stage_id,
            probability,
            owner_user_id,
            expected_close_on,
            planned_start_on,
            planned_weeks,
        })
    }

    /// Checks `records` (the header first; data rows numbered from `first_row`).
    pub fn check(
        kind: &str,
        records: &[Vec<String>],
        first_row: i64,
        lookup: &Lookup,
        caller: &Caller,
    ) -> (Vec<String>, Vec<NewPerson>, Vec<NewDeal>, Vec<RowError>) {
        let mut errors = Vec::new();
        let Some((head, rows)) = records.split_first() else {
            errors.push(RowError {
                row: 1,
                field: String::new(),
                message: "the file is empty".into(),
            });
            return (Vec::new(), Vec::new(), Vec::new(), errors);
        };
        let header = match header(kind, head) {
            Ok(h) => h,
            Err(e) => return (Vec::new(), Vec::new(), Vec::new(), vec![e]),
        };
        let mut people = Vec::new();
        let mut deals = Vec::new();
        let mut emails = HashSet::new();
        for (k, record) in rows.iter().enumerate() {
            let row = first_row + k as i64;
            let result = match kind {
                "people" => {
                    person(&header, record, row, lookup, &mut emails).map(|p| people.push(p))
                }
                _ => deal(&header, record, row, lookup, caller).map(|d| deals.push(d)),
            };
            if let Err(e) = result {
                errors.push(e);
            }
        }
        (header, people, deals, errors)
    }

    pub fn decimal(minor: i64, currency: &Currency) -> String {
        let exp = currency.exponent();
        if exp == 0 {
            return minor.to_string();
        }
        let per = 10_i64.pow(exp);
        let sign = if minor < 0 { "-" } else { "" };
        let abs = minor.unsigned_abs();
        format!(
            "{sign}{}.{:0width$}",
            abs / per as u64,
            abs % per as u64,
            width = exp as usize
        )
    }

    pub fn preview(
        kind: &str,
        people: &[NewPerson],
        deals: &[NewDeal],
        lookup: &Lookup,
    ) -> Vec<Vec<String>> {
        if kind == "people" {
            people
                .iter()
                .take(5)
                .map(|p| {
                    vec![
                        p.name.clone(),
                        p.email.clone().unwrap_or_default(),
                        p.title.clone().unwrap_or_default(),
                        crate::domain::validate::hours_text(p.weekly_minutes),
                        p.skills.join("; "),
                        decimal(p.cost_rate_minor, &lookup.currency),
                        decimal(p.bill_rate_minor, &lookup.currency),
                    ]
                })
                .collect()
        } else {
            deals
                .iter()
                .take(5)
                .map(|d| {
                    vec![
                        d.title.clone(),
                        d.client.clone(),
                        decimal(d.value_minor, &lookup.currency),
                        lookup
                            .stages
                            .iter()
                            .find(|s| s.0 == d.stage_id)
                            .map(|s| s.1.clone())
                            .unwrap_or_default(),
                        d.probability
                            .map(|p| format!("{p} %"))
                            .unwrap_or_else(|| "stage".into()),
                        d.expected_close_on.clone().unwrap_or_default(),
                        d.planned_weeks.to_string(),
                    ]
                })
                .collect()
        }
    }

    pub fn preview_header(kind: &str) -> Vec<String> {
        let h: &[&str] = if kind == "people" {
            &[
                "Name",
                "Email",
                "Title",
                "Hours / week",
                "Skills",
                "Cost rate",
                "Bill rate",
            ]
        } else {
            &[
                "Title",
                "Client",
                "Value",
                "Stage",
                "Probability",
                "Expected close",
                "Weeks",
            ]
        };
        h.iter().map(|s| s.to_string()).collect()
    }

    /// Writes everything in the caller's transaction; answers rows written.
    pub async fn write(
        conn: &mut SqliteConnection,
        caller: &Caller,
        people: Vec<NewPerson>,
        deals: Vec<NewDeal>,
        now: i64,
    ) -> Result<i64, AppError> {
        use crate::server::{client_repo, events};
        let mut created = 0;
        // Lower-cased here, not in SQL: SQLite's lower() folds ASCII only.
        let mut skill_ids: HashMap<String, i64> = sqlx::query_as::<_, (String, i64)>(
            "SELECT name, id FROM skills WHERE workspace_id = $1",
        )
        .bind(caller.workspace_id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|(name, id)| (name.to_lowercase(), id))
        .collect();
        for p in people {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO people (workspace_id, name, email, title, weekly_capacity_minutes,
                                     cost_rate_minor, bill_rate_minor, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(caller.workspace_id)
            .bind(&p.name)
            .bind(&p.email)
            .bind(&p.title)
            .bind(p.weekly_minutes)
            .bind(p.cost_rate_minor)
            .bind(p.bill_rate_minor)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
            for s in &p.skills {
                let skill = match skill_ids.get(&s.to_lowercase()) {
                    Some(id) => *id,
                    None => {
                        let sid: i64 = sqlx::query_scalar(
                            "INSERT INTO skills (workspace_id, name) VALUES ($1, $2) RETURNING id",
                        )
                        .bind(caller.workspace_id)
                        .bind(s)
                        .fetch_one(&mut *conn)
                        .await?;
                        skill_ids.insert(s.to_lowercase(), sid);
                        sid
                    }
                };
                sqlx::query(
                    "INSERT INTO person_skills (person_id, skill_id, workspace_id) VALUES ($1, $2, $3)",
                )
                .bind(id)
                .bind(skill)
                .bind(caller.workspace_id)
                .execute(&mut *conn)
                .await?;
            }
            events::append(
                &mut *conn,
                events::NewEvent {
                    workspace_id: caller.workspace_id,
                    actor_user_id: Some(caller.user_id),
                    entity: "person",
                    entity_id: id,
                    action: "imported",
                    before: None,
                    after: Some(serde_json::json!({ "name": p.name, "skills": p.skills })),
                },
                now,
            )
            .await?;
            created += 1;
        }
        for d in deals {
            let client_id =
                match client_repo::by_name(&mut *conn, caller.workspace_id, &d.client).await? {
                    Some((id, _)) => id,
                    None => {
                        client_repo::insert(
                            &mut *conn,
                            caller,
                            client_repo::NewClient {
                                name: &d.client,
                                contact_name: "",
                                contact_email: "",
                            },
                            now,
                        )
                        .await?
                    }
                };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO deals (workspace_id, client_id, title, value_minor, stage_id,
                                    probability_override_pct, owner_user_id, expected_close_on,
                                    planned_start_on, planned_weeks, stage_entered_at, created_at,
                                    updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $11) RETURNING id",
            )
            .bind(caller.workspace_id)
            .bind(client_id)
            .bind(&d.title)
            .bind(d.value_minor)
            .bind(d.stage_id)
            .bind(d.probability)
            .bind(d.owner_user_id)
            .bind(&d.expected_close_on)
            .bind(&d.planned_start_on)
            .bind(d.planned_weeks)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
            events::append(
                &mut *conn,
                events::NewEvent {
                    workspace_id: caller.workspace_id,
                    actor_user_id: Some(caller.user_id),
                    entity: "deal",
                    entity_id: id,
                    action: "imported",
                    before: None,
                    after: Some(
                        serde_json::json!({ "title": d.title, "value_minor": d.value_minor }),
                    ),
                },
                now,
            )
            .await?;
            created += 1;
        }
        Ok(created)
    }

    /// The CSV export of `kind` for `caller`.
    pub async fn export(
        pool: &sqlx::SqlitePool,
        caller: &Caller,
        kind: &str,
    ) -> Result<String, AppError> {
        use crate::domain::csv::{cell, line};
        use crate::domain::validate::hours_text;
        let values = caller.can(Permission::ViewDealValues);
        // Cost rates as such with "view cost rates"; amounts worked out from them only for
        // those who may see both.
        let costs = caller.can(Permission::ViewCostRates);
        let amounts = caller.permissions.sees_cost_amounts();
        let mut conn = pool.acquire().await?;
        let (currency, ..) =
            crate::server::close_repo::targets(&mut conn, caller.workspace_id).await?;
        let cur = &Currency::new(&currency);
        let mut out = String::new();
        let push = |out: &mut String, cells: Vec<(bool, String)>| {
            let row: Vec<String> = cells
                .into_iter()
                .filter(|(keep, _)| *keep)
                .map(|(_, v)| v)
                .collect();
            out.push_str(&line(&row));
        };
        let h = |s: &str| cell(s);
        match kind {
            "deals" => {
                caller.require(Permission::ViewPipeline)?;
                push(
                    &mut out,
                    vec![
                        (true, h("id")),
                        (true, h("title")),
                        (true, h("client")),
                        (true, h("stage")),
                        (true, h("stage_kind")),
                        (values, h("value")),
                        (true, h("probability")),
                        (values, h("weighted_value")),
                        (true, h("owner_email")),
                        (true, h("expected_close_on")),
                        (true, h("planned_start_on")),
                        (true, h("planned_weeks")),
                        (true, h("created_on")),
                        (true, h("closed_on")),
                        (true, h("lost_reason")),
                    ],
                );
                type Row = (
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
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT d.id, d.title, c.name, s.name, s.kind, d.value_minor,
                            COALESCE(d.probability_override_pct, s.probability_pct), u.email,
                            d.expected_close_on, d.planned_start_on, d.planned_weeks, d.created_at,
                            d.closed_at, d.lost_reason
                     FROM deals d JOIN clients c ON c.id = d.client_id JOIN stages s ON s.id = d.stage_id
                     JOIN users u ON u.id = d.owner_user_id
                     WHERE d.workspace_id = $1 AND d.archived_at IS NULL ORDER BY d.id",
                )
                .bind(caller.workspace_id)
                .fetch_all(&mut *conn)
                .await?;
                for r in rows {
                    use crate::domain::pipeline::{
                        effective_probability, weighted_value, StageKind,
                    };
                    let kind = StageKind::parse(&r.4).unwrap_or(StageKind::Open);
                    let probability = effective_probability(kind, r.6, None);
                    let weighted = weighted_value(r.5, probability).unwrap_or(0);
                    push(
                        &mut out,
                        vec![
                            (true, r.0.to_string()),
                            (true, cell(&r.1)),
                            (true, cell(&r.2)),
                            (true, cell(&r.3)),
                            (true, r.4.clone()),
                            (values, decimal(r.5, cur)),
                            (true, probability.to_string()),
                            (values, decimal(weighted, cur)),
                            (true, cell(&r.7)),
                            (true, r.8.unwrap_or_default()),
                            (true, r.9.unwrap_or_default()),
                            (true, r.10.to_string()),
                            (true, Date::from_unix_ms(r.11).to_string()),
                            (
                                true,
                                r.12.map(|c| Date::from_unix_ms(c).to_string())
                                    .unwrap_or_default(),
                            ),
                            (true, cell(&r.13.unwrap_or_default())),
                        ],
                    );
                }
            }
            "projects" => {
                caller.require(Permission::ViewPipeline)?;
                push(
                    &mut out,
                    vec![
                        (true, h("id")),
                        (true, h("name")),
                        (true, h("client")),
                        (true, h("pm")),
                        (true, h("status")),
                        (true, h("starts_on")),
                        (true, h("ends_on")),
                        (values, h("budget")),
                        (values, h("spent")),
                        (values, h("forecast")),
                        (amounts, h("forecast_cost")),
                        (amounts, h("forecast_margin_pct")),
                        (true, h("progress_pct")),
                        (true, h("at_risk")),
                    ],
                );
                let today = Date::from_unix_ms(crate::server::context::now_ms());
                let burns =
                    crate::server::burn_repo::burns(&mut conn, caller.workspace_id, None, today)
                        .await?;
                type Row = (i64, String, String, Option<String>, String, String, String);
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT p.id, p.name, c.name, u.name, p.status, p.starts_on, p.ends_on
                     FROM projects p JOIN clients c ON c.id = p.client_id
                     LEFT JOIN users u ON u.id = p.pm_user_id
                     WHERE p.workspace_id = $1 ORDER BY p.id",
                )
                .bind(caller.workspace_id)
                .fetch_all(&mut *conn)
                .await?;
                for r in rows {
                    let Some(b) = burns.get(&r.0) else { continue };
                    let running = !crate::domain::project::ProjectStatus::stored_is_over(&r.4);
                    push(
                        &mut out,
                        vec![
                            (true, r.0.to_string()),
                            (true, cell(&r.1)),
                            (true, cell(&r.2)),
                            (true, cell(&r.3.clone().unwrap_or_default())),
                            (true, r.4.clone()),
                            (true, r.5.clone()),
                            (true, r.6.clone()),
                            (values, decimal(b.budget_minor, cur)),
                            (values, decimal(b.spent_minor, cur)),
                            (values, decimal(b.forecast_minor, cur)),
                            (amounts, decimal(b.forecast_cost_minor, cur)),
                            (
                                amounts,
                                b.forecast_margin_bp
                                    .map(|m| format!("{:.2}", m as f64 / 100.0))
                                    .unwrap_or_default(),
                            ),
                            (true, format!("{:.2}", b.progress_bp as f64 / 100.0)),
                            (true, (b.at_risk() && running).to_string()),
                        ],
                    );
                }
            }
            "time" => {
                let all = caller.can(Permission::ManageProjects);
                if !all {
                    caller.require(Permission::LogOwnTime)?;
                }
                let own = crate::server::context::own_person(&mut conn, caller).await?;
                push(
                    &mut out,
                    vec![
                        (true, h("date")),
                        (true, h("person")),
                        (true, h("project")),
                        (true, h("client")),
                        (true, h("hours")),
                        (true, h("billable")),
                        (true, h("note")),
                        (values, h("billable_amount")),
                        (amounts, h("cost")),
                    ],
                );
                type Row = (String, String, String, String, i64, bool, String, i64, i64);
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT t.worked_on, pe.name, p.name, c.name, t.minutes, t.billable = 1, t.note,
                            pe.bill_rate_minor, pe.cost_rate_minor
                     FROM time_entries t JOIN people pe ON pe.id = t.person_id
                     JOIN projects p ON p.id = t.project_id JOIN clients c ON c.id = p.client_id
                     WHERE t.workspace_id = $1 AND ($2 = 1 OR t.person_id = $3)
                     ORDER BY t.worked_on, t.id",
                )
                .bind(caller.workspace_id)
                .bind(all)
                .bind(own.unwrap_or(-1))
                .fetch_all(&mut *conn)
                .await?;
                for r in rows {
                    let amount = if r.5 {
                        crate::domain::margin::cost_of(r.4, r.7).unwrap_or(0)
                    } else {
                        0
                    };
                    let cost = crate::domain::margin::cost_of(r.4, r.8).unwrap_or(0);
                    push(
                        &mut out,
                        vec![
                            (true, r.0.clone()),
                            (true, cell(&r.1)),
                            (true, cell(&r.2)),
                            (true, cell(&r.3)),
                            (true, hours_text(r.4)),
                            (true, r.5.to_string()),
                            (true, cell(&r.6)),
                            (values, decimal(amount, cur)),
                            (amounts, decimal(cost, cur)),
                        ],
                    );
                }
            }
            "people" => {
                caller.require(Permission::ViewPipeline)?;
                push(
                    &mut out,
                    vec![
                        (true, h("name")),
                        (true, h("email")),
                        (true, h("title")),
                        (true, h("skills")),
                        (true, h("weekly_hours")),
                        (values, h("bill_rate")),
                        (costs, h("cost_rate")),
                        (true, h("active")),
                    ],
                );
                type Row = (
                    i64,
                    String,
                    Option<String>,
                    Option<String>,
                    i64,
                    i64,
                    i64,
                    bool,
                );
                let rows: Vec<Row> = sqlx::query_as(
                    "SELECT id, name, email, title, weekly_capacity_minutes, bill_rate_minor,
                            cost_rate_minor, active = 1
                     FROM people WHERE workspace_id = $1 ORDER BY name, id",
                )
                .bind(caller.workspace_id)
                .fetch_all(&mut *conn)
                .await?;
                let skills: Vec<(i64, String)> = sqlx::query_as(
                    "SELECT ps.person_id, s.name FROM person_skills ps JOIN skills s ON s.id = ps.skill_id
                     WHERE ps.workspace_id = $1 ORDER BY s.name",
                )
                .bind(caller.workspace_id)
                .fetch_all(&mut *conn)
                .await?;
                for r in rows {
                    let list: Vec<&str> = skills
                        .iter()
                        .filter(|s| s.0 == r.0)
                        .map(|s| s.1.as_str())
                        .collect();
                    push(
                        &mut out,
                        vec![
                            (true, cell(&r.1)),
                            (true, cell(&r.2.clone().unwrap_or_default())),
                            (true, cell(&r.3.clone().unwrap_or_default())),
                            (true, cell(&list.join("; "))),
                            (true, hours_text(r.4)),
                            (values, decimal(r.5, cur)),
                            (costs, decimal(r.6, cur)),
                            (true, r.7.to_string()),
                        ],
                    );
                }
            }
            _ => {
                return Err(AppError::invalid(
                    "kind",
                    "must be deals, projects, time or people",
                ))
            }
        }
        Ok(out)
    }
}

#[cfg(feature = "ssr")]
pub use imp::export;

/// One part of a file as sent: valid CSV of a header and at most [`ROWS_PER_PART`] rows.
#[cfg(feature = "ssr")]
fn parse_part(csv: &str) -> Result<Vec<Vec<String>>, AppError> {
    let records = crate::domain::csv::parse(csv).map_err(|e| AppError::invalid("csv", e))?;
    if records.len() > ROWS_PER_PART + 1 {
        return Err(AppError::invalid(
            "csv",
            format!("send at most {ROWS_PER_PART} rows at a time"),
        ));
    }
    Ok(records)
}

/// Checks part of a CSV file for an import of `kind` (`people` or `deals`) without
/// writing anything. `csv` holds the header and up to [`ROWS_PER_PART`] rows; its data
/// rows are numbered from `first_row` in the answer. Needs "manage people" for people,
/// "edit deals" for deals.
#[server(endpoint = "import_check")]
pub async fn import_check(
    kind: String,
    csv: String,
    first_row: i64,
) -> Result<CheckedPart, AppError> {
    use crate::server::context;

    let caller = context::caller().await?;
    imp::require(&caller, &kind)?;
    if !(2..=MAX_IMPORT_ROWS as i64 + 1).contains(&first_row) {
        return Err(AppError::invalid("first_row", "must be from 2 to 50,001"));
    }
    let records = parse_part(&csv)?;
    let pool = context::pool()?;
    let mut conn = pool.acquire().await?;
    let lookup = imp::lookup(&mut conn, &caller).await?;
    let (_, people, deals, mut errors) = imp::check(&kind, &records, first_row, &lookup, &caller);
    errors.truncate(200);
    Ok(CheckedPart {
        rows: records.len().saturating_sub(1) as i64,
        preview: imp::preview(&kind, &people, &deals, &lookup),
        header: imp::preview_header(&kind),
        errors,
    })
}

/// One part of an upload: `upload` names it (16–64 letters, digits or dashes, chosen by
/// the browser), `part` counts from 0 to `parts − 1`, `csv` is the header and that
/// part's rows. When the last part is in, all parts are checked together and, if every
/// row is right, written in one transaction; otherwise nothing is written and the
/// errors are answered. Either way the parts are then deleted.
#[server(endpoint = "import_part")]
pub async fn import_part(
    kind: String,
    upload: String,
    part: i64,
    parts: i64,
    csv: String,
) -> Result<ImportResult, AppError> {
    use crate::api::live::LiveEvent;
    use crate::server::context;

    let caller = context::caller().await?;
    imp::require(&caller, &kind)?;
    if !(16..=64).contains(&upload.len())
        || !upload
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(AppError::invalid(
            "upload",
            "must be 16 to 64 letters, digits or dashes",
        ));
    }
    if !(1..=MAX_PARTS).contains(&parts) {
        return Err(AppError::invalid(
            "parts",
            format!("must be from 1 to {MAX_PARTS}"),
        ));
    }
    if !(0..parts).contains(&part) {
        return Err(AppError::invalid("part", "must be from 0 to parts − 1"));
    }
    // Refused now, not when the last part arrives.
    parse_part(&csv)?;
    let state = context::state()?;
    let now = context::now_ms();

    // 1. Stage the part (a short write).
    let mut tx = state.db.write().await?;
    if let Some(done) = staged_answer(&mut tx, &caller, &kind, &upload, now).await? {
        tx.commit().await?;
        return Ok(done);
    }
    sqlx::query(
        "INSERT INTO import_parts (workspace_id, user_id, upload, kind, part, body, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (upload, part) DO UPDATE SET body = excluded.body",
    )
    .bind(caller.workspace_id)
    .bind(caller.user_id)
    .bind(&upload)
    .bind(&kind)
    .bind(part)
    .bind(&csv)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let bodies = staged_parts(&mut tx, &caller, &upload).await?;
    tx.commit().await?;
    let received = bodies.len() as i64;
    if received < parts {
        return Ok(ImportResult {
            received,
            done: false,
            created: 0,
            errors: Vec::new(),
        });
    }

    // 2. Every part is in: assemble, look up and check every row without holding the
    // write lock, so other people's writes keep flowing meanwhile.
    let records = assemble(&bodies)?;
    let checked = match &records {
        Ok(records) => {
            let mut conn = state.db.read().await?;
            let lookup = imp::lookup(&mut conn, &caller).await?;
            drop(conn);
            let outcome = check_all(&kind, records, &lookup, &caller);
            Some((lookup, outcome))
        }
        Err(_) => None,
    };

    // 3. One short write: the parts go, and the rows are written only if every one is
    // right. If what the rows were checked against changed meanwhile, they are checked
    // again here, inside the lock.
    let mut tx = state.db.write().await?;
    if let Some(done) = staged_answer(&mut tx, &caller, &kind, &upload, now).await? {
        tx.commit().await?;
        return Ok(done);
    }
    if staged_parts(&mut tx, &caller, &upload).await? != bodies {
        // Another request finished or restaged this upload meanwhile.
        return Err(AppError::Conflict(
            "this upload changed while it was being checked; send it again".into(),
        ));
    }
    sqlx::query("DELETE FROM import_parts WHERE upload = $1 AND workspace_id = $2")
        .bind(&upload)
        .bind(caller.workspace_id)
        .execute(&mut *tx)
        .await?;
    let (records, (checked_against, outcome)) = match (records, checked) {
        (Ok(records), Some(checked)) => (records, checked),
        (records, _) => {
            let errors = records.err();
            tx.commit().await?;
            return Ok(ImportResult {
                received,
                done: true,
                created: 0,
                errors: errors_of(errors)?,
            });
        }
    };
    let outcome = {
        let lookup = imp::lookup(&mut tx, &caller).await?;
        if lookup == checked_against {
            outcome
        } else {
            check_all(&kind, &records, &lookup, &caller)
        }
    };
    let (people, deals) = match outcome {
        Ok(rows) => rows,
        Err(errors) => {
            // Only the staged parts go; nothing of the import is written.
            tx.commit().await?;
            return Ok(ImportResult {
                received,
                done: true,
                created: 0,
                errors,
            });
        }
    };
    let created = imp::write(&mut tx, &caller, people, deals, now).await?;
    let result = ImportResult {
        received,
        done: true,
        created,
        errors: Vec::new(),
    };
    sqlx::query(
        "INSERT INTO import_parts (workspace_id, user_id, upload, kind, part, body, created_at)
         VALUES ($1, $2, $3, $4, -1, $5, $6)",
    )
    .bind(caller.workspace_id)
    .bind(caller.user_id)
    .bind(&upload)
    .bind(&kind)
    .bind(serde_json::to_string(&result).map_err(|_| AppError::Internal)?)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let seq = crate::server::events::append(
        &mut tx,
        crate::server::events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "import",
            entity_id: 0,
            action: if kind == "people" {
                "people_imported"
            } else {
                "deals_imported"
            },
            before: None,
            after: Some(serde_json::json!({ "rows": created })),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    state.live.publish(
        caller.workspace_id,
        if kind == "people" {
            LiveEvent::Capacity { seq }
        } else {
            LiveEvent::Reset { seq }
        },
    );
    Ok(result)
}

/// Clears abandoned uploads, checks `upload` belongs to this caller and kind, and answers
/// its stored result if it already finished (a resent last part gets it again instead of
/// importing twice).
#[cfg(feature = "ssr")]
async fn staged_answer(
    tx: &mut crate::server::db::WriteTx,
    caller: &crate::server::context::Caller,
    kind: &str,
    upload: &str,
    now: i64,
) -> Result<Option<ImportResult>, AppError> {
    // Parts older than a day are abandoned uploads.
    sqlx::query("DELETE FROM import_parts WHERE workspace_id = $1 AND created_at < $2")
        .bind(caller.workspace_id)
        .bind(now - 86_400_000)
        .execute(&mut **tx)
        .await?;
    let owner: Option<(i64, i64, String)> = sqlx::query_as(
        "SELECT workspace_id, user_id, kind FROM import_parts WHERE upload = $1 LIMIT 1",
    )
    .bind(upload)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some((ws, user, k)) = owner {
        if ws != caller.workspace_id || user != caller.user_id || k != kind {
            return Err(AppError::invalid(
                "upload",
                "is already used by another import",
            ));
        }
    }
    let finished: Option<String> = sqlx::query_scalar(
        "SELECT body FROM import_parts WHERE upload = $1 AND workspace_id = $2 AND part = -1",
    )
    .bind(upload)
    .bind(caller.workspace_id)
    .fetch_optional(&mut **tx)
    .await?;
    finished
        .map(|body| serde_json::from_str(&body).map_err(|_| AppError::Internal))
        .transpose()
}

/// The staged parts of `upload`, in order.
#[cfg(feature = "ssr")]
async fn staged_parts(
    tx: &mut crate::server::db::WriteTx,
    caller: &crate::server::context::Caller,
    upload: &str,
) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT body FROM import_parts
         WHERE upload = $1 AND workspace_id = $2 AND part >= 0 ORDER BY part",
    )
    .bind(upload)
    .bind(caller.workspace_id)
    .fetch_all(&mut **tx)
    .await?)
}

/// Why a whole upload cannot be imported, before any row is checked.
#[cfg(feature = "ssr")]
enum Unreadable {
    /// The parts have different headers.
    MixedHeaders,
    /// The file has more rows than an import takes.
    TooLong,
}

#[cfg(feature = "ssr")]
fn errors_of(reason: Option<Unreadable>) -> Result<Vec<RowError>, AppError> {
    match reason {
        Some(Unreadable::MixedHeaders) => Ok(vec![RowError {
            row: 1,
            field: String::new(),
            message: "the parts of the file have different headers".into(),
        }]),
        Some(Unreadable::TooLong) => Err(AppError::invalid(
            "csv",
            format!("an import holds at most {MAX_IMPORT_ROWS} rows"),
        )),
        None => Ok(Vec::new()),
    }
}

/// The parts as one file again (the first header, every part's rows).
#[cfg(feature = "ssr")]
fn assemble(bodies: &[String]) -> Result<Result<Vec<Vec<String>>, Unreadable>, AppError> {
    let mut records: Vec<Vec<String>> = Vec::new();
    let mut mismatch = false;
    for body in bodies {
        let mut r = crate::domain::csv::parse(body).map_err(|e| AppError::invalid("csv", e))?;
        if r.is_empty() {
            continue;
        }
        if !records.is_empty() {
            mismatch |= r[0] != records[0];
            r.remove(0);
        }
        records.extend(r);
    }
    if mismatch {
        return Ok(Err(Unreadable::MixedHeaders));
    }
    if records.len() > MAX_IMPORT_ROWS + 1 {
        return Ok(Err(Unreadable::TooLong));
    }
    Ok(Ok(records))
}

/// Every row checked: the rows to write, or the first 200 errors.
#[cfg(feature = "ssr")]
fn check_all(
    kind: &str,
    records: &[Vec<String>],
    lookup: &imp::Lookup,
    caller: &crate::server::context::Caller,
) -> Result<(Vec<imp::NewPerson>, Vec<imp::NewDeal>), Vec<RowError>> {
    let (_, people, deals, mut errors) = imp::check(kind, records, 2, lookup, caller);
    if records.len() < 2 && errors.is_empty() {
        errors.push(RowError {
            row: 2,
            field: String::new(),
            message: "the file has no rows".into(),
        });
    }
    if errors.is_empty() {
        Ok((people, deals))
    } else {
        errors.truncate(200);
        Err(errors)
    }
}
