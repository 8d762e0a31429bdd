//! Quick replies: the shop's saved answers in `quick_replies.json`, managed in the dashboard
//! (or by hand), filled in for a customer, and typed with `/` in the composer.

use crate::helpers::{now_secs, spawn_app, spawn_app_with_graph, text_message};
use serde_json::{json, Value};
use std::time::Duration;

const CUSTOMER: &str = "584121000009";
const CONVERSATION: &str = "VE.584121000009";

#[tokio::test]
async fn saved_answers_are_checked_saved_and_filled_in_for_a_customer() {
    let (app, _graph) = spawn_app_with_graph().await;
    let current = app.get_json("/api/quick-replies").await;
    let shortcuts: Vec<&str> = current["quick_replies"]["replies"]
        .as_array()
        .expect("replies")
        .iter()
        .map(|r| r["shortcut"].as_str().expect("shortcut"))
        .collect();
    assert_eq!(shortcuts, vec!["gracias", "horario", "un-momento"]);

    // Mistakes are located, in codes the dashboard words.
    let revision = current["revision"].as_str().expect("revision");
    let bad = json!({"revision": revision, "quick_replies": {"version": 1, "replies": [
        {"shortcut": "Envío rápido", "text": "Enviamos hoy"},
        {"shortcut": "envio", "text": ""},
        {"shortcut": "envio", "text": "Hola {{nombre"},
    ]}});
    let refused = app.put_json("/api/quick-replies", &bad).await;
    assert_eq!(refused.status(), 422);
    let refused: Value = refused.json().await.expect("JSON");
    let problems = refused["error"]["details"]["problems"]
        .as_array()
        .expect("problems");
    let at: Vec<(&str, &str)> = problems
        .iter()
        .map(|p| {
            (
                p["pointer"].as_str().expect("pointer"),
                p["fault"]["code"].as_str().expect("code"),
            )
        })
        .collect();
    assert_eq!(
        at,
        vec![
            ("/replies/0/shortcut", "not_a_shortcut"),
            ("/replies/1/text", "empty"),
            ("/replies/2/shortcut", "shortcut_twice"),
            ("/replies/2/text", "never_closed"),
        ]
    );

    let good = json!({"revision": revision, "quick_replies": {"version": 1, "replies": [
        {"shortcut": "envio", "text": "Hola {{nombre}}, en {{negocio}} enviamos a todo el país."},
        {"shortcut": "horario", "text": "Hoy: {{horario_hoy}}"},
    ]}});
    let saved = app.put_json("/api/quick-replies", &good).await;
    assert_eq!(saved.status(), 200);
    let file = std::fs::read_to_string(app.data_path().join("quick_replies.json")).expect("file");
    assert!(file.contains("\"envio\""), "{file}");

    // For a customer, the variables are filled in as the bot would.
    assert_eq!(
        app.get(&format!("/api/conversations/{CONVERSATION}/quick-replies"))
            .await
            .status(),
        404,
        "no such conversation yet"
    );
    let body = text_message("wamid.quick.1", CUSTOMER, "hola", now_secs());
    assert_eq!(app.webhook(&body).await.status(), 200);
    let filled = app
        .get_json(&format!("/api/conversations/{CONVERSATION}/quick-replies"))
        .await;
    assert_eq!(
        filled[0]["text"],
        "Hola Cliente, en Mi Tienda enviamos a todo el país."
    );
    assert!(
        !filled[1]["text"].as_str().expect("text").contains("{{"),
        "{filled}"
    );
}

#[tokio::test]
async fn agents_use_the_answers_but_cannot_change_them() {
    let app = spawn_app().await;
    let agent = app.register("agent", "ana", "contraseña de Ana").await;
    let client = crate::helpers::anonymous_client();
    let read = client
        .get(app.url("/api/quick-replies"))
        .header("cookie", &agent.cookie)
        .send()
        .await
        .expect("sent");
    assert_eq!(read.status(), 200);
    let current: Value = read.json().await.expect("JSON");
    let write = client
        .put(app.url("/api/quick-replies"))
        .header("cookie", &agent.cookie)
        .header("x-csrf-token", &agent.csrf)
        .json(&current)
        .send()
        .await
        .expect("sent");
    assert_eq!(write.status(), 403);
}

#[tokio::test]
async fn a_hand_edit_is_in_force_at_once_and_a_broken_one_keeps_the_last_good() {
    let app = spawn_app().await;
    let mut events = app.events().await;
    let path = app.data_path().join("quick_replies.json");
    std::fs::write(
        &path,
        "{\"version\": 1, \"replies\": [{\"shortcut\": \"hola\", \"text\": \"¡Hola!\"}]}\n",
    )
    .expect("hand edit");
    events.first("file_reloaded", Duration::from_secs(10)).await;
    let current = app.get_json("/api/quick-replies").await;
    assert_eq!(current["quick_replies"]["replies"][0]["shortcut"], "hola");

    std::fs::write(
        &path,
        "{\"version\": 1, \"replies\": [\n  {\"shortcut\": 5}\n]}\n",
    )
    .expect("broken edit");
    let error = events.first("file_error", Duration::from_secs(10)).await;
    assert_eq!(error["file"], "quick_replies.json");
    assert_eq!(error["problems"][0]["line"], 2);
    let current = app.get_json("/api/quick-replies").await;
    assert_eq!(current["quick_replies"]["replies"][0]["shortcut"], "hola");
}

/// The owner saves an answer on the page, then types `/env` in a chat on a phone, picks it with
/// Enter, and sends it with the customer's name filled in.
#[tokio::test]
async fn the_owner_saves_an_answer_and_types_it_with_a_slash_in_a_chat() {
    use crate::browser::{open_with, save_screenshot, skip};
    use crate::pages::{press, type_into, wait_for, wait_text, wait_value};
    if skip() {
        return;
    }
    let (app, graph) = spawn_app_with_graph().await;
    let body = text_message("wamid.quick.2", CUSTOMER, "hola", now_secs());
    assert_eq!(app.webhook(&body).await.status(), 200);
    let automatic = graph.wait_for_sends(1, Duration::from_secs(10)).await.len();

    let browser = open_with(&app, "/quick-replies", 375, 800).await;
    let client = browser.client();
    wait_for(client, "#quick-shortcut-2").await;
    press(client, "#add-quick-reply").await;
    type_into(client, "#quick-shortcut-3", "/Envío.Rápido").await;
    // Checked as the owner types, in Spanish, beside the field.
    wait_text(
        client,
        ".quick-reply[data-index='3'] .field-error",
        "minúsculas",
    )
    .await;
    type_into(client, "#quick-shortcut-3", "envio").await;
    // The customer's name goes in with a button named in words, where the cursor is, and the
    // text reads as the customer will read it.
    type_into(client, "#quick-text-3", "Hola ").await;
    let button = wait_text(
        client,
        ".quick-reply[data-index='3'] [data-variable='nombre']",
        "Nombre del cliente",
    )
    .await;
    assert!(!button.contains("{{"), "{button}");
    press(
        client,
        ".quick-reply[data-index='3'] [data-variable='nombre']",
    )
    .await;
    wait_value(client, "#quick-text-3", "Hola {{nombre}}").await;
    wait_text(
        client,
        ".quick-reply[data-index='3'] .as-read",
        "Hola María",
    )
    .await;
    // A misspelled variable would be sent empty: it is pointed out.
    type_into(client, "#quick-text-3", "Hola {{nombr}}").await;
    wait_text(
        client,
        ".quick-reply[data-index='3'] .unknown-variables",
        "{{nombr}} no es una variable",
    )
    .await;
    type_into(
        client,
        "#quick-text-3",
        "Hola {{nombre}}, enviamos a todo el país.",
    )
    .await;
    press(client, "#save").await;
    wait_text(client, "#save-bar", "Todo guardado").await;
    save_screenshot(client, "quick-replies-375.png").await;

    crate::browser::visit(client, &app.url(&format!("/inbox?c={CONVERSATION}"))).await;
    crate::browser::wait_for_hydration(client).await;
    type_into(client, "#composer-text", "/env").await;
    wait_text(client, "#quick-menu li.chosen", "/envio").await;
    save_screenshot(client, "quick-menu-375.png").await;
    client
        .execute(
            "document.querySelector('#composer-text').dispatchEvent(
                 new KeyboardEvent('keydown', {key: 'Enter', bubbles: true}));",
            vec![],
        )
        .await
        .expect("Enter");
    wait_value(
        client,
        "#composer-text",
        "Hola Cliente, enviamos a todo el país.",
    )
    .await;
    crate::pages::wait_gone(client, "#quick-menu").await;
    press(client, "#composer button[type=submit]").await;
    let sends = graph
        .wait_for_sends(automatic + 1, Duration::from_secs(10))
        .await;
    assert!(
        sends
            .iter()
            .any(|s| s["text"]["body"] == "Hola Cliente, enviamos a todo el país."),
        "{sends:?}"
    );

    // On a phone a button opens the same menu, with every answer; a tap picks one.
    wait_value(client, "#composer-text", "").await;
    press(client, "#quick-toggle").await;
    let menu = wait_text(client, "#quick-menu", "/gracias").await;
    assert!(
        menu.contains("/envio") && menu.contains("/horario"),
        "{menu}"
    );
    save_screenshot(client, "quick-button-375.png").await;
    press(client, "#quick-options li[data-shortcut='gracias']").await;
    wait_value(
        client,
        "#composer-text",
        "¡Gracias por escribirnos, Cliente! Cualquier otra cosa, aquí estamos.",
    )
    .await;
    crate::pages::wait_gone(client, "#quick-menu").await;
    // A message written waits: a picked answer would replace it.
    wait_for(client, "#quick-toggle[disabled]").await;
    browser.close().await;
}
