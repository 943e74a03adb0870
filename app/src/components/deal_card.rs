//! A deal card on the board.

use crate::api::board::DealCard;
use crate::domain::money::{format_money_whole, Currency};
use leptos::prelude::*;

/// A deal as a card: an article named by its title.
#[component]
pub fn DealCardView(card: DealCard, currency: Currency) -> AnyView {
    let title_id = format!("deal-{}-title", card.id);
    let labelled_by = title_id.clone();
    let owner_label = format!("Owner: {}", card.owner_name);
    let class = if card.rotting {
        "deal-card rotting"
    } else {
        "deal-card"
    };
    let age_title = if card.days_in_stage == 1 {
        "1 day in this stage".to_string()
    } else {
        format!("{} days in this stage", card.days_in_stage)
    };
    let age = format!("{}d in stage", card.days_in_stage);
    view! {
        <article class=class aria-labelledby=labelled_by data-deal-id=card.id data-value-minor=card.value_minor.map(|v| v.to_string())>
            <p class="deal-client">{card.client_name}</p>
            <h3 id=title_id class="deal-title">{card.title}</h3>
            <div class="deal-money">
                {card.value_minor.map(|v| view! { <span class="deal-value">{format_money_whole(v, &currency)}</span> })}
                <span class="deal-probability" title="Win probability">{format!("{} %", card.probability_pct)}</span>
            </div>
            <footer class="deal-meta">
                <span class="avatar" title=card.owner_name.clone() aria-label=owner_label>
                    {card.owner_initials}
                </span>
                {card.rotting.then(|| view! { <span class="rot-flag" title="Longer in this stage than the stage allows">"Rotting"</span> })}
                <span class="deal-age" class:is-rotting=card.rotting title=age_title>
                    {age}
                </span>
            </footer>
        </article>
    }
    .into_any()
}
