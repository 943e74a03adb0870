//! `/data`: CSV export (deals, projects, time, people — the columns follow the money
//! permissions) and import (people, deals) with a check of every row first, a preview,
//! per-row errors and progress while a large file is sent in parts.

use crate::api::auth::SignedInUser;
#[cfg(feature = "hydrate")]
use crate::api::csv::{import_check, import_part};
use crate::api::csv::{RowError, ROWS_PER_PART};
use crate::domain::permissions::Permission;
use leptos::prelude::*;
use leptos_meta::Title;

/// Where an import stands.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
enum Stage {
    /// Nothing chosen.
    Idle,
    /// Reading and checking: rows done of total.
    Checking(usize, usize),
    /// Checked: rows, the preview (header, first rows), problems.
    Checked {
        rows: usize,
        header: Vec<String>,
        preview: Vec<Vec<String>>,
        errors: Vec<RowError>,
    },
    /// Sending parts: done of total.
    Importing(usize, usize),
    /// Written.
    Done(i64),
    /// Something failed before any row could be judged.
    Failed(String),
}

/// The CSV page.
#[component]
pub fn DataPage() -> impl IntoView {
    let user = use_context::<crate::app::UserResource>();
    view! {
        <Title text="Import and export"/>
        <div class="page-header">
            <div>
                <p class="eyebrow">"Data"</p>
                <h1>"Import and export"</h1>
            </div>
        </div>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let me: Option<SignedInUser> = match user {
                    Some(u) => u.await.ok().flatten(),
                    None => None,
                };
                me.map(|me| view! { <DataPanels me/> })
            })}
        </Suspense>
    }
}

#[component]
fn DataPanels(me: SignedInUser) -> impl IntoView {
    let can = |p| me.permissions.contains(p);
    let exports = [
        ("deals", "Deals", can(Permission::ViewPipeline)),
        ("projects", "Projects", can(Permission::ViewPipeline)),
        (
            "time",
            "Time entries",
            can(Permission::ManageProjects) || can(Permission::LogOwnTime),
        ),
        ("people", "People", can(Permission::ViewPipeline)),
    ];
    let links = exports
        .into_iter()
        .filter(|e| e.2)
        .map(|(kind, label, _)| {
            view! {
                <a class="button" href=format!("/export/{kind}.csv") download data-testid=format!("export-{kind}")>
                    {format!("{label} (CSV)")}
                </a>
            }
        })
        .collect_view();
    let money_note = match (
        can(Permission::ViewDealValues),
        can(Permission::ViewCostRates),
    ) {
        (true, true) => "Amounts and costs are included.",
        (true, false) => {
            "Amounts are included; cost figures are not (your role cannot see cost rates)."
        }
        _ => "Your role cannot see money, so exports leave amounts out.",
    };
    let import_people = can(Permission::ManagePeople);
    let import_deals = can(Permission::EditDeals);
    view! {
        <section class="panel">
            <h2>"Export"</h2>
            <div class="export-links">{links}</div>
            <p class="muted small">{money_note}</p>
        </section>
        {(import_people || import_deals).then(|| view! { <Import people=import_people deals=import_deals/> })}
    }
}

#[component]
fn Import(people: bool, deals: bool) -> impl IntoView {
    let kind = RwSignal::new(if deals { "deals" } else { "people" }.to_string());
    let stage = RwSignal::new(Stage::Idle);
    let records: StoredValue<Vec<Vec<String>>> = StoredValue::new(Vec::new());
    let on_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let input: web_sys::HtmlInputElement = match ev.target().and_then(|t| t.dyn_into().ok())
            {
                Some(i) => i,
                None => return,
            };
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            stage.set(Stage::Checking(0, 0));
            leptos::task::spawn_local(async move {
                let text = match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                    Ok(v) => v.as_string().unwrap_or_default(),
                    Err(_) => {
                        stage.set(Stage::Failed("The file could not be read.".into()));
                        return;
                    }
                };
                check_file(kind.get_untracked(), text, stage, records).await;
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, records);
    };
    let start_import = move |_| {
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            send_file(kind.get_untracked(), stage, records).await;
        });
    };
    let columns = move || {
        crate::api::csv::import_columns(&kind.get())
            .map(|(req, opt)| {
                format!(
                    "Required: {}. Optional: {}.",
                    req.join(", "),
                    opt.join(", ")
                )
            })
            .unwrap_or_default()
    };
    view! {
        <section class="panel" data-testid="import">
            <h2>"Import"</h2>
            <div class="import-controls">
                <label><span>"What"</span>
                    <select name="kind" on:change=move |ev| { kind.set(event_target_value(&ev)); stage.set(Stage::Idle); }>
                        {deals.then(|| view! { <option value="deals">"Deals"</option> })}
                        {people.then(|| view! { <option value="people">"People"</option> })}
                    </select>
                </label>
                <label><span>"CSV file"</span>
                    <input type="file" accept=".csv,text/csv" data-testid="import-file" on:change=on_file/>
                </label>
            </div>
            <p class="muted small">{columns}" Money in the workspace currency, dates as YYYY-MM-DD, skills separated by semicolons. Every row is checked first; nothing is written unless every row is right."</p>
            // What a screen reader hears: the outcome of each step, not every row counted.
            <p class="sr-only" role="status" aria-live="polite" data-testid="import-announce">
                {move || stage.with(|s| match s {
                    Stage::Checked { rows, errors, .. } if errors.is_empty() => format!("{rows} rows checked and ready to import."),
                    Stage::Checked { errors, .. } => format!("{} problems found; nothing was written.", errors.len()),
                    Stage::Done(n) => format!("Imported {n} rows."),
                    Stage::Failed(msg) => msg.clone(),
                    _ => String::new(),
                })}
            </p>
            {move || match stage.get() {
                Stage::Idle => ().into_any(),
                Stage::Checking(done, total) => view! {
                    <div class="import-progress" data-testid="import-progress">
                        <progress max=total.max(1) value=done></progress>
                        <span>{format!("Checking rows: {done} of {total}")}</span>
                    </div>
                }.into_any(),
                Stage::Importing(done, total) => view! {
                    <div class="import-progress" data-testid="import-progress">
                        <progress max=total.max(1) value=done></progress>
                        <span>{format!("Sending part {done} of {total}")}</span>
                    </div>
                }.into_any(),
                Stage::Failed(msg) => view! { <p class="form-error" role="alert">{msg}</p> }.into_any(),
                Stage::Done(n) => view! { <p class="notice" data-testid="import-done">{format!("Imported {n} rows.")}</p> }.into_any(),
                Stage::Checked { rows, header, preview, errors } => {
                    if errors.is_empty() {
                        view! {
                            <div data-testid="import-preview">
                                <p>{format!("{rows} rows are ready. The first ones will be written like this:")}</p>
                                <div class="table-scroll">
                                    <table class="list compact">
                                        <thead><tr>{header.into_iter().map(|h| view! { <th>{h}</th> }).collect_view()}</tr></thead>
                                        <tbody>{preview.into_iter().map(|r| view! {
                                            <tr>{r.into_iter().map(|c| view! { <td>{c}</td> }).collect_view()}</tr>
                                        }).collect_view()}</tbody>
                                    </table>
                                </div>
                                <button type="button" class="button primary" on:click=start_import>{format!("Import {rows} rows")}</button>
                            </div>
                        }.into_any()
                    } else {
                        let count = errors.len();
                        view! {
                            <div data-testid="import-errors">
                                <p class="form-error" role="alert">{format!("{count} problem{} — fix the file and choose it again; nothing was written.", if count == 1 { "" } else { "s" })}</p>
                                <table class="list compact">
                                    <thead><tr><th>"Row"</th><th>"Column"</th><th>"Problem"</th></tr></thead>
                                    <tbody>{errors.into_iter().take(200).map(|e| view! {
                                        <tr><td class="num">{e.row}</td><td>{e.field}</td><td>{e.message}</td></tr>
                                    }).collect_view()}</tbody>
                                </table>
                            </div>
                        }.into_any()
                    }
                }
            }}
        </section>
    }
}

/// The file's data rows cut into parts, each with the header: (first row number, CSV).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn parts(records: &[Vec<String>]) -> Vec<(i64, String)> {
    use crate::domain::csv::raw_line;
    let Some((head, rows)) = records.split_first() else {
        return Vec::new();
    };
    let header = raw_line(head);
    if rows.is_empty() {
        return vec![(2, header)];
    }
    rows.chunks(ROWS_PER_PART)
        .enumerate()
        .map(|(k, chunk)| {
            let mut text = header.clone();
            for r in chunk {
                text.push_str(&raw_line(r));
            }
            (2 + (k * ROWS_PER_PART) as i64, text)
        })
        .collect()
}

#[cfg(feature = "hydrate")]
async fn check_file(
    kind: String,
    text: String,
    stage: RwSignal<Stage>,
    records: StoredValue<Vec<Vec<String>>>,
) {
    let parsed = match crate::domain::csv::parse(&text) {
        Ok(r) => r,
        Err(e) => {
            stage.set(Stage::Failed(format!("The file is not valid CSV: {e}.")));
            return;
        }
    };
    let total = parsed.len().saturating_sub(1);
    if total > crate::api::csv::MAX_IMPORT_ROWS {
        stage.set(Stage::Failed(format!(
            "The file has {total} rows; an import holds at most {}.",
            crate::api::csv::MAX_IMPORT_ROWS
        )));
        return;
    }
    let mut errors = Vec::new();
    let mut header = Vec::new();
    let mut preview = Vec::new();
    let mut done = 0;
    stage.set(Stage::Checking(0, total));
    for (first_row, csv) in parts(&parsed) {
        match import_check(kind.clone(), csv, first_row).await {
            Ok(check) => {
                done += check.rows as usize;
                if header.is_empty() {
                    header = check.header;
                }
                if preview.is_empty() {
                    preview = check.preview;
                }
                errors.extend(check.errors);
                // A header problem repeats in every part: once is enough.
                if errors.iter().any(|e| e.row == 1) {
                    errors.retain(|e| e.row == 1);
                    errors.truncate(1);
                    break;
                }
            }
            Err(e) => {
                stage.set(Stage::Failed(crate::components::errors::error_text(&e)));
                return;
            }
        }
        stage.set(Stage::Checking(done, total));
    }
    if total == 0 && errors.is_empty() {
        stage.set(Stage::Failed("The file has a header but no rows.".into()));
        return;
    }
    records.set_value(parsed);
    stage.set(Stage::Checked {
        rows: total,
        header,
        preview,
        errors,
    });
}

#[cfg(feature = "hydrate")]
async fn send_file(kind: String, stage: RwSignal<Stage>, records: StoredValue<Vec<Vec<String>>>) {
    let all = records.with_value(|r| parts(r));
    let total = all.len();
    let upload = format!(
        "{:x}-{:x}",
        js_sys::Date::now() as u64,
        (js_sys::Math::random() * 1e15) as u64
    );
    stage.set(Stage::Importing(0, total));
    for (k, (_, csv)) in all.into_iter().enumerate() {
        match import_part(kind.clone(), upload.clone(), k as i64, total as i64, csv).await {
            Ok(result) if result.done => {
                if result.errors.is_empty() {
                    stage.set(Stage::Done(result.created));
                } else {
                    stage.set(Stage::Checked {
                        rows: 0,
                        header: Vec::new(),
                        preview: Vec::new(),
                        errors: result.errors,
                    });
                }
                return;
            }
            Ok(_) => stage.set(Stage::Importing(k + 1, total)),
            Err(e) => {
                stage.set(Stage::Failed(crate::components::errors::error_text(&e)));
                return;
            }
        }
    }
}
