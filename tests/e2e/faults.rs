//! A full disk or a read-only file system: the request that needed the write fails with a
//! clear 5xx, reads keep working, nothing acknowledged is lost, and the server recovers by
//! itself once the disk is writable again. Uses a small tmpfs (the tests run as root).
//!
//! The server is the compiled binary, not the in-process one: a tmpfs cannot be unmounted
//! while a process holds files in it, and a child can be killed and waited for, whereas the
//! in-process server's tasks keep the data folder open until the test's runtime shuts down.

use crate::helpers::{get_json, spawn_binary_with_env, RunningBinary};
use cocolu::store::log::{Log, LogOptions};
use serde_json::{json, Value};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A tmpfs mounted on a temporary folder, with the server that runs on it (if any).
/// Dropping it, also when a test panics, stops that server first and then unmounts.
struct Tmpfs {
    server: Option<RunningBinary>,
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::tempdir().expect("mount point");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("mount runs");
        assert!(
            status.success(),
            "mounting a tmpfs needs root: run the tests as root, as CI does"
        );
        Tmpfs { server: None, dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Starts `cocolu serve` with its data folder (`data/`) on this disk; the server stays
    /// with the disk so that it is stopped before the unmount.
    fn serve(&mut self) -> Server {
        self.serve_with_env(&[])
    }

    /// Like [`Tmpfs::serve`], with more environment variables.
    fn serve_with_env(&mut self, env: &[(&str, &str)]) -> Server {
        let running = spawn_binary_with_env(self.dir.path(), &[], env);
        let server = Server {
            base_url: running.base_url.clone(),
            client: running.client.clone(),
        };
        self.server = Some(running);
        server
    }

    /// Fills the file system; returns the filler file to delete later.
    fn fill(&self) -> PathBuf {
        let filler = self.path().join("filler");
        // dd stops with "No space left on device", which is the point.
        let _ = Command::new("dd")
            .args(["if=/dev/zero", "bs=4096"])
            .arg(format!("of={}", filler.display()))
            .output();
        filler
    }

    fn remount(&self, mode: &str) {
        // A file being written at that instant makes the remount busy: try again.
        for _ in 0..50 {
            let status = Command::new("mount")
                .args(["-o", &format!("remount,{mode}")])
                .arg(self.path())
                .stderr(std::process::Stdio::null())
                .status()
                .expect("mount runs");
            if status.success() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the tmpfs cannot be remounted {mode}");
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        // Killed and waited for (RunningBinary's drop), so its open files are closed.
        drop(self.server.take());
        let path = self.dir.path();
        // A thread that was just told to stop (the log's writer) may still hold a file for a
        // moment: retry, then detach lazily so that no mount outlives the test run.
        for _ in 0..20 {
            let unmounted = Command::new("umount")
                .arg(path)
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if unmounted {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("umount").arg("-l").arg(path).status();
    }
}

/// How a test talks to the server running on a [`Tmpfs`].
struct Server {
    base_url: String,
    client: reqwest::Client,
}

impl Server {
    async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base_url))
            .send()
            .await
            .expect("request sent")
    }

    async fn put_name(&self, name: &str) -> reqwest::Response {
        let url = format!("{}/api/settings", self.base_url);
        let mut current: Value = get_json(&self.client, &url).await;
        current["settings"]["business"]["name"] = json!(name);
        self.client
            .put(&url)
            .json(&current)
            .send()
            .await
            .expect("request sent")
    }
}

#[tokio::test]
async fn a_full_disk_refuses_the_save_with_503_keeps_reads_and_recovers() {
    let mut disk = Tmpfs::mount("2m");
    let server = disk.serve();
    let data = disk.path().join("data");
    assert_eq!(server.put_name("Antes Del Lleno").await.status(), 200);
    let filler = disk.fill();

    let refused = server.put_name("Con El Disco Lleno").await;

    assert_eq!(refused.status(), 503);
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"]["code"], "storage_unavailable");
    let read: Value = server
        .get("/api/settings")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(read["settings"]["business"]["name"], "Antes Del Lleno");
    let on_disk = fs::read_to_string(data.join("settings.json")).expect("read");
    assert!(
        on_disk.contains("Antes Del Lleno"),
        "the acknowledged version is intact"
    );
    assert!(fs::read_dir(&data).expect("list").all(|e| !e
        .expect("entry")
        .file_name()
        .to_string_lossy()
        .contains(".tmp-")));

    fs::remove_file(filler).expect("free space");
    assert_eq!(server.put_name("Después Del Lleno").await.status(), 200);
}

#[tokio::test]
async fn a_read_only_file_system_refuses_the_save_and_recovers_when_writable() {
    let mut disk = Tmpfs::mount("2m");
    let server = disk.serve();
    disk.remount("ro");

    let refused = server.put_name("Solo Lectura").await;

    assert_eq!(refused.status(), 503);
    assert_eq!(server.get("/api/settings").await.status(), 200);
    disk.remount("rw");
    assert_eq!(server.put_name("De Nuevo Escribible").await.status(), 200);
}

#[tokio::test]
async fn messages_acknowledged_just_before_the_disk_filled_up_are_answered_once_it_has_room() {
    let graph = crate::fake_graph::FakeGraph::start().await;
    let env = crate::answered::graph_env(&graph);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut disk = Tmpfs::mount("64m");
    let server = disk.serve_with_env(&env);
    let acknowledged: crate::answered::Acknowledged = Default::default();
    let url = format!("{}/webhook", server.base_url);

    // New customers write while the disk fills up under them: what was acknowledged just
    // before may have its decision refused.
    let writers = crate::answered::new_customers_write(&url, "77", &acknowledged);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let filler = disk.fill();
    for writer in writers {
        writer.await.expect("writer ends");
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    fs::remove_file(filler).expect("free space");
    let writers = crate::answered::new_customers_write(&url, "78", &acknowledged);
    tokio::time::sleep(Duration::from_millis(300)).await;
    for writer in writers {
        writer.abort();
    }

    let acked = acknowledged.lock().expect("lock").clone();
    assert!(!acked.is_empty(), "customers were acknowledged");
    let (missing, duplicates) =
        crate::answered::wait_for_answers(&graph, &acked, Duration::from_secs(30)).await;
    assert!(
        missing.is_empty(),
        "every acknowledged message is answered once the disk has room; unanswered: {missing:?}"
    );
    assert_eq!(
        duplicates, 0,
        "nothing was killed, so nothing is sent twice"
    );
}

#[test]
fn a_full_disk_refuses_log_appends_keeps_what_was_acknowledged_and_recovers() {
    let disk = Tmpfs::mount("1m");
    let dir = disk.path().join("log");
    let (log, _) = Log::open(&dir, LogOptions::default()).expect("opens");
    let record = |i: usize| format!(r#"{{"seq":{i},"pad":"{}"}}"#, "x".repeat(200)).into_bytes();
    let mut acknowledged = Vec::new();
    let filler = disk.fill();
    let mut refused = 0;
    for i in 0..200 {
        match log.append_blocking(vec![record(i)]) {
            Ok(_) => acknowledged.push(record(i)),
            Err(_) => refused += 1,
        }
    }
    assert!(refused > 0, "the disk was full");

    fs::remove_file(filler).expect("free space");
    log.append_blocking(vec![record(1000)])
        .expect("appends again once there is space");
    acknowledged.push(record(1000));
    drop(log);

    let (log, _) = Log::open(&dir, LogOptions::default()).expect("reopens");
    let mut stored = Vec::new();
    log.scan(None, |_, bytes| stored.push(bytes.to_vec()))
        .expect("scan");
    assert_eq!(
        stored, acknowledged,
        "exactly the acknowledged records, in order"
    );
}
