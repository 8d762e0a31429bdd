//! Webhook benchmarks (issue 4): signed webhooks with unique message ids, each durably logged
//! before its 200, against the real release binary in another process.
//!
//! Run: `cargo bench --bench webhook`. On two or more cores the server is pinned to core 0
//! and this load generator to core 1 (`taskset`), so they do not take each other's CPU.
//! Only 127.0.0.1 is contacted; every loop is bounded in time.

mod common;

use cocolu::channel::meta::signature::sign;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECRET: &str = "bench-secret";

fn body(id: u64) -> Vec<u8> {
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"WABA","changes":[{{"field":"messages","value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"584120000000","phone_number_id":"106540352242922"}},"contacts":[{{"profile":{{"name":"Cliente {c}"}},"wa_id":"58412{c:07}","user_id":"VE.{c}"}}],"messages":[{{"from":"58412{c:07}","id":"wamid.bench.{id}","timestamp":"{ts}","type":"text","text":{{"body":"Hola, ¿cuál es el precio?"}}}}]}}}}]}}]}}"#,
        c = id % 1000,
        ts = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
    )
    .into_bytes()
}

fn pinned() -> bool {
    std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2)
        && Command::new("taskset").arg("--version").output().is_ok()
}

async fn send(client: &reqwest::Client, url: &str, id: u64) -> bool {
    let body = body(id);
    let signature = sign(SECRET.as_bytes(), &body);
    matches!(
        client.post(url).header("x-hub-signature-256", signature).body(body).send().await,
        Ok(response) if response.status() == 200
    )
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pin = pinned();
    if pin {
        // This process generates the load from core 1.
        let _ = Command::new("taskset")
            .args(["-p", "-c", "1", &std::process::id().to_string()])
            .output();
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut server, base) = common::start_cocolu(dir.path(), &[("META_APP_SECRET", SECRET)], pin);
    let url = format!("{base}/webhook");
    let pid = server.id();
    let idle_rss = common::rss_kib(pid);

    let runtime = common::load_runtime();
    let next_id = Arc::new(AtomicU64::new(0));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .expect("client");

    // Sustained: 64 connections sending as fast as answers come back, for 10 s.
    let run = Duration::from_secs(10);
    let (sustained, failed) = runtime.block_on(async {
        let ok = Arc::new(AtomicU64::new(0));
        let bad = Arc::new(AtomicU64::new(0));
        let start = Instant::now();
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let (client, url, next_id, ok, bad) = (
                    client.clone(),
                    url.clone(),
                    next_id.clone(),
                    ok.clone(),
                    bad.clone(),
                );
                tokio::spawn(async move {
                    while start.elapsed() < run {
                        let id = next_id.fetch_add(1, Ordering::Relaxed);
                        let counter = if send(&client, &url, id).await {
                            &ok
                        } else {
                            &bad
                        };
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        for task in tasks {
            let _ = task.await;
        }
        (
            ok.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64(),
            bad.load(Ordering::Relaxed),
        )
    });

    // Latency at a steady 1,000 webhooks/s (open loop: one request every millisecond).
    let latencies = runtime.block_on(async {
        let mut ticker = tokio::time::interval(Duration::from_millis(1));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        let mut tasks = Vec::new();
        for _ in 0..10_000 {
            ticker.tick().await;
            let (client, url, next_id) = (client.clone(), url.clone(), next_id.clone());
            tasks.push(tokio::spawn(async move {
                let id = next_id.fetch_add(1, Ordering::Relaxed);
                let start = Instant::now();
                let ok = send(&client, &url, id).await;
                (ok, start.elapsed())
            }));
        }
        let mut latencies = Vec::new();
        for task in tasks {
            if let Ok((true, elapsed)) = task.await {
                latencies.push(elapsed.as_secs_f64() * 1000.0);
            }
        }
        latencies.sort_by(f64::total_cmp);
        latencies
    });

    // Make sure at least 100,000 webhooks went in before reading the memory.
    runtime.block_on(async {
        while next_id.load(Ordering::Relaxed) < 100_000 {
            let tasks: Vec<_> = (0..64)
                .map(|_| {
                    let (client, url, next_id) = (client.clone(), url.clone(), next_id.clone());
                    tokio::spawn(async move {
                        for _ in 0..100 {
                            let id = next_id.fetch_add(1, Ordering::Relaxed);
                            send(&client, &url, id).await;
                        }
                    })
                })
                .collect();
            for task in tasks {
                let _ = task.await;
            }
        }
    });
    let total = next_id.load(Ordering::Relaxed);
    let loaded_rss = common::rss_kib(pid);
    let _ = server.kill();
    let _ = server.wait();

    let pct = |p: f64| latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)];
    println!(
        "Machine: {cores} cores; {}",
        if pin {
            "server pinned to core 0, load generator to core 1"
        } else {
            "server and load generator share the cores"
        }
    );
    println!();
    println!("| figure | measured | target |");
    println!("|---|---|---|");
    println!("| signed webhooks, each durably logged before its 200 (64 connections, 10 s) | {sustained:.0}/s ({failed} failed) | ≥ 5,000/s sustained |");
    println!("| webhook latency at 1,000/s (10,000 requests, open loop) | p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms | p99 ≤ 10 ms |", pct(0.5), pct(0.99), pct(1.0));
    println!(
        "| RSS after {total} webhooks | {:.1} MB (idle at start {:.1} MB) | ≤ 40 MB |",
        loaded_rss as f64 / 1024.0,
        idle_rss as f64 / 1024.0
    );
}
