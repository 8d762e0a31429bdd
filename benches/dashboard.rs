//! Dashboard benchmarks (issue 7), against the real release binary with 100,000 stored
//! messages:
//!
//! - server render of every page (the HTML with its data, the API called in-process) at one
//!   connection: p50 and p99 (baselines in the same run: `/healthz`, and `/login`, a page
//!   that reads no data);
//! - first contentful paint of every page in headless Chromium on loopback (the browser's
//!   performance API), median of five loads;
//! - the hydration bundle (wasm and its glue) as served with brotli.
//!
//! Run: `cargo bench --bench dashboard`. On two or more cores the server is pinned to core 0.
//! Only 127.0.0.1 is contacted; every loop is bounded.

mod common;

use common::{ms, percentile};

use fantoccini::{ClientBuilder, Locator};
use serde_json::json;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const USER: &str = "dueña";
const PASSWORD: &str = "una clave de prueba larga";
const MESSAGES: usize = 100_000;
const CONVERSATIONS: usize = 2_000;
const RENDERS: usize = 300;
const PAGES: [&str; 9] = [
    "/",
    "/inbox",
    "/inbox?c=VE.1000",
    "/rules",
    "/templates",
    "/analytics",
    "/analytics?days=90",
    "/settings",
    "/users",
];

/// `MESSAGES` messages over the last 30 days: customers' messages and the bot's replies with
/// their outcomes, spread over `CONVERSATIONS` customers; `VE.1000` is the busiest.
fn seed(data: &std::path::Path) {
    let log = data.join("log");
    std::fs::create_dir_all(&log).expect("log folder");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let start = now - 30 * 24 * 3600 * 1000;
    let step = (now - start) / MESSAGES as i64;
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(log.join("000001-2026-11.jsonl")).expect("segment"),
    );
    for i in 0..MESSAGES / 2 {
        // Every tenth message is the busiest customer's.
        let c = if i % 10 == 0 {
            1000
        } else {
            1000 + i % CONVERSATIONS
        };
        let at = start + (2 * i) as i64 * step;
        let conversation = format!("VE.{c}");
        let contact = json!({"wa_id": c.to_string(), "user_id": conversation, "name": format!("Cliente {c}")});
        let records = [
            json!({"kind": "message_in", "conversation": conversation, "id": format!("wamid.in.{i}"), "at": at,
                "received_at": at + 300, "contact": contact, "type": "text", "text": "hola, ¿cuánto cuesta el envío?"}),
            json!({"kind": "message_out", "conversation": conversation, "outbox": format!("out-{i}"), "at": at + step,
                "to": contact, "origin": {"by": "bot", "rule": "precios"}, "text": "Nuestros precios: *envío* gratis desde 20 $.",
                "message": {"type": "text", "body": "Nuestros precios: *envío* gratis desde 20 $."}}),
            json!({"kind": "message_out_sent", "conversation": conversation, "outbox": format!("out-{i}"), "at": at + step + 200,
                "message_id": format!("wamid.out.{i}")}),
        ];
        for record in records {
            writeln!(out, "{record}").expect("written");
        }
    }
    out.flush().expect("flushed");
}

/// `RENDERS` sequential requests of `path` (after 20 to warm up): sorted latencies.
async fn renders(client: &reqwest::Client, base: &str, path: &str, cookie: &str) -> Vec<Duration> {
    let mut all = Vec::with_capacity(RENDERS);
    for round in 0..RENDERS + 20 {
        let started = Instant::now();
        let response = client
            .get(format!("{base}{path}"))
            .header("cookie", cookie)
            .send()
            .await
            .expect("page");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        let body = response.bytes().await.expect("body");
        if round >= 20 {
            all.push(started.elapsed());
        }
        assert!(path == "/healthz" || body.len() > 500, "{path} rendered");
    }
    all.sort();
    all
}

/// Bytes of `path` as sent with `Accept-Encoding: br`.
async fn brotli_size(client: &reqwest::Client, base: &str, path: &str) -> usize {
    let response = client
        .get(format!("{base}{path}"))
        .header("accept-encoding", "br")
        .send()
        .await
        .expect("asset");
    assert_eq!(
        response
            .headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok()),
        Some("br"),
        "{path} is served with brotli"
    );
    response.bytes().await.expect("bytes").len()
}

/// The `href`s of the page's `<link>`s ending in `suffix`.
fn links(html: &str, suffix: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|href| href.ends_with(suffix))
        .map(str::to_string)
        .collect()
}

/// First contentful paint of each page, median of five loads, in a signed-in Chromium.
/// The scripts and modules a page loaded, once it is hydrated (paths, without the origin).
async fn loaded_code(client: &fantoccini::Client) -> Option<Vec<String>> {
    for _ in 0..250 {
        let hydrated = client
            .execute(
                "return document.documentElement.getAttribute('data-hydrated');",
                vec![],
            )
            .await
            .ok()?;
        if hydrated.as_str() == Some("true") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let names = client
        .execute(
            "return performance.getEntriesByType('resource').map(e => new URL(e.name).pathname)\
             .filter(p => p.endsWith('.js') || p.endsWith('.wasm'));",
            vec![],
        )
        .await
        .ok()?;
    let mut paths: Vec<String> = names
        .as_array()?
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    paths.sort();
    paths.dedup();
    Some(paths)
}

/// In Chromium: the first contentful paint of each page (median of five loads), and the code
/// each page loaded (the sign-in page first, signed out).
async fn paints(base: &str) -> Option<(Vec<(String, f64)>, Vec<(String, Vec<String>)>)> {
    let (driver, chromium) = ("/usr/bin/chromedriver", "/usr/bin/chromium");
    if !std::path::Path::new(driver).exists() || !std::path::Path::new(chromium).exists() {
        println!(
            "first contentful paint: skipped (chromium and chromium-driver are not installed)"
        );
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .ok()?
        .local_addr()
        .ok()?
        .port();
    let mut process = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let profile = tempfile::tempdir().ok()?;
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({"binary": chromium, "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
            "--no-first-run", "--disable-background-networking", "--window-size=1280,900",
            format!("--user-data-dir={}", profile.path().display())]}),
    );
    let mut client = None;
    for _ in 0..100 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        if let Ok(c) = ClientBuilder::new(connector)
            .capabilities(capabilities.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            client = Some(c);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let client = client?;
    client.goto(&format!("{base}/login")).await.ok()?;
    let mut code = vec![("/login".to_string(), loaded_code(&client).await?)];
    client
        .find(Locator::Css("#username"))
        .await
        .ok()?
        .send_keys(USER)
        .await
        .ok()?;
    client
        .find(Locator::Css("#password"))
        .await
        .ok()?
        .send_keys(PASSWORD)
        .await
        .ok()?;
    client
        .find(Locator::Css("form button[type=submit]"))
        .await
        .ok()?
        .click()
        .await
        .ok()?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut results = Vec::new();
    for path in PAGES {
        let mut times = Vec::new();
        for _ in 0..5 {
            client.goto(&format!("{base}{path}")).await.ok()?;
            let mut fcp = None;
            for _ in 0..50 {
                let value = client
                    .execute(
                        "const p = performance.getEntriesByName('first-contentful-paint')[0]; \
                         return p ? p.startTime : null;",
                        vec![],
                    )
                    .await
                    .ok()?;
                if let Some(v) = value.as_f64() {
                    fcp = Some(v);
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            times.push(fcp?);
        }
        code.push((path.to_string(), loaded_code(&client).await?));
        times.sort_by(f64::total_cmp);
        results.push((path.to_string(), times[2]));
    }
    let _ = client.close().await;
    let _ = process.kill();
    let _ = process.wait();
    Some((results, code))
}

fn main() {
    let runtime = common::load_runtime();
    let dir = tempfile::tempdir().expect("temp dir");
    seed(&dir.path().join("data"));
    let mut add = Command::new(env!("CARGO_BIN_EXE_cocolu"))
        .args(["user", "add", USER, "--password-stdin"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("cocolu user add");
    add.stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("password");
    assert!(add.wait().expect("added").success());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let started = Instant::now();
    let (mut server, base) = common::start_cocolu(dir.path(), &[], cores >= 2);
    println!(
        "{MESSAGES} stored messages ({} log records) over {CONVERSATIONS} customers; server up in {}",
        MESSAGES / 2 * 3,
        ms(started.elapsed())
    );
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let login = client
            .post(format!("{base}/api/auth/login"))
            .json(&json!({"username": USER, "password": PASSWORD}))
            .send()
            .await
            .expect("login");
        assert!(login.status().is_success(), "{}", login.status());
        let cookie = login
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .expect("session cookie")
            .to_string();
        println!("| page | p50 | p99 | target |");
        println!("|---|---|---|---|");
        for path in ["/healthz", "/login"].into_iter().chain(PAGES) {
            let times = renders(&client, &base, path, &cookie).await;
            let target = if path.starts_with("/healthz") || path == "/login" {
                "baseline"
            } else {
                "p99 ≤ 10 ms"
            };
            println!(
                "| `{path}` | {} | {} | {target} |",
                ms(percentile(&times, 0.5)),
                ms(percentile(&times, 0.99))
            );
        }
        let html = client
            .get(format!("{base}/"))
            .header("cookie", &cookie)
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html");
        let mut total = 0;
        for asset in links(&html, ".wasm").into_iter().chain(links(&html, ".js")) {
            let size = brotli_size(&client, &base, &asset).await;
            println!("{asset}: {:.1} KB brotli", size as f64 / 1000.0);
            total += size;
        }
        println!(
            "shell code every page loads (main module, glue, loader, boot): {:.1} KB brotli",
            total as f64 / 1000.0
        );
        if let Some((results, code)) = paints(&base).await {
            for (path, fcp) in results {
                println!("first contentful paint {path}: {fcp:.0} ms (target ≤ 300 ms)");
            }
            println!("| page | code loaded on a first visit (brotli) | its own module | files |");
            println!("|---|---|---|---|");
            for (path, files) in code {
                let (mut all, mut own) = (0, 0);
                for file in &files {
                    let size = brotli_size(&client, &base, file).await;
                    all += size;
                    if file.contains("/split_") {
                        own += size;
                    }
                }
                println!(
                    "| `{path}` | {:.1} KB | {:.1} KB | {} |",
                    all as f64 / 1000.0,
                    own as f64 / 1000.0,
                    files.len()
                );
            }
        }
        println!(
            "server RSS after the run: {:.1} MB",
            common::rss_kib(server.id()) as f64 / 1024.0
        );
    });
    let _ = server.kill();
    let _ = server.wait();
}
