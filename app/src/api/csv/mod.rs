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
//! Here: the server functions, answering the wire types of `shared::import` (re-exported
//! with its limits and columns, which the browser shares); `import` decodes and authorizes
//! an import's arguments. The steps of an upload are in `server::import_service`, what
//! rows must look like in `server::import_rows`.

use crate::error::AppError;
use leptos::prelude::*;

pub use crate::shared::import::{
    import_columns, CheckedPart, Columns, ImportResult, RowError, MAX_IMPORT_ROWS, MAX_PARTS,
    ROWS_PER_PART,
};

#[cfg(feature = "ssr")]
mod import;

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
    import_service::check_part(&caller, kind, &records, first_row).await
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
    import_service::import_part(&caller, kind, &upload, part, parts, &csv).await
}
