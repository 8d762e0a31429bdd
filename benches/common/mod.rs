//! What the benchmarks share: starting the release binary the way a user does.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Starts `cocolu serve` on a free loopback port in `dir` with `env`, optionally pinned to
/// core 0; returns the process and its base URL (`http://127.0.0.1:PORT`).
pub fn start_cocolu(dir: &Path, env: &[(&str, &str)], pin_to_core_0: bool) -> (Child, String) {
    start_binary(env!("CARGO_BIN_EXE_cocolu"), dir, env, pin_to_core_0)
}

/// Like [`start_cocolu`], with another build of `cocolu` (a baseline).
pub fn start_binary(
    binary: &str,
    dir: &Path,
    env: &[(&str, &str)],
    pin_to_core_0: bool,
) -> (Child, String) {
    let mut command = if pin_to_core_0 {
        let mut c = Command::new("taskset");
        c.args(["-c", "0", binary]);
        c
    } else {
        Command::new(binary)
    };
    let mut server = command
        .args(["serve", "--addr", "127.0.0.1:0"])
        .current_dir(dir)
        .envs(env.iter().copied())
        .env("RUST_LOG", "warn")
        // As systemd/cocolu.service sets it, whatever this shell has.
        .env("RUST_LIB_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cocolu starts");
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("line");
    (
        server,
        line.trim().trim_start_matches("listening on ").to_string(),
    )
}

/// Runs a `cocolu` command (`user add`, `token`, ...) in `dir` with `stdin`; its output.
#[allow(dead_code)] // Not every bench makes accounts.
pub fn run_cocolu(dir: &Path, args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_cocolu"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("cocolu runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("written");
    let output = child.wait_with_output().expect("finished");
    assert!(output.status.success(), "cocolu {args:?} failed");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// On two or more cores (with `taskset`), moves this load generator to core 1 so that the
/// server can have core 0; whether it did.
#[allow(dead_code)] // Not every bench pins.
pub fn pin_load_to_core_1() -> bool {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let pin = cores >= 2 && Command::new("taskset").arg("--version").output().is_ok();
    if pin {
        let _ = Command::new("taskset")
            .args(["-p", "-c", "1", &std::process::id().to_string()])
            .output();
    }
    pin
}

/// The resident memory of a process, in KiB, from `/proc` (0 when it cannot be read).
#[allow(dead_code)] // Not every bench reads memory.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// The `p` quantile (0..1) of sorted latencies, nearest rank.
#[allow(dead_code)] // Not every bench measures latency.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64) * p).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// A duration in milliseconds, for the tables.
#[allow(dead_code)]
pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// The load generator's runtime: one worker thread, so that the load stays on its own core
/// while the server is pinned to core 0.
#[allow(dead_code)] // The store bench runs the store in-process with its own runtime.
pub fn load_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

/// What reached the Graph API stand-in: when, and to whom.
#[allow(dead_code)] // Only the benches that send replies use the stand-in.
#[derive(Default)]
pub struct Arrivals {
    pub list: std::sync::Mutex<Vec<(std::time::Instant, String)>>,
    pub count: std::sync::atomic::AtomicUsize,
    /// Only count (for runs that send tens of thousands).
    pub count_only: std::sync::atomic::AtomicBool,
}

/// A Graph API stand-in on a free loopback port that accepts every message send at once and
/// records it in `arrivals`; its base URL.
#[allow(dead_code)]
pub async fn graph_stand_in(arrivals: std::sync::Arc<Arrivals>) -> String {
    use std::sync::atomic::Ordering;
    let app = axum::Router::new().route(
        "/{version}/{phone}/messages",
        axum::routing::post(move |axum::Json(body): axum::Json<serde_json::Value>| {
            let arrivals = arrivals.clone();
            async move {
                arrivals.count.fetch_add(1, Ordering::Relaxed);
                if !arrivals.count_only.load(Ordering::Relaxed) {
                    let to = body["to"].as_str().unwrap_or("").to_string();
                    arrivals
                        .list
                        .lock()
                        .expect("lock")
                        .push((std::time::Instant::now(), to));
                }
                axum::Json(serde_json::json!({"messaging_product": "whatsapp", "messages": [{"id": "wamid.bench"}]}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}
