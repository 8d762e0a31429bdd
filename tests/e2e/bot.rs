//! The bot end to end: a webhook in, the right reply out through the Graph API stand-in,
//! exactly once; menus; opt-out surviving a restart; hand-edited rules answering at once.

use crate::fake_graph::{FakeGraph, ACCESS_TOKEN, PHONE_NUMBER_ID};
use crate::helpers::{
    now_secs, post_webhook, spawn_app_with_graph, spawn_binary_with_env, text_message,
};
use serde_json::{json, Value};
use std::time::Duration;

fn body_text(send: &Value) -> String {
    send["text"]["body"]
        .as_str()
        .or_else(|| send["interactive"]["body"]["text"].as_str())
        .unwrap_or("")
        .to_string()
}

async fn settle() {
    tokio::time::sleep(Duration::from_millis(800)).await;
}

#[tokio::test]
async fn a_question_gets_its_answer_exactly_once_even_when_redelivered() {
    let (app, graph) = spawn_app_with_graph().await;
    let first = text_message("wamid.q1", "584128888888", "hola", now_secs());
    assert_eq!(app.webhook(&first).await.status(), 200);
    graph.wait_for_sends(1, Duration::from_secs(10)).await;

    let question = text_message(
        "wamid.q2",
        "584128888888",
        "¿Cuál es el HORARIO?",
        now_secs(),
    );
    for _ in 0..3 {
        assert_eq!(app.webhook(&question).await.status(), 200);
    }
    graph.wait_for_sends(2, Duration::from_secs(10)).await;
    settle().await;

    let sends = graph.sends();
    assert_eq!(
        sends.len(),
        2,
        "the welcome with the menu, and one answer: {sends:#?}"
    );
    assert!(
        body_text(&sends[1]).contains("Nuestro horario:"),
        "{}",
        body_text(&sends[1])
    );
    assert_eq!(sends[1]["to"], "584128888888");
}

#[tokio::test]
async fn a_first_message_gets_the_welcome_and_a_menu_whose_options_answer() {
    let (app, graph) = spawn_app_with_graph().await;
    assert_eq!(
        app.webhook(&text_message(
            "wamid.m1",
            "584129999999",
            "buenas",
            now_secs()
        ))
        .await
        .status(),
        200
    );
    let sends = graph.wait_for_sends(1, Duration::from_secs(10)).await;
    assert_eq!(
        sends[0]["interactive"]["type"], "list",
        "the welcome and the menu are one message"
    );
    let welcome_and_menu = body_text(&sends[0]);
    assert!(
        welcome_and_menu.starts_with("¡Hola, Cliente! 👋 Bienvenido a *Mi Tienda*")
            && welcome_and_menu.contains("Elige una opción"),
        "{welcome_and_menu}"
    );

    let tap = json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "contacts": [{"profile": {"name": "Cliente"}, "wa_id": "584129999999", "user_id": "VE.584129999999"}],
        "messages": [{"from": "584129999999", "id": "wamid.m2", "timestamp": now_secs().to_string(), "type": "interactive",
                      "interactive": {"type": "list_reply", "list_reply": {"id": "horario", "title": "Horario"}}}]}}]}]})
    .to_string()
    .into_bytes();
    assert_eq!(app.webhook(&tap).await.status(), 200);
    let sends = graph.wait_for_sends(2, Duration::from_secs(10)).await;
    assert!(
        body_text(&sends[1]).contains("Nuestro horario: lunes a viernes 9:00–18:00"),
        "{}",
        body_text(&sends[1])
    );
}

#[tokio::test]
async fn a_hand_edited_rule_answers_the_next_message() {
    let (app, graph) = spawn_app_with_graph().await;
    assert_eq!(
        app.webhook(&text_message(
            "wamid.h1",
            "584121010101",
            "hola",
            now_secs()
        ))
        .await
        .status(),
        200
    );
    graph.wait_for_sends(1, Duration::from_secs(10)).await;
    let mut events = app.events().await;
    let path = app.data_path().join("rules.json");
    let mut rules: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    rules["rules"].as_array_mut().expect("rules").insert(
        0,
        json!({"id": "envios", "when": {"text": ["envio", "delivery"]}, "reply": [{"text": "Sí, enviamos a todo el país 🚚"}]}),
    );
    std::fs::write(&path, serde_json::to_string_pretty(&rules).expect("json")).expect("write");
    // The welcome's own events (sent, then its status) may still be on their way: pass them.
    let reloaded = events.first("file_reloaded", Duration::from_secs(10)).await;
    assert_eq!(reloaded["file"], "rules.json");

    assert_eq!(
        app.webhook(&text_message(
            "wamid.h2",
            "584121010101",
            "¿hacen envíos?",
            now_secs()
        ))
        .await
        .status(),
        200
    );
    let sends = graph.wait_for_sends(2, Duration::from_secs(10)).await;
    assert_eq!(
        sends.len(),
        2,
        "the welcome and the new rule's answer: {sends:#?}"
    );
    assert_eq!(body_text(&sends[1]), "Sí, enviamos a todo el país 🚚");
}

#[tokio::test]
async fn an_opt_out_survives_a_restart() {
    let graph = FakeGraph::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("META_GRAPH_URL", graph.url.as_str()),
        ("META_ACCESS_TOKEN", ACCESS_TOKEN),
        ("META_PHONE_NUMBER_ID", PHONE_NUMBER_ID),
    ];
    let client = reqwest::Client::new();
    let customer = "584121212121";

    let server = spawn_binary_with_env(dir.path(), &[], &env);
    let webhook = format!("{}/webhook", server.base_url);
    post_webhook(
        &client,
        &webhook,
        &text_message("wamid.o1", customer, "hola", now_secs()),
    )
    .await;
    graph.wait_for_sends(1, Duration::from_secs(10)).await;
    post_webhook(
        &client,
        &webhook,
        &text_message("wamid.o2", customer, "BAJA", now_secs()),
    )
    .await;
    let sends = graph.wait_for_sends(2, Duration::from_secs(10)).await;
    assert!(
        body_text(&sends[1]).contains("no te enviaremos más mensajes"),
        "{}",
        body_text(&sends[1])
    );
    let status = std::process::Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    drop(server);

    let server = spawn_binary_with_env(dir.path(), &[], &env);
    let webhook = format!("{}/webhook", server.base_url);
    post_webhook(
        &client,
        &webhook,
        &text_message("wamid.o3", customer, "precio", now_secs()),
    )
    .await;
    settle().await;
    assert_eq!(
        graph.sends().len(),
        2,
        "nothing more reaches an opted-out customer"
    );
    post_webhook(
        &client,
        &webhook,
        &text_message("wamid.o4", customer, "alta", now_secs()),
    )
    .await;
    let sends = graph.wait_for_sends(3, Duration::from_secs(10)).await;
    assert!(
        body_text(&sends[2]).contains("Bienvenido de vuelta"),
        "{}",
        body_text(&sends[2])
    );
}

#[tokio::test]
async fn a_manual_reply_pauses_the_bot_for_that_contact_only_until_given_back() {
    let (app, graph) = spawn_app_with_graph().await;
    for (id, customer) in [("wamid.t1", "584121313131"), ("wamid.t2", "584121414141")] {
        assert_eq!(
            app.webhook(&text_message(id, customer, "hola", now_secs()))
                .await
                .status(),
            200
        );
    }
    graph.wait_for_sends(2, Duration::from_secs(10)).await;

    let manual = app
        .post_json(
            "/api/conversations/VE.584121313131/messages",
            &json!({"message": {"type": "text", "body": "Hola, soy Marta, te atiendo yo."}}),
        )
        .await;
    assert_eq!(manual.status(), 202);
    graph.wait_for_sends(3, Duration::from_secs(10)).await;
    settle().await;
    let state = app
        .get_json("/api/conversations/VE.584121313131/state")
        .await;
    assert!(
        state["paused_until"]
            .as_i64()
            .unwrap_or_else(|| panic!("paused: {state}"))
            > now_secs() * 1000
    );

    for (id, customer) in [("wamid.t3", "584121313131"), ("wamid.t4", "584121414141")] {
        assert_eq!(
            app.webhook(&text_message(id, customer, "horario", now_secs()))
                .await
                .status(),
            200
        );
    }
    graph.wait_for_sends(4, Duration::from_secs(10)).await;
    settle().await;
    let sends = graph.sends();
    assert_eq!(sends.len(), 4, "only the other customer got an answer");
    assert_eq!(sends[3]["to"], "584121414141");

    let back = app
        .post_json(
            "/api/conversations/VE.584121313131/takeover",
            &json!({"paused": false}),
        )
        .await;
    assert_eq!(back.status(), 200);
    settle().await;
    assert_eq!(
        app.webhook(&text_message(
            "wamid.t5",
            "584121313131",
            "horario",
            now_secs()
        ))
        .await
        .status(),
        200
    );
    let sends = graph.wait_for_sends(5, Duration::from_secs(10)).await;
    assert_eq!(sends[4]["to"], "584121313131", "the bot answers again");
}

#[tokio::test]
async fn the_simulator_answers_like_the_bot_without_sending() {
    let (app, graph) = spawn_app_with_graph().await;

    let answer: Value = app
        .post_json(
            "/api/simulate",
            &json!({"text": "Buenas, ¿cuál es el HORARIO?", "first_contact": true, "name": "Ana"}),
        )
        .await
        .json()
        .await
        .expect("json");

    assert_eq!(answer["reason"]["because"], "rule");
    assert_eq!(
        answer["reason"]["id"], "horario",
        "the question, not the greeting"
    );
    assert_eq!(answer["reason"]["over_greeting"], "menu");
    let preview = answer["preview"][0].as_str().expect("one message");
    assert!(
        preview.starts_with("¡Hola, Ana!") && preview.contains("Nuestro horario:"),
        "the welcome and the answer in one message: {preview}"
    );
    assert_eq!(answer["preview"].as_array().map(Vec::len), Some(1));

    // A question naming a day gets that day's hours (the shop is closed on Sundays).
    let sunday: Value = app
        .post_json("/api/simulate", &json!({"text": "¿abren el domingo?"}))
        .await
        .json()
        .await
        .expect("json");
    let said = sunday["preview"][0].as_str().expect("answer");
    assert!(
        said.contains("domingo") && said.contains("cerrad") && !said.contains("de hoy"),
        "{said}"
    );
    let missing = app.post_json("/api/simulate", &json!({})).await;
    assert_eq!(missing.status(), 400);
    settle().await;
    assert!(graph.sends().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn labels_and_opt_out_set_by_a_person_change_what_the_bot_does() {
    let (app, graph) = spawn_app_with_graph().await;
    let conversation = "VE.584121515151";
    assert_eq!(
        app.webhook(&text_message(
            "wamid.e1",
            "584121515151",
            "hola",
            now_secs()
        ))
        .await
        .status(),
        200
    );
    graph.wait_for_sends(1, Duration::from_secs(10)).await;
    let mut rules = app.get_json("/api/rules").await;
    rules["rules"]["rules"].as_array_mut().expect("rules").insert(
        0,
        json!({"id": "vip", "when": {"text": ["precio"], "labels_any": ["vip"]}, "reply": [{"text": "Precio especial para ti ⭐"}]}),
    );
    assert_eq!(app.put_json("/api/rules", &rules).await.status(), 200);

    let edit = json!({"add_labels": ["vip"], "notes": "Compra cada semana"});
    let response = app
        .post_json(&format!("/api/conversations/{conversation}/contact"), &edit)
        .await;
    assert_eq!(response.status(), 202);
    settle().await;
    let state = app
        .get_json(&format!("/api/conversations/{conversation}/state"))
        .await;
    assert_eq!(state["labels"], json!(["vip"]));
    assert_eq!(state["notes"], "Compra cada semana");

    assert_eq!(
        app.webhook(&text_message(
            "wamid.e2",
            "584121515151",
            "precio",
            now_secs()
        ))
        .await
        .status(),
        200
    );
    let sends = graph.wait_for_sends(2, Duration::from_secs(10)).await;
    assert_eq!(body_text(&sends[1]), "Precio especial para ti ⭐");

    let opt_out = json!({"opted_out": true});
    app.post_json(
        &format!("/api/conversations/{conversation}/contact"),
        &opt_out,
    )
    .await;
    settle().await;
    assert_eq!(
        app.webhook(&text_message(
            "wamid.e3",
            "584121515151",
            "precio",
            now_secs()
        ))
        .await
        .status(),
        200
    );
    settle().await;
    assert_eq!(graph.sends().len(), 2, "an opted-out contact gets nothing");
}
