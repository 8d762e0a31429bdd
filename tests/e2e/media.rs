//! Inbound media is downloaded through the Graph API stand-in as soon as it arrives, within
//! the size cap, a few at a time, with the access token sent only where it belongs, and served
//! to the dashboard.

use crate::fake_graph::{media_bytes, FakeGraph};
use crate::helpers::{log_records, now_secs, spawn_app_with, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

fn image_message(message_id: &str, media_id: &str) -> Vec<u8> {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "metadata": {"phone_number_id": "106540352242922"},
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

#[tokio::test]
async fn a_media_url_on_another_host_is_not_fetched_with_the_token() {
    let (app, graph) = app_with_cap(1024 * 1024).await;

    assert_eq!(
        app.webhook(&image_message("wamid.away", "MEDIA_ELSEWHERE1"))
            .await
            .status(),
        200
    );

    let failed = media_outcome(&app, "MEDIA_ELSEWHERE1").await;
    assert_eq!(failed["kind"], "media_failed");
    let reason = failed["reason"].as_str().expect("reason");
    assert!(reason.contains("access token"), "{reason}");
    assert!(
        graph.seen_elsewhere().is_empty(),
        "no request at all reached the other host: {:?}",
        graph.seen_elsewhere()
    );
    assert_eq!(app.get("/api/media/MEDIA_ELSEWHERE1").await.status(), 404);
}

#[tokio::test]
async fn a_file_that_passes_the_cap_while_downloading_is_not_kept() {
    let (app, graph) = app_with_cap(1024).await;

    assert_eq!(
        app.webhook(&image_message("wamid.sneaky", "MEDIA_UNANNOUNCED1"))
            .await
            .status(),
        200
    );

    let failed = media_outcome(&app, "MEDIA_UNANNOUNCED1").await;
    assert_eq!(failed["kind"], "media_failed");
    assert!(
        failed["reason"].as_str().expect("reason").contains("limit"),
        "{failed}"
    );
    assert!(
        graph
            .seen()
            .iter()
            .any(|s| s.path == "/download/MEDIA_UNANNOUNCED1"),
        "the download was started: the size was only known while it ran"
    );
    let left: Vec<_> = std::fs::read_dir(app.data_path().join("media"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.file_name())
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "no file, whole or partial: {left:?}");
    assert_eq!(app.get("/api/media/MEDIA_UNANNOUNCED1").await.status(), 404);
}

#[tokio::test]
async fn many_media_messages_at_once_are_all_stored_a_few_downloads_at_a_time() {
    let (app, graph) = app_with_cap(1024 * 1024).await;
    let count = 3 * cocolu::media::PARALLEL_DOWNLOADS;
    let bodies: Vec<Vec<u8>> = (0..count)
        .map(|i| image_message(&format!("wamid.many.{i}"), &format!("MEDIA_SLOW{i}")))
        .collect();

    let answers = futures_util::future::join_all(bodies.iter().map(|body| app.webhook(body))).await;
    assert!(answers.iter().all(|a| a.status() == 200));

    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let stored = loop {
        let stored: Vec<Value> = log_records(&app.data_path())
            .into_iter()
            .filter(|r| r["kind"] == "media_stored" || r["kind"] == "media_failed")
            .collect();
        if stored.len() >= count || tokio::time::Instant::now() >= deadline {
            break stored;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(stored.len(), count, "every download finished: {stored:?}");
    assert!(
        stored.iter().all(|r| r["kind"] == "media_stored"),
        "none was dropped: {stored:?}"
    );
    for i in 0..count {
        assert!(app
            .data_path()
            .join(format!("media/MEDIA_SLOW{i}.jpg"))
            .is_file());
    }
    let most = graph.most_downloads_at_once();
    assert!(
        (1..=cocolu::media::PARALLEL_DOWNLOADS).contains(&most),
        "{most} downloads ran at once"
    );
}
