//! One stage's column on the board: a drop target for cards of open stages.

use crate::components::deal_card::DealCardView;
use crate::domain::money::{format_money_compact, format_money_whole, Currency};
use crate::pages::pipeline::BoardContext;
use leptos::prelude::*;

/// A stage column: a region named after the stage, its totals, its cards — all following
/// the board as it changes.
#[component]
pub fn BoardColumnView(stage_id: i64, currency: Currency) -> AnyView {
    let ctx = expect_context::<BoardContext>();
    let board = ctx.board;
    let stage = board
        .with_untracked(|b| {
            b.columns
                .iter()
                .find(|c| c.stage.id == stage_id)
                .map(|c| c.stage.clone())
        })
        .expect("a column for every stage id");
    let shown = ctx.shown;
    let column = Memo::new(move |_| {
        shown.with(|b| {
            b.columns
                .iter()
                .find(|c| c.stage.id == stage_id)
                .map(|c| (c.count, c.value_minor, c.weighted_minor, c.cards.clone()))
                .unwrap_or_default()
        })
    });
    let open = stage.kind == "open";
    let won = stage.kind == "won";
    let kind_class = format!("column column-{}", stage.kind);
    let heading_id = format!("stage-{}-heading", stage.id);
    let probability = match stage.kind.as_str() {
        "open" => format!("{} %", stage.probability_pct),
        "won" => "Closed won".to_string(),
        _ => "Closed lost".to_string(),
    };
    let drop_hover = RwSignal::new(false);
    let c1 = currency.clone();
    let totals = move || {
        let (_, value, weighted, _) = column.get();
        match (value, weighted) {
            (Some(value), Some(weighted)) => Some(view! {
                <dl class="column-totals">
                    <div>
                        <dt>"Value"</dt>
                        <dd data-testid="column-value" data-minor=value title=format_money_whole(value, &c1)>
                            {format_money_compact(value, &c1)}
                        </dd>
                    </div>
                    <div>
                        <dt>"Weighted"</dt>
                        <dd data-testid="column-weighted" data-minor=weighted title=format_money_whole(weighted, &c1)>
                            {format_money_compact(weighted, &c1)}
                        </dd>
                    </div>
                </dl>
            }),
            _ => None,
        }
    };
    let count = move || column.with(|c| c.0);
    view! {
        <section
            class=kind_class
            class:drop-target=move || drop_hover.get()
            aria-label=stage.name.clone()
            data-stage-id=stage.id
            on:dragover=move |ev| {
                if open || won {
                    ev.prevent_default();
                    drop_hover.set(true);
                }
            }
            on:dragleave=move |_| drop_hover.set(false)
            on:drop=move |ev| {
                drop_hover.set(false);
                if !open && !won {
                    return;
                }
                ev.prevent_default();
                let id = ev
                    .data_transfer()
                    .and_then(|dt| dt.get_data("text/plain").ok())
                    .and_then(|text| text.parse::<i64>().ok());
                if let Some(deal_id) = id {
                    if won {
                        // Winning goes through the close dialog: it checks capacity and margin.
                        ctx.close_deal.run(deal_id);
                    } else {
                        ctx.move_deal.run((deal_id, stage_id));
                    }
                }
            }
        >
            <header class="column-header">
                <div class="column-title">
                    <h2 id=heading_id>{stage.name.clone()}</h2>
                    <span class="count" data-testid="column-count" aria-label=move || format!("{} deals", count())>
                        {count}
                    </span>
                </div>
                <p class="column-probability">{probability}</p>
                {totals}
            </header>
            <div class="column-cards">
                <For
                    each=move || column.get().3
                    key=|card| (card.id, card.version, card.stage_id)
                    children=move |card| view! { <DealCardView card currency=currency.clone()/> }
                />
                {move || (count() == 0).then(|| view! { <p class="column-empty">"No deals"</p> })}
            </div>
            {open.then(|| view! { <QuickAdd stage_id stage_name=stage.name.clone()/> })}
        </section>
    }
    .into_any()
}

/// "Add a deal" at the foot of an open column: title, client, value.
#[component]
fn QuickAdd(stage_id: i64, stage_name: String) -> impl IntoView {
    let ctx = expect_context::<BoardContext>();
    let add = ServerAction::<crate::api::deals::CreateDeal>::new();
    let clients = ctx.board.with_untracked(|b| b.clients.clone());
    let added = RwSignal::new(0_u32);
    Effect::new(move |_| {
        if let Some(Ok(card)) = add.value().get() {
            ctx.board.update(|b| b.upsert(card));
            added.update(|n| *n += 1);
        }
    });
    // Drawn again after each successful add, so the form starts empty (and closed).
    move || {
        added.get();
        let options = clients
            .iter()
            .map(|(id, name)| view! { <option value=*id>{name.clone()}</option> })
            .collect_view();
        let error = move || {
            add.value()
                .get()
                .and_then(|r| r.err())
                .map(|e| crate::pages::error_text(&e))
        };
        view! {
            <details class="quick-add">
                <summary>"+ Add a deal"</summary>
                <ActionForm action=add attr:class="quick-add-form" attr:aria-label=format!("Add a deal to {stage_name}")>
                    <input type="hidden" name="stage_id" value=stage_id/>
                    <input type="text" name="title" placeholder="Deal title" aria-label="Deal title" maxlength="200" required/>
                    <select name="client_id" aria-label="Client">{options}</select>
                    <input type="text" name="value" placeholder="Value" aria-label="Value" inputmode="decimal" required/>
                    <p class="form-error" role="alert">{error}</p>
                    <button type="submit" class="button primary small">"Add"</button>
                </ActionForm>
            </details>
        }
    }
}
