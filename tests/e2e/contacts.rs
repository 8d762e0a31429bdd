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

/// A customer's message, acknowledged by the webhook; returns the secret it carries.
async fn writes(client: &reqwest::Client, url: &str, phone: &str, round: usize) -> String {
    let secret = format!("dirección secreta {phone} ronda {round}");
    let body = text_message(
        &format!("wamid.{phone}.{round}"),
        phone,
        &secret,
        now_secs(),
    );
    let response = crate::helpers::post_webhook(client, url, &body).await;
    assert_eq!(
        response.status(),
        200,
        "the message from {phone} is acknowledged"
    );
    secret
}

/// Erases run while customers keep writing, two at once for different customers and twice at
/// once for the same one, and one is cut short by SIGKILL each round. After the last start:
/// an erase that answered 200 left nothing of its customer; the one cut short either never
/// began or was finished at the next start (never half done); no acknowledged message of
/// anyone else is lost.
#[tokio::test]
async fn erases_under_load_at_once_and_through_kill_9_are_all_or_nothing() {
    use crate::answered::{new_customers_write, Acknowledged};
    use std::sync::Arc;
    const ROUNDS: usize = 10;
    let mut randomness = crate::helpers::Randomness::from_clock("erase crash loop");
    let dir = tempfile::tempdir().expect("tempdir");
    let acknowledged: Acknowledged = Arc::default();
    // (conversation, secret, whether an erase answered 200)
    let mut erased: Vec<(String, String)> = Vec::new();
    let mut cut_short: Vec<(String, String)> = Vec::new();

    for round in 0..ROUNDS {
        let server = crate::helpers::spawn_binary(dir.path(), &[]);
        let mut server = server;
        let url = format!("{}/webhook", server.base_url);
        let plain = reqwest::Client::new();
        let phones: Vec<String> = (0..3).map(|k| format!("5841377{round}{k:04}")).collect();
        let mut secrets = Vec::new();
        for phone in &phones {
            secrets.push(writes(&plain, &url, phone, round).await);
        }
        let senders = new_customers_write(&url, &format!("9{round}"), &acknowledged);
        // The erases come while new customers are writing.
        tokio::time::sleep(Duration::from_millis(50 + randomness.next() % 100)).await;
        let erase = |phone: &str| {
            let request = server
                .client
                .post(format!("{}/api/contacts/VE.{phone}/erase", server.base_url))
                .timeout(Duration::from_secs(20))
                .send();
            async move { request.await.map(|r| r.status().as_u16()) }
        };
        // Two customers at once, and the first of them twice at once.
        let (a, b, a_again) = tokio::join!(erase(&phones[0]), erase(&phones[1]), erase(&phones[0]));
        assert_eq!(
            a.as_ref().ok().min(a_again.as_ref().ok()),
            Some(&200),
            "one of the two erases of the same customer does it"
        );
        assert!(
            matches!(a_again, Ok(200 | 404)) && matches!(a, Ok(200 | 404)),
            "{a:?} {a_again:?}"
        );
        assert_eq!(b.expect("answered"), 200);
        erased.push((format!("VE.{}", phones[0]), secrets[0].clone()));
        erased.push((format!("VE.{}", phones[1]), secrets[1].clone()));
        // The third is cut short somewhere.
        let third = tokio::spawn(erase(&phones[2]));
        tokio::time::sleep(Duration::from_millis(randomness.next() % 400)).await;
        server.child.kill().expect("SIGKILL");
        server.child.wait().expect("reaped");
        match third.await.expect("joined") {
            Ok(200) => erased.push((format!("VE.{}", phones[2]), secrets[2].clone())),
            _ => cut_short.push((format!("VE.{}", phones[2]), secrets[2].clone())),
        }
        for sender in senders {
            sender.await.expect("sender ends");
        }
    }

    let server = crate::helpers::spawn_binary(dir.path(), &[]);
    let mut log = String::new();
    for entry in std::fs::read_dir(dir.path().join("data/log")).expect("log folder") {
        let path = entry.expect("entry").path();
        log.push_str(&String::from_utf8_lossy(
            &std::fs::read(path).unwrap_or_default(),
        ));
    }
    let export = |conversation: &str| {
        let request = server
            .client
            .get(format!(
                "{}/api/contacts/{conversation}/export",
                server.base_url
            ))
            .send();
        async move { request.await.expect("sent").status().as_u16() }
    };
    for (conversation, secret) in &erased {
        let left: Vec<&str> = log
            .lines()
            .filter(|line| line.contains(secret.as_str()) || line.contains(conversation.as_str()))
            .collect();
        assert!(
            left.is_empty(),
            "{conversation} erased leaves nothing: {left:#?}"
        );
        assert_eq!(export(conversation).await, 404, "{conversation}");
    }
    let mut finished = 0;
    for (conversation, secret) in &cut_short {
        let kept = log.contains(secret.as_str());
        assert_eq!(
            log.contains(conversation.as_str()),
            kept,
            "{conversation}: all or nothing"
        );
        assert_eq!(
            export(conversation).await,
            if kept { 200 } else { 404 },
            "{conversation}"
        );
        finished += usize::from(!kept);
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|phone| !log.contains(&format!("wamid.{phone}")))
        .collect();
    eprintln!(
        "{} erased, {} cut short by SIGKILL ({finished} finished at the next start), {} messages acknowledged meanwhile, {} lost",
        erased.len(),
        cut_short.len(),
        acknowledged.len(),
        lost.len()
    );
    assert!(lost.is_empty(), "acknowledged messages lost: {lost:?}");
    assert!(acknowledged.len() > ROUNDS, "customers kept writing");
}
