//! The close dialog (`/pipeline?close=ID`): capacity by skill and week, margin against the
//! target and floor, the suggested staffing (editable), the start with the earliest start
//! that fits, and the verdicts — updated at once on every change. For those who may see
//! cost rates the engine runs right here in WebAssembly; everyone else gets the same
//! verdicts and percentages from the server, a moment after they stop typing.

use crate::api::close::{close_deal, close_setup, preview_close, staffing_text, CloseDialogData};
use crate::components::errors::error_text;
use crate::domain::calendar::Date;
use crate::domain::capacity::quality::StaffingQuality;
use crate::domain::capacity::{CapacityVerdict, Engine, StaffingLine};
use crate::domain::close::{percent, ClosePreview};
use crate::domain::margin::MarginVerdict;
use crate::domain::money::{format_money_whole, Currency};
use crate::domain::validate::hours_shown;
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

/// The dialog for the deal named by `?close=ID`, if any.
#[component]
pub fn CloseDialog() -> impl IntoView {
    let query = use_query_map();
    let deal_id = Memo::new(move |_| {
        query
            .read()
            .get("close")
            .and_then(|v| v.parse::<i64>().ok())
    });
    let setup = Resource::new(
        move || deal_id.get(),
        |id| async move {
            match id {
                Some(id) => close_setup(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let back = move || query.with(|q| crate::components::board_state::board_href(q, None, None));
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match setup.await {
                    Ok(Some(data)) => view! { <Dialog data back=back()/> }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(err) => view! {
                        <div class="modal-backdrop">
                            <section class="modal close-dialog" role="dialog" aria-label="Close deal">
                                {crate::components::errors::error_panel("This deal cannot be closed", &err)}
                                <a class="button" href=back()>"Back to the board"</a>
                            </section>
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A fresh key for one close attempt: retries and double clicks of this dialog reuse it.
fn new_close_key() -> String {
    #[cfg(feature = "hydrate")]
    {
        let part = || {
            format!(
                "{:013x}",
                (leptos::web_sys::js_sys::Math::random() * 4_503_599_627_370_496.0) as u64
            )
        };
        format!("close-{}{}{}", part(), part(), part())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

#[component]
fn Dialog(data: CloseDialogData, back: String) -> AnyView {
    let data = StoredValue::new(data);
    let first_week = data
        .with_value(|d| Date::parse(&d.first_week))
        .unwrap_or(Date::from_unix_ms(0));
    let currency = data.with_value(|d| Currency::new(&d.currency));
    let deal_id = data.with_value(|d| d.card.id);
    // Someone who only approves sees the close as the deal stands: start and staffing
    // are the closer's to change.
    let can_close = data.with_value(|d| d.can_close);
    let start = RwSignal::new(data.with_value(|d| d.start_week));
    // `None`: the engine's suggestion (it follows the start); `Some`: as edited here.
    let edited: RwSignal<Option<Vec<StaffingLine>>> = RwSignal::new(None);
    let remote = RwSignal::new(data.with_value(|d| d.preview.clone()));
    let pending = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let submitting = RwSignal::new(false);
    let key = StoredValue::new(new_close_key());

    // With cost rates: the engine, built once from the data loaded with the dialog.
    let engine = StoredValue::new(
        data.with_value(|d| d.engine_input.as_ref().and_then(|i| Engine::new(i).ok())),
    );
    let local = engine.with_value(|e| e.is_some());
    let preview = Memo::new(move |_| {
        let start = start.get();
        let edited = edited.get();
        if local {
            let computed = engine.with_value(|e| {
                data.with_value(|d| {
                    let e = e.as_ref()?;
                    crate::domain::close::evaluate(
                        e,
                        &d.demand,
                        start,
                        edited.as_deref(),
                        d.value_minor.unwrap_or(0),
                        d.target_bp,
                        d.floor_bp,
                    )
                    .ok()
                    .map(|ev| ClosePreview::of(&ev, true, d.value_minor.is_some()))
                })
            });
            computed.unwrap_or_else(|| remote.get())
        } else {
            remote.get()
        }
    });

    // Without cost rates: ask the server, a quarter second after the last change.
    if !local {
        let timer = crate::live_client::Debounce::new();
        let seq = StoredValue::new(0_u64);
        Effect::new(move |first: Option<()>| {
            let start = start.get();
            let lines = edited.get();
            if first.is_none() {
                return;
            }
            pending.set(true);
            seq.update_value(|s| *s += 1);
            let mine = seq.get_value();
            let start_on = first_week.add_days(7 * start as i32).to_string();
            let staffing = lines
                .map(|l| staffing_text(&l, first_week))
                .unwrap_or_default();
            timer.run(250, move || {
                leptos::task::spawn_local(async move {
                    let answer = preview_close(deal_id, start_on, staffing).await;
                    if seq.get_value() != mine {
                        return;
                    }
                    pending.set(false);
                    match answer {
                        Ok(p) => {
                            error.set(None);
                            remote.set(p);
                        }
                        Err(e) => error.set(Some(error_text(&e))),
                    }
                });
            });
        });
    }

    let week_label = move |week: u32| {
        let d = first_week.add_days(7 * week as i32).to_string();
        d.get(5..).unwrap_or_default().to_string()
    };
    let skill_name = move |id: i64| {
        data.with_value(|d| {
            d.skills
                .iter()
                .find(|(s, _)| *s == id)
                .map(|(_, n)| n.clone())
                .unwrap_or_default()
        })
    };
    let person_name = move |id: i64| {
        data.with_value(|d| {
            d.people
                .iter()
                .find(|p| p.id == id)
                .map(|p| p.name.clone())
                .unwrap_or_else(|| format!("#{id}"))
        })
    };
    let weeks = data.with_value(|d| d.demand.weeks);

    // The heatmap: skills × weeks, demand against what the staffing covers.
    let heatmap = move || {
        let p = preview.get();
        let start = p.capacity.start_week;
        let head = (0..weeks)
            .map(|k| view! { <th scope="col">{week_label(start + k)}</th> })
            .collect_view();
        let mut skills: Vec<i64> = p.capacity.cells.iter().map(|c| c.skill).collect();
        skills.dedup();
        let rows = skills
            .into_iter()
            .map(|skill| {
                let cells = p
                    .capacity
                    .cells
                    .iter()
                    .filter(|c| c.skill == skill)
                    .map(|c| {
                        let class = if c.shortfall > 0 {
                            "heat heat-short"
                        } else if c.demand * 10 > c.supply * 9 {
                            "heat heat-tight"
                        } else {
                            "heat heat-fits"
                        };
                        let title = format!(
                            "{} h needed, {} h staffed, {} h free in the team",
                            hours_shown(c.demand),
                            hours_shown(c.staffed),
                            hours_shown(c.supply)
                        );
                        view! {
                            <td class=class title=title>
                                <span class="heat-need">{hours_shown(c.demand)}</span>
                                {(c.shortfall > 0).then(|| view! { <span class="heat-short-by">{format!("−{}", hours_shown(c.shortfall))}</span> })}
                            </td>
                        }
                    })
                    .collect_view();
                view! { <tr><th scope="row">{skill_name(skill)}</th>{cells}</tr> }
            })
            .collect_view();
        view! {
            <table class="heatmap" data-testid="heatmap">
                <thead><tr><th>"Hours"</th>{head}</tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
    };

    // The staffing as rows of person × skill with hours per week, editable.
    let staffing_rows = move || {
        let p = preview.get();
        let start = p.capacity.start_week;
        let mut keys: Vec<(i64, i64)> = p
            .capacity
            .staffing
            .iter()
            .map(|l| (l.skill, l.person_id))
            .collect();
        keys.sort();
        keys.dedup();
        let lines = p.capacity.staffing.clone();
        keys.into_iter()
            .map(|(skill, person)| {
                let candidates = data.with_value(|d| {
                    d.people
                        .iter()
                        .filter(|c| c.skills.contains(&skill))
                        .map(|c| (c.id, c.name.clone()))
                        .collect::<Vec<_>>()
                });
                let options = candidates
                    .into_iter()
                    .map(|(id, name)| view! { <option value=id selected=id == person>{name}</option> })
                    .collect_view();
                let cells = (0..weeks)
                    .map(|k| {
                        let week = start + k;
                        let minutes: i64 = lines
                            .iter()
                            .filter(|l| l.person_id == person && l.skill == skill && l.week == week)
                            .map(|l| l.minutes)
                            .sum();
                        let label = format!("{} {} hours, week of {}", person_name(person), skill_name(skill), week_label(week));
                        view! {
                            <td>
                                <input type="text" inputmode="decimal" class="hours-input" aria-label=label disabled=!can_close
                                    // Read only when changed: the line keeps its exact minutes until then.
                                    value=if minutes == 0 { String::new() } else { hours_shown(minutes) }
                                    on:change=move |ev| {
                                        let text = event_target_value(&ev);
                                        match crate::domain::validate::hours("staffing", &text, 168) {
                                            Ok(m) => set_cell(preview, edited, person, skill, week, m),
                                            Err(e) => error.set(Some(error_text(&AppError::from(e)))),
                                        }
                                    }/>
                            </td>
                        }
                    })
                    .collect_view();
                view! {
                    <tr>
                        <th scope="row">
                            <select class="person-select" disabled=!can_close aria-label=format!("Who does {} (now {})", skill_name(skill), person_name(person))
                                on:change=move |ev| {
                                    if let Ok(to) = event_target_value(&ev).parse::<i64>() {
                                        swap_person(preview, edited, person, skill, to);
                                    }
                                }>
                                {options}
                            </select>
                            <span class="skill-tag">{skill_name(skill)}</span>
                        </th>
                        {cells}
                    </tr>
                }
            })
            .collect_view()
    };

    let capacity_badge = move || {
        let (class, text) = match preview.with(|p| p.capacity.verdict) {
            CapacityVerdict::Fits => ("verdict verdict-good", "Fits"),
            CapacityVerdict::Tight => ("verdict verdict-warn", "Tight"),
            CapacityVerdict::Short => ("verdict verdict-bad", "Short"),
        };
        view! { <span class=class data-testid="capacity-verdict">{text}</span> }
    };
    let margin_badge = move || {
        let (class, text) = match preview.with(|p| p.margin_verdict) {
            MarginVerdict::Pass => ("verdict verdict-good", "Pass"),
            MarginVerdict::Warn => ("verdict verdict-warn", "Warn"),
            MarginVerdict::Block => ("verdict verdict-bad", "Block"),
        };
        view! { <span class=class data-testid="margin-verdict">{text}</span> }
    };
    let (target_bp, floor_bp) = data.with_value(|d| (d.target_bp, d.floor_bp));
    let cur = currency.clone();
    let margin_line = move || {
        let p = preview.get();
        let margin = p.margin_bp.map(percent).unwrap_or_else(|| "—".into());
        let cost = p
            .cost_minor
            .map(|c| format!(" · cost {}", format_money_whole(c, &cur)))
            .unwrap_or_default();
        format!(
            "{margin} (target {}, floor {}){cost}",
            percent(target_bp),
            percent(floor_bp)
        )
    };
    let cur = currency.clone();
    let budget_badge = move || {
        let at_risk = preview.with(|p| !p.day_one_risks.is_empty());
        let (class, text) = if at_risk {
            ("verdict verdict-warn", "At risk")
        } else {
            ("verdict verdict-good", "On budget")
        };
        view! { <span class=class data-testid="budget-verdict">{text}</span> }
    };
    let budget_line = move || {
        let p = preview.get();
        match (p.forecast_minor, p.budget_minor) {
            (Some(f), Some(b)) => format!(
                "forecast {} of {} (planned hours at bill rates)",
                format_money_whole(f, &cur),
                format_money_whole(b, &cur)
            ),
            _ => "forecast at bill rates against the deal's value".to_string(),
        }
    };
    let day_one = move || {
        let p = preview.get();
        (!p.day_one_risks.is_empty()).then(|| {
            view! {
                <p class="day-one-risk" role="status" data-testid="day-one-risk">
                    {format!(
                        "If closed like this, the project page will show it at risk from day one: {}. Raise the value, staff cheaper or fewer hours, or accept it.",
                        p.day_one_risks.join("; ")
                    )}
                </p>
            }
        })
    };
    let staffing_shape = move || {
        let p = preview.get();
        let q = StaffingQuality::of(&p.capacity.staffing);
        let people = p
            .capacity
            .staffing
            .iter()
            .map(|l| l.person_id)
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        (q.skills > 0).then(|| {
            format!(
                "{people} {} · {:.1} per skill · {} {} of person from week to week",
                if people == 1 { "person" } else { "people" },
                q.people_per_skill(),
                q.switches,
                if q.switches == 1 { "change" } else { "changes" },
            )
        })
    };
    let earliest = move || {
        let p = preview.get();
        match p.earliest_start {
            Some(w) if w != p.capacity.start_week => {
                let date = first_week.add_days(7 * w as i32).to_string();
                Some(view! {
                    <p class="earliest">
                        "Earliest start that fits: " <strong data-testid="earliest-start">{date}</strong> " "
                        {can_close.then(|| view! {
                            <button type="button" class="button small" on:click=move |_| {
                                edited.set(None);
                                start.set(w);
                            }>"Start then"</button>
                        })}
                    </p>
                }
                .into_any())
            }
            Some(_) => Some(view! { <p class="earliest muted">"This is the earliest start that fits."</p> }.into_any()),
            None => Some(view! { <p class="earliest muted">"No start in the next 12 weeks fits with the team as it is."</p> }.into_any()),
        }
    };
    let can_override = data.with_value(|d| d.can_override);
    let approvers = data.with_value(|d| d.approvers.clone());
    let blocked = move || preview.with(|p| p.needs_override);
    // The verdict and what to do about it, next to the confirm button.
    let override_box = move || {
        let p = preview.get();
        if !p.needs_override {
            let text = if can_close {
                "Nothing blocks this close."
            } else {
                "Nothing blocks this close, so it needs no approval: its owner, or anyone who may close deals, closes it."
            };
            return view! { <p class="close-ready" data-testid="close-summary">{text}</p> }
                .into_any();
        }
        let why = p.blockers.join("; ");
        if can_override {
            let ask = if can_close {
                format!("Blocked: {why}. Close anyway — why? (10 characters or more, kept on the project)")
            } else {
                format!("Blocked: {why}. Approve it and close it — why? (10 characters or more, kept on the project with your name)")
            };
            view! {
                <label class="override" data-testid="close-summary">
                    <span>{ask}</span>
                    <textarea rows="2" maxlength="2000" on:input=move |ev| reason.set(event_target_value(&ev))
                        prop:value=move || reason.get()></textarea>
                </label>
            }
            .into_any()
        } else {
            let who = if approvers.is_empty() {
                "Nobody in this workspace may override the checks yet: an admin can give a role that permission under Roles.".to_string()
            } else {
                format!(
                    "Only someone allowed to override the checks can let it go ahead: {}. They open this deal’s close dialog (“Review the close…” in its drawer) and close it with a reason.",
                    approvers.join(", ")
                )
            };
            view! {
                <p class="override blocked" role="alert" data-testid="close-summary">
                    {format!("Blocked: {why}. Change the start or the staffing, or ask for approval. {who}")}
                </p>
            }
            .into_any()
        }
    };
    let can_submit = move || {
        !submitting.get()
            && !pending.get()
            && if blocked() {
                can_override && reason.with(|r| r.trim().chars().count() >= 10)
            } else {
                can_close
            }
    };
    let navigate = use_navigate();
    let version = data.with_value(|d| d.card.version);
    let submit = move |_| {
        if !can_submit() {
            return;
        }
        submitting.set(true);
        error.set(None);
        let start_on = first_week
            .add_days(7 * start.get_untracked() as i32)
            .to_string();
        let staffing = edited
            .get_untracked()
            .map(|l| staffing_text(&l, first_week))
            .unwrap_or_default();
        let why = if blocked() {
            reason.get_untracked()
        } else {
            String::new()
        };
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match close_deal(deal_id, version, key.get_value(), start_on, staffing, why).await {
                Ok(outcome) => navigate(
                    &format!("/projects/{}", outcome.project_id),
                    Default::default(),
                ),
                Err(e) => {
                    submitting.set(false);
                    error.set(Some(error_text(&e)));
                }
            }
        });
    };

    let (title, client, value) = data.with_value(|d| {
        (
            d.card.title.clone(),
            d.card.client_name.clone(),
            d.card.value_minor.map(|v| format_money_whole(v, &currency)),
        )
    });
    let start_value = move || first_week.add_days(7 * start.get() as i32).to_string();
    let min_start = first_week.to_string();
    view! {
        <div class="modal-backdrop">
            <section class="modal close-dialog" role="dialog" aria-modal="true" aria-label=format!("Close {title}")>
                <header class="drawer-header">
                    <div>
                        <p class="eyebrow">{client}" · close and create the project"</p>
                        <h2>{title.clone()}</h2>
                        {value.map(|v| view! { <p class="muted">{format!("Budget {v}")}</p> })}
                    </div>
                    <a class="button ghost small" href=back.clone()>"Cancel"</a>
                </header>
                <div class="close-verdicts">
                    <div class="verdict-box">
                        <span class="verdict-label">"Capacity"</span>
                        {capacity_badge}
                    </div>
                    <div class="verdict-box">
                        <span class="verdict-label">"Margin"</span>
                        {margin_badge}
                        <span class="margin-line" data-testid="margin">{margin_line}</span>
                    </div>
                    <div class="verdict-box">
                        <span class="verdict-label">"Budget"</span>
                        {budget_badge}
                        <span class="margin-line" data-testid="budget">{budget_line}</span>
                    </div>
                    <label class="verdict-box start-box">
                        <span class="verdict-label">"Start (week of)"</span>
                        <input type="date" min=min_start step="7" prop:value=start_value aria-label="Start" disabled=!can_close
                            on:change=move |ev| {
                                if let Some(d) = Date::parse(&event_target_value(&ev)) {
                                    // Week 0 starts on the workspace's week start.
                                    let days = first_week.days_until(d.week_start(first_week.iso_weekday()));
                                    if days >= 0 {
                                        edited.set(None);
                                        start.set((days / 7) as u32);
                                    }
                                }
                            }/>
                    </label>
                    <span class="muted small" aria-live="polite">{move || pending.get().then_some("Checking…")}</span>
                </div>
                {day_one}
                {earliest}
                <h3 class="section-title">"Capacity by skill and week"</h3>
                <div class="table-scroll">{heatmap}</div>
                <h3 class="section-title">"Staffing " <span class="muted small">"(hours a week; pick someone else or change the hours)"</span></h3>
                <p class="muted small" data-testid="staffing-shape">{staffing_shape}</p>
                <div class="table-scroll">
                    <table class="staffing" data-testid="staffing">
                        <tbody>{staffing_rows}</tbody>
                    </table>
                </div>
                <footer class="close-footer">
                    {override_box}
                    <p class="form-error" role="alert" aria-live="polite">{move || error.get()}</p>
                    <div class="drawer-actions">
                        {move || {
                            let submit = submit.clone();
                            (can_close || blocked()).then(move || view! {
                            <button type="button" class="button primary" disabled=move || !can_submit() on:click=submit>
                                {move || match (submitting.get(), can_close) {
                                    (true, _) => "Closing…",
                                    (false, true) => "Close deal and create the project",
                                    (false, false) => "Approve, close and create the project",
                                }}
                            </button>
                        })}}
                        <a class="button ghost" href=back.clone()>"Cancel"</a>
                    </div>
                </footer>
            </section>
        </div>
    }
    .into_any()
}

/// Sets one cell of the staffing (materialising the suggestion first).
fn set_cell(
    preview: Memo<ClosePreview>,
    edited: RwSignal<Option<Vec<StaffingLine>>>,
    person: i64,
    skill: i64,
    week: u32,
    minutes: i64,
) {
    let mut lines = edited
        .get_untracked()
        .unwrap_or_else(|| preview.with_untracked(|p| p.capacity.staffing.clone()));
    lines.retain(|l| !(l.person_id == person && l.skill == skill && l.week == week));
    if minutes > 0 {
        lines.push(StaffingLine {
            person_id: person,
            skill,
            week,
            minutes,
        });
    }
    edited.set(Some(lines));
}

/// Gives `from`'s work of `skill` to `to`.
fn swap_person(
    preview: Memo<ClosePreview>,
    edited: RwSignal<Option<Vec<StaffingLine>>>,
    from: i64,
    skill: i64,
    to: i64,
) {
    let mut lines = edited
        .get_untracked()
        .unwrap_or_else(|| preview.with_untracked(|p| p.capacity.staffing.clone()));
    for l in lines.iter_mut() {
        if l.person_id == from && l.skill == skill {
            l.person_id = to;
        }
    }
    edited.set(Some(lines));
}
