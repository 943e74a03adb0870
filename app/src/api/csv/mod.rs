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
//!
//! Here: the server functions and their wire types. `schema` says what rows must look
//! like, `import` holds the steps of an upload, `export` the four exports; their SQL is in
//! `server::import_repo` and `server::export_repo`.

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
mod export;
#[cfg(feature = "ssr")]
mod import;
#[cfg(feature = "ssr")]
mod schema;

#[cfg(feature = "ssr")]
pub use export::export;

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
    use crate::server::{context, import_repo};

    let caller = context::caller().await?;
    import::require(&caller, &kind)?;
    if !(2..=MAX_IMPORT_ROWS as i64 + 1).contains(&first_row) {
        return Err(AppError::invalid("first_row", "must be from 2 to 50,001"));
    }
    let records = import::parse_part(&csv)?;
    let pool = context::pool()?;
    let mut conn = pool.acquire().await?;
    let lookup = import_repo::lookup(&mut conn, caller.workspace_id).await?;
    let (_, people, deals, mut errors) =
        schema::check(&kind, &records, first_row, &lookup, &caller);
    errors.truncate(200);
    Ok(CheckedPart {
        rows: records.len().saturating_sub(1) as i64,
        preview: import::preview(&kind, &people, &deals, &lookup),
        header: import::preview_header(&kind),
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
    use crate::server::{context, import_repo};

    let caller = context::caller().await?;
    import::require(&caller, &kind)?;
    import::check_upload(&upload, part, parts)?;
    // Refused now, not when the last part arrives.
    import::parse_part(&csv)?;
    let state = context::state()?;
    let now = context::now_ms();
    let staged = import_repo::Upload {
        workspace_id: caller.workspace_id,
        user_id: caller.user_id,
        name: &upload,
        kind: &kind,
    };

    // 1. Stage the part (a short write).
    let mut tx = state.db.write().await?;
    if let Some(done) = import::staged_answer(&mut tx, &caller, &kind, &upload, now).await? {
        tx.commit().await?;
        return Ok(done);
    }
    import_repo::stage_part(&mut tx, &staged, part, &csv, now).await?;
    let bodies = import_repo::staged_parts(&mut tx, caller.workspace_id, &upload).await?;
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
    let records = import::assemble(&bodies)?;
    let checked = import::check_unlocked(&state.db, &caller, &kind, &records).await?;

    // 3. One short write: the parts go, and the rows are written only if every one is
    // right. If what the rows were checked against changed meanwhile, they are checked
    // again here, inside the lock.
    let mut tx = state.db.write().await?;
    if let Some(done) = import::staged_answer(&mut tx, &caller, &kind, &upload, now).await? {
        tx.commit().await?;
        return Ok(done);
    }
    if import_repo::staged_parts(&mut tx, caller.workspace_id, &upload).await? != bodies {
        // Another request finished or restaged this upload meanwhile.
        return Err(AppError::Conflict(
            "this upload changed while it was being checked; send it again".into(),
        ));
    }
    import_repo::delete_upload(&mut tx, caller.workspace_id, &upload).await?;
    let (records, checked) = match (records, checked) {
        (Ok(records), Some(checked)) => (records, checked),
        (records, _) => {
            let errors = records.err();
            tx.commit().await?;
            return Ok(ImportResult {
                received,
                done: true,
                created: 0,
                errors: import::errors_of(errors)?,
            });
        }
    };
    let rows = match import::recheck(&mut tx, &caller, &kind, &records, checked).await? {
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
    let (result, seq) = import::write(&mut tx, &caller, &staged, rows, received, now).await?;
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
