//! The state every handler can reach: one `Clone` struct, built once at start-up.

use super::AccessConfig;
use crate::auth::Auth;
use crate::bot::Bot;
use crate::channel::meta::graph::GraphClient;
use crate::channel::meta::MetaLink;
use crate::clock::Clock;
use crate::data::Data;
use crate::events::Events;
use crate::intake::Intake;
use crate::metrics::Metrics;
use crate::outbox::Outbox;
use crate::store::Store;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Shared by all handlers. It is cloned for every request (by each extractor and layer that
/// takes it), so it is one `Arc`: cloning it field by field cost a twentieth of the time of an
/// authenticated API call.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] holds.
pub struct Shared {
    /// Leptos's own options (output name, package folder), needed by its router integration.
    pub leptos_options: Arc<LeptosOptions>,
    /// Facts about this running server.
    pub runtime: Arc<Runtime>,
    /// The data folder's log and its index.
    pub store: Arc<Store>,
    /// The documents in force: settings, rules, accounts, templates.
    pub data: Arc<Data>,
    /// What changed, for the dashboards.
    pub events: Events,
    /// The Meta connection.
    pub meta: MetaLink,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// The Graph API.
    pub graph: GraphClient,
    /// Replies waiting to go out.
    pub outbox: Arc<Outbox>,
    /// Inbound media being downloaded.
    pub media: crate::media::Downloads,
    /// Answers customers' messages.
    pub bot: Bot,
    /// Where channels hand what they receive.
    pub intake: Arc<Intake>,
    /// The one clock.
    pub clock: Clock,
    /// Accounts, sessions, tokens and the audit log.
    pub auth: Arc<Auth>,
    /// Trusted proxies and allowed origins.
    pub access: Arc<AccessConfig>,
    /// The WhatsApp Web connection (runs while the settings choose it).
    #[cfg(feature = "whatsapp-web")]
    pub web: Arc<crate::channel::web::runner::WebLink>,
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
    /// Messages older than this when they arrive get no automatic reply.
    pub stale_after: Duration,
    /// Largest inbound media file downloaded.
    pub media_max_bytes: u64,
    /// Admits CPU-heavy work of requests (compiling rules, simulating drafts) one at a time,
    /// on a blocking thread, so that it never takes every core webhooks are answered on.
    pub heavy: Arc<tokio::sync::Semaphore>,
    /// Admits files attached from the dashboard a few at a time (see `http/uploads.rs`).
    pub uploads: Arc<tokio::sync::Semaphore>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> LeptosOptions {
        LeptosOptions::clone(&state.leptos_options)
    }
}

impl Runtime {
    /// Time since start.
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }
}
