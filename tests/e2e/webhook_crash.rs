//! The real binary is killed with SIGKILL while Meta-like clients deliver signed webhooks.
//! After each restart every message that got its 200 is in the log exactly once, and Meta's
//! redeliveries of them are recognised as duplicates.

use crate::helpers::{log_records, now_secs, post_webhook, spawn_binary, text_message};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ROUNDS: usize = 20;
const SENDERS: usize = 8;

fn id_counts(data: &std::path::Path) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for record in log_records(data) {
        if let Some(id) = record["id"].as_str() {
            *counts.entry(id.to_string()).or_insert(0) += 1;
        }
    }
    counts
}

#[tokio::test]
async fn every_acknowledged_webhook_survives_kill_9_and_is_stored_once() {
    let mut randomness = crate::helpers::Randomness::from_clock("webhook crash loop");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let client = reqwest::Client::new();
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::default();

    for round in 0..ROUNDS {
        let mut server = spawn_binary(dir.path(), &[]);
        let url = format!("{}/webhook", server.base_url);

        let counts = id_counts(&data);
        let acked = acknowledged.lock().expect("lock").clone();
        for id in &acked {
            assert_eq!(
                counts.get(id),
                Some(&1),
                "round {round}: acknowledged {id} stored once"
            );
        }
        // Meta redelivers some of them: still 200, still once.
        for id in acked.iter().rev().take(3) {
            let response = post_webhook(
                &client,
                &url,
                &text_message(id, "584125555555", "otra vez", now_secs()),
            )
            .await;
            assert_eq!(response.status(), 200);
        }

        let senders: Vec<_> = (0..SENDERS)
            .map(|sender| {
                let (client, url, acknowledged) =
                    (client.clone(), url.clone(), acknowledged.clone());
                tokio::spawn(async move {
                    for i in 0.. {
                        let id = format!("wamid.r{round}.s{sender}.{i}");
                        let body =
                            text_message(&id, &format!("58412{sender:07}"), "hola", now_secs());
                        let Ok(response) = client
                            .post(&url)
                            .header(
                                "x-hub-signature-256",
                                cocolu::channel::meta::signature::sign(
                                    crate::helpers::APP_SECRET.as_bytes(),
                                    &body,
                                ),
                            )
                            .body(body)
                            .send()
                            .await
                        else {
                            break;
                        };
                        if response.status() != 200 {
                            break;
                        }
                        acknowledged.lock().expect("lock").push(id);
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(30 + randomness.next() % 150)).await;
        server.child.kill().expect("SIGKILL");
        server.child.wait().expect("reaped");
        for sender in senders {
            sender.await.expect("sender ends");
        }
    }

    let _server = spawn_binary(dir.path(), &[]);
    let counts = id_counts(&data);
    let acked = acknowledged.lock().expect("lock").clone();
    assert!(
        acked.len() > ROUNDS * SENDERS,
        "webhooks were acknowledged ({})",
        acked.len()
    );
    for id in &acked {
        assert_eq!(counts.get(id), Some(&1), "acknowledged {id} stored once");
    }
    assert!(
        counts.values().all(|c| *c == 1),
        "no message id stored twice"
    );
}
