//! The inbox through the API: the conversation list (newest first, search, filters, pages),
//! reading a conversation, the statistics, and the live events that go with them.

use crate::helpers::{now_secs, spawn_app_with_graph, text_message, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

/// A customer's text message, named as WhatsApp would show them, sent `age` seconds ago (old
/// enough that the bot stays quiet).
async fn customer_writes(app: &TestApp, id: &str, phone: &str, name: &str, text: &str, age: i64) {
    let mut body: Value =
        serde_json::from_slice(&text_message(id, phone, text, now_secs() - age)).expect("json");
    body["entry"][0]["changes"][0]["value"]["contacts"][0]["profile"]["name"] = json!(name);
    let response = app.webhook(&serde_json::to_vec(&body).expect("json")).await;
    assert_eq!(response.status(), 200);
}

fn keys(page: &Value) -> Vec<String> {
    page["conversations"]
        .as_array()
        .expect("list")
        .iter()
        .map(|c| c["conversation"].as_str().expect("key").to_string())
        .collect()
}

#[tokio::test]
async fn the_inbox_lists_conversations_newest_first_with_search_filters_and_pages() {
    let (app, _graph) = spawn_app_with_graph().await;
    customer_writes(&app, "wamid.1", "584121000001", "Ana Pérez", "hola", 3600).await;
    customer_writes(&app, "wamid.2", "584121000002", "Bruno", "precio?", 3500).await;
    customer_writes(&app, "wamid.3", "584121000003", "Carla", "gracias", 3400).await;

    let page = app.get_json("/api/conversations").await;
    assert_eq!(
        keys(&page),
        ["VE.584121000003", "VE.584121000002", "VE.584121000001"]
    );
    let first = &page["conversations"][0];
    assert_eq!(first["contact"]["name"], "Carla");
    assert_eq!(first["contact"]["wa_id"], "584121000003");
    assert_eq!(first["unread"], true);
    assert_eq!(first["window_open"], true);
    assert_eq!(first["last_message"]["direction"], "in");
    assert_eq!(first["last_message"]["text"], "gracias");

    // One conversation by its id, as the list shows it.
    let single = app.get_json("/api/conversations/VE.584121000003").await;
    assert_eq!(&single, first);
    let unknown = app.get("/api/conversations/VE.000").await;
    assert_eq!(unknown.status(), 404);

    let found = app.get_json("/api/conversations?q=perez").await;
    assert_eq!(
        keys(&found),
        ["VE.584121000001"],
        "accents and case are ignored"
    );
    let by_phone = app.get_json("/api/conversations?q=1000002").await;
    assert_eq!(keys(&by_phone), ["VE.584121000002"]);

    let one = app.get_json("/api/conversations?limit=2").await;
    assert_eq!(keys(&one).len(), 2);
    let cursor = one["next_cursor"].as_str().expect("a next page");
    let two = app
        .get_json(&format!("/api/conversations?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(keys(&two), ["VE.584121000001"]);
    assert!(two.get("next_cursor").is_none(), "the last page says so");
    let bad = app.get("/api/conversations?cursor=nonsense").await;
    assert_eq!(bad.status(), 400);

    let read = app
        .client
        .post(app.url("/api/conversations/VE.584121000002/read"))
        .send()
        .await
        .expect("sent");
    assert_eq!(read.status(), 200);
    let unread = app.get_json("/api/conversations?filter=unread").await;
    assert_eq!(keys(&unread), ["VE.584121000003", "VE.584121000001"]);

    let paused = app
        .post_json(
            "/api/conversations/VE.584121000001/takeover",
            &json!({"paused": true}),
        )
        .await;
    assert_eq!(paused.status(), 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let list = app.get_json("/api/conversations?filter=paused").await;
        if keys(&list) == ["VE.584121000001"] {
            assert!(list["conversations"][0]["paused_until"].is_i64());
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "takeover shows");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn takeover_and_reads_are_announced_live() {
    let (app, _graph) = spawn_app_with_graph().await;
    customer_writes(&app, "wamid.1", "584121000001", "Ana", "hola", 3600).await;
    let mut events = app.events().await;

    app.post_json(
        "/api/conversations/VE.584121000001/takeover",
        &json!({"paused": true}),
    )
    .await;
    let event = events.next(Duration::from_secs(10)).await.expect("event");
    assert_eq!(event["type"], "takeover_changed");
    assert_eq!(event["conversation"], "VE.584121000001");
    assert!(event["paused_until"].is_i64());

    app.client
        .post(app.url("/api/conversations/VE.584121000001/read"))
        .send()
        .await
        .expect("sent");
    let event = events.next(Duration::from_secs(10)).await.expect("event");
    assert_eq!(event["type"], "conversation_updated");
}

#[tokio::test]
async fn the_inbox_filters_by_label() {
    let (app, _graph) = spawn_app_with_graph().await;
    customer_writes(&app, "wamid.l1", "584121000001", "Ana", "hola", 3600).await;
    customer_writes(&app, "wamid.l2", "584121000002", "Luis", "hola", 3500).await;
    let response = app
        .post_json(
            "/api/conversations/VE.584121000001/contact",
            &json!({"add_labels": ["mayorista"]}),
        )
        .await;
    assert_eq!(response.status(), 202);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let page = app.get_json("/api/conversations?label=mayorista").await;
        if keys(&page) == vec!["VE.584121000001"] {
            assert_eq!(page["conversations"][0]["labels"], json!(["mayorista"]));
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{page}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let none = app.get_json("/api/conversations?label=minorista").await;
    assert!(keys(&none).is_empty());
    let long = app
        .client
        .get(app.url(&format!("/api/conversations?label={}", "x".repeat(51))))
        .send()
        .await
        .expect("sent");
    assert_eq!(long.status(), 400);
}

#[tokio::test]
async fn the_activity_feed_names_customers_and_is_read_from_the_log() {
    let (app, graph) = spawn_app_with_graph().await;
    customer_writes(&app, "wamid.a1", "584121000001", "Ana", "hola", 3600).await;
    customer_writes(&app, "wamid.a2", "584121000002", "", "precio", 2).await;
    graph.wait_for_sends(1, Duration::from_secs(10)).await;
    app.post_json(
        "/api/conversations/VE.584121000001/takeover",
        &json!({"paused": true}),
    )
    .await;

    // The bot's reply and the takeover are logged a moment after the calls return.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let feed = loop {
        let feed = app.get_json("/api/activity?limit=10").await;
        let kinds: Vec<&str> = feed
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|item| item["kind"].as_str())
            .collect();
        if kinds.contains(&"replied") && kinds.contains(&"taken_over") {
            break feed;
        }
        assert!(tokio::time::Instant::now() < deadline, "{feed}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let items = feed.as_array().expect("list");
    let at: Vec<i64> = items
        .iter()
        .map(|i| i["at"].as_i64().expect("at"))
        .collect();
    assert!(at.windows(2).all(|w| w[0] >= w[1]), "newest first: {feed}");
    let find = |kind: &str, conversation: &str| {
        items
            .iter()
            .find(|i| i["kind"] == kind && i["conversation"] == conversation)
            .unwrap_or_else(|| panic!("{kind} in {conversation}: {feed}"))
    };
    // Named by the customer's name, else their number.
    assert_eq!(find("received", "VE.584121000001")["who"], "Ana");
    assert_eq!(find("received", "VE.584121000001")["text"], "hola");
    assert_eq!(find("received", "VE.584121000002")["who"], "+584121000002");
    assert!(
        find("replied", "VE.584121000002")["by"].is_null(),
        "the bot"
    );
    assert_eq!(find("taken_over", "VE.584121000001")["who"], "Ana");

    // The limit holds, and the feed is the same for a new reader (nothing kept per page).
    let one = app.get_json("/api/activity?limit=1").await;
    assert_eq!(one.as_array().expect("list").len(), 1);
    assert_eq!(one[0], items[0]);
    let huge = app.get_json("/api/activity?limit=100000").await;
    assert!(huge.as_array().expect("list").len() <= 100);
}

#[tokio::test]
async fn statistics_count_what_the_log_holds() {
    let (app, graph) = spawn_app_with_graph().await;
    // A fresh message: the bot answers it (welcome, then the rule or the fallback).
    let body = text_message("wamid.s1", "584121000009", "hola", now_secs());
    assert_eq!(app.webhook(&body).await.status(), 200);
    graph.wait_for_sends(1, Duration::from_secs(10)).await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let stats = app.get_json("/api/stats?bucket=hour").await;
        let totals = &stats["totals"];
        if totals["sent"].as_u64() >= Some(1) {
            assert_eq!(totals["received"], 1);
            assert!(totals["bot_replies"].as_u64() >= Some(1));
            assert_eq!(totals["agent_replies"], 0);
            assert_eq!(stats["points"].as_array().expect("points").len(), 1);
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{stats}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let days = app.get_json("/api/stats").await;
    assert_eq!(days["time_zone"], "America/Caracas");
    let bucket = days["points"][0]["bucket"].as_str().expect("a day");
    assert_eq!(bucket.len(), "2026-11-28".len(), "{bucket}");

    // The last 7 days list each day, the quiet ones with zeros, oldest first, today last.
    let week = app.get_json("/api/stats?days=7").await;
    let points = week["points"].as_array().expect("points");
    let buckets: Vec<&str> = points
        .iter()
        .map(|p| p["bucket"].as_str().expect("a day"))
        .collect();
    assert_eq!(buckets.len(), 7, "{buckets:?}");
    assert!(buckets.windows(2).all(|w| w[0] < w[1]), "{buckets:?}");
    let received: Vec<u64> = points
        .iter()
        .map(|p| p["received"].as_u64().expect("a count"))
        .collect();
    assert_eq!(received, vec![0, 0, 0, 0, 0, 0, 1], "{buckets:?}");
}

#[tokio::test]
async fn a_hand_edit_is_in_the_audit_log() {
    let (app, _graph) = spawn_app_with_graph().await;
    let path = app.data_path().join("settings.json");
    let text = std::fs::read_to_string(&path)
        .expect("read")
        .replace("Mi Tienda", "Tienda Editada");
    std::fs::write(&path, text).expect("write");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let audit = app.get_json("/api/audit").await;
        let found = audit["entries"]
            .as_array()
            .expect("entries")
            .iter()
            .any(|e| e["action"] == "file_reloaded" && e["target"] == "settings.json");
        if found {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{audit}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_long_history_is_read_page_by_page_with_the_cursor() {
    let (app, _graph) = spawn_app_with_graph().await;
    for i in 0..7 {
        customer_writes(
            &app,
            &format!("wamid.h{i}"),
            "584121000001",
            "Ana",
            &format!("mensaje {i}"),
            3600 - i,
        )
        .await;
    }
    let path = "/api/conversations/VE.584121000001/messages?limit=3";
    let mut texts: Vec<String> = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let url = match &cursor {
            Some(c) => format!("{path}&before={c}"),
            None => path.to_string(),
        };
        let response = app.get(&url).await;
        assert_eq!(response.status(), 200);
        cursor = response
            .headers()
            .get("x-next-cursor")
            .map(|v| v.to_str().expect("text").to_string());
        let page: Value = response.json().await.expect("json");
        let mut older: Vec<String> = page
            .as_array()
            .expect("list")
            .iter()
            .filter(|r| r["kind"] == "message_in")
            .map(|r| r["text"].as_str().expect("text").to_string())
            .collect();
        older.extend(texts);
        texts = older;
        if cursor.is_none() {
            break;
        }
    }
    let expected: Vec<String> = (0..7).map(|i| format!("mensaje {i}")).collect();
    assert_eq!(texts, expected, "every message once, oldest first");
    assert_eq!(
        app.get(&format!("{path}&before=nonsense")).await.status(),
        400
    );
}

/// A log written before the server starts: two customers on Monday 2026-11-23 (UTC-4), one
/// of them back on Tuesday; the bot answers in 1 s and 20 s, a person in 3 minutes.
pub(crate) fn seeded_log() -> String {
    // 2026-11-23 10:00 in Caracas (UTC-4) is 14:00 UTC.
    let monday_10h = 1_795_442_400_000_i64;
    let at = |minutes: i64| monday_10h + minutes * 60_000;
    let day = 24 * 60;
    let records = [
        json!({"kind": "message_in", "conversation": "VE.1", "id": "w1", "at": at(0), "contact": {"wa_id": "1", "name": "Ana"}, "type": "text", "text": "precio"}),
        json!({"kind": "contact_state", "conversation": "VE.1", "at": at(0) + 1000, "reason": {"because": "rule", "id": "precios", "matched": "precio"}, "state": {}}),
        json!({"kind": "message_out", "conversation": "VE.1", "outbox": "o1", "at": at(0) + 1000, "origin": {"by": "bot", "rule": "precios"}, "text": "x", "to": {"wa_id": "1"}, "message": {"type": "text", "body": "x"}}),
        json!({"kind": "message_out_sent", "conversation": "VE.1", "outbox": "o1", "at": at(0) + 2000, "message_id": "m1"}),
        json!({"kind": "message_in", "conversation": "VE.2", "id": "w2", "at": at(30), "contact": {"wa_id": "2", "name": "Bruno"}, "type": "text", "text": "horario"}),
        json!({"kind": "contact_state", "conversation": "VE.2", "at": at(30) + 20_000, "reason": {"because": "rule", "id": "horario", "matched": "horario"}, "state": {}}),
        json!({"kind": "message_out", "conversation": "VE.2", "outbox": "o2", "at": at(30) + 20_000, "origin": {"by": "bot", "rule": "horario"}, "text": "x", "to": {"wa_id": "2"}, "message": {"type": "text", "body": "x"}}),
        json!({"kind": "message_out", "conversation": "VE.2", "outbox": "o3", "at": at(33), "origin": {"by": "agent", "user": "admin"}, "text": "x", "to": {"wa_id": "2"}, "message": {"type": "text", "body": "x"}}),
        json!({"kind": "message_out_failed", "conversation": "VE.2", "outbox": "o3", "at": at(33) + 500, "error": {"failure": "permanent", "message": "x"}}),
        json!({"kind": "message_in", "conversation": "VE.1", "id": "w3", "at": at(day), "contact": {"wa_id": "1", "name": "Ana"}, "type": "text", "text": "precio otra vez"}),
        json!({"kind": "contact_state", "conversation": "VE.1", "at": at(day) + 1000, "reason": {"because": "rule", "id": "precios", "matched": "precio"}, "state": {}}),
    ];
    records.iter().map(|r| format!("{r}\n")).collect()
}

#[tokio::test]
async fn analytics_over_a_seeded_log_show_what_the_log_implies() {
    let app = crate::helpers::spawn_app_with(|config| {
        let log = config.data_dir.join("log");
        std::fs::create_dir_all(&log).expect("log folder");
        std::fs::write(log.join("000001-2026-11.jsonl"), seeded_log()).expect("seed");
    })
    .await;
    // Monday 00:00 to Wednesday 00:00 in Caracas.
    let (from, to) = (1_795_406_400_000_i64, 1_795_579_200_000_i64);
    let stats = app
        .get_json(&format!("/api/stats?from={from}&to={to}"))
        .await;
    let days: Vec<(&str, u64, u64, u64)> = stats["points"]
        .as_array()
        .expect("points")
        .iter()
        .map(|p| {
            (
                p["bucket"].as_str().expect("day"),
                p["received"].as_u64().expect("n"),
                p["new_contacts"].as_u64().expect("n"),
                p["active_contacts"].as_u64().expect("n"),
            )
        })
        .collect();
    assert_eq!(
        days,
        [("2026-11-23", 2, 2, 2), ("2026-11-24", 1, 0, 1)],
        "Monday: two new customers; Tuesday: one returning"
    );
    let totals = &stats["totals"];
    assert_eq!(totals["bot_replies"], 2);
    assert_eq!(totals["agent_replies"], 1);
    assert_eq!(totals["sent"], 1);
    assert_eq!(totals["failed"], 1);
    assert_eq!(stats["first_response"]["bot"]["count"], 2);
    // 1 s and 20 s: half answered within the 1 s bucket.
    assert_eq!(stats["first_response"]["bot"]["median_at_most_ms"], 1000);
    assert_eq!(stats["first_response"]["people"]["count"], 1);
    assert_eq!(
        stats["first_response"]["people"]["median_at_most_ms"],
        300_000
    );
    assert_eq!(
        stats["top_rules"],
        json!([
            {"rule": "precios", "answers": 2, "description": "Preguntas por precios"},
            {"rule": "horario", "answers": 1, "description": "El horario: el del día que preguntan y el de la semana"}
        ])
    );
    // Monday (0) at 10:00 in Caracas: both Monday messages; Tuesday (1) at 10:00: one.
    assert_eq!(stats["heatmap"][0][10], 2);
    assert_eq!(stats["heatmap"][1][10], 1);
    let busy: u64 = stats["heatmap"]
        .as_array()
        .expect("days")
        .iter()
        .flat_map(|d| {
            d.as_array()
                .expect("hours")
                .iter()
                .map(|n| n.as_u64().expect("n"))
        })
        .sum();
    assert_eq!(busy, 3);
}

#[tokio::test]
async fn a_search_finds_words_of_the_messages_and_shows_the_message() {
    let (app, _graph) = crate::helpers::spawn_app_with_graph().await;
    for (id, from, text) in [
        ("wamid.s.1", "584121000071", "¿Hacen envíos a Maracaibo?"),
        (
            "wamid.s.2",
            "584121000072",
            "Quiero el vestido rojo, talla M",
        ),
    ] {
        let body = crate::helpers::text_message(id, from, text, crate::helpers::now_secs());
        assert_eq!(app.webhook(&body).await.status(), 200);
    }
    let search = |q: &'static str| {
        let app = &app;
        async move {
            let page = app.get_json(&format!("/api/conversations?q={}", q)).await;
            page["conversations"]
                .as_array()
                .expect("conversations")
                .iter()
                .map(|c| {
                    (
                        c["conversation"].as_str().expect("id").to_string(),
                        c["found"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    // Accents and case do not matter; every word must be in one message.
    let found = search("ENVIOS%20maracaibo").await;
    assert_eq!(
        found,
        vec![(
            "VE.584121000071".to_string(),
            "¿Hacen envíos a Maracaibo?".to_string()
        )]
    );
    assert!(search("vestido%20maracaibo").await.is_empty());
    // A name still matches by name, without a message shown.
    let by_name = search("cliente").await;
    assert_eq!(by_name.len(), 2, "{by_name:?}");
    assert!(
        by_name.iter().all(|(_, found)| found.is_empty()),
        "{by_name:?}"
    );
}

#[tokio::test]
async fn rules_are_named_by_their_description_or_else_their_id() {
    let app = crate::helpers::spawn_app().await;
    let names = app.get_json("/api/rules/names").await;
    let names = names.as_array().expect("list");
    let menu = names
        .iter()
        .find(|r| r["id"] == "menu")
        .expect("the menu rule");
    assert!(
        menu["name"].as_str().expect("name").starts_with("Saludos"),
        "{menu}"
    );

    // A hand edit without a description is named by its id.
    let path = app.data_path().join("rules.json");
    let mut rules: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    rules["rules"]
        .as_array_mut()
        .expect("rules")
        .push(json!({"id": "envios", "when": {"text": ["envio"]}, "reply": [{"text": "Sí"}]}));
    let mut events = app.events().await;
    std::fs::write(&path, serde_json::to_string_pretty(&rules).expect("json")).expect("write");
    events.first("file_reloaded", Duration::from_secs(10)).await;
    let names = app.get_json("/api/rules/names").await;
    let last = names
        .as_array()
        .expect("list")
        .last()
        .expect("a rule")
        .clone();
    assert_eq!(last, json!({"id": "envios", "name": "envios"}));
}
