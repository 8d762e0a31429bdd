//! `/ws`: the dashboard's live channel. Sends `hello` on connect and a `heartbeat` every
//! configured interval; closes with "going away" when the server shuts down. The session is
//! generic over sink and stream so it can be tested over channels.

use super::access::{check_origin, principal_of};
use super::ApiError;
use crate::state::{AppState, Runtime};
use crate::store::Published;
use app::events::ServerEvent;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
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
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    check_origin(&state.access, &headers)?;
    if principal_of(&state, &headers).is_none() {
        return Err(ApiError::Unauthorized(
            "Sign in first (or send an API token as `Authorization: Bearer`).".into(),
        ));
    }
    Ok(ws
        .read_buffer_size(BUFFER_BYTES)
        .write_buffer_size(BUFFER_BYTES)
        .max_message_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket: WebSocket| {
            let (sink, stream) = socket.split();
            let metrics = state.metrics.clone();
            async move {
                metrics
                    .ws_clients
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                session(sink, stream, state.store.subscribe(), state.runtime).await;
                metrics
                    .ws_clients
                    .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            }
        }))
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
    loop {
        tokio::select! {
            () = runtime.shutdown.cancelled() => {
                let close = CloseFrame { code: GOING_AWAY, reason: "server shutting down".into() };
                let _ = sink.send(Message::Close(Some(close))).await;
                break;
            }
            _ = ticker.tick() => {
                if last_heard.elapsed() > period * 3 {
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
        })
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
        let task = tokio::spawn(session(sink, incoming, events, rt.clone()));

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
        session(sink, incoming, events, runtime(Duration::from_secs(5))).await;
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
        session(sink, incoming, events, runtime(Duration::from_secs(60))).await;
    }
}
