//! Memory of the WhatsApp Web channel (issue 9): the release binary with the channel chosen,
//! against the test suite's stand-in WhatsApp server — first waiting for the phone (handshake
//! done, QR codes rotating), then linked by the stand-in phone and connected — idle, against
//! the same binary with the Meta channel in the same run. Needs the stand-in's build (the
//! library's certificate check off):
//!
//! ```sh
//! cargo bench --features whatsapp-web-standin --bench whatsapp_web
//! ```

#[path = "common/mod.rs"]
mod common;
#[allow(dead_code)]
#[path = "../tests/e2e/fake_whatsapp.rs"]
mod fake_whatsapp;

use common::{rss_kib, run_cocolu, start_cocolu};
use std::path::Path;
use std::time::Duration;

/// How long each server sits idle before its memory is read.
const IDLE: Duration = Duration::from_secs(30);

/// Minimal settings choosing `channel`.
fn settings(dir: &Path, channel: &str) {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("data folder");
    let text = serde_json::json!({
        "version": 1,
        "business": {"name": "Bench"},
        "time_zone": "UTC",
        "channel": channel,
    });
    std::fs::write(data.join("settings.json"), text.to_string()).expect("settings");
}

/// CPU time of a process so far, in clock ticks (user + system).
fn cpu_ticks(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let fields: Vec<&str> = s.rsplit(')').next()?.split_whitespace().collect();
            Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0)
}

/// RSS (KiB) and CPU ticks of a process over [`IDLE`].
fn idle(pid: u32) -> (u64, u64) {
    let before = cpu_ticks(pid);
    std::thread::sleep(IDLE);
    (rss_kib(pid), cpu_ticks(pid) - before)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let fake = runtime.block_on(fake_whatsapp::FakeWhatsApp::start(
        fake_whatsapp::Behaviour::Pair,
    ));

    let meta_dir = tempfile::tempdir().expect("temp dir");
    settings(meta_dir.path(), "meta");
    let (mut meta, _) = start_cocolu(meta_dir.path(), &[], false);

    let web_dir = tempfile::tempdir().expect("temp dir");
    settings(web_dir.path(), "whatsapp_web");
    run_cocolu(
        web_dir.path(),
        &["user", "add", "bench", "--password-stdin"],
        "contraseña de la prueba\n",
    );
    let token = run_cocolu(web_dir.path(), &["token", "bench", "--role", "admin"], "");
    let env = [
        ("COCOLU_WHATSAPP_WEB_URL", fake.url.as_str()),
        ("COCOLU_WHATSAPP_WEB_VERSION", "2.3000.1000000000"),
    ];
    let (mut web, url) = start_cocolu(web_dir.path(), &env, false);
    let client = reqwest::Client::new();
    let link = |wanted: &'static str| {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let status: serde_json::Value = runtime.block_on(async {
                client
                    .get(format!("{url}/api/status"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .expect("status")
                    .json()
                    .await
                    .expect("json")
            });
            let link = status["whatsapp_web"]["link"].clone();
            if link["state"] == wanted {
                return link;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "never {wanted}: {link}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };

    // Waiting for the phone.
    let pairing = link("pairing");
    std::thread::sleep(Duration::from_secs(5));
    let (pairing_rss, pairing_ticks) = idle(web.id());

    // Linked by the stand-in phone, connected.
    assert!(fake.scan(pairing["qr"].as_str().expect("qr")), "scanned");
    let connected = link("connected");
    std::thread::sleep(Duration::from_secs(5));
    let meta_ticks_before = cpu_ticks(meta.id());
    let (web_rss, ticks) = idle(web.id());
    let meta_ticks = cpu_ticks(meta.id()) - meta_ticks_before;
    let meta_rss = rss_kib(meta.id());
    let breakdown = std::fs::read_to_string(format!("/proc/{}/status", web.id()))
        .unwrap_or_default()
        .lines()
        .filter(|l| {
            ["RssAnon", "RssFile", "Threads"]
                .iter()
                .any(|k| l.starts_with(k))
        })
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(", ");
    let keys: u64 = ["keys.jsonl", "keys.snapshot.json"]
        .iter()
        .filter_map(|f| std::fs::metadata(web_dir.path().join("data/whatsapp-web").join(f)).ok())
        .map(|m| m.len())
        .sum();
    let binary = std::fs::metadata(env!("CARGO_BIN_EXE_cocolu"))
        .map(|m| m.len())
        .unwrap_or(0);

    println!(
        "server: {url}; stand-in connections: {}",
        fake.connections()
    );
    println!(
        "RSS, WhatsApp Web waiting for the phone (QR rotating), idle {}s: {:.1} MB; CPU {pairing_ticks} ticks",
        IDLE.as_secs(),
        pairing_rss as f64 / 1024.0,
    );
    println!(
        "RSS, WhatsApp Web linked and connected ({}), idle {}s: {:.1} MB; CPU {ticks} ticks",
        connected["number"],
        IDLE.as_secs(),
        web_rss as f64 / 1024.0,
    );
    println!(
        "RSS, Meta chosen (baseline, same binary, same run): {:.1} MB; CPU {meta_ticks} ticks over the last idle {}s",
        meta_rss as f64 / 1024.0,
        IDLE.as_secs()
    );
    println!("connected server's memory: {breakdown}");
    println!("keys journal after linking: {keys} bytes");
    println!(
        "this binary (bench profile, with the stand-in feature): {:.2} MB",
        binary as f64 / 1e6
    );
    let _ = web.kill();
    let _ = meta.kill();
    let _ = web.wait();
    let _ = meta.wait();
}
