//! The live relay between servers on one PostgreSQL database (nothing runs on SQLite).
//!
//! Every event a transaction appends is announced at commit on the channel
//! `baton_events` as `<workspace>:<seq>:<application_name>` (a database trigger, so a
//! write cannot commit without it). Each server listens on its own connection; for an
//! event written by another server it reads what changed from the event table (the same
//! replay a reconnecting browser gets: each changed deal as it is now) and publishes it
//! to its own browsers, which apply it like a change made here. A notification carries
//! only numbers: the rows are always read back from the database.
//!
//! Notifications are lost while the listening connection is down. After it reconnects
//! the relay replays every workspace from the last event it relayed there; a workspace
//! with browsers here and nothing relayed yet gets a `Reset` (those browsers reload).
//!
//! Presence: each viewer connected here is a row of `presence` (written by the relay,
//! refreshed every [`HEARTBEAT`], expired after [`PRESENCE_TTL`] when a server dies) and a
//! notification on `baton_presence`; the other servers read the workspace's viewers back.
//! Changes of access (sign-out, role, deactivation, a role's permissions) are announced
//! on `baton_access` by database triggers at commit — in commit order with the events, so
//! no event committed after a change of access reaches a stream before its check — and
//! every server's streams of that workspace check their session again.

use app::api::live::LiveEvent;
use app::server::live::Outgoing;
use app::server::relay_repo;
use app::server::state::AppState;
use sqlx::postgres::{PgListener, PgNotification};
use std::collections::HashMap;
use std::time::Duration;

/// How often a server marks its viewers as still there.
pub const HEARTBEAT: Duration = Duration::from_secs(10);

/// How long a viewer row lives without a heartbeat (its server died).
pub const PRESENCE_TTL: Duration = Duration::from_secs(35);

const EVENTS: &str = "baton_events";
const PRESENCE: &str = "baton_presence";
const ACCESS: &str = "baton_access";

/// Starts the relay if the server runs on PostgreSQL: listens before it returns, so no
/// write committed after this call is missed. `None` on SQLite (one server, nothing to
/// relay).
pub async fn start(state: &AppState) -> Result<Option<tokio::task::JoinHandle<()>>, String> {
    if state.db.backend() != app::server::db::Backend::Postgres {
        return Ok(None);
    }
    let listener = listen(state)
        .await
        .map_err(|e| format!("live relay: listening on PostgreSQL: {e}"))?;
    let (outbox, inbox) = tokio::sync::mpsc::unbounded_channel();
    state.live.relay_to(outbox);
    let relay = Relay {
        state: state.clone(),
        me: state.db.application_name(),
        cursors: HashMap::new(),
    };
    Ok(Some(tokio::spawn(relay.run(listener, inbox))))
}

async fn listen(state: &AppState) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(state.db.url()).await?;
    listener.listen_all([EVENTS, PRESENCE, ACCESS]).await?;
    Ok(listener)
}

struct Relay {
    state: AppState,
    /// This server's `application_name` (`baton-<server id>`).
    me: String,
    /// The last event relayed per workspace.
    cursors: HashMap<i64, i64>,
}

impl Relay {
    async fn run(
        mut self,
        mut listener: PgListener,
        mut inbox: tokio::sync::mpsc::UnboundedReceiver<Outgoing>,
    ) {
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        let closed = self.state.live.closed();
        tokio::pin!(closed);
        loop {
            tokio::select! {
                received = listener.try_recv() => match received {
                    Ok(Some(notification)) => self.received(&notification).await,
                    // The connection dropped and the next receive reconnects: whatever
                    // was announced meanwhile is lost, so read it back.
                    Ok(None) => {
                        tracing::warn!("live relay: connection lost; catching up");
                        self.catch_up().await;
                    }
                    // Whatever the listener does next, notifications may have been lost:
                    // listen afresh (retrying every second) and read back what changed.
                    Err(err) => {
                        tracing::warn!(error = %err, "live relay: listening failed; reconnecting");
                        loop {
                            tokio::time::sleep(Duration::from_secs(1)).await;
                            if self.state.live.is_shutting_down() {
                                break;
                            }
                            match listen(&self.state).await {
                                Ok(fresh) => {
                                    listener = fresh;
                                    break;
                                }
                                Err(err) => tracing::warn!(error = %err, "live relay: still not listening"),
                            }
                        }
                        self.catch_up().await;
                    }
                },
                Some(message) = inbox.recv() => self.send(message).await,
                _ = heartbeat.tick() => self.beat().await,
                () = &mut closed => {
                    self.leave_all().await;
                    return;
                }
            }
        }
    }

    async fn received(&mut self, notification: &PgNotification) {
        let mut parts = notification.payload().splitn(3, ':');
        let workspace_id = parts.next().and_then(|p| p.parse::<i64>().ok());
        let number = parts.next().unwrap_or("");
        let from = parts.next().unwrap_or("");
        let Some(workspace_id) = workspace_id else {
            return;
        };
        match notification.channel() {
            EVENTS if from != self.me => {
                if let Ok(seq) = number.parse::<i64>() {
                    self.relay_events(workspace_id, seq).await;
                }
            }
            PRESENCE if number != self.state.db.server_id() => {
                self.refresh_viewers(workspace_id).await;
            }
            // `<workspace>:<application_name>`, from the database's triggers.
            ACCESS if number != self.me => {
                self.state.live.access_changed(workspace_id);
            }
            _ => {}
        }
    }

    /// Publishes here what another server's event `seq` of the workspace (and any after
    /// it) changed, unless already relayed.
    async fn relay_events(&mut self, workspace_id: i64, seq: i64) {
        let since = match self.cursors.get(&workspace_id) {
            Some(&last) if seq <= last => return,
            Some(&last) => last,
            None => seq - 1,
        };
        self.replay(workspace_id, since).await;
    }

    async fn replay(&mut self, workspace_id: i64, since: i64) {
        match crate::live::replay(&self.state, workspace_id, since, true).await {
            Ok(events) => {
                let mut last = since;
                for event in events {
                    last = last.max(event.seq().unwrap_or(since));
                    self.state.live.publish(workspace_id, event);
                }
                self.cursors.insert(workspace_id, last);
            }
            Err(err) => {
                // Kept as the cursor: the next notification (or catch-up) reads from here.
                tracing::warn!(error = ?err, workspace_id, "live relay: reading events failed");
                self.cursors.entry(workspace_id).or_insert(since);
            }
        }
    }

    /// After the listening connection was down: every workspace relayed before is
    /// replayed from its last event; one with browsers here and nothing relayed yet is
    /// reset. Viewers elsewhere are read again, and every stream checks its access.
    async fn catch_up(&mut self) {
        let known: Vec<(i64, i64)> = self.cursors.iter().map(|(w, s)| (*w, *s)).collect();
        for (workspace_id, since) in known {
            self.replay(workspace_id, since).await;
        }
        for workspace_id in self.state.live.local_workspaces() {
            if !self.cursors.contains_key(&workspace_id) {
                if let Ok(latest) =
                    app::server::board_repo::latest_seq(self.state.db.reader(), workspace_id).await
                {
                    self.state
                        .live
                        .publish(workspace_id, LiveEvent::Reset { seq: latest });
                    self.cursors.insert(workspace_id, latest);
                }
            }
            self.state.live.access_changed(workspace_id);
        }
        let mut workspaces = self.state.live.local_workspaces();
        workspaces.extend(self.state.live.remote_workspaces());
        workspaces.sort_unstable();
        workspaces.dedup();
        for workspace_id in workspaces {
            self.refresh_viewers(workspace_id).await;
        }
    }

    async fn refresh_viewers(&self, workspace_id: i64) {
        let cutoff = self.state.clock.now_ms() - PRESENCE_TTL.as_millis() as i64;
        match relay_repo::viewers_elsewhere(
            self.state.db.reader(),
            workspace_id,
            self.state.db.server_id(),
            cutoff,
        )
        .await
        {
            Ok(names) => self.state.live.set_remote_viewers(workspace_id, names),
            Err(err) => tracing::warn!(error = %err, "live relay: reading presence failed"),
        }
    }

    /// Tells the other servers that `workspace_id` changed on `channel` here.
    async fn announce(&self, channel: &str, workspace_id: i64) -> Result<(), sqlx::Error> {
        let payload = format!("{workspace_id}:{}", self.state.db.server_id());
        relay_repo::notify(self.state.db.writer(), channel, &payload).await
    }

    /// Tells the other servers who is looking at `workspace_id` changed here (best effort:
    /// they also read presence again after any reconnect).
    async fn announce_presence(&self, workspace_id: i64) {
        if let Err(err) = self.announce(PRESENCE, workspace_id).await {
            tracing::warn!(error = %err, "live relay: announcing presence failed");
        }
    }

    /// Carries a change of presence made here to the other servers.
    async fn send(&self, message: Outgoing) {
        let db = self.state.db.writer();
        let server = self.state.db.server_id();
        let now = self.state.clock.now_ms();
        let (workspace_id, written) = match message {
            Outgoing::Joined {
                workspace_id,
                connection,
                name,
            } => (
                workspace_id,
                relay_repo::joined(db, server, connection as i64, workspace_id, &name, now).await,
            ),
            Outgoing::Left {
                workspace_id,
                connection,
            } => (
                workspace_id,
                relay_repo::left(db, server, connection as i64, workspace_id).await,
            ),
        };
        match written {
            Ok(()) => self.announce_presence(workspace_id).await,
            Err(err) => tracing::warn!(error = %err, "live relay: recording presence failed"),
        }
        // A viewer who just joined sees who is looking on the other servers too.
        self.refresh_viewers(workspace_id).await;
    }

    /// Marks this server's viewers as still there, removes those of servers that died,
    /// and tells the workspaces that lost any.
    async fn beat(&self) {
        let db = self.state.db.writer();
        let now = self.state.clock.now_ms();
        let cutoff = now - PRESENCE_TTL.as_millis() as i64;
        let server = self.state.db.server_id();
        let kept = match relay_repo::heartbeat(db, server, now).await {
            Ok(kept) => kept,
            Err(err) => {
                tracing::warn!(error = %err, "live relay: heartbeat failed");
                return;
            }
        };
        // Rows another server expired (this one stalled, or the clocks disagree) are
        // written again: this server's viewers stay visible everywhere.
        let here = self.state.live.local_viewers();
        if (kept as usize) < here.len() {
            let mut workspaces = Vec::new();
            for (workspace_id, connection, name) in here {
                let _ = relay_repo::joined(db, server, connection as i64, workspace_id, &name, now)
                    .await;
                workspaces.push(workspace_id);
            }
            workspaces.sort_unstable();
            workspaces.dedup();
            for workspace_id in workspaces {
                self.announce_presence(workspace_id).await;
            }
        }
        if let Ok(mut gone) = relay_repo::expire(db, cutoff).await {
            gone.sort_unstable();
            gone.dedup();
            for workspace_id in gone {
                self.announce_presence(workspace_id).await;
                self.refresh_viewers(workspace_id).await;
            }
        }
    }

    /// This server is stopping: its viewers leave every workspace at once.
    async fn leave_all(&self) {
        let db = self.state.db.writer();
        let server = self.state.db.server_id();
        if let Ok(mut gone) = relay_repo::leave_all(db, server).await {
            gone.sort_unstable();
            gone.dedup();
            for workspace_id in gone {
                self.announce_presence(workspace_id).await;
            }
        }
    }
}
