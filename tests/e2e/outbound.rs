//! Replies going out through the Graph API stand-in: the durable outbox, Meta's request
//! shape, retries and backoff, errors that must not be retried, the 24-hour window, the
//! connection check and the approved templates.

use crate::fake_graph::{Answer, ACCESS_TOKEN};
use crate::helpers::{now_secs, spawn_app_with_graph, text_message, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

const CUSTOMER: &str = "584126666666";
const CONVERSATION: &str = "VE.584126666666";

/// A customer wrote 20 minutes ago, so the conversation exists and the window is open; the
/// message arrives stale, so the bot leaves the answering to these tests.
async fn customer_writes(app: &TestApp) {
    let response = app
        .webhook(&text_message(
            "wamid.hello",
            CUSTOMER,
            "hola",
            now_secs() - 20 * 60,
        ))
        .await;
    assert_eq!(response.status(), 200);
}

async fn reply(app: &TestApp, message: Value) -> reqwest::Response {
    app.post_json(
        &format!("/api/conversations/{CONVERSATION}/messages"),
        &json!({ "message": message }),
    )
    .await
}

/// Queues a reply and returns its outbox id.
async fn queue(app: &TestApp, message: Value) -> String {
    let response = reply(app, message).await;
    assert_eq!(response.status(), 202);
    response.json::<Value>().await.expect("json")["outbox"]
        .as_str()
        .expect("id")
        .to_string()
}

/// Waits until the conversation's log holds a record of `kind` for `outbox`.
async fn outcome(app: &TestApp, outbox: &str, limit: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < deadline {
        let records: Vec<Value> = serde_json::from_value(
            app.get_json(&format!("/api/conversations/{CONVERSATION}/messages"))
                .await,
        )
        .expect("list");
        if let Some(found) = records.into_iter().find(|r| {
            r["outbox"] == outbox
                && (r["kind"] == "message_out_sent" || r["kind"] == "message_out_failed")
        }) {
            return Some(found);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

#[tokio::test]
async fn a_manual_reply_reaches_the_graph_api_in_meta_s_shape_and_is_logged() {
    let (app, graph) = spawn_app_with_graph().await;
    customer_writes(&app).await;
    let mut events = app.events().await;

    let response = reply(
        &app,
        json!({"type": "text", "body": "¡Hola! Sí, tenemos envíos 🚚"}),
    )
    .await;

    assert_eq!(response.status(), 202);
    let outbox = response.json::<Value>().await.expect("json")["outbox"]
        .as_str()
        .expect("id")
        .to_string();
    let sends = graph.wait_for_sends(1, Duration::from_secs(10)).await;
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0]["messaging_product"], "whatsapp");
    assert_eq!(sends[0]["to"], CUSTOMER);
    assert_eq!(sends[0]["type"], "text");
    assert_eq!(sends[0]["text"]["body"], "¡Hola! Sí, tenemos envíos 🚚");
    let request = graph
        .seen()
        .into_iter()
        .find(|s| s.path.ends_with("/106540352242922/messages"))
        .expect("request");
    assert_eq!(request.path, "/v26.0/106540352242922/messages");
    assert_eq!(
        request.authorization.as_deref(),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str())
    );

    let sent = outcome(&app, &outbox, Duration::from_secs(10))
        .await
        .expect("an outcome is logged");
    assert_eq!(sent["kind"], "message_out_sent");
    assert_eq!(sent["message_id"], "wamid.fake.0");
    let mut types = Vec::new();
    while let Some(event) = events.next(Duration::from_millis(300)).await {
        types.push(event["type"].as_str().expect("type").to_string());
    }
    assert!(
        types.contains(&"message_queued".to_string())
            && types.contains(&"message_sent".to_string()),
        "{types:?}"
    );
}

#[tokio::test]
async fn a_500_then_a_200_is_one_delivered_message() {
    let (app, graph) = spawn_app_with_graph().await;
    customer_writes(&app).await;
    graph.script([Answer::Status(500)]);

    let outbox = queue(&app, json!({"type": "text", "body": "reintento"})).await;

    let sent = outcome(&app, &outbox, Duration::from_secs(15))
        .await
        .expect("delivered after a retry");
    assert_eq!(sent["kind"], "message_out_sent");
    assert_eq!(
        graph.sends().len(),
        2,
        "one failed attempt, one success: {:?}",
        graph.sends()
    );
}

#[tokio::test]
async fn a_429_backs_off_and_then_delivers() {
    let (app, graph) = spawn_app_with_graph().await;
    customer_writes(&app).await;
    graph.script([
        Answer::Status(429),
        Answer::MetaError {
            status: 400,
            code: 130429,
            message: "Rate limit hit",
        },
    ]);

    let started = std::time::Instant::now();
    let outbox = queue(&app, json!({"type": "text", "body": "despacio"})).await;

    let sent = outcome(&app, &outbox, Duration::from_secs(20))
        .await
        .expect("delivered");
    assert_eq!(sent["kind"], "message_out_sent");
    assert_eq!(graph.sends().len(), 3);
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "it waited before retrying (1 s, then 2 s)"
    );
}

#[tokio::test]
async fn a_131047_is_not_retried_and_asks_for_a_template() {
    let (app, graph) = spawn_app_with_graph().await;
    customer_writes(&app).await;
    let mut events = app.events().await;
    graph.script([Answer::MetaError {
        status: 400,
        code: 131047,
        message: "Re-engagement message",
    }]);

    let outbox = queue(&app, json!({"type": "text", "body": "fuera de ventana"})).await;

    let failed = outcome(&app, &outbox, Duration::from_secs(10))
        .await
        .expect("an outcome");
    assert_eq!(failed["kind"], "message_out_failed");
    assert_eq!(failed["error"]["code"], 131047);
    assert_eq!(failed["error"]["failure"], "outside_window");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(graph.sends().len(), 1, "never retried");
    let mut failed_event = None;
    while let Some(event) = events.next(Duration::from_millis(300)).await {
        if event["type"] == "message_failed" {
            failed_event = Some(event);
        }
    }
    assert_eq!(
        failed_event.expect("told to the dashboard")["needs_template"],
        true
    );
    let status = app.get_json("/api/status").await;
    let alert = status["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .find(|a| a["kind"] == "outside_window")
        .expect("the overview is told");
    assert_eq!(alert["count"], 1);
    assert!(
        !status["alerts"].to_string().contains("failed_sends"),
        "the one failure is the window's"
    );
}

#[tokio::test]
async fn a_reply_that_comes_back_undelivered_counts_as_failed_on_the_overview() {
    let (app, _graph) = spawn_app_with_graph().await;
    customer_writes(&app).await;
    let outbox = queue(&app, json!({"type": "text", "body": "¿te llegó?"})).await;
    let sent = outcome(&app, &outbox, Duration::from_secs(10))
        .await
        .expect("sent");
    assert_eq!(sent["kind"], "message_out_sent");
    let status = app.get_json("/api/status").await;
    assert_eq!(status["today"]["failed"], 0);

    // Meta took it, then could not deliver it (131026: the number cannot receive it).
    let failed = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "584120000000", "phone_number_id": "106540352242922"},
            "statuses": [{"id": sent["message_id"], "status": "failed",
                "timestamp": now_secs().to_string(), "recipient_id": CUSTOMER,
                "errors": [{"code": 131026, "title": "Message undeliverable"}]}]
        }}]}]
    });
    let response = app.webhook(failed.to_string().as_bytes()).await;
    assert_eq!(response.status(), 200);

    let status = app.get_json("/api/status").await;
    assert_eq!(status["today"]["failed"], 1, "{status}");
    let alert = status["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .find(|a| a["kind"] == "failed_sends")
        .unwrap_or_else(|| panic!("the overview says something is wrong: {status}"));
    assert_eq!(alert["count"], 1);
}

#[tokio::test]
async fn an_invalid_token_pauses_sending_instead_of_hammering() {
    let (app, graph) = spawn_app_with_graph().await;
    customer_writes(&app).await;
    graph.script([Answer::MetaError {
        status: 401,
        code: 190,
        message: "Error validating access token",
    }]);

    assert_eq!(
        reply(&app, json!({"type": "text", "body": "uno"}))
            .await
            .status(),
        202
    );
    tokio::time::sleep(Duration::from_secs(2)).await;

    assert_eq!(
        graph.sends().len(),
        1,
        "after 190 nothing more is attempted for a while"
    );
    assert_eq!(
        reply(&app, json!({"type": "text", "body": "dos"}))
            .await
            .status(),
        202,
        "still queued durably"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(graph.sends().len(), 1);
    let status = app.get_json("/api/status").await;
    assert!(status["channel"]["token_refused_at"].is_i64());
    assert_eq!(status["alerts"][0]["kind"], "token_refused", "{status}");
}

#[tokio::test]
async fn limits_and_the_24_hour_window_are_checked_before_anything_is_sent() {
    let (app, graph) = spawn_app_with_graph().await;
    let old = now_secs() - 25 * 3600;
    assert_eq!(
        app.webhook(&text_message("wamid.old", CUSTOMER, "hola", old))
            .await
            .status(),
        200
    );

    let outside = reply(&app, json!({"type": "text", "body": "hola de nuevo"})).await;
    assert_eq!(outside.status(), 422);
    let body: Value = outside.json().await.expect("json");
    assert_eq!(body["error"]["code"], "outside_window");
    assert!(body["error"]["message"]
        .as_str()
        .expect("message")
        .contains("template"));
    // The conversation's view agrees: the window counts from when the customer sent the
    // message, though it was processed just now (a webhook Meta delivered late).
    let view = app
        .get_json(&format!("/api/conversations/VE.{CUSTOMER}/state"))
        .await;
    assert_eq!(view["last_in_at"], json!(old * 1000), "{view}");

    let too_many = json!({"type": "buttons", "body": "Elige", "buttons": [
        {"id": "1", "title": "a"}, {"id": "2", "title": "b"}, {"id": "3", "title": "c"}, {"id": "4", "title": "d"}]});
    let refused = reply(&app, too_many).await;
    assert_eq!(refused.status(), 422);
    let refused: Value = refused.json().await.expect("json");
    assert!(refused["error"]["message"]
        .as_str()
        .expect("m")
        .contains("4 buttons"));
    assert_eq!(
        refused["error"]["faults"],
        json!([{"code": "button_count", "found": 4, "max": 3}])
    );

    let template =
        json!({"type": "template", "name": "seguimiento", "language": "es", "parameters": ["Ana"]});
    assert_eq!(
        reply(&app, template).await.status(),
        202,
        "a template may go outside the window"
    );
    let sends = graph.wait_for_sends(1, Duration::from_secs(10)).await;
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0]["template"]["name"], "seguimiento");
}

#[tokio::test]
async fn a_reply_to_an_unknown_conversation_is_404() {
    let (app, _graph) = spawn_app_with_graph().await;
    let response = reply(&app, json!({"type": "text", "body": "hola"})).await;
    assert_eq!(response.status(), 404);
}

#[tokio::test]
async fn the_connection_check_reports_the_number_or_the_exact_reason() {
    let (app, _graph) = spawn_app_with_graph().await;
    let ok = app.get_json("/api/channel/check").await;
    assert_eq!(ok["ok"], true);
    assert_eq!(ok["phone_number"]["verified_name"], "Mi Tienda");

    let (bad, _graph) = {
        let graph = crate::fake_graph::FakeGraph::start().await;
        let url = graph.url.clone();
        let app = crate::helpers::spawn_app_with(move |config| {
            config.meta.graph_url = url;
            config.meta.access_token = Some("expired".into());
        })
        .await;
        (app, graph)
    };
    let failed = bad.get_json("/api/channel/check").await;
    assert_eq!(failed["ok"], false);
    assert_eq!(failed["error"]["code"], 190);
    assert_eq!(failed["error"]["failure"], "token_invalid");
    assert!(failed["error"]["message"]
        .as_str()
        .expect("message")
        .contains("Error validating access token"));
}

#[tokio::test]
async fn approved_templates_are_listed_for_the_picker() {
    let (app, _graph) = spawn_app_with_graph().await;
    let templates = app.get_json("/api/channel/templates").await;
    let names: Vec<&str> = templates
        .as_array()
        .expect("list")
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, vec!["seguimiento"], "only approved ones");
    assert_eq!(templates[0]["body"], "Hola {{1}}, ¿seguimos con tu pedido?");
}

#[tokio::test]
async fn sends_pending_at_a_kill_9_go_out_after_the_restart() {
    let graph = crate::fake_graph::FakeGraph::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("META_GRAPH_URL", graph.url.as_str()),
        ("META_ACCESS_TOKEN", ACCESS_TOKEN),
        ("META_PHONE_NUMBER_ID", crate::fake_graph::PHONE_NUMBER_ID),
    ];
    let client = reqwest::Client::new();
    // Meta is slow: the first run's first send gets no answer before the kill.
    graph.script([Answer::Slow(Duration::from_secs(30))]);

    let mut first = crate::helpers::spawn_binary_with_env(dir.path(), &[], &env);
    let webhook = format!("{}/webhook", first.base_url);
    let response = crate::helpers::post_webhook(
        &client,
        &webhook,
        &text_message("wamid.k", CUSTOMER, "hola", now_secs() - 20 * 60),
    )
    .await;
    assert_eq!(response.status(), 200);
    let mut queued = Vec::new();
    for i in 0..3 {
        let response = first
            .client
            .post(format!(
                "{}/api/conversations/{CONVERSATION}/messages",
                first.base_url
            ))
            .json(&json!({"message": {"type": "text", "body": format!("pendiente {i}")}}))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 202);
        queued.push(
            response.json::<Value>().await.expect("json")["outbox"]
                .as_str()
                .expect("id")
                .to_string(),
        );
    }
    // One conversation's messages go one after the other: only the first is in flight.
    graph.wait_for_sends(1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(graph.sends().len(), 1, "the next waits for Meta's answer");
    first.child.kill().expect("SIGKILL");
    first.child.wait().expect("reaped");

    let second = crate::helpers::spawn_binary_with_env(dir.path(), &[], &env);
    let sends = graph.wait_for_sends(4, Duration::from_secs(15)).await;
    let bodies: Vec<&str> = sends[1..]
        .iter()
        .map(|s| s["text"]["body"].as_str().expect("text"))
        .collect();
    assert_eq!(
        bodies,
        ["pendiente 0", "pendiente 1", "pendiente 2"],
        "resent after the restart, in the order logged (the one in flight at the kill twice)"
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let records = crate::helpers::get_json(
            &second.client,
            &format!(
                "{}/api/conversations/{CONVERSATION}/messages",
                second.base_url
            ),
        )
        .await;
        let sent = records
            .as_array()
            .expect("list")
            .iter()
            .filter(|r| r["kind"] == "message_out_sent")
            .count();
        if sent == 3 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "every pending send is logged as sent after the restart"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn reading_a_conversation_marks_the_latest_message_read_with_typing() {
    let (app, graph) = spawn_app_with_graph().await;
    customer_writes(&app).await;

    let response = app
        .client
        .post(app.url(&format!(
            "/api/conversations/{CONVERSATION}/read?typing=true"
        )))
        .send()
        .await
        .expect("sent");

    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.expect("json")["message_id"],
        "wamid.hello"
    );
    let receipt = graph
        .seen()
        .into_iter()
        .find(|s| s.body["status"] == "read")
        .expect("a read receipt");
    assert_eq!(receipt.body["message_id"], "wamid.hello");
    assert_eq!(receipt.body["typing_indicator"]["type"], "text");
}

#[tokio::test]
async fn a_131056_spaces_out_that_customer_then_delivers() {
    let (app, graph) = spawn_app_with_graph().await;
    customer_writes(&app).await;
    graph.script([Answer::MetaError {
        status: 400,
        code: 131056,
        message: "(Business Account, Consumer Account) pair rate limit hit",
    }]);

    let started = std::time::Instant::now();
    let outbox = queue(&app, json!({"type": "text", "body": "uno por uno"})).await;

    let sent = outcome(&app, &outbox, Duration::from_secs(20))
        .await
        .expect("delivered");
    assert_eq!(sent["kind"], "message_out_sent");
    assert_eq!(graph.sends().len(), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(6),
        "it waited before writing to that customer again"
    );
}
