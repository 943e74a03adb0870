//! `/time`: one's own week of time — projects × days, the week's total, logging and
//! removing entries.

use crate::api::time::{timesheet, DeleteTime, LogTime};
use crate::components::errors::{error_panel, error_text};
use crate::domain::calendar::Date;
use crate::domain::validate::hours_shown;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The timesheet page.
#[component]
pub fn TimePage() -> impl IntoView {
    let query = use_query_map();
    let log = ServerAction::<LogTime>::new();
    let remove = ServerAction::<DeleteTime>::new();
    let sheet = Resource::new(
        move || {
            (
                query.with(|q| q.get("week").unwrap_or_default()),
                log.version().get(),
                remove.version().get(),
            )
        },
        |(week, ..)| timesheet(week),
    );
    view! {
        <Title text="Time"/>
        <div class="page-header">
            <div>
                <p class="eyebrow">"Delivery"</p>
                <h1>"My time"</h1>
            </div>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Loading your week…"</p> }>
            {move || Suspend::new(async move {
                match sheet.await {
                    Ok(s) if !s.linked => view! {
                        <section class="empty-state"><h1>"No time to show"</h1>
                        <p>"Your user is not linked to a person of the team, so there is no time to log."</p></section>
                    }.into_any(),
                    Ok(s) => {
                        let first = Date::parse(&s.week).unwrap_or(Date::from_unix_ms(0));
                        let prev = format!("/time?week={}", first.add_days(-7));
                        let next = format!("/time?week={}", first.add_days(7));
                        let mut projects: Vec<(i64, String)> = s.projects.clone();
                        for e in &s.entries {
                            if !projects.iter().any(|(id, _)| *id == e.project_id) {
                                projects.push((e.project_id, e.project_name.clone()));
                            }
                        }
                        let head = s.days.iter().map(|d| {
                            let day = Date::parse(d).map(|x| ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][x.iso_weekday() as usize - 1]).unwrap_or("");
                            view! { <th scope="col">{day}" "<span class="muted small">{d.get(5..).unwrap_or_default().to_string()}</span></th> }
                        }).collect_view();
                        let rows = projects.iter().map(|(pid, name)| {
                            let cells = s.days.iter().map(|d| {
                                let m: i64 = s.entries.iter().filter(|e| e.project_id == *pid && &e.worked_on == d).map(|e| e.minutes).sum();
                                view! { <td class="num">{if m == 0 { String::new() } else { hours_shown(m) }}</td> }
                            }).collect_view();
                            let total: i64 = s.entries.iter().filter(|e| e.project_id == *pid).map(|e| e.minutes).sum();
                            view! { <tr><th scope="row">{name.clone()}</th>{cells}<td class="num strong">{hours_shown(total)}</td></tr> }
                        }).collect_view();
                        let day_totals = s.days.iter().map(|d| {
                            let m: i64 = s.entries.iter().filter(|e| &e.worked_on == d).map(|e| e.minutes).sum();
                            view! { <td class="num strong">{hours_shown(m)}</td> }
                        }).collect_view();
                        let week_total: i64 = s.entries.iter().map(|e| e.minutes).sum();
                        let options = s.projects.iter().map(|(id, name)| view! { <option value=*id>{name.clone()}</option> }).collect_view();
                        // The day offered: today (the workspace's, from the server) in this
                        // week, else the week's first day.
                        let today = s.days.iter().find(|d| **d == s.today)
                            .or_else(|| s.days.first())
                            .cloned()
                            .unwrap_or_default();
                        let latest = s.today.clone();
                        let entries = s.entries.iter().map(|e| {
                            let (id, version) = (e.id, e.version);
                            view! {
                            <li>
                                <span>{format!("{} · {} · {} h{}", e.worked_on, e.project_name, hours_shown(e.minutes), if e.billable { "" } else { " · not billable" })}</span>
                                <span class="muted">{e.note.clone()}</span>
                                <ActionForm action=remove attr:class="inline-form">
                                    <input type="hidden" name="entry_id" value=id/>
                                    <input type="hidden" name="version" value=version/>
                                    <button type="submit" class="button ghost small">"Remove"</button>
                                </ActionForm>
                            </li>
                        }}).collect_view();
                        view! {
                            <div class="week-nav">
                                <a class="button small" href=prev>"← Previous week"</a>
                                <a class="button small" href="/time">"This week"</a>
                                <a class="button small" href=next>"Next week →"</a>
                            </div>
                            <div class="table-card">
                                <table class="list timesheet" data-testid="timesheet">
                                    <thead><tr><th>"Project"</th>{head}<th class="num">"Total"</th></tr></thead>
                                    <tbody>{rows}</tbody>
                                    <tfoot><tr><th scope="row">"Day"</th>{day_totals}<td class="num strong" data-testid="week-total">{hours_shown(week_total)}</td></tr></tfoot>
                                </table>
                            </div>
                            <section class="panel">
                                <h2>"Log time"</h2>
                                <ActionForm action=log attr:class="grid-form">
                                    <label><span>"Project"</span><select name="project_id">{options}</select></label>
                                    <label><span>"Day"</span><input type="date" name="worked_on" value=today max=latest/></label>
                                    <label><span>"Hours"</span><input type="text" name="hours" inputmode="decimal" placeholder="e.g. 2.5"/></label>
                                    <label><span>"Note"</span><input type="text" name="note" maxlength="2000"/></label>
                                    <label class="check"><input type="checkbox" name="billable" checked/><span>"Billable"</span></label>
                                    <button type="submit" class="button primary">"Log"</button>
                                </ActionForm>
                                <p class="form-error" role="alert">{move || log.value().get().and_then(|r| r.err()).map(|e| error_text(&e))}</p>
                            </section>
                            <section class="panel">
                                <h2>"Entries this week"</h2>
                                <ul class="alloc-list">{entries}</ul>
                            </section>
                        }.into_any()
                    }
                    Err(err) => error_panel("Your time could not be loaded", &err),
                }
            })}
        </Transition>
    }
}
