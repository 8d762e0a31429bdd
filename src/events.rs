//! The event bus: what changed, pushed to every dashboard connected over `/ws` and to the
//! server's own listeners. Publishing with nobody listening is not an error.

use cocolu_core::events::ServerEvent;
use tokio::sync::broadcast;

/// An event as published: the value, for the server's own listeners, and its JSON, encoded
/// once for every WebSocket client rather than once per client.
#[derive(Clone, Debug)]
pub struct Published {
    pub event: std::sync::Arc<ServerEvent>,
    pub json: bytes::Bytes,
}

impl Published {
    pub fn new(event: ServerEvent) -> Published {
        // Serializing these plain types to JSON cannot fail.
        let json = serde_json::to_vec(&event).unwrap_or_default();
        Published {
            event: std::sync::Arc::new(event),
            json: json.into(),
        }
    }
}

/// Events waiting for a slow listener before it misses some (a dashboard that falls this far
/// behind is disconnected, and reconnects with a fresh view).
const BACKLOG: usize = 256;

/// The bus; cloned wherever something publishes.
#[derive(Clone, Debug)]
pub struct Events {
    sender: broadcast::Sender<Published>,
}

impl Default for Events {
    fn default() -> Events {
        Events::new()
    }
}

impl Events {
    pub fn new() -> Events {
        let (sender, _) = broadcast::channel(BACKLOG);
        Events { sender }
    }

    /// Sends an event to every listener.
    pub fn publish(&self, event: ServerEvent) {
        // No subscriber is not an error: nobody has the dashboard open.
        if self.sender.receiver_count() > 0 {
            let _ = self.sender.send(Published::new(event));
        }
    }

    /// Receives every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Published> {
        self.sender.subscribe()
    }
}
