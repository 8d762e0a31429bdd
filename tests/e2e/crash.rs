//! The real binary is killed with SIGKILL at random moments while a client saves settings
//! through the API. After each restart every acknowledged save is there (or the one that was
//! in flight, which may have reached the disk before its answer), and every file parses.

use crate::helpers::{get_json, spawn_binary};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const ROUNDS: u64 = 20;

#[derive(Default)]
struct Progress {
    acknowledged: Option<String>,
    in_flight: Option<String>,
    count: u64,
}

#[tokio::test]
async fn every_acknowledged_save_survives_kill_9() {
    let mut randomness = crate::helpers::Randomness::from_clock("crash loop");
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let data_arg = data.display().to_string();
    let mut last: Option<(Option<String>, Option<String>)> = None;
    let mut total = 0;

    for round in 0..ROUNDS {
        let mut server = spawn_binary(dir.path(), &["serve", "--data-dir", &data_arg]);
        let client = server.client.clone();
        let url = format!("{}/api/settings", server.base_url);

        let current: Value = get_json(&client, &url).await;
        let name = current["settings"]["business"]["name"]
            .as_str()
            .expect("name")
            .to_string();
        if let Some((acknowledged, in_flight)) = &last {
            let allowed = [acknowledged.clone(), in_flight.clone()];
            assert!(
                allowed.contains(&Some(name.clone())),
                "round {round}: found {name:?}, expected the last acknowledged {acknowledged:?} or the in-flight {in_flight:?}"
            );
        }
        for file in ["settings.json", ".last-good/settings.json"] {
            let text = std::fs::read_to_string(data.join(file)).expect("file exists");
            serde_json::from_str::<Value>(&text)
                .unwrap_or_else(|e| panic!("round {round}: {file} does not parse: {e}"));
        }

        let progress = Arc::new(Mutex::new(Progress::default()));
        let writer = {
            let (client, url, progress) = (client.clone(), url.clone(), progress.clone());
            tokio::spawn(async move {
                let mut body = current;
                for i in 0.. {
                    let name = format!("Ronda {round} guardado {i}");
                    body["settings"]["business"]["name"] = json!(name);
                    progress.lock().expect("lock").in_flight = Some(name.clone());
                    let Ok(response) = client.put(&url).json(&body).send().await else {
                        break;
                    };
                    if response.status() != 200 {
                        break;
                    }
                    let Ok(saved) = response.json::<Value>().await else {
                        break;
                    };
                    body["revision"] = saved["revision"].clone();
                    let mut p = progress.lock().expect("lock");
                    p.acknowledged = Some(name);
                    p.count += 1;
                }
            })
        };
        tokio::time::sleep(Duration::from_millis(20 + randomness.next() % 150)).await;
        server.child.kill().expect("SIGKILL");
        server.child.wait().expect("reaped");
        writer.await.expect("writer ends");

        let p = progress.lock().expect("lock");
        total += p.count;
        last = Some(match &p.acknowledged {
            Some(_) => (p.acknowledged.clone(), p.in_flight.clone()),
            // Nothing acknowledged this round: what this round found on disk still holds (it
            // may be an earlier round's in-flight write that landed), or this round's
            // in-flight write.
            None => (Some(name), p.in_flight.clone()),
        });
    }
    assert!(
        total > ROUNDS,
        "saves were acknowledged across the rounds ({total})"
    );
}
