//! `/pipeline`: the live board, one column per stage.
//!
//! The page is rendered whole on the server (complete without JavaScript), then hydrated.
//! In the browser it listens to `/api/live` and applies every change as it happens; a
//! card dragged (or moved from its menu) moves at once and rolls back if the server
//! refuses.

use crate::api::board::{list_board, Board, BoardFilter, DealCard};
use crate::api::deals::move_deal;
use crate::api::live::LiveEvent;
use crate::components::board_column::BoardColumnView;
use crate::components::board_state::{board_href, close_href, BoardContext};
use crate::domain::money::format_money_compact;
use crate::domain::pipeline::StageKind;
use crate::error::AppError;
pub use crate::live_client::LiveStatus;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;

/// The pipeline board page.
#[component]
pub fn PipelinePage() -> impl IntoView {
    let board = Resource::new(|| (), |_| list_board());
    view! {
        <Title text="Pipeline"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading the pipeline…"</p> }>
            {move || Suspend::new(async move {
                match board.await {
                    Ok(board) => view! { <LiveBoard initial=board/> }.into_any(),
                    Err(err) => crate::components::errors::error_panel("The pipeline could not be loaded", &err),
                }
            })}
        </Suspense>
    }
}

/// The board, kept live.
#[component]
fn LiveBoard(initial: Board) -> impl IntoView {
    let board = RwSignal::new(initial);
    let status = RwSignal::new(LiveStatus::Connecting);
    let viewers = RwSignal::new(Vec::<String>::new());
    let notice = RwSignal::new(String::new());
    let pinned = RwSignal::new(std::collections::HashSet::<i64>::new());
    let refocus = RwSignal::new(None::<i64>);
    let mover = Callback::new(move |(deal_id, stage_id): (i64, i64)| {
        let Some(before) = board.with_untracked(|b| b.card(deal_id).cloned()) else {
            return;
        };
        if before.stage_id == stage_id {
            return;
        }
        let stage_name = board.with_untracked(|b| {
            b.columns
                .iter()
                .find(|c| c.stage.id == stage_id)
                .map(|c| c.stage.name.clone())
                .unwrap_or_default()
        });
        board.update(|b| {
            b.upsert(DealCard {
                stage_id,
                ..before.clone()
            })
        });
        pinned.update(|p| {
            p.insert(deal_id);
        });
        notice.set(format!("Moved {} to {stage_name}.", before.title));
        let version = before.version;
        leptos::task::spawn_local(async move {
            // The server's answer: the card as saved, or why it was refused.
            match move_deal(deal_id, stage_id, version).await {
                Ok(card) => board.update(|b| b.upsert(card)),
                Err(AppError::DealChanged { current }) => {
                    notice.set(
                        AppError::DealChanged {
                            current: current.clone(),
                        }
                        .to_string(),
                    );
                    board.update(|b| b.upsert(*current));
                }
                Err(err) => {
                    notice.set(format!(
                        "{} was not moved: {}",
                        before.title,
                        crate::components::errors::error_text(&err)
                    ));
                    board.update(|b| b.upsert(before));
                }
            }
            // The card is drawn for the last time by now: it has taken the focus back.
            crate::live_client::after(200, move || {
                if refocus.get_untracked() == Some(deal_id) {
                    refocus.set(None);
                }
            });
        });
    });

    let query = use_query_map();
    let user = use_context::<crate::app::UserResource>();
    let my_id = move || {
        user.and_then(|u| u.get())
            .and_then(|r| r.ok())
            .flatten()
            .map(|u| u.id)
    };
    let filter = Memo::new(move |_| {
        let q = query.read();
        let mine = q.get("mine").as_deref() == Some("1");
        BoardFilter {
            owner_user_id: if mine {
                my_id()
            } else {
                q.get("owner").and_then(|v| v.parse().ok())
            },
            client_id: q.get("client").and_then(|v| v.parse().ok()),
            text: q.get("q").unwrap_or_default(),
        }
    });
    let shown = Memo::new(move |_| board.with(|b| b.filtered(&filter.get())));
    let navigate_close = use_navigate();
    let closer = Callback::new(move |deal_id: i64| {
        pinned.update(|p| {
            p.insert(deal_id);
        });
        let href = query.with_untracked(|q| close_href(q, deal_id));
        navigate_close(
            &href,
            NavigateOptions {
                scroll: false,
                ..Default::default()
            },
        );
    });
    provide_context(BoardContext {
        board,
        shown,
        move_deal: mover,
        close_deal: closer,
        pinned,
        refocus,
    });
    crate::live_client::connect(
        move || board.with_untracked(|b| b.seq),
        move |event| apply(event, board, viewers),
        status,
    );

    let open_count = move || {
        shown.with(|b| {
            b.columns
                .iter()
                .filter(|c| c.stage.kind == StageKind::Open)
                .map(|c| c.count)
                .sum::<i64>()
        })
    };
    // Sums over the open stages; `None` when values are hidden from this viewer.
    let open_sum = move |weighted: bool| {
        shown.with(|b| {
            b.columns
                .iter()
                .filter(|c| c.stage.kind == StageKind::Open)
                .map(|c| {
                    if weighted {
                        c.weighted_minor
                    } else {
                        c.value_minor
                    }
                })
                .try_fold(0_i64, |acc, v| v.map(|v| acc.saturating_add(v)))
        })
    };
    let currency = board.with_untracked(|b| b.currency.clone());
    let c1 = currency.clone();
    let c2 = currency.clone();
    let stage_ids: Vec<i64> =
        board.with_untracked(|b| b.columns.iter().map(|c| c.stage.id).collect());
    let columns = stage_ids
        .into_iter()
        .map(|stage_id| view! { <BoardColumnView stage_id currency=currency.clone()/> })
        .collect_view();
    view! {
        <div class="board-header">
            <div>
                <p class="eyebrow">{board.with_untracked(|b| b.workspace_name.clone())}</p>
                <h1>"Pipeline"</h1>
            </div>
            <div class="board-presence" aria-live="polite">
                <crate::live_client::LiveBadge status/>
                <span class="viewers" data-testid="viewers">
                    {move || {
                        let v = viewers.get();
                        if v.is_empty() { String::new() } else { format!("Viewing: {}", v.join(", ")) }
                    }}
                </span>
            </div>
            <dl class="board-stats">
                <div>
                    <dt>"Open deals"</dt>
                    <dd>{open_count}</dd>
                </div>
                {move || open_sum(false).map(|v| view! {
                    <div>
                        <dt>"Open value"</dt>
                        <dd>{format_money_compact(v, &c1)}</dd>
                    </div>
                })}
                {move || open_sum(true).map(|v| view! {
                    <div>
                        <dt>"Weighted forecast"</dt>
                        <dd>{format_money_compact(v, &c2)}</dd>
                    </div>
                })}
            </dl>
        </div>
        <Filters board/>
        <p class="sr-only" role="status" aria-live="polite" data-testid="board-notice">{move || notice.get()}</p>
        <div class="board">{columns}</div>
        <crate::components::deal_drawer::DealDrawer currency=board.with_untracked(|b| b.currency.clone())/>
        <crate::components::close_dialog::CloseDialog/>
    }
}

/// Applies one live event to the board.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn apply(event: LiveEvent, board: RwSignal<Board>, viewers: RwSignal<Vec<String>>) {
    match event {
        LiveEvent::Deal { seq, card } => board.update(|b| {
            b.upsert(card);
            b.seq = b.seq.max(seq);
        }),
        LiveEvent::DealRemoved { seq, deal_id } => board.update(|b| {
            b.remove(deal_id);
            b.seq = b.seq.max(seq);
        }),
        LiveEvent::Projects { seq } | LiveEvent::Capacity { seq } => {
            board.update(|b| b.seq = b.seq.max(seq))
        }
        LiveEvent::Reset { .. } => {
            leptos::task::spawn_local(async move {
                if let Ok(fresh) = list_board().await {
                    board.set(fresh);
                }
            });
        }
        LiveEvent::Presence { viewers: names } => viewers.set(names),
        // Handled by the live client itself (the page goes to sign-in).
        LiveEvent::SignedOut => {}
    }
}

/// The filter bar: owner, client, text, "my deals". A plain GET form (works without
/// JavaScript); in the browser every change applies at once, the text after a pause.
#[component]
fn Filters(board: RwSignal<Board>) -> impl IntoView {
    let query = use_query_map();
    let navigate = use_navigate();
    let (owners, clients) = board.with_untracked(|b| b.owners_and_clients());
    let get = move |key: &str| query.with_untracked(|q| q.get(key).unwrap_or_default());
    let apply = Callback::new(move |(key, value): (&'static str, String)| {
        let url = query.with_untracked(|q| board_href(q, Some((key, &value)), None));
        navigate(
            &url,
            NavigateOptions {
                replace: true,
                scroll: false,
                ..Default::default()
            },
        );
    });
    let typing = crate::live_client::Debounce::new();
    let owner_now = get("owner");
    let client_now = get("client");
    let owner_options = owners
        .into_iter()
        .map(|(id, name)| view! { <option value=id selected=owner_now == id.to_string()>{name}</option> })
        .collect_view();
    let client_options = clients
        .into_iter()
        .map(|(id, name)| view! { <option value=id selected=client_now == id.to_string()>{name}</option> })
        .collect_view();
    view! {
        <form class="filters board-filters" method="get" action="/pipeline" role="search" aria-label="Filter deals">
            <label>
                <span>"Search"</span>
                <input type="search" name="q" placeholder="Title or client" value=get("q")
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        // A new keystroke replaces (and so cancels) the pending search.
                        typing.run(250, move || apply.run(("q", value)));
                    }/>
            </label>
            <label>
                <span>"Owner"</span>
                <select name="owner" on:change=move |ev| apply.run(("owner", event_target_value(&ev)))>
                    <option value="">"Everyone"</option>
                    {owner_options}
                </select>
            </label>
            <label>
                <span>"Client"</span>
                <select name="client" on:change=move |ev| apply.run(("client", event_target_value(&ev)))>
                    <option value="">"All clients"</option>
                    {client_options}
                </select>
            </label>
            <label class="check">
                <input type="checkbox" name="mine" value="1" checked=get("mine") == "1"
                    on:change=move |ev| apply.run(("mine", if event_target_checked(&ev) { "1".into() } else { String::new() }))/>
                <span>"My deals"</span>
            </label>
            <noscript><button type="submit" class="button">"Filter"</button></noscript>
            <a class="button ghost" href="/pipeline">"Clear"</a>
        </form>
    }
}
