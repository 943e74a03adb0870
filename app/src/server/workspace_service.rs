//! The workspace's settings: its time zone and week start. A change is checked against the
//! version the admin saw, written in one transaction with its event (the audit log's
//! entry), moves the weeks allocations are booked in to the new week start, and tells
//! every open page of the workspace to load again.

use crate::domain::calendar::WeekStart;
use crate::error::AppError;
use crate::server::calendar::{self, WorkspaceCalendar};
use crate::server::context::{self, Caller};
use crate::server::db::{self, Conn};
use crate::server::{events, workspace_repo};
use crate::shared::live::LiveEvent;
use crate::shared::workspace::WorkspaceSettings;
use serde_json::json;

/// The caller's workspace's settings.
pub async fn settings(caller: &Caller) -> Result<WorkspaceSettings, AppError> {
    let row = workspace_repo::settings(&context::pool()?, caller.workspace_id).await?;
    let now = context::now_ms();
    let calendar = WorkspaceCalendar::stored(&row.time_zone, row.week_start);
    Ok(WorkspaceSettings {
        name: row.name,
        currency: row.currency,
        time_zone: calendar.zone_name().to_string(),
        week_start: calendar.week_start(),
        today: calendar.at(now),
        local_time: calendar.offsets(now, now).date_time(now),
        zones: calendar::zone_names(),
        version: row.version,
    })
}

/// Sets the workspace's time zone and week start, the caller having seen the settings at
/// `version`; `time_zone` must be a zone the database knows. When the week start changes,
/// every allocation moves to the week of the new start that shares the most days with
/// the one it was booked in (Monday-weeks become the Sunday- or Saturday-weeks holding
/// the same working days), so the planner, the close and the burns keep counting it in
/// the same week.
pub async fn set_calendar(
    caller: &Caller,
    time_zone: &str,
    week_start: WeekStart,
    version: i64,
) -> Result<(), AppError> {
    let wanted = WorkspaceCalendar::new(time_zone, week_start)?;
    let state = context::state()?;
    let now = context::now_ms();
    let ws = caller.workspace_id;
    let mut tx = state.db.write(ws).await?;
    let row = workspace_repo::settings(&mut *tx, ws).await?;
    if row.version != version {
        return Err(AppError::Conflict(
            "someone else changed the workspace's settings meanwhile; reload to see them".into(),
        ));
    }
    let before = WorkspaceCalendar::stored(&row.time_zone, row.week_start);
    if before == wanted && row.time_zone == wanted.zone_name() {
        return Ok(());
    }
    let done = workspace_repo::set_calendar(
        &mut tx,
        ws,
        wanted.zone_name(),
        i64::from(week_start.iso()),
        version,
    )
    .await?;
    db::changed_one(done, "workspace")?;
    let moved = if before.week_start() == week_start {
        0
    } else {
        move_booked_weeks(&mut tx, ws, week_start).await?
    };
    let seq = events::append(
        &mut tx,
        events::NewEvent {
            workspace_id: ws,
            actor_user_id: Some(caller.user_id),
            entity: "workspace",
            entity_id: ws,
            action: "settings_changed",
            before: Some(json!({
                "time_zone": row.time_zone, "week_start": before.week_start().name(),
            })),
            after: Some(json!({
                "time_zone": wanted.zone_name(), "week_start": week_start.name(),
                "allocations_moved": moved,
            })),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    // Which day it is and where weeks start changed for every page: they load again.
    state.live.publish(ws, LiveEvent::Reset { seq });
    Ok(())
}

/// Moves every allocation of the workspace to the week starting on `week_start` nearest
/// to the one it is booked in; answers how many rows moved.
async fn move_booked_weeks(
    conn: &mut Conn,
    workspace_id: i64,
    week_start: WeekStart,
) -> Result<u64, AppError> {
    use crate::domain::calendar::Date;
    let mut moved = 0;
    for week in workspace_repo::allocation_weeks(&mut *conn, workspace_id).await? {
        let Some(from) = Date::parse(&week) else {
            continue;
        };
        let to = week_start.nearest_to(from);
        if to != from {
            moved += workspace_repo::move_allocation_week(
                &mut *conn,
                workspace_id,
                &week,
                &to.to_string(),
            )
            .await?;
        }
    }
    Ok(moved)
}
