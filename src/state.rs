//! The state every handler can reach: one `Clone` struct, built once at start-up.

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Shared by all handlers; cheap to clone.
#[derive(Clone, FromRef)]
pub struct AppState {
    /// Leptos's own options (output name, package folder), needed by its router integration.
    pub leptos_options: LeptosOptions,
    /// Facts about this running server.
    pub runtime: Arc<Runtime>,
}

/// Facts about this running server.
#[derive(Debug)]
pub struct Runtime {
    /// When the server started.
    pub started: Instant,
    /// How often WebSocket clients get a heartbeat.
    pub ws_heartbeat: Duration,
    /// Cancelled when the server shuts down, so long-lived connections close.
    pub shutdown: CancellationToken,
}

impl Runtime {
    /// Time since start.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }
}
