//! A customer's data exported and erased (their rights of access and erasure): through the
//! administrators' API while serving, and from the command line.

use crate::helpers::{
    client_with_token, log_records, now_secs, run_cocolu, spawn_app, text_message,
};
use std::time::Duration;

const ANA: &str = "VE.584121111111";

/// Ana and Bruno write; returns once the bot has decided Ana's message.
async fn two_customers(app: &crate::helpers::TestApp) {
    for (id, from, text) in [
        (
            "wamid.ana",
            "584121111111",
            "soy Ana, vivo en Calle Uno 123",
        ),
        ("wamid.bruno", "584122222222", "hola, soy Bruno"),
    ] {
        let status = app
            .webhook(&text_message(id, from, text, now_secs()))
            .await
            .status();
        assert_eq!(status, 200);
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !log_records(&app.data_path())
        .iter()
        .any(|r| r["kind"] == "contact_state" && r["conversation"] == ANA)
    {
        assert!(tokio::time::Instant::now() < deadline, "the bot decides");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn log_text(app: &crate::helpers::TestApp) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(app.data_path().join("log")).expect("log folder") {
        let path = entry.expect("entry").path();
        text.push_str(&String::from_utf8_lossy(
            &std::fs::read(path).unwrap_or_default(),
        ));
    }
    text
}

#[tokio::test]
async fn an_admin_exports_then_erases_a_customer_and_an_agent_can_do_neither() {
    let app = spawn_app().await;
    two_customers(&app).await;

    let export = app.get_json(&format!("/api/contacts/{ANA}/export")).await;
    let records = export["records"].as_array().expect("records");
    assert!(
        records
            .iter()
            .any(|r| r["text"] == "soy Ana, vivo en Calle Uno 123"),
        "{export}"
    );
    assert!(
        records.iter().all(|r| r["conversation"] == ANA),
        "only Ana's"
    );
    assert_eq!(export["conversation"], ANA);

    let made: serde_json::Value = app
        .post_json(
            "/api/tokens",
            &serde_json::json!({"name": "recepción", "role": "agent"}),
        )
        .await
        .json()
        .await
        .expect("json");
    let agent = client_with_token(made["token"].as_str().expect("token"));
    let refused = agent
        .get(app.url(&format!("/api/contacts/{ANA}/export")))
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 403);
    let refused = agent
        .post(app.url(&format!("/api/contacts/{ANA}/erase")))
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 403);

    let erased = app
        .post_json(
            &format!("/api/contacts/{ANA}/erase"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(erased.status(), 200);
    let erased: serde_json::Value = erased.json().await.expect("json");
    assert!(erased["records"].as_u64().expect("count") >= 2, "{erased}");

    let gone = app.get(&format!("/api/contacts/{ANA}/export")).await;
    assert_eq!(gone.status(), 404);
    let text = log_text(&app);
    assert!(!text.contains("Calle Uno"), "the log keeps nothing of Ana");
    assert!(!text.contains(ANA), "not even her id");
    assert!(text.contains("soy Bruno"), "Bruno is kept");
    let conversations = app.get_json("/api/conversations").await;
    let listed: Vec<&str> = conversations["conversations"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["conversation"].as_str())
        .collect();
    assert_eq!(listed, ["VE.584122222222"]);
    let audit = std::fs::read_to_string(app.data_path().join("audit.log")).expect("audit");
    assert!(
        audit.contains("contact_erased") && audit.contains("sha256:"),
        "{audit}"
    );
    assert!(
        !audit.contains("584121111111"),
        "the audit names Ana only by a hash"
    );

    let unknown = app
        .post_json("/api/contacts/VE.nadie/erase", &serde_json::json!({}))
        .await;
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn the_command_line_exports_while_serving_and_sends_an_erase_to_the_api() {
    let app = spawn_app().await;
    two_customers(&app).await;
    let data = app.data_path();
    let data = data.to_str().expect("utf-8 path");

    let exported = run_cocolu(
        &app.data_path(),
        &["contact", "--data-dir", data, "export", ANA],
        "",
    );
    assert!(exported.status.success(), "{exported:?}");
    let export: serde_json::Value = serde_json::from_slice(&exported.stdout).expect("JSON");
    assert!(export["records"]
        .as_array()
        .expect("records")
        .iter()
        .any(|r| r["text"] == "soy Ana, vivo en Calle Uno 123"));

    let erase = run_cocolu(
        &app.data_path(),
        &["contact", "--data-dir", data, "erase", ANA],
        "",
    );
    assert!(!erase.status.success());
    let said = String::from_utf8_lossy(&erase.stderr);
    assert!(said.contains("POST /api/contacts/"), "{said}");
    assert!(
        log_text(&app).contains("Calle Uno"),
        "nothing erased behind the server's back"
    );
}
