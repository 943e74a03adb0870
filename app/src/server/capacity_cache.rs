//! The capacity engine kept in memory per workspace, so closing a deal does not re-read
//! the whole team. A snapshot is valid while the workspace's `capacity_version` (moved
//! by database triggers on every change the engine depends on) and this week's first day
//! are the ones it was built for; otherwise it is rebuilt from the database. That day
//! follows the workspace's calendar, so a new day in its time zone or a changed week
//! start rebuilds the snapshot as well. A close applies its
//! own allocations to it just before committing, under its workspace's write lock (a
//! failed commit forgets the snapshot).
//!
//! Each workspace has its own slot: a rebuild is single-flight per workspace (the first
//! request rebuilds, the others of that workspace wait for its result) and never holds up
//! another workspace. The rebuild reads through the connection its request already holds,
//! so waiting here never holds a connection that the rebuild needs.

use crate::domain::calendar::Date;
use crate::domain::capacity::{CapacityVerdict, Demand, Engine, TentativeMode};
use crate::server::capacity_repo::{self, Horizon};
use crate::server::db::Conn;
use std::collections::HashMap;
use std::sync::Arc;

/// Weeks a snapshot covers from this week: the latest start a close may ask for (104)
/// plus the longest deal (104).
pub const SNAPSHOT_WEEKS: u32 = 208;

/// One workspace's engine with what it was built from.
pub struct Snapshot {
    /// The `capacity_version` it reflects.
    pub version: i64,
    /// Week 0.
    pub first_week: Date,
    /// Free capacity of everyone, confirmed work only.
    pub engine: Engine,
    /// The board's capacity badges already worked out against this engine, by deal:
    /// the start week and demand they were checked for, and the verdict. A deal whose
    /// estimate or start changed is checked again; a new engine starts empty.
    pub fits: HashMap<i64, (u32, Demand, Option<CapacityVerdict>)>,
}

/// A workspace's slot: its snapshot once built.
type Slot = Arc<tokio::sync::Mutex<Option<Snapshot>>>;

/// Snapshots by workspace, each behind its own lock.
#[derive(Default)]
pub struct CapacityCache {
    workspaces: std::sync::Mutex<HashMap<i64, Slot>>,
}

impl std::fmt::Debug for CapacityCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CapacityCache")
    }
}

/// The workspace's current `capacity_version`.
pub async fn version(conn: &mut Conn, workspace_id: i64) -> Result<i64, sqlx::Error> {
    super::workspace_repo::capacity_version(conn, workspace_id).await
}

impl CapacityCache {
    fn slot(&self, workspace_id: i64) -> Slot {
        self.workspaces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(workspace_id)
            .or_default()
            .clone()
    }

    /// Runs `f` on the workspace's snapshot for `first_week`, rebuilding it through `conn`
    /// first if the database has moved on.
    pub async fn with<R>(
        &self,
        conn: &mut Conn,
        workspace_id: i64,
        first_week: Date,
        f: impl FnOnce(&mut Snapshot) -> R,
    ) -> Result<R, crate::error::AppError> {
        let current = version(&mut *conn, workspace_id).await?;
        let slot = self.slot(workspace_id);
        let mut snapshot = slot.lock().await;
        let fresh = snapshot
            .as_ref()
            .is_some_and(|s| s.version == current && s.first_week == first_week);
        if !fresh {
            let input = capacity_repo::load_capacity_input(
                &mut *conn,
                workspace_id,
                Horizon {
                    first_week,
                    weeks: SNAPSHOT_WEEKS,
                },
                TentativeMode::Exclude,
            )
            .await?;
            let engine = Engine::new(&input)?;
            // Keep the badges the change cannot have moved: those whose demand touches
            // no cell (person with one of its skills, one of its weeks) whose free time
            // differs from the snapshot before.
            let fits = match snapshot.take() {
                Some(old) if old.first_week == first_week => {
                    match engine.changed_cells(&old.engine) {
                        Some(cells) => keep_untouched(&engine, old.fits, &cells),
                        None => HashMap::new(),
                    }
                }
                _ => HashMap::new(),
            };
            *snapshot = Some(Snapshot {
                version: current,
                first_week,
                engine,
                fits,
            });
        }
        Ok(f(snapshot.as_mut().expect("just built")))
    }

    /// After a committed change that moved the version from `before` to `after` by
    /// adding confirmed `cells` (person, week index from `first_week`, minutes): applies
    /// them if the snapshot was at `before`, else forgets it (the next use rebuilds).
    pub async fn applied(
        &self,
        workspace_id: i64,
        first_week: Date,
        before: i64,
        after: i64,
        cells: &[(i64, u32, i64)],
    ) {
        let slot = self.slot(workspace_id);
        let mut snapshot = slot.lock().await;
        match snapshot.as_mut() {
            Some(s) if s.version == before && s.first_week == first_week => {
                let mut changed = Vec::new();
                for &(person, week, minutes) in cells {
                    s.engine.reserve(person, week, minutes);
                    changed.extend(s.engine.cells_of(person, [week]));
                }
                s.version = after;
                let fits = std::mem::take(&mut s.fits);
                s.fits = keep_untouched(&s.engine, fits, &changed);
            }
            _ => *snapshot = None,
        }
    }
}

impl CapacityCache {
    /// Drops the workspace's snapshot: the next use rebuilds it from the database.
    pub async fn forget(&self, workspace_id: i64) {
        *self.slot(workspace_id).lock().await = None;
    }

    /// The badge last worked out for `deal_id`, without waiting: `None` when there is
    /// none, or when the workspace's snapshot is being rebuilt right now. It may be
    /// behind a change just committed; [`CapacityCache::fits`] answers exactly.
    pub fn remembered_fit(&self, workspace_id: i64, deal_id: i64) -> Option<CapacityVerdict> {
        let slot = self.slot(workspace_id);
        let snapshot = slot.try_lock().ok()?;
        snapshot.as_ref()?.fits.get(&deal_id)?.2
    }
}

/// The remembered badges whose demand touches none of `cells`.
fn keep_untouched(
    engine: &Engine,
    mut fits: HashMap<i64, (u32, Demand, Option<CapacityVerdict>)>,
    cells: &[(usize, u32)],
) -> HashMap<i64, (u32, Demand, Option<CapacityVerdict>)> {
    if !cells.is_empty() {
        fits.retain(|_, (week, demand, _)| !engine.touches(demand, *week, cells));
    }
    fits
}

impl CapacityCache {
    /// Whether each open deal's estimate fits the free capacity left by confirmed work, at
    /// its planned start (a start already past counts as this week, `first_week`: the
    /// first day of the workspace's current week): (deal, verdict), for `only` when given.
    /// Deals without an estimate or a start, or whose weeks run past the snapshot, are
    /// left out. Verdicts are remembered against the snapshot, so a board load checks
    /// only deals that changed since the engine last did.
    pub async fn fits(
        &self,
        conn: &mut Conn,
        workspace_id: i64,
        only: Option<i64>,
        first_week: Date,
    ) -> Result<Vec<(i64, CapacityVerdict)>, crate::error::AppError> {
        let demands = capacity_repo::open_demands(&mut *conn, workspace_id, only).await?;
        if demands.is_empty() {
            return Ok(Vec::new());
        }
        self.with(conn, workspace_id, first_week, |snapshot| {
            let work = || {
                demands
                    .into_iter()
                    .filter_map(|open| {
                        let week = if open.start < first_week {
                            0
                        } else {
                            (first_week.days_until(open.start) / 7) as u32
                        };
                        let verdict = match snapshot.fits.get(&open.deal_id) {
                            Some((w, d, v)) if *w == week && *d == open.demand => *v,
                            _ => {
                                let v = snapshot.engine.verdict(&open.demand, week).ok();
                                snapshot.fits.insert(open.deal_id, (week, open.demand, v));
                                v
                            }
                        };
                        verdict.map(|v| (open.deal_id, v))
                    })
                    .collect()
            };
            // Checking thousands of deals is CPU work: let the runtime move its other
            // tasks to another worker meanwhile.
            match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
                Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(work),
                _ => work(),
            }
        })
        .await
    }
}
