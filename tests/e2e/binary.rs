//! The compiled binary, run the way a user runs it.

use crate::helpers::{attr_of, binary_path, spawn_binary, wait_for_exit};
use std::process::Command;
use std::time::Duration;

#[tokio::test]
async fn the_binary_serves_the_full_dashboard_from_an_empty_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut server = spawn_binary(dir.path(), &[]);
    let client = reqwest::Client::new();
    let get = |path: String| {
        let client = client.clone();
        let url = format!("{}{path}", server.base_url);
        async move { client.get(url).send().await.expect("request") }
    };

    let page = get("/".into()).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    for (path, content_type) in [
        (
            attr_of(&html, r#"<link rel="stylesheet""#, "href"),
            "text/css",
        ),
        (
            attr_of(&html, r#"<link rel="preload""#, "href"),
            "application/wasm",
        ),
        (
            attr_of(&html, r#"<link rel="modulepreload""#, "href"),
            "text/javascript",
        ),
        (
            attr_of(&html, r#"<script type="module""#, "src"),
            "text/javascript",
        ),
    ] {
        let response = get(path.clone()).await;
        assert_eq!(response.status(), 200, "{path}");
        let served_type = response.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .to_string();
        assert!(
            served_type.starts_with(content_type),
            "{path}: {served_type}"
        );
        assert!(
            !response.bytes().await.expect("body").is_empty(),
            "{path} is empty"
        );
    }
    assert!(
        dir.path().join("data").is_dir(),
        "the first run creates ./data"
    );
    let mut entries: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .map(|e| e.expect("entry").file_name())
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        vec![
            std::ffi::OsString::from("data"),
            std::ffi::OsString::from("templates")
        ],
        "nothing but data/ and the (empty, watched) templates/ is needed or written"
    );
    assert!(dir.path().join("data/settings.json").is_file());

    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
    let exit = wait_for_exit(&mut server.child, Duration::from_secs(15));
    assert!(exit.success(), "SIGTERM is a clean shutdown: {exit}");
}

fn run(args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().expect("temp dir");
    Command::new(binary_path())
        .args(args)
        .current_dir(dir.path())
        .output()
        .expect("runs")
}

#[test]
fn version_and_help_answer_and_exit() {
    let version = run(&["--version"]);
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("cocolu {}", env!("CARGO_PKG_VERSION"))
    );

    let help = run(&["--help"]);
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for word in [
        "serve",
        "COCOLU_ADDR",
        "COCOLU_DATA_DIR",
        "COCOLU_TEMPLATES_DIR",
    ] {
        assert!(text.contains(word), "--help lacks {word}:\n{text}");
    }
}

#[test]
fn an_unparseable_address_exits_with_one_clear_sentence() {
    let output = run(&["--addr", "not-an-address"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("'not-an-address' is not an address to listen on"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn an_unusable_data_folder_exits_with_one_clear_sentence() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("occupied");
    std::fs::write(&file, "a file, not a folder").expect("write");
    let output = Command::new(binary_path())
        .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
        .arg(&file)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("error: cannot use the data folder"),
        "{stderr}"
    );
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[test]
fn a_busy_port_exits_with_one_clear_sentence() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let output = run(&["--addr", &addr]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
}

/// The UTC zone in the TZif format (version 2): no transitions, one type, its POSIX footer.
const UTC_TZIF: &[u8] = b"TZif2\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00UTC\x00TZif2\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x04\x00\x00\x00\x00\x00\x00UTC\x00\x0aUTC0\x0a";

/// A machine without a time-zone database (no tzdata package): the binary starts on an empty
/// folder, says what to install, keeps its default settings in force (the zone cannot be
/// checked, so it is not refused), and answers with the hours read in UTC.
#[tokio::test]
async fn without_a_time_zone_database_the_server_says_so_and_serves() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    // A database with UTC alone, as in a container without tzdata (an empty or missing
    // folder makes the library look in the system's own).
    let empty = dir.path().join("zoneinfo");
    std::fs::create_dir(&empty).expect("mkdir");
    std::fs::write(empty.join("UTC"), UTC_TZIF).expect("UTC zone");
    let server = crate::helpers::spawn_binary_with_stderr(
        dir.path(),
        &[],
        &[("TZDIR", empty.to_str().expect("utf-8"))],
        log.into(),
    );
    let status =
        crate::helpers::get_json(&server.client, &format!("{}/api/status", server.base_url)).await;
    assert!(
        status["file_problems"]
            .as_array()
            .expect("problems")
            .is_empty(),
        "the default settings stay in force: {status}"
    );
    let log = std::fs::read_to_string(&log_path).expect("log");
    assert!(
        log.contains("no time-zone database") && log.contains("tzdata"),
        "{log}"
    );
}
