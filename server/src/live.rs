//! `GET /api/live?since=N`: the workspace's changes as server-sent events.
//!
//! On connect it first replays what the browser missed after event `since` (each changed
//! deal as it is now; a `Reset` when more than 100 deals changed), then streams every new
//! event. Each message's SSE `id` is its sequence number. Events never cross workspaces,
//! and deal values are removed for viewers without "view deal values".
//!
//! A stream lives only as long as its right to see the board: it checks its session again
//! at once when this server commits a change to sessions, users or roles of its workspace
//! (`LiveHub::access_changed`), and every [`RECHECK`] otherwise (changes made through
//! another server). A session that ended (signed out, expired, its user deactivated) or
//! no longer allows the board gets `SignedOut` and the stream ends; a viewer who gained or
//! lost "view deal values" gets `Reset` and loads the board again, masked anew.

use app::api::board::DealCard;
use app::api::live::LiveEvent;
use app::domain::permissions::Permission;
use app::error::AppError;
use app::server::auth::Session;
use app::server::live::Published;
use app::server::state::AppState;
use app::server::{board_repo, events};
use axum::extract::{Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures::stream::{self, Stream, StreamExt};
use serde::Deserialize;
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;

/// The most deals replayed on reconnect before the browser is told to reload instead.
pub const MAX_REPLAY: i64 = 100;

/// How often a stream checks its session when nothing told it to.
pub const RECHECK: Duration = Duration::from_secs(2);

/// Query of `/api/live`.
#[derive(Debug, Deserialize)]
pub struct LiveQuery {
    /// The last event number the browser has applied.
    pub since: Option<i64>,
}

/// Removes the viewer from the board's presence when their stream ends.
struct Presence {
    state: AppState,
    workspace_id: i64,
    connection: u64,
}

impl Drop for Presence {
    fn drop(&mut self) {
        self.state.live.leave(self.workspace_id, self.connection);
    }
}

struct Connection {
    state: AppState,
    receiver: broadcast::Receiver<Arc<Published>>,
    backlog: VecDeque<LiveEvent>,
    workspace_id: i64,
    /// The session the stream was opened with (hash of its token).
    token_hash: String,
    may_see_values: bool,
    next_check: tokio::time::Instant,
    /// Set once the session ended: the stream ends after what is in the backlog.
    ending: bool,
    _presence: Presence,
}

/// What a session check found.
enum Access {
    /// Still allowed; whether it may see deal values.
    Allowed { may_see_values: bool },
    /// Signed out, expired, deactivated, or no longer allowed the board.
    Ended,
    /// The database did not answer: end the stream; the browser reconnects and is
    /// checked afresh.
    Unknown,
}

impl Connection {
    async fn check(&self) -> Access {
        match app::server::auth::session_by_hash(
            self.state.db.reader(),
            self.token_hash.clone(),
            self.state.clock.now_ms(),
        )
        .await
        {
            Ok(Some(session)) if session.permissions.contains(Permission::ViewPipeline) => {
                Access::Allowed {
                    may_see_values: session.permissions.contains(Permission::ViewDealValues),
                }
            }
            Ok(_) => Access::Ended,
            Err(err) => {
                tracing::warn!(error = %err, "live stream could not check its session");
                Access::Unknown
            }
        }
    }

    /// Checks the session now; the event to send about it, if any, and whether the
    /// stream goes on.
    async fn recheck(&mut self) -> (Option<LiveEvent>, bool) {
        let access = self.check().await;
        // From the end of this check: a slow database is not asked again at once.
        self.next_check = tokio::time::Instant::now() + RECHECK;
        match access {
            Access::Allowed { may_see_values } if may_see_values == self.may_see_values => {
                (None, true)
            }
            Access::Allowed { may_see_values } => {
                self.may_see_values = may_see_values;
                (Some(LiveEvent::Reset { seq: -1 }), true)
            }
            Access::Ended => (Some(LiveEvent::SignedOut), false),
            Access::Unknown => (None, false),
        }
    }
}

fn to_sse(event: &LiveEvent) -> Event {
    let data = serde_json::to_string(event).unwrap_or_else(|_| "null".into());
    let sse = Event::default().data(data);
    match event.seq() {
        Some(seq) => sse.id(seq.to_string()),
        None => sse,
    }
}

/// The SSE handler.
pub async fn live(
    State(state): State<AppState>,
    session: Option<Extension<Session>>,
    Query(query): Query<LiveQuery>,
) -> Response {
    let Some(Extension(session)) = session else {
        return crate::security::error_response(&AppError::Unauthorized);
    };
    if !session.permissions.contains(Permission::ViewPipeline) {
        return crate::security::error_response(&AppError::Forbidden);
    }
    if state.live.is_shutting_down() {
        return crate::security::error_response(&AppError::Unavailable);
    }
    // Subscribe before reading what was missed, so nothing falls between the two; then
    // read the session again, so a change of access between the guard's read and the
    // subscription is not missed.
    let receiver = state.live.subscribe();
    let session = match app::server::auth::session_by_hash(
        state.db.reader(),
        session.token_hash.clone(),
        state.clock.now_ms(),
    )
    .await
    {
        Ok(Some(s)) if s.permissions.contains(Permission::ViewPipeline) => s,
        Ok(Some(_)) => return crate::security::error_response(&AppError::Forbidden),
        Ok(None) => return crate::security::error_response(&AppError::Unauthorized),
        Err(err) => return crate::security::error_response(&AppError::from(err)),
    };
    let may_see_values = session.permissions.contains(Permission::ViewDealValues);
    let backlog = match query.since {
        Some(since) => match replay(&state, session.workspace_id, since, may_see_values).await {
            Ok(events) => events,
            Err(err) => return crate::security::error_response(&err),
        },
        None => VecDeque::new(),
    };
    let connection = state.live.join(session.workspace_id, &session.name);
    let presence = Presence {
        state: state.clone(),
        workspace_id: session.workspace_id,
        connection,
    };
    let first = LiveEvent::Presence {
        viewers: state.live.viewers(session.workspace_id),
    };
    let mut backlog = backlog;
    backlog.push_back(first);
    let closed = state.live.closed();
    let connection = Connection {
        state: state.clone(),
        receiver,
        backlog,
        workspace_id: session.workspace_id,
        token_hash: session.token_hash.clone(),
        may_see_values,
        next_check: tokio::time::Instant::now() + RECHECK,
        ending: false,
        _presence: presence,
    };
    // The stream ends when the server shuts down; the browser reconnects elsewhere.
    Sse::new(events(connection).take_until(closed))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response()
}

fn events(connection: Connection) -> impl Stream<Item = Result<Event, Infallible>> {
    let retry = stream::once(async { Ok(Event::default().retry(Duration::from_millis(1000))) });
    let rest = stream::unfold(connection, |mut c| async move {
        if let Some(event) = c.backlog.pop_front() {
            return Some((Ok(to_sse(&event)), c));
        }
        if c.ending {
            return None;
        }
        loop {
            // A session check is due when the timer says so, or when this server changed
            // sessions, users or roles of the workspace (an event without a body).
            // `biased`: a check that is due runs before anything else is delivered.
            let due = tokio::select! {
                biased;
                () = tokio::time::sleep_until(c.next_check) => true,
                received = c.receiver.recv() => match received {
                    Ok(published) if published.workspace_id == c.workspace_id => {
                        match &published.event {
                            Some(event) => {
                                let event = event.masked(c.may_see_values);
                                return Some((Ok(to_sse(&event)), c));
                            }
                            None => true,
                        }
                    }
                    Ok(_) => false,
                    // Too slow to keep up: the browser reloads the board.
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        // What was skipped may have been a change of access: check it
                        // before anything more goes out.
                        return match c.recheck().await {
                            (Some(LiveEvent::SignedOut), _) | (_, false) => {
                                c.ending = true;
                                Some((Ok(to_sse(&LiveEvent::SignedOut)), c))
                            }
                            _ => Some((Ok(to_sse(&LiveEvent::Reset { seq: -1 })), c)),
                        };
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
            };
            if due {
                match c.recheck().await {
                    (Some(event), going_on) => {
                        c.ending = !going_on;
                        return Some((Ok(to_sse(&event)), c));
                    }
                    (None, true) => {}
                    (None, false) => return None,
                }
            }
        }
    });
    retry.chain(rest)
}

/// What a browser that last saw event `since` has missed: each deal changed since, as it
/// is now, or a `Reset` when that is too many.
pub async fn replay(
    state: &AppState,
    workspace_id: i64,
    since: i64,
    may_see_values: bool,
) -> Result<VecDeque<LiveEvent>, AppError> {
    let latest = board_repo::latest_seq(state.db.reader(), workspace_id).await?;
    if since >= latest {
        return Ok(VecDeque::new());
    }
    let changed =
        events::deals_changed_since(state.db.reader(), workspace_id, since, MAX_REPLAY + 1).await?;
    if changed.len() as i64 > MAX_REPLAY || since < 0 {
        return Ok(VecDeque::from([LiveEvent::Reset { seq: latest }]));
    }
    let now = state.clock.now_ms();
    let mut out = VecDeque::new();
    if events::projects_changed_since(state.db.reader(), workspace_id, since).await? {
        out.push_back(LiveEvent::Projects { seq: latest });
    }
    if events::capacity_changed_since(state.db.reader(), workspace_id, since).await? {
        out.push_back(LiveEvent::Capacity { seq: latest });
    }
    for deal_id in changed {
        let event = match board_repo::board_deal(state.db.reader(), workspace_id, deal_id).await? {
            Some(row) => {
                match board_repo::stage(state.db.reader(), workspace_id, row.stage_id).await? {
                    Some(stage) => LiveEvent::Deal {
                        seq: latest,
                        card: DealCard::from_row(&stage, row, now),
                    },
                    None => continue,
                }
            }
            None => LiveEvent::DealRemoved {
                seq: latest,
                deal_id,
            },
        };
        out.push_back(event.masked(may_see_values));
    }
    Ok(out)
}
