//! One stage's column on the board: a drop target for cards of open stages.

use crate::components::board_state::BoardContext;
use crate::components::deal_card::DealCardView;
use crate::domain::money::{format_money_compact, format_money_whole, Currency};
use crate::domain::pipeline::StageKind;
use leptos::prelude::*;

/// Cards a column shows before "Show more": a column of thousands stays a short page to
/// render and to scroll, while its count and totals stay those of every card.
pub const COLUMN_PAGE: usize = 50;

/// Cards per column asked for in the address (`?cards=`): at least a page, at most
/// every card a workspace may have.
pub fn cards_per_column(asked: Option<&str>) -> usize {
    asked
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(COLUMN_PAGE)
        .clamp(COLUMN_PAGE, 1_000_000)
}

/// The cards a column draws: the first `limit` in card order, and after them any `pinned`
/// card (one this browser just added or moved) that would otherwise be out of sight.
pub fn visible_cards(
    cards: &[crate::api::board::DealCard],
    limit: usize,
    pinned: &std::collections::HashSet<i64>,
) -> Vec<crate::api::board::DealCard> {
    cards
        .iter()
        .enumerate()
        .filter(|(i, c)| *i < limit || pinned.contains(&c.id))
        .map(|(_, c)| c.clone())
        .collect()
}

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
    // `?cards=N` in the address shows N cards per column: "Show more" is a plain link to
    // the next page of every column without JavaScript; in the browser it grows this
    // column in place.
    let query = leptos_router::hooks::use_query_map();
    let limit =
        RwSignal::new(query.with_untracked(|q| cards_per_column(q.get("cards").as_deref())));
    let pinned = ctx.pinned;
    let column = Memo::new(move |_| {
        let limit = limit.get();
        pinned.with(|pinned| {
            shown.with(|b| {
                b.columns
                    .iter()
                    .find(|c| c.stage.id == stage_id)
                    .map(|c| {
                        (
                            c.count,
                            c.value_minor,
                            c.weighted_minor,
                            visible_cards(&c.cards, limit, pinned),
                        )
                    })
                    .unwrap_or_default()
            })
        })
    });
    // Cards of the column not drawn yet.
    let hidden = move || column.with(|c| (c.0 - c.3.len() as i64).max(0));
    let open = stage.kind == StageKind::Open;
    let won = stage.kind == StageKind::Won;
    let kind_class = format!("column column-{}", stage.kind.as_str());
    let heading_id = format!("stage-{}-heading", stage.id);
    let probability = match stage.kind {
        StageKind::Open => format!("{} %", stage.probability_pct),
        StageKind::Won => "Closed won".to_string(),
        StageKind::Lost => "Closed lost".to_string(),
    };
    let drop_hover = RwSignal::new(false);
    // Only someone who may move deals drops cards (dragging is theirs alone too).
    let may_drop = board.with_untracked(|b| b.rights.edit);
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
                if (open || won) && may_drop {
                    ev.prevent_default();
                    drop_hover.set(true);
                }
            }
            on:dragleave=move |_| drop_hover.set(false)
            on:drop=move |ev| {
                drop_hover.set(false);
                if (!open && !won) || !may_drop {
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
                    <span class="count" data-testid="column-count">{count}</span>
                    <span class="sr-only">" deals"</span>
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
                {move || {
                    let hidden = hidden();
                    (hidden > 0).then(|| {
                        let next = hidden.min(COLUMN_PAGE as i64);
                        let href = query.with_untracked(|q| {
                            let more = (limit.get_untracked() + COLUMN_PAGE).to_string();
                            crate::components::board_state::board_href(q, Some(("cards", &more)), None)
                        });
                        view! {
                            <a class="button ghost small column-more" data-testid="column-more" href=href
                                on:click=move |ev| {
                                    ev.prevent_default();
                                    limit.update(|l| *l += COLUMN_PAGE);
                                }>
                                {format!("Show {next} more")}
                                {(hidden > next).then(|| view! {
                                    <span class="column-more-rest">{format!(" of {hidden}")}</span>
                                })}
                            </a>
                        }
                    })
                }}
            </div>
            {(open && board.with_untracked(|b| b.rights.edit)).then(|| view! { <QuickAdd stage_id stage_name=stage.name.clone()/> })}
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
            // The new card shows even in a column longer than a page.
            ctx.pinned.update(|p| {
                p.insert(card.id);
            });
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
                .map(|e| crate::components::errors::error_text(&e))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::board::DealCard;
    use std::collections::HashSet;

    fn card(id: i64) -> DealCard {
        DealCard {
            id,
            stage_id: 1,
            title: format!("Deal {id}"),
            client_id: 1,
            client_name: "Acme".into(),
            owner_user_id: 1,
            value_minor: Some(100),
            probability_pct: 10,
            owner_name: "Ada".into(),
            owner_initials: "A".into(),
            days_in_stage: 0,
            days_without_progress: 0,
            rotting: false,
            expected_close_on: None,
            version: 1,
            fit: None,
        }
    }

    #[test]
    fn a_column_draws_a_page_and_the_pinned_cards_after_it_in_order() {
        let cards: Vec<DealCard> = (1..=120).map(card).collect();
        let ids = |v: Vec<DealCard>| v.into_iter().map(|c| c.id).collect::<Vec<_>>();
        let none = HashSet::new();
        assert_eq!(
            ids(visible_cards(&cards, 50, &none)),
            (1..=50).collect::<Vec<_>>()
        );
        assert_eq!(visible_cards(&cards, 500, &none).len(), 120);
        let pinned: HashSet<i64> = [3, 119, 77].into();
        let mut expected: Vec<i64> = (1..=50).collect();
        expected.extend([77, 119]);
        assert_eq!(ids(visible_cards(&cards, 50, &pinned)), expected);
        assert!(visible_cards(&[], 50, &pinned).is_empty());
    }

    #[test]
    fn the_address_asks_for_at_least_a_page() {
        assert_eq!(cards_per_column(None), COLUMN_PAGE);
        assert_eq!(cards_per_column(Some("7")), COLUMN_PAGE);
        assert_eq!(cards_per_column(Some("150")), 150);
        assert_eq!(cards_per_column(Some("-1")), COLUMN_PAGE);
        assert_eq!(cards_per_column(Some("lots")), COLUMN_PAGE);
        assert_eq!(cards_per_column(Some("99999999999")), 1_000_000);
    }
}
