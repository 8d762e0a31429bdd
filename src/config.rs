//! The server's configuration, built once in `main` and passed by value.

use crate::auth::sessions::Timeouts;
use crate::channel::meta::MetaConfig;
use crate::http::IpRange;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Everything the server needs to know to start.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen; port 0 asks the system for a free port.
    pub addr: SocketAddr,
    /// The data folder (created with defaults when missing).
    pub data_dir: PathBuf,
    /// The folder of template overrides (optional: built-in templates apply without it).
    pub templates_dir: PathBuf,
    /// How often the WebSocket sends a heartbeat event.
    pub ws_heartbeat: Duration,
    /// Move corrupt log records aside at start instead of refusing to start.
    pub repair: bool,
    /// Messages older than this when they arrive get no automatic reply.
    pub stale_after: Duration,
    /// The Meta WhatsApp Cloud API connection.
    pub meta: MetaConfig,
    /// Messages sent per second at most (Meta's default limit is 80).
    pub send_rate: u32,
    /// Largest inbound media file downloaded.
    pub media_max_bytes: u64,
    /// How long downloaded media files are kept.
    pub media_retention: Duration,
    /// Reverse proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` are believed.
    pub trusted_proxies: Vec<IpRange>,
    /// Origins the dashboard is served from; empty: the request's own host.
    pub origins: Vec<String>,
    /// Idle and absolute session timeouts.
    pub sessions: Timeouts,
    /// The bearer token `/metrics` accepts (besides admin API tokens).
    pub metrics_token: Option<String>,
    /// Passwords hashed at once at most (each takes 19 MiB while it runs).
    pub hashing_concurrency: usize,
    /// How long a client has to send a request's headers (and a kept-alive connection may
    /// wait for its next request).
    pub header_timeout: Duration,
    /// Connections open at once at most; `None`: derived from the open-file limit.
    pub max_connections: Option<usize>,
    /// Where and how to reach WhatsApp Web.
    #[cfg(feature = "whatsapp-web")]
    pub whatsapp_web: crate::channel::web::runner::WebConfig,
}

impl Config {
    /// A configuration for a given data folder, listening on a free loopback port.
    pub fn for_data_dir(data_dir: impl Into<PathBuf>) -> Config {
        let data_dir = data_dir.into();
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            templates_dir: data_dir.join("templates"),
            data_dir,
            ws_heartbeat: Duration::from_secs(25),
            repair: false,
            stale_after: Duration::from_secs(600),
            meta: MetaConfig {
                graph_url: "https://graph.facebook.com".into(),
                graph_version: "v26.0".into(),
                ..MetaConfig::default()
            },
            send_rate: 80,
            media_max_bytes: 16 * 1024 * 1024,
            media_retention: Duration::from_secs(90 * 24 * 3600),
            trusted_proxies: Vec::new(),
            origins: Vec::new(),
            sessions: Timeouts::default(),
            metrics_token: None,
            hashing_concurrency: 2,
            header_timeout: Duration::from_secs(20),
            max_connections: None,
            #[cfg(feature = "whatsapp-web")]
            whatsapp_web: crate::channel::web::runner::WebConfig::default(),
        }
    }
}
