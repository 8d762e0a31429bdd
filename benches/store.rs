//! Store benchmarks (issue 3): durable log appends with group commit against one `fsync` per
//! event, the time from saving a file by hand to the new version being in force, and start-up
//! with a million stored messages (the real binary, time to the first `/healthz` and RSS).
//!
//! Run: `cargo bench --bench store` (add `-- --messages 200000` for a quicker run).
//! Everything happens in a temporary folder on the same disk as the system's temp dir, and
//! only 127.0.0.1 is contacted.

mod common;

use cocolu::store::log::{Log, LogOptions};
use cocolu::store::{Store, StoreOptions};
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn main() {
    let messages: u64 = std::env::args()
        .skip_while(|a| a != "--messages")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let tmp = tempfile::tempdir().expect("tempdir");
    println!("| figure | measured | target | baseline, same run |");
    println!("|---|---|---|---|");

    let baseline = one_fsync_per_event(&tmp.path().join("baseline"), Duration::from_secs(3));
    for writers in [1usize, 16, 64, 256] {
        let rate = runtime.block_on(group_commit(
            &tmp.path().join(format!("group-{writers}")),
            writers,
            Duration::from_secs(3),
        ));
        println!(
            "| durable appends, {writers} concurrent writers | {rate:.0} events/s | ≥ 20,000 events/s | one fsync per event: {baseline:.0} events/s |"
        );
    }

    let (median, worst) = runtime.block_on(hand_edit_latency(&tmp.path().join("edits"), 20));
    println!(
        "| hand edit of settings.json to new version in force (20 saves) | median {median:.0} ms, worst {worst:.0} ms | ≤ 500 ms | debounce: {} ms |",
        cocolu::store::watch::DEBOUNCE.as_millis()
    );

    let data = tmp.path().join("million/data");
    let generated = Instant::now();
    let bytes = generate(&data, messages);
    let generated = generated.elapsed();
    let cold = Instant::now();
    let store = Store::open(&data, &StoreOptions::default()).expect("opens");
    let cold = cold.elapsed();
    let records = store.index.read().record_count();
    let (searched, found, listed) = message_search(&store);
    println!(
        "| inbox search of message text over {messages} stored messages (`?q=precio producto 42`, whole log read) | {:.0} ms, {found} conversations | ≤ 2 s on this machine | the inbox's first page without a search: {:.1} ms |",
        searched.as_secs_f64() * 1000.0,
        listed.as_secs_f64() * 1000.0
    );
    drop(store);
    let (startup, rss) = start_binary(&data);
    println!(
        "| start-up with {messages} stored messages ({:.0} MB of log), real binary to first /healthz | {:.0} ms, RSS {:.1} MB | ≤ 1 s, RSS ≤ 40 MB | without a checkpoint (index rebuilt from the whole log): {:.0} ms |",
        bytes as f64 / 1e6,
        startup.as_secs_f64() * 1000.0,
        rss as f64 / 1024.0,
        cold.as_secs_f64() * 1000.0
    );
    eprintln!("generated {records} indexed records in {generated:?}");
}

/// The naive way: write and fdatasync each event before the next.
fn one_fsync_per_event(dir: &Path, run: Duration) -> f64 {
    std::fs::create_dir_all(dir).expect("mkdir");
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("events.jsonl"))
        .expect("open");
    let start = Instant::now();
    let mut count = 0u64;
    while start.elapsed() < run {
        file.write_all(br#"{"conversation":"wa:1","text":"hola"}"#)
            .expect("write");
        file.write_all(b"\n").expect("write");
        file.sync_data().expect("sync");
        count += 1;
    }
    count as f64 / start.elapsed().as_secs_f64()
}

/// `writers` tasks, each appending one event at a time and waiting for it to be durable.
async fn group_commit(dir: &Path, writers: usize, run: Duration) -> f64 {
    let (log, _) = Log::open(dir, LogOptions::default()).expect("log");
    let log = Arc::new(log);
    let stored = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|w| {
            let (log, stored, stop) = (log.clone(), stored.clone(), stop.clone());
            tokio::spawn(async move {
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let record = format!(
                        r#"{{"kind":"message_in","conversation":"wa:{w}","id":"wamid.{w}.{i}","at":{i},"text":"hola"}}"#
                    );
                    log.append(vec![record.into_bytes()]).await.expect("stored");
                    stored.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            })
        })
        .collect();
    tokio::time::sleep(run).await;
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.expect("writer");
    }
    stored.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// Saves `settings.json` by hand `rounds` times and times each until the reload event.
async fn hand_edit_latency(root: &Path, rounds: usize) -> (f64, f64) {
    let data = root.join("data");
    let bus = cocolu::events::Events::new();
    let (_store, documents) = cocolu::data::open_folder(
        &data,
        &root.join("templates"),
        &StoreOptions::default(),
        bus.clone(),
    )
    .expect("opens");
    let _watcher = cocolu::store::watch::watch(Arc::new(documents)).expect("watching");
    let mut events = bus.subscribe();
    let mut times = Vec::new();
    for round in 0..rounds {
        let text = std::fs::read_to_string(data.join("settings.json")).expect("read");
        let edited = text.replacen("\"name\": \"", &format!("\"name\": \"{round} "), 1);
        let start = Instant::now();
        std::fs::write(data.join("settings.json"), edited).expect("write");
        loop {
            let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
                .await
                .expect("reloaded")
                .expect("event");
            if matches!(
                *event.event,
                cocolu_core::events::ServerEvent::FileReloaded { .. }
            ) {
                break;
            }
        }
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[times.len() - 1])
}

/// One search of the messages' text through the inbox's list, and its first page without one.
fn message_search(store: &Store) -> (Duration, usize, Duration) {
    use cocolu::conversations::{list, ListQuery};
    let now = 1_800_000_000_000;
    let plain = ListQuery {
        limit: 50,
        ..ListQuery::default()
    };
    let listed = Instant::now();
    list(store, &plain, now, true).expect("listed");
    let listed = listed.elapsed();
    let query = ListQuery {
        search: Some("precio producto 42".into()),
        ..plain
    };
    let searched = Instant::now();
    let page = list(store, &query, now, true).expect("searched");
    (searched.elapsed(), page.conversations.len(), listed)
}

/// A log of `count` messages (about 200 bytes each) over 10,000 conversations and a year.
fn generate(data: &Path, count: u64) -> u64 {
    let (log, _) = Log::open(&data.join("log"), LogOptions::default()).expect("log");
    let start_ms: i64 = 1_733_000_000_000;
    let step = 365 * 24 * 3600 * 1000 / count.max(1) as i64;
    let mut bytes = 0u64;
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..count {
        let record = format!(
            r#"{{"kind":"message_in","conversation":"wa:58{:010}","id":"wamid.HBgLNTg0MTIxMjM0NTY3FQIAEhgg{i:016}","at":{},"direction":"in","type":"text","text":"Hola, ¿cuál es el precio del producto {}? Gracias"}}"#,
            i % 10_000,
            start_ms + i as i64 * step,
            i % 97
        );
        bytes += record.len() as u64 + 1;
        batch.push(record.into_bytes());
        if batch.len() == 10_000 {
            log.append_blocking(std::mem::take(&mut batch))
                .expect("stored");
        }
    }
    if !batch.is_empty() {
        log.append_blocking(batch).expect("stored");
    }
    bytes
}

/// Starts the real binary on `data` (after a first start that wrote the checkpoint, as a
/// running server does) and returns the time to the first 200 on /healthz and the RSS then.
fn start_binary(data: &Path) -> (Duration, u64) {
    let start = Instant::now();
    let data_dir = data.display().to_string();
    let templates_dir = data.join("templates").display().to_string();
    let env = [
        ("COCOLU_DATA_DIR", data_dir.as_str()),
        ("COCOLU_TEMPLATES_DIR", templates_dir.as_str()),
    ];
    let (mut child, base) = common::start_cocolu(data, &env, false);
    let addr = base.trim_start_matches("http://").to_string();
    loop {
        if let Ok(mut stream) = TcpStream::connect(&addr) {
            let _ =
                stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut response = String::new();
            let _ = stream.read_to_string(&mut response);
            if response.starts_with("HTTP/1.1 200") {
                break;
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no answer within a minute"
        );
    }
    let elapsed = start.elapsed();
    let rss = common::rss_kib(child.id());
    let _ = child.kill();
    let _ = child.wait();
    (elapsed, rss)
}
