//! Replies benchmarks (issue 18), against the release binary and a Graph API stand-in in this
//! process that accepts every send at once:
//! - first answers: 100 new customers write "hola" at once (default limit, 80 sends per
//!   second); when each customer's first answer reaches the stand-in, and when the last
//!   answer of all does;
//! - intake with a backlog: signed webhooks from 8 connections (customers asking when the shop opens),
//!   with the stand-in live so the outbox sends; throughput and p99 with no backlog, then
//!   again once 50,000 replies wait for the rate limit.
//!
//! Run: `cargo bench --bench replies`. `COCOLU_BENCH_BINARY=/path/to/cocolu` runs the same
//! figures against another build (the baseline).

mod common;

use cocolu::channel::meta::signature::sign;
use serde_json::json;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECRET: &str = "bench-secret";
const NEW_CUSTOMERS: usize = 100;
const BACKLOG: usize = 50_000;
const CONNECTIONS: usize = 8;
/// Webhooks each measured phase sends.
const MEASURED: u64 = 5_000;

fn start_server(dir: &std::path::Path, graph_url: &str) -> (std::process::Child, String) {
    let env = [
        ("META_APP_SECRET", SECRET),
        ("META_ACCESS_TOKEN", "bench-token"),
        ("META_PHONE_NUMBER_ID", "106540352242922"),
        ("META_GRAPH_URL", graph_url),
    ];
    match std::env::var("COCOLU_BENCH_BINARY") {
        Ok(binary) => common::start_binary(&binary, dir, &env, false),
        Err(_) => common::start_cocolu(dir, &env, false),
    }
}

fn webhook(customer: u64, id: &str, text: &str) -> Vec<u8> {
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "metadata": {"phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": "Cliente"}, "wa_id": format!("58412{customer:07}"), "user_id": format!("VE.{customer}")}],
        "messages": [{"from": format!("58412{customer:07}"), "id": id, "timestamp": ts.to_string(), "type": "text", "text": {"body": text}}]
    }}]}]})
    .to_string()
    .into_bytes()
}

async fn deliver(client: &reqwest::Client, url: &str, body: Vec<u8>) -> bool {
    let signature = sign(SECRET.as_bytes(), &body);
    matches!(
        client.post(url).header("x-hub-signature-256", signature).body(body).send().await,
        Ok(response) if response.status() == 200
    )
}

/// 100 new customers write at once: (last first answer, last answer, answers) in seconds
/// after the burst began.
fn first_answers(runtime: &tokio::runtime::Runtime, client: &reqwest::Client) -> (f64, f64, usize) {
    let arrivals = Arc::new(common::Arrivals::default());
    let graph_url = runtime.block_on(common::graph_stand_in(arrivals.clone()));
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut server, base) = start_server(dir.path(), &graph_url);
    let url = format!("{base}/webhook");
    let result = runtime.block_on(async {
        let start = Instant::now();
        let tasks: Vec<_> = (0..NEW_CUSTOMERS as u64)
            .map(|c| {
                let (client, url) = (client.clone(), url.clone());
                tokio::spawn(async move {
                    deliver(
                        &client,
                        &url,
                        webhook(c, &format!("wamid.hola.{c}"), "hola"),
                    )
                    .await
                })
            })
            .collect();
        for task in tasks {
            assert!(task.await.expect("joined"), "acknowledged");
        }
        // Every customer has an answer, and nothing more arrives for half a second.
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut settled = (0, Instant::now());
        while Instant::now() < deadline {
            let count = arrivals.list.lock().expect("lock").len();
            if count != settled.0 {
                settled = (count, Instant::now());
            } else if count >= NEW_CUSTOMERS && settled.1.elapsed() > Duration::from_millis(500) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let list = arrivals.list.lock().expect("lock").clone();
        let mut first: HashMap<String, Instant> = HashMap::new();
        for (at, to) in &list {
            first.entry(to.clone()).or_insert(*at);
        }
        assert_eq!(first.len(), NEW_CUSTOMERS, "every customer answered");
        let secs = |at: &Instant| at.duration_since(start).as_secs_f64();
        let last_first = first.values().map(secs).fold(0.0, f64::max);
        let last = list.iter().map(|(at, _)| secs(at)).fold(0.0, f64::max);
        (last_first, last, list.len())
    });
    let _ = server.kill();
    let _ = server.wait();
    result
}

/// Sends `count` webhooks over 8 connections (customers asking when the shop opens); throughput per
/// second and sorted latencies.
async fn burst(
    client: &reqwest::Client,
    url: &str,
    next: &Arc<AtomicU64>,
    count: u64,
    customers: u64,
) -> (f64, Vec<Duration>) {
    let end = next.load(Ordering::Relaxed) + count;
    let start = Instant::now();
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (client, url, next) = (client.clone(), url.to_string(), next.clone());
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let id = next.fetch_add(1, Ordering::Relaxed);
                    if id >= end {
                        break;
                    }
                    let body = webhook(
                        id % customers,
                        &format!("wamid.p.{id}"),
                        "¿a qué hora abren?",
                    );
                    let sent = Instant::now();
                    if deliver(&client, &url, body).await {
                        latencies.push(sent.elapsed());
                    }
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.expect("joined"));
    }
    let rate = latencies.len() as f64 / start.elapsed().as_secs_f64();
    latencies.sort();
    (rate, latencies)
}

struct Backlog {
    fresh: (f64, Duration),
    loaded: (f64, Duration),
    waiting: usize,
    rss_mb: f64,
}

/// Intake with no backlog, then with 50,000 replies waiting for the rate limit.
fn intake_with_backlog(runtime: &tokio::runtime::Runtime, client: &reqwest::Client) -> Backlog {
    let arrivals = Arc::new(common::Arrivals::default());
    arrivals.count_only.store(true, Ordering::Relaxed);
    let graph_url = runtime.block_on(common::graph_stand_in(arrivals.clone()));
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut server, base) = start_server(dir.path(), &graph_url);
    let url = format!("{base}/webhook");
    let customers = 10_000;
    let next = Arc::new(AtomicU64::new(0));
    let result = runtime.block_on(async {
        let (rate, latencies) = burst(client, &url, &next, MEASURED, customers).await;
        let fresh = (rate, common::percentile(&latencies, 0.99));
        // Fill: every webhook queues one reply; 80 a second leave. A build whose intake
        // slows down with the backlog gets two minutes, and its figure says how far it got.
        let filling = Instant::now();
        while (next.load(Ordering::Relaxed) as usize)
            < BACKLOG + arrivals.count.load(Ordering::Relaxed)
            && filling.elapsed() < Duration::from_secs(120)
        {
            burst(client, &url, &next, 5_000, customers).await;
        }
        let waiting =
            next.load(Ordering::Relaxed) as usize - arrivals.count.load(Ordering::Relaxed);
        let (rate, latencies) = burst(client, &url, &next, MEASURED, customers).await;
        let loaded = (rate, common::percentile(&latencies, 0.99));
        (fresh, loaded, waiting)
    });
    let rss_mb = common::rss_kib(server.id()) as f64 / 1024.0;
    let _ = server.kill();
    let _ = server.wait();
    Backlog {
        fresh: result.0,
        loaded: result.1,
        waiting: result.2,
        rss_mb,
    }
}

fn main() {
    let runtime = common::load_runtime();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()
        .expect("client");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "Machine: {cores} cores; binary: {}",
        std::env::var("COCOLU_BENCH_BINARY").unwrap_or_else(|_| "this build".into())
    );
    println!();
    println!("| figure | measured | target |");
    println!("|---|---|---|");
    let (last_first, last, answers) = first_answers(&runtime, &client);
    println!("| {NEW_CUSTOMERS} new customers write \"hola\" at once (80 sends/s): the last customer's first answer at the Graph API | {last_first:.2} s | ≤ 1.4 s |");
    println!(
        "| the same: every answer at the Graph API | {last:.2} s ({answers} messages) | ≤ 2.0 s |"
    );
    let backlog = intake_with_backlog(&runtime, &client);
    println!(
        "| webhooks over {CONNECTIONS} connections, Graph API live, no backlog ({MEASURED} webhooks) | {:.0}/s, p99 {} | — |",
        backlog.fresh.0,
        common::ms(backlog.fresh.1)
    );
    println!(
        "| the same with {} replies waiting for the rate limit | {:.0}/s, p99 {} (RSS {:.1} MB) | as without a backlog |",
        backlog.waiting,
        backlog.loaded.0,
        common::ms(backlog.loaded.1),
        backlog.rss_mb
    );
}
