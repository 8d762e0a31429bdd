//! Throws generated requests at every operation the OpenAPI document lists and at `/webhook`,
//! against the compiled binary, and checks that it answers every one without an internal
//! error, never panics (the test build checks arithmetic overflow, so an overflow shows as a
//! panic in its log) and is still serving afterwards.
//!
//! The generator follows each operation's parameters and body schema, then breaks them: values
//! at the ends of their ranges, wrong types, huge strings and arrays, deep nesting, unknown
//! fields. It is seeded: `COCOLU_FUZZ_SEED` and `COCOLU_FUZZ_CASES` replay or extend a run.

use crate::helpers::{binary_path, APP_SECRET, VERIFY_TOKEN};
use serde_json::{json, Map, Value};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

/// A small deterministic generator (xorshift64*): the same seed gives the same requests.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn number(&mut self) -> Value {
        let edges = [
            json!(i64::MIN),
            json!(i64::MAX),
            json!(u64::MAX),
            json!(-1),
            json!(0),
            json!(1),
            json!(2_147_483_648_i64),
            json!(-9_007_199_254_740_993_i64),
            json!(1e308),
            json!(-1e308),
            json!(0.5),
        ];
        if self.chance(70) {
            self.pick(&edges).clone()
        } else {
            json!(self.next() as i64)
        }
    }

    fn string(&mut self) -> String {
        let samples = [
            "",
            "a",
            "hola",
            "ñandú ✓ 🌮",
            "../../etc/passwd",
            "%2e%2e%2f",
            "\u{0}\n\r\u{1b}[31m",
            "-9223372036854775808",
            "9223372036854775807",
            "null",
            "{\"a\":1}",
            "<script>alert(1)</script>",
            "admin",
            "contiene",
            "Europe/Madrid",
        ];
        match self.below(10) {
            0 => "x".repeat(1 << (8 + self.below(9))),
            1 => "é".repeat(1 << (4 + self.below(8))),
            2 => (0..self.below(40))
                .map(|_| char::from_u32(self.next() as u32 % 0x3000).unwrap_or('?'))
                .collect(),
            _ => self.pick(&samples).to_string(),
        }
    }

    /// Any JSON value, nested up to `depth`.
    fn any(&mut self, depth: usize) -> Value {
        match self.below(if depth == 0 { 4 } else { 7 }) {
            0 => Value::Null,
            1 => json!(self.chance(50)),
            2 => self.number(),
            3 => json!(self.string()),
            4 => {
                let n = if self.chance(5) { 500 } else { self.below(5) };
                Value::Array((0..n).map(|_| self.any(depth - 1)).collect())
            }
            5 => {
                let mut map = Map::new();
                for _ in 0..self.below(5) {
                    map.insert(self.string(), self.any(depth - 1));
                }
                Value::Object(map)
            }
            _ => self.deep(),
        }
    }

    /// Nesting deeper than any parser should follow.
    fn deep(&mut self) -> Value {
        let depth = 50 + self.below(300);
        serde_json::from_str(&format!("{}1{}", "[".repeat(depth), "]".repeat(depth)))
            .unwrap_or(Value::Null)
    }
}

/// Follows `$ref`s into the document's components.
fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    let mut schema = schema;
    for _ in 0..16 {
        let Some(reference) = schema.get("$ref").and_then(Value::as_str) else {
            break;
        };
        let pointer = reference.trim_start_matches('#');
        match document.pointer(pointer) {
            Some(target) => schema = target,
            None => break,
        }
    }
    schema
}

/// A value that mostly fits `schema`, sometimes not at all.
fn value_for(g: &mut Gen, document: &Value, schema: &Value, depth: usize) -> Value {
    if depth == 0 || g.chance(12) {
        return g.any(2);
    }
    let schema = resolve(document, schema);
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(options) = schema.get(combinator).and_then(Value::as_array) {
            if !options.is_empty() {
                let option = g.pick(options).clone();
                return value_for(g, document, &option, depth - 1);
            }
        }
    }
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        if !values.is_empty() && g.chance(80) {
            return g.pick(values).clone();
        }
    }
    if let Some(constant) = schema.get("const") {
        return constant.clone();
    }
    let kind = match schema.get("type") {
        Some(Value::String(kind)) => kind.clone(),
        Some(Value::Array(kinds)) if !kinds.is_empty() => {
            g.pick(kinds).as_str().unwrap_or("null").to_string()
        }
        _ if schema.get("properties").is_some() => "object".into(),
        _ => return g.any(2),
    };
    match kind.as_str() {
        "object" => {
            let mut map = Map::new();
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                let required: Vec<&str> = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| r.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                for (name, property) in properties {
                    if required.contains(&name.as_str()) || g.chance(60) {
                        map.insert(name.clone(), value_for(g, document, property, depth - 1));
                    }
                }
            }
            if g.chance(10) {
                map.insert(g.string(), g.any(1));
            }
            Value::Object(map)
        }
        "array" => {
            let items = schema.get("items").cloned().unwrap_or(json!({}));
            let n = if g.chance(5) { 300 } else { g.below(4) };
            Value::Array(
                (0..n)
                    .map(|_| value_for(g, document, &items, depth - 1))
                    .collect(),
            )
        }
        "integer" | "number" => g.number(),
        "boolean" => json!(g.chance(50)),
        "null" => Value::Null,
        _ => json!(g.string()),
    }
}

/// A query-string value for a parameter.
fn query_value(g: &mut Gen, document: &Value, schema: &Value) -> String {
    match value_for(g, document, schema, 2) {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn path_value(g: &mut Gen) -> String {
    let samples = [
        "x",
        "VE.584121234567",
        "584121234567",
        "u_0000000000000000",
        "..",
        "%2e%2e",
        "%00",
        "-1",
        "precios",
        "ñ",
    ];
    if g.chance(15) {
        "z".repeat(5000)
    } else {
        g.pick(&samples).to_string()
    }
}

/// One request for an operation: the URL (path and query) and the body, if any.
fn request_for(
    g: &mut Gen,
    document: &Value,
    path: &str,
    operation: &Value,
) -> (String, Option<Vec<u8>>) {
    let mut url = String::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        url.push('/');
        if part.starts_with('{') {
            url.push_str(
                &form_urlencoded::byte_serialize(path_value(g).as_bytes()).collect::<String>(),
            );
        } else {
            url.push_str(part);
        }
    }
    let mut query = form_urlencoded::Serializer::new(String::new());
    for parameter in operation
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if parameter["in"] != "query" || !g.chance(70) {
            continue;
        }
        let name = parameter["name"].as_str().unwrap_or("");
        let value = query_value(g, document, &parameter["schema"]);
        query.append_pair(name, &value);
    }
    if g.chance(10) {
        query.append_pair(&g.string(), &g.string());
    }
    let query = query.finish();
    if !query.is_empty() {
        url.push('?');
        url.push_str(&query);
    }
    let body = operation
        .pointer("/requestBody/content/application~1json/schema")
        .map(|schema| match g.below(20) {
            0 => b"{\"unterminated".to_vec(),
            1 => vec![0xff, 0xfe, 0x00],
            2 => Vec::new(),
            _ => value_for(g, document, schema, 6).to_string().into_bytes(),
        });
    (url, body)
}

/// A webhook delivery shaped like Meta's, with its fields replaced by generated ones.
fn webhook_body(g: &mut Gen) -> Vec<u8> {
    let kinds = [
        "text",
        "image",
        "audio",
        "interactive",
        "button",
        "reaction",
        "location",
        "order",
        "system",
        "unsupported",
        "document",
    ];
    let kind = g.pick(&kinds).to_string();
    let mut message = json!({
        "from": "584121234567",
        "id": format!("wamid.fuzz{}", g.next()),
        "timestamp": "1764000000",
        "type": kind,
        "text": {"body": "hola"},
        "image": {"id": "123456", "mime_type": "image/jpeg"},
        "interactive": {"type": "button_reply", "button_reply": {"id": "precios", "title": "Precios"}},
    });
    let fields = [
        "from",
        "id",
        "timestamp",
        "type",
        "text",
        "image",
        "interactive",
    ];
    for _ in 0..g.below(4) {
        let field = g.pick(&fields).to_string();
        message[field] = g.any(3);
    }
    let mut value = json!({
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "584120000000", "phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": "Cliente"}, "wa_id": "584121234567"}],
        "messages": [message],
        "statuses": [{"id": "wamid.out", "status": "delivered", "timestamp": "1764000000", "recipient_id": "584121234567"}],
    });
    let parts = ["metadata", "contacts", "messages", "statuses", "errors"];
    if g.chance(40) {
        let part = g.pick(&parts).to_string();
        value[part] = g.any(3);
    }
    let mut body = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}]
    });
    if g.chance(10) {
        body["entry"] = g.any(3);
    }
    if g.chance(5) {
        return g.string().into_bytes();
    }
    body.to_string().into_bytes()
}

/// At most 200 characters of `text`, for failure reports that stay readable.
fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(200).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test]
async fn generated_requests_to_every_operation_and_the_webhook_never_break_the_server() {
    let dir = tempfile::tempdir().expect("temp dir");
    let token = {
        let output = Command::new(binary_path())
            .args(["token", "fuzz", "--role", "admin"])
            .current_dir(dir.path())
            .env_remove("COCOLU_DATA_DIR")
            .env_remove("COCOLU_TEMPLATES_DIR")
            .output()
            .expect("cocolu token runs");
        assert!(output.status.success());
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    };
    let mut child = Command::new(binary_path())
        .current_dir(dir.path())
        .env("COCOLU_ADDR", "127.0.0.1:0")
        .env("META_APP_SECRET", APP_SECRET)
        .env("META_VERIFY_TOKEN", VERIFY_TOKEN)
        .env("META_PHONE_NUMBER_ID", "106540352242922")
        .env("META_ACCESS_TOKEN", "fuzz-token")
        // Nothing listens there: sends fail as network errors and are retried.
        .env("META_GRAPH_URL", "http://127.0.0.1:9")
        .env("RUST_LOG", "warn")
        .env("RUST_BACKTRACE", "1")
        .env_remove("COCOLU_DATA_DIR")
        .env_remove("COCOLU_TEMPLATES_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cocolu starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .expect("listening line")
        .to_string();
    // The server's log, read as it comes, so that it never fills the pipe.
    let stderr = child.stderr.take().expect("stderr");
    let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let reader = {
        let log = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = log.lock().expect("log");
                log.push_str(&line);
                log.push('\n');
            }
        })
    };
    // The panics logged since the last look, for the request that caused them.
    let mut seen = 0;
    let mut new_panics = move || {
        let log = log.lock().expect("log");
        let fresh: Vec<String> = log[seen..]
            .lines()
            .filter(|l| {
                l.contains("panicked")
                    || l.contains("Arena")
                    || l.contains("cocolu::")
                    || l.contains(" app::")
            })
            .map(str::to_string)
            .collect();
        seen = log.len();
        fresh
    };

    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("header"),
    );
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .expect("client");
    let document: Value = client
        .get(format!("{base}/api/openapi.json"))
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");

    let seed = env_number("COCOLU_FUZZ_SEED", 0x5eed_c0c0_u64).max(1);
    let cases = env_number("COCOLU_FUZZ_CASES", 12);
    let mut g = Gen(seed);
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            operations.push((path.clone(), method.to_uppercase(), operation.clone()));
        }
    }
    assert!(operations.len() >= 30, "{} operations", operations.len());
    let mut failures = Vec::new();
    let mut sent = 0;
    for (path, method, operation) in &operations {
        // Signing out would end the test's own credentials.
        if path == "/api/auth/logout" {
            continue;
        }
        let started = std::time::Instant::now();
        for _ in 0..cases {
            let (url, body) = request_for(&mut g, &document, path, operation);
            let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
            let mut request = client.request(method.clone(), format!("{base}{url}"));
            if let Some(body) = body.clone() {
                request = request
                    .header("content-type", "application/json")
                    .body(body);
            }
            sent += 1;
            let outcome = request.send().await;
            tokio::time::sleep(Duration::from_millis(1)).await;
            let panics = new_panics();
            if !panics.is_empty() {
                failures.push(format!(
                    "{method} {} -> panicked: {}",
                    shorten(&url),
                    panics.join(" | ")
                ));
            }
            match outcome {
                Ok(response) if response.status().as_u16() == 500 => failures.push(format!(
                    "{method} {} -> 500 {}",
                    shorten(&url),
                    shorten(&response.text().await.unwrap_or_default())
                )),
                Ok(_) => {}
                // The client refused to send it (a URL past its own limit): nothing to test.
                Err(error) if error.is_builder() => {}
                Err(error) => failures.push(format!(
                    "{method} {} body {:?} -> no answer: {error}",
                    shorten(&url),
                    body.map(|b| shorten(&String::from_utf8_lossy(&b)))
                )),
            }
        }
        eprintln!(
            "{method} {path}: {cases} requests in {:?}",
            started.elapsed()
        );
    }
    for _ in 0..cases * 10 {
        let body = webhook_body(&mut g);
        sent += 1;
        let sent_to = client
            .post(format!("{base}/webhook"))
            .header("content-type", "application/json")
            .header(
                "x-hub-signature-256",
                cocolu::channel::meta::signature::sign(APP_SECRET.as_bytes(), &body),
            )
            .body(body.clone())
            .send()
            .await;
        let status = match sent_to {
            Ok(response) => response.status().as_u16(),
            // A body over the limit is refused before it is read: the server answers 413 and
            // closes, which the client may see as a broken pipe while still sending.
            Err(_) if body.len() > cocolu::http::MAX_BODY_BYTES => 413,
            Err(error) => {
                failures.push(format!("webhook of {} bytes -> {error}", body.len()));
                continue;
            }
        };
        if status >= 500 {
            failures.push(format!(
                "webhook {} -> {status}",
                shorten(&String::from_utf8_lossy(&body))
            ));
        }
        let panics = new_panics();
        if !panics.is_empty() {
            failures.push(format!(
                "webhook {} -> panicked: {}",
                shorten(&String::from_utf8_lossy(&body)),
                panics.join(" | ")
            ));
        }
    }

    // Pages a visitor may see, with the connection closed as soon as the answer starts: a
    // render dropped half-way must not panic (a panic ends the release build).
    let addr = base.trim_start_matches("http://").to_string();
    for path in ["/setup", "/login", "/register", "/no-such-page"]
        .iter()
        .cycle()
        .take(cases as usize * 20)
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let Ok(mut stream) = tokio::net::TcpStream::connect(&addr).await else {
            failures.push(format!("GET {path}: cannot connect"));
            continue;
        };
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nCookie: lang=en\r\n\r\n");
        let _ = stream.write_all(request.as_bytes()).await;
        let mut first = [0u8; 1];
        let _ = stream.read(&mut first).await;
        drop(stream);
        sent += 1;
        let panics = new_panics();
        if !panics.is_empty() {
            failures.push(format!(
                "GET {path} closed early -> panicked: {}",
                panics.join(" | ")
            ));
        }
    }

    let health = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .map(|r| r.status().as_u16());
    let alive = child.try_wait().expect("status").is_none();
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    failures.extend(new_panics());
    assert!(
        failures.is_empty() && alive && health.as_ref().ok() == Some(&200),
        "seed {seed}, {sent} requests: alive {alive}, health {health:?}\nfailures:\n{}",
        failures.join("\n")
    );
}
