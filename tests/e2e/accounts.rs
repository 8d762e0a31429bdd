//! Accounts and the API's security: who may call what (every route in the OpenAPI document,
//! with no credentials, as an agent, as an admin and with tokens), cross-site request
//! refusal, sign-in throttling, invitations, the first administrator, sessions and the
//! WebSocket's own check.

use crate::helpers::{
    anonymous_client, client_with_token, connect_ws, now_secs, spawn_app, spawn_app_with,
    spawn_binary, text_message, Session, TestApp, ADMIN_PASSWORD, ADMIN_USER,
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::process::Command;
use std::time::Duration;

const AGENT_PASSWORD: &str = "clave de la agente";

/// Signs in through the API.
async fn login(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    anonymous_client()
        .post(app.url("/api/auth/login"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .expect("sent")
}

/// A request with a browser session: cookie, and the CSRF token when it changes something.
async fn with_session(
    app: &TestApp,
    session: &Session,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> reqwest::Response {
    let mut request = anonymous_client()
        .request(method.clone(), app.url(path))
        .header("cookie", &session.cookie);
    if method != Method::GET {
        request = request.header("x-csrf-token", &session.csrf);
    }
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.expect("sent")
}

/// Invites someone as `role` and registers them; returns their session.
async fn invite_and_register(app: &TestApp, role: &str, username: &str) -> Session {
    let admin = app.admin_session().await;
    let invitation = with_session(
        app,
        &admin,
        Method::POST,
        "/api/invitations",
        Some(&json!({"role": role, "note": "test"})),
    )
    .await;
    assert_eq!(invitation.status(), 201);
    let code = invitation.json::<Value>().await.expect("json")["code"]
        .as_str()
        .expect("code")
        .to_string();
    let registered = anonymous_client()
        .post(app.url("/api/auth/register"))
        .json(&json!({"invitation": code, "username": username, "password": AGENT_PASSWORD}))
        .send()
        .await
        .expect("sent");
    assert_eq!(registered.status(), 201);
    Session::from_response(registered).await
}

/// Makes an API token with `role` as the admin.
async fn token(app: &TestApp, role: &str) -> String {
    let made: Value = app
        .post_json(
            "/api/tokens",
            &json!({"name": format!("{role} script"), "role": role}),
        )
        .await
        .json()
        .await
        .expect("json");
    made["token"].as_str().expect("token").to_string()
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Who {
    Nobody,
    Agent,
    Admin,
    AgentToken,
    AdminToken,
}

#[tokio::test]
async fn every_route_answers_each_role_as_its_openapi_entry_says() {
    let app = spawn_app().await;
    let admin = app.admin_session().await;
    let agent = invite_and_register(&app, "agent", "agente").await;
    let agent_token = token(&app, "agent").await;
    let admin_token = token(&app, "admin").await;
    let document: Value = anonymous_client()
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("the document is public JSON");
    assert_eq!(document["openapi"], "3.1.0");

    let mut checked = 0;
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            let access = operation["x-access"].as_str().expect("x-access");
            let concrete = path
                .split('/')
                .map(|part| {
                    if part.starts_with('{') {
                        "nothing-here"
                    } else {
                        part
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            let method: Method = method.to_uppercase().parse().expect("method");
            let body = (method != Method::GET).then(|| json!({}));
            for who in [
                Who::Nobody,
                Who::Agent,
                Who::Admin,
                Who::AgentToken,
                Who::AdminToken,
            ] {
                // Signing out would end the sessions the rest of the matrix uses.
                let fresh;
                let session = match who {
                    Who::Agent | Who::Admin if concrete == "/api/auth/logout" => {
                        let (user, password) = if who == Who::Agent {
                            ("agente", AGENT_PASSWORD)
                        } else {
                            (ADMIN_USER, ADMIN_PASSWORD)
                        };
                        fresh = Session::from_response(login(&app, user, password).await).await;
                        Some(&fresh)
                    }
                    Who::Agent => Some(&agent),
                    Who::Admin => Some(&admin),
                    _ => None,
                };
                let response = match (who, session) {
                    (_, Some(session)) => {
                        with_session(&app, session, method.clone(), &concrete, body.as_ref()).await
                    }
                    (Who::AgentToken | Who::AdminToken, None) => {
                        let token = if who == Who::AgentToken {
                            &agent_token
                        } else {
                            &admin_token
                        };
                        let mut request =
                            client_with_token(token).request(method.clone(), app.url(&concrete));
                        if let Some(body) = &body {
                            request = request.json(body);
                        }
                        request.send().await.expect("sent")
                    }
                    _ => {
                        let mut request =
                            anonymous_client().request(method.clone(), app.url(&concrete));
                        if let Some(body) = &body {
                            request = request.json(body);
                        }
                        request.send().await.expect("sent")
                    }
                };
                let status = response.status();
                let text = response.text().await.unwrap_or_default();
                assert!(
                    !text.contains("There is no API route"),
                    "{method} {path} is in the document but not routed"
                );
                let expected_refusal = match (access, who) {
                    ("public", _) => None,
                    (_, Who::Nobody) => Some(StatusCode::UNAUTHORIZED),
                    ("admin", Who::Agent | Who::AgentToken) => Some(StatusCode::FORBIDDEN),
                    _ => None,
                };
                match expected_refusal {
                    Some(refusal) => assert_eq!(
                        status, refusal,
                        "{method} {path} ({access}) as {who:?}: {text}"
                    ),
                    None => assert!(
                        status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                        "{method} {path} ({access}) as {who:?} was refused: {status} {text}"
                    ),
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 5 * 25, "only {checked} checks");
}

#[tokio::test]
async fn a_session_must_send_its_csrf_token_and_come_from_this_site() {
    let app = spawn_app().await;
    let admin = app.admin_session().await;
    let rules: Value = app.get_json("/api/rules").await;
    let put = |csrf: Option<&str>, origin: Option<&str>, fetch_site: Option<&str>| {
        let mut request = anonymous_client()
            .put(app.url("/api/rules"))
            .header("cookie", &admin.cookie)
            .json(&rules);
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        if let Some(site) = fetch_site {
            request = request.header("sec-fetch-site", site);
        }
        async move { request.send().await.expect("sent") }
    };
    let own_origin = format!("http://{}", app.addr);

    let missing = put(None, Some(&own_origin), None).await;
    assert_eq!(missing.status(), 403);
    assert_eq!(
        missing.json::<Value>().await.expect("json")["error"]["code"],
        "csrf"
    );
    assert_eq!(
        put(Some("0000"), Some(&own_origin), None).await.status(),
        403
    );
    let foreign = put(Some(&admin.csrf), Some("https://evil.example"), None).await;
    assert_eq!(foreign.status(), 403);
    let cross_site = put(Some(&admin.csrf), None, Some("cross-site")).await;
    assert_eq!(cross_site.status(), 403);
    let good = put(Some(&admin.csrf), Some(&own_origin), Some("same-origin")).await;
    assert_eq!(
        good.status(),
        200,
        "{}",
        good.text().await.unwrap_or_default()
    );
    // A token is not sent by browsers on their own, so it needs no CSRF token.
    let mut again: Value = app.get_json("/api/rules").await;
    again["revision"] = app.get_json("/api/rules").await["revision"].clone();
    assert_eq!(app.put_json("/api/rules", &again).await.status(), 200);
    // The dashboard's sign-in form is refused from another site too.
    let form = anonymous_client()
        .post(app.url("/login"))
        .header("origin", "https://evil.example")
        .form(&[("username", ADMIN_USER), ("password", ADMIN_PASSWORD)])
        .send()
        .await
        .expect("sent");
    assert_eq!(form.status(), 303);
    assert!(form.headers().get("set-cookie").is_none());
    assert!(form.headers()["location"]
        .to_str()
        .expect("text")
        .contains("error=csrf"));
}

#[tokio::test]
async fn failed_sign_ins_make_the_next_ones_wait_for_that_account() {
    let app = spawn_app().await;
    app.admin_session().await;
    for attempt in 1..=5 {
        let response = login(&app, ADMIN_USER, "not the password").await;
        assert_eq!(response.status(), 401, "attempt {attempt}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["error"]["code"], "unauthorized");
    }
    let waiting = login(&app, ADMIN_USER, ADMIN_PASSWORD).await;
    assert_eq!(
        waiting.status(),
        429,
        "even the right password waits: guessing cannot continue"
    );
    let wait: u64 = waiting.headers()["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((1..=900).contains(&wait), "{wait}");
    assert_eq!(
        waiting.json::<Value>().await.expect("json")["error"]["code"],
        "too_many_attempts"
    );
    // An unknown account is throttled the same way (nothing tells which accounts exist)...
    for _ in 0..5 {
        assert_eq!(login(&app, "nadie", "not the password").await.status(), 401);
    }
    assert_eq!(login(&app, "nadie", "not the password").await.status(), 429);
    // ...and the wait ends by itself: no permanent lockout.
    tokio::time::sleep(Duration::from_secs(wait + 1)).await;
    assert_eq!(login(&app, ADMIN_USER, ADMIN_PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn an_invitation_registers_one_person_and_expires() {
    let app = spawn_app().await;
    let admin = app.admin_session().await;
    let make = || async {
        let made: Value = with_session(
            &app,
            &admin,
            Method::POST,
            "/api/invitations",
            Some(&json!({"role": "agent", "valid_hours": 1})),
        )
        .await
        .json()
        .await
        .expect("json");
        made["code"].as_str().expect("code").to_string()
    };
    let register = |code: String, username: &'static str| {
        let url = app.url("/api/auth/register");
        async move {
            anonymous_client()
                .post(url)
                .json(
                    &json!({"invitation": code, "username": username, "password": AGENT_PASSWORD}),
                )
                .send()
                .await
                .expect("sent")
        }
    };

    let code = make().await;
    let first = register(code.clone(), "luis").await;
    assert_eq!(first.status(), 201);
    let me: Value = first.json().await.expect("json");
    assert_eq!(me["role"], "agent");
    let reused = register(code, "otro").await;
    assert_eq!(reused.status(), 422);
    assert_eq!(
        reused.json::<Value>().await.expect("json")["error"]["code"],
        "bad_invitation"
    );

    // An invitation past its time (here: the file edited by hand) no longer works.
    let code = make().await;
    let path = app.data_path().join("users.json");
    let mut users: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("json");
    users["invitations"][0]["expires_at"] = json!(now_secs() * 1000 - 1000);
    std::fs::write(&path, serde_json::to_string_pretty(&users).expect("json")).expect("write");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while app.get_json("/api/invitations").await[0]["expired"] != true {
        assert!(
            tokio::time::Instant::now() < deadline,
            "hand edit picked up"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(register(code, "tarde").await.status(), 422);
    let names: Vec<Value> = app
        .get_json("/api/users")
        .await
        .as_array()
        .expect("list")
        .iter()
        .map(|u| u["username"].clone())
        .collect();
    assert_eq!(names, [json!(ADMIN_USER), json!("luis")]);
}

#[tokio::test]
async fn two_concurrent_first_admin_requests_create_one_admin() {
    let app = spawn_app().await;
    let code = app.auth.setup_code().expect("code");
    let attempt = |username: &'static str| {
        let (url, code) = (app.url("/api/auth/setup"), code.clone());
        tokio::spawn(async move {
            anonymous_client()
                .post(url)
                .json(&json!({"code": code, "username": username, "password": ADMIN_PASSWORD}))
                .send()
                .await
                .expect("sent")
                .status()
        })
    };
    let (a, b) = (attempt("primera"), attempt("segunda"));
    let mut statuses = [a.await.expect("joined"), b.await.expect("joined")];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::CREATED, StatusCode::UNPROCESSABLE_ENTITY]
    );
    assert_eq!(
        app.get_json("/api/users")
            .await
            .as_array()
            .expect("list")
            .len(),
        1
    );
    assert!(app.auth.setup_code().is_none(), "the code is used up");
    let late = anonymous_client()
        .post(app.url("/api/auth/setup"))
        .json(&json!({"code": code, "username": "tercera", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("sent");
    assert_eq!(late.status(), 422);
}

#[tokio::test]
async fn a_wrong_setup_code_creates_nobody() {
    let app = spawn_app().await;
    let response = anonymous_client()
        .post(app.url("/api/auth/setup"))
        .json(&json!({"code": "AAAA-BBBB-CCCC", "username": "intrusa", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 401);
    let state: Value = anonymous_client()
        .get(app.url("/api/auth/setup"))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(state["needed"], true);
}

#[tokio::test]
async fn sessions_end_when_idle_and_on_logout() {
    let app = spawn_app_with(|config| config.sessions.idle = Duration::from_secs(2)).await;
    let session = app.admin_session().await;
    let me = |session: Session| {
        let url = app.url("/api/auth/me");
        async move {
            anonymous_client()
                .get(url)
                .header("cookie", session.cookie)
                .send()
                .await
                .expect("sent")
                .status()
        }
    };
    assert_eq!(me(session.clone()).await, 200);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(me(session).await, 401, "idle for longer than the timeout");

    let fresh = Session::from_response(login(&app, ADMIN_USER, ADMIN_PASSWORD).await).await;
    assert_eq!(me(fresh.clone()).await, 200);
    let out = with_session(&app, &fresh, Method::POST, "/api/auth/logout", None).await;
    assert_eq!(out.status(), 204);
    assert!(out.headers()["set-cookie"]
        .to_str()
        .expect("text")
        .contains("Max-Age=0"));
    assert_eq!(me(fresh).await, 401);
    let audit: Value = app.get_json("/api/audit").await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    assert_eq!(actions[..3], ["logout", "login", "setup"]);
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    let app = spawn_app().await;
    let here = app.admin_session().await;
    let elsewhere = Session::from_response(login(&app, ADMIN_USER, ADMIN_PASSWORD).await).await;
    let new_password = "una clave nueva y larga";

    let wrong = with_session(
        &app,
        &here,
        Method::POST,
        "/api/auth/password",
        Some(&json!({"current": "not it", "new": new_password})),
    )
    .await;
    assert_eq!(wrong.status(), 422);
    let changed = with_session(
        &app,
        &here,
        Method::POST,
        "/api/auth/password",
        Some(&json!({"current": ADMIN_PASSWORD, "new": new_password})),
    )
    .await;
    assert_eq!(changed.status(), 204);

    let status = |session: &Session| {
        let request = anonymous_client()
            .get(app.url("/api/auth/me"))
            .header("cookie", &session.cookie);
        async move { request.send().await.expect("sent").status() }
    };
    assert_eq!(
        status(&here).await,
        200,
        "the session that changed it stays"
    );
    assert_eq!(status(&elsewhere).await, 401, "every other session ends");
    assert_eq!(login(&app, ADMIN_USER, ADMIN_PASSWORD).await.status(), 401);
    assert_eq!(login(&app, ADMIN_USER, new_password).await.status(), 200);
}

#[tokio::test]
async fn admins_manage_users_but_the_last_admin_stays() {
    let app = spawn_app().await;
    app.admin_session().await;
    let agent = invite_and_register(&app, "agent", "agente").await;
    let users = app.get_json("/api/users").await;
    let id_of = |name: &str| {
        users
            .as_array()
            .expect("list")
            .iter()
            .find(|u| u["username"] == name)
            .expect("user")["id"]
            .as_str()
            .expect("id")
            .to_string()
    };
    let demote = app
        .client
        .patch(app.url(&format!("/api/users/{}", id_of(ADMIN_USER))))
        .json(&json!({"role": "agent"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(demote.status(), 422, "the last admin cannot be demoted");
    let disable = app
        .client
        .patch(app.url(&format!("/api/users/{}", id_of("agente"))))
        .json(&json!({"disabled": true}))
        .send()
        .await
        .expect("sent");
    assert_eq!(disable.status(), 200);
    let me = anonymous_client()
        .get(app.url("/api/auth/me"))
        .header("cookie", &agent.cookie)
        .send()
        .await
        .expect("sent");
    assert_eq!(me.status(), 401, "a disabled user's sessions stop working");
    assert_eq!(login(&app, "agente", AGENT_PASSWORD).await.status(), 401);
}

#[tokio::test]
async fn a_deleted_token_stops_working() {
    let app = spawn_app().await;
    let made: Value = app
        .post_json("/api/tokens", &json!({"name": "copia", "role": "agent"}))
        .await
        .json()
        .await
        .expect("json");
    let script = client_with_token(made["token"].as_str().expect("token"));
    let status = script
        .get(app.url("/api/status"))
        .send()
        .await
        .expect("sent");
    assert_eq!(status.status(), 200);
    let listed = app.get_json("/api/tokens").await;
    assert!(
        !listed
            .to_string()
            .contains(made["token"].as_str().expect("token")),
        "the list never shows a token"
    );
    let id = made["record"]["id"].as_str().expect("id");
    let deleted = app
        .client
        .delete(app.url(&format!("/api/tokens/{id}")))
        .send()
        .await
        .expect("sent");
    assert_eq!(deleted.status(), 204);
    let refused = script
        .get(app.url("/api/status"))
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 401);
}

#[tokio::test]
async fn the_websocket_needs_credentials_and_an_allowed_origin() {
    let app = spawn_app().await;
    let refused = connect_ws(app.addr, None).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 401)
        }
        other => panic!("an anonymous upgrade must be refused, got {other:?}"),
    }
    let session = app.admin_session().await;
    let upgrade = |origin: &str| {
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut request = format!("ws://{}/ws", app.addr)
            .into_client_request()
            .expect("request");
        request
            .headers_mut()
            .insert("cookie", session.cookie.parse().expect("header"));
        request
            .headers_mut()
            .insert("origin", origin.parse().expect("header"));
        tokio_tungstenite::connect_async(request)
    };
    match upgrade("https://evil.example").await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!("a foreign origin must be refused, got {other:?}"),
    }
    let (_socket, response) = upgrade(&format!("http://{}", app.addr))
        .await
        .expect("the dashboard's own origin with a session is accepted");
    assert_eq!(response.status(), 101);
}

#[tokio::test]
async fn an_event_reaches_clients_while_another_client_has_stalled() {
    let app = spawn_app().await;
    // A client that upgrades and then never reads anything.
    let (stalled, _) = connect_ws(app.addr, Some(&app.token))
        .await
        .expect("upgrade");
    let mut events = app.events().await;
    let mut latencies = Vec::new();
    for i in 0..200 {
        let body = text_message(
            &format!("wamid.ws{i}"),
            "584120000001",
            &"x".repeat(2000),
            now_secs() - 3600,
        );
        let sent = tokio::time::Instant::now();
        assert_eq!(app.webhook(&body).await.status(), 200);
        events
            .first("message_received", Duration::from_secs(5))
            .await;
        latencies.push(sent.elapsed());
    }
    latencies.sort();
    eprintln!(
        "webhook → WebSocket event with a stalled client connected: median {:?}, max {:?}",
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1]
    );
    drop(stalled);
}

#[tokio::test]
async fn sessions_survive_a_restart_and_the_command_line_resets_passwords() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cocolu = |args: &[&str], stdin: &str| crate::helpers::run_cocolu(dir.path(), args, stdin);
    let added = cocolu(
        &["user", "add", "dueña", "--password-stdin"],
        "una clave larga\n",
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );

    let server = spawn_binary(dir.path(), &[]);
    let sign_in = |base: String, password: &'static str| async move {
        anonymous_client()
            .post(format!("{base}/api/auth/login"))
            .json(&json!({"username": "dueña", "password": password}))
            .send()
            .await
            .expect("sent")
    };
    let me = |base: String, session: Session| async move {
        anonymous_client()
            .get(format!("{base}/api/auth/me"))
            .header("cookie", session.cookie)
            .send()
            .await
            .expect("sent")
            .status()
    };
    let session =
        Session::from_response(sign_in(server.base_url.clone(), "una clave larga").await).await;
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    drop(server);

    let server = spawn_binary(dir.path(), &[]);
    assert_eq!(me(server.base_url.clone(), session.clone()).await, 200);

    // Recovery from the command line while the server runs: the old sessions end.
    let reset = cocolu(
        &["user", "reset-password", "dueña", "--password-stdin"],
        "otra clave larga\n",
    );
    assert!(
        reset.status.success(),
        "{}",
        String::from_utf8_lossy(&reset.stderr)
    );
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while me(server.base_url.clone(), session.clone()).await != 401 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the reset reached the running server"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        sign_in(server.base_url.clone(), "otra clave larga")
            .await
            .status(),
        200
    );
    let listed = cocolu(&["user", "list"], "");
    assert!(String::from_utf8_lossy(&listed.stdout).contains("dueña\tadmin"));
}

#[tokio::test]
async fn behind_a_trusted_proxy_over_https_the_cookie_is_secure_and_host_only() {
    let sign_in = |app: &TestApp| {
        let request = anonymous_client()
            .post(app.url("/api/auth/login"))
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-for", "203.0.113.7")
            .json(&json!({"username": ADMIN_USER, "password": ADMIN_PASSWORD}));
        async move { request.send().await.expect("sent") }
    };
    let proxied = spawn_app_with(|config| {
        config.trusted_proxies = vec!["127.0.0.1".parse().expect("range")];
    })
    .await;
    proxied.admin_session().await;
    let response = sign_in(&proxied).await;
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("text")
        .to_string();
    assert!(cookie.starts_with("__Host-cocolu_session="), "{cookie}");
    assert!(
        cookie.contains("; Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let session = Session::from_response(response).await;
    let me = anonymous_client()
        .get(proxied.url("/api/auth/me"))
        .header("cookie", &session.cookie)
        .send()
        .await
        .expect("sent");
    assert_eq!(me.status(), 200, "the secure cookie signs in");
    let audit = proxied.get_json("/api/audit").await;
    assert_eq!(
        audit["entries"][0]["ip"], "203.0.113.7",
        "the client behind the proxy"
    );

    // Without trusting the proxy, the same headers are ignored.
    let direct = spawn_app().await;
    direct.admin_session().await;
    let response = sign_in(&direct).await;
    let cookie = response.headers()["set-cookie"].to_str().expect("text");
    assert!(
        cookie.starts_with("cocolu_session=") && !cookie.contains("Secure"),
        "{cookie}"
    );
    let audit = direct.get_json("/api/audit").await;
    assert_eq!(audit["entries"][0]["ip"], "127.0.0.1");
}

/// The OpenAPI document the routes and their types generate (`test.sh` builds the `schema`
/// feature) is the one `docs/openapi.json` publishes and a release build serves: all of it
/// when every channel is built, else every operation this build has, schemas included.
#[cfg(feature = "schema")]
#[tokio::test]
async fn published_api_document_is_what_the_routes_and_types_generate() {
    let app = spawn_app().await;
    let generated = app.get_json("/api/openapi.json").await;
    let mut text = serde_json::to_string_pretty(&generated).expect("JSON");
    text.push('\n');
    if cfg!(feature = "whatsapp-web") {
        cocolu::published::check("openapi.json", &text);
        return;
    }
    let published = cocolu::published::json("openapi.json");
    let paths = generated["paths"].as_object().expect("paths");
    assert!(paths.len() > 30, "{} operations", paths.len());
    for (path, item) in paths {
        assert_eq!(
            &published["paths"][path], item,
            "docs/openapi.json says otherwise of {path}: run `COCOLU_BLESS=1 ./test.sh`"
        );
    }
    for (path, _) in published["paths"].as_object().expect("paths") {
        assert!(
            paths.contains_key(path) || path.starts_with("/api/whatsapp-web"),
            "{path} is published but not routed"
        );
    }
    for (name, schema) in generated["components"]["schemas"]
        .as_object()
        .expect("schemas")
    {
        assert_eq!(
            &published["components"]["schemas"][name], schema,
            "docs/openapi.json says otherwise of {name}: run `COCOLU_BLESS=1 ./test.sh`"
        );
    }
}
