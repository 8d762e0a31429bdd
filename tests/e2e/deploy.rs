//! Going live: `cocolu install` into a temporary root and an upgrade over it, the nginx
//! example checked by `nginx -t` and run for real in front of Cocolu (pages, API and a
//! WebSocket through the proxy), and a data folder from the previous release starting up.

use crate::helpers::{
    binary_path, log_records, now_secs, post_webhook, spawn_app_with, spawn_binary, text_message,
};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn cocolu(args: &[&str]) -> std::process::Output {
    Command::new(binary_path())
        .args(args)
        .output()
        .expect("cocolu runs")
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn install_then_upgrade_keeps_data_and_configuration() {
    let root = tempfile::tempdir().expect("tempdir");
    let root_arg = root.path().display().to_string();
    let first = cocolu(&["install", "--root", &root_arg]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let at = |path: &str| root.path().join(path);
    assert_eq!(mode(&at("etc/cocolu/cocolu.env")), 0o600);
    assert_eq!(mode(&at("usr/local/bin/cocolu")), 0o755);
    assert_eq!(mode(&at("var/lib/cocolu")), 0o700);
    assert!(at("var/lib/cocolu/data").is_dir());
    let unit = std::fs::read_to_string(at("etc/systemd/system/cocolu.service")).expect("unit");
    assert!(unit.contains("ExecStart=/usr/local/bin/cocolu serve"));
    assert_eq!(
        std::fs::read(at("usr/local/bin/cocolu")).expect("installed"),
        std::fs::read(binary_path()).expect("built"),
    );

    // The operator configures it, and the service writes its data.
    std::fs::write(at("etc/cocolu/cocolu.env"), "META_APP_SECRET=mine\n").expect("configure");
    std::fs::write(
        at("var/lib/cocolu/data/settings.json"),
        "{\"mine\": true}\n",
    )
    .expect("data");
    // An older binary and unit are in place when the upgrade runs.
    std::fs::write(at("usr/local/bin/cocolu"), b"old binary").expect("old binary");
    std::fs::write(at("etc/systemd/system/cocolu.service"), "[Unit]\n").expect("old unit");

    let upgrade = cocolu(&["install", "--root", &root_arg]);
    assert!(upgrade.status.success());
    let said = String::from_utf8_lossy(&upgrade.stdout);
    assert!(said.contains("cocolu.env kept"), "{said}");
    assert!(said.contains("upgraded"), "{said}");
    assert_eq!(
        std::fs::read_to_string(at("etc/cocolu/cocolu.env")).expect("env"),
        "META_APP_SECRET=mine\n"
    );
    assert_eq!(
        std::fs::read_to_string(at("var/lib/cocolu/data/settings.json")).expect("data"),
        "{\"mine\": true}\n"
    );
    assert_eq!(
        std::fs::read(at("usr/local/bin/cocolu")).expect("installed"),
        std::fs::read(binary_path()).expect("built"),
    );
    assert_eq!(
        std::fs::read_to_string(at("etc/systemd/system/cocolu.service")).expect("unit"),
        unit
    );

    // Running it a third time changes nothing.
    let again = cocolu(&["install", "--root", &root_arg]);
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("unchanged"));
}

#[test]
fn install_refuses_a_data_folder_that_is_a_symbolic_link_and_leaves_its_target_alone() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().expect("tempdir");
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let target = elsewhere.path().join("shared");
    std::fs::create_dir(&target).expect("target");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let state = root.path().join("var/lib/cocolu");
    std::fs::create_dir_all(&state).expect("state");
    std::os::unix::fs::symlink(&target, state.join("data")).expect("link");

    let output = cocolu(&["install", "--root", &root.path().display().to_string()]);

    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains(&format!(
            "{} is a symbolic link; Cocolu will not change permissions through it",
            state.join("data").display()
        )),
        "{said}"
    );
    assert!(said.contains("COCOLU_DATA_DIR"), "{said}");
    assert_eq!(mode(&target), 0o755);
    assert!(
        !root.path().join("usr/local/bin/cocolu").exists(),
        "nothing else was installed"
    );
}

#[test]
fn install_does_not_follow_a_symbolic_link_inside_the_data_folder() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().expect("tempdir");
    let root_arg = root.path().display().to_string();
    assert!(cocolu(&["install", "--root", &root_arg]).status.success());
    let data = root.path().join("var/lib/cocolu/data");
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let open = std::fs::Permissions::from_mode(0o755);
    std::fs::create_dir(elsewhere.path().join("inner")).expect("inner");
    std::fs::set_permissions(elsewhere.path(), open.clone()).expect("chmod");
    std::fs::set_permissions(elsewhere.path().join("inner"), open.clone()).expect("chmod");
    std::os::unix::fs::symlink(elsewhere.path(), data.join("linked")).expect("link");
    // A folder an older release made 0755 is tightened on the way.
    std::fs::create_dir(data.join("log")).expect("log");
    std::fs::set_permissions(data.join("log"), open).expect("chmod");

    let output = cocolu(&["install", "--root", &root_arg]);

    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let said = String::from_utf8_lossy(&output.stdout);
    assert!(
        said.contains(&format!(
            "{} is a symbolic link; left alone",
            data.join("linked").display()
        )),
        "{said}"
    );
    assert_eq!(mode(elsewhere.path()), 0o755);
    assert_eq!(mode(&elsewhere.path().join("inner")), 0o755);
    assert!(std::fs::symlink_metadata(data.join("linked"))
        .expect("still there")
        .file_type()
        .is_symlink());
    assert_eq!(mode(&data.join("log")), 0o700);
}

/// A free loopback port.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// The example site, made to run unprivileged on loopback: free ports, a self-signed
/// certificate, Cocolu's real address. Everything else is as shipped.
struct Proxy {
    dir: tempfile::TempDir,
    https_port: u16,
    http_port: u16,
}

impl Proxy {
    fn prepare(upstream: &str) -> Proxy {
        let dir = tempfile::tempdir().expect("tempdir");
        let cert = dir.path().join("cert.pem");
        let key = dir.path().join("key.pem");
        let made = Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args(["-subj", "/CN=bot.example.com"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .expect("openssl runs");
        assert!(made.status.success(), "openssl: {made:?}");
        let (https_port, http_port) = (free_port(), free_port());
        let site = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("systemd/nginx-cocolu.conf"),
        )
        .expect("the example site")
        .replace(
            "/etc/letsencrypt/live/bot.example.com/fullchain.pem",
            &cert.display().to_string(),
        )
        .replace(
            "/etc/letsencrypt/live/bot.example.com/privkey.pem",
            &key.display().to_string(),
        )
        .replace(
            "listen 443 ssl http2;",
            &format!("listen 127.0.0.1:{https_port} ssl http2;"),
        )
        .replace("listen [::]:443 ssl http2;", "")
        .replace("listen 80;", &format!("listen 127.0.0.1:{http_port};"))
        .replace("listen [::]:80;", "")
        .replace("/var/www/html", &dir.path().display().to_string())
        .replace("127.0.0.1:3000", upstream);
        std::fs::write(dir.path().join("cocolu.conf"), site).expect("site");
        let temp = dir.path().display();
        std::fs::write(
            dir.path().join("nginx.conf"),
            format!(
                "worker_processes 1;\npid {temp}/nginx.pid;\nerror_log {temp}/error.log;\n\
                 events {{ worker_connections 256; }}\n\
                 http {{\n  access_log off;\n  client_body_temp_path {temp}/body;\n  \
                 proxy_temp_path {temp}/proxy;\n  fastcgi_temp_path {temp}/fastcgi;\n  \
                 uwsgi_temp_path {temp}/uwsgi;\n  scgi_temp_path {temp}/scgi;\n  \
                 include {temp}/cocolu.conf;\n}}\n"
            ),
        )
        .expect("nginx.conf");
        Proxy {
            dir,
            https_port,
            http_port,
        }
    }

    fn command(&self) -> Command {
        let mut command = Command::new("nginx");
        command
            .arg("-p")
            .arg(self.dir.path())
            .arg("-c")
            .arg(self.dir.path().join("nginx.conf"));
        command
    }

    fn test_config(&self) -> std::process::Output {
        self.command().arg("-t").output().expect("nginx runs")
    }

    /// Starts nginx (a master and its worker) and waits until it listens. The guard is made
    /// before the wait, so that an nginx that never listens is stopped too.
    fn start(&self) -> Nginx {
        let child = self
            .command()
            .args(["-g", "daemon off;"])
            // Its own process group: the workers can be signalled with the master, whatever
            // state the master is in.
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts");
        let nginx = Nginx(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.https_port)).is_err() {
            assert!(Instant::now() < deadline, "nginx listens");
            std::thread::sleep(Duration::from_millis(20));
        }
        nginx
    }
}

/// A running nginx. Dropping it, also when a test panics, stops the master and its workers
/// and waits until none is left. Killing only the master is not enough: a worker whose master
/// dies of SIGKILL keeps running, reparented, and holds the test's ports.
struct Nginx(Child);

impl Nginx {
    /// Sends `signal` to every process in nginx's group; false once the group is empty.
    fn signal_group(&self, signal: &str) -> bool {
        Command::new("kill")
            .args([signal, "--", &format!("-{}", self.0.id())])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // SIGTERM is nginx's fast shutdown: the master stops its workers, waits for them,
        // then exits.
        self.signal_group("-TERM");
        let deadline = Instant::now() + Duration::from_secs(5);
        while matches!(self.0.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        // Whatever did not stop in time, master or worker, is killed; the group is empty
        // once `kill -0` finds nobody. Bounded, so a stuck process cannot hang the suite.
        for _ in 0..50 {
            // Reaped, an exited master no longer counts as a member of its group.
            let _ = self.0.try_wait();
            if !self.signal_group("-0") {
                break;
            }
            self.signal_group("-KILL");
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn nginx_installed() -> bool {
    let found = Command::new("nginx").arg("-v").output().is_ok();
    assert!(
        found || std::env::var_os("COCOLU_SKIP_NGINX").is_some(),
        "nginx is missing: run the README's test command (it installs nginx), or set \
         COCOLU_SKIP_NGINX=1"
    );
    found
}

#[test]
fn the_nginx_example_passes_nginx_t() {
    if !nginx_installed() {
        return;
    }
    let proxy = Proxy::prepare("127.0.0.1:3000");
    let output = proxy.test_config();
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{said}");
    assert!(
        said.contains("syntax is ok") && said.contains("test is successful"),
        "{said}"
    );
}

#[tokio::test]
async fn the_dashboard_the_api_and_a_websocket_work_through_nginx() {
    if !nginx_installed() {
        return;
    }
    let app = spawn_app_with(|config| {
        config.trusted_proxies = vec!["127.0.0.1".parse().expect("range")];
    })
    .await;
    let proxy = Proxy::prepare(&app.addr.to_string());
    let _nginx = proxy.start();
    let base = format!("https://127.0.0.1:{}", proxy.https_port);
    let client = reqwest::Client::builder()
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");

    // Plain HTTP goes to HTTPS.
    let plain = client
        .get(format!("http://127.0.0.1:{}/inbox", proxy.http_port))
        .send()
        .await
        .expect("sent");
    assert_eq!(plain.status(), 301);

    // The dashboard: a visitor is sent to set up the first administrator.
    let page = client.get(format!("{base}/")).send().await.expect("sent");
    assert_eq!(page.status(), 303);
    assert_eq!(page.headers()["location"], "/setup");
    let setup = client
        .get(format!("{base}/setup"))
        .send()
        .await
        .expect("sent");
    assert_eq!(setup.status(), 200);
    assert!(setup
        .text()
        .await
        .expect("html")
        .contains("Crear el administrador"));

    // The API, over HTTPS through the trusted proxy: the session cookie is `__Host-` and
    // Secure, and the audit log has the client's address, not the proxy's.
    let code = app.auth.setup_code().expect("code");
    let created = client
        .post(format!("{base}/api/auth/setup"))
        .json(
            &serde_json::json!({"code": code, "username": "admin", "password": "una clave larga"}),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(created.status(), 201);
    let cookie = created.headers()["set-cookie"]
        .to_str()
        .expect("text")
        .to_string();
    assert!(
        cookie.starts_with("__Host-cocolu_session=") && cookie.contains("Secure"),
        "{cookie}"
    );
    let get = |path: &str, token: Option<&str>| {
        let mut request = client.get(format!("{base}{path}"));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.expect("sent") }
    };
    assert_eq!(get("/api/status", Some(&app.token)).await.status(), 200);
    let audit: serde_json::Value = get("/api/audit", Some(&app.token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(audit["entries"][0]["action"], "setup");
    assert_eq!(audit["entries"][0]["ip"], "127.0.0.1");

    // A signed webhook arrives intact (the signature covers the exact bytes).
    let body = text_message("wamid.nginx", "584121000001", "hola", now_secs() - 3600);
    let webhook = post_webhook(&client, &format!("{base}/webhook"), &body).await;
    assert_eq!(webhook.status(), 200);

    // A 4 MB photo attached in the dashboard passes (other bodies stop at 2 MB).
    let mut photo = b"\x89PNG\r\n\x1A\n\0\0\0\rIHDR".to_vec();
    photo.resize(4 * 1024 * 1024, 7);
    let upload = |path: &str| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(&app.token)
            .header("content-type", "image/png")
            .body(photo.clone())
            .send()
    };
    let stored = upload("/api/uploads?name=foto.png").await.expect("sent");
    assert_eq!(stored.status(), 201);
    let stored: serde_json::Value = stored.json().await.expect("json");
    assert_eq!(stored["size"], 4 * 1024 * 1024);
    assert_eq!(upload("/api/settings").await.expect("sent").status(), 413);

    // `/metrics` is refused from outside by the proxy itself... (the proxy sees 127.0.0.1
    // here, so it lets it through to Cocolu, which still wants a token).
    assert_eq!(get("/metrics", None).await.status(), 401);

    // The WebSocket upgrade passes through nginx.
    let upgrade = client
        .get(format!("{base}/ws"))
        .bearer_auth(&app.token)
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .version(reqwest::Version::HTTP_11)
        .send()
        .await
        .expect("sent");
    assert_eq!(upgrade.status(), 101);
    let stream = upgrade.upgrade().await.expect("upgraded");
    let mut socket = tokio_tungstenite::WebSocketStream::from_raw_socket(
        stream,
        tokio_tungstenite::tungstenite::protocol::Role::Client,
        None,
    )
    .await;
    use futures_util::StreamExt;
    let hello = tokio::time::timeout(Duration::from_secs(10), socket.next())
        .await
        .expect("in time")
        .expect("open")
        .expect("frame");
    let hello: serde_json::Value =
        serde_json::from_str(hello.to_text().expect("text")).expect("json");
    assert_eq!(hello["type"], "hello");
}

#[tokio::test]
async fn a_data_folder_from_the_previous_release_starts_and_keeps_its_conversations() {
    // The previous release's folder: no accounts, no sessions, an index checkpoint in the
    // old layout, and a log with a conversation.
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    {
        let server = spawn_binary(dir.path(), &[]);
        let body = text_message("wamid.old", "584121000001", "hola", now_secs() - 3600);
        let response = post_webhook(
            &reqwest::Client::new(),
            &format!("{}/webhook", server.base_url),
            &body,
        )
        .await;
        assert_eq!(response.status(), 200);
        let status = Command::new("kill")
            .args(["-TERM", &server.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }
    std::fs::remove_file(data.join("users.json")).expect("no accounts then");
    let _ = std::fs::remove_file(data.join("sessions.json"));
    let _ = std::fs::remove_file(data.join(".last-good/users.json"));
    let mut old_index = b"CCLIDX3\n".to_vec();
    old_index.extend_from_slice(&[0u8; 64]);
    std::fs::write(data.join("log/index.bin"), old_index).expect("old checkpoint");

    let server = spawn_binary(dir.path(), &[]);
    let list: serde_json::Value = server
        .client
        .get(format!("{}/api/conversations", server.base_url))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(list["conversations"][0]["conversation"], "VE.584121000001");
    assert_eq!(list["conversations"][0]["contact"]["name"], "Cliente");
    let setup: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/api/auth/setup", server.base_url))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert_eq!(
        setup["needed"], true,
        "nobody has an account yet (a token is not a person)"
    );
    assert!(data.join("users.json").is_file());
    assert_eq!(
        log_records(&data)
            .iter()
            .filter(|r| r["kind"] == "message_in")
            .count(),
        1
    );
}
