//! Budget burn of projects from the database.

use crate::domain::burn::{burn, Burn, Work};
use crate::domain::calendar::Date;
use sqlx::SqliteConnection;
use std::collections::HashMap;

/// The burn of every project of the workspace (or only `project`), as of `today`. Money
/// is rounded once per person, project and billability; the weekly logged minutes of
/// the chart are read only for a single `project` (lists do not draw it).
pub async fn burns(
    conn: &mut SqliteConnection,
    workspace_id: i64,
    project: Option<i64>,
    today: Date,
) -> Result<HashMap<i64, Burn>, sqlx::Error> {
    let floor: i64 = sqlx::query_scalar("SELECT margin_floor_bp FROM workspaces WHERE id = $1")
        .bind(workspace_id)
        .fetch_one(&mut *conn)
        .await?;
    let projects: Vec<(i64, i64, String, String)> = sqlx::query_as(
        "SELECT id, budget_minor, starts_on, ends_on FROM projects
         WHERE workspace_id = $1 AND ($2 = 0 OR id = $2)",
    )
    .bind(workspace_id)
    .bind(project.unwrap_or(0))
    .fetch_all(&mut *conn)
    .await?;
    type LoggedRow = (i64, i64, bool, i64, i64);
    let logged: Vec<LoggedRow> = sqlx::query_as(
        "SELECT t.project_id, SUM(t.minutes), t.billable = 1, pe.bill_rate_minor, pe.cost_rate_minor
         FROM time_entries t JOIN people pe ON pe.id = t.person_id
         WHERE t.workspace_id = $1 AND ($2 = 0 OR t.project_id = $2)
         GROUP BY t.project_id, t.person_id, t.billable, pe.bill_rate_minor, pe.cost_rate_minor",
    )
    .bind(workspace_id)
    .bind(project.unwrap_or(0))
    .fetch_all(&mut *conn)
    .await?;
    let by_day: Vec<(String, i64)> = match project {
        Some(id) => {
            sqlx::query_as(
                "SELECT worked_on, SUM(minutes) FROM time_entries
                 WHERE workspace_id = $1 AND project_id = $2 GROUP BY worked_on",
            )
            .bind(workspace_id)
            .bind(id)
            .fetch_all(&mut *conn)
            .await?
        }
        None => Vec::new(),
    };
    let planned: Vec<(i64, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT a.project_id, a.week, a.minutes, pe.bill_rate_minor, pe.cost_rate_minor
         FROM allocations a JOIN people pe ON pe.id = a.person_id
         WHERE a.workspace_id = $1 AND a.project_id IS NOT NULL AND ($2 = 0 OR a.project_id = $2)",
    )
    .bind(workspace_id)
    .bind(project.unwrap_or(0))
    .fetch_all(&mut *conn)
    .await?;
    let mut out = HashMap::new();
    let mut logged_by: HashMap<i64, Vec<Work>> = HashMap::new();
    for (p, minutes, billable, bill_rate, cost_rate) in logged {
        logged_by.entry(p).or_default().push(Work {
            week: 0,
            minutes,
            billable,
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
        let first = starts.week_start(1);
        let weeks = (first.days_until(ends) / 7 + 1).max(1) as u32;
        let index = |d: Date| (first.days_until(d).max(0) / 7) as u32;
        let current = if today < first {
            0
        } else {
            index(today).min(weeks)
        };
        let logged: Vec<Work> = logged_by.remove(&id).unwrap_or_default();
        let weekly: Vec<(u32, i64)> = if project == Some(id) {
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

/// What every project's burn of a workspace was computed from: the two counters that
/// triggers move on any change a burn reads, the margin floor, and the day.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BurnKey {
    capacity_version: i64,
    burn_version: i64,
    margin_floor_bp: i64,
    today: Date,
}

/// A workspace's burns with what they were computed from.
type BurnSlot =
    std::sync::Arc<tokio::sync::Mutex<Option<(BurnKey, std::sync::Arc<HashMap<i64, Burn>>)>>>;

/// Every project's burn per workspace, kept until something it reads changes (the
/// dashboard and the project list read all of them on every load; at a thousand projects
/// and fifty thousand time entries that is a quarter of a second). Each workspace has its
/// own slot: a recomputation is single-flight per workspace, through the connection its
/// request already holds.
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
        conn: &mut SqliteConnection,
        workspace_id: i64,
        today: Date,
    ) -> Result<std::sync::Arc<HashMap<i64, Burn>>, sqlx::Error> {
        let (capacity_version, burn_version, margin_floor_bp): (i64, i64, i64) = sqlx::query_as(
            "SELECT capacity_version, burn_version, margin_floor_bp FROM workspaces WHERE id = $1",
        )
        .bind(workspace_id)
        .fetch_one(&mut *conn)
        .await?;
        let key = BurnKey {
            capacity_version,
            burn_version,
            margin_floor_bp,
            today,
        };
        let slot = self
            .workspaces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(workspace_id)
            .or_default()
            .clone();
        let mut held = slot.lock().await;
        if let Some((k, burns)) = held.as_ref() {
            if *k == key {
                return Ok(burns.clone());
            }
        }
        let fresh = std::sync::Arc::new(burns(conn, workspace_id, None, today).await?);
        *held = Some((key, fresh.clone()));
        Ok(fresh)
    }
}
