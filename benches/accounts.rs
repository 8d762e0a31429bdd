//! Accounts and API benchmarks (issue 6), against the real release binary in another process:
//!
//! - `GET /api/status` with an API token at 64 concurrent connections (baseline: `/healthz`,
//!   which checks no credentials, measured the same way in the same run);
//! - 20 sign-ins at once (Argon2id, 19 MiB each, at most two at a time): the time of each and
//!   the server's memory after (baseline: one sign-in alone);
//! - 10,000 idle WebSocket clients authenticated with a token: the server's memory (baseline:
//!   its memory before they connect).
//!
//! Run: `cargo bench --bench accounts`. On two or more cores the server is pinned to core 0
//! and this load generator to core 1. Only 127.0.0.1 is contacted; every loop is bounded.

mod common;

use common::{ms, percentile};

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

const USER: &str = "dueña";
const PASSWORD: &str = "una clave de prueba larga";
const CONNECTIONS: usize = 64;
const SECONDS: u64 = 10;
const WS_CLIENTS: usize = 10_000;
const SECRET: &str = "bench-secret";

/// A signed webhook with one customer message, an hour old (so the bot stays quiet).
fn webhook(id: usize) -> (Vec<u8>, String) {
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        - 3600;
    let body = format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"WABA","changes":[{{"field":"messages","value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"584120000000","phone_number_id":"106540352242922"}},"contacts":[{{"profile":{{"name":"Cliente"}},"wa_id":"584120000001"}}],"messages":[{{"from":"584120000001","id":"wamid.ws.{id}","timestamp":"{ts}","type":"text","text":{{"body":"hola"}}}}]}}}}]}}]}}"#
    )
    .into_bytes();
    let signature = cocolu::channel::meta::signature::sign(SECRET.as_bytes(), &body);
    (body, signature)
}

/// `CONNECTIONS` clients request `url` back to back for `SECONDS`; every latency is kept.
async fn hammer(url: &str, token: Option<&str>) -> (usize, Vec<Duration>) {
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let url = url.to_string();
            let token = token.map(str::to_string);
            tokio::spawn(async move {
                // One connection per client, kept alive, like wrk's.
                let client = reqwest::Client::builder()
                    .pool_max_idle_per_host(1)
                    .build()
                    .expect("client");
                let mut latencies = Vec::new();
                let mut failures = 0;
                while Instant::now() < deadline {
                    let mut request = client.get(&url);
                    if let Some(token) = &token {
                        request = request.bearer_auth(token);
                    }
                    let started = Instant::now();
                    match request.send().await {
                        Ok(response) if response.status().is_success() => {
                            let _ = response.bytes().await;
                            latencies.push(started.elapsed());
                        }
                        _ => failures += 1,
                    }
                }
                (failures, latencies)
            })
        })
        .collect();
    let mut failures = 0;
    let mut all = Vec::new();
    for task in tasks {
        let (f, l) = task.await.expect("joined");
        failures += f;
        all.extend(l);
    }
    all.sort();
    (failures, all)
}

fn report(name: &str, (failures, latencies): &(usize, Vec<Duration>)) {
    println!(
        "{name}: {} requests in {SECONDS} s ({:.0}/s), {failures} failed; p50 {}, p99 {}, max {}",
        latencies.len(),
        latencies.len() as f64 / SECONDS as f64,
        ms(percentile(latencies, 0.50)),
        ms(percentile(latencies, 0.99)),
        ms(latencies.last().copied().unwrap_or_default()),
    );
}

/// The same load with wrk (C, one thread on core 1), when it is installed: its p99 is less
/// disturbed by the load generator's own work.
fn wrk(url: &str, token: Option<&str>) -> Option<String> {
    let mut command = Command::new("wrk");
    command.args([
        "-t1",
        &format!("-c{CONNECTIONS}"),
        &format!("-d{SECONDS}s"),
        "--latency",
    ]);
    if let Some(token) = token {
        command.args(["-H", &format!("Authorization: Bearer {token}")]);
    }
    let output = command.arg(url).output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    let pick = |prefix: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(prefix))
            .map(|l| l.split_whitespace().last().unwrap_or("").to_string())
            .unwrap_or_default()
    };
    Some(format!(
        "p50 {}, p99 {}, {} req/s, non-2xx: {}",
        pick("50%"),
        pick("99%"),
        pick("Requests/sec:"),
        text.lines()
            .find(|l| l.contains("Non-2xx"))
            .map_or("0".into(), |l| l
                .split_whitespace()
                .last()
                .unwrap_or("")
                .to_string())
    ))
}

async fn login(base: &str) -> (Duration, bool) {
    let started = Instant::now();
    let ok = reqwest::Client::new()
        .post(format!("{base}/api/auth/login"))
        .json(&serde_json::json!({"username": USER, "password": PASSWORD}))
        .send()
        .await
        .is_ok_and(|r| r.status() == 200);
    (started.elapsed(), ok)
}

/// Sends 200 webhooks one after another and times each until a client on `/ws` receives its
/// `message_received` event: (p50, p99, max).
async fn event_latency(host: &str, token: &str, base: &str) -> (Duration, Duration, Duration) {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let mut request = format!("ws://{host}/ws")
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    let (mut watcher, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("upgrade accepted");
    let client = reqwest::Client::new();
    let mut latencies = Vec::new();
    for _ in 0..200 {
        let (body, signature) = webhook(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        let sent = Instant::now();
        let response = client
            .post(format!("{base}/webhook"))
            .header("x-hub-signature-256", signature)
            .body(body)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 200);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let message = tokio::time::timeout_at(deadline, watcher.next())
                .await
                .expect("the event arrives")
                .expect("open")
                .expect("frame");
            if message
                .to_text()
                .is_ok_and(|t| t.contains("message_received"))
            {
                latencies.push(sent.elapsed());
                break;
            }
        }
    }
    latencies.sort();
    (
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99),
        latencies[latencies.len() - 1],
    )
}

fn raise_open_files(pid: u32) {
    let _ = Command::new("prlimit")
        .args(["--pid", &pid.to_string(), "--nofile=65536:65536"])
        .status();
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pin = common::pin_load_to_core_1();
    let dir = tempfile::tempdir().expect("tempdir");
    common::run_cocolu(
        dir.path(),
        &["user", "add", USER, "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    let token = common::run_cocolu(dir.path(), &["token", "bench", "--role", "admin"], "");
    let (mut server, base) = common::start_cocolu(dir.path(), &[("META_APP_SECRET", SECRET)], pin);
    let pid = server.id();
    raise_open_files(pid);
    raise_open_files(std::process::id());
    println!("machine: {cores} cores; server pinned to core 0: {pin}");
    println!("server RSS at start: {} KiB", common::rss_kib(pid));

    let runtime = common::load_runtime();
    runtime.block_on(async {
        // 1. The status API with a token, and the health check as the baseline.
        let health = hammer(&format!("{base}/healthz"), None).await;
        report("GET /healthz (baseline, no credentials)", &health);
        let status = hammer(&format!("{base}/api/status"), Some(&token)).await;
        report("GET /api/status with a token", &status);
        for (name, url, token) in [
            ("wrk GET /healthz (baseline)", format!("{base}/healthz"), None),
            (
                "wrk GET /api/status with a token",
                format!("{base}/api/status"),
                Some(token.as_str()),
            ),
        ] {
            match wrk(&url, token) {
                Some(line) => println!("{name}: {line}"),
                None => println!("{name}: wrk is not installed (apt-get install wrk)"),
            }
        }

        // 2. Sign-ins: one alone, then twenty at once.
        let (alone, ok) = login(&base).await;
        assert!(ok, "the sign-in works");
        println!("one sign-in alone (baseline): {}", ms(alone));
        let before = common::rss_kib(pid);
        let base = Arc::new(base.clone());
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let base = base.clone();
                tokio::spawn(async move { login(&base).await })
            })
            .collect();
        let mut times = Vec::new();
        for task in tasks {
            let (time, ok) = task.await.expect("joined");
            assert!(ok, "every sign-in succeeds");
            times.push(time);
        }
        times.sort();
        println!(
            "20 sign-ins at once: fastest {}, median {}, slowest {}; server RSS {} KiB before, {} KiB after",
            ms(times[0]),
            ms(percentile(&times, 0.5)),
            ms(times[19]),
            before,
            common::rss_kib(pid)
        );

        // 3. The hashing buffers are given back after a quiet minute.
        tokio::time::sleep(Duration::from_secs(125)).await;
        println!(
            "server RSS two quiet minutes after the sign-ins: {} KiB",
            common::rss_kib(pid)
        );

        // 4. Idle authenticated WebSocket clients.
        let before = common::rss_kib(pid);
        let host = base.trim_start_matches("http://").to_string();
        let (p50, p99, max) = event_latency(&host, &token, &base).await;
        println!(
            "webhook → WebSocket event, the only client (baseline, 200 webhooks): p50 {}, p99 {}, max {}",
            ms(p50),
            ms(p99),
            ms(max)
        );
        let started = Instant::now();
        let mut sockets = Vec::with_capacity(WS_CLIENTS);
        for _ in 0..WS_CLIENTS {
            use tokio_tungstenite::tungstenite::client::IntoClientRequest;
            let mut request = format!("ws://{host}/ws")
                .into_client_request()
                .expect("request");
            request.headers_mut().insert(
                "authorization",
                format!("Bearer {token}").parse().expect("header"),
            );
            let (socket, _) = tokio_tungstenite::connect_async(request)
                .await
                .expect("upgrade accepted");
            sockets.push(socket);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let after = common::rss_kib(pid);
        println!(
            "{WS_CLIENTS} idle authenticated WebSocket clients (connected in {:.1} s): server RSS {} KiB before (baseline), {} KiB with them: {:.1} KB each",
            started.elapsed().as_secs_f64(),
            before,
            after,
            (after.saturating_sub(before)) as f64 * 1.024 / WS_CLIENTS as f64
        );
        // With them connected: how long from a webhook to the event on one more client.
        let (p50, p99, max) = event_latency(&host, &token, &base).await;
        println!(
            "webhook → WebSocket event with {WS_CLIENTS} other clients connected (200 webhooks): p50 {}, p99 {}, max {}",
            ms(p50),
            ms(p99),
            ms(max)
        );
        drop(sockets);
        tokio::time::sleep(Duration::from_secs(2)).await;
        println!("server RSS once the clients left: {} KiB", common::rss_kib(pid));
    });
    let _ = server.kill();
    let _ = server.wait();
}
