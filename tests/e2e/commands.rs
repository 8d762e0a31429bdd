//! The one-shot commands, run as a user runs them: `check`, `schema`, `backup`, `repair`, and
//! `serve` meeting a corrupt log.

use crate::helpers::{
    anonymous_client, binary_path, folder_modes, get_json, spawn_binary, RunningBinary,
};
use cocolu::store::log::{Log, LogOptions};
use serde_json::Value;
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn cocolu(dir: &Path, args: &[&str]) -> Output {
    Command::new(binary_path())
        .args(args)
        .current_dir(dir)
        .env_remove("COCOLU_DATA_DIR")
        .env_remove("COCOLU_TEMPLATES_DIR")
        .output()
        .expect("cocolu runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A data folder with a log of three records, as a server leaves it.
fn data_with_log(dir: &Path) -> std::path::PathBuf {
    let log_dir = dir.join("data/log");
    let (log, _) = Log::open(&log_dir, LogOptions::default()).expect("log");
    log.append_blocking(vec![
        b"{\"n\":1}".to_vec(),
        b"{\"n\":2}".to_vec(),
        b"{\"n\":3}".to_vec(),
    ])
    .expect("stored");
    log_dir.join(log.segments()[0].file_name())
}

/// Like [`data_with_log`], with a byte of the second record flipped.
fn data_with_corrupt_log(dir: &Path) -> std::path::PathBuf {
    let segment = data_with_log(dir);
    let text = fs::read_to_string(&segment)
        .expect("read")
        .replacen("{\"n\":2}", "{\"n\"#2}", 1);
    fs::write(&segment, text).expect("corrupt the log");
    segment
}

#[test]
fn check_passes_a_fresh_folder_and_lists_every_problem_of_a_broken_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fresh = cocolu(dir.path(), &["check"]);
    assert!(fresh.status.success(), "{}", stdout(&fresh));
    assert!(stdout(&fresh).contains("settings.json is missing"));

    let segment = data_with_corrupt_log(dir.path());
    fs::write(dir.path().join("data/settings.json"), "{\n  \"version\": 1,\n  \"business\": {\"name\": \"X\"},\n  \"time_zone\": \"Nowhere/Land\"\n}\n").expect("write");
    fs::create_dir_all(dir.path().join("templates")).expect("mkdir");
    fs::write(dir.path().join("templates/precios.txt"), "Precios {{lista").expect("write");

    let broken = cocolu(
        dir.path(),
        &["check", "--data", "data", "--templates", "templates"],
    );

    assert_eq!(broken.status.code(), Some(1));
    let out = stdout(&broken);
    assert!(
        out.contains("settings.json:4:16: unknown time zone 'Nowhere/Land'"),
        "{out}"
    );
    assert!(out.contains("templates/precios.txt:1:9:"), "{out}");
    let segment_name = segment.file_name().and_then(|n| n.to_str()).expect("name");
    assert!(
        out.contains(&format!("log/{segment_name}:2:1: corrupt record")),
        "{out}"
    );
    assert!(out.contains("3 problem(s) found"), "{out}");
}

#[test]
fn schema_writes_a_json_schema_for_settings() {
    let dir = tempfile::tempdir().expect("tempdir");

    let output = cocolu(dir.path(), &["schema", "--out", "schemas"]);

    assert!(output.status.success());
    let schema: Value = serde_json::from_str(
        &fs::read_to_string(dir.path().join("schemas/settings.schema.json")).expect("read"),
    )
    .expect("JSON");
    assert!(schema["properties"]["time_zone"].is_object(), "{schema}");
    assert!(schema["properties"]["business"].is_object());
}

#[test]
fn serve_refuses_a_corrupt_log_naming_file_and_line_and_repair_fixes_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let segment = data_with_corrupt_log(dir.path());
    let segment_name = segment
        .file_name()
        .and_then(|n| n.to_str())
        .expect("name")
        .to_string();

    let refused = cocolu(dir.path(), &["serve", "--addr", "127.0.0.1:0"]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains(&format!("{segment_name}:2:")) && stderr.contains("cocolu repair"),
        "{stderr}"
    );

    let repaired = cocolu(dir.path(), &["repair"]);
    assert!(repaired.status.success());
    assert!(
        stdout(&repaired).contains(&format!("moved aside: log/{segment_name}:2")),
        "{}",
        stdout(&repaired)
    );
    assert!(dir
        .path()
        .join(format!("data/log/corrupt/{segment_name}.line-2"))
        .exists());

    let server = spawn_binary(dir.path(), &[]);
    assert!(server.base_url.starts_with("http://127.0.0.1:"));
}

#[test]
fn serve_with_repair_starts_on_a_corrupt_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    data_with_corrupt_log(dir.path());

    let server = spawn_binary(dir.path(), &["serve", "--repair"]);

    assert!(server.base_url.starts_with("http://"));
}

#[test]
fn repair_refuses_while_a_server_uses_the_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _server = spawn_binary(dir.path(), &[]);

    let output = cocolu(dir.path(), &["repair"]);

    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("another Cocolu process is using the data folder"));
}

#[tokio::test]
async fn a_backup_taken_while_the_server_runs_starts_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let server = spawn_binary(dir.path(), &[]);
    let client = server.client.clone();
    let url = format!("{}/api/settings", server.base_url);
    let mut body: Value = get_json(&client, &url).await;
    body["settings"]["business"]["name"] = "Respaldada".into();
    let saved = client.put(&url).json(&body).send().await.expect("put");
    assert_eq!(saved.status(), 200);

    let output = cocolu(dir.path(), &["backup", "copy"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let restored_dir = tempfile::tempdir().expect("tempdir");
    fs::rename(dir.path().join("copy"), restored_dir.path().join("data")).expect("move copy");
    let restored = spawn_binary(restored_dir.path(), &[]);
    let read: Value = get_json(
        &restored.client,
        &format!("{}/api/settings", restored.base_url),
    )
    .await;
    assert_eq!(read["settings"]["business"]["name"], "Respaldada");
}

/// `cocolu serve` in `dir` with nothing prepared beforehand (no `cocolu token` first, unlike
/// [`spawn_binary`]), so that every folder in `dir` afterwards is one the server made.
fn serve_in_an_empty_folder(dir: &Path) -> RunningBinary {
    let mut child = Command::new(binary_path())
        .current_dir(dir)
        .env("COCOLU_ADDR", "127.0.0.1:0")
        .env_remove("COCOLU_DATA_DIR")
        .env_remove("COCOLU_TEMPLATES_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cocolu starts");
    let stdout = child.stdout.take().expect("stdout piped");
    // Wrapped before reading, so that a server that never says it listens is still killed.
    let mut server = RunningBinary {
        child,
        base_url: String::new(),
        client: anonymous_client(),
        token: String::new(),
    };
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    server.base_url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string();
    server
}

#[test]
fn every_folder_serve_creates_is_private_to_the_service_user() {
    let dir = tempfile::tempdir().expect("tempdir");

    let _server = serve_in_an_empty_folder(dir.path());

    let data = dir.path().join("data");
    let made: Vec<_> = folder_modes(dir.path())
        .into_iter()
        .filter(|(path, _)| path != dir.path())
        .collect();
    assert!(
        made.iter().any(|(path, _)| *path == data),
        "the data folder was made: {made:?}"
    );
    assert!(
        made.iter().any(|(path, _)| *path == data.join("log")),
        "{made:?}"
    );
    for (path, mode) in &made {
        assert_eq!(*mode, 0o700, "{} is {mode:o}", path.display());
    }
}

#[test]
fn backup_makes_its_destination_and_every_folder_in_it_private() {
    let dir = tempfile::tempdir().expect("tempdir");
    data_with_log(dir.path());
    // Folders opened up by hand (or by an older release) are not copied with their mode.
    {
        use std::os::unix::fs::PermissionsExt;
        let open = fs::Permissions::from_mode(0o755);
        fs::set_permissions(dir.path().join("data"), open.clone()).expect("chmod");
        fs::set_permissions(dir.path().join("data/log"), open).expect("chmod");
    }

    let output = cocolu(dir.path(), &["backup", "backups/today"]);

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let copy = dir.path().join("backups/today");
    let made = folder_modes(&copy);
    assert!(
        made.iter().any(|(path, _)| *path == copy.join("log")),
        "{made:?}"
    );
    for (path, mode) in &made {
        assert_eq!(*mode, 0o700, "{} is {mode:o}", path.display());
    }
    let parent = fs::metadata(dir.path().join("backups")).expect("parent made");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        parent.permissions().mode() & 0o777,
        0o700,
        "the missing parent was made private too"
    );
}

#[test]
fn simulate_shows_the_rule_that_answers_and_the_reply() {
    let dir = tempfile::tempdir().expect("tempdir");

    let output = cocolu(dir.path(), &["simulate", "Buenas, ¿a qué hora abren?"]);

    assert!(output.status.success());
    let out = stdout(&output);
    assert!(out.starts_with("rule 'horario' answers"), "{out}");
    assert!(out.contains("Nuestro horario: lunes a viernes"), "{out}");
    // The built-in price list is still to be written: never sent, a person takes over.
    let price = stdout(&cocolu(dir.path(), &["simulate", "¿Cuánto cuesta?"]));
    assert!(
        price.starts_with("rule 'precios' would send template 'precios', which still needs"),
        "{price}"
    );
    assert!(
        !price.contains("[["),
        "no fill-in mark reaches a customer: {price}"
    );
    let voice = stdout(&cocolu(dir.path(), &["simulate", "--type", "audio"]));
    assert!(voice.contains("rule 'nota_de_voz'"), "{voice}");
    assert!(
        !dir.path().join("data").exists(),
        "simulating writes nothing"
    );
    assert_eq!(cocolu(dir.path(), &["simulate"]).status.code(), Some(2));
}
