//! People edit `settings.json` and templates by hand while the server runs, with every kind of
//! editor. Each save gives exactly one reload or one reported error, and a rejected edit
//! leaves the last good version in force.

use crate::helpers::{spawn_app, TestApp};
use cocolu::store::document::SaveError;
use cocolu_core::document::render;
use cocolu_core::settings::Settings;
use serde_json::Value;
use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

/// How long to keep listening after the first event, to catch duplicates.
const QUIET: Duration = Duration::from_millis(700);

fn settings_path(app: &TestApp) -> PathBuf {
    app.data_path().join("settings.json")
}

/// The current settings file with the business renamed.
fn renamed(app: &TestApp, name: &str) -> String {
    let mut settings = (*app.data.settings.get()).clone();
    settings.business.name = name.to_string();
    String::from_utf8(render(&settings)).expect("utf-8")
}

fn only_event(events: &[Value]) -> &Value {
    assert_eq!(events.len(), 1, "exactly one event expected: {events:#?}");
    &events[0]
}

#[tokio::test]
async fn an_in_place_write_is_one_reload() {
    let app = spawn_app().await;
    let mut events = app.events().await;

    fs::write(settings_path(&app), renamed(&app, "Tienda En Sitio")).expect("write");

    let event = only_event(&events.burst(QUIET).await).clone();
    assert_eq!(event["type"], "file_reloaded");
    assert_eq!(event["file"], "settings.json");
    assert_eq!(app.data.settings.get().business.name, "Tienda En Sitio");
}

#[tokio::test]
async fn truncate_then_write_is_one_reload() {
    let app = spawn_app().await;
    let mut events = app.events().await;
    let text = renamed(&app, "Tienda Truncada");

    let mut file = fs::OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(settings_path(&app))
        .expect("open");
    file.flush().expect("flush");
    std::thread::sleep(Duration::from_millis(20));
    file.write_all(text.as_bytes()).expect("write");
    drop(file);

    assert_eq!(
        only_event(&events.burst(QUIET).await)["type"],
        "file_reloaded"
    );
    assert_eq!(app.data.settings.get().business.name, "Tienda Truncada");
}

#[tokio::test]
async fn a_rename_over_the_file_is_one_reload() {
    let app = spawn_app().await;
    let mut events = app.events().await;
    let temp = app.data_path().join("settings.json.new");

    fs::write(&temp, renamed(&app, "Tienda Renombrada")).expect("write");
    fs::rename(&temp, settings_path(&app)).expect("rename");

    assert_eq!(
        only_event(&events.burst(QUIET).await)["type"],
        "file_reloaded"
    );
    assert_eq!(app.data.settings.get().business.name, "Tienda Renombrada");
}

#[tokio::test]
async fn a_vim_style_save_with_swap_and_backup_files_is_one_reload() {
    let app = spawn_app().await;
    let mut events = app.events().await;
    let path = settings_path(&app);
    let text = renamed(&app, "Tienda Vim");

    fs::write(app.data_path().join(".settings.json.swp"), "swap").expect("swap");
    fs::write(app.data_path().join("4913"), "").expect("probe");
    fs::remove_file(app.data_path().join("4913")).expect("probe gone");
    fs::rename(&path, app.data_path().join("settings.json~")).expect("backup");
    fs::write(&path, text).expect("write");
    fs::remove_file(app.data_path().join("settings.json~")).expect("backup gone");
    fs::remove_file(app.data_path().join(".settings.json.swp")).expect("swap gone");

    assert_eq!(
        only_event(&events.burst(QUIET).await)["type"],
        "file_reloaded"
    );
    assert_eq!(app.data.settings.get().business.name, "Tienda Vim");
}

#[tokio::test]
async fn delete_then_create_reports_the_deletion_then_reloads() {
    let app = spawn_app().await;
    let mut events = app.events().await;
    let text = renamed(&app, "Tienda Recreada");

    fs::remove_file(settings_path(&app)).expect("delete");
    assert_eq!(
        only_event(&events.burst(QUIET).await)["type"],
        "file_missing"
    );
    assert_eq!(
        app.data.settings.get().business.name,
        "Mi Tienda",
        "last good stays in force"
    );
    let status: Value = app.get_json("/api/status").await;
    assert_eq!(status["file_problems"][0]["file"], "settings.json");

    fs::write(settings_path(&app), text).expect("create");
    assert_eq!(
        only_event(&events.burst(QUIET).await)["type"],
        "file_reloaded"
    );
    assert_eq!(app.data.settings.get().business.name, "Tienda Recreada");
}

#[tokio::test]
async fn invalid_json_is_one_located_error_and_the_last_good_version_stays() {
    let app = spawn_app().await;
    let mut events = app.events().await;
    let broken = renamed(&app, "Nunca").replace("\"time_zone\"", "time_zone");

    fs::write(settings_path(&app), &broken).expect("write");

    let event = only_event(&events.burst(QUIET).await).clone();
    assert_eq!(event["type"], "file_error");
    let problem = &event["problems"][0];
    let expected_line = broken
        .lines()
        .position(|l| l.contains("time_zone"))
        .expect("line")
        + 1;
    assert_eq!(problem["line"], expected_line);
    assert!(problem["column"].as_u64().expect("column") > 0);
    assert_eq!(app.data.settings.get().business.name, "Mi Tienda");
    assert_eq!(
        fs::read_to_string(settings_path(&app)).expect("read"),
        broken,
        "the person's file is untouched"
    );

    let status: Value = app.get_json("/api/status").await;
    assert_eq!(status["file_problems"][0]["line"], expected_line);
}

#[tokio::test]
async fn valid_json_with_a_bad_meaning_is_one_error() {
    let app = spawn_app().await;
    let mut events = app.events().await;
    let text = renamed(&app, "X").replace("America/Caracas", "America/Atlantida");

    fs::write(settings_path(&app), text).expect("write");

    let event = only_event(&events.burst(QUIET).await).clone();
    assert_eq!(event["type"], "file_error");
    assert!(event["problems"][0]["message"]
        .as_str()
        .expect("message")
        .contains("America/Atlantida"));
    assert_eq!(app.data.settings.get().time_zone, "America/Caracas");
}

#[tokio::test]
async fn fixing_a_broken_file_back_to_the_version_in_force_clears_the_error() {
    let app = spawn_app().await;
    let mut events = app.events().await;
    let good = fs::read_to_string(settings_path(&app)).expect("read");

    fs::write(settings_path(&app), "{").expect("break");
    assert_eq!(only_event(&events.burst(QUIET).await)["type"], "file_error");
    fs::write(settings_path(&app), good).expect("restore");

    assert_eq!(
        only_event(&events.burst(QUIET).await)["type"],
        "file_reloaded"
    );
    assert!(app.data.problems().is_empty());
}

#[tokio::test]
async fn the_servers_own_save_causes_no_reload() {
    let app = spawn_app().await;
    let mut events = app.events().await;
    let current = app.data.settings.current();
    let mut settings: Settings = (*current.value).clone();
    settings.business.name = "Guardada Desde El Panel".into();

    let data = app.data.clone();
    tokio::task::spawn_blocking(move || data.save_settings(&settings, &current.revision))
        .await
        .expect("joined")
        .expect("saved");

    assert!(
        events.next(Duration::from_secs(1)).await.is_none(),
        "our own write is not a hand edit"
    );
    assert_eq!(
        app.data.settings.get().business.name,
        "Guardada Desde El Panel"
    );
}

#[tokio::test]
async fn a_save_based_on_an_old_revision_after_a_hand_edit_is_a_conflict() {
    let app = spawn_app().await;
    let mut events = app.events().await;
    let before = app.data.settings.current();
    let hand_edit = renamed(&app, "Editada A Mano");
    fs::write(settings_path(&app), &hand_edit).expect("hand edit");
    let mut from_dashboard: Settings = (*before.value).clone();
    from_dashboard.business.name = "Desde El Panel".into();

    let result = app.data.save_settings(&from_dashboard, &before.revision);

    match result {
        Err(SaveError::Conflict { current_text, .. }) => assert_eq!(current_text, hand_edit),
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(
        fs::read_to_string(settings_path(&app)).expect("read"),
        hand_edit,
        "nothing overwritten"
    );
    assert_eq!(
        only_event(&events.burst(QUIET).await)["type"],
        "file_reloaded"
    );
    assert_eq!(app.data.settings.get().business.name, "Editada A Mano");
}

#[tokio::test]
async fn a_template_edit_is_one_reload_and_a_broken_one_is_located() {
    let app = spawn_app().await;
    let mut events = app.events().await;
    let file = app.templates_path().join("bienvenida.txt");

    fs::write(&file, "Hola {{nombre}}, bienvenido.").expect("write");
    let event = only_event(&events.burst(QUIET).await).clone();
    assert_eq!(event["type"], "file_reloaded");
    assert_eq!(event["file"], "templates/bienvenida.txt");
    assert_eq!(
        app.data.templates.get("bienvenida").as_deref(),
        Some("Hola {{nombre}}, bienvenido.")
    );

    fs::write(&file, "Hola\n{{nombre, bienvenido.").expect("break");
    let event = only_event(&events.burst(QUIET).await).clone();
    assert_eq!(event["type"], "file_error");
    assert_eq!(event["problems"][0]["line"], 2);
    assert_eq!(
        app.data.templates.get("bienvenida").as_deref(),
        Some("Hola {{nombre}}, bienvenido.")
    );
}

#[tokio::test]
async fn a_hand_edit_of_rules_is_reloaded_and_a_broken_one_located() {
    let app = spawn_app().await;
    let mut events = app.events().await;
    let path = app.data_path().join("rules.json");
    let text = fs::read_to_string(&path).expect("read");

    fs::write(&path, text.replace("\"Ver opciones\"", "\"Ver el menú\"")).expect("write");
    let event = only_event(&events.burst(QUIET).await).clone();
    assert_eq!(event["type"], "file_reloaded");
    assert_eq!(event["file"], "rules.json");

    let broken = text.replace("\"template\": \"precios\"", "\"template\": \"no_existe\"");
    fs::write(&path, &broken).expect("write");
    let event = only_event(&events.burst(QUIET).await).clone();
    assert_eq!(event["type"], "file_error");
    let line = broken
        .lines()
        .position(|l| l.contains("no_existe"))
        .expect("line")
        + 1;
    let problem = &event["problems"][0];
    assert!(
        problem["message"]
            .as_str()
            .expect("message")
            .contains("no template 'no_existe'"),
        "{problem}"
    );
    assert!(
        problem["line"].as_u64().expect("line") as usize <= line,
        "points at the reply holding it"
    );
    assert!(
        app.data.rules.get().rules.iter().all(|r| r.id != "x"),
        "last good rules stay"
    );
}
