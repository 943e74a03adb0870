//! An import's arguments decoded: which import the caller may run, a part of a file read
//! as CSV, and the name and numbering of an upload's parts.

use crate::domain::permissions::Permission;
use crate::error::AppError;
use crate::server::context::Caller;
use crate::server::import_rows::ImportKind;
use crate::shared::import::{MAX_PARTS, ROWS_PER_PART};

/// The import `kind` names, if the caller may run it: "manage people" for people, "edit
/// deals" for deals.
pub fn kind(caller: &Caller, kind: &str) -> Result<ImportKind, AppError> {
    let (import, permission) = match kind {
        "people" => (ImportKind::PEOPLE, Permission::ManagePeople),
        "deals" => (ImportKind::DEALS, Permission::EditDeals),
        _ => return Err(AppError::invalid("kind", "must be people or deals")),
    };
    caller.require(permission)?;
    Ok(import)
}

/// One part of a file as sent: valid CSV of a header and at most [`ROWS_PER_PART`] rows.
pub fn parse_part(csv: &str) -> Result<Vec<Vec<String>>, AppError> {
    let records = crate::domain::csv::parse(csv).map_err(|e| AppError::invalid("csv", e))?;
    if records.len() > ROWS_PER_PART + 1 {
        return Err(AppError::invalid(
            "csv",
            format!("send at most {ROWS_PER_PART} rows at a time"),
        ));
    }
    Ok(records)
}

/// `Invalid` unless `upload` is a name the browser may choose and `part` one of `parts`.
pub fn check_upload(upload: &str, part: i64, parts: i64) -> Result<(), AppError> {
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
    Ok(())
}
