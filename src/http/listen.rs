//! Accepting connections, for when Cocolu faces the internet without nginx in front.
//!
//! - Every connection has [`Limits::header_timeout`] to send its request headers. The same
//!   deadline runs while a keep-alive connection waits for its next request, so it is also
//!   the idle timeout. Request bodies have [`BODY_TIMEOUT`] (a layer of the router).
//! - Open connections are capped below the process's file limit ([`Limits::max_connections`]),
//!   so the server never runs out of descriptors for its own files.
//! - At the cap, a new connection takes the place of the oldest one that is not in the middle
//!   of a request (a half-sent request, or a keep-alive connection waiting for its next one).
//!   A flood of half-open connections therefore cannot lock out the dashboard or `/healthz`:
//!   whoever sends a whole request is served. Only when every connection is busy with a
//!   request is the new one closed at once.

use axum::extract::connect_info::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// How long a client has to send a request's body.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// How connections are bounded.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// To send a request's headers, and to send the next request on a kept-alive connection.
    pub header_timeout: Duration,
    /// Connections open at once; `None`: the open-file limit less room for the server's own
    /// files, read again when the cap is reached (an operator may raise the limit of a
    /// running server with `prlimit`).
    pub max_connections: Option<usize>,
}

/// Descriptors kept for the server's own use (log segments, documents being saved, the
/// file watcher, media downloads, connections to Meta) when the cap is derived from the file
/// limit.
const RESERVED_DESCRIPTORS: u64 = 96;

/// The cap the open-file limit allows now.
fn cap_from_file_limit() -> usize {
    let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(65_536);
    usize::try_from(soft.saturating_sub(RESERVED_DESCRIPTORS).clamp(16, 1 << 20)).unwrap_or(1 << 20)
}

/// One open connection, as the cap sees it.
struct Connection {
    /// Requests being answered on it right now.
    in_flight: AtomicUsize,
    /// When it last started or finished a request (ms since the registry started).
    last_active: AtomicU64,
    /// Cancelled to close it.
    close: CancellationToken,
}

/// The open connections.
struct Registry {
    /// The configured cap, if any.
    configured: Option<usize>,
    /// The cap in force.
    max: AtomicUsize,
    started: Instant,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Connection>>>,
}

impl Registry {
    fn now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Makes room for a new connection, closing the longest-idle one at the cap; `None` when
    /// every open connection is in the middle of a request.
    fn admit(&self) -> Option<(u64, Arc<Connection>)> {
        let mut open = self.open.lock();
        if open.len() >= self.max.load(Ordering::Relaxed) && self.configured.is_none() {
            self.max.store(cap_from_file_limit(), Ordering::Relaxed);
        }
        if open.len() >= self.max.load(Ordering::Relaxed) {
            let idlest = open
                .iter()
                .filter(|(_, c)| c.in_flight.load(Ordering::Acquire) == 0)
                .min_by_key(|(_, c)| c.last_active.load(Ordering::Relaxed))
                .map(|(id, _)| *id)?;
            if let Some(evicted) = open.remove(&idlest) {
                evicted.close.cancel();
            }
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let connection = Arc::new(Connection {
            in_flight: AtomicUsize::new(0),
            last_active: AtomicU64::new(self.now()),
            close: CancellationToken::new(),
        });
        open.insert(id, connection.clone());
        Some((id, connection))
    }

    fn release(&self, id: u64) {
        self.open.lock().remove(&id);
    }
}

/// Marks a connection busy for as long as one of its requests is being answered (also when
/// the answer is dropped half-way).
struct Busy {
    connection: Arc<Connection>,
    registry: Arc<Registry>,
}

impl Busy {
    fn start(connection: Arc<Connection>, registry: Arc<Registry>) -> Busy {
        connection.in_flight.fetch_add(1, Ordering::AcqRel);
        connection
            .last_active
            .store(registry.now(), Ordering::Relaxed);
        Busy {
            connection,
            registry,
        }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.connection
            .last_active
            .store(self.registry.now(), Ordering::Relaxed);
        self.connection.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// How long to wait before accepting again when the system refuses (out of descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Serves `router` on `listener` until `shutdown` is cancelled, then lets open requests
/// finish for at most `grace` (WebSockets close themselves on the same signal).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: CancellationToken,
    grace: Duration,
) {
    let registry = Arc::new(Registry {
        configured: limits.max_connections,
        max: AtomicUsize::new(
            limits
                .max_connections
                .unwrap_or_else(cap_from_file_limit)
                .max(1),
        ),
        started: Instant::now(),
        next_id: AtomicU64::new(0),
        open: Mutex::new(HashMap::new()),
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    let tasks = TaskTracker::new();
    loop {
        let (stream, peer) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
        };
        let Some((id, connection)) = registry.admit() else {
            tracing::debug!(peer = %peer, "every connection is busy: a new one was closed");
            continue;
        };
        // Pages stream in several small writes: without TCP_NODELAY each one after the first
        // waits for the client's delayed acknowledgement (40 ms on Linux).
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY could not be set on a connection");
        }
        let service = {
            let router = router.clone();
            let connection = connection.clone();
            let registry = registry.clone();
            hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
                let busy = Busy::start(connection.clone(), registry.clone());
                request.extensions_mut().insert(ConnectInfo(peer));
                let router = router.clone();
                async move {
                    let response = router.oneshot(request.map(axum::body::Body::new)).await;
                    drop(busy);
                    response
                }
            })
        };
        let serving = http
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        let registry = registry.clone();
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            let mut serving = std::pin::pin!(serving);
            tokio::select! {
                _ = serving.as_mut() => {}
                () = connection.close.cancelled() => {}
                () = shutdown.cancelled() => {
                    serving.as_mut().graceful_shutdown();
                    tokio::select! {
                        _ = serving.as_mut() => {}
                        () = connection.close.cancelled() => {}
                    }
                }
            }
            registry.release(id);
        });
    }
    tasks.close();
    if tokio::time::timeout(grace, tasks.wait()).await.is_err() {
        tracing::warn!("open connections did not finish within {grace:?}; closing them");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry(max: usize) -> Registry {
        Registry {
            configured: Some(max),
            max: AtomicUsize::new(max),
            started: Instant::now(),
            next_id: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
        }
    }

    #[test]
    fn at_the_cap_the_idlest_connection_makes_room_and_busy_ones_are_kept() {
        let registry = Arc::new(registry(2));
        let (_, first) = registry.admit().expect("room");
        let (_, second) = registry.admit().expect("room");
        let busy = Busy::start(second.clone(), registry.clone());
        let (_, third) = registry.admit().expect("the idle one makes room");
        assert!(first.close.is_cancelled(), "the idle connection is closed");
        assert!(
            !second.close.is_cancelled(),
            "a connection answering a request stays"
        );
        let _also_busy = Busy::start(third.clone(), registry.clone());
        assert!(registry.admit().is_none(), "every connection is busy");
        drop(busy);
        assert!(
            registry.admit().is_some(),
            "a finished request frees its connection"
        );
        assert!(second.close.is_cancelled());
    }
}
