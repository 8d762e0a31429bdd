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

/// A save over a hand edit that broke `rules.json`, attacked: eight dashboards save over the
/// same broken file at once (one wins, the others are told it changed, and the file is the
/// winner's, whole), and the server is killed with SIGKILL while saves over a fresh broken
/// edit are under way. After each restart the server starts, `rules.json` is either the broken
/// edit (the save never landed: the last good version is in force and the problem is shown) or
/// a whole version that was saved, and the last good copy always parses.
#[tokio::test]
async fn saving_over_a_broken_hand_edit_holds_under_concurrency_and_kill_9() {
    let mut randomness = crate::helpers::Randomness::from_clock("broken edit saves");
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let data_arg = data.display().to_string();
    const BROKEN: &str = "{ \"version\": 1,\n  \"rules\": [ oops\n";

    /// Saves `description` as the first rule's over what is on disk: a save on the version in
    /// force is told the file changed (409) with the file's revision, and goes over it with
    /// that. Returns the final status.
    async fn save_over(client: &reqwest::Client, url: &str, description: &str) -> Option<u16> {
        let mut body: Value = client.get(url).send().await.ok()?.json().await.ok()?;
        body["rules"]["rules"][0]["description"] = json!(description);
        let first = client.put(url).json(&body).send().await.ok()?;
        if first.status() != 409 {
            return Some(first.status().as_u16());
        }
        let conflict: Value = first.json().await.ok()?;
        body["revision"] = conflict["error"]["details"]["current"]["revision"].clone();
        let second = client.put(url).json(&body).send().await.ok()?;
        Some(second.status().as_u16())
    }

    // Eight at once over the same broken file.
    {
        let server = spawn_binary(dir.path(), &["serve", "--data-dir", &data_arg]);
        let url = format!("{}/api/rules", server.base_url);
        std::fs::write(data.join("rules.json"), BROKEN).expect("hand edit");
        wait_for_problem(&server.client, &server.base_url).await;
        let saves: Vec<_> = (0..8)
            .map(|i| {
                let (client, url) = (server.client.clone(), url.clone());
                tokio::spawn(
                    async move { save_over(&client, &url, &format!("a la vez {i}")).await },
                )
            })
            .collect();
        let mut statuses = Vec::new();
        for save in saves {
            statuses.push(save.await.expect("joined").expect("answered"));
        }
        let won = statuses.iter().filter(|s| **s == 200).count();
        assert!(won >= 1, "one save goes over the broken file: {statuses:?}");
        assert!(
            statuses.iter().all(|s| *s == 200 || *s == 409),
            "{statuses:?}"
        );
        let text = std::fs::read_to_string(data.join("rules.json")).expect("rules");
        let on_disk: Value = serde_json::from_str(&text).expect("whole JSON");
        let description = on_disk["rules"][0]["description"].as_str().expect("saved");
        assert!(description.starts_with("a la vez "), "{description}");
    }

    let mut saved_over = 0;
    for round in 0..6 {
        let mut server = spawn_binary(dir.path(), &["serve", "--data-dir", &data_arg]);
        let url = format!("{}/api/rules", server.base_url);
        let good: Value = get_json(&server.client, &url).await;
        assert!(good["rules"]["rules"].is_array(), "round {round}: {good}");
        serde_json::from_str::<Value>(
            &std::fs::read_to_string(data.join(".last-good/rules.json")).expect("last good"),
        )
        .unwrap_or_else(|e| panic!("round {round}: the last good copy does not parse: {e}"));
        let text = std::fs::read_to_string(data.join("rules.json")).expect("rules");
        if text != BROKEN {
            serde_json::from_str::<Value>(&text).unwrap_or_else(|e| {
                panic!("round {round}: rules.json is neither the hand edit nor whole: {e}")
            });
        }

        std::fs::write(data.join("rules.json"), BROKEN).expect("hand edit");
        wait_for_problem(&server.client, &server.base_url).await;
        let writers: Vec<_> = (0..3)
            .map(|i| {
                let (client, url) = (server.client.clone(), url.clone());
                tokio::spawn(async move {
                    let mut saved = 0;
                    for n in 0..50 {
                        match save_over(&client, &url, &format!("ronda {round}, {i}.{n}")).await {
                            Some(200) => saved += 1,
                            Some(_) => {}
                            None => break,
                        }
                    }
                    saved
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(5 + randomness.next() % 60)).await;
        server.child.kill().expect("SIGKILL");
        server.child.wait().expect("reaped");
        for writer in writers {
            saved_over += writer.await.expect("writer ends");
        }
    }
    assert!(
        saved_over > 0,
        "saves went over the broken edits before the kills"
    );
}

/// Waits until the server reports a problem in `rules.json`.
async fn wait_for_problem(client: &reqwest::Client, base: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let status: Value = get_json(client, &format!("{base}/api/status")).await;
        if status["file_problems"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["file"] == "rules.json"))
        {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the broken edit is seen"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
