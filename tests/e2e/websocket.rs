use crate::helpers::spawn_app_with;
use futures_util::StreamExt;
use serde_json::Value;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

async fn next_event(
    socket: &mut (impl futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
              + Unpin),
) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("an event within 10 s")
            .expect("socket open")
            .expect("valid frame");
        if let Message::Text(text) = message {
            return serde_json::from_str(&text).expect("JSON event");
        }
    }
}

#[tokio::test]
async fn a_websocket_client_gets_hello_and_heartbeats() {
    let app = spawn_app_with(|config| config.ws_heartbeat = Duration::from_secs(1)).await;

    let (mut socket, response) = crate::helpers::connect_ws(app.addr, Some(&app.token))
        .await
        .expect("upgrade accepted");

    assert_eq!(response.status(), 101);
    let hello = next_event(&mut socket).await;
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(hello["heartbeat_secs"], 1);
    let beat = next_event(&mut socket).await;
    assert_eq!(beat["type"], "heartbeat");
    assert!(beat["uptime_secs"].is_u64());
}

#[tokio::test]
async fn a_plain_get_on_ws_is_refused() {
    let app = spawn_app_with(|_| {}).await;
    let response = app.get("/ws").await;
    assert!(response.status().is_client_error(), "{}", response.status());
}
