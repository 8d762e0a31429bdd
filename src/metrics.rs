//! Counters of what the server did, readable by the status API (and, later, `/metrics`).

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
}

impl Metrics {
    pub fn bump(counter: &AtomicU64, by: u64) {
        counter.fetch_add(by, Ordering::Relaxed);
    }

    pub fn read(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
