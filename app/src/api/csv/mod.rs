//! CSV export (deals, projects, time entries, people) and import (people, deals).
//!
//! Export is `GET /export/<kind>.csv` (see the server's router), built by
//! `server::export_service`: every query scoped to the caller's workspace, money columns
//! only for the permissions that may see them. Import goes in two steps, both server
//! functions: [`import_check`] validates a part of a file and answers per-row errors and
//! a preview; [`import_part`] stores the parts of an upload and, when the last one
//! arrives, checks them all together and writes every row in one transaction — or
//! nothing, if any row is wrong. Files are sent in parts of at most [`ROWS_PER_PART`]
//! rows (each request stays under the body limit) so the browser can show progress.
//!
//! Here: the server functions, their wire types and the limits and columns the browser
//! shares; `import` decodes and authorizes an import's arguments. The steps of an upload
//! are in `server::import_service`, what rows must look like in `server::import_rows`.

use crate::error::AppError;
use leptos::prelude::*;

/// Rows per request when the browser sends a file.
pub const ROWS_PER_PART: usize = 1000;
/// The most rows one import may hold.
pub const MAX_IMPORT_ROWS: usize = 50_000;
/// The most parts one import may have.
pub const MAX_PARTS: i64 = (MAX_IMPORT_ROWS / ROWS_PER_PART) as i64;

/// The columns of a people import: the required ones, then the optional ones.
const PEOPLE_COLUMNS: Columns = (
    &["name", "weekly_hours"],
    &["email", "title", "skills", "cost_rate", "bill_rate"],
);
/// The columns of a deals import: the required ones, then the optional ones.
const DEAL_COLUMNS: Columns = (
    &["title", "client", "value"],
    &[
        "stage",
        "probability",
        "owner_email",
        "expected_close_on",
        "planned_start_on",
        "planned_weeks",
    ],
);

/// An import's columns: the required ones, then the optional ones.
pub type Columns = (&'static [&'static str], &'static [&'static str]);

/// The columns an import of `kind` understands (the first ones are required).
pub fn import_columns(kind: &str) -> Option<Columns> {
    match kind {
        "people" => Some(PEOPLE_COLUMNS),
        "deals" => Some(DEAL_COLUMNS),
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
mod import;

#[cfg(feature = "ssr")]
impl From<crate::server::import_rows::RowProblem> for RowError {
    fn from(p: crate::server::import_rows::RowProblem) -> Self {
        Self {
            row: p.row,
            field: p.field,
            message: p.message,
        }
    }
}

#[cfg(feature = "ssr")]
impl From<crate::server::import_service::ImportOutcome> for ImportResult {
    fn from(o: crate::server::import_service::ImportOutcome) -> Self {
        Self {
            received: o.received,
            done: o.done,
            created: o.created,
            errors: o.errors.into_iter().map(RowError::from).collect(),
        }
    }
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
    use crate::server::{context, import_service};

    let caller = context::caller().await?;
    let kind = import::kind(&caller, &kind)?;
    if !(2..=MAX_IMPORT_ROWS as i64 + 1).contains(&first_row) {
        return Err(AppError::invalid("first_row", "must be from 2 to 50,001"));
    }
    let records = import::parse_part(&csv)?;
    let checked = import_service::check_part(&caller, kind, &records, first_row).await?;
    Ok(CheckedPart {
        rows: checked.rows,
        errors: checked.errors.into_iter().map(RowError::from).collect(),
        header: checked.header,
        preview: checked.preview,
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
    use crate::server::{context, import_service};

    let caller = context::caller().await?;
    let kind = import::kind(&caller, &kind)?;
    import::check_upload(&upload, part, parts)?;
    // Refused now, not when the last part arrives.
    import::parse_part(&csv)?;
    let outcome = import_service::import_part(&caller, kind, &upload, part, parts, &csv).await?;
    Ok(outcome.into())
}
