//! The live hub: every committed change of a workspace, fanned out to every open browser
//! of that workspace (one process; several servers will relay through PostgreSQL).

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

/// Fans events out to live connections and remembers who is connected (presence).
#[derive(Debug)]
pub struct LiveHub {
    sender: broadcast::Sender<Arc<Published>>,
    closing: tokio::sync::watch::Sender<bool>,
    viewers: Mutex<HashMap<i64, Vec<(u64, String)>>>,
    next_connection: Mutex<u64>,
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
            next_connection: Mutex::new(0),
        }
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
        self.publish(
            workspace_id,
            LiveEvent::Presence {
                viewers: self.viewers(workspace_id),
            },
        );
    }

    /// The names of everyone with the board open, each once, sorted.
    pub fn viewers(&self, workspace_id: i64) -> Vec<String> {
        let map = self.viewers.lock().unwrap_or_else(|e| e.into_inner());
        let mut names: Vec<String> = map
            .get(&workspace_id)
            .map(|l| l.iter().map(|(_, n)| n.clone()).collect())
            .unwrap_or_default();
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
