//! Every acknowledged customer message is answered (issue 18, part 3): the binary is killed
//! with SIGKILL again and again while new customers write. After the last restart, each
//! customer whose message got its 200 has their answer at the Graph API stand-in; the
//! duplicates (answers sent again because they were in flight at a kill: Meta has no
//! idempotency key) are counted and reported.

use crate::fake_graph::{FakeGraph, ACCESS_TOKEN, PHONE_NUMBER_ID};
use crate::helpers::{now_secs, spawn_binary_with_env, text_message};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ROUNDS: usize = 10;
const SENDERS: usize = 6;
/// Sends in flight at once in the outbox: the most a kill can leave unconfirmed.
const IN_FLIGHT: usize = 16;

/// Customers who wrote and were acknowledged, by phone number.
pub type Acknowledged = Arc<Mutex<Vec<String>>>;

/// Starts `SENDERS` new customers writing "hola" as fast as the server acknowledges, each
/// message from a customer never seen before; they stop at the first refusal or failure.
pub fn new_customers_write(
    url: &str,
    tag: &str,
    acknowledged: &Acknowledged,
) -> Vec<tokio::task::JoinHandle<()>> {
    let client = reqwest::Client::new();
    (0..SENDERS)
        .map(|sender| {
            let (client, url, acknowledged, tag) = (
                client.clone(),
                url.to_string(),
                acknowledged.clone(),
                tag.to_string(),
            );
            tokio::spawn(async move {
                for i in 0.. {
                    let phone = format!("58{tag}{sender:02}{i:05}");
                    let body = text_message(&format!("wamid.{phone}"), &phone, "hola", now_secs());
                    let signature = cocolu::channel::meta::signature::sign(
                        crate::helpers::APP_SECRET.as_bytes(),
                        &body,
                    );
                    let sent = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .header("x-hub-signature-256", signature)
                        .timeout(Duration::from_secs(5))
                        .body(body)
                        .send();
                    match sent.await {
                        Ok(response) if response.status() == 200 => {
                            acknowledged.lock().expect("lock").push(phone)
                        }
                        _ => break,
                    }
                }
            })
        })
        .collect()
}

/// Waits until every acknowledged customer has an answer at the stand-in; returns the
/// customers still unanswered and how many sends were duplicates (the same text to the same
/// customer again).
pub async fn wait_for_answers(
    graph: &FakeGraph,
    acknowledged: &[String],
    limit: Duration,
) -> (Vec<String>, usize) {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let sends = graph.sends();
        let answered: HashSet<&str> = sends.iter().filter_map(|s| s["to"].as_str()).collect();
        let missing: Vec<String> = acknowledged
            .iter()
            .filter(|phone| !answered.contains(phone.as_str()))
            .cloned()
            .collect();
        if missing.is_empty() || tokio::time::Instant::now() >= deadline {
            let mut seen: HashMap<(String, String), usize> = HashMap::new();
            for send in &sends {
                let to = send["to"].as_str().unwrap_or("").to_string();
                let what = send
                    .get("interactive")
                    .or_else(|| send.get("text"))
                    .map(Value::to_string)
                    .unwrap_or_default();
                *seen.entry((to, what)).or_default() += 1;
            }
            let duplicates = seen.values().map(|n| n - 1).sum();
            return (missing, duplicates);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The environment of a server that sends to the stand-in, fast (the rate limit is not what
/// this tests).
pub fn graph_env(graph: &FakeGraph) -> Vec<(&'static str, String)> {
    vec![
        ("META_GRAPH_URL", graph.url.clone()),
        ("META_ACCESS_TOKEN", ACCESS_TOKEN.to_string()),
        ("META_PHONE_NUMBER_ID", PHONE_NUMBER_ID.to_string()),
        ("COCOLU_SEND_RATE", "1000".to_string()),
    ]
}

#[tokio::test]
async fn every_acknowledged_message_is_answered_through_repeated_kill_9() {
    let mut randomness = crate::helpers::Randomness::from_clock("answer crash loop");
    let graph = FakeGraph::start().await;
    let env = graph_env(&graph);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let dir = tempfile::tempdir().expect("tempdir");
    let acknowledged: Acknowledged = Arc::default();

    for round in 0..ROUNDS {
        let mut server = spawn_binary_with_env(dir.path(), &[], &env);
        let url = format!("{}/webhook", server.base_url);
        let senders = new_customers_write(&url, &format!("{round:02}"), &acknowledged);
        tokio::time::sleep(Duration::from_millis(150 + randomness.next() % 350)).await;
        server.child.kill().expect("SIGKILL");
        server.child.wait().expect("reaped");
        for sender in senders {
            sender.await.expect("sender ends");
        }
    }

    let _server = spawn_binary_with_env(dir.path(), &[], &env);
    let acked = acknowledged.lock().expect("lock").clone();
    assert!(
        acked.len() > ROUNDS * SENDERS,
        "customers wrote and were acknowledged ({})",
        acked.len()
    );
    let (missing, duplicates) = wait_for_answers(&graph, &acked, Duration::from_secs(60)).await;
    eprintln!(
        "{} acknowledged messages over {ROUNDS} kills: {} unanswered, {duplicates} answers sent twice",
        acked.len(),
        missing.len()
    );
    assert!(
        missing.is_empty(),
        "every acknowledged message is answered; unanswered: {missing:?}"
    );
    assert!(
        duplicates <= ROUNDS * IN_FLIGHT,
        "duplicates stay within what was in flight at the kills: {duplicates}"
    );
}
