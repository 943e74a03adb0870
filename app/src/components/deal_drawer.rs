//! The deal drawer (`/pipeline?deal=ID`): edit everything about a deal, and see its history.

use crate::api::deals::{get_deal, ArchiveDeal, DealDetail, MarkDealLost, UpdateDeal};
use crate::components::errors::{error_panel, error_text};
use crate::domain::money::{format_money, Currency};
use crate::domain::validate::{hours_shown, hours_text};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The drawer for the deal named in the URL, if any.
#[component]
pub fn DealDrawer(currency: Currency) -> impl IntoView {
    let query = use_query_map();
    let deal_id = Memo::new(move |_| query.read().get("deal").and_then(|v| v.parse::<i64>().ok()));
    let save = ServerAction::<UpdateDeal>::new();
    let lose = ServerAction::<MarkDealLost>::new();
    let archive = ServerAction::<ArchiveDeal>::new();
    let detail = Resource::new(
        move || {
            (
                deal_id.get(),
                save.version().get(),
                lose.version().get(),
                archive.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => get_deal(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let close_href =
        move || query.with(|q| crate::components::board_state::board_href(q, None, None));
    view! {
        <Transition fallback=|| ()>
            {move || {
                let currency = currency.clone();
                Suspend::new(async move {
                    match detail.await {
                        Ok(Some(d)) => view! { <Drawer detail=d save lose archive currency close_href=close_href()/> }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(err) => view! {
                            <aside class="drawer" role="dialog" aria-label="Deal">
                                {error_panel("This deal could not be opened", &err)}
                                <a class="button ghost" href=close_href()>"Close"</a>
                            </aside>
                        }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

#[component]
fn Drawer(
    detail: DealDetail,
    save: ServerAction<UpdateDeal>,
    lose: ServerAction<MarkDealLost>,
    archive: ServerAction<ArchiveDeal>,
    currency: Currency,
    close_href: String,
) -> impl IntoView {
    let d = detail;
    let card = d.card.clone();
    let value_text = card
        .value_minor
        .map(|v| {
            format_money(v, &currency)
                .trim_start_matches(|c: char| !c.is_ascii_digit())
                .to_string()
        })
        .unwrap_or_default();
    let error = move || {
        save.value()
            .get()
            .and_then(|r| r.err())
            .map(|e| error_text(&e))
    };
    let saved = move || save.value().get().is_some_and(|r| r.is_ok());
    let clients = d
        .clients
        .iter()
        .map(|(id, name)| view! { <option value=*id selected=*id == card.client_id>{name.clone()}</option> })
        .collect_view();
    // "New client…" (value 0) reveals a name field; the server creates the client with the save.
    let new_client = RwSignal::new(false);
    let owners = d
        .owners
        .iter()
        .map(|(id, name)| view! { <option value=*id selected=*id == card.owner_user_id>{name.clone()}</option> })
        .collect_view();
    let total_minutes: i64 = d.estimate.iter().map(|l| l.minutes).sum();
    let estimate = d
        .estimate
        .iter()
        .map(|line| {
            let value = if line.minutes == 0 { String::new() } else { hours_text(line.minutes) };
            view! {
                <label class="estimate-line">
                    <span>{line.skill.clone()}</span>
                    <input type="text" inputmode="decimal" name=format!("estimate[{}]", line.skill_id)
                        value=value placeholder="0" size="5" aria-label=format!("{} hours", line.skill)/>
                    <span class="muted">"h"</span>
                </label>
            }
        })
        .collect_view();
    let activity = d
        .activity
        .iter()
        .map(|a| {
            let when = d.offsets.date_of(a.created_at);
            let changes = a
                .changes
                .iter()
                .map(|c| {
                    let arrow = (!c.from.is_empty()).then(|| {
                        view! { <span class="change-from">{c.from.clone()}</span>" → " }
                    });
                    view! {
                        <li>
                            <span class="change-field">{c.field.clone()}": "</span>
                            {arrow}
                            <span class="change-to">{c.to.clone()}</span>
                        </li>
                    }
                })
                .collect_view();
            view! {
                <li>
                    <span class="activity-when">{when.to_string()}</span>
                    <span class="activity-who">{a.actor_name.clone().unwrap_or_else(|| "System".into())}</span>
                    <span class="activity-what">{a.action.replace('_', " ")}</span>
                    <ul class="activity-changes">{changes}</ul>
                </li>
            }
        })
        .collect_view();
    let rights = d.rights;
    let read_only = read_only_facts(&d, &currency);
    let title = card.title.clone();
    let closable = d.stage_kind == crate::domain::pipeline::StageKind::Open;
    let query = use_query_map();
    let close_deal_href =
        query.with_untracked(|q| crate::components::board_state::close_href(q, card.id));
    view! {
        <aside class="drawer" role="dialog" aria-label=format!("Deal: {title}")>
            <header class="drawer-header">
                <div>
                    <p class="eyebrow"><a href=format!("/clients/{}", card.client_id)>{card.client_name.clone()}</a></p>
                    <h2>{card.title.clone()}</h2>
                    <p class="deal-clocks small" class:is-rotting=card.rotting data-testid="deal-clocks">
                        {card.rot_text().map(|rot| format!("{rot}. "))}
                        {if closable { card.clocks_text() } else { format!("In this stage {}", crate::api::board::days_text(card.days_in_stage)) }}
                    </p>
                </div>
                <a class="button ghost small" href=close_href aria-label="Close the drawer">"Close"</a>
            </header>
            {if rights.edit {
                view! {
            <ActionForm action=save attr:class="drawer-form">
                    <input type="hidden" name="deal_id" value=card.id/>
                    <input type="hidden" name="version" value=card.version/>
                    <label class="wide"><span>"Title"</span><input type="text" name="title" value=card.title.clone() maxlength="200" required/></label>
                    <label><span>"Client"</span>
                        <select name="client_id" on:change=move |ev| new_client.set(event_target_value(&ev) == "0")>
                            {clients}
                            <option value="0">"New client…"</option>
                        </select>
                    </label>
                    <Show when=move || new_client.get()>
                        <label><span>"New client's name"</span>
                            <input type="text" name="new_client" maxlength="200" required autofocus placeholder="e.g. Acme Studio"/>
                        </label>
                    </Show>
                    <label><span>"Owner"</span><select name="owner_user_id">{owners}</select></label>
                    <label><span>{format!("Value ({})", currency.code)}</span><input type="text" name="value" value=value_text inputmode="decimal"/></label>
                    <label><span>"Probability %"</span><input type="text" name="probability" placeholder="From the stage" value=d.probability_override_pct.map(|p| p.to_string()).unwrap_or_default() inputmode="numeric"/></label>
                    <label><span>"Expected close"</span><input type="date" name="expected_close_on" value=card.expected_close_on.clone().unwrap_or_default()/></label>
                    <label><span>"Planned start"</span><input type="date" name="planned_start_on" value=d.planned_start_on.clone().unwrap_or_default()/></label>
                    <label><span>"Weeks"</span><input type="number" name="planned_weeks" min="1" max="104" value=d.planned_weeks/></label>
                    <label class="wide"><span>"Goals"</span><textarea name="brief_goals" rows="2">{d.brief_goals.clone()}</textarea></label>
                    <label class="wide"><span>"Priorities"</span><textarea name="brief_priorities" rows="2">{d.brief_priorities.clone()}</textarea></label>
                    <label class="wide"><span>"Context"</span><textarea name="brief_context" rows="2">{d.brief_context.clone()}</textarea></label>
                    <label class="wide"><span>"Notes"</span><textarea name="notes" rows="2">{d.notes.clone()}</textarea></label>
                    <fieldset class="wide estimate">
                        <legend>"Estimate by skill, hours"
                            <span class="muted">{format!(" · {} h in all", hours_shown(total_minutes))}</span>
                        </legend>
                        {estimate}
                    </fieldset>
                    <p class="form-error wide" role="alert" aria-live="polite">{error}</p>
                    <div class="wide drawer-actions">
                        <button type="submit" class="button primary">"Save"</button>
                        <span class="muted" role="status">{move || saved().then_some("Saved.")}</span>
                    </div>
                </ActionForm>
                    }.into_any()
            } else {
                read_only.into_any()
            }}
            {(rights.edit || (closable && rights.opens_close_dialog()) || d.lost_reason.is_some()).then(|| view! {
            <section class="drawer-section drawer-close-out">
                <h3>"Won, lost or done with"</h3>
                {(closable && rights.opens_close_dialog()).then(|| view! {
                    <a class="button primary small" href=close_deal_href.clone()>
                        {if rights.close { "Close deal…" } else { "Review the close…" }}
                    </a>
                })}
                {d.lost_reason.clone().map(|r| view! { <p class="lost-reason">"Lost: " {r}</p> })}
                {(rights.edit && d.lost_reason.is_none()).then(|| view! {
                    <ActionForm action=lose attr:class="inline-form">
                        <input type="hidden" name="deal_id" value=card.id/>
                        <input type="hidden" name="version" value=card.version/>
                        <input type="text" name="reason" placeholder="Why was it lost?" aria-label="Reason lost" maxlength="500" required/>
                        <button type="submit" class="button small">"Mark lost"</button>
                    </ActionForm>
                })}
                {rights.edit.then(|| view! {
                <ActionForm action=archive attr:class="inline-form">
                    <input type="hidden" name="deal_id" value=card.id/>
                    <input type="hidden" name="version" value=card.version/>
                    <button type="submit" class="button ghost small">"Archive"</button>
                </ActionForm>
                })}
                <p class="form-error" role="alert">{move || {
                    lose.value().get().and_then(|r| r.err()).or_else(|| archive.value().get().and_then(|r| r.err())).map(|e| error_text(&e))
                }}</p>
                {move || archive.value().get().is_some_and(|r| r.is_ok()).then(|| view! { <p role="status">"Archived: it is off the board."</p> })}
            </section>
            })}
            <section class="drawer-section">
                <h3>"Activity"</h3>
                <ul class="activity" data-testid="activity">{activity}</ul>
            </section>
        </aside>
    }
}

/// The deal as a list of facts, for viewers who may not edit deals.
fn read_only_facts(d: &DealDetail, currency: &Currency) -> impl IntoView {
    let card = &d.card;
    let or_dash = |v: &str| {
        if v.trim().is_empty() {
            "—".to_string()
        } else {
            v.to_string()
        }
    };
    let probability = match d.probability_override_pct {
        Some(p) => format!("{p} %"),
        None => format!("{} % (from the stage)", card.probability_pct),
    };
    let estimate: Vec<_> = d
        .estimate
        .iter()
        .filter(|l| l.minutes > 0)
        .map(|l| format!("{} {} h", l.skill, hours_shown(l.minutes)))
        .collect();
    let mut facts = vec![
        ("Owner", card.owner_name.clone()),
        ("Probability", probability),
        (
            "Expected close",
            or_dash(card.expected_close_on.as_deref().unwrap_or("")),
        ),
        (
            "Planned start",
            or_dash(d.planned_start_on.as_deref().unwrap_or("")),
        ),
        ("Weeks", d.planned_weeks.to_string()),
        (
            "Estimate",
            if estimate.is_empty() {
                "—".to_string()
            } else {
                estimate.join(" · ")
            },
        ),
        ("Goals", or_dash(&d.brief_goals)),
        ("Priorities", or_dash(&d.brief_priorities)),
        ("Context", or_dash(&d.brief_context)),
        ("Notes", or_dash(&d.notes)),
    ];
    if let Some(v) = card.value_minor {
        facts.insert(1, ("Value", format_money(v, currency)));
    }
    let rows = facts
        .into_iter()
        .map(|(k, v)| view! { <div><dt>{k}</dt><dd>{v}</dd></div> })
        .collect_view();
    view! {
        <div class="drawer-facts">
            <p class="muted" data-testid="read-only">"You can see this deal; changing it needs the “edit deals” permission."</p>
            <dl class="facts">{rows}</dl>
        </div>
    }
}
