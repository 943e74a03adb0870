//! What the board's page and its pieces share: the board as this browser knows it, and
//! the board's addresses (filters, the open drawer, the close dialog).

use crate::api::board::Board;
use leptos::prelude::*;

/// What the board's pieces share: the board, and the way to move a card.
#[derive(Clone, Copy)]
pub struct BoardContext {
    /// The whole board as this browser knows it.
    pub board: RwSignal<Board>,
    /// The board as shown: narrowed by the filters in the URL, totals following.
    pub shown: Memo<Board>,
    /// Moves a deal to a stage (optimistically; rolled back if refused).
    pub move_deal: Callback<(i64, i64)>,
    /// Opens the close dialog for a deal (dropping it on Won, or choosing Won).
    pub close_deal: Callback<i64>,
    /// Deals this browser added or moved: shown in their column even past its first page.
    pub pinned: RwSignal<std::collections::HashSet<i64>>,
    /// The deal whose move menu had the focus when it was moved from the keyboard: its
    /// card, drawn again in the new column, takes the focus back.
    pub refocus: RwSignal<Option<i64>>,
}

/// The board's address with the filters of `query` (one of them replaced by `set`, when
/// given) and, when given, the deal whose drawer is open.
pub fn board_href(
    query: &leptos_router::params::ParamsMap,
    set: Option<(&str, &str)>,
    deal: Option<i64>,
) -> String {
    let mut params: Vec<String> = ["owner", "client", "q", "mine", "cards"]
        .iter()
        .filter_map(|k| {
            let value = match set {
                Some((key, value)) if key == *k => Some(value.to_string()),
                _ => query.get(k),
            };
            value
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", encode(&v)))
        })
        .collect();
    if let Some(id) = deal {
        params.push(format!("deal={id}"));
    }
    if params.is_empty() {
        "/pipeline".to_string()
    } else {
        format!("/pipeline?{}", params.join("&"))
    }
}

/// The board as filtered now, with the close dialog of `deal_id` open.
pub fn close_href(query: &leptos_router::params::ParamsMap, deal_id: i64) -> String {
    let base = board_href(query, None, None);
    let joiner = if base.contains('?') { '&' } else { '?' };
    format!("{base}{joiner}close={deal_id}")
}

/// Percent-encodes a query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
