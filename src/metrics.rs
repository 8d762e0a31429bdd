//! Counters of what the server did, readable by the status API and `/metrics`.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

/// Monotonic counters; cheap to bump from any handler.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Signed webhook deliveries accepted.
    pub webhooks_received: AtomicU64,
    /// Webhook deliveries refused for a missing or wrong signature.
    pub webhooks_rejected: AtomicU64,
    /// Messages that were already stored (Meta redelivered them).
    pub webhook_duplicates: AtomicU64,
    /// Customers' messages stored.
    pub messages_in: AtomicU64,
    /// Delivery statuses stored.
    pub statuses_in: AtomicU64,
    /// Dashboards connected to `/ws` now.
    pub ws_clients: AtomicU64,
    /// When the last accepted webhook arrived (ms since the epoch; 0: never).
    pub last_webhook_at: AtomicI64,
    /// Request durations, one histogram per kind of route ([`ROUTES`]).
    pub requests: [Histogram; ROUTES.len()],
}

impl Metrics {
    pub fn bump(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }

    pub fn read(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Upper bounds (seconds) of the request duration buckets.
pub const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The kinds of requests timed separately (a label with few values).
pub const ROUTES: [&str; 7] = [
    "api", "webhook", "page", "assets", "ws", "health", "metrics",
];

/// A latency histogram: counts per bucket (cumulated when rendered), total and sum.
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_micros: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|upper| seconds <= *upper) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micros
            .fetch_add((seconds * 1_000_000.0) as u64, Ordering::Relaxed);
    }

    /// Cumulative counts per bucket, the count, and the sum in seconds.
    pub fn snapshot(&self) -> (Vec<u64>, u64, f64) {
        let mut running = 0;
        let cumulative = self
            .buckets
            .iter()
            .map(|b| {
                running += b.load(Ordering::Relaxed);
                running
            })
            .collect();
        (
            cumulative,
            self.count.load(Ordering::Relaxed),
            self.sum_micros.load(Ordering::Relaxed) as f64 / 1_000_000.0,
        )
    }
}

/// Which timed kind a request path is.
pub fn route_of(path: &str) -> usize {
    let kind = if path.starts_with("/api/") || path == "/api" {
        "api"
    } else if path == "/webhook" {
        "webhook"
    } else if path.starts_with("/pkg/") {
        "assets"
    } else if path == "/ws" {
        "ws"
    } else if path == "/healthz" {
        "health"
    } else if path == "/metrics" {
        "metrics"
    } else {
        "page"
    };
    ROUTES.iter().position(|r| *r == kind).unwrap_or(0)
}
