//! `/api/settings`: read with a revision, save based on it; conflicts, invalid content and
//! malformed requests get clear answers and change nothing.

use crate::helpers::spawn_app;
use serde_json::{json, Value};
use std::fs;

#[tokio::test]
async fn settings_are_read_with_their_revision_and_saved_based_on_it() {
    let app = spawn_app().await;
    let mut current: Value = app.get_json("/api/settings").await;
    assert_eq!(current["settings"]["business"]["name"], "Mi Tienda");
    current["settings"]["business"]["name"] = json!("Panadería Lucía");

    let response = app.put_json("/api/settings", &current).await;

    assert_eq!(response.status(), 200);
    let saved: Value = response.json().await.expect("json");
    assert_ne!(saved["revision"], current["revision"]);
    let on_disk = fs::read_to_string(app.data_path().join("settings.json")).expect("read");
    assert!(on_disk.contains("Panadería Lucía"), "{on_disk}");
    let again: Value = app.get_json("/api/settings").await;
    assert_eq!(again["revision"], saved["revision"]);
}

#[tokio::test]
async fn a_save_after_a_hand_edit_is_409_with_both_versions_and_overwrites_nothing() {
    let app = spawn_app().await;
    let mut mine: Value = app.get_json("/api/settings").await;
    let path = app.data_path().join("settings.json");
    let hand_edit = fs::read_to_string(&path)
        .expect("read")
        .replace("Mi Tienda", "Editada Con Vim");
    fs::write(&path, &hand_edit).expect("hand edit");
    mine["settings"]["business"]["name"] = json!("Desde El Panel");

    let response = app.put_json("/api/settings", &mine).await;

    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "conflict");
    assert_eq!(body["error"]["details"]["current"]["text"], hand_edit);
    assert_eq!(fs::read_to_string(&path).expect("read"), hand_edit);
}

#[tokio::test]
async fn an_invalid_save_is_422_with_located_problems() {
    let app = spawn_app().await;
    let mut mine: Value = app.get_json("/api/settings").await;
    mine["settings"]["time_zone"] = json!("Luna/Tranquilidad");

    let response = app.put_json("/api/settings", &mine).await;

    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "invalid");
    let problem = &body["error"]["details"]["problems"][0];
    assert!(problem["message"]
        .as_str()
        .expect("message")
        .contains("Luna/Tranquilidad"));
    assert!(problem["line"].as_u64().expect("line") > 1);
    // The same problem as a code the dashboard words in its own language.
    let fault = json!({"code": "unknown_time_zone", "zone": "Luna/Tranquilidad"});
    assert_eq!(problem["fault"], fault, "{body}");
    assert_eq!(body["error"]["faults"], json!([fault]));
}

#[tokio::test]
async fn malformed_json_is_a_json_400() {
    let app = spawn_app().await;

    let response = app
        .client
        .put(app.url("/api/settings"))
        .header("content-type", "application/json")
        .body("{\"revision\": ")
        .send()
        .await
        .expect("sent");

    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "bad_request");
    assert_eq!(body["error"]["faults"][0]["code"], "syntax");
    assert_eq!(
        body["error"]["faults"][0]["problem"], "ends_early",
        "{body}"
    );
}

#[tokio::test]
async fn a_word_that_is_not_one_of_the_choices_comes_back_as_a_code_with_the_choices() {
    let app = spawn_app().await;
    let mut current = app.get_json("/api/rules").await;
    current["rules"]["rules"][1]["when"]["match"] = json!("contiene");

    let response = app.put_json("/api/rules", &current).await;

    assert!(response.status().is_client_error());
    let body: Value = response.json().await.expect("json");
    let fault = &body["error"]["faults"][0];
    assert_eq!(fault["code"], "unknown_variant", "{body}");
    assert_eq!(fault["found"], "contiene");
    assert_eq!(
        fault["expected"],
        json!(["exact", "contains", "word", "starts_with", "regex"])
    );
}

#[tokio::test]
async fn an_oversized_body_is_a_json_413() {
    let app = spawn_app().await;
    let body = format!(
        "{{\"revision\":\"{}\"}}",
        "x".repeat(cocolu::http::MAX_BODY_BYTES)
    );

    let response = app
        .client
        .put(app.url("/api/settings"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("sent");

    assert_eq!(response.status(), 413);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "too_large");
}

#[tokio::test]
async fn the_rules_are_served_and_saved_like_the_settings() {
    let app = spawn_app().await;
    let mut current = app.get_json("/api/rules").await;
    assert_eq!(current["rules"]["rules"][0]["id"], "menu");
    current["rules"]["rules"][2]["when"]["text"] = json!(["precio", "valor"]);

    let saved = app.put_json("/api/rules", &current).await;

    assert_eq!(saved.status(), 200);
    let on_disk = fs::read_to_string(app.data_path().join("rules.json")).expect("read");
    assert!(on_disk.contains("\"valor\""), "{on_disk}");
    assert_eq!(
        app.data.rules.get().rules[2].when.text,
        vec!["precio", "valor"]
    );
}

#[tokio::test]
async fn a_rule_with_a_bad_regex_is_422_with_its_position() {
    let app = spawn_app().await;
    let mut current = app.get_json("/api/rules").await;
    current["rules"]["rules"][1]["when"] = json!({"match": "regex", "text": ["(sin cerrar"]});

    let refused = app.put_json("/api/rules", &current).await;

    assert_eq!(refused.status(), 422);
    let body: Value = refused.json().await.expect("json");
    let problem = &body["error"]["details"]["problems"][0];
    assert!(
        problem["message"]
            .as_str()
            .expect("message")
            .contains("regular expression"),
        "{problem}"
    );
    assert!(problem["line"].as_u64().expect("line") > 1);
}
