//! The live hub: every committed change of a workspace, fanned out to every open browser
//! of that workspace connected to this server. With several servers on one PostgreSQL
//! database the relay (`baton::relay`) brings in what the other servers wrote, who is
//! looking on them and their changes of access, and carries this server's presence and
//! changes of access out ([`Outgoing`]).

use crate::shared::live::LiveEvent;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// An event on its way to the browsers of one workspace.
#[derive(Debug, Clone)]
pub struct Published {
    /// The workspace it belongs to; no other workspace's browser receives it.
    pub workspace_id: i64,
    /// What happened; `None` when who may see what changed in the workspace (a session
    /// ended, a user was deactivated or given another role, a role's permissions
    /// changed): every stream of the workspace checks its session again at once.
    pub event: Option<LiveEvent>,
}

/// What this server tells the other servers on the database (through the relay).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outgoing {
    /// A viewer opened the board of a workspace here.
    Joined {
        /// The workspace.
        workspace_id: i64,
        /// Their connection's id on this server.
        connection: u64,
        /// Their name.
        name: String,
    },
    /// A viewer's connection here ended.
    Left {
        /// The workspace.
        workspace_id: i64,
        /// Their connection's id on this server.
        connection: u64,
    },
}

/// Fans events out to live connections and remembers who is connected (presence).
#[derive(Debug)]
pub struct LiveHub {
    sender: broadcast::Sender<Arc<Published>>,
    closing: tokio::sync::watch::Sender<bool>,
    viewers: Mutex<HashMap<i64, Vec<(u64, String)>>>,
    /// Viewers connected to the other servers, by workspace (set by the relay).
    remote_viewers: Mutex<HashMap<i64, Vec<String>>>,
    next_connection: Mutex<u64>,
    /// Where presence and changes of access go to reach the other servers, if any.
    outbox: Mutex<Option<tokio::sync::mpsc::UnboundedSender<Outgoing>>>,
}

impl Default for LiveHub {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveHub {
    /// A hub buffering up to 4,096 events for slow connections (which then resync).
    pub fn new() -> Self {
        let (sender, _) = broadcast::channel(4096);
        Self {
            sender,
            closing: tokio::sync::watch::Sender::new(false),
            viewers: Mutex::new(HashMap::new()),
            remote_viewers: Mutex::new(HashMap::new()),
            next_connection: Mutex::new(0),
            outbox: Mutex::new(None),
        }
    }

    /// Sends presence and changes of access of this server to `outbox` from now on (the
    /// relay to the other servers).
    pub fn relay_to(&self, outbox: tokio::sync::mpsc::UnboundedSender<Outgoing>) {
        *self.outbox.lock().unwrap_or_else(|e| e.into_inner()) = Some(outbox);
    }

    fn tell_others(&self, message: Outgoing) {
        if let Some(outbox) = self
            .outbox
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            let _ = outbox.send(message);
        }
    }

    /// Who has the workspace's board open on the other servers (the relay read it);
    /// browsers here are told when that changes the list.
    pub fn set_remote_viewers(&self, workspace_id: i64, mut names: Vec<String>) {
        names.sort();
        names.dedup();
        let changed = {
            let mut remote = self
                .remote_viewers
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let before = remote.get(&workspace_id).cloned().unwrap_or_default();
            if names.is_empty() {
                remote.remove(&workspace_id);
            } else {
                remote.insert(workspace_id, names.clone());
            }
            before != names
        };
        if changed {
            self.publish(
                workspace_id,
                LiveEvent::Presence {
                    viewers: self.viewers(workspace_id),
                },
            );
        }
    }

    /// The workspaces with a live connection on this server.
    pub fn local_workspaces(&self) -> Vec<i64> {
        self.viewers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(_, list)| !list.is_empty())
            .map(|(id, _)| *id)
            .collect()
    }

    /// Every viewer connected here: (workspace, connection, name).
    pub fn local_viewers(&self) -> Vec<(i64, u64, String)> {
        self.viewers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .flat_map(|(workspace, list)| {
                list.iter()
                    .map(move |(connection, name)| (*workspace, *connection, name.clone()))
            })
            .collect()
    }

    /// The workspaces whose viewers on other servers are known.
    pub fn remote_workspaces(&self) -> Vec<i64> {
        self.remote_viewers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .copied()
            .collect()
    }

    /// Sends an event to every live connection (each filters by workspace).
    pub fn publish(&self, workspace_id: i64, event: LiveEvent) {
        let _ = self.sender.send(Arc::new(Published {
            workspace_id,
            event: Some(event),
        }));
    }

    /// Tells every stream of the workspace to check its session and permissions again
    /// now: call after committing a change to sessions, users or roles.
    ///
    /// The other servers learn of it from the database itself (PostgreSQL triggers on
    /// sessions, users and role permissions announce it at commit, in order with the
    /// events), and their relays call this for their own streams.
    pub fn access_changed(&self, workspace_id: i64) {
        let _ = self.sender.send(Arc::new(Published {
            workspace_id,
            event: None,
        }));
    }

    /// A receiver for a new connection.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Published>> {
        self.sender.subscribe()
    }

    /// Registers a viewer of a workspace's board; returns their connection id.
    pub fn join(&self, workspace_id: i64, name: &str) -> u64 {
        let id = {
            let mut next = self
                .next_connection
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            *next += 1;
            *next
        };
        self.viewers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(workspace_id)
            .or_default()
            .push((id, name.to_string()));
        self.tell_others(Outgoing::Joined {
            workspace_id,
            connection: id,
            name: name.to_string(),
        });
        self.publish(
            workspace_id,
            LiveEvent::Presence {
                viewers: self.viewers(workspace_id),
            },
        );
        id
    }

    /// Removes a viewer's connection.
    pub fn leave(&self, workspace_id: i64, connection: u64) {
        if let Some(list) = self
            .viewers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_mut(&workspace_id)
        {
            list.retain(|(id, _)| *id != connection);
        }
        self.tell_others(Outgoing::Left {
            workspace_id,
            connection,
        });
        self.publish(
            workspace_id,
            LiveEvent::Presence {
                viewers: self.viewers(workspace_id),
            },
        );
    }

    /// The names of everyone with the board open, here and on the other servers, each
    /// once, sorted.
    pub fn viewers(&self, workspace_id: i64) -> Vec<String> {
        let mut names: Vec<String> = self
            .viewers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&workspace_id)
            .map(|l| l.iter().map(|(_, n)| n.clone()).collect())
            .unwrap_or_default();
        if let Some(remote) = self
            .remote_viewers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&workspace_id)
        {
            names.extend(remote.iter().cloned());
        }
        names.sort();
        names.dedup();
        names
    }

    /// Ends every live stream, now and as they connect: the server is shutting down and
    /// browsers reconnect to the next one.
    pub fn shut_down(&self) {
        self.closing.send_replace(true);
    }

    /// Whether [`LiveHub::shut_down`] was called.
    pub fn is_shutting_down(&self) -> bool {
        *self.closing.borrow()
    }

    /// Resolves once the server shuts down.
    pub fn closed(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut receiver = self.closing.subscribe();
        async move {
            let _ = receiver.wait_for(|closing| *closing).await;
        }
    }

    /// Open connections, all workspaces.
    pub fn connections(&self) -> usize {
        self.sender.receiver_count()
    }
}
