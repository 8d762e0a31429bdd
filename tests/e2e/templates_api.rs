//! `/api/templates`: the templates in force, saved from the dashboard with the same conflict
//! and validation rules as a hand edit; and the counts in `/api/status`.

use crate::helpers::spawn_app;
use serde_json::{json, Value};
use std::time::Duration;

fn find<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .expect("list")
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("template {name}"))
}

#[tokio::test]
async fn a_template_is_saved_on_its_revision_and_a_built_in_can_come_back() {
    let app = spawn_app().await;
    let list = app.get_json("/api/templates").await;
    let welcome = find(&list, "bienvenida");
    assert_eq!(welcome["builtin"], true);
    assert_eq!(welcome["from_file"], false);
    let builtin_text = welcome["text"].as_str().expect("text").to_string();
    let revision = welcome["revision"].clone();

    let saved = app
        .put_json(
            "/api/templates/bienvenida",
            &json!({"text": "¡Hola {{nombre}}! Bienvenido a la tienda.", "revision": revision}),
        )
        .await;
    assert_eq!(saved.status(), 200);
    let on_disk =
        std::fs::read_to_string(app.templates_path().join("bienvenida.txt")).expect("file");
    assert_eq!(on_disk, "¡Hola {{nombre}}! Bienvenido a la tienda.");
    let list = app.get_json("/api/templates").await;
    assert_eq!(find(&list, "bienvenida")["from_file"], true);

    let stale = app
        .put_json(
            "/api/templates/bienvenida",
            &json!({"text": "Otra versión", "revision": revision}),
        )
        .await;
    assert_eq!(stale.status(), 409);
    let body: Value = stale.json().await.expect("json");
    assert_eq!(
        body["error"]["details"]["current"]["text"],
        "¡Hola {{nombre}}! Bienvenido a la tienda."
    );

    let current = find(&list, "bienvenida")["revision"].clone();
    let broken = app
        .put_json(
            "/api/templates/bienvenida",
            &json!({"text": "Hola\n{{nombre", "revision": current}),
        )
        .await;
    assert_eq!(broken.status(), 422);
    let body: Value = broken.json().await.expect("json");
    let problem = &body["error"]["details"]["problems"][0];
    assert_eq!(problem["file"], "templates/bienvenida.txt");
    assert_eq!(
        (problem["line"].as_u64(), problem["column"].as_u64()),
        (Some(2), Some(1))
    );

    let restored = app
        .client
        .delete(app.url("/api/templates/bienvenida"))
        .send()
        .await
        .expect("sent");
    assert_eq!(restored.status(), 204);
    let list = app.get_json("/api/templates").await;
    assert_eq!(find(&list, "bienvenida")["text"], builtin_text.as_str());
    assert!(!app.templates_path().join("bienvenida.txt").exists());
}

#[tokio::test]
async fn a_new_template_starts_from_the_empty_revision() {
    let app = spawn_app().await;
    // The revision of the empty text, as a template that does not exist yet has.
    let empty = app
        .put_json(
            "/api/templates/promo",
            &json!({"text": "x", "revision": "0000000000000000"}),
        )
        .await;
    assert_eq!(empty.status(), 409, "a made-up base is a conflict");
    let body: Value = empty.json().await.expect("json");
    let base = body["error"]["details"]["current"]["revision"].clone();
    assert_eq!(body["error"]["details"]["current"]["text"], "");

    let created = app
        .put_json(
            "/api/templates/promo",
            &json!({"text": "*2x1* este fin de semana", "revision": base}),
        )
        .await;
    assert_eq!(created.status(), 200);
    let list = app.get_json("/api/templates").await;
    assert_eq!(find(&list, "promo")["builtin"], false);
    let restore = app
        .client
        .delete(app.url("/api/templates/promo"))
        .send()
        .await
        .expect("sent");
    assert_eq!(restore.status(), 422, "nothing built in to go back to");
    let bad_name = app
        .put_json(
            "/api/templates/Mal%20Nombre",
            &json!({"text": "x", "revision": base}),
        )
        .await;
    assert_eq!(bad_name.status(), 422);
}

#[tokio::test]
async fn the_status_counts_conversations_and_connected_dashboards() {
    let app = spawn_app().await;
    let before = app.get_json("/api/status").await;
    assert_eq!(before["counts"]["conversations"], 0);
    assert_eq!(before["counts"]["websocket_clients"], 0);
    let _events = app.events().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let status = app.get_json("/api/status").await;
        if status["counts"]["websocket_clients"] == 1 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{status}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
