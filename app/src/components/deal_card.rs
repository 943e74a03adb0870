//! A deal card on the board: draggable, and movable from its own menu with the keyboard.

use crate::api::board::{days_text, DealCard};
use crate::components::board_state::BoardContext;
use crate::domain::money::{format_money_whole, Currency};
use crate::domain::pipeline::StageKind;
use leptos::prelude::*;

/// A deal as a card: an article named by its title.
#[component]
pub fn DealCardView(card: DealCard, currency: Currency) -> AnyView {
    let ctx = expect_context::<BoardContext>();
    let title_id = format!("deal-{}-title", card.id);
    let labelled_by = title_id.clone();
    let owner_label = format!("Owner: {}", card.owner_name);
    let class = if card.rotting {
        "deal-card rotting"
    } else {
        "deal-card"
    };
    // The title and the screen reader say both clocks: rotting counts the days without
    // progress, which a move back does not reset.
    let age_title = card.age_text();
    let rot_title = card.rot_text();
    let age = format!("{}d in stage", card.days_in_stage);
    let age_more = (card.days_without_progress != card.days_in_stage).then(|| {
        format!(
            "; no progress for {}",
            days_text(card.days_without_progress)
        )
    });
    let deal_id = card.id;
    let current_stage = card.stage_id;
    // The stages a card can be moved to from its menu: the open ones, and Won (which
    // opens the close dialog) for open deals.
    let in_open_stage = ctx.board.with_untracked(|b| {
        b.columns
            .iter()
            .any(|c| c.stage.id == current_stage && c.stage.kind == StageKind::Open)
    });
    let rights = ctx.board.with_untracked(|b| b.rights);
    let options = ctx.board.with_untracked(|b| {
        b.columns
            .iter()
            .filter(|c| {
                c.stage.kind == StageKind::Open
                    || c.stage.id == current_stage
                    || (in_open_stage && c.stage.kind == StageKind::Won)
            })
            .map(|c| {
                let label = if c.stage.kind == StageKind::Won && c.stage.id != current_stage {
                    if rights.close {
                        format!("{} — close…", c.stage.name)
                    } else {
                        format!("{} — review the close…", c.stage.name)
                    }
                } else {
                    c.stage.name.clone()
                };
                (c.stage.id, label, c.stage.kind == StageKind::Won)
            })
            .collect::<Vec<_>>()
    });
    // Without "edit deals" a card moves nowhere but to Won (for those who may close).
    let options: Vec<_> = options
        .into_iter()
        .filter(|(id, _, won)| {
            *id == current_stage
                || if *won {
                    rights.opens_close_dialog()
                } else {
                    rights.edit
                }
        })
        .collect();
    let movable = ctx.board.with_untracked(|b| {
        b.columns
            .iter()
            .any(|c| c.stage.id == current_stage && c.stage.kind != StageKind::Won)
    }) && options.len() > 1;
    let draggable = movable && rights.edit;
    // The client too: several deals may share a title.
    let move_label = format!("Move {} to stage ({})", card.title, card.client_name);
    // The drawer opens over the board as it is filtered now.
    let query = leptos_router::hooks::use_query_map();
    let open_href =
        move || query.with(|q| crate::components::board_state::board_href(q, None, Some(deal_id)));
    view! {
        <article
            class=class
            aria-labelledby=labelled_by
            data-deal-id=card.id
            data-value-minor=card.value_minor.map(|v| v.to_string())
            draggable=if draggable { "true" } else { "false" }
            on:dragstart=move |ev| {
                // The title link drags too: nothing to carry for whoever may not move it.
                if !draggable {
                    ev.prevent_default();
                    return;
                }
                if let Some(dt) = ev.data_transfer() {
                    let _ = dt.set_data("text/plain", &deal_id.to_string());
                    dt.set_effect_allowed("move");
                }
            }
        >
            <p class="deal-client">{card.client_name}</p>
            <h3 id=title_id class="deal-title"><a href=open_href>{card.title}</a></h3>
            <div class="deal-money">
                {card.value_minor.map(|v| view! { <span class="deal-value">{format_money_whole(v, &currency)}</span> })}
                <span class="deal-probability" title="Win probability">{format!("{} %", card.probability_pct)}</span>
            </div>
            <footer class="deal-meta">
                // Initials to see, the owner's name to hear (a plain span's aria-label is not read).
                <span class="avatar" title=card.owner_name.clone()>
                    <span aria-hidden="true">{card.owner_initials}</span>
                    <span class="sr-only">{owner_label}</span>
                </span>
                {card.fit.map(|fit| {
                    use crate::domain::capacity::CapacityVerdict::*;
                    let (class, text, title) = match fit {
                        Fits => ("fit fit-fits", "Fits", "The team has the hours at the planned start"),
                        Tight => ("fit fit-tight", "Tight", "It fits, with less than 10 % to spare somewhere"),
                        Short => ("fit fit-short", "Short", "Some skill is short at the planned start"),
                    };
                    view! { <span class=class title=title data-testid="fit">{text}</span> }
                })}
                {rot_title.map(|title| view! { <span class="rot-flag" title=title>"Rotting"</span> })}
                <span class="deal-age" class:is-rotting=card.rotting title=age_title>
                    {age}{age_more.map(|more| view! { <span class="sr-only">{more}</span> })}
                </span>
                {movable.then(|| view! { <MoveMenu deal_id current_stage options label=move_label/> })}
            </footer>
        </article>
    }
    .into_any()
}

/// A card's move menu: a button that opens the list of stages. Arrow keys (and Home /
/// End) choose, Enter or Space moves, Escape closes; the focus stays with the card (its
/// copy in the new column takes it back) and the board announces the move.
#[component]
fn MoveMenu(
    deal_id: i64,
    current_stage: i64,
    /// (stage id, label, is the Won stage), in board order.
    options: Vec<(i64, String, bool)>,
    label: String,
) -> impl IntoView {
    let ctx = expect_context::<BoardContext>();
    let open = RwSignal::new(false);
    let at = options
        .iter()
        .position(|o| o.0 == current_stage)
        .unwrap_or(0);
    let active = RwSignal::new(at);
    let button = NodeRef::<leptos::html::Button>::new();
    let list = NodeRef::<leptos::html::Ul>::new();
    let count = options.len();
    let current_name = options.get(at).map(|o| o.1.clone()).unwrap_or_default();
    let option_id = move |i: usize| format!("deal-{deal_id}-move-{i}");
    // Drawn again in its new column after a move from the keyboard: take the focus back
    // if nothing else has it.
    Effect::new(move |_| {
        if ctx.refocus.get_untracked() == Some(deal_id) {
            let body_has_focus = leptos::prelude::document()
                .active_element()
                .is_none_or(|el| el.tag_name().eq_ignore_ascii_case("body"));
            if body_has_focus {
                if let Some(b) = button.get() {
                    let _ = b.focus();
                }
            }
        }
    });
    let show = move |i: usize| {
        active.set(i);
        open.set(true);
        // The list is drawn on the next tick; focus it then.
        leptos::task::spawn_local(async move {
            if let Some(l) = list.get_untracked() {
                let _ = l.focus();
            }
        });
    };
    let hide = move |refocus: bool| {
        open.set(false);
        if refocus {
            if let Some(b) = button.get_untracked() {
                let _ = b.focus();
            }
        }
    };
    let choices = StoredValue::new(options);
    let choose = move |i: usize| {
        let Some((stage_id, _, won)) = choices.with_value(|o| o.get(i).cloned()) else {
            return;
        };
        hide(true);
        if stage_id == current_stage {
            return;
        }
        if won {
            ctx.close_deal.run(deal_id);
        } else {
            ctx.refocus.set(Some(deal_id));
            ctx.move_deal.run((deal_id, stage_id));
        }
    };
    let on_button_key = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "ArrowDown" | "ArrowUp" | "Enter" | " " => {
            ev.prevent_default();
            show(at);
        }
        _ => {}
    };
    let on_list_key = move |ev: leptos::ev::KeyboardEvent| {
        let now = active.get_untracked();
        match ev.key().as_str() {
            "ArrowDown" => {
                ev.prevent_default();
                active.set((now + 1).min(count - 1));
            }
            "ArrowUp" => {
                ev.prevent_default();
                active.set(now.saturating_sub(1));
            }
            "Home" => {
                ev.prevent_default();
                active.set(0);
            }
            "End" => {
                ev.prevent_default();
                active.set(count - 1);
            }
            "Enter" | " " => {
                ev.prevent_default();
                choose(now);
            }
            "Escape" => {
                ev.prevent_default();
                hide(true);
            }
            "Tab" => hide(false),
            _ => {}
        }
    };
    let list_label = label.clone();
    view! {
        <div class="move-menu">
            <button type="button" class="move-button" node_ref=button
                aria-haspopup="listbox"
                aria-expanded=move || if open.get() { "true" } else { "false" }
                aria-label=label
                title=format!("In {current_name}: move to another stage")
                // Pressing the button while the list is open must not blur the list
                // (which would close it, and the click reopen it).
                on:mousedown=move |ev| if open.get_untracked() { ev.prevent_default() }
                on:click=move |_| if open.get_untracked() { hide(true) } else { show(at) }
                on:keydown=on_button_key
            >"Move"<span aria-hidden="true">" ▾"</span></button>
            <Show when=move || open.get()>
                <ul class="move-list" role="listbox" tabindex="-1" node_ref=list
                    aria-label=list_label.clone()
                    aria-activedescendant=move || option_id(active.get())
                    on:keydown=on_list_key
                    on:focusout=move |ev| {
                        // Closes when the focus leaves for somewhere outside the menu.
                        let inside = ev
                            .related_target()
                            .and_then(|t| leptos::wasm_bindgen::JsCast::dyn_into::<leptos::web_sys::Node>(t).ok())
                            .zip(list.get_untracked())
                            .is_some_and(|(t, l)| l.contains(Some(&t)));
                        if !inside {
                            open.set(false);
                        }
                    }
                >
                    {choices.with_value(|o| o.iter().enumerate().map(|(i, (stage_id, name, _))| {
                        let here = *stage_id == current_stage;
                        view! {
                            <li role="option" id=option_id(i)
                                class="move-option"
                                class:active=move || active.get() == i
                                aria-selected=move || if active.get() == i { "true" } else { "false" }
                                aria-current=here.then_some("true")
                                on:mousedown=move |ev| ev.prevent_default()
                                on:click=move |_| choose(i)
                            >{name.clone()}{here.then_some(" (here)")}</li>
                        }
                    }).collect_view())}
                </ul>
            </Show>
        </div>
    }
}
