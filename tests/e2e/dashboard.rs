use crate::helpers::{attr_of, spawn_app};
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE};

const PAGES: [(&str, &str); 9] = [
    ("/", "Resumen"),
    ("/inbox", "Bandeja"),
    ("/rules", "Reglas"),
    ("/templates", "Textos"),
    ("/quick-replies", "Respuestas rápidas"),
    ("/analytics", "Analítica"),
    ("/settings", "Ajustes"),
    ("/users", "Usuarios"),
    ("/login", "Iniciar sesión"),
];

#[tokio::test]
async fn every_page_is_server_rendered_in_spanish_by_default() {
    let app = spawn_app().await;
    app.admin_session().await;
    for (path, heading) in PAGES {
        // The sign-in page is for visitors; the others need a session.
        let response = if path == "/login" {
            app.get(path).await
        } else {
            app.page(path).await
        };
        assert_eq!(response.status(), 200, "{path}");
        let html = response.text().await.expect("html");
        let html = crate::helpers::without_markers(&html);
        assert!(html.contains(r#"<html lang="es">"#), "{path}");
        assert!(
            html.contains(&format!("<h1>{heading}</h1>")),
            "{path} lacks its heading"
        );
    }
}

#[tokio::test]
async fn the_sidebar_lists_every_module() {
    let app = spawn_app().await;
    let html = app.page("/").await.text().await.expect("html");
    let html = crate::helpers::without_markers(&html);
    for label in [
        "Resumen",
        "Bandeja",
        "Reglas",
        "Textos",
        "Analítica",
        "Ajustes",
        "Usuarios",
    ] {
        assert!(
            html.contains(&format!(r#"<span class="nav-label">{label}</span>"#)),
            "{label}"
        );
    }
}

#[tokio::test]
async fn the_language_cookie_renders_english() {
    let app = spawn_app().await;
    let cookie = format!(
        "theme=x; cocolu_lang=en; {}",
        app.admin_session().await.cookie
    );
    let html = app
        .page_with_cookie("/inbox", &cookie)
        .await
        .text()
        .await
        .expect("html");
    let html = crate::helpers::without_markers(&html);
    assert!(html.contains(r#"<html lang="en">"#));
    assert!(html.contains("<h1>Inbox</h1>"));
}

#[tokio::test]
async fn an_unknown_page_is_a_rendered_404() {
    let app = spawn_app().await;
    let response = app.page("/no/such/page").await;
    assert_eq!(response.status(), 404);
    let html = response.text().await.expect("html");
    let html = crate::helpers::without_markers(&html);
    assert!(html.contains("Página no encontrada"));
}

#[tokio::test]
async fn pages_carry_security_headers_and_a_nonce_csp() {
    let app = spawn_app().await;
    let response = app.page("/").await;
    let headers = response.headers().clone();
    let html = response.text().await.expect("html");
    let html = crate::helpers::without_markers(&html);

    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "same-origin");
    let csp = headers["content-security-policy"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(
        csp.contains("'wasm-unsafe-eval'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("nonce");
    for script in html.split("<script").skip(1) {
        let opening = script.split('>').next().expect("tag");
        assert!(
            opening.contains(&format!(r#"nonce="{nonce}""#)) || opening.contains("src="),
            "an inline script without the nonce: <script{opening}>"
        );
    }
    assert_ne!(
        app.page("/").await.headers()["content-security-policy"],
        headers["content-security-policy"],
        "nonce is per request"
    );
}

#[tokio::test]
async fn api_answers_get_the_strict_default_csp() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .expect("ascii");
    assert!(!csp.contains("nonce"), "{csp}");
    assert!(csp.contains("default-src 'self'"));
}

#[tokio::test]
async fn linked_assets_are_served_with_types_caching_and_compression() {
    let app = spawn_app().await;
    let html = app.page("/").await.text().await.expect("html");
    let html = crate::helpers::without_markers(&html);
    let cases = [
        (
            attr_of(&html, r#"<link rel="stylesheet""#, "href"),
            "text/css",
        ),
        (
            attr_of(&html, r#"<link rel="modulepreload""#, "href"),
            "text/javascript",
        ),
        (
            attr_of(&html, r#"<link rel="preload""#, "href"),
            "application/wasm",
        ),
        (
            attr_of(&html, r#"<script type="module""#, "src"),
            "text/javascript",
        ),
        (
            attr_of(&html, r#"<link rel="icon""#, "href"),
            "image/svg+xml",
        ),
    ];
    for (path, content_type) in cases {
        let embedded = cocolu::assets::find(&path).unwrap_or_else(|| panic!("{path} not embedded"));

        let plain = app.client.get(app.url(&path)).send().await.expect("sent");
        assert_eq!(plain.status(), 200, "{path}");
        assert!(
            plain.headers()[CONTENT_TYPE]
                .to_str()
                .expect("ascii")
                .starts_with(content_type),
            "{path}"
        );
        assert!(plain.headers().get(CONTENT_ENCODING).is_none());
        assert_eq!(
            plain.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(
            plain.bytes().await.expect("body").as_ref(),
            embedded.file().as_ref(),
            "{path}"
        );

        if !embedded.brotli.is_empty() {
            let br = app
                .client
                .get(app.url(&path))
                .header(ACCEPT_ENCODING, "gzip, br")
                .send()
                .await
                .expect("sent");
            assert_eq!(br.headers()[CONTENT_ENCODING], "br", "{path}");
            assert_eq!(br.headers()["vary"], "accept-encoding");
            assert_eq!(br.bytes().await.expect("body").as_ref(), embedded.brotli);
        }
        if !embedded.brotli.is_empty() {
            let gz = app
                .client
                .get(app.url(&path))
                .header(ACCEPT_ENCODING, "gzip")
                .send()
                .await
                .expect("sent");
            assert_eq!(gz.headers()[CONTENT_ENCODING], "gzip", "{path}");
            let gz = gz.bytes().await.expect("body");
            let mut back = Vec::new();
            std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut back)
                .expect("gunzipped");
            assert_eq!(back, embedded.file().as_ref(), "{path}");
        }
    }
}

#[tokio::test]
async fn the_wasm_bundle_is_a_real_module() {
    let app = spawn_app().await;
    let html = app.page("/").await.text().await.expect("html");
    let html = crate::helpers::without_markers(&html);
    let wasm_path = attr_of(&html, r#"<link rel="preload""#, "href");
    let wasm = app.get(&wasm_path).await.bytes().await.expect("wasm");
    assert_eq!(
        &wasm[..4],
        b"\0asm",
        "the bundle was built with COCOLU_SKIP_WASM?"
    );
    let boot_path = attr_of(&html, r#"<script type="module""#, "src");
    let boot = app.get(&boot_path).await.text().await.expect("boot");
    assert!(
        boot.contains(wasm_path.trim_start_matches("/pkg/")),
        "{boot}"
    );
}

#[tokio::test]
async fn an_unknown_asset_is_404() {
    let app = spawn_app().await;
    assert_eq!(app.get("/pkg/nothing-here.js").await.status(), 404);
}

#[tokio::test]
async fn the_overview_is_rendered_with_todays_numbers() {
    let app = crate::helpers::spawn_app().await;
    let body = crate::helpers::text_message(
        "wamid.ssr",
        "584121000001",
        "hola",
        crate::helpers::now_secs() - 5,
    );
    assert_eq!(app.webhook(&body).await.status(), 200);
    let html = app.page("/").await.text().await.expect("html");
    let html = crate::helpers::without_markers(&html);
    assert!(
        html.contains(
            r#"<div id="today-received" class="figure"><span class="figure-value">1</span>"#
        ),
        "{html}"
    );
    assert!(html.contains("Canal de WhatsApp"));
    // When Meta last wrote reads as every other time does: "11:04" today ("ayer 23:59" just
    // after midnight), not the file's 2026-12-05 11:04.
    let line = html
        .split("Último mensaje recibido")
        .nth(1)
        .expect("the channel's last message line");
    let shown = without_tags(line);
    let time: String = shown
        .trim_start_matches(": ")
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | ' '))
        .collect();
    let time = time.trim();
    let clock = time.strip_prefix("ayer ").unwrap_or(time);
    assert!(
        is_clock(&clock[..clock.len().min(5)]) && clock.len() >= 5,
        "{shown:?}"
    );
}

/// `text` with its tags taken out.
fn without_tags(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in text.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

/// `HH:MM`.
fn is_clock(text: &str) -> bool {
    text.len() == 5
        && text.as_bytes()[2] == b':'
        && text.bytes().filter(u8::is_ascii_digit).count() == 4
}

#[tokio::test]
async fn agents_do_not_see_the_admin_pages_in_the_sidebar() {
    let app = spawn_app().await;
    let admin_html = app.page("/").await.text().await.expect("html");
    assert!(
        admin_html.contains(r#"href="/users""#),
        "an admin sees Users"
    );
    assert!(admin_html.contains(r#"href="/settings""#));
    assert!(admin_html.contains(r#"id="signed-in-as""#));

    let agent = app.register("agent", "agente", "clave de la agente").await;
    let html = app
        .page_with_cookie("/", &agent.cookie)
        .await
        .text()
        .await
        .expect("html");
    assert!(html.contains(r#"href="/inbox""#), "{html}");
    assert!(
        !html.contains(r#"href="/users""#),
        "an agent does not see Users"
    );
    assert!(!html.contains(r#"href="/settings""#));
    assert!(html.contains("agente"));
}

#[tokio::test]
async fn analytics_show_the_numbers_a_seeded_log_implies() {
    let app = crate::helpers::spawn_app_with(|config| {
        let log = config.data_dir.join("log");
        std::fs::create_dir_all(&log).expect("log folder");
        std::fs::write(
            log.join("000001-2026-11.jsonl"),
            crate::inbox_api::seeded_log(),
        )
        .expect("seed");
    })
    .await;
    let html = app
        .page("/analytics?days=366")
        .await
        .text()
        .await
        .expect("html");
    let html = crate::helpers::without_markers(&html);
    let figure = |id: &str| {
        let start = html
            .find(&format!(r#"id="{id}""#))
            .unwrap_or_else(|| panic!("{id} in {html}"));
        let value = &html[start..];
        let open = value.find(r#"<span class="figure-value">"#).expect("value")
            + r#"<span class="figure-value">"#.len();
        value[open..open + value[open..].find('<').expect("end")].to_string()
    };
    assert_eq!(figure("total-received"), "3");
    assert_eq!(figure("bot-share"), "66 %", "2 of 3 replies");
    assert_eq!(figure("bot-median"), "≤ 1 s");
    assert_eq!(figure("people-median"), "≤ 5 min");
    assert_eq!(figure("new-contacts"), "2");
    assert_eq!(figure("returning-contacts"), "1");
    // The rules that answer most are named by what they are for.
    assert!(
        html.contains("Preguntas por precios"),
        "the rule's description"
    );
    assert!(html.contains(r#"class="heatmap""#));
    // Every day of the range has its place, the quiet ones at zero: two days have messages.
    assert_eq!(
        html.matches(r#"class="bar-in""#).count(),
        366,
        "a bar for each day"
    );
    let heights: Vec<&str> = html
        .split("<rect ")
        .skip(1)
        .map(|tag| &tag[..tag.find('>').expect("the tag's end")])
        .filter(|tag| tag.contains(r#"class="bar-in""#))
        .map(|tag| {
            let from = tag.find(r#"height=""#).expect("a height") + r#"height=""#.len();
            &tag[from..from + tag[from..].find('"').expect("its end")]
        })
        .collect();
    assert_eq!(
        heights.iter().filter(|h| **h != "0").count(),
        2,
        "two days with data: {heights:?}"
    );
    // The bars have their dates under them and a scale beside them; the heatmap names its
    // days and hours.
    let dates = &html[html.find(r#"id="chart-dates""#).expect("dates")..];
    let dates = &dates[..dates.find("</div>").expect("end")];
    let shown: Vec<&str> = dates
        .split(r#"<span class="chart-date">"#)
        .skip(1)
        .map(|d| &d[..d.find('<').unwrap_or(0)])
        .collect();
    assert_eq!(shown.len(), 366, "a place for each day's date: {dates}");
    let named: Vec<&&str> = shown.iter().filter(|d| !d.is_empty()).collect();
    // Each named as dates read elsewhere: "28 nov".
    let months = [
        "ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic",
    ];
    assert!(
        named.len() >= 2
            && named.iter().all(|d| {
                d.split_once(' ').is_some_and(|(day, month)| {
                    day.parse::<u32>().is_ok_and(|n| (1..=31).contains(&n))
                        && months.contains(&month)
                })
            }),
        "{named:?}"
    );
    let scale = &html[html.find(r#"class="chart-scale""#).expect("scale")..];
    let scale = &scale[..scale.find("</div>").expect("end")];
    let marks: Vec<u64> = scale
        .split("<span>")
        .skip(1)
        .filter_map(|m| m[..m.find('<').unwrap_or(0)].trim().parse().ok())
        .collect();
    assert!(
        marks.len() >= 2 && marks.windows(2).all(|w| w[0] > w[1]),
        "the scale's marks go down without repeating: {marks:?} in {scale}"
    );
    for label in ["Lun", "Dom", ">0<", ">21<"] {
        assert!(html.contains(label), "the heatmap shows {label}");
    }
}

/// The overview's alert for a broken hand edit names the file, the line and the column in the
/// page's language (not the server's English message) and leads to the page that edits it,
/// which says what is wrong; without Meta's details the channel card leads to Ajustes instead
/// of naming a server file.
#[tokio::test]
async fn the_overview_words_a_broken_hand_edit_and_leads_to_where_it_is_fixed() {
    let app = crate::helpers::spawn_app_with(|config| config.meta.access_token = None).await;
    let path = app.data_path().join("rules.json");
    let text = std::fs::read_to_string(&path).expect("read");
    let broken = text.replace("\"template\": \"precios\"", "\"template\": \"no_existe\"");
    std::fs::write(&path, &broken).expect("write");
    let mut status = serde_json::Value::Null;
    for _ in 0..100 {
        status = app.get("/api/status").await.json().await.expect("status");
        if status["file_problems"]
            .as_array()
            .is_some_and(|p| !p.is_empty())
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let line = &status["file_problems"][0]["line"];
    let english = status["file_problems"][0]["message"]
        .as_str()
        .expect("message")
        .to_string();

    let session = app.admin_session().await;
    for (cookie, said, fix, channel) in [
        (
            session.cookie.clone(),
            format!("rules.json, línea {line}, columna"),
            "Corregir",
            "Sin conectar",
        ),
        (
            format!("{}; cocolu_lang=en", session.cookie),
            format!("rules.json, line {line}, column"),
            "Fix it",
            "Not connected",
        ),
    ] {
        let html = app
            .page_with_cookie("/", &cookie)
            .await
            .text()
            .await
            .expect("html");
        let html = crate::helpers::without_markers(&html);
        // What the page shows, without the data it carries for the browser.
        let mut page = String::new();
        for (i, part) in html.split("<script").enumerate() {
            let outside = if i == 0 {
                Some(part)
            } else {
                part.split_once("</script>").map(|(_, rest)| rest)
            };
            page.push_str(outside.unwrap_or_default());
        }
        let shown = without_tags(&page);
        assert!(shown.contains(&said), "{shown}");
        // What is wrong is said on the rules page, in the page's language; not here in the
        // server's English.
        assert!(!shown.contains(&english), "{shown}");
        assert!(shown.contains(fix) && shown.contains(channel), "{shown}");
        assert!(
            html.contains(r#"href="/rules" class="alert-link""#),
            "{html}"
        );
        assert!(
            html.contains(r##"href="/settings#meta-connection""##),
            "{html}"
        );
        assert!(!shown.contains("/etc/cocolu"), "{shown}");
    }
}
