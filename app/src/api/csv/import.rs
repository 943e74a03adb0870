//! The steps of an import: who may run it, the parts of an upload staged and put back
//! together, the rows checked outside and again inside the write lock, the preview of a
//! checked part, and the rows written with the import's answer kept.

use super::export::decimal;
use super::schema::{check_all, Checked};
use super::{ImportResult, RowError, MAX_IMPORT_ROWS, MAX_PARTS, ROWS_PER_PART};
use crate::domain::permissions::Permission;
use crate::error::AppError;
use crate::server::context::Caller;
use crate::server::db::{Database, WriteTx};
use crate::server::events;
use crate::server::import_repo::{self, Lookup, NewDeal, NewPerson, Upload};

/// `Forbidden` unless the caller may import `kind`: "manage people" for people, "edit
/// deals" for deals.
pub fn require(caller: &Caller, kind: &str) -> Result<(), AppError> {
    match kind {
        "people" => caller.require(Permission::ManagePeople),
        "deals" => caller.require(Permission::EditDeals),
        _ => Err(AppError::invalid("kind", "must be people or deals")),
    }
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

/// Clears abandoned uploads, checks `upload` belongs to this caller and kind, and answers
/// its stored result if it already finished (a resent last part gets it again instead of
/// importing twice).
pub async fn staged_answer(
    tx: &mut WriteTx,
    caller: &Caller,
    kind: &str,
    upload: &str,
    now: i64,
) -> Result<Option<ImportResult>, AppError> {
    // Parts older than a day are abandoned uploads.
    import_repo::clear_abandoned(tx, caller.workspace_id, now - 86_400_000).await?;
    if let Some(owner) = import_repo::upload_owner(tx, upload).await? {
        if owner.workspace_id != caller.workspace_id
            || owner.user_id != caller.user_id
            || owner.kind != kind
        {
            return Err(AppError::invalid(
                "upload",
                "is already used by another import",
            ));
        }
    }
    import_repo::finished_result(tx, caller.workspace_id, upload)
        .await?
        .map(|body| serde_json::from_str(&body).map_err(|_| AppError::Internal))
        .transpose()
}

/// Why a whole upload cannot be imported, before any row is checked.
pub enum Unreadable {
    /// The parts have different headers.
    MixedHeaders,
    /// The file has more rows than an import takes.
    TooLong,
}

pub fn errors_of(reason: Option<Unreadable>) -> Result<Vec<RowError>, AppError> {
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
pub fn assemble(bodies: &[String]) -> Result<Result<Vec<Vec<String>>, Unreadable>, AppError> {
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

/// Step 2 of an upload: every row looked up and checked on a reader, without holding the
/// write lock, so other people's writes keep flowing meanwhile. `None` when the file
/// cannot be read as one.
pub async fn check_unlocked(
    db: &Database,
    caller: &Caller,
    kind: &str,
    records: &Result<Vec<Vec<String>>, Unreadable>,
) -> Result<Option<(Lookup, Checked)>, AppError> {
    let Ok(records) = records else {
        return Ok(None);
    };
    let mut conn = db.read().await?;
    let lookup = import_repo::lookup(&mut conn, caller.workspace_id).await?;
    drop(conn);
    let outcome = check_all(kind, records, &lookup, caller);
    Ok(Some((lookup, outcome)))
}

/// Step 3's check, inside the write lock: the outcome of step 2, or, if what the rows
/// were checked against changed meanwhile, the rows checked again.
pub async fn recheck(
    tx: &mut WriteTx,
    caller: &Caller,
    kind: &str,
    records: &[Vec<String>],
    (checked_against, outcome): (Lookup, Checked),
) -> Result<Checked, AppError> {
    let lookup = import_repo::lookup(tx, caller.workspace_id).await?;
    Ok(if lookup == checked_against {
        outcome
    } else {
        check_all(kind, records, &lookup, caller)
    })
}

/// Writes the checked rows of `upload`, keeps the answer for a resent last part and
/// appends the import's event; answers the result and the event's number.
pub async fn write(
    tx: &mut WriteTx,
    caller: &Caller,
    upload: &Upload<'_>,
    (people, deals): (Vec<NewPerson>, Vec<NewDeal>),
    received: i64,
    now: i64,
) -> Result<(ImportResult, i64), AppError> {
    let mut created = import_repo::insert_people(tx, caller, people, now).await?;
    created += import_repo::insert_deals(tx, caller, deals, now).await?;
    let result = ImportResult {
        received,
        done: true,
        created,
        errors: Vec::new(),
    };
    let body = serde_json::to_string(&result).map_err(|_| AppError::Internal)?;
    import_repo::store_result(tx, upload, &body, now).await?;
    let seq = events::append(
        tx,
        events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "import",
            entity_id: 0,
            action: if upload.kind == "people" {
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
    Ok((result, seq))
}

/// The preview's column titles for `kind`.
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

/// The first five rows of a checked part as they would be written.
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
                        .find(|s| s.id == d.stage_id)
                        .map(|s| s.name.clone())
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
