//! Replies reach the customer in the order they were logged (issue 18, part 1): a
//! conversation's next message goes only once Meta accepted the previous or it failed for
//! good, while other conversations go on; a message waiting for a retry holds back its own
//! conversation only. Against the in-process server and the Graph API stand-in.

use crate::fake_graph::Answer;
use crate::helpers::{now_secs, spawn_app_with_graph, text_message, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

/// Customers who wrote 20 minutes ago: known, inside the window, and (the message being
/// stale) not answered by the bot, so only the tests' replies go out.
async fn customers_write(app: &TestApp, phones: &[&str]) {
    for phone in phones {
        let body = text_message(&format!("wamid.{phone}"), phone, "hola", now_secs() - 1200);
        assert_eq!(app.webhook(&body).await.status(), 200);
    }
}

async fn queue(app: &TestApp, phone: &str, body: &str) {
    let response = app
        .post_json(
            &format!("/api/conversations/VE.{phone}/messages"),
            &json!({"message": {"type": "text", "body": body}}),
        )
        .await;
    assert_eq!(response.status(), 202);
}

/// The texts sent, in the order they reached the stand-in.
fn texts(sends: &[Value]) -> Vec<String> {
    sends
        .iter()
        .map(|s| s["text"]["body"].as_str().unwrap_or("").to_string())
        .collect()
}

fn position(texts: &[String], text: &str) -> usize {
    texts
        .iter()
        .position(|t| t == text)
        .unwrap_or_else(|| panic!("{text} was sent: {texts:?}"))
}

#[tokio::test]
async fn a_conversation_s_next_message_waits_for_meta_s_answer_to_the_previous_while_others_go_on()
{
    let (app, graph) = spawn_app_with_graph().await;
    customers_write(&app, &["584121000001", "584121000002"]).await;
    // Meta takes a second to accept the first message.
    graph.script([Answer::Slow(Duration::from_secs(1))]);

    for text in ["ana 1", "ana 2", "ana 3"] {
        queue(&app, "584121000001", text).await;
    }
    queue(&app, "584121000002", "bea 1").await;

    let sends = graph.wait_for_sends(4, Duration::from_secs(10)).await;
    let sent = texts(&sends);
    assert_eq!(sent.len(), 4, "{sent:?}");
    assert!(
        position(&sent, "bea 1") < position(&sent, "ana 2"),
        "another conversation does not wait for this one: {sent:?}"
    );
    let ana: Vec<&String> = sent.iter().filter(|t| t.starts_with("ana")).collect();
    assert_eq!(ana, ["ana 1", "ana 2", "ana 3"], "in the order logged");
}

#[tokio::test]
async fn a_message_waiting_for_its_retry_holds_back_its_conversation_only() {
    let (app, graph) = spawn_app_with_graph().await;
    customers_write(&app, &["584122000001", "584122000002"]).await;
    // The first send gets a 500: it is retried after about a second.
    graph.script([Answer::Status(500)]);

    queue(&app, "584122000001", "ana 1").await;
    queue(&app, "584122000001", "ana 2").await;
    queue(&app, "584122000002", "bea 1").await;

    let sends = graph.wait_for_sends(4, Duration::from_secs(15)).await;
    let sent = texts(&sends);
    assert_eq!(
        sent.iter()
            .filter(|t| t.starts_with("ana"))
            .collect::<Vec<_>>(),
        ["ana 1", "ana 1", "ana 2"],
        "ana 2 waits for ana 1's retry: {sent:?}"
    );
    assert_eq!(
        position(&sent, "bea 1"),
        1,
        "bea does not wait for ana's retry: {sent:?}"
    );
}

#[tokio::test]
async fn each_conversation_s_first_message_goes_before_anyone_s_second() {
    let graph = crate::fake_graph::FakeGraph::start().await;
    let url = graph.url.clone();
    // Four sends a second: everything below is queued before the second slot comes.
    let app = crate::helpers::spawn_app_with(move |config| {
        config.meta.graph_url = url;
        config.send_rate = 4;
    })
    .await;
    let app = std::sync::Arc::new(app);
    let phones: Vec<String> = (0..6).map(|i| format!("58412300000{i}")).collect();
    let phones: Vec<&str> = phones.iter().map(String::as_str).collect();
    customers_write(&app, &phones).await;

    let writers: Vec<_> = phones
        .iter()
        .map(|phone| {
            let (app, phone) = (app.clone(), phone.to_string());
            tokio::spawn(async move {
                for n in 1..=3 {
                    queue(&app, &phone, &format!("{phone} {n}")).await;
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("queued");
    }

    let sends = graph
        .wait_for_sends(3 * phones.len(), Duration::from_secs(15))
        .await;
    let sent = texts(&sends);
    assert_eq!(sent.len(), 3 * phones.len(), "{sent:?}");
    let rank = |text: &String| text.rsplit(' ').next().and_then(|n| n.parse::<u32>().ok());
    let ranks: Vec<u32> = sent.iter().filter_map(rank).collect();
    let mut sorted = ranks.clone();
    sorted.sort_unstable();
    assert_eq!(
        ranks, sorted,
        "every first message, then every second, then every third: {sent:?}"
    );
}
