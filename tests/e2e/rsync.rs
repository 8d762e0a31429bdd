//! `data/` is copied with rsync while the server writes to it (the documented backup recipe);
//! every copy starts cleanly, losing at most what was written after the copy.

use crate::helpers::{get_json, spawn_binary};
use cocolu::store::log::{Log, LogOptions};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The README's recipe: skip temporary files and the lock.
fn rsync(from: &Path, to: &Path) {
    let status = Command::new("rsync")
        .args(["-a", "--delete", "--exclude=.*.tmp-*", "--exclude=/.lock"])
        .arg(format!("{}/", from.display()))
        .arg(to)
        .status()
        .expect("rsync runs (the test command installs it)");
    assert!(status.success());
}

#[tokio::test]
async fn rsync_copies_taken_under_api_load_start_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = spawn_binary(dir.path(), &[]);
    let url = format!("{}/api/settings", server.base_url);
    let client = server.client.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (client, url, stop) = (client.clone(), url.clone(), stop.clone());
        tokio::spawn(async move {
            let mut body: Value = get_json(&client, &url).await;
            let mut saves = 0;
            while !stop.load(Ordering::Relaxed) {
                body["settings"]["business"]["name"] = format!("Guardado {saves}").into();
                let saved: Value = client
                    .put(&url)
                    .json(&body)
                    .send()
                    .await
                    .expect("put")
                    .json()
                    .await
                    .expect("json");
                body["revision"] = saved["revision"].clone();
                saves += 1;
            }
            saves
        })
    };

    let copies = tempfile::tempdir().expect("tempdir");
    for i in 0..5 {
        let copy = copies.path().join(format!("copy-{i}/data"));
        std::fs::create_dir_all(&copy).expect("mkdir");
        let (from, to) = (dir.path().join("data"), copy.clone());
        tokio::task::spawn_blocking(move || rsync(&from, &to))
            .await
            .expect("joined");
    }
    stop.store(true, Ordering::Relaxed);
    assert!(writer.await.expect("writer") > 0);

    for i in 0..5 {
        let root = copies.path().join(format!("copy-{i}"));
        let copy = spawn_binary(&root, &[]);
        let read: Value = get_json(&copy.client, &format!("{}/api/settings", copy.base_url)).await;
        assert!(
            read["settings"]["business"]["name"].is_string(),
            "copy {i} serves its settings"
        );
    }
}

#[test]
fn an_rsync_copy_of_a_log_being_appended_recovers_a_prefix() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log_dir = dir.path().join("log");
    let (log, _) = Log::open(&log_dir, LogOptions::default()).expect("log");
    let log = Arc::new(log);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (log, stop) = (log.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let batch = (0..20)
                    .map(|i| {
                        format!("{{\"n\":{},\"pad\":\"{}\"}}", n + i, "x".repeat(300)).into_bytes()
                    })
                    .collect();
                log.append_blocking(batch).expect("stored");
                n += 20;
            }
        })
    };
    let copies = tempfile::tempdir().expect("tempdir");
    for i in 0..5 {
        let copy = copies.path().join(format!("copy-{i}"));
        std::fs::create_dir_all(&copy).expect("mkdir");
        rsync(&log_dir, &copy);
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().expect("writer");

    for i in 0..5 {
        let (copy, _) = Log::open(
            &copies.path().join(format!("copy-{i}")),
            LogOptions::default(),
        )
        .expect("the copy opens");
        let mut expected = 0u64;
        copy.scan(None, |_, bytes| {
            let record: Value = serde_json::from_slice(bytes).expect("JSON");
            assert_eq!(record["n"], expected, "copy {i} holds a prefix, in order");
            expected += 1;
        })
        .expect("scan");
    }
}
