//! Accepting connections, for when Cocolu faces the internet without nginx in front.
//!
//! - Every connection has [`Limits::header_timeout`] to send a request's headers. The same
//!   deadline runs while a keep-alive connection waits for its next request, so it is also
//!   the idle timeout. A request's whole body must arrive within [`BODY_TIMEOUT`] of its
//!   start, however slowly it trickles ([`UPLOAD_BODY_TIMEOUT`] for a file attached in the
//!   dashboard).
//! - Open connections are capped below the process's file limit ([`Limits::max_connections`]),
//!   so the server never runs out of descriptors for its own files, and each holds at most
//!   [`READ_BUFFER_BYTES`] of unread input.
//! - At the cap, a new connection takes the place of the one idle the longest (a half-sent
//!   request, or a keep-alive connection waiting for its next one), else of the one that has
//!   been sending a request body for longest, past a short grace. A flood of half-open or
//!   trickling connections therefore cannot lock out the dashboard, `/healthz` or Meta's
//!   webhooks: whoever sends a whole request promptly is served. A request being answered is
//!   never cut; only when every connection is answering one is the new one closed at once.
//! - WebSockets count apart, up to what the file limit leaves (see [`ConnectionSlot`]), and
//!   are never pushed out.

use axum::extract::connect_info::ConnectInfo;
use axum::Router;
use bytes::Bytes;
use http_body::{Body as _, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use parking_lot::Mutex;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// How long a client has to send a request's whole body, from the request's start.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// The same for a file attached in the dashboard (`POST /api/uploads`, up to 100 MB): a
/// document from a phone on a slow line. Only a signed-in person gets this far (rights are
/// checked before the body is read), two at a time, and at the connection cap such a
/// connection can still make room for new ones.
pub const UPLOAD_BODY_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// The most unread input one connection may hold (a dashboard's headers, cookies included,
/// are a few KiB).
pub const READ_BUFFER_BYTES: usize = 16 * 1024;
/// How long a request body may be on its way before, at the cap, its connection can make
/// room for a new one.
const RECEIVE_GRACE_MS: u64 = 2_000;
/// The default cap, whatever the file limit allows: beyond it, memory is the limit.
const DEFAULT_MAX_CONNECTIONS: usize = 4096;

/// How connections are bounded.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// To send a request's headers, and to send the next request on a kept-alive connection.
    pub header_timeout: Duration,
    /// Connections open at once; `None`: the open-file limit less room for the server's own
    /// files (at most 4,096), read again when the cap is reached (an operator may raise the
    /// limit of a running server with `prlimit`).
    pub max_connections: Option<usize>,
}

/// Descriptors kept for the server's own use (log segments, documents being saved, the
/// file watcher, media downloads, connections to Meta) when the cap is derived from the file
/// limit.
const RESERVED_DESCRIPTORS: u64 = 96;

/// The cap the open-file limit allows now.
fn cap_from_file_limit() -> usize {
    descriptors_for_connections().clamp(16, DEFAULT_MAX_CONNECTIONS)
}

/// The descriptors the open-file limit leaves for connections of any kind.
fn descriptors_for_connections() -> usize {
    let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(65_536);
    usize::try_from(soft.saturating_sub(RESERVED_DESCRIPTORS)).unwrap_or(usize::MAX)
}

/// How many WebSockets may be open at once: what the file limit leaves besides the request
/// connections' cap, and at least half of it (WebSockets need a credential; a shop has a
/// handful, a bench ten thousand).
fn websocket_cap(http_cap: usize) -> usize {
    let descriptors = descriptors_for_connections();
    descriptors
        .saturating_sub(http_cap)
        .max(descriptors / 2)
        .max(16)
}

/// Added to a connection's request count when it is pushed out: a request that starts on it
/// afterwards is refused instead of run half-way.
const EVICTED: usize = usize::MAX / 2;

/// One open connection, as the cap sees it.
struct Connection {
    /// Requests being answered on it right now (WebSockets count as one for their life).
    in_flight: AtomicUsize,
    /// When it last started or finished a request (ms since the registry started).
    last_active: AtomicU64,
    /// When the body still being received started (ms since the registry started, plus
    /// one); 0 while no body is on its way.
    receiving_since: AtomicU64,
    /// Cancelled to close it.
    close: CancellationToken,
}

impl Connection {
    /// Counts a request in, unless the connection was pushed out.
    fn enter(&self) -> bool {
        let mut current = self.in_flight.load(Ordering::Acquire);
        loop {
            if current >= EVICTED {
                return false;
            }
            match self.in_flight.compare_exchange(
                current,
                current + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return true,
                Err(actual) => current = actual,
            }
        }
    }
}

/// The open connections.
struct Registry {
    /// The configured cap, if any.
    configured: Option<usize>,
    /// The cap in force (of connections answering requests; WebSockets count apart).
    max: AtomicUsize,
    /// WebSockets open now, and how many may be.
    websockets: AtomicUsize,
    max_websockets: usize,
    started: Instant,
    next_id: AtomicU64,
    open: Mutex<HashMap<u64, Arc<Connection>>>,
}

impl Registry {
    fn new(configured: Option<usize>) -> Registry {
        let max = configured.unwrap_or_else(cap_from_file_limit).max(1);
        Registry {
            configured,
            max: AtomicUsize::new(max),
            websockets: AtomicUsize::new(0),
            max_websockets: websocket_cap(max),
            started: Instant::now(),
            next_id: AtomicU64::new(0),
            open: Mutex::new(HashMap::new()),
        }
    }

    fn now(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// Pushes out one connection to make room (see the module's documentation); `false`
    /// when every connection is answering a request.
    fn make_room(&self, open: &mut HashMap<u64, Arc<Connection>>) -> bool {
        let mut idle: Vec<(u64, u64)> = open
            .iter()
            .filter(|(_, c)| c.in_flight.load(Ordering::Acquire) == 0)
            .map(|(id, c)| (c.last_active.load(Ordering::Relaxed), *id))
            .collect();
        idle.sort_unstable();
        for (_, id) in idle {
            let Some(connection) = open.get(&id) else {
                continue;
            };
            // Only if no request started on it meanwhile.
            if connection
                .in_flight
                .compare_exchange(0, EVICTED, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
            {
                connection.close.cancel();
                open.remove(&id);
                return true;
            }
        }
        let now = self.now();
        let trickling = open
            .iter()
            .filter_map(|(id, c)| {
                let since = c.receiving_since.load(Ordering::Acquire);
                (since > 0 && now.saturating_sub(since - 1) > RECEIVE_GRACE_MS)
                    .then_some((since, *id))
            })
            .min();
        if let Some((_, id)) = trickling {
            if let Some(connection) = open.remove(&id) {
                connection.in_flight.fetch_add(EVICTED, Ordering::AcqRel);
                connection.close.cancel();
                return true;
            }
        }
        false
    }

    /// A place for a new connection, making room at the cap; `None` when there is none.
    fn admit(self: &Arc<Self>) -> Option<Arc<Slot>> {
        let mut open = self.open.lock();
        if open.len() >= self.max.load(Ordering::Relaxed) && self.configured.is_none() {
            self.max.store(cap_from_file_limit(), Ordering::Relaxed);
        }
        if open.len() >= self.max.load(Ordering::Relaxed) && !self.make_room(&mut open) {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let connection = Arc::new(Connection {
            in_flight: AtomicUsize::new(0),
            last_active: AtomicU64::new(self.now()),
            receiving_since: AtomicU64::new(0),
            close: CancellationToken::new(),
        });
        open.insert(id, connection.clone());
        Some(Arc::new(Slot {
            id,
            connection,
            registry: self.clone(),
        }))
    }
}

/// A connection's place among the open ones, given up when the last holder lets go: the task
/// serving the connection, and a WebSocket opened on it.
pub struct Slot {
    id: u64,
    connection: Arc<Connection>,
    registry: Arc<Registry>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.registry.open.lock().remove(&self.id);
    }
}

/// In each request's extensions: the place of the connection it came on. A WebSocket takes
/// it over ([`ConnectionSlot::websocket`]): it then counts among the WebSockets instead of
/// the connections answering requests, and is never pushed out.
#[derive(Clone)]
pub struct ConnectionSlot(Arc<Slot>);

/// A WebSocket's place, given up when dropped.
pub struct WebSocketPlace {
    registry: Arc<Registry>,
}

impl Drop for WebSocketPlace {
    fn drop(&mut self) {
        self.registry.websockets.fetch_sub(1, Ordering::AcqRel);
    }
}

impl ConnectionSlot {
    /// Turns the connection into a WebSocket's: `None` when as many WebSockets are open as
    /// the file limit allows.
    pub fn websocket(&self) -> Option<WebSocketPlace> {
        let registry = &self.0.registry;
        if registry.websockets.fetch_add(1, Ordering::AcqRel) >= registry.max_websockets {
            registry.websockets.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        // Its place among the connections answering requests is free for another.
        registry.open.lock().remove(&self.0.id);
        Some(WebSocketPlace {
            registry: registry.clone(),
        })
    }
}

/// Marks a connection busy while a request is answered, until its response body is fully
/// sent or dropped (and for a WebSocket's life).
pub struct Busy {
    slot: Arc<Slot>,
}

impl Busy {
    fn start(slot: Arc<Slot>) -> Option<Busy> {
        if !slot.connection.enter() {
            return None;
        }
        slot.connection
            .last_active
            .store(slot.registry.now(), Ordering::Relaxed);
        Some(Busy { slot })
    }

    /// A request body is on its way (until [`Busy::received`] or the answer).
    fn receiving(&self) {
        let now = self.slot.registry.now().saturating_add(1);
        self.slot
            .connection
            .receiving_since
            .store(now, Ordering::Release);
    }

    fn received(&self) {
        self.slot
            .connection
            .receiving_since
            .store(0, Ordering::Release);
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        let connection = &self.slot.connection;
        connection.receiving_since.store(0, Ordering::Release);
        connection
            .last_active
            .store(self.slot.registry.now(), Ordering::Relaxed);
        connection.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A request body that must arrive whole within its time ([`BODY_TIMEOUT`], or
/// [`UPLOAD_BODY_TIMEOUT`]) of the request's start.
struct DeadlineBody {
    inner: Incoming,
    deadline: Pin<Box<tokio::time::Sleep>>,
    limit: Duration,
    busy: Arc<Busy>,
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            if frame.is_none() || this.inner.is_end_stream() {
                this.busy.received();
            }
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        if this.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(format!(
                "the request body did not arrive within {} seconds",
                this.limit.as_secs()
            )
            .into())));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body that keeps its connection busy until it is fully sent (or dropped).
struct TrackedBody {
    inner: axum::body::Body,
    busy: Option<Arc<Busy>>,
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        let frame = Pin::new(&mut this.inner).poll_frame(cx);
        if matches!(frame, Poll::Ready(None)) {
            this.busy = None;
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Answers one request on a connection of `slot`.
async fn answer(
    router: Router,
    slot: Arc<Slot>,
    peer: std::net::SocketAddr,
    mut request: hyper::Request<Incoming>,
) -> Result<axum::response::Response, std::convert::Infallible> {
    let Some(busy) = Busy::start(slot.clone()).map(Arc::new) else {
        // Pushed out just now: the connection is closing.
        let mut refused = axum::response::Response::new(axum::body::Body::empty());
        *refused.status_mut() = axum::http::StatusCode::SERVICE_UNAVAILABLE;
        return Ok(refused);
    };
    request.extensions_mut().insert(ConnectInfo(peer));
    request.extensions_mut().insert(ConnectionSlot(slot));
    if !request.body().is_end_stream() {
        busy.receiving();
    }
    let limit = if request.uri().path() == super::uploads::PATH {
        UPLOAD_BODY_TIMEOUT
    } else {
        BODY_TIMEOUT
    };
    let deadline = Box::pin(tokio::time::sleep(limit));
    let body_busy = busy.clone();
    let request = request.map(|inner| {
        axum::body::Body::new(DeadlineBody {
            inner,
            deadline,
            limit,
            busy: body_busy,
        })
    });
    let response = router.oneshot(request).await?;
    Ok(response.map(|inner| {
        axum::body::Body::new(TrackedBody {
            inner,
            busy: Some(busy),
        })
    }))
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
    let registry = Arc::new(Registry::new(limits.max_connections));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size(READ_BUFFER_BYTES)
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
        let Some(slot) = registry.admit() else {
            tracing::debug!(peer = %peer, "every connection is busy: a new one was closed");
            continue;
        };
        // Pages stream in several small writes: without TCP_NODELAY each one after the first
        // waits for the client's delayed acknowledgement (40 ms on Linux).
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY could not be set on a connection");
        }
        let close = slot.connection.close.clone();
        let service = {
            let router = router.clone();
            let slot = slot.clone();
            hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                answer(router.clone(), slot.clone(), peer, request)
            })
        };
        let serving = http
            .serve_connection(TokioIo::new(stream), service)
            .with_upgrades();
        let shutdown = shutdown.clone();
        tasks.spawn(async move {
            let mut serving = std::pin::pin!(serving);
            tokio::select! {
                _ = serving.as_mut() => {}
                () = close.cancelled() => {}
                () = shutdown.cancelled() => {
                    serving.as_mut().graceful_shutdown();
                    tokio::select! {
                        _ = serving.as_mut() => {}
                        () = close.cancelled() => {}
                    }
                }
            }
            drop(slot);
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

    #[test]
    fn at_the_cap_the_idlest_connection_makes_room_and_busy_ones_are_kept() {
        let registry = Arc::new(Registry::new(Some(2)));
        let first = registry.admit().expect("room");
        let second = registry.admit().expect("room");
        let busy = Busy::start(second.clone()).expect("counted");
        let third = registry.admit().expect("the idle one makes room");
        assert!(
            first.connection.close.is_cancelled(),
            "the idle connection is closed"
        );
        assert!(
            Busy::start(first.clone()).is_none(),
            "and takes no request after"
        );
        assert!(
            !second.connection.close.is_cancelled(),
            "a request being answered stays"
        );
        let _also_busy = Busy::start(third.clone()).expect("counted");
        assert!(registry.admit().is_none(), "every connection is busy");
        drop(busy);
        assert!(
            registry.admit().is_some(),
            "a finished request frees its connection"
        );
        assert!(second.connection.close.is_cancelled());
    }

    #[test]
    fn a_body_trickling_past_the_grace_makes_room_but_a_fresh_one_does_not() {
        let mut registry = Registry::new(Some(1));
        // As if the server had been up for a minute.
        registry.started = Instant::now()
            .checked_sub(Duration::from_secs(60))
            .expect("a minute ago");
        let registry = Arc::new(registry);
        let slot = registry.admit().expect("room");
        let busy = Busy::start(slot.clone()).expect("counted");
        busy.receiving();
        assert!(
            registry.admit().is_none(),
            "within the grace the upload goes on"
        );
        // The same body, on its way since the server started.
        slot.connection.receiving_since.store(1, Ordering::Release);
        assert!(registry.admit().is_some(), "past the grace it makes room");
        assert!(slot.connection.close.is_cancelled());
        busy.received();
        drop(busy);
    }

    #[test]
    fn a_websocket_counts_apart_and_frees_its_request_slot() {
        let registry = Arc::new(Registry::new(Some(1)));
        let slot = registry.admit().expect("room");
        let websocket = ConnectionSlot(slot.clone())
            .websocket()
            .expect("a WebSocket");
        assert_eq!(registry.websockets.load(Ordering::Acquire), 1);
        assert!(registry.open.lock().is_empty(), "its request slot is free");
        let other = registry.admit().expect("room for a request");
        assert!(
            !slot.connection.close.is_cancelled(),
            "the WebSocket is not pushed out"
        );
        drop(websocket);
        assert_eq!(registry.websockets.load(Ordering::Acquire), 0);
        drop((slot, other));
    }
}
