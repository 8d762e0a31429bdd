use crate::helpers::spawn_app;
use serde_json::Value;

#[tokio::test]
async fn healthz_reports_status_version_and_uptime() {
    let app = spawn_app().await;

    let response = app.get("/healthz").await;

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert!(body["uptime_secs"].is_u64(), "{body}");
}

#[tokio::test]
async fn an_unknown_api_route_answers_json_404() {
    let app = spawn_app().await;

    let response = app.get("/api/does-not-exist").await;

    assert_eq!(response.status(), 404);
    assert!(response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("application/json"));
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["error"]["code"], "not_found");
    assert!(body["error"]["message"]
        .as_str()
        .expect("message")
        .contains("/api/does-not-exist"));
}

#[tokio::test]
async fn a_first_run_creates_the_data_folder() {
    let app = spawn_app().await;

    assert!(app.data_dir.path().join("data").is_dir());
}
