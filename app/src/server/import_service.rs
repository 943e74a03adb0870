//! The staged CSV import: a part of a file checked for its preview, and the parts of an
//! upload staged as they arrive, then, once all are in, checked together and written in
//! one transaction — or nothing, if any row is wrong. What rows must look like is in
//! [`super::import_rows`]; the SQL in [`super::import_repo`].

use super::export_service::decimal;
use super::import_rows::{check, check_all, Checked, ImportKind};
use crate::error::AppError;
use crate::server::client_repo;
use crate::server::context::{self, Caller};
use crate::server::db::{Database, WriteTx};
use crate::server::events;
use crate::server::import_repo::{self, Lookup, NewDeal, NewPerson, Upload};
use crate::shared::import::{CheckedPart, ImportResult, RowError};
use crate::shared::live::LiveEvent;

/// Checks part of a file for an import of `kind` without writing anything: `records` is
/// the header and the part's rows, its data rows numbered from `first_row`.
pub async fn check_part(
    caller: &Caller,
    kind: ImportKind,
    records: &[Vec<String>],
    first_row: i64,
) -> Result<CheckedPart, AppError> {
    let pool = context::pool()?;
    let mut conn = pool.acquire().await?;
    let lookup = import_repo::lookup(&mut conn, caller.workspace_id).await?;
    let (_, people, deals, mut errors) = check(kind, records, first_row, &lookup, caller);
    errors.truncate(200);
    Ok(CheckedPart {
        rows: records.len().saturating_sub(1) as i64,
        preview: preview(kind, &people, &deals, &lookup),
        header: preview_header(kind),
        errors,
    })
}

/// Stores part `part` of `parts` of the caller's upload `upload` (`csv`, the header and
/// that part's rows). When the last part is in, checks all parts together and, if every
/// row is right, writes them in one transaction and announces it; otherwise writes
/// nothing and answers the problems. Either way the parts are then deleted.
pub async fn import_part(
    caller: &Caller,
    kind: ImportKind,
    upload: &str,
    part: i64,
    parts: i64,
    csv: &str,
) -> Result<ImportResult, AppError> {
    let state = context::state()?;
    let run = Run {
        caller,
        kind,
        upload: Upload {
            workspace_id: caller.workspace_id,
            user_id: caller.user_id,
            name: upload,
            kind: kind.name,
        },
        now: context::now_ms(),
    };

    // 1. Stage the part (a short write).
    let mut tx = state.db.write(caller.workspace_id).await?;
    if let Some(done) = run.staged_answer(&mut tx).await? {
        tx.commit().await?;
        return Ok(done);
    }
    import_repo::stage_part(&mut tx, &run.upload, part, csv, run.now).await?;
    let bodies = import_repo::staged_parts(&mut tx, caller.workspace_id, upload).await?;
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
    let records = assemble(&bodies, kind.max_rows)?;
    let checked = run.check_unlocked(&state.db, &records).await?;

    // 3. One short write: the parts go, and the rows are written only if every one is
    // right.
    let tx = state.db.write(caller.workspace_id).await?;
    let (outcome, written) = run.finish(tx, &bodies, records, checked).await?;
    if let Some(seq) = written {
        state.live.publish(
            caller.workspace_id,
            if kind.is_people() {
                LiveEvent::Capacity { seq }
            } else {
                LiveEvent::Reset { seq }
            },
        );
    }
    Ok(outcome)
}

/// Why a whole upload cannot be imported, before any row is checked.
enum Unreadable {
    /// The parts have different headers.
    MixedHeaders,
    /// The file has more rows than an import takes.
    TooLong,
}

/// What an unreadable upload answers: a problem with its header, or, for a file that is
/// too long, an error on `csv`.
fn errors_of(reason: Option<Unreadable>, max_rows: usize) -> Result<Vec<RowError>, AppError> {
    match reason {
        Some(Unreadable::MixedHeaders) => Ok(vec![RowError {
            row: 1,
            field: String::new(),
            message: "the parts of the file have different headers".into(),
        }]),
        Some(Unreadable::TooLong) => Err(AppError::invalid(
            "csv",
            format!("an import holds at most {max_rows} rows"),
        )),
        None => Ok(Vec::new()),
    }
}

/// The parts as one file again (the first header, every part's rows), if it is one file
/// of at most `max_rows` rows.
fn assemble(
    bodies: &[String],
    max_rows: usize,
) -> Result<Result<Vec<Vec<String>>, Unreadable>, AppError> {
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
    if records.len() > max_rows + 1 {
        return Ok(Err(Unreadable::TooLong));
    }
    Ok(Ok(records))
}

/// One upload being imported: whose, of which kind, and when.
struct Run<'a> {
    caller: &'a Caller,
    kind: ImportKind,
    upload: Upload<'a>,
    now: i64,
}

impl Run<'_> {
    /// Clears abandoned uploads, checks the upload belongs to this caller and kind, and
    /// answers its stored outcome if it already finished (a resent last part gets it again
    /// instead of importing twice).
    async fn staged_answer(&self, tx: &mut WriteTx) -> Result<Option<ImportResult>, AppError> {
        let caller = self.caller;
        // Parts older than a day are abandoned uploads.
        import_repo::clear_abandoned(tx, caller.workspace_id, self.now - 86_400_000).await?;
        if let Some(owner) = import_repo::upload_owner(tx, self.upload.name).await? {
            if owner.workspace_id != caller.workspace_id
                || owner.user_id != caller.user_id
                || owner.kind != self.kind.name
            {
                return Err(AppError::invalid(
                    "upload",
                    "is already used by another import",
                ));
            }
        }
        import_repo::finished_result(tx, caller.workspace_id, self.upload.name)
            .await?
            .map(|body| serde_json::from_str(&body).map_err(|_| AppError::Internal))
            .transpose()
    }

    /// Step 2: every row looked up and checked on a reader, without holding the write
    /// lock, so other people's writes keep flowing meanwhile. `None` when the file cannot
    /// be read as one.
    async fn check_unlocked(
        &self,
        db: &Database,
        records: &Result<Vec<Vec<String>>, Unreadable>,
    ) -> Result<Option<(Lookup, Checked)>, AppError> {
        let Ok(records) = records else {
            return Ok(None);
        };
        let mut conn = db.read().await?;
        let lookup = import_repo::lookup(&mut conn, self.caller.workspace_id).await?;
        drop(conn);
        let outcome = check_all(self.kind, records, &lookup, self.caller);
        Ok(Some((lookup, outcome)))
    }

    /// Step 3, in `tx`, committed: the parts go, and the rows are written only if every
    /// one is right. If what the rows were checked against changed meanwhile, they are
    /// checked again here, inside the lock. Answers the outcome and, when rows were
    /// written, the import's event number.
    async fn finish(
        &self,
        mut tx: WriteTx,
        bodies: &[String],
        records: Result<Vec<Vec<String>>, Unreadable>,
        checked: Option<(Lookup, Checked)>,
    ) -> Result<(ImportResult, Option<i64>), AppError> {
        let (workspace_id, received) = (self.caller.workspace_id, bodies.len() as i64);
        if let Some(done) = self.staged_answer(&mut tx).await? {
            tx.commit().await?;
            return Ok((done, None));
        }
        if import_repo::staged_parts(&mut tx, workspace_id, self.upload.name).await? != bodies {
            // Another request finished or restaged this upload meanwhile.
            return Err(AppError::Conflict(
                "this upload changed while it was being checked; send it again".into(),
            ));
        }
        import_repo::delete_upload(&mut tx, workspace_id, self.upload.name).await?;
        let unwritten = |errors| ImportResult {
            received,
            done: true,
            created: 0,
            errors,
        };
        let (records, checked) = match (records, checked) {
            (Ok(records), Some(checked)) => (records, checked),
            (records, _) => {
                let reason = records.err();
                tx.commit().await?;
                return Ok((unwritten(errors_of(reason, self.kind.max_rows)?), None));
            }
        };
        let rows = match self.recheck(&mut tx, &records, checked).await? {
            Ok(rows) => rows,
            Err(errors) => {
                // Only the staged parts go; nothing of the import is written.
                tx.commit().await?;
                return Ok((unwritten(errors), None));
            }
        };
        let (outcome, seq) = self.write(&mut tx, rows, received).await?;
        tx.commit().await?;
        Ok((outcome, Some(seq)))
    }

    /// Step 3's check, inside the write lock: the outcome of step 2, or, if what the rows
    /// were checked against changed meanwhile, the rows checked again.
    async fn recheck(
        &self,
        tx: &mut WriteTx,
        records: &[Vec<String>],
        (checked_against, outcome): (Lookup, Checked),
    ) -> Result<Checked, AppError> {
        let lookup = import_repo::lookup(tx, self.caller.workspace_id).await?;
        Ok(if lookup == checked_against {
            outcome
        } else {
            check_all(self.kind, records, &lookup, self.caller)
        })
    }

    /// Writes the checked rows, keeps the outcome for a resent last part and appends the
    /// import's event; answers the outcome and the event's number.
    async fn write(
        &self,
        tx: &mut WriteTx,
        (people, deals): (Vec<NewPerson>, Vec<NewDeal>),
        received: i64,
    ) -> Result<(ImportResult, i64), AppError> {
        let (caller, now) = (self.caller, self.now);
        let mut created = write_people(tx, caller, people, now).await?;
        created += write_deals(tx, caller, deals, now).await?;
        let outcome = ImportResult {
            received,
            done: true,
            created,
            errors: Vec::new(),
        };
        let body = serde_json::to_string(&outcome).map_err(|_| AppError::Internal)?;
        import_repo::store_result(tx, &self.upload, &body, now).await?;
        let imported = events::NewEvent {
            workspace_id: caller.workspace_id,
            actor_user_id: Some(caller.user_id),
            entity: "import",
            entity_id: 0,
            action: if self.kind.is_people() {
                "people_imported"
            } else {
                "deals_imported"
            },
            before: None,
            after: Some(serde_json::json!({ "rows": created })),
        };
        let seq = events::append(tx, imported, now).await?;
        Ok((outcome, seq))
    }
}

/// The preview's column titles for `kind`.
fn preview_header(kind: ImportKind) -> Vec<String> {
    let h: &[&str] = if kind.is_people() {
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
fn preview(
    kind: ImportKind,
    people: &[NewPerson],
    deals: &[NewDeal],
    lookup: &Lookup,
) -> Vec<Vec<String>> {
    if kind.is_people() {
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

/// Adds `people` to the caller's team with their skills (new skill names become skills of
/// the workspace) and an `imported` event each, in the caller's transaction; answers how
/// many were added.
async fn write_people(
    tx: &mut WriteTx,
    caller: &Caller,
    people: Vec<NewPerson>,
    now_ms: i64,
) -> Result<i64, AppError> {
    let ws = caller.workspace_id;
    let mut created = 0;
    let mut skill_ids = import_repo::skill_ids(tx, ws).await?;
    for p in people {
        let id = import_repo::insert_person(tx, ws, &p, now_ms).await?;
        for s in &p.skills {
            let skill = match skill_ids.get(&s.to_lowercase()) {
                Some(id) => *id,
                None => {
                    let sid = import_repo::insert_skill(tx, ws, s).await?;
                    skill_ids.insert(s.to_lowercase(), sid);
                    sid
                }
            };
            import_repo::add_person_skill(tx, ws, id, skill).await?;
        }
        let after = serde_json::json!({ "name": p.name, "skills": p.skills });
        events::append(tx, imported(caller, "person", id, after), now_ms).await?;
        created += 1;
    }
    Ok(created)
}

/// Adds `deals` to the caller's pipeline — each for the client of its name, added first
/// (with its `created` event) if the workspace has none — with an `imported` event each,
/// in the caller's transaction; answers how many were added.
async fn write_deals(
    tx: &mut WriteTx,
    caller: &Caller,
    deals: Vec<NewDeal>,
    now_ms: i64,
) -> Result<i64, AppError> {
    let ws = caller.workspace_id;
    let mut created = 0;
    for d in deals {
        let client_id = match client_repo::by_name(tx, ws, &d.client).await? {
            Some((id, _)) => id,
            None => {
                let client = client_repo::NewClient {
                    name: &d.client,
                    contact_name: "",
                    contact_email: "",
                };
                let id = client_repo::insert_row(tx, ws, caller.user_id, client, now_ms).await?;
                events::append(
                    tx,
                    client_repo::created_event(caller, id, client.name),
                    now_ms,
                )
                .await?;
                id
            }
        };
        let id = import_repo::insert_deal(tx, ws, client_id, &d, now_ms).await?;
        let after = serde_json::json!({ "title": d.title, "value_minor": d.value_minor });
        events::append(tx, imported(caller, "deal", id, after), now_ms).await?;
        created += 1;
    }
    Ok(created)
}

/// The `imported` event of one written row.
fn imported<'a>(
    caller: &Caller,
    entity: &'a str,
    entity_id: i64,
    after: serde_json::Value,
) -> events::NewEvent<'a> {
    events::NewEvent {
        workspace_id: caller.workspace_id,
        actor_user_id: Some(caller.user_id),
        entity,
        entity_id,
        action: "imported",
        before: None,
        after: Some(after),
    }
}
