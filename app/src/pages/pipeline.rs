//! `/pipeline`: the board, one column per stage.

use crate::api::board::{list_board, Board};
use crate::components::board_column::BoardColumnView;
use crate::domain::money::format_money_compact;
use leptos::prelude::*;
use leptos_meta::Title;

/// The pipeline board page. Rendered whole on the server (the page is complete without
/// JavaScript), then hydrated.
#[component]
pub fn PipelinePage() -> impl IntoView {
    let board = Resource::new(|| (), |_| list_board());
    view! {
        <Title text="Pipeline"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading the pipeline…"</p> }>
            {move || Suspend::new(async move {
                match board.await {
                    Ok(board) => view! { <BoardView board/> }.into_any(),
                    Err(err) => view! {
                        <section class="empty-state" role="alert">
                            <h1>"The pipeline could not be loaded"</h1>
                            <p>{err.to_string()}</p>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The loaded board: header with pipeline totals, then the columns.
#[component]
fn BoardView(board: Board) -> impl IntoView {
    let currency = board.currency.clone();
    let open: Vec<_> = board
        .columns
        .iter()
        .filter(|c| c.stage.kind == "open")
        .collect();
    let open_count: i64 = open.iter().map(|c| c.count).sum();
    // Values are absent for viewers who may not see them.
    let sum = |pick: fn(&&crate::api::board::BoardColumn) -> Option<i64>| {
        open.iter()
            .map(pick)
            .try_fold(0_i64, |acc, v| v.map(|v| acc.saturating_add(v)))
    };
    let open_value = sum(|c| c.value_minor);
    let open_weighted = sum(|c| c.weighted_minor);
    let columns = board
        .columns
        .into_iter()
        .map(|column| view! { <BoardColumnView column currency=currency.clone()/> })
        .collect_view();
    view! {
        <div class="board-header">
            <div>
                <p class="eyebrow">{board.workspace_name}</p>
                <h1>"Pipeline"</h1>
            </div>
            <dl class="board-stats">
                <div>
                    <dt>"Open deals"</dt>
                    <dd>{open_count}</dd>
                </div>
                {open_value.map(|v| view! {
                    <div>
                        <dt>"Open value"</dt>
                        <dd>{format_money_compact(v, &board.currency)}</dd>
                    </div>
                })}
                {open_weighted.map(|v| view! {
                    <div>
                        <dt>"Weighted forecast"</dt>
                        <dd>{format_money_compact(v, &board.currency)}</dd>
                    </div>
                })}
            </dl>
        </div>
        <div class="board">
            {columns}
        </div>
    }
}
