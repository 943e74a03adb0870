//! `/projects` (every project, live) and `/projects/{id}` (brief, budget, dates, staffing
//! by week, the checks at close, the PM, reopening the deal).

use crate::api::live::LiveEvent;
use crate::api::projects::{get_project, list_projects, ProjectDetail, ReopenDeal, SetProjectPm};
use crate::components::errors::{error_panel, error_text};
use crate::components::project_panels::{ChangesPanel, DeliveryActions, SharePanel, UpdatesPanel};
use crate::domain::capacity::CapacityVerdict;
use crate::domain::close::percent;
use crate::domain::margin::MarginVerdict;
use crate::domain::money::{format_money_whole, Currency};
use crate::domain::validate::hours_shown;
use crate::live_client::LiveStatus;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};

/// A counter that goes up whenever projects change anywhere in the workspace (from the
/// live stream), for resources to reload on.
fn live_projects_version() -> RwSignal<u64> {
    RwSignal::new(0_u64)
}

/// Follows the live stream for `version`. The stream starts after `rendered()`, the event
/// number the page's data was read at (when it has been read), so a change committed
/// between reading the page and opening the stream is not lost.
fn follow_projects(version: RwSignal<u64>, rendered: impl Fn() -> Option<i64> + 'static) {
    let seq = StoredValue::new(None::<i64>);
    let status = RwSignal::new(LiveStatus::Connecting);
    crate::live_client::connect(
        move || seq.get_value().or_else(&rendered).unwrap_or(i64::MAX),
        move |event| match event {
            LiveEvent::Projects { seq: s }
            | LiveEvent::Deal { seq: s, .. }
            | LiveEvent::Capacity { seq: s } => {
                seq.set_value(Some(s));
                if matches!(event, LiveEvent::Projects { .. }) {
                    version.update(|v| *v += 1);
                }
            }
            LiveEvent::Reset { .. } => version.update(|v| *v += 1),
            _ => {}
        },
        status,
    );
}

fn money(value: Option<i64>, currency: &Currency) -> String {
    value
        .map(|v| format_money_whole(v, currency))
        .unwrap_or_else(|| "—".into())
}

/// The projects list.
#[component]
pub fn ProjectsPage() -> impl IntoView {
    let live = live_projects_version();
    let list = Resource::new(move || live.get(), |_| list_projects());
    follow_projects(live, move || {
        list.get_untracked().and_then(|l| l.ok()).map(|l| l.seq)
    });
    view! {
        <Title text="Projects"/>
        <div class="page-header">
            <div>
                <p class="eyebrow">"Delivery"</p>
                <h1>"Projects"</h1>
            </div>
        </div>
        <Transition fallback=|| view! { <p class="loading">"Loading projects…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(list) => {
                        let currency = Currency::new(&list.currency);
                        let rows = list.projects.iter().map(|p| view! {
                            <tr data-project-id=p.id>
                                <td class="strong">
                                    <a href=format!("/projects/{}", p.id)>{p.name.clone()}</a>
                                    {p.overridden.then(|| view! { <span class="flag-override" title="Closed despite a blocked check, with a reason">"Override"</span> })}
                                    {p.at_risk.then(|| view! { <span class="flag-risk" title="Budget burn ahead of progress, or the forecast over budget or under the margin floor">"At risk"</span> })}
                                </td>
                                <td><a href=format!("/clients/{}", p.client_id)>{p.client_name.clone()}</a></td>
                                <td>{p.pm_name.clone().unwrap_or_else(|| "—".into())}</td>
                                <td class="nowrap">{format!("{} – {}", p.starts_on, p.ends_on)}</td>
                                <td class="num">{money(p.budget_minor, &currency)}</td>
                                <td><span class=format!("status status-{}", p.status)>{p.status.replace('_', " ")}</span></td>
                            </tr>
                        }).collect_view();
                        let empty = list.projects.is_empty().then(|| view! {
                            <tr><td colspan="6" class="muted">"No projects yet: closing a deal creates one."</td></tr>
                        });
                        view! {
                            <div class="table-card">
                                <table class="list projects" data-testid="projects">
                                    <thead><tr>
                                        <th>"Project"</th><th>"Client"</th><th>"PM"</th><th>"Dates"</th>
                                        <th class="num">"Budget"</th><th>"Status"</th>
                                    </tr></thead>
                                    <tbody>{rows}{empty}</tbody>
                                </table>
                            </div>
                        }.into_any()
                    }
                    Err(err) => error_panel("Projects could not be loaded", &err),
                }
            })}
        </Transition>
    }
}

/// One project.
#[component]
pub fn ProjectPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok());
    let set_pm = ServerAction::<SetProjectPm>::new();
    let actions = DeliveryActions::new();
    let live = live_projects_version();
    let detail = Resource::new(
        move || (id(), set_pm.version().get(), live.get(), actions.version()),
        |(id, ..)| async move {
            match id {
                Some(id) => get_project(id).await,
                None => Err(crate::error::AppError::NotFound),
            }
        },
    );
    follow_projects(live, move || {
        detail.get_untracked().and_then(|d| d.ok()).map(|d| d.seq)
    });
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading the project…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok(p) => view! { <Project p set_pm actions/> }.into_any(),
                    Err(err) => view! {
                        <Title text="Project"/>
                        {error_panel("This project could not be opened", &err)}
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Project(
    p: ProjectDetail,
    set_pm: ServerAction<SetProjectPm>,
    actions: DeliveryActions,
) -> impl IntoView {
    let currency = Currency::new(&p.currency);
    let reopen = ServerAction::<ReopenDeal>::new();
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(deal_id)) = reopen.value().get() {
            navigate(&format!("/pipeline?deal={deal_id}"), Default::default());
        }
    });
    let head = p
        .weeks
        .iter()
        .map(|w| view! { <th scope="col">{w.get(5..).unwrap_or_default().to_string()}</th> })
        .collect_view();
    let staffing = p
        .staffing
        .iter()
        .map(|row| {
            let total: i64 = row.minutes.iter().sum();
            let cells = row
                .minutes
                .iter()
                .map(|m| view! { <td class="num">{if *m == 0 { String::new() } else { hours_shown(*m) }}</td> })
                .collect_view();
            view! { <tr><th scope="row">{row.name.clone()}</th>{cells}<td class="num strong">{hours_shown(total)}</td></tr> }
        })
        .collect_view();
    let report = p.check_report.clone().map(|r| {
        let capacity = match r.capacity {
            CapacityVerdict::Fits => ("verdict verdict-good", "Fits"),
            CapacityVerdict::Tight => ("verdict verdict-warn", "Tight"),
            CapacityVerdict::Short => ("verdict verdict-bad", "Short"),
        };
        let margin = match r.margin {
            MarginVerdict::Pass => ("verdict verdict-good", "Pass"),
            MarginVerdict::Warn => ("verdict verdict-warn", "Warn"),
            MarginVerdict::Block => ("verdict verdict-bad", "Block"),
        };
        let shortfall = (!r.shortfall.is_empty()).then(|| {
            let text = r
                .shortfall
                .iter()
                .map(|(skill, m)| format!("{skill} {} h", hours_shown(*m)))
                .collect::<Vec<_>>()
                .join(", ");
            view! { <p class="muted">"Unstaffed at close: " {text}</p> }
        });
        let cost = r
            .cost_minor
            .map(|c| format!(" · cost {}", format_money_whole(c, &currency)))
            .unwrap_or_default();
        view! {
            <section class="panel" data-testid="check-report">
                <h2>"Checks at close"</h2>
                <div class="close-verdicts">
                    <div class="verdict-box"><span class="verdict-label">"Capacity"</span><span class=capacity.0>{capacity.1}</span></div>
                    <div class="verdict-box">
                        <span class="verdict-label">"Margin"</span><span class=margin.0>{margin.1}</span>
                        <span class="margin-line">{format!("{} (target {}, floor {}){cost}",
                            r.margin_bp.map(percent).unwrap_or_else(|| "—".into()), percent(r.target_bp), percent(r.floor_bp))}</span>
                    </div>
                    <div class="verdict-box">
                        <span class="verdict-label">"Start"</span>
                        <span>{format!("{} · {} weeks", r.start_on, r.weeks)}</span>
                        {r.earliest_start_on.clone().map(|e| view! { <span class="muted small">{format!("earliest that fitted: {e}")}</span> })}
                    </div>
                </div>
                {shortfall}
                {r.staffing_edited.then(|| view! { <p class="muted">"The staffing was edited from the suggestion."</p> })}
            </section>
        }
    });
    let override_note = p.override_reason.clone().map(|why| {
        view! {
            <div class="notice override-note" role="note">
                <strong>"Closed despite a blocked check. "</strong>
                "Reason: " {why}
            </div>
        }
    });
    let pm_form = p.can_manage.then(|| {
        let options = p
            .pm_options
            .iter()
            .map(|(id, name)| view! { <option value=*id selected=Some(*id) == p.pm_user_id>{name.clone()}</option> })
            .collect_view();
        view! {
            <ActionForm action=set_pm attr:class="inline-form">
                <input type="hidden" name="project_id" value=p.row.id/>
                <input type="hidden" name="version" value=p.version/>
                <label><span>"Project manager"</span>
                    <select name="pm_user_id"><option value="">"Nobody yet"</option>{options}</select>
                </label>
                <button type="submit" class="button small">"Assign"</button>
            </ActionForm>
        }
    });
    let booked: i64 = p.staffing.iter().flat_map(|r| r.minutes.iter()).sum();
    let booked_people = p
        .staffing
        .iter()
        .filter(|r| r.minutes.iter().any(|m| *m > 0))
        .count();
    let removed =
        if booked > 0 {
            format!(
            "its staffing ({} h booked for {booked_people} {}), its budget and the checks at close",
            hours_shown(booked),
            if booked_people == 1 { "person" } else { "people" }
        )
        } else {
            "its budget and the checks at close".to_string()
        };
    let reopen_form = (p.can_reopen && p.deal_version.is_some()).then(|| {
        view! {
            <details class="confirm-reopen">
                <summary class="button ghost small">"Reopen the deal…"</summary>
                <div class="confirm-inline" role="group" aria-label="Reopen the deal?">
                    <p>{format!("Reopening deletes the project {} with {removed}, and puts the deal back on the board as an open deal. This cannot be undone; closing the deal again makes a new project.", p.row.name)}</p>
                    <ActionForm action=reopen attr:class="inline-form">
                        <input type="hidden" name="project_id" value=p.row.id/>
                        <input type="hidden" name="deal_version" value=p.deal_version.unwrap_or_default()/>
                        <button type="submit" class="button danger small">"Reopen and delete the project"</button>
                    </ActionForm>
                </div>
            </details>
        }
    });
    let errors = move || {
        set_pm
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| reopen.value().get().and_then(|r| r.err()))
            .map(|e| error_text(&e))
    };
    let brief = [
        ("Goals", p.brief_goals.clone()),
        ("Priorities", p.brief_priorities.clone()),
        ("Context", p.brief_context.clone()),
    ]
    .into_iter()
    .map(|(label, text)| view! { <dt>{label}</dt><dd>{if text.is_empty() { "—".to_string() } else { text }}</dd> })
    .collect_view();
    view! {
        <Title text=p.row.name.clone()/>
        <div class="page-header">
            <div>
                <p class="eyebrow"><a href="/projects">"Projects"</a>" · "<a href=format!("/clients/{}", p.row.client_id)>{p.row.client_name.clone()}</a></p>
                <h1>{p.row.name.clone()}</h1>
                <p class="muted">
                    <span class=format!("status status-{}", p.row.status)>{p.row.status.replace('_', " ")}</span>
                    {format!(" {} – {} · PM: {}", p.row.starts_on, p.row.ends_on, p.row.pm_name.clone().unwrap_or_else(|| "nobody yet".into()))}
                    {p.deal.clone().map(|(id, title)| view! { " · from the deal " <a href=format!("/pipeline?deal={id}")>{title}</a> })}
                </p>
            </div>
            <dl class="board-stats">
                <div><dt>"Budget"</dt><dd data-testid="budget">{money(p.row.budget_minor, &currency)}</dd></div>
                <div><dt>"Time logged"</dt><dd>{format!("{} h", hours_shown(p.logged_minutes))}</dd></div>
            </dl>
        </div>
        {override_note}
        <div class="project-actions">{pm_form}{reopen_form}</div>
        <p class="form-error" role="alert">{errors}</p>
        <div class="two-col">
            <section class="panel">
                <h2>"Brief"</h2>
                <dl class="brief">{brief}</dl>
            </section>
            {report}
        </div>
        <BurnPanel burn=p.burn.clone() currency=currency.clone()/>
        <ChangesPanel project_id=p.row.id changes=p.changes.clone() offsets=p.offsets.clone() skills=p.skills.clone()
            currency=currency.clone() can_propose=p.can_contact actions/>
        <div class="two-col">
            <UpdatesPanel project_id=p.row.id updates=p.updates.clone() offsets=p.offsets.clone() can_post=p.can_contact actions/>
            {p.can_contact.then(|| view! {
                <SharePanel project_id=p.row.id links=p.share_links.clone() offsets=p.offsets.clone()
                    may_show_budget=p.row.budget_minor.is_some() actions/>
            })}
        </div>
        <section class="panel">
            <h2>"Staffing by week (hours)"</h2>
            <div class="table-scroll">
                <table class="staffing" data-testid="project-staffing">
                    <thead><tr><th>"Person"</th>{head}<th>"Total"</th></tr></thead>
                    <tbody>{staffing}</tbody>
                </table>
            </div>
        </section>
    }
}

/// Budget, spent, remaining, forecast, and planned against logged hours per week.
#[component]
fn BurnPanel(burn: crate::api::projects::BurnView, currency: Currency) -> impl IntoView {
    let (w, h, pad) = (640.0_f64, 180.0_f64, 28.0_f64);
    let n = burn.weeks.len().max(1);
    let top = burn
        .weeks
        .iter()
        .map(|(_, p, l)| (*p).max(*l))
        .max()
        .unwrap_or(0)
        .max(60) as f64;
    let x = |k: usize| pad + (w - 2.0 * pad) * (k as f64 + 0.5) / n as f64;
    let y = |m: i64| h - pad - (h - 2.0 * pad) * (m as f64 / top);
    let line = |pick: fn(&(String, i64, i64)) -> i64| {
        burn.weeks
            .iter()
            .enumerate()
            .map(|(k, week)| format!("{:.1},{:.1}", x(k), y(pick(week))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let planned = line(|w| w.1);
    // Logged time exists up to this week, not beyond: the line stops at today.
    let past = burn
        .weeks
        .iter()
        .take_while(|(week, ..)| burn.this_week.is_empty() || *week <= burn.this_week)
        .count();
    let logged = burn
        .weeks
        .iter()
        .take(past)
        .enumerate()
        .map(|(k, week)| format!("{:.1},{:.1}", x(k), y(week.2)))
        .collect::<Vec<_>>()
        .join(" ");
    let today_x = (past > 0 && past < n).then(|| x(past - 1));
    let labels = burn
        .weeks
        .iter()
        .enumerate()
        .filter(|(k, _)| n <= 12 || k % (n / 12 + 1) == 0)
        .map(|(k, (week, ..))| {
            view! { <text x=format!("{:.1}", x(k)) y=format!("{:.1}", h - 8.0) text-anchor="middle" class="axis">{week.get(5..).unwrap_or_default().to_string()}</text> }
        })
        .collect_view();
    let money = |v: Option<i64>| v.map(|v| format_money_whole(v, &currency));
    let figures = [
        ("Budget", money(burn.budget_minor)),
        ("Spent", money(burn.spent_minor)),
        ("Remaining", money(burn.remaining_minor)),
        ("Forecast at completion", money(burn.forecast_minor)),
        ("Forecast margin", burn.forecast_margin_bp.map(percent)),
        (
            "Budget used",
            burn.burn_bp.map(|b| format!("{} %", b / 100)),
        ),
        (
            "Planned work past",
            Some(format!("{} %", burn.progress_bp / 100)),
        ),
    ]
    .into_iter()
    .filter_map(|(label, value)| value.map(|v| view! { <div><dt>{label}</dt><dd>{v}</dd></div> }))
    .collect_view();
    let risks = burn.risks.clone();
    view! {
        <section class="panel" data-testid="burn">
            <h2>"Budget burn " {burn.at_risk.then(|| view! { <span class="flag-risk">"At risk"</span> })}</h2>
            <dl class="board-stats burn-stats">{figures}</dl>
            {(!risks.is_empty()).then(|| view! { <ul class="risks">{risks.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul> })}
            <svg class="burn-chart" viewBox=format!("0 0 {w} {h}") role="img"
                aria-label="Planned against logged hours, cumulative, per week">
                <line x1=pad y1=h - pad x2=w - pad y2=h - pad class="axis-line"/>
                <text x=pad y=14 class="axis">{format!("{} h", hours_shown(top as i64))}</text>
                {today_x.map(|tx| view! {
                    <line x1=format!("{tx:.1}") y1=pad - 6.0 x2=format!("{tx:.1}") y2=h - pad class="today-line"/>
                    <text x=format!("{:.1}", tx + 4.0) y=pad - 8.0 class="axis">"this week"</text>
                })}
                <polyline points=planned class="planned"/>
                <polyline points=logged class="logged" data-testid="burn-logged" data-weeks=past/>
                {labels}
            </svg>
            <p class="legend" aria-hidden="true"><span class="line-swatch planned-swatch"></span>"planned (cumulative hours)"
                <span class="line-swatch logged-swatch"></span>"logged, up to this week"</p>
        </section>
    }
}
