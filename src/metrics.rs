//! What the server counts, readable by the status API and `/metrics`: counters, the number of
//! connected dashboards and request durations, as `prometheus-client` metrics (which also
//! write the Prometheus text format).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use std::sync::atomic::AtomicI64;

/// Upper bounds (seconds) of the request duration buckets.
pub const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The kinds of requests timed separately (a label with few values).
pub const ROUTES: [&str; 7] = [
    "api", "webhook", "page", "assets", "ws", "health", "metrics",
];

/// The label of a request duration: which kind of route answered.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct Route {
    pub route: &'static str,
}

fn request_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// Counters and gauges; cheap to update from any handler.
#[derive(Debug)]
pub struct Metrics {
    /// Signed webhook deliveries accepted.
    pub webhooks_received: Counter,
    /// Webhook deliveries refused for a missing or wrong signature.
    pub webhooks_rejected: Counter,
    /// Messages that were already stored (Meta redelivered them).
    pub webhook_duplicates: Counter,
    /// Customers' messages stored.
    pub messages_in: Counter,
    /// Delivery statuses stored.
    pub statuses_in: Counter,
    /// Dashboards connected to `/ws` now.
    pub ws_clients: Gauge,
    /// When the last accepted webhook arrived (ms since the epoch; 0: never).
    pub last_webhook_at: AtomicI64,
    /// Request durations by kind of route ([`ROUTES`]).
    pub requests: Family<Route, Histogram, fn() -> Histogram>,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let requests: Family<Route, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(request_histogram);
        // Every kind is listed from the start, with zero requests.
        for route in ROUTES {
            let _ = requests.get_or_create(&Route { route });
        }
        Metrics {
            webhooks_received: Counter::default(),
            webhooks_rejected: Counter::default(),
            webhook_duplicates: Counter::default(),
            messages_in: Counter::default(),
            statuses_in: Counter::default(),
            ws_clients: Gauge::default(),
            last_webhook_at: AtomicI64::new(0),
            requests,
        }
    }
}

impl Metrics {
    /// Counts a request of `path` that took `seconds`.
    pub fn time_request(&self, path: &str, seconds: f64) {
        self.requests
            .get_or_create(&Route {
                route: route_of(path),
            })
            .observe(seconds);
    }
}

/// Which timed kind a request path is.
pub fn route_of(path: &str) -> &'static str {
    if path.starts_with("/api/") || path == "/api" {
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
    }
}
