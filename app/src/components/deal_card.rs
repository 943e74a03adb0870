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
                    format!("{} — close…", c.stage.name)
                } else {
                    c.stage.name.clone()
                };
                (c.stage.id, label, c.stage.kind == StageKind::Won)
            })
            .collect::<Vec<_>>()
    });
    let won_stage = options.iter().find(|o| o.2).map(|o| o.0);
    let movable = ctx.board.with_untracked(|b| {
        b.columns
            .iter()
            .any(|c| c.stage.id == current_stage && c.stage.kind != StageKind::Won)
    });
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
            draggable=if movable { "true" } else { "false" }
            on:dragstart=move |ev| {
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
                <span class="avatar" title=card.owner_name.clone() aria-label=owner_label>
                    {card.owner_initials}
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
                {movable.then(|| {
                    let options = options
                        .into_iter()
                        .map(|(id, name, _)| view! { <option value=id selected=id == current_stage>{name}</option> })
                        .collect_view();
                    view! {
                        <select class="move-select" aria-label=move_label on:change=move |ev| {
                            if let Ok(stage_id) = event_target_value(&ev).parse::<i64>() {
                                if Some(stage_id) == won_stage && stage_id != current_stage {
                                    // Back to where it is until the close is confirmed.
                                    event_target::<leptos::web_sys::HtmlSelectElement>(&ev)
                                        .set_value(&current_stage.to_string());
                                    ctx.close_deal.run(deal_id);
                                } else {
                                    ctx.move_deal.run((deal_id, stage_id));
                                }
                            }
                        }>{options}</select>
                    }
                })}
            </footer>
        </article>
    }
    .into_any()
}
