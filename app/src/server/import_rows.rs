//! What an import's rows must look like: the header, then each person or deal row
//! checked against the workspace (its currency, team, stages and users) and turned into
//! rows ready to write, or into problems naming the row and column.

use crate::domain::calendar::Date;
use crate::domain::money::Currency;
use crate::domain::validate;
use crate::error::AppError;
use crate::server::context::Caller;
use crate::server::import_repo::{Lookup, NewDeal, NewPerson};
use crate::shared::import::{RowError, DEAL_COLUMNS, MAX_IMPORT_ROWS, PEOPLE_COLUMNS};
use std::collections::HashSet;

/// An import: what it creates and what its file may hold (the columns and the row limit
/// the browser shows, from `shared::import`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportKind {
    /// `people` or `deals`, as the upload is staged and the import's event named.
    pub name: &'static str,
    /// The columns a file must have.
    pub required: &'static [&'static str],
    /// The columns it may have besides.
    pub optional: &'static [&'static str],
    /// The most rows one import may hold.
    pub max_rows: usize,
}

impl ImportKind {
    /// An import of people.
    pub const PEOPLE: Self = Self {
        name: "people",
        required: PEOPLE_COLUMNS.0,
        optional: PEOPLE_COLUMNS.1,
        max_rows: MAX_IMPORT_ROWS,
    };
    /// An import of deals.
    pub const DEALS: Self = Self {
        name: "deals",
        required: DEAL_COLUMNS.0,
        optional: DEAL_COLUMNS.1,
        max_rows: MAX_IMPORT_ROWS,
    };

    /// Whether it imports people (otherwise deals).
    pub fn is_people(self) -> bool {
        self.name == "people"
    }
}

/// A whole upload checked: the rows to write, or the first 200 problems.
pub type Checked = Result<(Vec<NewPerson>, Vec<NewDeal>), Vec<RowError>>;

/// The header's columns, or an error on row 1.
fn header(kind: ImportKind, record: &[String]) -> Result<Vec<String>, RowError> {
    let ImportKind {
        required, optional, ..
    } = kind;
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

/// The cell of column `name` in `record`, trimmed; empty when the row has none.
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

/// `e` as a problem with row `row`.
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

/// An amount in minor units; an empty cell is 0.
fn money(field: &str, text: &str, currency: &Currency) -> Result<i64, AppError> {
    if text.is_empty() {
        return Ok(0);
    }
    Ok(validate::amount(field, text, currency)?)
}

/// A date as `YYYY-MM-DD`; an empty cell is none.
fn date(field: &str, text: &str) -> Result<Option<String>, AppError> {
    match text {
        "" => Ok(None),
        t => Date::parse(t)
            .map(|d| Some(d.to_string()))
            .ok_or_else(|| AppError::invalid(field, "must be a date like 2026-12-31")),
    }
}

/// One row of a people import, ready to write; `emails_in_file` gathers the emails of
/// the rows before it.
fn person(
    header: &[String],
    record: &[String],
    row: i64,
    lookup: &Lookup,
    emails_in_file: &mut HashSet<String>,
) -> Result<NewPerson, RowError> {
    let f = |name: &str| get(header, record, name);
    same_width(header, record, row)?;
    let name = validate::required_text("name", f("name"), 200).map_err(|e| err(row, e.into()))?;
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
    let weekly_minutes =
        validate::hours("weekly_hours", f("weekly_hours"), 168).map_err(|e| err(row, e.into()))?;
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

/// One row of a deals import, ready to write; a row without an owner is the caller's.
fn deal(
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
        "" => lookup
            .stages
            .iter()
            .find(|s| s.kind == "open")
            .map(|s| s.id),
        name => lookup
            .stages
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name) && s.kind == "open")
            .map(|s| s.id),
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
                        AppError::invalid("probability", "must be a whole number from 0 to 100"),
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

/// Checks `records` (the header first; data rows numbered from `first_row`): the header
/// as understood, the rows ready to write, and every problem found.
pub fn check(
    kind: ImportKind,
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
        let result = if kind.is_people() {
            person(&header, record, row, lookup, &mut emails).map(|p| people.push(p))
        } else {
            deal(&header, record, row, lookup, caller).map(|d| deals.push(d))
        };
        if let Err(e) = result {
            errors.push(e);
        }
    }
    (header, people, deals, errors)
}

/// Every row checked: the rows to write, or the first 200 errors.
pub fn check_all(
    kind: ImportKind,
    records: &[Vec<String>],
    lookup: &Lookup,
    caller: &Caller,
) -> Checked {
    let (_, people, deals, mut errors) = check(kind, records, 2, lookup, caller);
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
