//! Connecting WhatsApp from Ajustes: the owner enters Meta's ids and secrets, Cocolu tests them
//! against the Graph API stand-in before saving, keeps them 0600 in the data folder, never shows
//! or logs them whole, and uses them at once (webhooks, replies) without a restart. The
//! server's environment still wins, value by value.

use crate::fake_graph::{FakeGraph, ACCESS_TOKEN, PHONE_NUMBER_ID, WABA_ID};
use crate::helpers::{now_secs, spawn_app_with, text_message, TestApp};
use cocolu::channel::meta::signature::sign;
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

const NEW_APP_SECRET: &str = "0123456789abcdef0123456789abcdef";

/// A server whose environment sets nothing of the Meta connection but the stand-in's address.
async fn unconfigured() -> (TestApp, FakeGraph) {
    let graph = FakeGraph::start().await;
    let url = graph.url.clone();
    let app = spawn_app_with(move |config| {
        config.meta.graph_url = url;
        config.meta.access_token = None;
        config.meta.phone_number_id = None;
        config.meta.waba_id = None;
        config.meta.app_secret = None;
        config.meta.verify_token = None;
    })
    .await;
    (app, graph)
}

async fn put(app: &TestApp, body: Value) -> (u16, Value) {
    let response = app.put_json("/api/channel", &body).await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON answer"))
}

fn saved_file(app: &TestApp) -> String {
    std::fs::read_to_string(app.data_path().join("whatsapp.json")).unwrap_or_default()
}

#[tokio::test]
async fn the_owner_connects_whatsapp_from_the_dashboard_and_it_works_at_once() {
    let (app, graph) = unconfigured().await;
    app.admin_session().await;
    let before = app.get_json("/api/channel").await;
    assert_eq!(before["access_token"], Value::Null);
    assert_eq!(before["set_by_server"], json!([]));
    let status = app.get_json("/api/status").await;
    assert!(
        status["alerts"]
            .as_array()
            .expect("alerts")
            .iter()
            .any(|a| a["kind"] == "not_configured"),
        "{status}"
    );

    // A token Meta refuses: nothing is saved, and Meta's own code comes back.
    let (code, refused) = put(
        &app,
        json!({"phone_number_id": PHONE_NUMBER_ID, "access_token": "EAAG-expired-token"}),
    )
    .await;
    assert_eq!(code, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "connection_refused");
    assert_eq!(refused["error"]["details"]["meta"]["code"], 190);
    assert!(!saved_file(&app).contains("EAAG-expired-token"));

    // A wrong business account id is caught too (its templates cannot be listed).
    let (code, refused) = put(
        &app,
        json!({"phone_number_id": PHONE_NUMBER_ID, "waba_id": "999", "access_token": ACCESS_TOKEN}),
    )
    .await;
    assert_eq!(code, 422, "{refused}");
    assert_eq!(refused["error"]["code"], "connection_refused");
    assert!(!saved_file(&app).contains(ACCESS_TOKEN));

    // A malformed id is refused before Meta is asked, at its field.
    let asked = graph.seen().len();
    let (code, invalid) = put(&app, json!({"phone_number_id": "+58 412 000"})).await;
    assert_eq!(code, 422, "{invalid}");
    assert_eq!(invalid["error"]["code"], "invalid");
    assert_eq!(
        invalid["error"]["details"]["problems"][0]["pointer"],
        "/phone_number_id"
    );
    assert_eq!(invalid["error"]["faults"][0]["code"], "not_a_meta_id");
    assert_eq!(graph.seen().len(), asked, "Meta was not asked");

    // The right values: tested, saved 0600, in force.
    let (code, saved) = put(
        &app,
        json!({"phone_number_id": PHONE_NUMBER_ID, "waba_id": WABA_ID,
               "access_token": ACCESS_TOKEN, "app_secret": NEW_APP_SECRET}),
    )
    .await;
    assert_eq!(code, 200, "{saved}");
    assert_eq!(saved["check"]["ok"], true);
    assert_eq!(saved["check"]["phone_number"]["verified_name"], "Mi Tienda");
    let connection = &saved["connection"];
    assert_eq!(connection["phone_number_id"], PHONE_NUMBER_ID);
    assert_eq!(connection["app_secret_set"], true);
    assert_eq!(connection["access_token"], "••••oken");
    let verify_token = connection["verify_token"]
        .as_str()
        .expect("a verify token was made up")
        .to_string();
    assert_eq!(verify_token.len(), 40, "{verify_token}");

    let path = app.data_path().join("whatsapp.json");
    let mode = std::fs::metadata(&path)
        .expect("saved")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    assert!(saved_file(&app).contains(ACCESS_TOKEN));

    // Never shown whole, never in the audit log.
    for path in ["/api/channel", "/api/status"] {
        let text = app.get_json(path).await.to_string();
        assert!(!text.contains(ACCESS_TOKEN), "{path}: {text}");
        assert!(!text.contains(NEW_APP_SECRET), "{path}: {text}");
    }
    let audit = app.get_json("/api/audit").await.to_string();
    assert!(audit.contains("connection_saved"), "{audit}");
    assert!(
        audit.contains("phone_number_id, waba_id, access_token, app_secret, verify_token"),
        "{audit}"
    );
    assert!(!audit.contains(ACCESS_TOKEN) && !audit.contains(NEW_APP_SECRET));

    // Meta's webhook handshake with the new verify token, and a message signed with the new
    // app secret, answered through the Graph API with the new token: no restart.
    let handshake = app
        .get(&format!(
            "/webhook?hub.mode=subscribe&hub.verify_token={verify_token}&hub.challenge=4242"
        ))
        .await;
    assert_eq!(handshake.status(), 200);
    assert_eq!(handshake.text().await.expect("text"), "4242");
    let body = text_message("wamid.connected.1", "584121234567", "hola", now_secs());
    let delivered = app
        .client
        .post(app.url("/webhook"))
        .header("content-type", "application/json")
        .header(
            "x-hub-signature-256",
            sign(NEW_APP_SECRET.as_bytes(), &body),
        )
        .body(body)
        .send()
        .await
        .expect("sent");
    assert_eq!(delivered.status(), 200);
    let sends = graph.wait_for_sends(1, Duration::from_secs(10)).await;
    assert_eq!(sends[0]["to"], "584121234567");

    let status = app.get_json("/api/status").await;
    assert!(
        !status["alerts"]
            .as_array()
            .expect("alerts")
            .iter()
            .any(|a| a["kind"] == "not_configured"),
        "{status}"
    );

    // A new app secret alone is not tested (Meta cannot check it): it saves even with Meta
    // out of reach.
    let asked = graph.seen().len();
    let (code, secret_only) = put(&app, json!({"app_secret": "another-secret-value"})).await;
    assert_eq!(code, 200, "{secret_only}");
    assert_eq!(secret_only["check"], Value::Null);
    assert_eq!(graph.seen().len(), asked, "Meta was not asked");

    // A value left out keeps its value; the secrets stay.
    let (code, again) = put(&app, json!({"waba_id": ""})).await;
    assert_eq!(code, 200, "{again}");
    assert_eq!(again["connection"]["waba_id"], Value::Null);
    assert_eq!(again["connection"]["app_secret_set"], true);
    assert_eq!(again["connection"]["verify_token"], verify_token.as_str());
}

#[tokio::test]
async fn the_servers_environment_wins_and_cannot_be_changed_from_the_dashboard() {
    let graph = FakeGraph::start().await;
    let url = graph.url.clone();
    let app = spawn_app_with(move |config| {
        config.meta.graph_url = url;
        config.meta.phone_number_id = None;
        config.meta.waba_id = None;
    })
    .await;
    app.admin_session().await;
    let connection = app.get_json("/api/channel").await;
    assert_eq!(
        connection["set_by_server"],
        json!(["access_token", "app_secret", "verify_token"])
    );
    let (code, refused) = put(&app, json!({"access_token": "EAAG-other"})).await;
    assert_eq!(code, 422, "{refused}");
    assert_eq!(refused["error"]["faults"][0]["code"], "set_by_server");

    // The values it leaves unset come from the dashboard, tested with the server's token.
    let (code, saved) = put(&app, json!({"phone_number_id": PHONE_NUMBER_ID})).await;
    assert_eq!(code, 200, "{saved}");
    assert_eq!(saved["check"]["ok"], true);
    assert!(
        !saved_file(&app).contains(ACCESS_TOKEN),
        "the server's token is not copied"
    );
}

#[tokio::test]
async fn a_save_goes_over_a_broken_hand_edit_and_never_answers_with_the_file() {
    let (app, _graph) = unconfigured().await;
    let mut events = app.events().await;
    std::fs::write(
        app.data_path().join("whatsapp.json"),
        format!("{{\"version\": 1, \"access_token\": \"{ACCESS_TOKEN}\", oops\n"),
    )
    .expect("hand edit");
    events.first("file_error", Duration::from_secs(10)).await;
    let (code, saved) = put(
        &app,
        json!({"phone_number_id": PHONE_NUMBER_ID, "access_token": ACCESS_TOKEN}),
    )
    .await;
    assert_eq!(code, 200, "{saved}");
    let text = saved_file(&app);
    assert!(!text.contains("oops"), "{text}");
    let status = app.get_json("/api/status").await;
    assert!(
        !status["file_problems"]
            .as_array()
            .expect("problems")
            .iter()
            .any(|p| p["file"] == "whatsapp.json"),
        "{status}"
    );
}

#[tokio::test]
async fn agents_cannot_see_or_change_the_connection() {
    let (app, _graph) = unconfigured().await;
    let agent = app.register("agent", "ana", "contraseña de Ana").await;
    let client = crate::helpers::anonymous_client();
    for (method, path) in [("GET", "/api/channel"), ("PUT", "/api/channel")] {
        let response = client
            .request(method.parse().expect("method"), app.url(path))
            .header("cookie", &agent.cookie)
            .header("x-csrf-token", &agent.csrf)
            .json(&json!({"access_token": ACCESS_TOKEN}))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 403, "{method} {path}");
    }
    assert!(!saved_file(&app).contains(ACCESS_TOKEN));
}

#[tokio::test]
async fn a_hand_edit_of_the_connection_file_is_checked_and_the_last_good_one_stays() {
    let (app, _graph) = unconfigured().await;
    app.admin_session().await;
    let (code, _) = put(
        &app,
        json!({"phone_number_id": PHONE_NUMBER_ID, "access_token": ACCESS_TOKEN}),
    )
    .await;
    assert_eq!(code, 200);
    let mut events = app.events().await;
    std::fs::write(
        app.data_path().join("whatsapp.json"),
        "{\n  \"version\": 1,\n  \"phone_number_id\": \"abc\"\n}\n",
    )
    .expect("hand edit");
    let error = events.first("file_error", Duration::from_secs(10)).await;
    assert_eq!(error["file"], "whatsapp.json");
    assert_eq!(error["problems"][0]["line"], 3);
    let connection = app.get_json("/api/channel").await;
    assert_eq!(
        connection["phone_number_id"], PHONE_NUMBER_ID,
        "the last good one"
    );

    // A good hand edit is in force at once.
    std::fs::write(
        app.data_path().join("whatsapp.json"),
        format!("{{\"version\": 1, \"phone_number_id\": \"123\", \"access_token\": \"{ACCESS_TOKEN}\"}}\n"),
    )
    .expect("hand edit");
    events.first("file_reloaded", Duration::from_secs(10)).await;
    let connection = app.get_json("/api/channel").await;
    assert_eq!(connection["phone_number_id"], "123");
}

/// The owner, in Spanish on a phone, pastes the values from Meta into Ajustes: a token Meta
/// refuses is explained in Spanish and nothing is saved; the right one is tested, saved and in
/// force, and its field empties (secrets are never shown again).
#[tokio::test]
async fn the_owner_pastes_metas_values_into_ajustes_on_a_phone() {
    use crate::browser::{open_with, save_screenshot, skip};
    use crate::pages::{press, type_into, wait_for, wait_text};
    if skip() {
        return;
    }
    let (app, _graph) = unconfigured().await;
    let browser = open_with(&app, "/settings", 375, 800).await;
    let client = browser.client();
    wait_for(client, "#webhook-not-https").await;
    wait_text(client, "#webhook-not-https", "https://").await;
    type_into(client, "#meta-phone-number-id", PHONE_NUMBER_ID).await;
    type_into(client, "#meta-access-token", "EAAG-expired-token").await;
    press(client, "#save-connection").await;
    let refused = wait_text(
        client,
        "#connection-result [data-ok='false']",
        "no se guardó",
    )
    .await;
    assert!(refused.contains("token"), "{refused}");
    assert!(
        !refused.contains("Error validating"),
        "worded in Spanish: {refused}"
    );
    crate::pages::show(client, "#connection-result").await;
    save_screenshot(client, "connection-refused-375.png").await;

    type_into(client, "#meta-access-token", ACCESS_TOKEN).await;
    type_into(client, "#meta-app-secret", NEW_APP_SECRET).await;
    press(client, "#save-connection").await;
    let saved = wait_text(client, "#connection-result [data-ok='true']", "Mi Tienda").await;
    assert!(saved.contains("Conexión guardada y en uso"), "{saved}");
    wait_text(client, "#verify-token", "").await;
    let field = client
        .find(fantoccini::Locator::Css("#meta-access-token"))
        .await
        .expect("token field");
    assert_eq!(
        field
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default(),
        ""
    );
    assert!(field
        .attr("placeholder")
        .await
        .expect("placeholder")
        .unwrap_or_default()
        .starts_with("••••"));
    wait_text(client, "#meta-access-token-hint", "conservar").await;
    crate::pages::show(client, "#connection-result").await;
    save_screenshot(client, "connection-saved-375.png").await;
    assert!(saved_file(&app).contains(ACCESS_TOKEN));
    browser.close().await;
}
