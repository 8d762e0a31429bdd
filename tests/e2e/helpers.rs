//! The test harness: `spawn_app` starts the server in-process on port 0 with a fresh data
//! folder; `spawn_binary` runs the compiled `cocolu` like a user would. Logs stay quiet
//! unless `TEST_LOG` is set.

use crate::fake_graph::{self, FakeGraph};
use cocolu::auth::Auth;
use cocolu::config::Config;
use cocolu::data::Data;
use cocolu::server::Application;
use cocolu::store::Store;
use cocolu_core::api::accounts::Role;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::Once;
use std::time::Duration;
use tempfile::TempDir;
use tokio::sync::oneshot;

/// The app secret test servers check webhook signatures with.
pub const APP_SECRET: &str = "test-app-secret";
/// The verify token test servers expect in the webhook handshake.
pub const VERIFY_TOKEN: &str = "test-verify-token";

/// A server running inside the test process.
pub struct TestApp {
    pub addr: SocketAddr,
    /// The server's own state, for reaching inside it as a channel does (the WhatsApp Web
    /// tests; the default build has no such channel).
    #[cfg_attr(not(feature = "whatsapp-web"), allow(dead_code))]
    pub state: cocolu::http::state::AppState,
    pub store: Arc<Store>,
    /// The documents in force.
    pub data: Arc<Data>,
    /// Sends an admin API token with every request.
    pub client: reqwest::Client,
    /// That token.
    pub token: String,
    pub auth: Arc<Auth>,
    pub data_dir: TempDir,
    session: tokio::sync::OnceCell<Session>,
    stop: std::sync::Mutex<Option<oneshot::Sender<()>>>,
}

/// The username of the administrator tests sign in as.
pub const ADMIN_USER: &str = "admin";
/// Their password.
pub const ADMIN_PASSWORD: &str = "contraseña de prueba";

/// A signed-in browser session: the `Cookie` header value and its CSRF token.
#[derive(Clone, Debug)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

impl Session {
    /// From a sign-in answer: its `Set-Cookie` and the `csrf_token` in its body.
    pub async fn from_response(response: reqwest::Response) -> Session {
        let set_cookie = response
            .headers()
            .get("set-cookie")
            .expect("a session cookie")
            .to_str()
            .expect("text")
            .to_string();
        let cookie = set_cookie
            .split(';')
            .next()
            .expect("name=value")
            .to_string();
        let body: serde_json::Value = response.json().await.expect("json");
        Session {
            cookie,
            csrf: body["csrf_token"].as_str().expect("csrf token").to_string(),
        }
    }
}

impl TestApp {
    /// `http://127.0.0.1:PORT` followed by `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The data folder (`settings.json` and friends).
    pub fn data_path(&self) -> PathBuf {
        self.data_dir.path().join("data")
    }

    /// The templates folder.
    pub fn templates_path(&self) -> PathBuf {
        self.data_dir.path().join("data/templates")
    }

    /// Opens the dashboard's WebSocket (with the admin token) and skips its hello.
    pub async fn events(&self) -> Events {
        let (socket, _) = connect_ws(self.addr, Some(&self.token))
            .await
            .expect("upgrade accepted");
        let mut events = Events { socket };
        let hello = events.next(Duration::from_secs(10)).await.expect("hello");
        assert_eq!(hello["type"], "hello");
        events
    }

    /// Invites a `role` (with the admin token) and registers `username` with the code, as a
    /// new colleague does; their session.
    pub async fn register(&self, role: &str, username: &str, password: &str) -> Session {
        let invitation: serde_json::Value = self
            .post_json("/api/invitations", &serde_json::json!({ "role": role }))
            .await
            .json()
            .await
            .expect("json");
        let registered = anonymous_client()
            .post(self.url("/api/auth/register"))
            .json(&serde_json::json!({
                "invitation": invitation["code"], "username": username, "password": password
            }))
            .send()
            .await
            .expect("sent");
        assert_eq!(registered.status(), 201);
        Session::from_response(registered).await
    }

    /// `GET path` as JSON.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        get_json(&self.client, &self.url(path)).await
    }

    /// The administrator's session, creating the administrator with the setup code on first
    /// use (as a person does on a fresh install).
    pub async fn admin_session(&self) -> Session {
        self.session
            .get_or_init(|| async {
                let client = anonymous_client();
                let response = if let Some(code) = self.auth.setup_code() {
                    client
                        .post(self.url("/api/auth/setup"))
                        .json(&serde_json::json!({
                            "code": code, "username": ADMIN_USER, "password": ADMIN_PASSWORD
                        }))
                        .send()
                        .await
                } else {
                    client
                        .post(self.url("/api/auth/login"))
                        .json(&serde_json::json!({
                            "username": ADMIN_USER, "password": ADMIN_PASSWORD
                        }))
                        .send()
                        .await
                }
                .expect("request sent");
                assert!(response.status().is_success(), "{}", response.status());
                Session::from_response(response).await
            })
            .await
            .clone()
    }

    /// `GET path` as the signed-in administrator in a browser would (a dashboard page).
    pub async fn page(&self, path: &str) -> reqwest::Response {
        let session = self.admin_session().await;
        self.page_with_cookie(path, &session.cookie).await
    }

    /// `GET path` with a `Cookie` header, as a browser would.
    pub async fn page_with_cookie(&self, path: &str, cookie: &str) -> reqwest::Response {
        anonymous_client()
            .get(self.url(path))
            .header("cookie", cookie)
            .send()
            .await
            .expect("request sent")
    }

    /// Shuts the server down as SIGTERM would (WebSockets are closed with "going away").
    pub fn stop_server(&self) {
        if let Some(stop) = self.stop.lock().expect("lock").take() {
            let _ = stop.send(());
        }
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// `PUT path` with a JSON body.
    pub async fn put_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .put(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// Posts `body` to `/webhook` signed as Meta signs it.
    pub async fn webhook(&self, body: &[u8]) -> reqwest::Response {
        post_webhook(&self.client, &self.url("/webhook"), body).await
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }
}

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            cocolu::telemetry::init();
        }
    });
}

/// Starts the Graph API stand-in and a server that talks to it.
pub async fn spawn_app_with_graph() -> (TestApp, FakeGraph) {
    let graph = FakeGraph::start().await;
    let url = graph.url.clone();
    let app = spawn_app_with(move |config| config.meta.graph_url = url).await;
    (app, graph)
}

/// Starts the server on a free port with an empty temporary data folder.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like [`spawn_app`], with a chance to adjust the configuration first.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    init_logs();
    let data_dir = tempfile::tempdir().expect("temp dir");
    let mut config = Config::for_data_dir(data_dir.path().join("data"));
    config.meta.app_secret = Some(APP_SECRET.into());
    config.meta.verify_token = Some(VERIFY_TOKEN.into());
    config.meta.access_token = Some(fake_graph::ACCESS_TOKEN.into());
    config.meta.phone_number_id = Some(fake_graph::PHONE_NUMBER_ID.into());
    config.meta.waba_id = Some(fake_graph::WABA_ID.into());
    // Until a test starts the stand-in, nothing listens here: sends fail as a network error.
    config.meta.graph_url = "http://127.0.0.1:9".into();
    adjust(&mut config);
    let app = Application::build(config).await.expect("server starts");
    let addr = app.local_addr();
    let state = app.state();
    let store = app.store();
    let data = app.data();
    let app_auth = app.auth();
    let token = admin_token(&data);
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    TestApp {
        addr,
        state,
        store,
        data,
        client: client_with_token(&token),
        token,
        auth: app_auth,
        data_dir,
        session: tokio::sync::OnceCell::new(),
        stop: std::sync::Mutex::new(Some(stop)),
    }
}

/// Makes an admin API token directly, as `cocolu token` does (it belongs to nobody).
fn admin_token(data: &Data) -> String {
    let (token, record) = cocolu::auth::new_token_record("tests", Role::Admin, "");
    cocolu::auth::edit_users(&data.users, &data.context(), |users| {
        users.tokens.push(record.clone());
        Ok(())
    })
    .expect("token made");
    token
}

/// An HTTP client that sends `token` with every request and does not follow redirects.
pub fn client_with_token(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("header"),
    );
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .expect("client")
}

/// An HTTP client without credentials that does not follow redirects.
pub fn anonymous_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The compiled `cocolu` binary, running as a child process.
pub struct RunningBinary {
    pub child: Child,
    pub base_url: String,
    /// Sends an admin token made with `cocolu token` before the start.
    pub client: reqwest::Client,
    /// That token.
    pub token: String,
}

impl Drop for RunningBinary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Path of the compiled binary.
pub fn binary_path() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cocolu"))
}

/// Runs `cocolu` in `dir` with `args` and waits for its `listening on` line.
pub fn spawn_binary(dir: &Path, args: &[&str]) -> RunningBinary {
    spawn_binary_with_env(dir, args, &[])
}

/// Like [`spawn_binary`], with more environment variables.
pub fn spawn_binary_with_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> RunningBinary {
    spawn_binary_with_stderr(dir, args, env, Stdio::null())
}

/// Like [`spawn_binary_with_env`], with the server's log (its stderr) going to `stderr`.
pub fn spawn_binary_with_stderr(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    stderr: Stdio,
) -> RunningBinary {
    let token = make_token(dir, args);
    let mut child = Command::new(binary_path())
        .args(args)
        .envs(env.iter().copied())
        .current_dir(dir)
        .env("COCOLU_ADDR", "127.0.0.1:0")
        .env("META_APP_SECRET", APP_SECRET)
        .env("META_VERIFY_TOKEN", VERIFY_TOKEN)
        .env_remove("COCOLU_DATA_DIR")
        .env_remove("COCOLU_TEMPLATES_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("cocolu starts");
    let stdout = child.stdout.take().expect("stdout piped");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("first line");
    let base_url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
        .to_string();
    RunningBinary {
        child,
        base_url,
        client: client_with_token(&token),
        token,
    }
}

/// Runs a `cocolu` command (`user add`, `token`, ...) in `dir`, writing `stdin` to it.
pub fn run_cocolu(dir: &Path, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = Command::new(binary_path())
        .args(args)
        .current_dir(dir)
        .env_remove("COCOLU_DATA_DIR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("written");
    child.wait_with_output().expect("finished")
}

/// Runs `cocolu token e2e --role admin` on the data folder the server args name.
fn make_token(dir: &Path, args: &[&str]) -> String {
    let mut command = Command::new(binary_path());
    command.args(["token", "e2e", "--role", "admin"]);
    if let Some(i) = args.iter().position(|a| *a == "--data-dir") {
        command.args(["--data-dir", args[i + 1]]);
    }
    let output = command
        .current_dir(dir)
        .env_remove("COCOLU_DATA_DIR")
        .env_remove("COCOLU_TEMPLATES_DIR")
        .output()
        .expect("cocolu token runs");
    assert!(
        output.status.success(),
        "cocolu token: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Waits for a child to exit, failing the test if it hangs.
pub fn wait_for_exit(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("child status") {
            return status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "process did not exit within {limit:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The value of `attr` on the first tag in `html` that starts with `tag_start`, e.g.
/// `attr_of(html, "<link rel=\"stylesheet\"", "href")`.
pub fn attr_of(html: &str, tag_start: &str, attr: &str) -> String {
    let tag = html
        .split('<')
        .map(|t| format!("<{t}"))
        .find(|t| t.starts_with(tag_start))
        .unwrap_or_else(|| panic!("no tag {tag_start} in page"));
    let key = format!("{attr}=\"");
    let start = tag
        .find(&key)
        .unwrap_or_else(|| panic!("no {attr} in {tag}"))
        + key.len();
    let end = tag[start..].find('"').expect("closing quote") + start;
    tag[start..end].to_string()
}

/// Where tests leave screenshots and other artifacts for people to look at.
pub fn artifacts_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test-artifacts");
    std::fs::create_dir_all(&dir).expect("artifacts dir");
    dir
}

/// Opens `/ws`, with `Authorization: Bearer token` when given.
pub async fn connect_ws(
    addr: SocketAddr,
    token: Option<&str>,
) -> Result<
    (
        Socket,
        tokio_tungstenite::tungstenite::handshake::client::Response,
    ),
    tokio_tungstenite::tungstenite::Error,
> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut request = format!("ws://{addr}/ws")
        .into_client_request()
        .expect("request");
    if let Some(token) = token {
        request.headers_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("header"),
        );
    }
    tokio_tungstenite::connect_async(request).await
}

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The events a WebSocket client receives, heartbeats and stats ticks left out.
pub struct Events {
    socket: Socket,
}

impl Events {
    /// The next event within `limit`, or `None`.
    pub async fn next(&mut self, limit: Duration) -> Option<serde_json::Value> {
        use futures_util::StreamExt;
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let message = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .ok()??
                .ok()?;
            if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
                let event: serde_json::Value = serde_json::from_str(&text).expect("JSON event");
                // Heartbeats and the periodic counts come whenever they come.
                if event["type"] != "heartbeat" && event["type"] != "stats_tick" {
                    return Some(event);
                }
            }
        }
    }

    /// The first event of `kind` within `limit` (others are passed over); panics without one.
    pub async fn first(&mut self, kind: &str, limit: Duration) -> serde_json::Value {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let event = self
                .next(left)
                .await
                .unwrap_or_else(|| panic!("no {kind} event within {limit:?}"));
            if event["type"] == kind {
                return event;
            }
        }
    }

    /// Waits up to 10 s for the first event, then collects whatever follows within `quiet`.
    pub async fn burst(&mut self, quiet: Duration) -> Vec<serde_json::Value> {
        let mut events: Vec<serde_json::Value> = self
            .next(Duration::from_secs(10))
            .await
            .into_iter()
            .collect();
        while let Some(event) = self.next(quiet).await {
            events.push(event);
        }
        events
    }
}

/// `GET url` as JSON.
pub async fn get_json(client: &reqwest::Client, url: &str) -> serde_json::Value {
    client
        .get(url)
        .send()
        .await
        .expect("request sent")
        .json()
        .await
        .expect("a JSON answer")
}

/// Posts `body` to a webhook URL, signed with [`APP_SECRET`].
pub async fn post_webhook(client: &reqwest::Client, url: &str, body: &[u8]) -> reqwest::Response {
    client
        .post(url)
        .header("content-type", "application/json")
        .header(
            "x-hub-signature-256",
            cocolu::channel::meta::signature::sign(APP_SECRET.as_bytes(), body),
        )
        .body(body.to_vec())
        .send()
        .await
        .expect("request sent")
}

/// A webhook body with one text message from a customer.
pub fn text_message(id: &str, from: &str, text: &str, timestamp_secs: i64) -> Vec<u8> {
    serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "584120000000", "phone_number_id": "106540352242922"},
            "contacts": [{"profile": {"name": "Cliente"}, "wa_id": from, "user_id": format!("VE.{from}")}],
            "messages": [{"from": from, "id": id, "timestamp": timestamp_secs.to_string(), "type": "text", "text": {"body": text}}]
        }}]}]
    })
    .to_string()
    .into_bytes()
}

/// Seconds since the epoch, now.
pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Every record in a data folder's log, read straight from the segment files.
pub fn log_records(data: &Path) -> Vec<serde_json::Value> {
    let mut segments: Vec<PathBuf> = std::fs::read_dir(data.join("log"))
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    segments.retain(|p| p.extension().is_some_and(|e| e == "jsonl"));
    segments.sort();
    segments
        .iter()
        .flat_map(|p| {
            std::fs::read_to_string(p)
                .expect("segment readable")
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(&line).expect("every stored line is JSON"))
        .collect()
}

/// A page's HTML without the empty comments (`<!>`) Leptos places between views for
/// hydration, so assertions can read the markup as a person would write it.
pub fn without_markers(html: &str) -> String {
    html.replace("<!>", "")
}

/// `root` and every folder under it, each with its permission bits, without following
/// symbolic links: what `ls -lR` would show an operator checking who can read the data.
pub fn folder_modes(root: &Path) -> Vec<(PathBuf, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let meta = std::fs::symlink_metadata(&dir).expect("folder readable");
        found.push((dir.clone(), meta.permissions().mode() & 0o7777));
        for entry in std::fs::read_dir(&dir).expect("folder listed") {
            let entry = entry.expect("entry");
            if entry.file_type().expect("type").is_dir() {
                pending.push(entry.path());
            }
        }
    }
    found.sort();
    found
}

/// xorshift: enough randomness for kill timings. Seeded from the clock, and the seed printed
/// (for `what`) so a failing run can be repeated by hand.
pub struct Randomness(u64);

impl Randomness {
    pub fn from_clock(what: &str) -> Randomness {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_nanos() as u64
            | 1;
        eprintln!("{what} seed: {seed}");
        Randomness(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}
