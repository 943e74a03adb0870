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
        totals,
    } = column;
    let kind_class = format!("column column-{}", stage.kind);
    let heading_id = format!("stage-{}-heading", stage.id);
    let probability = match stage.kind.as_str() {
        "open" => format!("{} %", stage.probability_pct),
        "won" => "Closed won".to_string(),
        _ => "Closed lost".to_string(),
    };
    let value_title = format_money_whole(totals.value_minor, &currency);
    let weighted_title = format_money_whole(totals.weighted_minor, &currency);
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
                    <span class="count" data-testid="column-count" aria-label=format!("{} deals", totals.count)>
                        {totals.count}
                    </span>
                </div>
                <p class="column-probability">{probability}</p>
                <dl class="column-totals">
                    <div>
                        <dt>"Value"</dt>
                        <dd data-testid="column-value" data-minor=totals.value_minor title=value_title>
                            {format_money_compact(totals.value_minor, &currency)}
                        </dd>
                    </div>
                    <div>
                        <dt>"Weighted"</dt>
                        <dd data-testid="column-weighted" data-minor=totals.weighted_minor title=weighted_title>
                            {format_money_compact(totals.weighted_minor, &currency)}
                        </dd>
                    </div>
                </dl>
            </header>
            <div class="column-cards">
                {cards}
                {empty.then(|| view! { <p class="column-empty">"No deals"</p> })}
            </div>
        </section>
    }
    .into_any()
}
