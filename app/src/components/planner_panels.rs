//! The capacity planner's panels: the side panel of a selected week (a person's cell,
//! unassigned demand to hand to someone, or a skill's week with its odds), the cell
//! editor, and the "assign a range" form.

use crate::api::planner::{
    capacity_cell, AddTimeOff, AssignRange, CellDetail, PlannerGrid, RemoveTimeOff, SetAllocation,
    SkillRows,
};
use crate::components::errors::error_text;
use crate::domain::calendar::Date;
use crate::domain::odds::{chance_text, OverBand};
use crate::domain::planner::{DemandMode, SkillWeek};
use crate::domain::validate::{hours_shown, hours_text};
use crate::domain::what_if::Scenario;
use leptos::prelude::*;

/// What the side panel shows (set by clicking a cell in the browser).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum Selected {
    /// A person's week.
    Cell { person_id: i64, week: String },
    /// Unassigned demand of a skill in a week.
    Unassigned { skill: i64, week: u32 },
    /// A skill's week: its numbers, its odds, the open deals behind them.
    SkillWeek { skill: i64, week: u32 },
}

/// One open deal's need for a skill, as the unassigned panel lists it.
struct UnassignedLine {
    deal_id: i64,
    title: String,
    start_week: i64,
    weeks: u32,
    minutes_per_week: i64,
    probability_pct: i64,
}

#[component]
pub fn AssignForm(grid: StoredValue<PlannerGrid>) -> impl IntoView {
    let assign = ServerAction::<AssignRange>::new();
    let people = grid.with_value(|g| {
        g.rows
            .iter()
            .map(|r| view! { <option value=r.person_id>{r.name.clone()}</option> })
            .collect_view()
    });
    let projects = grid.with_value(|g| {
        g.projects
            .iter()
            .map(|(id, name)| view! { <option value=format!("project:{id}")>{name.clone()}</option> })
            .collect_view()
    });
    let deals = grid.with_value(|g| {
        let mut deals: Vec<(i64, String)> = g
            .open_deals
            .iter()
            .map(|d| (d.demand.deal_id, format!("{} — {}", d.title, d.client)))
            .collect();
        deals.sort_by(|a, b| a.1.cmp(&b.1));
        deals
            .into_iter()
            .map(|(id, name)| view! { <option value=format!("deal:{id}")>{name}</option> })
            .collect_view()
    });
    let first = grid.with_value(|g| g.first_week.clone());
    let outcome = move || {
        assign.value().get().map(|r| match r {
            Ok(o) if o.over_allocated.is_empty() => view! { <p class="muted" role="status">"Assigned."</p> }.into_any(),
            Ok(o) => view! {
                <p class="warning" role="status">{format!("Assigned — over-allocated in the weeks of {}.", o.over_allocated.join(", "))}</p>
            }.into_any(),
            Err(e) => view! { <p class="form-error" role="alert">{error_text(&e)}</p> }.into_any(),
        })
    };
    view! {
        <details class="panel assign-panel">
            <summary>"Assign someone to a project or deal for several weeks"</summary>
            <ActionForm action=assign attr:class="grid-form">
                <label><span>"Person"</span><select name="person_id">{people}</select></label>
                <label><span>"To"</span>
                    <select name="target">
                        <optgroup label="Projects">{projects}</optgroup>
                        <optgroup label="Open deals (tentative)">{deals}</optgroup>
                    </select>
                </label>
                <label><span>"From the week of"</span><input type="date" name="from_week" value=first step="7"/></label>
                <label><span>"Weeks"</span><input type="number" name="weeks" min="1" max="52" value="4"/></label>
                <label><span>"Hours a week"</span><input type="text" name="hours" inputmode="decimal" value="20"/></label>
                <button type="submit" class="button primary">"Assign"</button>
            </ActionForm>
            {outcome}
        </details>
    }
}

/// The side panel of what was clicked. `rows` are the skills' rows the table shows (as
/// the what-if has them), `scenario` the what-if.
#[component]
pub fn SidePanel(
    selection: Selected,
    grid: StoredValue<PlannerGrid>,
    selected: RwSignal<Option<Selected>>,
    rows: RwSignal<Option<SkillRows>>,
    scenario: RwSignal<Scenario>,
) -> impl IntoView {
    let close = move |_| selected.set(None);
    match selection {
        Selected::SkillWeek { skill, week } => view! {
            <aside class="planner-panel" role="dialog" aria-label="Skill week">
                <button type="button" class="button ghost small panel-close" on:click=close>"Close"</button>
                <SkillWeekPanel skill week grid rows scenario/>
            </aside>
        }
        .into_any(),
        Selected::Cell { person_id, week } => view! {
            <aside class="planner-panel" role="dialog" aria-label="Week details">
                <button type="button" class="button ghost small panel-close" on:click=close>"Close"</button>
                <CellPanel person_id week grid/>
            </aside>
        }
        .into_any(),
        Selected::Unassigned { skill, week } => {
            let (skill_name, lines, people, first, can_edit) = grid.with_value(|g| {
                let name = g
                    .skills
                    .iter()
                    .find(|(s, _)| *s == skill)
                    .map(|(_, n)| n.clone())
                    .unwrap_or_default();
                let lines: Vec<UnassignedLine> = g
                    .open_deals
                    .iter()
                    .filter(|d| {
                        let w = i64::from(week);
                        d.demand.start_week <= w
                            && w < d.demand.start_week + i64::from(d.demand.weeks)
                    })
                    .filter_map(|d| {
                        let (_, minutes) = d.demand.lines.iter().find(|(s, _)| *s == skill)?;
                        Some(UnassignedLine {
                            deal_id: d.demand.deal_id,
                            title: format!("{} — {}", d.title, d.client),
                            start_week: d.demand.start_week,
                            weeks: d.demand.weeks,
                            minutes_per_week: minutes / i64::from(d.demand.weeks.max(1)),
                            probability_pct: d.demand.probability_pct,
                        })
                    })
                    .collect();
                let people: Vec<(i64, String)> = g
                    .rows
                    .iter()
                    .filter(|r| r.skills.contains(&skill))
                    .map(|r| (r.person_id, r.name.clone()))
                    .collect();
                (name, lines, people, g.first_week.clone(), g.can_edit)
            });
            let first = Date::parse(&first).unwrap_or(Date::from_unix_ms(0));
            let items = lines
                .into_iter()
                .map(|l| {
                    let assign = ServerAction::<AssignRange>::new();
                    let from = first.add_days(7 * l.start_week.max(0) as i32).to_string();
                    let weeks_left = (l.start_week + i64::from(l.weeks) - l.start_week.max(0)).clamp(1, 52);
                    let options = people
                        .iter()
                        .map(|(id, name)| view! { <option value=*id>{name.clone()}</option> })
                        .collect_view();
                    let result = move || {
                        assign.value().get().map(|r| match r {
                            Ok(o) if o.over_allocated.is_empty() => "Assigned.".to_string(),
                            Ok(o) => format!("Assigned — over-allocated in the weeks of {}.", o.over_allocated.join(", ")),
                            Err(e) => error_text(&e),
                        })
                    };
                    view! {
                        <li>
                            <p><strong>{l.title.clone()}</strong>
                                <span class="muted">{format!(" · {} h a week for {} weeks · {} %", hours_shown(l.minutes_per_week), l.weeks, l.probability_pct)}</span></p>
                            {can_edit.then(|| view! {
                                <ActionForm action=assign attr:class="inline-form">
                                    <input type="hidden" name="target" value=format!("deal:{}", l.deal_id)/>
                                    <input type="hidden" name="from_week" value=from.clone()/>
                                    <input type="hidden" name="weeks" value=weeks_left/>
                                    <label><span>"Who"</span><select name="person_id">{options}</select></label>
                                    <label><span>"Hours a week"</span><input type="text" name="hours" size="4" value=hours_text(l.minutes_per_week)/></label>
                                    <button type="submit" class="button small primary">"Assign"</button>
                                </ActionForm>
                            })}
                            <p class="muted small" role="status">{result}</p>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <aside class="planner-panel" role="dialog" aria-label="Unassigned demand">
                    <button type="button" class="button ghost small panel-close" on:click=close>"Close"</button>
                    <h2>{format!("Unassigned — {skill_name}")}</h2>
                    <p class="muted">{format!("Open deals needing {skill_name} in the week of {}", first.add_days(7 * week as i32))}</p>
                    <ul class="pipeline-list">{items}</ul>
                </aside>
            }
            .into_any()
        }
    }
}

/// A skill's week: the chance of being over, the numbers it comes from, and the open
/// deals needing the skill that week — as the what-if has them.
#[component]
fn SkillWeekPanel(
    skill: i64,
    week: u32,
    grid: StoredValue<PlannerGrid>,
    rows: RwSignal<Option<SkillRows>>,
    scenario: RwSignal<Scenario>,
) -> impl IntoView {
    let (index, name, first, mode) = grid.with_value(|g| {
        let index = g.skills.iter().position(|(s, _)| *s == skill);
        let name = index.map(|i| g.skills[i].1.clone()).unwrap_or_default();
        let first = Date::parse(&g.first_week).unwrap_or(Date::from_unix_ms(0));
        (index, name, first, g.mode)
    });
    let w = week as usize;
    let cell = move || -> Option<(SkillWeek, Option<crate::domain::odds::SkillOdds>)> {
        let i = index?;
        rows.with(|r| {
            let r = r.as_ref()?;
            let numbers = *r.weeks.get(i)?.get(w)?;
            Some((numbers, r.odds.get(i).and_then(|o| o.get(w)).copied()))
        })
    };
    let pipeline_label = if mode == DemandMode::Pessimistic {
        "Pipeline, every deal won"
    } else {
        "Pipeline, weighted by probability"
    };
    let facts = move || {
        cell().map(|(n, odds)| {
            let lead = match odds {
                Some(o) => view! {
                    <p class=format!("odds-lead odds odds-{}", OverBand::of(o.over_bp).as_str())>
                        {format!("{} chance of being over capacity", chance_text(o.over_bp))}
                    </p>
                }
                .into_any(),
                None => view! { <p class="muted small">"The chance of being over needs pipeline demand on and the whole team in view."</p> }.into_any(),
            };
            let range = odds.map(|o| {
                view! {
                    <dt>"Pipeline P50 (as likely more as less)"</dt><dd>{format!("{} h", hours_shown(o.p50))}</dd>
                    <dt>"Pipeline P90 (more one time in ten)"</dt><dd>{format!("{} h", hours_shown(o.p90))}</dd>
                }
            });
            view! {
                {lead}
                <dl class="odds-facts">
                    <dt>"Capacity, people of several skills in part"</dt><dd>{format!("{} h", hours_shown(n.capacity_share))}</dd>
                    <dt>"Booked on projects (their part)"</dt><dd>{format!("{} h", hours_shown(n.confirmed_share))}</dd>
                    <dt>{pipeline_label}</dt><dd>{format!("{} h", hours_shown(n.pipeline))}</dd>
                    {range}
                </dl>
            }
        })
    };
    let deals = move || {
        scenario.with(|s| {
            grid.with_value(|g| {
                let mut lines: Vec<(i64, String)> = s
                    .apply(g.open_deals.iter().map(|d| &d.demand))
                    .iter()
                    .filter_map(|d| {
                        let k = i64::from(week) - d.start_week;
                        if k < 0 || k >= i64::from(d.weeks) {
                            return None;
                        }
                        let minutes = d.minutes_in(skill, k as u32);
                        let about = g
                            .open_deals
                            .iter()
                            .find(|o| o.demand.deal_id == d.deal_id)?;
                        (minutes > 0).then(|| {
                            (
                                minutes,
                                format!(
                                    "{} — {} · {} h · {} %",
                                    about.title,
                                    about.client,
                                    hours_shown(minutes),
                                    d.probability_pct
                                ),
                            )
                        })
                    })
                    .collect();
                lines.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
                if lines.is_empty() {
                    return view! { <li class="muted">"None: no open deal needs this skill that week."</li> }
                        .into_any();
                }
                lines
                    .into_iter()
                    .map(|(_, text)| view! { <li>{text}</li> })
                    .collect_view()
                    .into_any()
            })
        })
    };
    view! {
        <h2>{format!("{name} — week of {}", first.add_days(7 * week as i32).short_label())}</h2>
        {facts}
        <h3 class="section-title">"Open deals needing it that week"</h3>
        <ul class="pipeline-list" data-testid="skill-week-deals">{deals}</ul>
    }
}

#[component]
fn CellPanel(person_id: i64, week: String, grid: StoredValue<PlannerGrid>) -> impl IntoView {
    let set = ServerAction::<SetAllocation>::new();
    let add_off = ServerAction::<AddTimeOff>::new();
    let remove_off = ServerAction::<RemoveTimeOff>::new();
    let week_for_fetch = week.clone();
    let detail = Resource::new(
        move || {
            (
                set.version().get(),
                add_off.version().get(),
                remove_off.version().get(),
            )
        },
        move |_| capacity_cell(person_id, week_for_fetch.clone()),
    );
    let can_edit = grid.with_value(|g| g.can_edit);
    let projects = grid.with_value(|g| g.projects.clone());
    let message = move || {
        set.value()
            .get()
            .map(|r| match r {
                Ok(o) if !o.over_allocated.is_empty() => ("warning", "Saved — now over-allocated this week.".to_string()),
                Ok(_) => ("muted", "Saved.".to_string()),
                Err(e) => ("form-error", error_text(&e)),
            })
            .or_else(|| add_off.value().get().and_then(|r| r.err()).map(|e| ("form-error", error_text(&e))))
            .or_else(|| remove_off.value().get().and_then(|r| r.err()).map(|e| ("form-error", error_text(&e))))
            .map(|(class, text)| view! { <p class=class role="status" data-testid="cell-message">{text}</p> })
    };
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let projects = projects.clone();
                let week = week.clone();
                Suspend::new(async move {
                    match detail.await {
                        Ok(d) => view! { <CellBody d set add_off remove_off can_edit projects week/> }.into_any(),
                        Err(e) => view! { <p class="form-error">{error_text(&e)}</p> }.into_any(),
                    }
                })
            }}
        </Transition>
        {message}
    }
}

#[component]
fn CellBody(
    d: CellDetail,
    set: ServerAction<SetAllocation>,
    add_off: ServerAction<AddTimeOff>,
    remove_off: ServerAction<RemoveTimeOff>,
    can_edit: bool,
    projects: Vec<(i64, String)>,
    week: String,
) -> impl IntoView {
    let booked: i64 = d.allocations.iter().map(|a| a.minutes).sum();
    let rows = d
        .allocations
        .iter()
        .map(|a| {
            let target = match (a.project_id, a.deal_id) {
                (Some(p), _) => format!("project:{p}"),
                (_, Some(deal)) => format!("deal:{deal}"),
                _ => String::new(),
            };
            let tentative = a.deal_id.is_some();
            let (name, minutes, version, person, week) =
                (a.name.clone(), a.minutes, a.version, d.person_id, week.clone());
            let label = format!("Hours on {name}");
            view! {
                <li class:tentative=tentative>
                    <span class="alloc-name">{name}{tentative.then_some(" (tentative)")}</span>
                    {if can_edit {
                        view! {
                            <ActionForm action=set attr:class="inline-form">
                                <input type="hidden" name="person_id" value=person/>
                                <input type="hidden" name="target" value=target/>
                                <input type="hidden" name="week" value=week/>
                                <input type="hidden" name="version" value=version/>
                                <input type="text" name="hours" size="4" value=hours_text(minutes) aria-label=label/>
                                <button type="submit" class="button small">"Set"</button>
                            </ActionForm>
                        }.into_any()
                    } else {
                        view! { <span class="mono">{format!("{} h", hours_shown(minutes))}</span> }.into_any()
                    }}
                </li>
            }
        })
        .collect_view();
    let options = projects
        .iter()
        .map(|(id, name)| view! { <option value=format!("project:{id}")>{name.clone()}</option> })
        .collect_view();
    let offs = d
        .time_off
        .iter()
        .map(|t| {
            let (id, version) = (t.id, t.version);
            view! {
                <li>
                    <span>{format!("{} – {} · {} h a day", t.starts_on, t.ends_on, hours_shown(t.minutes_per_day))}
                        {t.reason.clone().map(|r| format!(" · {r}"))}</span>
                    {can_edit.then(|| view! {
                        <ActionForm action=remove_off attr:class="inline-form">
                            <input type="hidden" name="time_off_id" value=id/>
                            <input type="hidden" name="version" value=version/>
                            <button type="submit" class="button ghost small">"Remove"</button>
                        </ActionForm>
                    })}
                </li>
            }
        })
        .collect_view();
    let week2 = week.clone();
    view! {
        <h2>{d.name.clone()}</h2>
        <p class="muted">{format!("Week of {} · {} h booked of {} h capacity", d.week, hours_shown(booked), hours_shown(d.weekly_capacity))}</p>
        <ul class="alloc-list" data-testid="cell-allocations">{rows}</ul>
        {can_edit.then(|| view! {
            <ActionForm action=set attr:class="inline-form add-alloc">
                <input type="hidden" name="person_id" value=d.person_id/>
                <input type="hidden" name="week" value=week.clone()/>
                <input type="hidden" name="version" value="0"/>
                <label><span>"Add to"</span><select name="target">{options}</select></label>
                <label><span>"Hours"</span><input type="text" name="hours" size="4" aria-label="Hours to add"/></label>
                <button type="submit" class="button small primary">"Add"</button>
            </ActionForm>
        })}
        <h3 class="section-title">"Time off"</h3>
        <ul class="alloc-list">{offs}</ul>
        {can_edit.then(|| view! {
            <ActionForm action=add_off attr:class="grid-form time-off-form">
                <input type="hidden" name="person_id" value=d.person_id/>
                <label><span>"From"</span><input type="date" name="starts_on" value=week2.clone()/></label>
                <label><span>"To"</span><input type="date" name="ends_on" value=week2.clone()/></label>
                <label><span>"Hours a day"</span><input type="text" name="hours_per_day" placeholder="Full day"/></label>
                <label><span>"Reason"</span><input type="text" name="reason" maxlength="200"/></label>
                <button type="submit" class="button small">"Add time off"</button>
            </ActionForm>
        })}
    }
}
