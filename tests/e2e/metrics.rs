//! `/metrics`: Prometheus's text format, behind a token, with counters that move.

use crate::helpers::{anonymous_client, now_secs, spawn_app_with, text_message};
use std::collections::HashMap;

const METRICS_TOKEN: &str = "prometheus-secret";

/// Parses the text format strictly: every sample belongs to a family declared with `# HELP`
/// and `# TYPE` first, and has a name, optional labels and a number.
fn parse(text: &str) -> HashMap<String, f64> {
    let mut declared: Vec<String> = Vec::new();
    let mut samples = HashMap::new();
    let sample = regex::Regex::new(
        r#"^([a-z_]+)(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? (-?[0-9.e+]+|\+Inf)$"#,
    )
    .expect("regex");
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut parts = rest.split(' ');
            let name = parts.next().expect("name").to_string();
            let kind = parts.next().expect("kind");
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            declared.push(name);
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let captures = sample
            .captures(line)
            .unwrap_or_else(|| panic!("not a sample line: {line:?}"));
        let name = &captures[1];
        let family = name
            .strip_suffix("_bucket")
            .or_else(|| name.strip_suffix("_sum"))
            .or_else(|| name.strip_suffix("_count"))
            .filter(|f| declared.iter().any(|d| d == f))
            .unwrap_or(name);
        assert!(
            declared.iter().any(|d| d == family),
            "{name} has no TYPE line"
        );
        let key = format!("{}{}", name, captures.get(2).map_or("", |m| m.as_str()));
        samples.insert(key, captures[4].parse().expect("number"));
    }
    samples
}

#[tokio::test]
async fn metrics_need_a_token_parse_and_move_with_traffic() {
    let app = spawn_app_with(|config| config.metrics_token = Some(METRICS_TOKEN.into())).await;
    let anonymous = anonymous_client()
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("sent");
    assert_eq!(anonymous.status(), 401);
    let wrong = anonymous_client()
        .get(app.url("/metrics"))
        .bearer_auth("guess")
        .send()
        .await
        .expect("sent");
    assert_eq!(wrong.status(), 401);
    let scrape = || async {
        let response = anonymous_client()
            .get(app.url("/metrics"))
            .bearer_auth(METRICS_TOKEN)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"]
            .to_str()
            .expect("text")
            .starts_with("text/plain; version=0.0.4"));
        parse(&response.text().await.expect("text"))
    };
    let before = scrape().await;
    assert_eq!(before["cocolu_webhooks_received_total"], 0.0);

    let body = text_message("wamid.m1", "584121000001", "hola", now_secs() - 3600);
    assert_eq!(app.webhook(&body).await.status(), 200);
    let refused = anonymous_client()
        .post(app.url("/webhook"))
        .body("{}")
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 401);

    let after = scrape().await;
    assert_eq!(after["cocolu_webhooks_received_total"], 1.0);
    assert_eq!(after["cocolu_webhooks_rejected_total"], 1.0);
    assert_eq!(after["cocolu_messages_received_total"], 1.0);
    assert_eq!(after["cocolu_conversations"], 1.0);
    assert_eq!(
        after[r#"cocolu_http_request_duration_seconds_count{route="webhook"}"#],
        2.0
    );
    assert!(
        after[r#"cocolu_http_request_duration_seconds_count{route="metrics"}"#]
            >= before[r#"cocolu_http_request_duration_seconds_count{route="metrics"}"#] + 1.0
    );
    assert_eq!(
        after[r#"cocolu_http_request_duration_seconds_bucket{route="webhook",le="+Inf"}"#],
        2.0
    );

    // An admin API token works too.
    let admin = app.get("/metrics").await;
    assert_eq!(admin.status(), 200);
}
