//! One stage's column on the board.

use crate::api::board::BoardColumn;
use crate::components::deal_card::DealCardView;
use crate::domain::money::{format_money_compact, format_money_whole, Currency};
use leptos::prelude::*;

/// A stage column: a region named after the stage, its totals, its cards.
#[component]
pub fn BoardColumnView(column: BoardColumn, currency: Currency) -> AnyView {
    let BoardColumn {
        stage,
        cards,
        count,
        value_minor,
        weighted_minor,
    } = column;
    let kind_class = format!("column column-{}", stage.kind);
    let heading_id = format!("stage-{}-heading", stage.id);
    let probability = match stage.kind.as_str() {
        "open" => format!("{} %", stage.probability_pct),
        "won" => "Closed won".to_string(),
        _ => "Closed lost".to_string(),
    };
    let totals = match (value_minor, weighted_minor) {
        (Some(value), Some(weighted)) => Some(view! {
            <dl class="column-totals">
                <div>
                    <dt>"Value"</dt>
                    <dd data-testid="column-value" data-minor=value title=format_money_whole(value, &currency)>
                        {format_money_compact(value, &currency)}
                    </dd>
                </div>
                <div>
                    <dt>"Weighted"</dt>
                    <dd data-testid="column-weighted" data-minor=weighted title=format_money_whole(weighted, &currency)>
                        {format_money_compact(weighted, &currency)}
                    </dd>
                </div>
            </dl>
        }),
        _ => None,
    };
    let empty = cards.is_empty();
    let cards = cards
        .into_iter()
        .map(|card| view! { <DealCardView card currency=currency.clone()/> })
        .collect_view();
    view! {
        <section class=kind_class aria-label=stage.name.clone() data-stage-id=stage.id>
            <header class="column-header">
                <div class="column-title">
                    <h2 id=heading_id>{stage.name.clone()}</h2>
                    <span class="count" data-testid="column-count" aria-label=format!("{count} deals")>
                        {count}
                    </span>
                </div>
                <p class="column-probability">{probability}</p>
                {totals}
            </header>
            <div class="column-cards">
                {cards}
                {empty.then(|| view! { <p class="column-empty">"No deals"</p> })}
            </div>
        </section>
    }
    .into_any()
}
