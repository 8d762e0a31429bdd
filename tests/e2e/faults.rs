//! A full disk or a read-only file system: the request that needed the write fails with a
//! clear 5xx, reads keep working, nothing acknowledged is lost, and the server recovers by
//! itself once the disk is writable again. Uses a small tmpfs (the tests run as root).

use crate::helpers::spawn_app_with;
use cocolu::store::log::{Log, LogOptions};
use serde_json::{json, Value};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted on a temporary folder, unmounted on drop.
struct Tmpfs {
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
        Tmpfs { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
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
        let status = Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(self.path())
            .status()
            .expect("mount runs");
        assert!(status.success());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// A server whose data folder is on `disk`.
async fn spawn_on(disk: &Tmpfs) -> (crate::helpers::TestApp, PathBuf) {
    let data = disk.path().join("data");
    let app = spawn_app_with(|config| {
        config.data_dir = data.clone();
        config.templates_dir = data.join("templates");
    })
    .await;
    (app, data)
}

async fn put_name(app: &crate::helpers::TestApp, name: &str) -> reqwest::Response {
    let mut current: Value = app.get_json("/api/settings").await;
    current["settings"]["business"]["name"] = json!(name);
    app.put_json("/api/settings", &current).await
}

#[tokio::test]
async fn a_full_disk_refuses_the_save_with_503_keeps_reads_and_recovers() {
    let disk = Tmpfs::mount("2m");
    let (app, data) = spawn_on(&disk).await;
    assert_eq!(put_name(&app, "Antes Del Lleno").await.status(), 200);
    let filler = disk.fill();

    let refused = put_name(&app, "Con El Disco Lleno").await;

    assert_eq!(refused.status(), 503);
    let body: Value = refused.json().await.expect("json");
    assert_eq!(body["error"]["code"], "storage_unavailable");
    let read: Value = app.get_json("/api/settings").await;
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
    assert_eq!(put_name(&app, "Después Del Lleno").await.status(), 200);
}

#[tokio::test]
async fn a_read_only_file_system_refuses_the_save_and_recovers_when_writable() {
    let disk = Tmpfs::mount("2m");
    let (app, _) = spawn_on(&disk).await;
    disk.remount("ro");

    let refused = put_name(&app, "Solo Lectura").await;

    assert_eq!(refused.status(), 503);
    assert_eq!(app.get("/api/settings").await.status(), 200);
    disk.remount("rw");
    assert_eq!(put_name(&app, "De Nuevo Escribible").await.status(), 200);
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
