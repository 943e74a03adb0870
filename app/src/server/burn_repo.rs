//! Budget burn of projects from the database.

use crate::domain::burn::{burn, Burn, Work};
use crate::domain::calendar::{Date, Today};
use crate::server::db::Conn;
use std::collections::HashMap;

/// The burn of every project of the workspace (or only `project`), as of `today` (the
/// workspace's date, and the day its weeks start on: a project's weeks run from the
/// first day of the week it starts in). Money is rounded once per person, project and
/// billability; the weekly logged minutes of the chart are read only for a single
/// `project` (lists do not draw it).
pub async fn burns(
    conn: &mut Conn,
    workspace_id: i64,
    project: Option<i64>,
    today: Today,
) -> Result<HashMap<i64, Burn>, sqlx::Error> {
    match project {
        None => compute(conn, workspace_id, None, today).await,
        Some(id) => compute(conn, workspace_id, Some((id, true)), today).await,
    }
}

/// [`burns`] of the whole workspace (`only` = `None`), or of one project with or without
/// its weekly chart.
async fn compute(
    conn: &mut Conn,
    workspace_id: i64,
    only: Option<(i64, bool)>,
    today: Today,
) -> Result<HashMap<i64, Burn>, sqlx::Error> {
    let project = only.map(|(id, _)| id);
    let weekly_chart = only.is_some_and(|(_, weekly)| weekly);
    let floor: i64 = sqlx::query_scalar("SELECT margin_floor_bp FROM workspaces WHERE id = $1")
        .bind(workspace_id)
        .fetch_one(&mut *conn)
        .await?;
    // One project's rows are found through its indexes (an `$2 = 0 OR …` filter would scan
    // the workspace's time entries).
    let (projects_sql, logged_sql, planned_sql) = if project.is_some() {
        (
            "SELECT id, budget_minor, starts_on, ends_on FROM projects
             WHERE workspace_id = $1 AND id = $2",
            "SELECT t.project_id, CAST(SUM(t.minutes) AS BIGINT), t.billable = 1, pe.bill_rate_minor, pe.cost_rate_minor
             FROM time_entries t JOIN people pe ON pe.id = t.person_id
             WHERE t.project_id = $2 AND t.workspace_id = $1
             GROUP BY t.project_id, t.person_id, t.billable, pe.bill_rate_minor, pe.cost_rate_minor",
            "SELECT a.project_id, a.week, a.minutes, pe.bill_rate_minor, pe.cost_rate_minor
             FROM allocations a JOIN people pe ON pe.id = a.person_id
             WHERE a.project_id = $2 AND a.workspace_id = $1",
        )
    } else {
        (
            "SELECT id, budget_minor, starts_on, ends_on FROM projects WHERE workspace_id = $1",
            "SELECT t.project_id, CAST(SUM(t.minutes) AS BIGINT), t.billable = 1, pe.bill_rate_minor, pe.cost_rate_minor
             FROM time_entries t JOIN people pe ON pe.id = t.person_id
             WHERE t.workspace_id = $1
             GROUP BY t.project_id, t.person_id, t.billable, pe.bill_rate_minor, pe.cost_rate_minor",
            "SELECT a.project_id, a.week, a.minutes, pe.bill_rate_minor, pe.cost_rate_minor
             FROM allocations a JOIN people pe ON pe.id = a.person_id
             WHERE a.workspace_id = $1 AND a.project_id IS NOT NULL",
        )
    };
    let mut projects =
        sqlx::query_as::<_, (i64, i64, String, String)>(projects_sql).bind(workspace_id);
    type LoggedRow = (i64, i64, crate::server::db::Flag, i64, i64);
    let mut logged = sqlx::query_as::<_, LoggedRow>(logged_sql).bind(workspace_id);
    let mut planned =
        sqlx::query_as::<_, (i64, String, i64, i64, i64)>(planned_sql).bind(workspace_id);
    if let Some(id) = project {
        projects = projects.bind(id);
        logged = logged.bind(id);
        planned = planned.bind(id);
    }
    let projects = projects.fetch_all(&mut *conn).await?;
    let logged = logged.fetch_all(&mut *conn).await?;
    let by_day: Vec<(String, i64)> = match project {
        Some(id) if weekly_chart => {
            sqlx::query_as(
                "SELECT worked_on, CAST(SUM(minutes) AS BIGINT) FROM time_entries
                 WHERE workspace_id = $1 AND project_id = $2 GROUP BY worked_on",
            )
            .bind(workspace_id)
            .bind(id)
            .fetch_all(&mut *conn)
            .await?
        }
        _ => Vec::new(),
    };
    let planned = planned.fetch_all(&mut *conn).await?;
    let mut out = HashMap::new();
    let mut logged_by: HashMap<i64, Vec<Work>> = HashMap::new();
    for (p, minutes, billable, bill_rate, cost_rate) in logged {
        logged_by.entry(p).or_default().push(Work {
            week: 0,
            minutes,
            billable: billable.into(),
            bill_rate,
            cost_rate,
        });
    }
    let mut planned_by: HashMap<i64, Vec<(String, i64, i64, i64)>> = HashMap::new();
    for (p, week, minutes, bill, cost) in planned {
        planned_by
            .entry(p)
            .or_default()
            .push((week, minutes, bill, cost));
    }
    for (id, budget, starts, ends) in projects {
        let (Some(starts), Some(ends)) = (Date::parse(&starts), Date::parse(&ends)) else {
            continue;
        };
        let first = today.week_of(starts);
        let weeks = (first.days_until(ends) / 7 + 1).max(1) as u32;
        let index = |d: Date| (first.days_until(d).max(0) / 7) as u32;
        let current = if today.date < first {
            0
        } else {
            index(today.date).min(weeks)
        };
        let logged: Vec<Work> = logged_by.remove(&id).unwrap_or_default();
        let weekly: Vec<(u32, i64)> = if weekly_chart {
            by_day
                .iter()
                .filter_map(|(day, minutes)| Some((index(Date::parse(day)?), *minutes)))
                .collect()
        } else {
            Vec::new()
        };
        let planned: Vec<Work> = planned_by
            .remove(&id)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(week, minutes, bill_rate, cost_rate)| {
                Some(Work {
                    week: index(Date::parse(&week)?),
                    minutes,
                    billable: true,
                    bill_rate,
                    cost_rate,
                })
            })
            .collect();
        out.insert(
            id,
            burn(budget, weeks, current, &logged, &weekly, &planned, floor),
        );
    }
    Ok(out)
}

/// What every burn of a workspace reads beyond its own project: people's rates (through
/// their counter), the margin floor, the day and the week start (a changed calendar
/// recomputes every burn).
#[derive(Debug, Clone, PartialEq, Eq)]
struct WorkspaceKey {
    rates_version: i64,
    margin_floor_bp: i64,
    today: Today,
}

/// What one project's burn reads of its own: its counter (moved by triggers on its time
/// entries and planned allocations), budget and dates.
type ProjectKey = (i64, i64, String, String);

/// A workspace's burns with what they were computed from.
#[derive(Debug, Default)]
struct Kept {
    workspace: Option<WorkspaceKey>,
    projects: HashMap<i64, ProjectKey>,
    burns: std::sync::Arc<HashMap<i64, Burn>>,
}

/// Above this many changed projects, one pass over the workspace is cheaper than a pass
/// per project.
const RECOMPUTE_ONE_BY_ONE: usize = 24;

/// A workspace's slot.
type BurnSlot = std::sync::Arc<tokio::sync::Mutex<Kept>>;

/// Every project's burn per workspace, each kept until something it reads changes (the
/// dashboard and the project list read all of them on every load; at a thousand projects
/// and fifty thousand time entries that is a quarter of a second, while recomputing the
/// one project a change touched is a millisecond). Each workspace has its own slot: a
/// recomputation is single-flight per workspace, through the connection its request
/// already holds.
#[derive(Default)]
pub struct BurnCache {
    workspaces: std::sync::Mutex<HashMap<i64, BurnSlot>>,
}

impl std::fmt::Debug for BurnCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BurnCache")
    }
}

impl BurnCache {
    /// The burn of every project of the workspace as of `today` (as [`burns`] answers).
    pub async fn all(
        &self,
        conn: &mut Conn,
        workspace_id: i64,
        today: Today,
    ) -> Result<std::sync::Arc<HashMap<i64, Burn>>, sqlx::Error> {
        let (rates_version, margin_floor_bp): (i64, i64) =
            sqlx::query_as("SELECT rates_version, margin_floor_bp FROM workspaces WHERE id = $1")
                .bind(workspace_id)
                .fetch_one(&mut *conn)
                .await?;
        let workspace = WorkspaceKey {
            rates_version,
            margin_floor_bp,
            today,
        };
        let keys: Vec<(i64, i64, i64, String, String)> = sqlx::query_as(
            "SELECT id, burn_rev, budget_minor, starts_on, ends_on FROM projects
             WHERE workspace_id = $1",
        )
        .bind(workspace_id)
        .fetch_all(&mut *conn)
        .await?;
        let keys: HashMap<i64, ProjectKey> = keys
            .into_iter()
            .map(|(id, rev, budget, starts, ends)| (id, (rev, budget, starts, ends)))
            .collect();
        let slot = self
            .workspaces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(workspace_id)
            .or_default()
            .clone();
        let mut kept = slot.lock().await;
        if kept.workspace.as_ref() == Some(&workspace) && kept.projects == keys {
            return Ok(kept.burns.clone());
        }
        let changed: Vec<i64> = if kept.workspace.as_ref() == Some(&workspace) {
            keys.iter()
                .filter(|(id, key)| kept.projects.get(id) != Some(key))
                .map(|(id, _)| *id)
                .collect()
        } else {
            keys.keys().copied().collect()
        };
        let fresh = if changed.len() > RECOMPUTE_ONE_BY_ONE {
            compute(conn, workspace_id, None, today).await?
        } else {
            let mut next: HashMap<i64, Burn> = kept
                .burns
                .iter()
                .filter(|(id, _)| keys.contains_key(id))
                .map(|(id, burn)| (*id, burn.clone()))
                .collect();
            for id in changed {
                next.remove(&id);
                next.extend(compute(conn, workspace_id, Some((id, false)), today).await?);
            }
            next
        };
        // The keys were read before the burns: a change committed in between moves its
        // counter again, so the next read recomputes that project.
        *kept = Kept {
            workspace: Some(workspace),
            projects: keys,
            burns: std::sync::Arc::new(fresh),
        };
        Ok(kept.burns.clone())
    }
}
