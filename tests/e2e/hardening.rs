//! What a visitor, an agent or a revoked credential can do to the compiled binary: revoked
//! credentials close the live connections they opened, tokens act with at most their owner's
//! rights, concurrent guesses cannot slip past the sign-in throttle, oversized sign-ins are
//! refused before they cost memory or log space, and half-open connections cannot lock the
//! dashboard out.

use crate::helpers::{anonymous_client, spawn_binary_with_env, RunningBinary, Session};
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const PASSWORD: &str = "una clave larga de prueba";

/// `cocolu user add NAME --role ROLE` with [`PASSWORD`], before the server starts.
fn add_user(dir: &Path, name: &str, role: &str) {
    let output = crate::helpers::run_cocolu(
        dir,
        &["user", "add", name, "--role", role, "--password-stdin"],
        &format!("{PASSWORD}\n"),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

async fn sign_in(server: &RunningBinary, name: &str) -> Session {
    let response = anonymous_client()
        .post(format!("{}/api/auth/login", server.base_url))
        .json(&json!({"username": name, "password": PASSWORD}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    Session::from_response(response).await
}

/// Opens `/ws` with one credential header; the socket after its hello.
async fn open_ws(server: &RunningBinary, header: (&'static str, String)) -> crate::helpers::Socket {
    let url = server.base_url.replace("http://", "ws://") + "/ws";
    let mut request = url.into_client_request().expect("request");
    request
        .headers_mut()
        .insert(header.0, header.1.parse().expect("header"));
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("upgrade accepted");
    match socket.next().await {
        Some(Ok(Message::Text(text))) => assert!(text.contains("\"hello\""), "{text}"),
        other => panic!("expected hello, got {other:?}"),
    }
    socket
}

/// Waits for the server to close `socket`; the close code (None when it stays open).
async fn closed_within(socket: &mut crate::helpers::Socket, limit: Duration) -> Option<u16> {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(deadline, socket.next()).await {
            Err(_) => return None,
            Ok(Some(Ok(Message::Close(frame)))) => {
                return Some(frame.map_or(1005, |f| u16::from(f.code)))
            }
            Ok(None | Some(Err(_))) => return Some(1006),
            Ok(Some(Ok(_))) => {}
        }
    }
}

fn bearer(token: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {token}"))
}

fn cookie(session: &Session) -> (&'static str, String) {
    ("cookie", session.cookie.clone())
}

async fn user_id(server: &RunningBinary, name: &str) -> String {
    let users: Value = server
        .client
        .get(format!("{}/api/users", server.base_url))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    users
        .as_array()
        .expect("users")
        .iter()
        .find(|u| u["username"] == name)
        .and_then(|u| u["id"].as_str())
        .expect("the user")
        .to_string()
}

#[tokio::test]
async fn revoking_a_credential_closes_what_it_opened_and_tokens_follow_their_owner() {
    let dir = tempfile::tempdir().expect("temp dir");
    add_user(dir.path(), "ana", "admin");
    add_user(dir.path(), "bea", "admin");
    let server = spawn_binary_with_env(dir.path(), &[], &[("COCOLU_WS_HEARTBEAT_SECS", "1")]);
    let base = server.base_url.clone();
    let ana = sign_in(&server, "ana").await;
    let made: Value = anonymous_client()
        .post(format!("{base}/api/tokens"))
        .header("cookie", &ana.cookie)
        .header("x-csrf-token", &ana.csrf)
        .json(&json!({"name": "script de ana", "role": "admin"}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let token = made["token"]
        .as_str()
        .expect("token shown once")
        .to_string();
    let token_id = made["record"]["id"].as_str().expect("token id").to_string();
    let mut by_token = open_ws(&server, bearer(&token)).await;
    let mut by_session = open_ws(&server, cookie(&ana)).await;
    let mut other = open_ws(&server, bearer(&server.token)).await;

    // Ana is made an agent by the server's own token.
    let ana_id = user_id(&server, "ana").await;
    let demoted = server
        .client
        .patch(format!("{base}/api/users/{ana_id}"))
        .json(&json!({"role": "agent"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(demoted.status(), StatusCode::OK);
    assert_eq!(
        closed_within(&mut by_token, Duration::from_secs(3)).await,
        Some(1008),
        "the token's connection closes: its rights changed"
    );
    assert_eq!(
        closed_within(&mut by_session, Duration::from_secs(3)).await,
        Some(1008)
    );
    assert_eq!(
        closed_within(&mut other, Duration::from_millis(1500)).await,
        None,
        "connections whose rights did not change stay open"
    );

    // Her token now acts as an agent: no admin routes, no admin tokens.
    let with_token = crate::helpers::client_with_token(&token);
    let users = with_token
        .get(format!("{base}/api/users"))
        .send()
        .await
        .expect("sent");
    assert_eq!(users.status(), StatusCode::FORBIDDEN);
    let escalate = with_token
        .post(format!("{base}/api/tokens"))
        .json(&json!({"name": "otra", "role": "admin"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(escalate.status(), StatusCode::FORBIDDEN);
    let me: Value = with_token
        .get(format!("{base}/api/auth/me"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(me["role"], "agent");

    // Deleting the token closes the connection it opened as an agent.
    let mut by_token = open_ws(&server, bearer(&token)).await;
    let deleted = server
        .client
        .delete(format!("{base}/api/tokens/{token_id}"))
        .send()
        .await
        .expect("sent");
    assert!(deleted.status().is_success(), "{}", deleted.status());
    assert_eq!(
        closed_within(&mut by_token, Duration::from_secs(3)).await,
        Some(1008)
    );

    // Signing out closes the session's connection.
    let ana = sign_in(&server, "ana").await;
    let mut by_session = open_ws(&server, cookie(&ana)).await;
    let out = anonymous_client()
        .post(format!("{base}/api/auth/logout"))
        .header("cookie", &ana.cookie)
        .header("x-csrf-token", &ana.csrf)
        .send()
        .await
        .expect("sent");
    assert!(out.status().is_success(), "{}", out.status());
    assert_eq!(
        closed_within(&mut by_session, Duration::from_secs(3)).await,
        Some(1008)
    );

    // Disabling the person closes the rest.
    let ana = sign_in(&server, "ana").await;
    let mut by_session = open_ws(&server, cookie(&ana)).await;
    server
        .client
        .patch(format!("{base}/api/users/{ana_id}"))
        .json(&json!({"disabled": true}))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        closed_within(&mut by_session, Duration::from_secs(3)).await,
        Some(1008)
    );
}

#[tokio::test]
async fn concurrent_guesses_are_throttled_and_oversized_sign_ins_cost_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    add_user(dir.path(), "ana", "admin");
    add_user(dir.path(), "bea", "agent");
    let server = spawn_binary_with_env(dir.path(), &[], &[]);
    let base = server.base_url.clone();
    // The server answers an oversized body without reading the rest of it, so that connection
    // cannot carry another request: each request here takes a fresh one.
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    // The right password from several tabs at once: every one signs in (those past the free
    // attempts wait for the first to be decided instead of being refused).
    let tabs = (0..12).map(|_| {
        let client = client.clone();
        let base = base.clone();
        async move {
            client
                .post(format!("{base}/api/auth/login"))
                .json(&json!({"username": "bea", "password": PASSWORD}))
                .send()
                .await
                .expect("sent")
                .status()
        }
    });
    let tabs = futures_util::future::join_all(tabs).await;
    assert!(tabs.iter().all(|s| *s == StatusCode::OK), "{tabs:?}");
    let guesses = (0..60).map(|i| {
        let client = client.clone();
        let base = base.clone();
        async move {
            client
                .post(format!("{base}/api/auth/login"))
                .json(&json!({"username": "ana", "password": format!("intento {i} equivocado")}))
                .send()
                .await
                .expect("sent")
                .status()
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let evaluated = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(
        evaluated <= 5 && evaluated + throttled == 60,
        "{evaluated} guesses checked, {throttled} throttled: {statuses:?}"
    );

    let audit = dir.path().join("data/audit.log");
    let audit_before = std::fs::metadata(&audit).map_or(0, |m| m.len());
    let huge = "a".repeat(1024 * 1024);
    let json_body = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"username": huge, "password": "x"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(json_body.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let long_name = client
        .post(format!("{base}/api/auth/login"))
        .json(&json!({"username": "b".repeat(4000), "password": "x"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(long_name.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = long_name.json().await.expect("json");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("at most")),
        "{body}"
    );
    let form = client
        .post(format!("{base}/login"))
        .form(&[("username", huge.as_str()), ("password", "x")])
        .send()
        .await
        .expect("sent");
    assert_eq!(form.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let audit_after = std::fs::metadata(&audit).map_or(0, |m| m.len());
    assert!(
        audit_after - audit_before < 1024,
        "the audit log grew by {} bytes",
        audit_after - audit_before
    );
    assert!(client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .expect("sent")
        .status()
        .is_success());
}

#[tokio::test]
async fn half_open_connections_cannot_lock_out_the_dashboard_and_are_closed_in_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    add_user(dir.path(), "ana", "admin");
    let server = spawn_binary_with_env(
        dir.path(),
        &[],
        &[
            ("COCOLU_MAX_CONNECTIONS", "64"),
            ("COCOLU_HEADER_TIMEOUT_SECS", "2"),
        ],
    );
    let ana = sign_in(&server, "ana").await;
    let addr = server.base_url.trim_start_matches("http://").to_string();
    // Three times the cap of requests that never finish their headers.
    let mut half_open = Vec::new();
    for _ in 0..192 {
        let mut stream = tokio::net::TcpStream::connect(&addr)
            .await
            .expect("connect");
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await
            .expect("half a request");
        half_open.push(stream);
    }
    // And as many again that send their headers, then trickle a body a byte at a time.
    let mut trickling = Vec::new();
    for _ in 0..64 {
        let mut stream = tokio::net::TcpStream::connect(&addr)
            .await
            .expect("connect");
        stream
            .write_all(
                b"POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{",
            )
            .await
            .expect("headers and a byte");
        trickling.push(stream);
    }
    // Past the grace a body gets, a trickle makes room like an idle connection.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    for stream in &mut trickling {
        let _ = stream.write_all(b" ").await;
    }
    let fresh = anonymous_client;
    for _ in 0..3 {
        let health = fresh()
            .get(format!("{}/healthz", server.base_url))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .expect("answered despite the half-open connections");
        assert_eq!(health.status(), StatusCode::OK);
        let page = fresh()
            .get(format!("{}/inbox", server.base_url))
            .header("cookie", &ana.cookie)
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .expect("the dashboard answers");
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page.text().await.expect("page").contains("<html"));
    }
    // Whatever was not pushed out is closed once the header deadline passes.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mut still_open = 0;
    for stream in &mut half_open {
        let mut buffer = [0u8; 256];
        // A closed connection reads its end at once; an open one has nothing to read.
        if tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buffer))
            .await
            .is_err()
        {
            still_open += 1;
        }
    }
    assert_eq!(
        still_open, 0,
        "half-open connections left after the deadline"
    );
}

#[tokio::test]
async fn contact_edits_need_a_real_conversation_and_stay_within_their_limits() {
    let app = crate::helpers::spawn_app().await;
    let conversation = "VE.584121717171";
    let message = crate::helpers::text_message(
        "wamid.lim1",
        "584121717171",
        "hola",
        crate::helpers::now_secs(),
    );
    assert_eq!(app.webhook(&message).await.status(), 200);
    let edit = |target: &str, body: Value| {
        let path = format!("/api/conversations/{target}/contact");
        let app = &app;
        async move { app.post_json(&path, &body).await }
    };

    // Made-up conversations get nothing, however big the edit.
    let notes = "n".repeat(900 * 1024);
    for i in 0..20 {
        let made_up = edit(&format!("VE.inventado{i}"), json!({"notes": notes})).await;
        assert_eq!(made_up.status(), StatusCode::NOT_FOUND);
    }
    let takeover = app
        .post_json(
            "/api/conversations/VE.inventado/takeover",
            &json!({"paused": true}),
        )
        .await;
    assert_eq!(takeover.status(), StatusCode::NOT_FOUND);
    let listed = app.get_json("/api/conversations").await;
    assert_eq!(listed["conversations"].as_array().map(Vec::len), Some(1));

    // A real one: within the limits only, and the reason is given.
    let huge = edit(conversation, json!({"notes": notes})).await;
    assert_eq!(huge.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = huge.json().await.expect("json");
    assert_eq!(body["error"]["code"], "limit");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("4000")),
        "{body}"
    );
    let many: Vec<String> = (0..51).map(|i| format!("etiqueta{i}")).collect();
    let too_many = edit(conversation, json!({"add_labels": many})).await;
    assert_eq!(too_many.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fine = edit(
        conversation,
        json!({"add_labels": ["vip"], "notes": "Compra cada semana"}),
    )
    .await;
    assert_eq!(fine.status(), StatusCode::ACCEPTED);
    // Opting out always passes.
    let opt_out = edit(conversation, json!({"opted_out": true})).await;
    assert_eq!(opt_out.status(), StatusCode::ACCEPTED);
}
