//! Memory of the WhatsApp Web channel (issue 9): the release binary with the channel chosen,
//! its client connected to the test suite's stand-in WhatsApp server (handshake done, QR codes
//! rotating) and otherwise idle, against the same binary with the Meta channel in the same
//! run. Needs the stand-in's build (the library's certificate check off):
//!
//! ```sh
//! cargo bench --features whatsapp-web-standin --bench whatsapp_web
//! ```

#[path = "common/mod.rs"]
mod common;
#[allow(dead_code)]
#[path = "../tests/e2e/fake_whatsapp.rs"]
mod fake_whatsapp;

use common::{rss_kib, start_cocolu};
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
    let env = [
        ("COCOLU_WHATSAPP_WEB_URL", fake.url.as_str()),
        ("COCOLU_WHATSAPP_WEB_VERSION", "2.3000.1000000000"),
    ];
    let (mut web, url) = start_cocolu(web_dir.path(), &env, false);
    let started = std::time::Instant::now();
    while fake.connections() == 0 {
        assert!(started.elapsed() < Duration::from_secs(20), "no connection");
        std::thread::sleep(Duration::from_millis(50));
    }
    let rss_start = rss_kib(web.id());
    // Settle (pairing request answered, first QR codes made), then sit idle.
    std::thread::sleep(Duration::from_secs(5));
    let ticks_before = cpu_ticks(web.id());
    let meta_ticks_before = cpu_ticks(meta.id());
    std::thread::sleep(IDLE);
    let ticks = cpu_ticks(web.id()) - ticks_before;
    let meta_ticks = cpu_ticks(meta.id()) - meta_ticks_before;
    let web_rss = rss_kib(web.id());
    let meta_rss = rss_kib(meta.id());
    let keys = std::fs::metadata(web_dir.path().join("data/whatsapp-web/keys.jsonl"))
        .map(|m| m.len())
        .unwrap_or(0);
    let binary = std::fs::metadata(env!("CARGO_BIN_EXE_cocolu"))
        .map(|m| m.len())
        .unwrap_or(0);

    println!("server: {url}");
    println!("stand-in connections: {}", fake.connections());
    println!(
        "RSS, WhatsApp Web chosen, connected to the stand-in, pairing, idle {}s: {:.1} MB (at connection: {:.1} MB)",
        IDLE.as_secs(),
        web_rss as f64 / 1024.0,
        rss_start as f64 / 1024.0
    );
    println!(
        "RSS, Meta chosen (baseline, same binary, same run): {:.1} MB",
        meta_rss as f64 / 1024.0
    );
    println!(
        "CPU over the idle {}s: WhatsApp Web {ticks} ticks, Meta {meta_ticks} ticks",
        IDLE.as_secs()
    );
    println!("keys journal after pairing began: {keys} bytes");
    println!(
        "this binary (bench profile, with the stand-in feature): {:.2} MB",
        binary as f64 / 1e6
    );
    let _ = web.kill();
    let _ = meta.kill();
    let _ = web.wait();
    let _ = meta.wait();
}
