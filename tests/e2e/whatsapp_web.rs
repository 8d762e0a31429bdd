//! The WhatsApp Web channel (feature `whatsapp-web`), run by the real server against a
//! stand-in WhatsApp server on a real socket: choosing the channel in Settings starts it,
//! the link's state shows in `/api/status`, on `/ws` and as alerts, and choosing Meta again
//! stops it. With the `whatsapp-web-standin` feature the stand-in also completes WhatsApp's
//! handshake and asks for pairing, so the QR codes come from the library itself.

use crate::helpers::{spawn_app_with, TestApp};
use cocolu::channel::web::runner::WebConfig;
use serde_json::{json, Value};
use std::time::Duration;

/// A customer's text as the library hands it to the channel (its own message types).
pub fn customer_says(
    phone: &str,
    id: &str,
    text: &str,
) -> [whatsapp_rust::wacore::types::events::InboundMessage; 1] {
    use std::sync::Arc;
    use whatsapp_rust::wacore::types::message::MessageInfo;
    use whatsapp_rust::waproto::whatsapp as wa;
    let customer: whatsapp_rust::Jid = format!("{phone}@s.whatsapp.net").parse().expect("jid");
    let mut info = MessageInfo {
        id: id.into(),
        push_name: "Ana".into(),
        timestamp: whatsapp_rust::chrono::Utc::now(),
        ..Default::default()
    };
    info.source.chat = customer.clone();
    info.source.sender = customer;
    [
        whatsapp_rust::wacore::types::events::InboundMessage::builder()
            .message(Arc::new(wa::Message {
                conversation: Some(text.into()),
                ..Default::default()
            }))
            .info(Arc::new(info))
            .build(),
    ]
}

/// A server whose WhatsApp Web channel talks to `url` (with a fixed version, so nothing asks
/// WhatsApp's site for the current one).
pub async fn spawn_app_for(url: &str) -> TestApp {
    let url = url.to_string();
    spawn_app_with(move |config| {
        config.whatsapp_web = WebConfig {
            url,
            version: Some((2, 3000, 1_000_000_000)),
        }
    })
    .await
}

/// Chooses `channel` in Settings through the API, as the dashboard does.
pub async fn choose(app: &TestApp, channel: &str) {
    let mut current: Value = app.get_json("/api/settings").await;
    current["settings"]["channel"] = json!(channel);
    let response = app.put_json("/api/settings", &current).await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
}

/// Waits up to 20 s for the link in `/api/status` to satisfy `wanted`.
pub async fn wait_for_link(app: &TestApp, wanted: impl Fn(&Value) -> bool) -> Value {
    wait_for_link_within(app, Duration::from_secs(20), wanted).await
}

/// Waits up to `limit` for the link in `/api/status` to satisfy `wanted`.
pub async fn wait_for_link_within(
    app: &TestApp,
    limit: Duration,
    wanted: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let status = app.get_json("/api/status").await;
        if wanted(&status["whatsapp_web"]["link"]) {
            return status;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the link never got there: {}",
            status["whatsapp_web"]
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_server_that_hangs_up_shows_as_disconnected_until_meta_is_chosen_again() {
    let fake =
        crate::fake_whatsapp::FakeWhatsApp::start(crate::fake_whatsapp::Behaviour::CloseAtOnce)
            .await;
    let app = spawn_app_for(&fake.url).await;
    let status = app.get_json("/api/status").await;
    assert_eq!(status["whatsapp_web"]["built_in"], true);
    assert_eq!(
        status["whatsapp_web"]["link"],
        Value::Null,
        "Meta is the default"
    );
    let mut events = app.events().await;

    choose(&app, "whatsapp_web").await;

    let status = wait_for_link(&app, |link| link["state"] == "disconnected").await;
    let link = &status["whatsapp_web"]["link"];
    assert!(
        link["reason"]
            .as_str()
            .is_some_and(|r| r.contains("closed before WhatsApp answered")),
        "{link}"
    );
    assert!(link["since"].as_i64().is_some_and(|since| since > 0));
    let alerts = status["alerts"].as_array().expect("alerts");
    assert!(
        alerts.iter().any(|a| a["kind"] == "web_disconnected"),
        "{alerts:?}"
    );
    assert!(
        !alerts.iter().any(|a| a["kind"] == "not_configured"),
        "Meta's configuration does not matter while WhatsApp Web is in use"
    );
    let mut seen = Vec::new();
    while let Some(event) = events.next(Duration::from_secs(5)).await {
        if event["type"] == "link_changed" {
            seen.push(event["link"]["state"].as_str().unwrap_or("").to_string());
            if seen.last().map(String::as_str) == Some("disconnected") {
                break;
            }
        }
    }
    assert_eq!(seen, ["connecting", "disconnected"], "live on /ws");

    // The library keeps trying, with backoff.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while fake.connections() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "no second attempt");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    choose(&app, "meta").await;
    wait_for_link(&app, Value::is_null).await;
    let unlink = app.post_json("/api/whatsapp-web/unlink", &json!({})).await;
    assert_eq!(
        unlink.status(),
        422,
        "nothing to unlink while Meta is in use"
    );
    let answer: Value = unlink.json().await.expect("json");
    assert!(
        answer["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("choose it in Settings")),
        "{answer}"
    );
}

#[tokio::test]
async fn nothing_listening_says_whatsapp_cannot_be_reached() {
    let app = spawn_app_for("ws://127.0.0.1:9/ws/chat").await;
    choose(&app, "whatsapp_web").await;
    let status = wait_for_link(&app, |link| link["state"] == "disconnected").await;
    let reason = status["whatsapp_web"]["link"]["reason"]
        .as_str()
        .unwrap_or("");
    assert!(reason.contains("cannot reach WhatsApp"), "{reason}");
    let qr = app.get("/api/whatsapp-web/qr.svg").await;
    assert_eq!(qr.status(), 404, "no QR code without a pairing");
}

/// Reads the QR code in an SVG drawn by the server back into its text.
#[cfg(feature = "whatsapp-web-standin")]
pub fn read_qr_svg(svg: &str) -> String {
    let view = crate::helpers::attr_of(svg, "<svg", "viewBox");
    let size: usize = view
        .split_whitespace()
        .nth(2)
        .and_then(|n| n.parse().ok())
        .expect("square viewBox");
    let path = crate::helpers::attr_of(svg, "<path", "d");
    // The modules are drawn as runs: `M{x} {y}h{len}v1h-{len}z`, one unit per module.
    let scale = 4;
    let mut pixels = vec![255u8; size * size * scale * scale];
    for run in path.split('M').filter(|r| !r.is_empty()) {
        let numbers: Vec<usize> = run
            .split(|c: char| !c.is_ascii_digit())
            .filter(|n| !n.is_empty())
            .map(|n| n.parse().expect("number"))
            .collect();
        let (x, y, len) = (numbers[0], numbers[1], numbers[2]);
        for dx in 0..len * scale {
            for dy in 0..scale {
                pixels[(y * scale + dy) * size * scale + x * scale + dx] = 0;
            }
        }
    }
    let side = size * scale;
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| pixels[y * side + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().expect("decodes").1
}

#[cfg(feature = "whatsapp-web-standin")]
#[tokio::test]
async fn pairing_shows_the_qr_code_the_library_makes_and_unlinking_starts_afresh() {
    use crate::fake_whatsapp::{Behaviour, FakeWhatsApp, REFS};
    let fake = FakeWhatsApp::start(Behaviour::Pair).await;
    let app = spawn_app_for(&fake.url).await;
    choose(&app, "whatsapp_web").await;

    let status = wait_for_link(&app, |link| link["state"] == "pairing").await;
    let link = &status["whatsapp_web"]["link"];
    let qr = link["qr"].as_str().expect("a QR string");
    // ref, noise key, identity key, ADV secret, platform: as WhatsApp Web's own.
    let fields: Vec<&str> = qr.split(',').collect();
    assert_eq!(fields.len(), 5, "{qr}");
    assert_eq!(fields[0], REFS[0]);
    assert!(link["expires_at"].as_i64().is_some_and(|at| at > 0));
    let alerts = status["alerts"].as_array().expect("alerts");
    assert!(
        alerts.iter().any(|a| a["kind"] == "web_not_linked"),
        "{alerts:?}"
    );

    let image = app.get("/api/whatsapp-web/qr.svg").await;
    assert_eq!(image.status(), 200);
    assert_eq!(image.headers()["content-type"], "image/svg+xml");
    assert_eq!(image.headers()["cache-control"], "no-store");
    let svg = image.text().await.expect("svg");
    assert_eq!(read_qr_svg(&svg), qr, "the image is the code");

    // Or a code to type on the phone, for its number as people write it.
    let refused = app
        .post_json(
            "/api/whatsapp-web/pair-code",
            &json!({"phone": "mi número"}),
        )
        .await;
    assert_eq!(refused.status(), 422);
    let refused: Value = refused.json().await.expect("json");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("country code")),
        "{refused}"
    );
    assert!(fake.code_requests().is_empty(), "nothing asked of WhatsApp");
    let asked = app
        .post_json(
            "/api/whatsapp-web/pair-code",
            &json!({"phone": "+58 412-987 6543"}),
        )
        .await;
    assert_eq!(asked.status(), 200, "{:?}", asked.text().await);
    let code = asked.json::<Value>().await.expect("json")["code"]
        .as_str()
        .expect("code")
        .to_string();
    assert_eq!(
        code.chars().filter(char::is_ascii_alphanumeric).count(),
        8,
        "{code}"
    );
    assert_eq!(fake.code_requests(), ["584129876543@s.whatsapp.net"]);
    let status = wait_for_link(&app, |link| link["code"] == code.as_str()).await;
    assert_eq!(status["whatsapp_web"]["link"]["state"], "pairing");

    // Unlinking forgets the keys: the next pairing advertises new ones.
    let unlink = app.post_json("/api/whatsapp-web/unlink", &json!({})).await;
    assert_eq!(unlink.status(), 204, "{:?}", unlink.text().await);
    let status = wait_for_link(&app, |link| {
        link["state"] == "pairing" && link["qr"].as_str().is_some_and(|q| q != qr)
    })
    .await;
    let again = status["whatsapp_web"]["link"]["qr"].as_str().unwrap_or("");
    let new_fields: Vec<&str> = again.split(',').collect();
    assert_ne!(new_fields[2], fields[2], "a new identity key");
    let audit = app.get_json("/api/audit").await;
    assert!(
        audit.to_string().contains("whatsapp_web_unlinked"),
        "{audit}"
    );
}

/// In Chromium, as the shop's owner does it: choose WhatsApp Web in Settings and save; the
/// page shows the QR code the library made (as the server's image), or a code for the
/// phone's number asked for in a dialog; once the phone is linked, "Unlink" (confirmed)
/// starts a new pairing with a new code; a device removed on the phone offers "Link again";
/// and the overview says the phone is awaited.
#[cfg(feature = "whatsapp-web-standin")]
#[tokio::test]
async fn the_pairing_screen_shows_the_qr_code_in_the_browser() {
    use crate::browser::{open_with, save_screenshot, skip};
    use crate::fake_whatsapp::{Behaviour, FakeWhatsApp};
    use crate::pages::{press, wait_for, wait_text};
    use fantoccini::Locator;
    if skip() {
        return;
    }
    let fake = FakeWhatsApp::start(Behaviour::Pair).await;
    let app = spawn_app_for(&fake.url).await;
    let browser = open_with(&app, "/settings", 1280, 900).await;
    let client = browser.client();
    wait_for(client, "#meta-connection").await;
    // What WhatsApp Web means is said once it is the choice, not while Meta is.
    assert!(client.find(Locator::Css("#channel-hint")).await.is_err());

    client
        .find(Locator::Css("#channel"))
        .await
        .expect("the channel choice")
        .select_by_value("whatsapp_web")
        .await
        .expect("chosen");
    wait_text(client, "#channel-hint", "no es la API oficial").await;
    press(client, "#save").await;
    wait_text(client, "#save-bar", "Todo guardado").await;
    wait_text(client, "#link-state", "Vincula el teléfono").await;
    wait_for(client, "#link-qr").await;

    // The image the page shows is the code the library made.
    let status = wait_for_link(&app, |link| link["state"] == "pairing").await;
    let qr = status["whatsapp_web"]["link"]["qr"]
        .as_str()
        .expect("qr")
        .to_string();
    let src = client
        .find(Locator::Css("#link-qr"))
        .await
        .expect("img")
        .attr("src")
        .await
        .expect("attr")
        .expect("src");
    assert!(src.starts_with("/api/whatsapp-web/qr.svg?v="), "{src}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let drawn = client
            .execute(
                "const i = document.querySelector('#link-qr'); return i.complete ? i.naturalWidth : 0;",
                vec![],
            )
            .await
            .expect("script");
        if drawn.as_u64().unwrap_or(0) > 0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the QR image never loaded"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let svg = app.get(&src).await.text().await.expect("svg");
    assert_eq!(read_qr_svg(&svg), qr);
    assert!(
        client.find(Locator::Css("#meta-connection")).await.is_err(),
        "Meta's connection is not shown while WhatsApp Web is in use"
    );
    crate::pages::show(client, "#channel").await;
    save_screenshot(client, "whatsapp-web-pairing.png").await;

    // With no second screen to scan from: a code for the phone's number, asked in the
    // browser's dialog, shows in the state line.
    press(client, "#pair-code").await;
    client
        .send_alert_text("+58 412 987 6543")
        .await
        .expect("the number is asked");
    client.accept_alert().await.expect("sent");
    let status = wait_for_link(&app, |link| link["code"].is_string()).await;
    let code = status["whatsapp_web"]["link"]["code"]
        .as_str()
        .expect("code")
        .to_string();
    wait_text(client, "#link-state", &code).await;
    assert_eq!(fake.code_requests(), ["584129876543@s.whatsapp.net"]);
    save_screenshot(client, "whatsapp-web-pair-code.png").await;

    // The phone scans instead; once linked, unlink (confirmed in the browser's dialog)
    // starts a new pairing with a new code.
    assert!(fake.scan(&qr), "a device waits for the phone");
    wait_text(client, "#link-state", "Conectado").await;
    wait_for(client, "#unlink").await;
    press(client, "#unlink").await;
    client
        .accept_alert()
        .await
        .expect("the confirmation is asked");
    let src = new_qr_image(client, &src).await;

    // The phone's owner removes the device in WhatsApp: the page offers to link again, which
    // shows a new code.
    let status = wait_for_link(&app, |link| link["state"] == "pairing").await;
    let qr = status["whatsapp_web"]["link"]["qr"].as_str().expect("qr");
    assert!(fake.scan(qr), "a device waits for the phone");
    wait_text(client, "#link-state", "Conectado").await;
    assert!(fake.remove_device(), "a device is connected");
    wait_text(client, "#link-state", "Sin vincular").await;
    press(client, "#pair-again").await;
    new_qr_image(client, &src).await;

    crate::browser::visit(client, &app.url("/")).await;
    crate::browser::wait_for_hydration(client).await;
    wait_text(client, "#link-state", "Vincula el teléfono").await;
    wait_text(client, "#alerts", "Vincula el teléfono").await;
    browser.close().await;
}

/// Waits up to 20 s for the page's QR image to be another than `before`; its address.
#[cfg(feature = "whatsapp-web-standin")]
async fn new_qr_image(client: &fantoccini::Client, before: &str) -> String {
    use fantoccini::Locator;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(img) = client.find(Locator::Css("#link-qr")).await {
            if let Ok(Some(now)) = img.attr("src").await {
                if now != before {
                    return now;
                }
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no new QR code after {before}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// WhatsApp Web has no 24-hour window: a reply to a customer who wrote a day ago is taken,
/// and it waits in the outbox (durably, retried) until the phone is linked.
#[tokio::test]
async fn replies_have_no_24_hour_window_and_wait_for_the_phone() {
    use crate::helpers::{now_secs, text_message};
    let app = spawn_app_for("ws://127.0.0.1:9/ws/chat").await;
    let old = now_secs() - 25 * 3600;
    let delivered = app
        .webhook(&text_message("wamid.old", "584126666666", "hola", old))
        .await;
    assert_eq!(delivered.status(), 200);
    choose(&app, "whatsapp_web").await;

    let reply = app
        .post_json(
            "/api/conversations/VE.584126666666/messages",
            &json!({"message": {"type": "text", "body": "¡Hola de nuevo!"}}),
        )
        .await;
    assert_eq!(reply.status(), 202, "{:?}", reply.text().await);
    // The inbox is told so: free text, no template picker.
    let state = app
        .get_json("/api/conversations/VE.584126666666/state")
        .await;
    assert_eq!(state["always_open"], true, "{state}");
    // Files attached in the dashboard go through Meta's upload only.
    assert_eq!(state["sends_files"], false, "{state}");
    let list = app.get_json("/api/conversations").await;
    assert_eq!(list["conversations"][0]["window_open"], true, "{list}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let status = app.get_json("/api/status").await;
    assert_eq!(status["counts"]["outbox_pending"], 1, "{status}");

    // In the browser: the text box and its tools, but no paperclip that could only fail.
    if crate::browser::skip() {
        return;
    }
    let browser = crate::browser::open_with(&app, "/inbox?c=VE.584126666666", 375, 812).await;
    let client = browser.client();
    crate::pages::wait_for(client, "#composer-text").await;
    crate::pages::wait_for(client, "#quick-toggle").await;
    // The reply sent by a script is signed with its token's name, not the program's "token:".
    let author = crate::pages::wait_text(client, ".bubble-author", "tests").await;
    assert_eq!(author, "tests (por API)");
    assert!(
        client
            .find(fantoccini::Locator::Css("#composer-file"))
            .await
            .is_err(),
        "an attach button on WhatsApp Web"
    );
    crate::browser::save_screenshot(client, "composer-whatsapp-web-375.png").await;
    browser.close().await;
}

/// A batch as the library hands it over (its own message types, through the channel's
/// durability hook): the customer's message is stored once however often it comes, published
/// on `/ws`, shown in the inbox under the phone number, and answered by the bot — the reply
/// waits in the outbox, since no phone is linked here.
#[tokio::test]
async fn a_batch_the_library_delivers_is_stored_once_published_and_answered() {
    let app = spawn_app_for("ws://127.0.0.1:9/ws/chat").await;
    choose(&app, "whatsapp_web").await;
    let mut events = app.events().await;
    let batch = customer_says("584121234567", "3EB0C0FFEE", "Hola, ¿qué horario tienen?");

    app.state.web.deliver(&batch).await.expect("taken in");
    app.state
        .web
        .deliver(&batch)
        .await
        .expect("a redelivery is acknowledged too");

    let received = events
        .first("message_received", Duration::from_secs(10))
        .await;
    assert_eq!(received["conversation"], "584121234567");
    assert_eq!(received["id"], "3EB0C0FFEE");
    assert_eq!(received["text"], "Hola, ¿qué horario tienen?");
    let stored: Vec<_> = crate::helpers::log_records(&app.data_path())
        .into_iter()
        .filter(|r| r["kind"] == "message_in")
        .collect();
    assert_eq!(stored.len(), 1, "stored once: {stored:?}");
    assert_eq!(stored[0]["contact"]["name"], "Ana");
    assert_eq!(stored[0]["message"]["channel"], "whatsapp_web");

    // The bot answered (the welcome, a first contact): queued, waiting for the phone.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let out: Vec<_> = crate::helpers::log_records(&app.data_path())
            .into_iter()
            .filter(|r| r["kind"] == "message_out")
            .collect();
        if let Some(reply) = out.first() {
            assert_eq!(reply["conversation"], "584121234567");
            assert_eq!(reply["to"]["wa_id"], "584121234567");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the bot did not answer"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let list = app.get_json("/api/conversations").await;
    assert_eq!(
        list["conversations"][0]["conversation"], "584121234567",
        "{list}"
    );
}

/// Chooses WhatsApp Web, has the stand-in phone scan the code, and waits until the link
/// reads connected (the library waits up to 10 s for the phone's app-state keys before its
/// first sync); answers the status then.
#[cfg(feature = "whatsapp-web-standin")]
async fn linked(app: &TestApp, fake: &crate::fake_whatsapp::FakeWhatsApp) -> Value {
    choose(app, "whatsapp_web").await;
    let status = wait_for_link(app, |link| link["state"] == "pairing").await;
    let qr = status["whatsapp_web"]["link"]["qr"].as_str().expect("qr");
    assert!(fake.scan(qr), "a device waits for the phone");
    wait_for_link_within(app, Duration::from_secs(40), |link| {
        link["state"] == "connected"
    })
    .await
}

/// The stand-in phone scans the code the library made: the library checks the phone's
/// signatures, keeps its new identity in our key store, logs in again as the linked device
/// with the shop's number, syncs, and is connected — shown in the status with the number.
#[cfg(feature = "whatsapp-web-standin")]
#[tokio::test]
async fn scanning_the_code_links_the_phone_and_connects_with_its_number() {
    use crate::fake_whatsapp::{Behaviour, FakeWhatsApp, PHONE};
    let fake = FakeWhatsApp::start(Behaviour::Pair).await;
    let app = spawn_app_for(&fake.url).await;
    let mut events = app.events().await;

    let status = linked(&app, &fake).await;

    assert_eq!(status["whatsapp_web"]["link"]["number"], PHONE, "{status}");
    assert_eq!(
        fake.logins().first().map(u64::to_string).as_deref(),
        Some(PHONE)
    );
    let alerts = status["alerts"].as_array().expect("alerts");
    assert!(
        !alerts
            .iter()
            .any(|a| a["kind"].as_str().unwrap_or("").starts_with("web_")),
        "{alerts:?}"
    );
    let mut seen = Vec::new();
    while let Some(event) = events.next(Duration::from_secs(1)).await {
        if event["type"] == "link_changed" {
            seen.push(event["link"]["state"].as_str().unwrap_or("").to_string());
        }
    }
    assert!(
        seen.contains(&"connected".to_string()),
        "live on /ws: {seen:?}"
    );
    // The link is on disk: the key store names the linked number.
    let folder = app.data_path().join("whatsapp-web");
    let keys: String = ["keys.jsonl", "keys.snapshot.json"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(folder.join(f)).ok())
        .collect();
    assert!(keys.contains(PHONE), "the linked number is stored");
}

/// Once linked, a customer's message comes in over the connection and the bot's answer
/// goes out over it. The customer's phone builds a Signal session on the pre-keys the device
/// uploaded at login and sends its text encrypted; the library decrypts it and hands it to
/// us; it reaches the inbox and `/ws`. The answer: the library encrypts with the session the
/// customer started and sends a `<message>` to the customer, and the outbox records it as
/// sent under that message's id.
#[cfg(feature = "whatsapp-web-standin")]
#[tokio::test]
async fn a_message_comes_in_and_the_reply_goes_out_over_the_linked_connection() {
    use crate::fake_whatsapp::{Behaviour, FakeWhatsApp};
    let fake = FakeWhatsApp::start(Behaviour::Pair).await;
    let app = spawn_app_for(&fake.url).await;
    linked(&app, &fake).await;
    let mut events = app.events().await;

    fake.write("584129999999", "3EB0FEED", "hola, ¿tienen empanadas?")
        .await
        .expect("written");

    let received = events
        .first("message_received", Duration::from_secs(20))
        .await;
    assert_eq!(received["conversation"], "584129999999");
    assert_eq!(received["id"], "3EB0FEED");
    assert_eq!(received["text"], "hola, ¿tienen empanadas?");
    let records = app
        .get_json("/api/conversations/584129999999/messages")
        .await;
    let incoming: Vec<_> = records
        .as_array()
        .expect("records")
        .iter()
        .filter(|r| r["kind"] == "message_in")
        .collect();
    assert_eq!(incoming.len(), 1, "{records}");
    assert_eq!(incoming[0]["text"], "hola, ¿tienen empanadas?");
    assert_eq!(incoming[0]["message"]["channel"], "whatsapp_web");
    assert_eq!(incoming[0]["contact"]["name"], "Cliente");

    // Every reply the outbox records as sent is a `<message>` the stand-in received for that
    // customer, under the same id (the bot may send more than one: the welcome, the answer).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let recorded: Vec<String> = crate::helpers::log_records(&app.data_path())
            .into_iter()
            .filter(|r| r["kind"] == "message_out_sent" && r["conversation"] == "584129999999")
            .filter_map(|r| r["message_id"].as_str().map(str::to_string))
            .collect();
        let queued = crate::helpers::log_records(&app.data_path())
            .into_iter()
            .filter(|r| r["kind"] == "message_out" && r["conversation"] == "584129999999")
            .count();
        let received: Vec<String> = fake
            .sent()
            .into_iter()
            .filter(|(to, _)| to == "584129999999@s.whatsapp.net")
            .map(|(_, id)| id)
            .collect();
        if queued > 0 && recorded.len() == queued {
            assert!(
                recorded.iter().all(|id| received.contains(id)),
                "sent {recorded:?}, the stand-in got {received:?}"
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{queued} queued, {recorded:?} sent, the stand-in got {received:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The phone's owner removes the linked device in WhatsApp: the link reads logged out with
/// the reason and an alert, and nothing reconnects on the dead keys. Linking again (what the
/// dashboard's "Vincular de nuevo" calls) forgets them and shows a new QR code.
#[cfg(feature = "whatsapp-web-standin")]
#[tokio::test]
async fn a_device_removed_on_the_phone_asks_to_link_again() {
    use crate::fake_whatsapp::{Behaviour, FakeWhatsApp};
    let fake = FakeWhatsApp::start(Behaviour::Pair).await;
    let app = spawn_app_for(&fake.url).await;
    linked(&app, &fake).await;

    assert!(fake.remove_device(), "a device is connected");
    let status = wait_for_link(&app, |link| link["state"] == "logged_out").await;
    assert_eq!(
        status["whatsapp_web"]["link"]["reason"],
        "unlinked from the phone"
    );
    let alerts = status["alerts"].as_array().expect("alerts");
    assert!(
        alerts.iter().any(|a| a["kind"] == "web_logged_out"),
        "{alerts:?}"
    );
    let connections = fake.connections();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(fake.connections(), connections, "no reconnection");

    let again = app.post_json("/api/whatsapp-web/unlink", &json!({})).await;
    assert_eq!(again.status(), 204, "{:?}", again.text().await);
    wait_for_link(&app, |link| {
        link["state"] == "pairing" && link["qr"].is_string()
    })
    .await;
    assert_eq!(fake.connections(), connections + 1, "a fresh connection");
}
