//! Replies-out benchmarks (issues 4 and 5), against the release binary and a Graph API
//! stand-in in this process that answers at once:
//! - manual: 100 replies queued at once through the API, until the stand-in has them all;
//! - bot: 100 known customers ask for prices at once, until all 100 answers are at the
//!   stand-in (default limit 80 per second);
//! - latency: webhook in to reply request out, 1,000 questions at 100 per second from
//!   different customers (a second server with the send limit raised to 1,000 per second, so
//!   the limit does not queue them).
//!
//! Run: `cargo bench --bench outbox`.

mod common;

use cocolu::channel::meta::signature::sign;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SECRET: &str = "bench-secret";
const CUSTOMERS: usize = 100;

fn start_server(
    dir: &std::path::Path,
    graph_url: &str,
    send_rate: u32,
) -> (std::process::Child, String) {
    let rate = send_rate.to_string();
    let env = [
        ("META_APP_SECRET", SECRET),
        ("META_ACCESS_TOKEN", "bench-token"),
        ("META_PHONE_NUMBER_ID", "106540352242922"),
        ("META_GRAPH_URL", graph_url),
        ("COCOLU_SEND_RATE", rate.as_str()),
    ];
    common::start_cocolu(dir, &env, false)
}

fn phone(customer: usize) -> String {
    format!("58412{customer:07}")
}

fn message(customer: usize, id: &str, text: &str, age_secs: u64) -> Vec<u8> {
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
        - age_secs;
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "metadata": {"phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": "Cliente"}, "wa_id": phone(customer), "user_id": format!("VE.{customer}")}],
        "messages": [{"from": phone(customer), "id": id, "timestamp": ts.to_string(), "type": "text", "text": {"body": text}}]
    }}]}]})
    .to_string()
    .into_bytes()
}

async fn deliver(client: &reqwest::Client, base: &str, body: Vec<u8>) {
    let signature = sign(SECRET.as_bytes(), &body);
    let response = client
        .post(format!("{base}/webhook"))
        .header("x-hub-signature-256", signature)
        .body(body)
        .send()
        .await
        .expect("webhook");
    assert_eq!(response.status(), 200);
}

/// Customers `range` write once, 20 minutes ago (stale: no bot reply), so they are known
/// and inside the 24-hour window.
async fn known_customers(client: &reqwest::Client, base: &str, range: std::ops::Range<usize>) {
    for chunk in range.collect::<Vec<_>>().chunks(50) {
        let tasks: Vec<_> = chunk
            .iter()
            .map(|&c| {
                let (client, base) = (client.clone(), base.to_string());
                tokio::spawn(async move {
                    deliver(
                        &client,
                        &base,
                        message(c, &format!("wamid.first.{c}"), "hola", 1200),
                    )
                    .await
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("joined");
        }
    }
}

async fn wait_for(arrivals: &common::Arrivals, count: usize) -> Vec<(Instant, String)> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while arrivals.list.lock().expect("lock").len() < count && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    arrivals.list.lock().expect("lock").clone()
}

fn main() {
    let runtime = common::load_runtime();
    let client = reqwest::Client::new();
    let mut rows = Vec::new();

    // Manual replies and the bot, at the default limit.
    let arrivals: Arc<common::Arrivals> = Arc::default();
    let graph_url = runtime.block_on(common::graph_stand_in(arrivals.clone()));
    let dir = tempfile::tempdir().expect("tempdir");
    // Manual replies go through the API, which takes an administrator's token.
    let token = common::run_cocolu(dir.path(), &["token", "bench", "--role", "admin"], "");
    let (mut server, base) = start_server(dir.path(), &graph_url, 80);
    runtime.block_on(async {
        // The first 100 get manual replies (which pause the bot for them); the next 100 ask.
        known_customers(&client, &base, 0..2 * CUSTOMERS).await;
        let start = Instant::now();
        let replies: Vec<_> = (0..CUSTOMERS)
            .map(|c| {
                let (client, token) = (client.clone(), token.clone());
                let url = format!("{base}/api/conversations/VE.{c}/messages");
                tokio::spawn(async move {
                    client.post(url).bearer_auth(token).json(&json!({"message": {"type": "text", "body": "Nuestros precios: ..."}})).send().await.expect("reply")
                })
            })
            .collect();
        for reply in replies {
            assert_eq!(reply.await.expect("joined").status(), 202);
        }
        let arrived = wait_for(&arrivals, CUSTOMERS).await;
        let last = arrived.last().map(|(at, _)| at.duration_since(start).as_secs_f64()).unwrap_or(f64::NAN);
        rows.push(format!("| {CUSTOMERS} manual replies queued at once through the API, until the Graph API received the last | {last:.2} s ({} arrived) | within 2 s at 80/s (floor {:.2} s) |", arrived.len(), (CUSTOMERS - 1) as f64 / 80.0));

        arrivals.list.lock().expect("lock").clear();
        let start = Instant::now();
        let questions: Vec<_> = (CUSTOMERS..2 * CUSTOMERS)
            .map(|c| {
                let (client, base) = (client.clone(), base.clone());
                tokio::spawn(async move { deliver(&client, &base, message(c, &format!("wamid.q.{c}"), "¿precio?", 0)).await })
            })
            .collect();
        for question in questions {
            question.await.expect("joined");
        }
        let arrived = wait_for(&arrivals, CUSTOMERS).await;
        let last = arrived.last().map(|(at, _)| at.duration_since(start).as_secs_f64()).unwrap_or(f64::NAN);
        rows.push(format!("| {CUSTOMERS} customers ask at once (webhooks), until the Graph API received the last answer | {last:.2} s ({} arrived) | all 100 within 2 s at 80/s |", arrived.len()));
    });
    let _ = server.kill();
    let _ = server.wait();

    // Latency at 100 per second, with the send limit out of the way.
    let arrivals: Arc<common::Arrivals> = Arc::default();
    let graph_url = runtime.block_on(common::graph_stand_in(arrivals.clone()));
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut server, base) = start_server(dir.path(), &graph_url, 1000);
    let questions = 1000;
    runtime.block_on(async {
        known_customers(&client, &base, 0..questions).await;
        let mut sent_at = Vec::with_capacity(questions);
        let mut ticker = tokio::time::interval(Duration::from_millis(10));
        let mut tasks = Vec::new();
        for c in 0..questions {
            ticker.tick().await;
            sent_at.push(Instant::now());
            let (client, base) = (client.clone(), base.clone());
            tasks.push(tokio::spawn(async move { deliver(&client, &base, message(c, &format!("wamid.l.{c}"), "precio", 0)).await }));
        }
        for task in tasks {
            task.await.expect("joined");
        }
        let arrived = wait_for(&arrivals, questions).await;
        let mut latencies: Vec<f64> = arrived
            .iter()
            .filter_map(|(at, to)| {
                let customer: usize = to.strip_prefix("58412")?.parse().ok()?;
                Some(at.duration_since(*sent_at.get(customer)?).as_secs_f64() * 1000.0)
            })
            .collect();
        latencies.sort_by(f64::total_cmp);
        let pct = |p: f64| latencies.get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1))).copied().unwrap_or(f64::NAN);
        rows.push(format!("| webhook in to reply request out, {questions} questions at 100/s from different customers | p50 {:.2} ms, p99 {:.2} ms ({} replies) | p99 ≤ 5 ms |", pct(0.5), pct(0.99), latencies.len()));
    });
    let _ = server.kill();
    let _ = server.wait();

    println!("| figure | measured | target |");
    println!("|---|---|---|");
    for row in rows {
        println!("{row}");
    }
}
