//! Inbound media is downloaded through the Graph API stand-in as soon as it arrives, within
//! the size cap, and served to the dashboard.

use crate::fake_graph::{media_bytes, FakeGraph};
use crate::helpers::{now_secs, spawn_app_with, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

fn image_message(message_id: &str, media_id: &str) -> Vec<u8> {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "metadata": {"phone_number_id": "PNID"},
        "contacts": [{"profile": {"name": "Eva"}, "wa_id": "584127777777", "user_id": "VE.eva"}],
        "messages": [{"from": "584127777777", "id": message_id, "timestamp": now_secs().to_string(), "type": "image",
                      "image": {"id": media_id, "mime_type": "image/jpeg", "caption": "¿tienen este?"}}]
    }}]}]})
    .to_string()
    .into_bytes()
}

async fn media_outcome(app: &TestApp, media_id: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let records = app.get_json("/api/conversations/VE.eva/messages").await;
        if let Some(found) = records.as_array().expect("list").iter().find(|r| {
            r["media_id"] == media_id
                && (r["kind"] == "media_stored" || r["kind"] == "media_failed")
        }) {
            return found.clone();
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no media outcome logged for {media_id}: {records}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn app_with_cap(max_bytes: u64) -> (TestApp, FakeGraph) {
    let graph = FakeGraph::start().await;
    let url = graph.url.clone();
    let app = spawn_app_with(move |config| {
        config.meta.graph_url = url;
        config.media_max_bytes = max_bytes;
    })
    .await;
    (app, graph)
}

#[tokio::test]
async fn an_inbound_image_is_downloaded_and_served() {
    let (app, _graph) = app_with_cap(1024).await;

    assert_eq!(
        app.webhook(&image_message("wamid.img", "MEDIA1"))
            .await
            .status(),
        200
    );

    let stored = media_outcome(&app, "MEDIA1").await;
    assert_eq!(stored["kind"], "media_stored");
    assert_eq!(stored["message_id"], "wamid.img");
    assert_eq!(stored["file"], "MEDIA1.jpg");
    assert!(app.data_path().join("media/MEDIA1.jpg").is_file());
    let served = app.get("/api/media/MEDIA1").await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/jpeg");
    assert_eq!(
        served.bytes().await.expect("bytes").to_vec(),
        media_bytes("MEDIA1")
    );
}

#[tokio::test]
async fn media_over_the_cap_is_not_downloaded_and_says_why() {
    let (app, graph) = app_with_cap(1024).await;

    assert_eq!(
        app.webhook(&image_message("wamid.big", "MEDIA_BIG1"))
            .await
            .status(),
        200
    );

    let failed = media_outcome(&app, "MEDIA_BIG1").await;
    assert_eq!(failed["kind"], "media_failed");
    assert!(
        failed["reason"].as_str().expect("reason").contains("limit"),
        "{failed}"
    );
    assert!(
        !graph
            .seen()
            .iter()
            .any(|s| s.path.starts_with("/download/")),
        "not even downloaded"
    );
    assert_eq!(app.get("/api/media/MEDIA_BIG1").await.status(), 404);
}

#[tokio::test]
async fn a_media_id_that_is_not_a_file_name_is_refused() {
    let (app, _graph) = app_with_cap(1024).await;
    assert_eq!(app.get("/api/media/..%2F..%2Fsettings").await.status(), 404);
}
