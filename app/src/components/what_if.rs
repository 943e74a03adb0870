//! The planner's what-if: mark open deals won or lost, or slip them by whole weeks, and
//! see the skills' rows and the chance of being over change at once — computed in the
//! browser from the grid's open deals (`PlannerGrid::what_if`), never sent anywhere
//! until applied. *Discard* forgets it; *Apply* (for those who may edit deals) writes
//! each deal on its own and reports the ones that could not be written.

use crate::api::planner::{ApplyWhatIf, PlannerGrid};
use crate::components::errors::error_text;
use crate::domain::calendar::Date;
use crate::domain::validate::hours_shown;
use crate::domain::what_if::{DealChange, Outcome, Scenario, MAX_SLIP_WEEKS};
use leptos::prelude::*;
use std::collections::BTreeMap;

/// A planner page's what-if: kept while the grid reloads (live changes, *Earlier* /
/// *Later*), gone with the page.
#[derive(Clone, Copy)]
pub struct WhatIf {
    /// The changes tried.
    pub scenario: RwSignal<Scenario>,
    /// "Title — client" of each deal changed, as it was named when changed.
    labels: RwSignal<BTreeMap<i64, String>>,
    /// Applying it.
    apply: ServerAction<ApplyWhatIf>,
}

impl WhatIf {
    /// An empty what-if; after an apply the deals written leave it (those that failed
    /// stay) and `reload` moves, so the grid shows what was written.
    pub fn new(reload: RwSignal<u64>) -> Self {
        let this = Self {
            scenario: RwSignal::new(Scenario::default()),
            labels: RwSignal::new(BTreeMap::new()),
            apply: ServerAction::new(),
        };
        Effect::new(move |_| {
            if let Some(Ok(outcome)) = this.apply.value().get() {
                this.scenario
                    .update(|s| s.retain(|c| !outcome.applied.contains(&c.deal_id)));
                if !outcome.applied.is_empty() {
                    reload.update(|v| *v += 1);
                }
            }
        });
        this
    }

    /// The label of a deal changed.
    fn label(&self, deal_id: i64) -> String {
        self.labels
            .with(|l| l.get(&deal_id).cloned())
            .unwrap_or_else(|| format!("Deal {deal_id}"))
    }
}

/// A change as a person reads it: "Won", "Lost", "Slipped 2 weeks", "Won, slipped 1 week".
fn describe(change: &DealChange) -> String {
    let slip = match change.effective_slip() {
        0 => None,
        1 => Some("slipped 1 week".to_string()),
        n => Some(format!("slipped {n} weeks")),
    };
    match (change.outcome, slip) {
        (Outcome::Lost, _) => "Lost".into(),
        (Outcome::Won, None) => "Won".into(),
        (Outcome::Won, Some(s)) => format!("Won, {s}"),
        (Outcome::Open, Some(s)) => {
            let mut chars = s.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        }
        (Outcome::Open, None) => "As planned".into(),
    }
}

/// An open deal as the what-if lists it.
#[derive(Debug, Clone)]
struct DealItem {
    id: i64,
    version: i64,
    label: String,
    details: String,
    /// Its hours inside the weeks shown (the list puts the largest first).
    minutes_in_view: i64,
}

/// The deals of the grid, largest in the weeks shown first.
fn deal_items(g: &PlannerGrid) -> Vec<DealItem> {
    let first = Date::parse(&g.first_week).unwrap_or(Date::from_unix_ms(0));
    let mut items: Vec<DealItem> = g
        .open_deals
        .iter()
        .map(|d| {
            let demand = &d.demand;
            let minutes_in_view: i64 =
                crate::domain::planner::weeks_in_window(demand, g.weeks as usize)
                    .map(|(_, k)| {
                        demand
                            .lines
                            .iter()
                            .map(|(skill, _)| demand.minutes_in(*skill, k))
                            .sum::<i64>()
                    })
                    .sum();
            let start = first.add_days(7 * demand.start_week as i32);
            DealItem {
                id: demand.deal_id,
                version: d.version,
                label: format!("{} — {}", d.title, d.client),
                details: format!(
                    "{} % · from {} · {} weeks · {} h in view",
                    demand.probability_pct,
                    start.short_label(),
                    demand.weeks,
                    hours_shown(minutes_in_view)
                ),
                minutes_in_view,
            }
        })
        .collect();
    items.sort_by(|a, b| {
        b.minutes_in_view
            .cmp(&a.minutes_in_view)
            .then_with(|| a.label.cmp(&b.label))
    });
    items
}

/// How many deals the list shows at once (search for the others).
const LISTED: usize = 8;

/// The what-if panel above the planner's table.
#[component]
pub fn WhatIfPanel(grid: StoredValue<PlannerGrid>, what_if: WhatIf) -> impl IntoView {
    let can_apply = grid.with_value(|g| g.can_apply);
    let items = StoredValue::new(grid.with_value(deal_items));
    let search = RwSignal::new(String::new());
    let listed = move || {
        let needle = search.get().trim().to_lowercase();
        items.with_value(|all| {
            all.iter()
                .filter(|d| needle.is_empty() || d.label.to_lowercase().contains(&needle))
                .take(LISTED)
                .cloned()
                .map(|d| view! { <DealRow d what_if/> })
                .collect_view()
        })
    };
    let changes = move || {
        what_if.scenario.with(|s| {
            s.changes()
                .map(|c| {
                    let id = c.deal_id;
                    let label = what_if.label(id);
                    let undo = format!("Undo the change of {label}");
                    view! {
                        <li data-deal=id>
                            <span>{label}": "<strong>{describe(c)}</strong></span>
                            <button type="button" class="button ghost small" aria-label=undo
                                on:click=move |_| what_if.scenario.update(|s| s.remove(id))>"Undo"</button>
                        </li>
                    }
                })
                .collect_view()
        })
    };
    let empty = move || what_if.scenario.with(Scenario::is_empty);
    let discard = move |_| {
        what_if.scenario.set(Scenario::default());
        what_if.labels.update(BTreeMap::clear);
    };
    let apply = move |_| {
        let changes = what_if.scenario.with_untracked(Scenario::to_text);
        what_if.apply.dispatch(ApplyWhatIf { changes });
    };
    let pending = what_if.apply.pending();
    let result = move || {
        what_if.apply.value().get().map(|r| match r {
            Ok(outcome) => {
                let applied = match outcome.applied.len() {
                    0 => String::new(),
                    1 => "Applied 1 deal.".to_string(),
                    n => format!("Applied {n} deals."),
                };
                let failed = outcome
                    .failed
                    .iter()
                    .map(|f| view! { <li>{what_if.label(f.deal_id)}": "{f.reason.clone()}</li> })
                    .collect_view();
                let some_failed = !outcome.failed.is_empty();
                view! {
                    <p>{applied}{some_failed.then_some(" Not applied (they stay in your what-if):")}</p>
                    {some_failed.then(|| view! { <ul class="what-if-failed">{failed}</ul> })}
                }
                .into_any()
            }
            Err(e) => view! { <p class="form-error">{error_text(&e)}</p> }.into_any(),
        })
    };
    view! {
        <section class="panel what-if" aria-labelledby="what-if-title" data-testid="what-if">
            <div class="what-if-head">
                <h2 id="what-if-title">"What if…"</h2>
                <p class="muted small">
                    "Mark open deals won or lost, or slip them, and watch the skill rows and the chance of being over change. "
                    "Only you see this; nothing is saved until you apply. People's rows keep the saved plan."
                </p>
            </div>
            <div class="what-if-body">
                <div class="what-if-pick">
                    <label class="what-if-search"><span>"Find an open deal"</span>
                        <input type="search" placeholder="Title or client" prop:value=move || search.get()
                            on:input=move |ev| search.set(event_target_value(&ev))/>
                    </label>
                    <ul class="what-if-deals" data-testid="what-if-deals">{listed}</ul>
                </div>
                <div class="what-if-changes">
                    <h3 class="section-title">"Your what-if"</h3>
                    <p class="muted small" hidden=move || !empty()>"No changes yet."</p>
                    <ul class="what-if-list" data-testid="what-if-changes">{changes}</ul>
                    <p class="muted small">
                        "Won sets the deal's probability to 100 % when applied; closing it — which starts its project — happens in the close dialog on the pipeline. "
                        "Lost marks it lost (\"Lost (planner what-if)\"); a slip moves its planned start."
                    </p>
                    <div class="what-if-actions">
                        <button type="button" class="button" on:click=discard disabled=empty>"Discard"</button>
                        {if can_apply {
                            view! {
                                <button type="button" class="button primary" on:click=apply
                                    disabled=move || empty() || pending.get()>
                                    {move || if pending.get() { "Applying…" } else { "Apply" }}
                                </button>
                            }.into_any()
                        } else {
                            view! { <p class="muted small">"Applying needs permission to edit deals; you can try a what-if all the same."</p> }.into_any()
                        }}
                    </div>
                    <div role="status" data-testid="what-if-result">{result}</div>
                </div>
            </div>
        </section>
    }
}

/// One open deal with its what-if controls: Won, Lost (toggles) and a slip.
#[component]
fn DealRow(d: DealItem, what_if: WhatIf) -> impl IntoView {
    let DealItem {
        id,
        version,
        label,
        details,
        ..
    } = d;
    let current = move || what_if.scenario.with(|s| s.get(id).copied());
    let outcome = move || current().map_or(Outcome::Open, |c| c.outcome);
    let slip = move || current().map_or(0, |c| c.slip_weeks);
    let named = label.clone();
    let set = move |outcome: Outcome, slip_weeks: u32| {
        what_if.labels.update(|l| {
            l.insert(id, named.clone());
        });
        what_if.scenario.update(|s| {
            s.set(DealChange {
                deal_id: id,
                version,
                outcome,
                slip_weeks,
            });
        });
    };
    let toggle = {
        let set = set.clone();
        move |to: Outcome| {
            let next = if outcome() == to { Outcome::Open } else { to };
            set(next, slip());
        }
    };
    let toggle_won = toggle.clone();
    let pressed = move |o: Outcome| move || if outcome() == o { "true" } else { "false" };
    let options = (0..=MAX_SLIP_WEEKS)
        .map(|w| {
            let text = match w {
                0 => "No slip".to_string(),
                1 => "1 week".to_string(),
                n => format!("{n} weeks"),
            };
            // A property, not the attribute: an option the person has picked ignores its
            // attribute from then on, and an undo must still show "No slip".
            view! { <option value=w prop:selected=move || slip() == w>{text}</option> }
        })
        .collect_view();
    let group = format!("What if for {label}");
    let slip_label = format!("Slip {label} by");
    view! {
        <li data-deal=id class:changed=move || current().is_some()>
            <p class="what-if-deal"><strong>{label.clone()}</strong>" "<span class="muted small">{details}</span></p>
            <div class="what-if-controls" role="group" aria-label=group>
                <button type="button" class="button small toggle" aria-pressed=pressed(Outcome::Won)
                    on:click=move |_| toggle_won(Outcome::Won)>"Won"</button>
                <button type="button" class="button small toggle" aria-pressed=pressed(Outcome::Lost)
                    on:click=move |_| toggle(Outcome::Lost)>"Lost"</button>
                <select aria-label=slip_label disabled=move || outcome() == Outcome::Lost
                    on:change=move |ev| {
                        let weeks = event_target_value(&ev).parse::<u32>().unwrap_or(0);
                        set(outcome(), weeks.min(MAX_SLIP_WEEKS));
                    }>
                    {options}
                </select>
            </div>
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_read_as_a_person_says_them() {
        let change = |outcome, slip_weeks| DealChange {
            deal_id: 1,
            version: 1,
            outcome,
            slip_weeks,
        };
        assert_eq!(describe(&change(Outcome::Won, 0)), "Won");
        assert_eq!(describe(&change(Outcome::Lost, 3)), "Lost");
        assert_eq!(describe(&change(Outcome::Open, 1)), "Slipped 1 week");
        assert_eq!(describe(&change(Outcome::Won, 2)), "Won, slipped 2 weeks");
    }
}
