//! Outbox benchmark (issue 4): 100 customers write at once, then a reply to each is queued
//! at once through the API; how long until the Graph API (a stand-in in this process that
//! answers at once) has received all 100, with the default limit of 80 per second.
//!
//! Run: `cargo bench --bench outbox`. The reply engine will queue these replies by itself;
//! until it exists, the API queues them, which exercises the same outbox.

use axum::routing::post;
use axum::Json;
use cocolu::channel::meta::signature::sign;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SECRET: &str = "bench-secret";
const CUSTOMERS: usize = 100;

fn webhook(customer: usize) -> Vec<u8> {
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "metadata": {"phone_number_id": "PNID"},
        "contacts": [{"profile": {"name": "Cliente"}, "wa_id": format!("58412{customer:07}"), "user_id": format!("VE.{customer}")}],
        "messages": [{"from": format!("58412{customer:07}"), "id": format!("wamid.out.{customer}"), "timestamp": ts.to_string(), "type": "text", "text": {"body": "precio"}}]
    }}]}]})
    .to_string()
    .into_bytes()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let arrivals: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let graph_url = runtime.block_on(async {
        let arrivals = arrivals.clone();
        let app = axum::Router::new().route(
            "/{version}/{phone}/messages",
            post(move || {
                let arrivals = arrivals.clone();
                async move {
                    arrivals.lock().expect("lock").push(Instant::now());
                    Json(json!({"messaging_product": "whatsapp", "messages": [{"id": "wamid.bench"}]}))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        url
    });

    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Command::new(env!("CARGO_BIN_EXE_cocolu"))
        .args(["serve", "--addr", "127.0.0.1:0"])
        .current_dir(dir.path())
        .env("META_APP_SECRET", SECRET)
        .env("META_ACCESS_TOKEN", "bench-token")
        .env("META_PHONE_NUMBER_ID", "PNID")
        .env("META_GRAPH_URL", &graph_url)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("cocolu starts");
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("line");
    let base = line.trim().trim_start_matches("listening on ").to_string();

    let elapsed = runtime.block_on(async {
        let client = reqwest::Client::new();
        let writes: Vec<_> = (0..CUSTOMERS)
            .map(|c| {
                let (client, url) = (client.clone(), format!("{base}/webhook"));
                tokio::spawn(async move {
                    let body = webhook(c);
                    let signature = sign(SECRET.as_bytes(), &body);
                    client
                        .post(url)
                        .header("x-hub-signature-256", signature)
                        .body(body)
                        .send()
                        .await
                        .expect("webhook")
                })
            })
            .collect();
        for write in writes {
            assert_eq!(write.await.expect("joined").status(), 200);
        }
        let start = Instant::now();
        let replies: Vec<_> = (0..CUSTOMERS)
            .map(|c| {
                let client = client.clone();
                let url = format!("{base}/api/conversations/VE.{c}/messages");
                tokio::spawn(async move {
                    client
                        .post(url)
                        .json(
                            &json!({"message": {"type": "text", "body": "Nuestros precios: ..."}}),
                        )
                        .send()
                        .await
                        .expect("reply")
                })
            })
            .collect();
        for reply in replies {
            let response: reqwest::Response = reply.await.expect("joined");
            assert_eq!(
                response.status(),
                202,
                "{:?}",
                response
                    .text()
                    .await
                    .ok()
                    .map(|t: String| t.chars().take(200).collect::<String>())
            );
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while arrivals.lock().expect("lock").len() < CUSTOMERS && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let arrived = arrivals.lock().expect("lock").clone();
        (
            arrived.len(),
            arrived.last().map(|last| last.duration_since(start)),
        )
    });
    let _ = server.kill();
    let _ = server.wait();

    let (count, last) = elapsed;
    let last = last.map_or("never".to_string(), |d| format!("{:.2} s", d.as_secs_f64()));
    println!("| figure | measured | target |");
    println!("|---|---|---|");
    println!("| {CUSTOMERS} replies queued at once, until the Graph API received the last ({count} arrived) | {last} | all within 2 s at 80/s (lower bound {:.2} s) |", (CUSTOMERS - 1) as f64 / 80.0);
}
