//! The board's rows kept in memory per workspace: stages, clients and live deals in card
//! order. The board, the dashboard and the deal counts read them on every load; at
//! thousands of deals re-reading them each time was most of a board load.
//!
//! Two counters in `workspaces`, moved by triggers, say what changed: `board_version`
//! moves with every deal written and stamps it (`deals.board_rev`), so a load re-reads
//! only the deals stamped after the version it holds; `board_epoch` moves when a stage,
//! a client or a user's name changes or a deal is deleted, and the rows are read whole.
//! A refresh reads through the connection its request already holds, with no lock held
//! meanwhile.

use crate::server::board_repo;
use crate::server::db::Conn;
use crate::shared::board::{BoardDealRow, Named, StageSummary};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// One workspace's board rows and the counters they reflect.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardRows {
    /// `board_epoch` when read.
    pub epoch: i64,
    /// `board_version` when read (the rows may be newer, never older).
    pub version: i64,
    /// Stages in board order.
    pub stages: Vec<StageSummary>,
    /// Clients by name.
    pub clients: Vec<Named>,
    /// Live deals in card order: soonest expected close first, undated last.
    pub deals: Vec<BoardDealRow>,
}

/// Above this many changed deals one whole read is cheaper than merging.
const MERGE_AT_MOST: usize = 500;

/// A deal row's place in card order (the order of `board_repo::board_deals`).
fn card_order(deal: &BoardDealRow) -> (bool, Option<&str>, i64) {
    (
        deal.expected_close_on.is_none(),
        deal.expected_close_on.as_deref(),
        deal.id,
    )
}

/// `deals` (in card order) with `changed` put in place and `gone` taken out.
pub fn merge(
    deals: &[BoardDealRow],
    changed: Vec<BoardDealRow>,
    gone: &[i64],
) -> Vec<BoardDealRow> {
    let drop: HashSet<i64> = changed
        .iter()
        .map(|d| d.id)
        .chain(gone.iter().copied())
        .collect();
    let mut out: Vec<BoardDealRow> = deals
        .iter()
        .filter(|d| !drop.contains(&d.id))
        .cloned()
        .chain(changed)
        .collect();
    out.sort_by(|a, b| card_order(a).cmp(&card_order(b)));
    out
}

/// Board rows per workspace. The lock is held only to look or to store, never across a
/// read from the database: a request that stops half-way (its future dropped, or never
/// polled again) can hold nothing that others wait for. Two loads that miss at once both
/// read; the newer result is kept.
#[derive(Default)]
pub struct BoardCache {
    workspaces: std::sync::Mutex<HashMap<i64, Arc<BoardRows>>>,
}

impl std::fmt::Debug for BoardCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BoardCache")
    }
}

impl BoardCache {
    fn held(&self, workspace_id: i64) -> Option<Arc<BoardRows>> {
        self.workspaces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&workspace_id)
            .cloned()
    }

    /// The workspace's board rows as of now (read through `conn` if the database moved).
    pub async fn rows(
        &self,
        conn: &mut Conn,
        workspace_id: i64,
    ) -> Result<Arc<BoardRows>, sqlx::Error> {
        // The counters first: rows read after them are at least as new.
        let (epoch, version) = board_repo::board_versions(&mut *conn, workspace_id).await?;
        let held = self.held(workspace_id);
        let merged = match held.as_deref() {
            Some(rows) if rows.epoch == epoch && rows.version >= version => {
                return Ok(held.expect("matched"))
            }
            Some(rows) if rows.epoch == epoch => {
                let (changed, gone) =
                    board_repo::board_deals_after(&mut *conn, workspace_id, rows.version).await?;
                (changed.len() + gone.len() <= MERGE_AT_MOST).then(|| BoardRows {
                    epoch,
                    version,
                    stages: rows.stages.clone(),
                    clients: rows.clients.clone(),
                    deals: merge(&rows.deals, changed, &gone),
                })
            }
            _ => None,
        };
        let fresh = match merged {
            Some(rows) => rows,
            None => BoardRows {
                epoch,
                version,
                stages: board_repo::stages(&mut *conn, workspace_id).await?,
                clients: board_repo::clients(&mut *conn, workspace_id).await?,
                deals: board_repo::board_deals(&mut *conn, workspace_id).await?,
            },
        };
        let fresh = Arc::new(fresh);
        let mut all = self.workspaces.lock().unwrap_or_else(|e| e.into_inner());
        // Keep whichever is newer: another load may have stored a later read meanwhile.
        let keep = match all.get(&workspace_id) {
            Some(other) => (other.epoch, other.version) <= (fresh.epoch, fresh.version),
            None => true,
        };
        if keep {
            all.insert(workspace_id, fresh.clone());
        }
        Ok(fresh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn row(id: i64, close: Option<u8>) -> BoardDealRow {
        BoardDealRow {
            id,
            title: format!("Deal {id}"),
            client_id: 1,
            client_name: "Acme".into(),
            owner_user_id: 1,
            value_minor: 100,
            stage_id: 1,
            probability_override_pct: None,
            owner_name: "Ada".into(),
            stage_entered_at: 0,
            progressed_at: 0,
            expected_close_on: close.map(|d| format!("2027-01-{:02}", d % 28 + 1)),
            version: 1,
        }
    }

    fn sorted(mut rows: Vec<BoardDealRow>) -> Vec<BoardDealRow> {
        rows.sort_by(|a, b| card_order(a).cmp(&card_order(b)));
        rows
    }

    proptest! {
        /// Merging what changed into the rows held equals reading every row again.
        #[test]
        fn merging_changes_equals_a_whole_read(
            before in proptest::collection::btree_map(0_i64..60, proptest::option::of(0_u8..40), 0..40),
            changes in proptest::collection::vec((0_i64..80, proptest::option::of(0_u8..40)), 0..20),
            gone in proptest::collection::vec(0_i64..80, 0..8),
        ) {
            let held = sorted(before.iter().map(|(id, c)| row(*id, *c)).collect());
            let mut truth: std::collections::BTreeMap<i64, Option<u8>> = before.clone();
            let mut changed: HashMap<i64, BoardDealRow> = HashMap::new();
            for (id, close) in &changes {
                truth.insert(*id, *close);
                changed.insert(*id, row(*id, *close));
            }
            for id in &gone {
                truth.remove(id);
                changed.remove(id);
            }
            let expected = sorted(truth.iter().map(|(id, c)| row(*id, *c)).collect());
            let merged = merge(&held, changed.into_values().collect(), &gone);
            prop_assert_eq!(merged, expected);
        }
    }
}
