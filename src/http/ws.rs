//! `/ws`: the dashboard's live channel. Sends `hello` on connect and a `heartbeat` every
//! configured interval; closes with "going away" when the server shuts down. The session is
//! generic over sink and stream so it can be tested over channels.

use super::access::{check_origin, principal_of, Credential};
use super::ApiError;
use crate::events::Published;
use crate::http::state::{AppState, Runtime};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use cocolu_core::api::accounts::Role;
use cocolu_core::events::ServerEvent;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use std::sync::Arc;
use tokio::sync::broadcast;
use tokio::time::{interval_at, Instant, MissedTickBehavior};

/// Small buffers: an idle connection should cost a few kilobytes, not axum's 128 KiB default.
const BUFFER_BYTES: usize = 4 * 1024;
/// The dashboard only sends small control messages.
const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Close code 1001: the server is going away.
const GOING_AWAY: u16 = 1001;

pub fn router() -> Router<AppState> {
    Router::new().route("/ws", get(upgrade))
}

/// Only signed-in users (session cookie or API token) from an allowed origin get events.
async fn upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    connection: Option<axum::Extension<super::listen::ConnectionSlot>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_origin(&state.access, &headers)?;
    let Some(principal) = principal_of(&state, &headers) else {
        return Err(ApiError::Unauthorized(
            "Sign in first (or send an API token as `Authorization: Bearer`).".into(),
        ));
    };
    // A WebSocket counts apart from the connections answering requests, within the file limit.
    let place = match &connection {
        Some(slot) => Some(slot.0.websocket().ok_or(ApiError::Busy(
            "Too many live connections are open; try again in a moment.",
        ))?),
        None => None,
    };
    let rights = {
        let auth = state.auth.clone();
        let credential = Credential::of(&auth, &headers);
        Rights {
            role: principal.role,
            changes: auth.rights_changed(),
            check: Box::new(move || credential.as_ref()?.recheck(&auth).map(|p| p.role)),
        }
    };
    Ok(ws
        .read_buffer_size(BUFFER_BYTES)
        .write_buffer_size(BUFFER_BYTES)
        .max_message_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket: WebSocket| {
            let held = place;
            let (sink, stream) = socket.split();
            let metrics = state.metrics.clone();
            async move {
                metrics.ws_clients.inc();
                session(
                    sink,
                    stream,
                    state.events.subscribe(),
                    state.runtime.clone(),
                    rights,
                )
                .await;
                drop(held);
                metrics.ws_clients.dec();
            }
        }))
}

/// The credential a connection was opened with. It is checked again whenever accounts,
/// tokens or sessions change and at every heartbeat (sessions also end by time); when it no
/// longer works, or now carries another role, the connection is closed, so a revoked token or
/// a signed-out session stops receiving customers' messages at once, and a demoted user's
/// dashboard reconnects with its new rights.
pub struct Rights {
    /// The role the connection was opened with.
    pub role: Role,
    /// Wake when something that decides rights changed.
    pub changes: [tokio::sync::watch::Receiver<u64>; 2],
    /// The credential's role now, or `None` when it no longer works.
    pub check: Box<dyn Fn() -> Option<Role> + Send + Sync>,
}

impl Rights {
    fn still_hold(&self) -> bool {
        (self.check)() == Some(self.role)
    }
}

/// Close code 1008 (policy violation): the credential was revoked or its rights changed.
const REVOKED: u16 = 1008;

/// Tells the client why it is being disconnected (it reconnects with what it has now).
async fn close_revoked<S: Sink<Message> + Unpin>(sink: &mut S) {
    let close = CloseFrame {
        code: REVOKED,
        reason: "signed out or rights changed".into(),
    };
    let _ = tokio::time::timeout(SEND_TIMEOUT, sink.send(Message::Close(Some(close)))).await;
}

fn encode(event: &ServerEvent) -> Option<Message> {
    match serde_json::to_string(event) {
        Ok(text) => Some(Message::Text(text.into())),
        Err(error) => {
            tracing::error!(%error, "cannot encode a WebSocket event");
            None
        }
    }
}

/// A client whose socket does not take a message within this long is disconnected: a stalled
/// client must not hold its task (and its queue) forever. Others are never delayed by it,
/// since each connection has its own task and the broadcast does not wait.
const SEND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Sends one message; `false` when the client is gone or stalled.
async fn deliver<S: Sink<Message> + Unpin>(sink: &mut S, message: Message) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, sink.send(message)).await,
        Ok(Ok(()))
    )
}

/// One client's connection, until it closes, fails or the server shuts down.
pub async fn session<S, R, E>(
    mut sink: S,
    mut stream: R,
    mut events: broadcast::Receiver<Published>,
    runtime: Arc<Runtime>,
    rights: Rights,
) where
    S: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, E>> + Unpin,
{
    let hello = ServerEvent::Hello {
        version: env!("CARGO_PKG_VERSION").to_string(),
        heartbeat_secs: runtime.ws_heartbeat.as_secs(),
    };
    let Some(hello) = encode(&hello) else { return };
    if !deliver(&mut sink, hello).await {
        return;
    }
    let period = runtime.ws_heartbeat;
    let mut ticker = interval_at(Instant::now() + period, period);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // Anything from the client (a pong above all) shows it is alive; a client silent for
    // three heartbeats is gone (a phone that lost its network) and its task ends.
    let mut last_heard = Instant::now();
    let [mut accounts, mut sessions] = rights.changes.clone();
    loop {
        tokio::select! {
            () = runtime.shutdown.cancelled() => {
                let close = CloseFrame { code: GOING_AWAY, reason: "server shutting down".into() };
                let _ = sink.send(Message::Close(Some(close))).await;
                break;
            }
            Ok(()) = accounts.changed() => if !rights.still_hold() {
                close_revoked(&mut sink).await;
                break;
            },
            Ok(()) = sessions.changed() => if !rights.still_hold() {
                close_revoked(&mut sink).await;
                break;
            },
            _ = ticker.tick() => {
                if last_heard.elapsed() > period * 3 {
                    break;
                }
                // Sessions also end by time, with nothing else changing.
                if !rights.still_hold() {
                    close_revoked(&mut sink).await;
                    break;
                }
                let beat = ServerEvent::Heartbeat { uptime_secs: runtime.uptime().as_secs() };
                let Some(beat) = encode(&beat) else { break };
                if !deliver(&mut sink, beat).await
                    || !deliver(&mut sink, Message::Ping(Default::default())).await
                {
                    break;
                }
            }
            event = events.recv() => match event {
                Ok(published) => {
                    // Encoded once by the publisher; each client only shares the bytes.
                    let Ok(text) = Utf8Bytes::try_from(published.json) else { continue };
                    if !deliver(&mut sink, Message::Text(text)).await {
                        break;
                    }
                }
                // Too slow to keep up: close, the dashboard reconnects and reloads its state.
                Err(broadcast::error::RecvError::Lagged(_)) => break,
                Err(broadcast::error::RecvError::Closed) => {}
            },
            incoming = stream.next() => match incoming {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                // Pings are answered by the protocol layer; pongs and anything else only
                // show the client is alive.
                Some(Ok(_)) => last_heard = Instant::now(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_channel::mpsc;
    use std::time::Duration;
    use tokio_util::sync::CancellationToken;

    fn runtime(heartbeat: Duration) -> Arc<Runtime> {
        Arc::new(Runtime {
            started: std::time::Instant::now(),
            ws_heartbeat: heartbeat,
            shutdown: CancellationToken::new(),
            stale_after: Duration::from_secs(600),
            media_max_bytes: 1024,
            heavy: Arc::new(tokio::sync::Semaphore::new(1)),
            uploads: Arc::new(tokio::sync::Semaphore::new(1)),
        })
    }

    /// Rights that never change.
    fn lasting() -> Rights {
        Rights {
            role: Role::Agent,
            changes: [
                tokio::sync::watch::Sender::new(0).subscribe(),
                tokio::sync::watch::Sender::new(0).subscribe(),
            ],
            check: Box::new(|| Some(Role::Agent)),
        }
    }

    /// The next event, skipping the protocol's pings.
    async fn next_event(sent: &mut mpsc::UnboundedReceiver<Message>) -> ServerEvent {
        loop {
            match sent.next().await {
                Some(Message::Ping(_)) => continue,
                other => return event(other),
            }
        }
    }

    fn event(message: Option<Message>) -> ServerEvent {
        match message {
            Some(Message::Text(text)) => serde_json::from_str(&text).expect("valid event"),
            other => panic!("expected a text event, got {other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_gets_hello_then_heartbeats() {
        let (sink, mut sent) = mpsc::unbounded::<Message>();
        let (_keep_open, incoming) = mpsc::unbounded::<Result<Message, ()>>();
        let rt = runtime(Duration::from_secs(5));
        let (publish, events) = broadcast::channel(4);
        let task = tokio::spawn(session(sink, incoming, events, rt.clone(), lasting()));

        assert!(matches!(
            next_event(&mut sent).await,
            ServerEvent::Hello {
                heartbeat_secs: 5,
                ..
            }
        ));
        assert!(matches!(
            next_event(&mut sent).await,
            ServerEvent::Heartbeat { .. }
        ));
        let reloaded = ServerEvent::FileReloaded {
            file: "settings.json".into(),
        };
        publish
            .send(Published::new(reloaded.clone()))
            .expect("subscribed");
        assert_eq!(next_event(&mut sent).await, reloaded);
        assert!(matches!(
            next_event(&mut sent).await,
            ServerEvent::Heartbeat { .. }
        ));

        // Within three heartbeats a silent client stays connected, until the server goes away.
        rt.shutdown.cancel();
        loop {
            match sent.next().await {
                Some(Message::Close(Some(frame))) => {
                    assert_eq!(frame.code, GOING_AWAY);
                    break;
                }
                Some(Message::Ping(_) | Message::Text(_)) => {}
                other => panic!("expected the close frame, got {other:?}"),
            }
        }
        task.await.expect("session ends");
    }

    #[tokio::test(start_paused = true)]
    async fn a_client_that_stops_answering_is_dropped_after_three_heartbeats() {
        let (sink, _sent) = mpsc::unbounded::<Message>();
        let (_silent, incoming) = mpsc::unbounded::<Result<Message, ()>>();
        let (_publish, events) = broadcast::channel(4);
        let started = Instant::now();
        session(
            sink,
            incoming,
            events,
            runtime(Duration::from_secs(5)),
            lasting(),
        )
        .await;
        let lasted = started.elapsed();
        assert!(
            lasted >= Duration::from_secs(15) && lasted <= Duration::from_secs(21),
            "{lasted:?}"
        );
    }

    #[tokio::test]
    async fn the_session_ends_when_the_client_closes() {
        let (sink, _sent) = mpsc::unbounded::<Message>();
        let (client, incoming) = mpsc::unbounded::<Result<Message, ()>>();
        client
            .unbounded_send(Ok(Message::Close(None)))
            .expect("send");
        let (_publish, events) = broadcast::channel(4);
        session(
            sink,
            incoming,
            events,
            runtime(Duration::from_secs(60)),
            lasting(),
        )
        .await;
    }

    #[tokio::test]
    async fn a_revoked_credential_closes_the_connection_at_once() {
        let (sink, mut sent) = mpsc::unbounded::<Message>();
        let (_keep_open, incoming) = mpsc::unbounded::<Result<Message, ()>>();
        let (_publish, events) = broadcast::channel(4);
        let users = tokio::sync::watch::Sender::new(0u64);
        let valid = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let still = valid.clone();
        let rights = Rights {
            role: Role::Admin,
            changes: [
                users.subscribe(),
                tokio::sync::watch::Sender::new(0).subscribe(),
            ],
            check: Box::new(move || {
                still
                    .load(std::sync::atomic::Ordering::SeqCst)
                    .then_some(Role::Admin)
            }),
        };
        let task = tokio::spawn(session(
            sink,
            incoming,
            events,
            runtime(Duration::from_secs(3600)),
            rights,
        ));
        assert!(matches!(
            next_event(&mut sent).await,
            ServerEvent::Hello { .. }
        ));
        // A change that leaves the credential working keeps the connection.
        users.send_modify(|n| *n += 1);
        tokio::task::yield_now().await;
        assert!(!task.is_finished());
        valid.store(false, std::sync::atomic::Ordering::SeqCst);
        users.send_modify(|n| *n += 1);
        match sent.next().await {
            Some(Message::Close(Some(frame))) => assert_eq!(frame.code, REVOKED),
            other => panic!("expected the close frame, got {other:?}"),
        }
        tokio::time::timeout(Duration::from_secs(5), task)
            .await
            .expect("the session ends")
            .expect("no panic");
    }
}
