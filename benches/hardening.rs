//! Hardening benchmarks (issue 17), against the real release binary in another process:
//!
//! 1. 150 concurrent sign-ins with maximal inputs: 1 MiB usernames (refused at the edge), and
//!    the largest accepted (256-byte usernames, 1 KiB passwords) from 150 addresses through a
//!    trusted proxy, so each reaches the password hash. The server's peak RSS, sampled every
//!    10 ms (baseline: its RSS before).
//! 2. Webhook latency while two agents run the simulator on 400-rule regex drafts back to back
//!    (baseline: the same webhooks with nobody simulating, in the same run).
//! 3. 1,000 half-open connections against a server started with a 1,024 open-file limit: the
//!    dashboard's latency for a signed-in page and `/healthz` meanwhile (baseline: before the
//!    flood).
//!
//! Run: `cargo bench --bench hardening`. On two or more cores the server is pinned to core 0
//! (a one-core VPS) and this load generator to core 1. Only 127.0.0.1 is contacted; every loop
//! is bounded.

mod common;

use common::{ms, percentile};
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;

const SECRET: &str = "bench-secret";
const USER: &str = "dueña";
const PASSWORD: &str = "una clave de prueba larga";

/// Samples the server's RSS every 10 ms until `stop`; the peak in KiB.
fn sample_peak(pid: u32, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    std::thread::spawn(move || {
        let mut peak = 0;
        while !stop.load(Ordering::Relaxed) {
            peak = peak.max(common::rss_kib(pid));
            std::thread::sleep(Duration::from_millis(10));
        }
        peak
    })
}

async fn sign_ins(base: &str, pid: u32) {
    let client = reqwest::Client::new();
    let before = common::rss_kib(pid);
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = sample_peak(pid, stop.clone());
    let huge = "a".repeat(1024 * 1024);
    let started = Instant::now();
    let oversized = futures_util::future::join_all((0..150).map(|i| {
        let client = client.clone();
        let body = json!({"username": huge, "password": format!("clave {i}")});
        let url = format!("{base}/api/auth/login");
        async move {
            client
                .post(url)
                .json(&body)
                .send()
                .await
                .map_or(0, |r| r.status().as_u16())
        }
    }))
    .await;
    let oversized_time = started.elapsed();
    let started = Instant::now();
    let maximal = futures_util::future::join_all((0..150).map(|i| {
        let client = client.clone();
        let body = json!({
            "username": format!("{i:03}{}", "u".repeat(253)),
            "password": "p".repeat(1024),
        });
        let url = format!("{base}/api/auth/login");
        async move {
            client
                .post(url)
                .header(
                    "x-forwarded-for",
                    format!("10.1.{}.{}", i / 200, i % 200 + 1),
                )
                .json(&body)
                .send()
                .await
                .map_or(0, |r| r.status().as_u16())
        }
    }))
    .await;
    let maximal_time = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let peak = sampler.join().unwrap_or(0);
    let count = |statuses: &[u16], status: u16| statuses.iter().filter(|s| **s == status).count();
    println!(
        "150 sign-ins with 1 MiB usernames: {} refused 413, {} cut off by the server while still sending (connection closed after the first 8 KiB), {} other, in {:.2} s",
        count(&oversized, 413),
        count(&oversized, 0),
        oversized.len() - count(&oversized, 413) - count(&oversized, 0),
        oversized_time.as_secs_f64()
    );
    println!(
        "150 sign-ins with 256-byte usernames and 1 KiB passwords from 150 addresses: {} checked (401), {} throttled, in {:.2} s",
        count(&maximal, 401),
        count(&maximal, 429),
        maximal_time.as_secs_f64()
    );
    println!(
        "server RSS: {before} KiB before (baseline), peak {peak} KiB during ({:.1} MB; budget 80 MB)",
        peak as f64 / 1000.0
    );
}

/// A signed webhook with one customer message an hour old (stored, not answered).
fn webhook(id: u64) -> (Vec<u8>, String) {
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        - 3600;
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "584120000000", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": "Cliente"}, "wa_id": "584120000001"}],
            "messages": [{"from": "584120000001", "id": format!("wamid.hb.{id}"), "timestamp": ts.to_string(), "type": "text", "text": {"body": "hola"}}]
        }}]}]
    })
    .to_string()
    .into_bytes();
    let signature = cocolu::channel::meta::signature::sign(SECRET.as_bytes(), &body);
    (body, signature)
}

/// Sends webhooks one after another for `seconds`; their latencies, sorted.
async fn webhooks(base: &str, seconds: u64, next_id: &AtomicU64) -> Vec<Duration> {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut latencies = Vec::new();
    while Instant::now() < deadline {
        let (body, signature) = webhook(next_id.fetch_add(1, Ordering::Relaxed));
        let started = Instant::now();
        let response = client
            .post(format!("{base}/webhook"))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", signature)
            .body(body)
            .send()
            .await;
        if response.is_ok_and(|r| r.status().is_success()) {
            latencies.push(started.elapsed());
        }
        // About 50 webhooks a second: a busy shop's peak.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    latencies.sort();
    latencies
}

/// A valid draft of 400 regex rules (within the regex budget).
fn large_draft() -> serde_json::Value {
    let rules: Vec<_> = (0..400)
        .map(|i| {
            json!({
                "id": format!("pedido_{i}"),
                "when": {"match": "regex", "text": [format!(r"(pedido|orden|compra)\s*{i}\s*#?\d{{4}}")]},
                "reply": [{"text": format!("Tu pedido {i} está en camino.")}]
            })
        })
        .collect();
    json!({"version": 1, "rules": rules})
}

async fn simulator_load(base: &str, agent: &str) {
    let next_id = AtomicU64::new(0);
    let quiet = webhooks(base, 10, &next_id).await;
    let stop = Arc::new(AtomicBool::new(false));
    let draft = large_draft();
    let simulations = Arc::new(AtomicU64::new(0));
    let agents: Vec<_> = (0..2)
        .map(|_| {
            let url = format!("{base}/api/simulate");
            let body = json!({"text": "pedido 7 #1234", "rules": draft});
            let agent = agent.to_string();
            let stop = stop.clone();
            let simulations = simulations.clone();
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                while !stop.load(Ordering::Relaxed) {
                    let answered = client
                        .post(&url)
                        .bearer_auth(&agent)
                        .json(&body)
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success());
                    if answered {
                        simulations.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    let busy = webhooks(base, 15, &next_id).await;
    stop.store(true, Ordering::Relaxed);
    for agent in agents {
        let _ = agent.await;
    }
    for (name, latencies) in [
        ("webhooks, nobody simulating (baseline)", &quiet),
        ("webhooks while two agents simulate 400-rule drafts", &busy),
    ] {
        println!(
            "{name}: {} webhooks, p50 {}, p99 {}, max {}",
            latencies.len(),
            ms(percentile(latencies, 0.5)),
            ms(percentile(latencies, 0.99)),
            ms(latencies.last().copied().unwrap_or_default())
        );
    }
    println!(
        "simulations of the 400-rule draft answered meanwhile: {}",
        simulations.load(Ordering::Relaxed)
    );
}

/// The latency of `count` fresh requests for `path` (a new connection each time, as a
/// browser opening the dashboard would), sorted; `None` for a request that failed.
async fn fresh_requests(
    base: &str,
    path: &str,
    cookie: &str,
    count: usize,
) -> Vec<Option<Duration>> {
    let mut latencies = Vec::new();
    for _ in 0..count {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(10))
            .build()
            .expect("client");
        let started = Instant::now();
        let ok = client
            .get(format!("{base}{path}"))
            .header("cookie", cookie)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        latencies.push(ok.then(|| started.elapsed()));
    }
    latencies
}

fn summary(latencies: &[Option<Duration>]) -> String {
    let mut answered: Vec<Duration> = latencies.iter().flatten().copied().collect();
    answered.sort();
    format!(
        "{}/{} answered, p50 {}, max {}",
        answered.len(),
        latencies.len(),
        ms(percentile(&answered, 0.5)),
        ms(answered.last().copied().unwrap_or_default())
    )
}

async fn half_open_flood(dir: &std::path::Path, pin: bool) {
    // Started under a 1,024 open-file limit, as a default Linux account has.
    let binary = env!("CARGO_BIN_EXE_cocolu");
    let mut command = Command::new("prlimit");
    command.arg("--nofile=1024:1024");
    if pin {
        command.args(["taskset", "-c", "0"]);
    }
    let mut server = command
        .args([binary, "serve", "--addr", "127.0.0.1:0"])
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .env("RUST_LIB_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cocolu starts under prlimit");
    let base = read_address(&mut server);
    let client = reqwest::Client::new();
    let signed_in = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"username": USER, "password": PASSWORD}))
        .send()
        .await
        .expect("sign-in");
    let cookie = signed_in
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .to_string();
    let before_page = fresh_requests(&base, "/inbox", &cookie, 20).await;
    let before_health = fresh_requests(&base, "/healthz", "", 20).await;
    let addr = base.trim_start_matches("http://").to_string();
    let mut flood = Vec::new();
    let mut refused = 0;
    for _ in 0..1000 {
        match tokio::net::TcpStream::connect(&addr).await {
            Ok(mut stream) => {
                let _ = stream
                    .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                    .await;
                flood.push(stream);
            }
            Err(_) => refused += 1,
        }
    }
    let during_page = fresh_requests(&base, "/inbox", &cookie, 20).await;
    let during_health = fresh_requests(&base, "/healthz", "", 20).await;
    println!(
        "1,000 half-open connections (server limit 1,024 files): {} opened, {refused} refused by the system",
        flood.len()
    );
    println!(
        "GET /inbox signed in, before the flood (baseline): {}",
        summary(&before_page)
    );
    println!(
        "GET /inbox signed in, during the flood: {}",
        summary(&during_page)
    );
    println!(
        "GET /healthz before the flood (baseline): {}",
        summary(&before_health)
    );
    println!("GET /healthz during the flood: {}", summary(&during_health));
    drop(flood);
    let _ = server.kill();
    let _ = server.wait();
}

fn read_address(server: &mut Child) -> String {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("line");
    line.trim().trim_start_matches("listening on ").to_string()
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pin = common::pin_load_to_core_1();
    // This process opens a thousand connections of its own: its soft limit up to its hard one.
    if let Some(hard) = rustix::process::getrlimit(rustix::process::Resource::Nofile).maximum {
        let _ = Command::new("prlimit")
            .args([
                "--pid",
                &std::process::id().to_string(),
                &format!("--nofile={hard}:{hard}"),
            ])
            .status();
    }
    let dir = tempfile::tempdir().expect("tempdir");
    common::run_cocolu(
        dir.path(),
        &["user", "add", USER, "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    let agent = common::run_cocolu(dir.path(), &["token", "agente", "--role", "agent"], "");
    println!("machine: {cores} cores; server pinned to core 0: {pin}");
    let runtime = common::load_runtime();
    {
        let (mut server, base) = common::start_cocolu(
            dir.path(),
            &[
                ("META_APP_SECRET", SECRET),
                ("COCOLU_TRUSTED_PROXIES", "127.0.0.1"),
            ],
            pin,
        );
        let pid = server.id();
        runtime.block_on(async {
            sign_ins(&base, pid).await;
            simulator_load(&base, &agent).await;
        });
        let _ = server.kill();
        let _ = server.wait();
    }
    runtime.block_on(half_open_flood(dir.path(), pin));
}
