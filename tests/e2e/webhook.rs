//! Meta's webhook: the handshake, signatures, every message type in batches, statuses and
//! errors, duplicates, stale messages, messages for another number or without a usable id,
//! what reaches the server's log, and what the dashboard is told.

use crate::helpers::{
    now_secs, post_webhook, spawn_app, spawn_app_with, spawn_app_with_graph,
    spawn_binary_with_stderr, text_message, APP_SECRET, VERIFY_TOKEN,
};
use cocolu::channel::meta::signature::sign;
use serde_json::{json, Value};
use std::time::Duration;

fn body_with(value: Value) -> Vec<u8> {
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}]})
        .to_string()
        .into_bytes()
}

#[tokio::test]
async fn the_handshake_echoes_the_challenge_only_for_the_right_token() {
    let app = spawn_app().await;
    let url = |token: &str| {
        format!("/webhook?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444")
    };

    let ok = app.get(&url(VERIFY_TOKEN)).await;
    assert_eq!(ok.status(), 200);
    assert!(ok.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/plain"));
    assert_eq!(ok.text().await.expect("body"), "1158201444");

    assert_eq!(app.get(&url("wrong")).await.status(), 403);
    assert_eq!(
        app.get("/webhook?hub.mode=subscribe&hub.challenge=1")
            .await
            .status(),
        403
    );
}

#[tokio::test]
async fn signatures_are_checked_on_the_raw_bytes() {
    let app = spawn_app().await;
    let body = text_message(
        "wamid.firma",
        "584121111111",
        "¿Tienen envíos a Mérida? 🚚",
        now_secs(),
    );
    let post = |signature: Option<String>, body: Vec<u8>| {
        let mut request = app.client.post(app.url("/webhook")).body(body);
        if let Some(signature) = signature {
            request = request.header("x-hub-signature-256", signature);
        }
        request.send()
    };

    let mut changed = body.clone();
    let last = changed.len() - 3;
    changed[last] ^= 1;
    let cases = [
        (
            "missing",
            post(None, body.clone()).await.expect("sent").status(),
        ),
        (
            "wrong secret",
            post(Some(sign(b"other-secret", &body)), body.clone())
                .await
                .expect("sent")
                .status(),
        ),
        (
            "one byte changed",
            post(Some(sign(APP_SECRET.as_bytes(), &body)), changed)
                .await
                .expect("sent")
                .status(),
        ),
        (
            "garbage",
            post(Some("sha256=xyz".into()), body.clone())
                .await
                .expect("sent")
                .status(),
        ),
    ];
    for (case, status) in cases {
        assert_eq!(status, 401, "{case}");
    }
    assert_eq!(
        app.store.index.read().record_count(),
        0,
        "nothing refused is stored"
    );

    let accepted = post(Some(sign(APP_SECRET.as_bytes(), &body)), body.clone())
        .await
        .expect("sent");
    assert_eq!(
        accepted.status(),
        200,
        "accents and emoji, signed correctly"
    );
    let status = app.get_json("/api/status").await;
    assert_eq!(status["channel"]["webhooks_rejected"], 4);
    assert_eq!(status["channel"]["webhooks_received"], 1);
    assert!(status["channel"]["last_webhook_at"].is_i64());
}

#[tokio::test]
async fn without_an_app_secret_webhooks_are_refused_with_503() {
    let app = spawn_app_with(|config| config.meta.app_secret = None).await;
    let response = app
        .webhook(&text_message("wamid.x", "58412", "hola", now_secs()))
        .await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "not_configured");
    assert!(body["error"]["message"]
        .as_str()
        .expect("message")
        .contains("META_APP_SECRET"));
}

#[tokio::test]
async fn a_batch_with_every_message_type_statuses_and_errors_is_stored_whole() {
    let app = spawn_app().await;
    let mut events = app.events().await;
    let ts = now_secs().to_string();
    let kinds = [
        ("text", json!({"text": {"body": "Hola"}})),
        (
            "image",
            json!({"image": {"id": "M1", "mime_type": "image/jpeg", "caption": "¿este?"}}),
        ),
        ("audio", json!({"audio": {"id": "M2", "voice": true}})),
        ("video", json!({"video": {"id": "M3"}})),
        (
            "document",
            json!({"document": {"id": "M4", "filename": "lista.pdf"}}),
        ),
        ("sticker", json!({"sticker": {"id": "M5"}})),
        (
            "location",
            json!({"location": {"latitude": 10.49, "longitude": -66.87, "name": "Plaza"}}),
        ),
        (
            "contacts",
            json!({"contacts": [{"name": {"formatted_name": "Ana"}}]}),
        ),
        (
            "interactive",
            json!({"interactive": {"type": "list_reply", "list_reply": {"id": "horario", "title": "Horario"}}}),
        ),
        ("button", json!({"button": {"payload": "SI", "text": "Sí"}})),
        (
            "reaction",
            json!({"reaction": {"message_id": "wamid.prev", "emoji": "❤️"}}),
        ),
        (
            "order",
            json!({"order": {"catalog_id": "C1", "product_items": [{"product_retailer_id": "P1", "quantity": 2}]}}),
        ),
        (
            "system",
            json!({"system": {"body": "cambió de número", "type": "user_changed_number"}}),
        ),
        (
            "unsupported",
            json!({"errors": [{"code": 131051, "title": "Message type unknown"}]}),
        ),
        ("teleport", json!({"teleport": {"to": "Marte"}})),
    ];
    let messages: Vec<Value> = kinds
        .iter()
        .enumerate()
        .map(|(i, (kind, extra))| {
            let mut m = json!({"from": "584122222222", "id": format!("wamid.batch.{i}"), "timestamp": ts, "type": kind});
            m.as_object_mut().expect("object").extend(extra.as_object().expect("object").clone());
            m
        })
        .collect();
    let body = json!({"object": "whatsapp_business_account", "entry": [
        {"id": "WABA", "changes": [
            {"field": "messages", "value": {"metadata": {"phone_number_id": "106540352242922"},
                "contacts": [{"profile": {"name": "Carla"}, "wa_id": "584122222222", "user_id": "VE.carla"}],
                "messages": messages}},
            {"field": "messages", "value": {"statuses": [
                {"id": "wamid.out1", "status": "read", "timestamp": ts, "recipient_id": "584122222222", "recipient_user_id": "VE.carla"},
                {"id": "wamid.out1", "status": "delivered", "timestamp": ts, "recipient_id": "584122222222", "recipient_user_id": "VE.carla"},
                {"id": "wamid.out2", "status": "failed", "timestamp": ts, "recipient_id": "584122222222", "recipient_user_id": "VE.carla",
                 "errors": [{"code": 131047, "title": "Re-engagement message"}]}]}}]},
        {"id": "WABA", "changes": [{"field": "messages", "value": {"errors": [{"code": 131000, "title": "Something went wrong"}]}}]}
    ]})
    .to_string()
    .into_bytes();

    assert_eq!(app.webhook(&body).await.status(), 200);

    let stored: Vec<Value> = {
        let index = app.store.index.read();
        index
            .latest(&app.store.log, "VE.carla", 100)
            .expect("conversation keyed by user id")
            .iter()
            .map(|r| serde_json::from_slice::<Value>(r).expect("JSON record"))
            // Media downloads log their outcome in the conversation too, as they finish.
            .filter(|r| r["kind"] == "message_in" || r["kind"] == "status")
            .collect()
    };
    assert_eq!(
        stored.len(),
        kinds.len() + 3,
        "every message and status of the customer"
    );
    for (i, (kind, _)) in kinds.iter().enumerate() {
        assert_eq!(stored[i]["kind"], "message_in");
        assert_eq!(stored[i]["type"], *kind);
        assert_eq!(
            stored[i]["message"], messages[i],
            "{kind} stored as it came"
        );
        assert_eq!(stored[i]["contact"]["wa_id"], "584122222222");
    }
    assert_eq!(stored[kinds.len() + 2]["status"], "failed");
    assert_eq!(stored[kinds.len() + 2]["errors"][0]["code"], 131047);

    let mut seen = Vec::new();
    while let Some(event) = events.next(Duration::from_millis(500)).await {
        seen.push(event["type"].as_str().expect("type").to_string());
    }
    assert_eq!(
        seen.iter().filter(|t| *t == "message_received").count(),
        kinds.len()
    );
    assert_eq!(seen.iter().filter(|t| *t == "message_status").count(), 3);
    assert_eq!(seen.iter().filter(|t| *t == "channel_error").count(), 1);
}

#[tokio::test]
async fn an_errors_only_or_empty_payload_is_accepted() {
    let app = spawn_app().await;
    let errors_only =
        body_with(json!({"errors": [{"code": 131026, "title": "Message undeliverable"}]}));
    assert_eq!(app.webhook(&errors_only).await.status(), 200);
    assert_eq!(
        app.webhook(br#"{"object":"whatsapp_business_account","entry":[]}"#)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.webhook(
            br#"{"entry":[{"changes":[{"field":"account_update","value":{"event":"X"}}]}]}"#
        )
        .await
        .status(),
        200
    );
}

#[tokio::test]
async fn the_same_message_twice_is_stored_once() {
    let app = spawn_app().await;
    let body = text_message("wamid.twice", "584123333333", "hola", now_secs());
    let (first, second) = tokio::join!(app.webhook(&body), app.webhook(&body));
    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (200, 200)
    );
    assert_eq!(app.webhook(&body).await.status(), 200);

    let records = app
        .get_json("/api/conversations/VE.584123333333/messages")
        .await;
    let stored = records
        .as_array()
        .expect("list")
        .iter()
        .filter(|r| r["kind"] == "message_in");
    assert_eq!(stored.count(), 1);
    assert_eq!(
        app.get_json("/api/status").await["channel"]["duplicates"],
        2
    );
}

#[tokio::test]
async fn a_stale_message_is_stored_and_marked() {
    let app = spawn_app().await;
    let hour_ago = now_secs() - 3600;
    assert_eq!(
        app.webhook(&text_message("wamid.old", "584124444444", "hola", hour_ago))
            .await
            .status(),
        200
    );
    assert_eq!(
        app.webhook(&text_message(
            "wamid.new",
            "584124444444",
            "hola",
            now_secs()
        ))
        .await
        .status(),
        200
    );

    let index = app.store.index.read();
    let records = index
        .latest(&app.store.log, "VE.584124444444", 10)
        .expect("read");
    let old: Value = serde_json::from_slice(&records[0]).expect("json");
    let new: Value = serde_json::from_slice(&records[1]).expect("json");
    assert_eq!(old["stale"], true);
    assert!(new.get("stale").is_none());
}

#[tokio::test]
async fn an_oversized_webhook_is_refused() {
    let app = spawn_app().await;
    let body = vec![b' '; cocolu::http::MAX_BODY_BYTES + 1];
    let response = post_webhook(&app.client, &app.url("/webhook"), &body).await;
    assert_eq!(response.status(), 413);
    // The rest of the body is never read, so the connection is not used again: the answer
    // says so, and the client's next webhook goes out on a new connection instead of failing
    // on the closed one.
    assert_eq!(
        response.headers().get("connection").map(|v| v.as_bytes()),
        Some(&b"close"[..])
    );
    for round in 0..20 {
        let _ = app
            .client
            .post(app.url("/webhook"))
            .body(body.clone())
            .send()
            .await;
        let small = message_to(
            "123456789",
            json!(format!("wamid.after-{round}")),
            "584125550000",
        );
        let response = post_webhook(&app.client, &app.url("/webhook"), &small).await;
        assert_eq!(response.status(), 200, "round {round}");
    }
}

/// A webhook body with one text message from `from` to business number `to`.
fn message_to(to: &str, id: Value, from: &str) -> Vec<u8> {
    body_with(json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "584120000001", "phone_number_id": to},
        "contacts": [{"profile": {"name": "Cliente"}, "wa_id": from, "user_id": format!("VE.{from}")}],
        "messages": [{"from": from, "id": id, "timestamp": now_secs().to_string(), "type": "text", "text": {"body": "hola"}}]
    }))
}

#[tokio::test]
async fn a_message_for_another_business_number_is_stored_but_not_answered() {
    let (app, graph) = spawn_app_with_graph().await;

    let foreign = message_to("ANOTHER_PNID", json!("wamid.foreign"), "584125550001");
    assert_eq!(app.webhook(&foreign).await.status(), 200);
    // A message to our number afterwards: once the bot has answered it, it has had every
    // chance to answer the first.
    let ours = message_to("106540352242922", json!("wamid.ours"), "584125550002");
    assert_eq!(app.webhook(&ours).await.status(), 200);
    graph.wait_for_sends(2, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    let records = app
        .get_json("/api/conversations/VE.584125550001/messages")
        .await;
    let stored: Vec<&Value> = records
        .as_array()
        .expect("list")
        .iter()
        .filter(|r| r["kind"] == "message_in")
        .collect();
    assert_eq!(stored.len(), 1, "{records}");
    assert_eq!(stored[0]["id"], "wamid.foreign");
    assert_eq!(stored[0]["phone_number_id"], "ANOTHER_PNID");
    let to_foreign: Vec<_> = graph
        .seen()
        .into_iter()
        .filter(|s| {
            let body = s.body.to_string();
            s.method == "POST" && (body.contains("584125550001") || body.contains("wamid.foreign"))
        })
        .collect();
    assert!(
        to_foreign.is_empty(),
        "no reply or read receipt: {to_foreign:?}"
    );
    assert!(
        graph.sends().iter().any(|s| s["to"] == "584125550002"),
        "our own customer was answered"
    );
}

#[tokio::test]
async fn a_message_whose_id_is_a_number_is_acknowledged_and_kept_whole() {
    let app = spawn_app().await;
    let body = message_to("106540352242922", json!(12345), "584125550003");

    assert_eq!(app.webhook(&body).await.status(), 200);

    let records = app
        .get_json("/api/conversations/VE.584125550003/messages")
        .await;
    let records = records.as_array().expect("list");
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["kind"], "unreadable");
    assert_eq!(records[0]["part"], "message");
    assert_eq!(records[0]["raw"]["id"], 12345);
    assert_eq!(records[0]["raw"]["text"]["body"], "hola", "kept as it came");
}

#[tokio::test]
async fn newlines_and_escape_sequences_from_a_webhook_do_not_reach_the_log_raw() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let server = spawn_binary_with_stderr(dir.path(), &[], &[("RUST_LOG", "info")], log.into());
    let from = "58412\nINFO forged line \x1b[31m";
    let body = body_with(json!({
        "metadata": {"phone_number_id": "106540352242922"},
        "messages": [{"from": from, "id": "wamid.\r\nx\x1b[0m", "timestamp": now_secs().to_string(), "type": "text\n", "text": {"body": "hola"}}]
    }));

    let response = post_webhook(
        &server.client,
        &format!("{}/webhook", server.base_url),
        &body,
    )
    .await;
    assert_eq!(response.status(), 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let text = loop {
        let text = std::fs::read_to_string(&log_path).expect("log readable");
        if text.contains("message received") || tokio::time::Instant::now() >= deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    drop(server);

    let line = text
        .lines()
        .find(|l| l.contains("message received"))
        .unwrap_or_else(|| panic!("no line for the message: {text}"));
    assert!(
        line.contains(r"58412\nINFO forged line \u{1b}[31m"),
        "{line}"
    );
    assert!(!text.contains('\x1b'), "{text:?}");
    assert!(!text.contains('\r'), "{text:?}");
    assert!(
        !text.lines().any(|l| l.starts_with("INFO forged")),
        "{text}"
    );
}
