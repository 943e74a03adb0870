//! `/capacity`: the capacity planner. People (grouped by skill) × weeks; each cell is
//! booked hours against available hours, coloured by utilisation, with time off marked;
//! per skill a summary of demand against capacity; with pipeline demand on, open deals'
//! weighted (or pessimistic) demand is added, hatched, and what nobody is assigned to
//! shows as "Unassigned" rows; each skill's week shows the chance of being over capacity
//! (with the pipeline's P50 and P90 in its title), and a what-if (deals won, lost,
//! slipped) changes the skill rows at once, in the browser. Planners edit a cell, assign
//! a range, turn unassigned demand into someone's allocation, and add time off; every
//! planner follows live.

use crate::api::live::LiveEvent;
use crate::api::planner::{capacity_grid, PlannerGrid, SkillRows};
use crate::components::errors::error_panel;
use crate::components::planner_panels::{AssignForm, Selected, SidePanel};
use crate::components::what_if::{WhatIf, WhatIfPanel};
use crate::domain::calendar::Date;
use crate::domain::odds::{chance_text, OverBand};
use crate::domain::planner::{DemandMode, Utilisation};
use crate::domain::validate::hours_shown;
use crate::live_client::LiveStatus;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

fn label(date: &str) -> String {
    date.get(5..).unwrap_or(date).to_string()
}

/// The planner page.
#[component]
pub fn CapacityPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        query.with(|q| {
            (
                q.get("from").unwrap_or_default(),
                q.get("weeks")
                    .and_then(|w| w.parse::<u32>().ok())
                    .unwrap_or(12)
                    .clamp(1, 52),
                q.get("demand").unwrap_or_default(),
            )
        })
    };
    // Reload on every capacity change anywhere in the workspace, and (a second after
    // the last one) on deal changes while pipeline demand is shown.
    let live_version = RwSignal::new(0_u64);
    let grid = Resource::new(
        move || (params(), live_version.get()),
        |((from, weeks, demand), _)| capacity_grid(from, weeks, demand),
    );
    // The grid shown: it already holds every change up to its event number (read before
    // the grid), so an event it holds loads nothing again — after an apply from here, the
    // reload the apply asked for is the only one.
    let current = RwSignal::new(None::<PlannerGrid>);
    let shown_seq = move || current.with_untracked(|g| g.as_ref().map(|g| g.seq));
    let stale = move |s: i64| shown_seq().is_none_or(|shown| shown < s);
    // The stream starts after the last event seen, else after the grid's own event number
    // (the page's, when it is already loaded), so a change committed between reading the
    // grid and opening the stream is replayed.
    let seq = StoredValue::new(None::<i64>);
    let seen = move |s: i64| seq.update_value(|q| *q = Some(q.map_or(s, |q| q.max(s))));
    let status = RwSignal::new(LiveStatus::Connecting);
    let deals_moved = crate::live_client::Debounce::new();
    // The highest deal event of the burst the debounce is waiting out (events may arrive
    // out of order, or twice).
    let burst = StoredValue::new(i64::MIN);
    crate::live_client::connect(
        move || {
            seq.get_value()
                .or_else(shown_seq)
                .or_else(|| {
                    grid.with_untracked(|g| g.as_ref().and_then(|g| g.as_ref().ok()).map(|g| g.seq))
                })
                .unwrap_or(i64::MAX)
        },
        move |event| match event {
            LiveEvent::Capacity { seq: s } | LiveEvent::Projects { seq: s } => {
                seen(s);
                if stale(s) {
                    live_version.update(|v| *v += 1);
                }
            }
            LiveEvent::Deal { seq: s, .. } | LiveEvent::DealRemoved { seq: s, .. } => {
                seen(s);
                let demand = query.with_untracked(|q| q.get("demand").unwrap_or_default());
                if DemandMode::parse(&demand) != DemandMode::Off {
                    burst.update_value(|b| *b = (*b).max(s));
                    deals_moved.run(1_000, move || {
                        let newest = burst.get_value();
                        burst.set_value(i64::MIN);
                        if stale(newest) {
                            live_version.update(|v| *v += 1);
                        }
                    });
                }
            }
            LiveEvent::Reset { .. } => live_version.update(|v| *v += 1),
            _ => {}
        },
        status,
    );
    // The what-if outlives reloads of the grid; the skills' rows shown (as it has them)
    // are kept here for the side panel.
    let what_if = WhatIf::new(live_version);
    let shown_rows = RwSignal::new(None::<SkillRows>);
    // The side panel lives outside the grid, so it stays open (with its messages) while
    // the grid reloads for a change made here or elsewhere.
    let selected = RwSignal::new(None::<Selected>);
    view! {
        <Title text="Capacity"/>
        <Transition fallback=|| view! { <p class="loading">"Loading the planner…"</p> }>
            {move || Suspend::new(async move {
                match grid.await {
                    Ok(g) => {
                        current.set(Some(g.clone()));
                        view! { <Planner grid=g status selected what_if shown_rows/> }.into_any()
                    }
                    Err(err) => error_panel("The planner could not be loaded", &err),
                }
            })}
        </Transition>
        {move || {
            let selection = selected.get()?;
            let grid = StoredValue::new(current.get_untracked()?);
            let scenario = what_if.scenario;
            Some(view! { <SidePanel selection grid selected rows=shown_rows scenario/> })
        }}
    }
}

/// The href of the planner with `changes` applied to the current query.
fn planner_href(query: &leptos_router::params::ParamsMap, changes: &[(&str, String)]) -> String {
    let mut parts = Vec::new();
    for key in ["from", "weeks", "demand", "skill", "q"] {
        let value = changes
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
            .or_else(|| query.get(key));
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            let encoded: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            parts.push(format!("{key}={encoded}"));
        }
    }
    if parts.is_empty() {
        "/capacity".into()
    } else {
        format!("/capacity?{}", parts.join("&"))
    }
}

#[component]
fn Planner(
    grid: PlannerGrid,
    status: RwSignal<LiveStatus>,
    selected: RwSignal<Option<Selected>>,
    what_if: WhatIf,
    shown_rows: RwSignal<Option<SkillRows>>,
) -> impl IntoView {
    let query = use_query_map();
    let navigate = use_navigate();
    let grid = StoredValue::new(grid);
    let first = grid
        .with_value(|g| Date::parse(&g.first_week))
        .unwrap_or(Date::from_unix_ms(0));
    let weeks = grid.with_value(|g| g.weeks);
    let this_week = grid.with_value(|g| g.this_week.clone());
    let week_dates: Vec<String> = (0..weeks)
        .map(|k| first.add_days(7 * k as i32).to_string())
        .collect();
    let week_dates = StoredValue::new(week_dates);
    let skill_filter =
        Memo::new(move |_| query.with(|q| q.get("skill").and_then(|s| s.parse::<i64>().ok())));
    let search = RwSignal::new(query.with_untracked(|q| q.get("q").unwrap_or_default()));
    let mode = grid.with_value(|g| g.mode);
    let can_edit = grid.with_value(|g| g.can_edit);
    let whole_team = grid.with_value(|g| g.whole_team);
    let has_odds = grid.with_value(|g| !g.odds.is_empty());
    // The skills' rows as the what-if has them (the grid's own while it is empty).
    let skill_rows =
        Memo::new(move |_| what_if.scenario.with(|s| grid.with_value(|g| g.what_if(s))));
    Effect::new(move |_| shown_rows.set(Some(skill_rows.get())));

    let go = {
        let navigate = navigate.clone();
        move |changes: Vec<(&'static str, String)>| {
            let href = query.with_untracked(|q| planner_href(q, &changes));
            navigate(
                &href,
                NavigateOptions {
                    scroll: false,
                    ..Default::default()
                },
            );
        }
    };
    let typing = crate::live_client::Debounce::new();
    let on_search = {
        let go = go.clone();
        move |ev: leptos::ev::Event| {
            let text = event_target_value(&ev);
            search.set(text.clone());
            let go = go.clone();
            typing.run(300, move || go(vec![("q", text)]));
        }
    };

    let header = move || {
        week_dates.with_value(|weeks| {
            weeks
                .iter()
                .map(|w| {
                    let now = *w == this_week;
                    view! { <th scope="col" class:this-week=now>{label(w)}</th> }
                })
                .collect_view()
        })
    };

    // The table body: rebuilt from the grid when the skill filter or the search changes.
    let body = move || {
        let skill_only = skill_filter.get();
        let needle = search.get().trim().to_lowercase();
        grid.with_value(|g| {
            let mut out = Vec::new();
            for (i, (skill, skill_name)) in g.skills.iter().enumerate() {
                if skill_only.is_some_and(|s| s != *skill) {
                    continue;
                }
                let members: Vec<_> = g
                    .rows
                    .iter()
                    .filter(|r| r.skills.first() == Some(skill))
                    .filter(|r| needle.is_empty() || r.name.to_lowercase().contains(&needle))
                    .collect();
                let summary_cells = (0..weeks as usize)
                    .map(|w| {
                        let week = week_dates.with_value(|d| d[w].clone());
                        skill_cell(i, w, *skill, skill_name.clone(), week, skill_rows)
                    })
                    .collect_view();
                // Someone who sees only their own weeks sees only their own skills.
                if !whole_team && members.is_empty() {
                    continue;
                }
                let people = g.rows.iter().filter(|r| r.skills.contains(skill)).count();
                out.push(
                    view! {
                        <tr class="skill-row" data-skill=*skill>
                            <th scope="row">
                                {skill_name.clone()}
                                {whole_team.then(|| view! {
                                    <span class="muted small">{format!(" · {people} {}", if people == 1 { "person" } else { "people" })}</span>
                                })}
                            </th>
                            {summary_cells}
                        </tr>
                    }
                    .into_any(),
                );
                if mode != DemandMode::Off {
                    out.push(
                        unassigned_row(i, *skill, skill_name.clone(), week_dates.get_value(), skill_rows)
                            .into_any(),
                    );
                }
                for row in members {
                    let cells = row
                        .weeks
                        .iter()
                        .enumerate()
                        .map(|(w, c)| {
                            let booked = c.confirmed + c.tentative;
                            let class = format!(
                                "cell util-{}{}{}",
                                c.utilisation.as_str(),
                                if c.tentative > 0 { " has-tentative" } else { "" },
                                if c.time_off > 0 { " has-off" } else { "" }
                            );
                            let week = week_dates.with_value(|d| d[w].clone());
                            let title = format!(
                                "{}: {} h booked{} of {} h available{}",
                                row.name,
                                hours_shown(c.confirmed),
                                if c.tentative > 0 { format!(" + {} h tentative", hours_shown(c.tentative)) } else { String::new() },
                                hours_shown(c.available),
                                if c.time_off > 0 { format!(", {} h off", hours_shown(c.time_off)) } else { String::new() }
                            );
                            // A button: the cell's details (and booking) open from the keyboard
                            // too; the row and column headers say whose week it is.
                            view! {
                                <td class=class title=title data-person=row.person_id data-week=week>
                                    <button type="button" class="cell-button">
                                        <span class="cell-main" class:cell-zero=booked == 0>{hours_shown(booked)}</span>
                                        <span class="cell-of">{format!("/{}", hours_shown(c.available))}</span>
                                        {(c.time_off > 0).then(|| view! { <span class="off-mark">{format!("off {}", hours_shown(c.time_off))}</span> })}
                                    </button>
                                </td>
                            }
                        })
                        .collect_view();
                    out.push(
                        view! {
                            <tr class="person-row" data-person-row=row.person_id>
                                <th scope="row">{row.name.clone()}</th>
                                {cells}
                            </tr>
                        }
                        .into_any(),
                    );
                }
            }
            out.collect_view()
        })
    };

    // One click handler for the whole table.
    let on_table_click = move |ev: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(target) = ev
                .target()
                .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
            else {
                return;
            };
            if let Ok(Some(cell)) = target.closest("td[data-person]") {
                let person = cell
                    .get_attribute("data-person")
                    .and_then(|v| v.parse().ok());
                let week = cell.get_attribute("data-week");
                if let (Some(person_id), Some(week)) = (person, week) {
                    selected.set(Some(Selected::Cell { person_id, week }));
                }
            } else if let Ok(Some(cell)) = target.closest("td[data-sum-skill]") {
                let skill = cell
                    .get_attribute("data-sum-skill")
                    .and_then(|v| v.parse().ok());
                let week = cell.get_attribute("data-week").and_then(|v| v.parse().ok());
                if let (Some(skill), Some(week)) = (skill, week) {
                    selected.set(Some(Selected::SkillWeek { skill, week }));
                }
            } else if let Ok(Some(cell)) = target.closest("td[data-unassigned]") {
                let skill = cell
                    .get_attribute("data-unassigned")
                    .and_then(|v| v.parse().ok());
                let week = cell.get_attribute("data-week").and_then(|v| v.parse().ok());
                if let (Some(skill), Some(week)) = (skill, week) {
                    selected.set(Some(Selected::Unassigned { skill, week }));
                }
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, selected);
    };

    let skills_options = grid.with_value(|g| {
        g.skills
            .iter()
            .map(|(id, name)| {
                let id = *id;
                view! { <option value=id selected=move || skill_filter.get() == Some(id)>{name.clone()}</option> }
            })
            .collect_view()
    });
    let weeks_now = weeks;
    let go2 = go.clone();
    let go3 = go.clone();
    let go4 = go.clone();
    // Marks the table once the browser has taken it over (for the hydration benchmark):
    // milliseconds since navigation started.
    let table = NodeRef::<leptos::html::Table>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if let Some(t) = table.get() {
            let ms = window().performance().map(|p| p.now()).unwrap_or(0.0);
            let _ = t.set_attribute("data-hydrated-ms", &format!("{ms:.0}"));
        }
    });
    view! {
        <div class="page-header">
            <div>
                <p class="eyebrow">"Delivery"</p>
                <h1>"Capacity"</h1>
                <p class="muted">{if whole_team { "Booked against available hours per person and week." } else { "Your weeks: booked against available hours." }}</p>
            </div>
            <crate::live_client::LiveBadge status/>
        </div>
        <form method="get" action="/capacity" class="inline-form filters planner-controls">
            <div class="week-nav">
                <a class="button small" href=move || query.with(|q| planner_href(q, &[("from", first.add_days(-7 * weeks_now as i32).to_string())]))>"← Earlier"</a>
                <a class="button small" href=move || query.with(|q| planner_href(q, &[("from", String::new())]))>"This week"</a>
                <a class="button small" href=move || query.with(|q| planner_href(q, &[("from", first.add_days(7 * weeks_now as i32).to_string())]))>"Later →"</a>
            </div>
            <label><span>"Weeks"</span>
                <select name="weeks" on:change=move |ev| go2(vec![("weeks", event_target_value(&ev))])>
                    {[4_u32, 8, 12, 26, 52].into_iter().map(|n| view! { <option value=n selected=n == weeks>{n}</option> }).collect_view()}
                </select>
            </label>
            <label><span>"Pipeline demand"</span>
                <select name="demand" aria-label="Pipeline demand" on:change=move |ev| go3(vec![("demand", event_target_value(&ev))])>
                    <option value="off" selected=mode == DemandMode::Off>"Off"</option>
                    <option value="weighted" selected=mode == DemandMode::Weighted>"Weighted by probability"</option>
                    <option value="pessimistic" selected=mode == DemandMode::Pessimistic>"Pessimistic (all at 100 %)"</option>
                </select>
            </label>
            <label><span>"Skill"</span>
                <select name="skill" aria-label="Skill" on:change=move |ev| go4(vec![("skill", event_target_value(&ev))])>
                    <option value="">"All skills"</option>
                    {skills_options}
                </select>
            </label>
            <label><span>"Search"</span>
                <input type="search" name="q" placeholder="Name" prop:value=move || search.get() on:input=on_search/>
            </label>
            <noscript><button type="submit" class="button">"Show"</button></noscript>
            <input type="hidden" name="from" value=grid.with_value(|g| if g.first_week == g.this_week { String::new() } else { g.first_week.clone() })/>
        </form>
        <div class="legend" aria-hidden="true">
            <span class="swatch util-free"></span>"free"
            <span class="swatch util-healthy"></span>"healthy"
            <span class="swatch util-full"></span>"full"
            <span class="swatch util-over"></span>"over"
            <span class="swatch hatched"></span>"pipeline (tentative)"
            <span class="swatch off"></span>"time off"
            {has_odds.then(|| view! {
                <span class="legend-odds">"chance over capacity (skill rows):"</span>
                <span class="odds odds-unlikely">"under 10 %"</span>
                <span class="odds odds-possible">"10–49 %"</span>
                <span class="odds odds-likely">"50 % or more"</span>
            })}
        </div>
        {(mode == DemandMode::Off).then(|| view! {
            <p class="muted small">"Turn on pipeline demand to see the chance of being over capacity and to try a what-if."</p>
        })}
        {(mode != DemandMode::Off).then(|| view! { <WhatIfPanel grid what_if/> })}
        {can_edit.then(|| view! { <AssignForm grid/> })}
        <div class="planner-layout">
            <div class="table-scroll planner-scroll">
                <table class=format!("planner weeks-{weeks}") data-testid="planner" node_ref=table on:click=on_table_click
                    data-what-if=move || what_if.scenario.with(|s| s.len())>
                    <thead><tr><th scope="col" class="corner">"Person / week of"</th>{header}</tr></thead>
                    <tbody>{body}</tbody>
                </table>
            </div>
        </div>
    }
}

/// A skill's week in its summary row: booked and pipeline hours against capacity and,
/// with the odds, the chance of being over — as the what-if has them.
fn skill_cell(
    i: usize,
    w: usize,
    skill_id: i64,
    skill: String,
    week: String,
    rows: Memo<SkillRows>,
) -> impl IntoView {
    let numbers = move || rows.with(|r| r.weeks[i][w]);
    let odds = move || rows.with(|r| r.odds.get(i).and_then(|o| o.get(w)).copied());
    let class = move || {
        let s = numbers();
        format!(
            "sum-cell util-{}",
            Utilisation::of(s.confirmed + s.pipeline, s.capacity).as_str()
        )
    };
    let week_label = Date::parse(&week).map(Date::short_label).unwrap_or(week);
    let (skill2, week_label2) = (skill.clone(), week_label.clone());
    let title = move || {
        let s = numbers();
        let booked = format!(
            "{} h booked{} of {} h available",
            hours_shown(s.confirmed),
            if s.pipeline > 0 {
                format!(" + {} h pipeline", hours_shown(s.pipeline))
            } else {
                String::new()
            },
            hours_shown(s.capacity)
        );
        match odds() {
            None => booked,
            Some(o) => format!(
                "{skill}, week of {week_label}: {} chance of being over capacity. Pipeline demand P50 {} h, P90 {} h. Capacity with people of several skills counted in part: {} h, {} h of it booked. {booked}.",
                chance_text(o.over_bp),
                hours_shown(o.p50),
                hours_shown(o.p90),
                hours_shown(s.capacity_share),
                hours_shown(s.confirmed_share),
            ),
        }
    };
    let demand = move || {
        let s = numbers();
        hours_shown(s.confirmed + s.pipeline)
    };
    let title2 = title.clone();
    // With the odds the title names the skill and week already.
    let label = move || match odds() {
        Some(_) => title2(),
        None => format!("{skill2}, week of {week_label2}: {}", title2()),
    };
    view! {
        <td class=class title=title data-sum-skill=skill_id data-week=w
            data-odds=move || odds().map(|o| format!("{}:{}:{}", o.p50, o.p90, o.over_bp))>
            // A button, so the details (P50, P90, the deals) open from the keyboard too.
            <button type="button" class="cell-button">
                <span class="cell-main">{demand}</span>
                <span class="cell-of">{move || format!("/{}", hours_shown(numbers().capacity))}</span>
                {move || odds().map(|o| view! {
                    <span class=format!("odds odds-{}", OverBand::of(o.over_bp).as_str())>
                        {chance_text(o.over_bp)}" over"
                    </span>
                })}
                <span class="sr-only">{move || format!(" — {}", label())}</span>
            </button>
        </td>
    }
}

/// A skill's "Unassigned" row: pipeline demand nobody is booked on yet, shown while there
/// is any (as the what-if has it).
fn unassigned_row(
    i: usize,
    skill: i64,
    skill_name: String,
    week_dates: Vec<String>,
    rows: Memo<SkillRows>,
) -> impl IntoView {
    let weeks = week_dates.len();
    let any = move || rows.with(|r| r.weeks[i].iter().any(|s| s.unassigned > 0));
    move || {
        any().then(|| {
            let cells = (0..weeks)
                .map(|w| {
                    let minutes = move || rows.with(|r| r.weeks[i][w].unassigned);
                    let name = skill_name.clone();
                    let week = Date::parse(&week_dates[w])
                        .map(Date::short_label)
                        .unwrap_or_default();
                    view! {
                        <td class="unassigned-cell" class:empty=move || minutes() == 0 data-unassigned=skill data-week=w>
                            {move || (minutes() > 0).then(|| view! {
                                <button type="button" class="cell-button">
                                    {hours_shown(minutes())}
                                    <span class="sr-only">{format!(" h of {name} in the pipeline with nobody booked, week of {week}: who could take it")}</span>
                                </button>
                            })}
                        </td>
                    }
                })
                .collect_view();
            view! {
                <tr class="unassigned-row">
                    <th scope="row">{format!("Unassigned — {skill_name}")}</th>
                    {cells}
                </tr>
            }
        })
    }
}
