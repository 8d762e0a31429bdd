//! The events the server pushes over `/ws`, shared by the server (which sends them) and the
//! dashboard (which reads them). JSON, tagged by `type`.

use serde::{Deserialize, Serialize};

/// One event on the dashboard's WebSocket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerEvent {
    /// First event of every connection.
    Hello {
        /// The server's version.
        version: String,
        /// Seconds between heartbeats, so a client can tell a dead connection.
        heartbeat_secs: u64,
    },
    /// Sent every `heartbeat_secs`.
    Heartbeat {
        /// Seconds since the server started.
        uptime_secs: u64,
    },
}
