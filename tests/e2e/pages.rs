//! The dashboard's pages in headless Chromium against the real server and the Graph API
//! stand-in: the inbox live, manual replies and their ticks, the takeover switch, a rule made
//! in the form answering in the simulator and on WhatsApp, hand edits and conflicts on the
//! rules page, templates, settings with the connection test, users, and every page at desktop
//! and phone widths.

use crate::browser::{
    launch, open_with, save_screenshot, sign_in, skip, wait_for_hydration, Browser,
};
use crate::fake_graph::FakeGraph;
use crate::helpers::{
    log_records, now_secs, spawn_app_with_graph, text_message, TestApp, ADMIN_PASSWORD,
};
use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(15);

/// The server with the Graph API stand-in and a signed-in browser on `path`.
async fn start(path: &str, width: u32, height: u32) -> Option<(TestApp, FakeGraph, Browser)> {
    if skip() {
        return None;
    }
    let (app, graph) = spawn_app_with_graph().await;
    let browser = open_with(&app, path, width, height).await;
    Some((app, graph, browser))
}

/// Waits until the element `css` exists and its text contains `needle`; returns the text.
pub(crate) async fn wait_text(client: &Client, css: &str, needle: &str) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut last = String::new();
    loop {
        if let Ok(element) = client.find(Locator::Css(css)).await {
            if let Ok(text) = element.text().await {
                if text.contains(needle) {
                    return text;
                }
                last = text;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{css} never showed {needle:?}; last: {last:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until `css` matches an element.
pub(crate) async fn wait_for(client: &Client, css: &str) {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("{css} appears"));
}

/// Waits until `css` matches nothing.
pub(crate) async fn wait_gone(client: &Client, css: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while client.find(Locator::Css(css)).await.is_ok() {
        assert!(tokio::time::Instant::now() < deadline, "{css} goes away");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the field `css` holds `expected` (what the page put there).
pub(crate) async fn wait_value(client: &Client, css: &str, expected: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let value = client
            .execute(
                "const e = document.querySelector(arguments[0]); return e ? e.value : null;",
                vec![json!(css)],
            )
            .await
            .expect("value");
        if value == json!(expected) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{css} holds {value}, not {expected:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until the element `css` has its top on the screen (not below the fold).
pub(crate) async fn wait_in_sight(client: &Client, css: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let top = client
            .execute(
                "const e = document.querySelector(arguments[0]); \
                 return e ? e.getBoundingClientRect().top / window.innerHeight : null;",
                vec![json!(css)],
            )
            .await
            .expect("script runs");
        if top.as_f64().is_some_and(|t| (0.0..0.8).contains(&t)) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{css} is not in sight (its top at {top} of the screen's height)"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Scrolls `css` into the middle of the screen, for a screenshot of what the person reads.
pub(crate) async fn show(client: &Client, css: &str) {
    client
        .execute(
            "document.querySelector(arguments[0]).scrollIntoView({ block: 'center' });",
            vec![json!(css)],
        )
        .await
        .expect("scrolled");
}

/// Waits until the element with id `id` has the keyboard's focus.
pub(crate) async fn wait_focus(client: &Client, id: &str) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let focused = client
            .execute(
                "return document.activeElement && document.activeElement.id;",
                vec![],
            )
            .await
            .expect("focus");
        if focused == json!(id) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the focus is on {focused}, not #{id}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Replaces a field's text as typing would (the page hears `input`).
pub(crate) async fn type_into(client: &Client, css: &str, text: &str) {
    wait_for(client, css).await;
    client
        .execute(
            "const e = document.querySelector(arguments[0]); e.focus(); e.value = arguments[1]; \
             e.dispatchEvent(new Event('input', {bubbles: true}));",
            vec![json!(css), json!(text)],
        )
        .await
        .expect("typed");
}

/// Clicks `css` once it is there.
pub(crate) async fn press(client: &Client, css: &str) {
    wait_for(client, css).await;
    client
        .execute(
            "document.querySelector(arguments[0]).click();",
            vec![json!(css)],
        )
        .await
        .expect("clicked");
}

/// A webhook with one delivery status of a message we sent (with the business-scoped user id
/// Meta sends beside the phone number, as `text_message` does for messages).
fn status_webhook(message_id: &str, status: &str, recipient: &str) -> Vec<u8> {
    json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "584120000000", "phone_number_id": "106540352242922"},
            "statuses": [{"id": message_id, "status": status, "timestamp": now_secs().to_string(),
                "recipient_id": recipient, "recipient_user_id": format!("VE.{recipient}")}]
        }}]}]
    })
    .to_string()
    .into_bytes()
}

/// Whether a send went to the customer `phone`.
fn to(send: &Value, phone: &str) -> bool {
    send["to"] == phone || send["recipient"] == format!("VE.{phone}")
}

fn body_of(send: &Value) -> String {
    send["text"]["body"]
        .as_str()
        .or_else(|| send["interactive"]["body"]["text"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn the_inbox_follows_messages_live_and_a_reply_gets_its_ticks() {
    let Some((app, graph, browser)) = start("/inbox", 1280, 900).await else {
        return;
    };
    let client = browser.client();
    wait_for(client, "#no-conversations").await;

    // A customer writes: the conversation appears without a reload.
    let body = text_message(
        "wamid.in1",
        "584121000001",
        "Hola, ¿tienen delivery?",
        now_secs() - 2,
    );
    assert_eq!(app.webhook(&body).await.status(), 200);
    let row = "a.conversation-row[data-conversation='VE.584121000001']";
    wait_text(client, row, "Cliente").await;
    // The bot answered on its own (welcome and menu).
    let automatic = graph.wait_for_sends(1, WAIT).await.len();
    assert!(automatic >= 1, "the bot answered the first message");

    press(client, row).await;
    wait_text(
        client,
        "#thread .bubble[data-author='customer']",
        "¿tienen delivery?",
    )
    .await;
    wait_for(client, "#thread .bubble[data-author='bot']").await;
    wait_text(client, "#window-state", "Puedes escribirle hasta").await;

    // A manual reply reaches WhatsApp.
    type_into(
        client,
        "#composer-text",
        "Sí, hacemos delivery en toda la ciudad",
    )
    .await;
    press(client, "#composer button[type=submit]").await;
    let sends = graph.wait_for_sends(automatic + 1, WAIT).await;
    let reply = sends
        .iter()
        .find(|s| body_of(s).contains("hacemos delivery"))
        .expect("the manual reply reached the Graph API");
    assert!(to(reply, "584121000001"), "{reply}");
    let person = "#thread .bubble[data-author='person']";
    wait_text(client, person, "hacemos delivery").await;
    wait_for(client, &format!("{person} .tick[data-tick='sent']")).await;
    // The reply in the thread with its tick says it went: no toast over the conversation
    // repeats it.
    assert!(
        client.find(Locator::Css(".toast")).await.is_err(),
        "a toast repeats the sent reply"
    );

    // Statuses from Meta move the ticks.
    let message_id = {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let records = log_records(&app.data_path());
            let outbox = records
                .iter()
                .rev()
                .find(|r| r["kind"] == "message_out" && r["origin"]["by"] == "agent")
                .map(|r| r["outbox"].clone());
            let sent = records
                .iter()
                .find(|r| r["kind"] == "message_out_sent" && Some(&r["outbox"]) == outbox.as_ref())
                .and_then(|r| r["message_id"].as_str().map(str::to_string));
            if let Some(id) = sent {
                break id;
            }
            assert!(tokio::time::Instant::now() < deadline, "the send is logged");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    for (status, tick) in [("delivered", "delivered"), ("read", "read")] {
        let body = status_webhook(&message_id, status, "584121000001");
        assert_eq!(app.webhook(&body).await.status(), 200);
        wait_for(client, &format!("{person} .tick[data-tick='{tick}']")).await;
    }
    // Drawn again at each status, the thread still shows each message once, the reply last.
    let shown = bubbles_shown(client).await;
    let replies = shown
        .iter()
        .filter(|(_, text)| text.contains("hacemos delivery"))
        .count();
    assert_eq!(replies, 1, "{shown:#?}");
    assert!(
        shown
            .last()
            .is_some_and(|(_, text)| text.contains("hacemos delivery")),
        "{shown:#?}"
    );
    save_screenshot(client, "inbox-thread.png").await;

    // A failed status shows its reason.
    let body = json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "584120000000", "phone_number_id": "106540352242922"},
            "statuses": [{"id": message_id, "status": "failed", "timestamp": now_secs().to_string(),
                "recipient_id": "584121000001", "recipient_user_id": "VE.584121000001",
                "errors": [{"code": 131026, "title": "Message undeliverable"}]}]
        }}]}]
    })
    .to_string();
    assert_eq!(app.webhook(body.as_bytes()).await.status(), 200);
    wait_text(
        client,
        &format!("{person} .tick-reason"),
        "WhatsApp no pudo entregarlo (el número puede no tener WhatsApp) (131026)",
    )
    .await;
    browser.close().await;
}

#[tokio::test]
async fn a_customer_who_wrote_over_a_day_ago_is_offered_a_template_not_free_text() {
    if skip() {
        return;
    }
    // A customer who last wrote 30 hours ago, as the log of a running shop holds it.
    let then = (now_secs() - 30 * 3600) * 1000;
    let app = crate::helpers::spawn_app_with(move |config| {
        let log = config.data_dir.join("log");
        std::fs::create_dir_all(&log).expect("log folder");
        let records = [
            json!({"kind": "message_in", "conversation": "VE.584121000055", "id": "wamid.old1",
                "at": then, "contact": {"wa_id": "584121000055", "name": "Rosa"},
                "type": "text", "text": "¿Siguen abiertos?"}),
            json!({"kind": "contact_state", "conversation": "VE.584121000055", "at": then + 1000,
                "reason": {"because": "edited"}, "state": {"last_in_at": then}}),
        ];
        let text: String = records.iter().map(|r| format!("{r}\n")).collect();
        std::fs::write(log.join("000001-2026-12.jsonl"), text).expect("seed");
    })
    .await;
    let browser = open_with(&app, "/inbox?c=VE.584121000055", 375, 812).await;
    let client = browser.client();
    wait_text(client, "#window-state", "cerrada").await;
    wait_text(client, "#window-closed", "plantilla aprobada").await;
    assert!(
        client.find(Locator::Css("#composer-text")).await.is_err(),
        "no free-text box outside the window"
    );
    save_screenshot(client, "inbox-window-closed-375.png").await;
    browser.close().await;
}

#[tokio::test]
async fn the_inbox_search_narrows_the_list_without_a_reload() {
    let Some((app, _graph, browser)) = start("/inbox", 1280, 900).await else {
        return;
    };
    let client = browser.client();
    wait_for(client, "#no-conversations").await;
    for (id, phone) in [("wamid.s1", "584121000011"), ("wamid.s2", "584149000022")] {
        let body = text_message(id, phone, "Hola", now_secs() - 2);
        assert_eq!(app.webhook(&body).await.status(), 200);
    }
    let first = "a.conversation-row[data-conversation='VE.584121000011']";
    let second = "a.conversation-row[data-conversation='VE.584149000022']";
    wait_for(client, first).await;
    wait_for(client, second).await;

    // A mark on the page survives only if the search does not reload it.
    client
        .execute("window.__sameDocument = true;", vec![])
        .await
        .expect("marked");
    type_into(client, "#inbox-q", "58414 9000").await;
    press(client, "form.inbox-search button[type=submit]").await;
    wait_gone(client, first).await;
    wait_for(client, second).await;
    let url = client.current_url().await.expect("url");
    assert!(
        url.as_str().ends_with("/inbox?q=58414%209000")
            || url.as_str().ends_with("/inbox?q=58414+9000"),
        "{url}"
    );
    let same = client
        .execute("return window.__sameDocument === true;", vec![])
        .await
        .expect("read the mark");
    assert_eq!(same, json!(true), "the search reloaded the page");
    assert_eq!(
        client
            .find(Locator::Css("#inbox-q"))
            .await
            .expect("search box")
            .prop("value")
            .await
            .expect("value")
            .as_deref(),
        Some("58414 9000"),
        "the search box keeps what was typed"
    );

    // Words of a message find its conversation, and the row shows that message.
    let body = text_message(
        "wamid.s3",
        "584121000011",
        "¿Tienen la talla M en rojo?",
        now_secs(),
    );
    assert_eq!(app.webhook(&body).await.status(), 200);
    type_into(client, "#inbox-q", "talla rojo").await;
    press(client, "form.inbox-search button[type=submit]").await;
    wait_gone(client, second).await;
    wait_text(client, first, "¿Tienen la talla M en rojo?").await;
    browser.close().await;
}

#[tokio::test]
async fn the_takeover_switch_pauses_the_bot_for_that_customer_only() {
    let Some((app, graph, browser)) = start("/inbox", 1280, 900).await else {
        return;
    };
    let client = browser.client();
    for (id, phone) in [("wamid.a1", "584121000011"), ("wamid.b1", "584121000022")] {
        let body = text_message(id, phone, "hola", now_secs() - 2);
        assert_eq!(app.webhook(&body).await.status(), 200);
    }
    let replied = |phone: &'static str| {
        let graph = graph.clone();
        move || graph.sends().iter().filter(|s| to(s, phone)).count()
    };
    let (to_a, to_b) = (replied("584121000011"), replied("584121000022"));
    let deadline = tokio::time::Instant::now() + WAIT;
    while to_a() == 0 || to_b() == 0 {
        assert!(tokio::time::Instant::now() < deadline, "both were answered");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let row = "a.conversation-row[data-conversation='VE.584121000011']";
    press(client, row).await;
    wait_for(client, "#takeover-switch[aria-checked='false']").await;
    press(client, "#takeover-switch").await;
    wait_for(client, "#takeover-switch[aria-checked='true']").await;
    wait_text(client, "#takeover-state", "Bot en pausa hasta").await;
    wait_text(client, "#toasts", "Atiendes tú").await;
    save_screenshot(client, "inbox-takeover.png").await;

    // Both write again: only the other customer gets the bot's answer.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (before_a, before_b) = (to_a(), to_b());
    for (id, phone) in [("wamid.a2", "584121000011"), ("wamid.b2", "584121000022")] {
        let body = text_message(id, phone, "precios", now_secs() - 1);
        assert_eq!(app.webhook(&body).await.status(), 200);
    }
    let deadline = tokio::time::Instant::now() + WAIT;
    while to_b() == before_b {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the other customer is answered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        to_a(),
        before_a,
        "the bot stays quiet for the customer a person took over"
    );

    // Giving it back lets the bot answer again.
    press(client, "#takeover-switch").await;
    wait_for(client, "#takeover-switch[aria-checked='false']").await;
    let body = text_message("wamid.a3", "584121000011", "horario", now_secs() - 1);
    assert_eq!(app.webhook(&body).await.status(), 200);
    let deadline = tokio::time::Instant::now() + WAIT;
    while to_a() == before_a {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the bot answers again"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    browser.close().await;
}

#[tokio::test]
async fn a_rule_s_advanced_settings_are_folded_unless_it_uses_them() {
    let Some((app, _graph, browser)) = start("/rules", 375, 812).await else {
        return;
    };
    let client = browser.client();
    // "opciones" waits half an hour before answering the same customer again.
    let mut current = app.get_json("/api/rules").await;
    let rules = current["rules"]["rules"].as_array_mut().expect("rules");
    let opciones = rules
        .iter_mut()
        .find(|r| r["id"] == "opciones")
        .expect("the built-in opciones rule");
    opciones["cooldown_minutes"] = json!(30);
    assert_eq!(app.put_json("/api/rules", &current).await.status(), 200);
    crate::browser::visit(client, &app.url("/rules")).await;
    wait_for_hydration(client).await;

    // A rule that uses none of them shows them folded, under a title in words. On a phone
    // the form opens below the list: the page goes to it.
    press(client, "#rule-rows [data-rule='catalogo'] .rule-name").await;
    wait_in_sight(client, "#rule-editor").await;
    let folded = wait_text(client, "details.advanced:not([open])", "Avanzado").await;
    assert!(!folded.contains("Identificador"), "{folded}");
    show(client, "details.advanced").await;
    save_screenshot(client, "rules-advanced-folded-375.png").await;
    // The one that waits shows them open, with its half hour.
    press(client, "#rule-rows [data-rule='opciones'] .rule-name").await;
    wait_for(client, "details.advanced[open]").await;
    let minutes = wait_text(client, "details.advanced[open]", "Identificador").await;
    assert!(minutes.contains("Minutos antes de repetir"), "{minutes}");
    crate::pages::wait_value(client, "details.advanced input[type='number']", "30").await;
    show(client, "details.advanced").await;
    save_screenshot(client, "rules-advanced-open-375.png").await;
    browser.close().await;
}

#[tokio::test]
async fn a_rule_made_in_the_form_answers_in_the_simulator_and_on_whatsapp() {
    let Some((app, graph, browser)) = start("/rules", 1280, 900).await else {
        return;
    };
    let client = browser.client();
    press(client, "#add-rule").await;
    // The owner says what the rule is for; its id is written from that.
    type_into(client, "#rule-description", "Preguntas por envíos").await;
    wait_value(client, "#rule-id", "preguntas_por_envios").await;
    // The id is among what most rules leave as it is, folded under "Avanzado".
    wait_for(client, "details.advanced:not([open])").await;
    press(client, "details.advanced > summary").await;
    wait_for(client, "details.advanced[open]").await;
    // An id the owner writes stays.
    type_into(client, "#rule-id", "envios").await;
    type_into(
        client,
        "#rule-description",
        "Preguntas por envíos y entregas",
    )
    .await;
    wait_value(client, "#rule-id", "envios").await;
    type_into(client, "#rule-description", "Preguntas por envíos").await;
    type_into(client, "#rule-texts", "envío\ndelivery").await;
    press(client, "#add-reply-text").await;
    type_into(
        client,
        "#reply-0-text",
        "Enviamos a todo el país en 48 horas 🚚",
    )
    .await;
    wait_text(client, "#save-bar", "Cambios sin guardar").await;

    // The simulator tries the unsaved draft.
    type_into(client, "#simulator-text", "¿Hacen envío a Maracay?").await;
    press(client, "#simulator form button[type=submit]").await;
    wait_text(client, "#simulator-reason", "«Preguntas por envíos»").await;
    wait_text(client, "#simulator-result", "Enviamos a todo el país").await;
    save_screenshot(client, "rules-form.png").await;

    // A greeting with a question: the question's rule answers, and the simulator says why.
    type_into(client, "#simulator-text", "Hola! hacen envío a Arequipa?").await;
    press(client, "#simulator form button[type=submit]").await;
    let why = wait_text(client, "#simulator-reason", "El saludo no es un tema").await;
    assert!(
        why.contains("«Preguntas por envíos»") && why.contains("«Saludos"),
        "rules named as the list names them: {why}"
    );
    // A price question while the price list is still to be written: a person takes over.
    type_into(client, "#simulator-text", "¿cuánto cuesta?").await;
    press(client, "#simulator form button[type=submit]").await;
    let why = wait_text(client, "#simulator-reason", "tus productos y precios").await;
    assert!(why.contains("pasa a una persona"), "{why}");
    save_screenshot(client, "rules-simulator-needs-setup.png").await;

    press(client, "#save").await;
    wait_text(client, "#save-bar", "Todo guardado").await;
    let saved: Value = serde_json::from_slice(
        &std::fs::read(app.data_path().join("rules.json")).expect("rules.json"),
    )
    .expect("json");
    let rule = saved["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .find(|r| r["id"] == "envios")
        .expect("the new rule is in rules.json");
    assert_eq!(rule["when"]["text"], json!(["envío", "delivery"]));

    // A real customer gets that answer.
    let body = text_message("wamid.r1", "584121000033", "hacen envío?", now_secs() - 1);
    assert_eq!(app.webhook(&body).await.status(), 200);
    let deadline = tokio::time::Instant::now() + WAIT;
    while !graph
        .sends()
        .iter()
        .any(|s| to(s, "584121000033") && body_of(s).contains("Enviamos a todo el país"))
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the new rule answers on WhatsApp"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    browser.close().await;
}

#[tokio::test]
async fn rules_are_named_by_their_purpose_and_replies_show_what_they_send() {
    let Some((_app, _graph, browser)) = start("/rules", 375, 812).await else {
        return;
    };
    let client = browser.client();
    // The list names a rule by what it is for; its id is left to the form's "Avanzado".
    let row = wait_text(client, "#rule-rows [data-rule='menu']", "Saludos").await;
    assert!(!row.contains("menu"), "{row}");

    // A reply that sends a template shows the template's text, not its name.
    press(client, "#add-rule").await;
    press(client, "#add-reply-template").await;
    client
        .find(Locator::Css("#reply-0-template"))
        .await
        .expect("template picker")
        .select_by_value("bienvenida")
        .await
        .expect("chosen");
    wait_text(client, "#reply-0-template-says", "Bienvenido a").await;

    // A new button's id follows its title until someone writes one.
    press(client, "#add-reply-buttons").await;
    type_into(client, "#reply-1-option-0-title", "¿Ver precios?").await;
    let id = || async {
        client
            .find(Locator::Css("#reply-1-option-0-id"))
            .await
            .expect("id field")
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    };
    let deadline = tokio::time::Instant::now() + WAIT;
    while id().await != "ver_precios" {
        assert!(tokio::time::Instant::now() < deadline, "id: {}", id().await);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    type_into(client, "#reply-1-option-0-id", "precios_ya").await;
    type_into(client, "#reply-1-option-0-title", "Precios").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(id().await, "precios_ya", "a chosen id stays");
    save_screenshot(client, "rules-names-375.png").await;
    browser.close().await;
}

#[tokio::test]
async fn the_rules_page_shows_a_broken_hand_edit_and_a_conflict_with_both_versions() {
    let Some((app, _graph, browser)) = start("/rules", 1280, 900).await else {
        return;
    };
    let client = browser.client();
    let file = app.data_path().join("rules.json");
    let good = std::fs::read_to_string(&file).expect("rules.json");

    // A broken hand edit: the error with its line and column; the rules stay in force.
    let broken = good.replacen("\"rules\": [", "\"rules\": [,", 1);
    std::fs::write(&file, &broken).expect("hand edit");
    let shown = wait_text(client, "#file-problems", "rules.json").await;
    assert!(
        shown.contains("línea") && shown.contains("columna"),
        "{shown}"
    );
    save_screenshot(client, "rules-hand-edit-error.png").await;
    std::fs::write(&file, &good).expect("fixed");
    wait_gone(client, "#file-problems").await;

    // A change in the form while the file is edited by hand: saving shows both versions.
    press(client, ".rule-pick").await;
    type_into(client, "#rule-description", "Cambiado en el panel").await;
    wait_text(client, "#save-bar", "Cambios sin guardar").await;
    let by_hand = good
        .replacen("\"version\": 1", "\"version\": 1 ", 1)
        .replace(
            "Saludos: el menú, si el mensaje no pregunta otra cosa",
            "Cambiado a mano",
        );
    assert_ne!(by_hand, good, "the hand edit changes the file");
    std::fs::write(&file, &by_hand).expect("hand edit");
    wait_for(client, "#changed-on-disk").await;
    press(client, "#save").await;
    wait_for(client, "#conflict").await;
    // Said once, by the conflict's section: the notice it replaces goes, and no toast repeats it.
    wait_gone(client, "#changed-on-disk").await;
    let toasts = text_of(client, "#toasts").await;
    assert!(!toasts.contains("cambió"), "{toasts}");
    // Only the lines that differ, with a little around them, not two whole files.
    wait_text(client, "#conflict-changes", "Cambiado en el panel").await;
    assert_eq!(change_of(client, "Cambiado en el panel").await, "mine");
    assert_eq!(change_of(client, "Cambiado a mano").await, "file");
    let shown = client
        .find_all(Locator::Css("#conflict-changes li"))
        .await
        .expect("lines")
        .len();
    assert!(
        shown < 20 && shown < good.lines().count() / 4,
        "{shown} lines shown of a {}-line file",
        good.lines().count()
    );
    save_screenshot(client, "rules-conflict.png").await;
    press(client, "#keep-mine").await;
    wait_gone(client, "#conflict").await;
    wait_text(client, "#save-bar", "Todo guardado").await;
    let now = std::fs::read_to_string(&file).expect("rules.json");
    assert!(now.contains("Cambiado en el panel") && !now.contains("Cambiado a mano"));

    // A broken hand edit does not block saving: the conflict shows where the file broke,
    // and saving over it writes a good file.
    let now = std::fs::read_to_string(&file).expect("rules.json");
    std::fs::write(&file, now.replacen("\"rules\": [", "\"rules\": [,", 1)).expect("hand edit");
    // Where the file broke and what is wrong, in the page's language.
    let said = wait_text(client, "#file-problems", "Aquí falta un valor").await;
    assert!(said.contains("rules.json, línea "), "{said}");
    type_into(
        client,
        "#rule-description",
        "Guardado sobre el archivo roto",
    )
    .await;
    press(client, "#save").await;
    wait_text(client, "#conflict-changes", "[,").await;
    assert_eq!(change_of(client, "[,").await, "file");
    save_screenshot(client, "rules-conflict-broken-file.png").await;
    press(client, "#keep-mine").await;
    wait_gone(client, "#conflict").await;
    wait_text(client, "#save-bar", "Todo guardado").await;
    wait_gone(client, "#file-problems").await;
    let saved = std::fs::read_to_string(&file).expect("rules.json");
    serde_json::from_str::<Value>(&saved).expect("the file is good JSON again");
    assert!(saved.contains("Guardado sobre el archivo roto"), "{saved}");
    browser.close().await;
}

/// Which side of a conflict's differences the line holding `text` is on (`mine`, `file`).
async fn change_of(client: &Client, text: &str) -> String {
    client
        .execute(
            "const line = [...document.querySelectorAll('#conflict-changes li')]
                 .find(l => l.textContent.includes(arguments[0]));
             return line ? line.dataset.change : 'none';",
            vec![json!(text)],
        )
        .await
        .expect("script")
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn templates_preview_as_typed_and_save_to_the_templates_folder() {
    let Some((app, _graph, browser)) = start("/templates", 1280, 900).await else {
        return;
    };
    let client = browser.client();
    press(client, "[data-template='bienvenida']").await;
    wait_text(client, "#template-title", "Bienvenida").await;
    type_into(
        client,
        "#template-text",
        "¡Hola, {{nombre}}! Bienvenido a *{{negocio}}*.",
    )
    .await;
    wait_text(
        client,
        "#template-preview",
        "¡Hola, María! Bienvenido a Mi Tienda.",
    )
    .await;
    let bold = text_of(client, "#template-preview .wa-bold").await;
    assert_eq!(bold, "Mi Tienda");

    // An unclosed variable is explained at once and the text cannot be saved.
    type_into(client, "#template-text", "Hola {{nombre").await;
    // In the page's language, not the server's English.
    wait_text(client, "#template-problems", "«{{» no se cierra con «}}»").await;
    wait_for(client, "#save-template[disabled]").await;

    type_into(
        client,
        "#template-text",
        "¡Hola, {{nombre}}! Pasa por *{{negocio}}*.",
    )
    .await;
    wait_gone(client, "#template-problems li").await;
    press(client, "#save-template").await;
    wait_text(client, "#toasts", "Guardado").await;
    let file = app.templates_path().join("bienvenida.txt");
    let deadline = tokio::time::Instant::now() + WAIT;
    while std::fs::read_to_string(&file).map_or(true, |t| !t.contains("Pasa por")) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "templates/bienvenida.txt is written"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    wait_for(client, "#restore-template").await;
    save_screenshot(client, "templates.png").await;
    browser.close().await;
}

#[tokio::test]
async fn settings_save_and_the_connection_test_reports_metas_answer() {
    let Some((app, _graph, browser)) = start("/settings", 1280, 900).await else {
        return;
    };
    let client = browser.client();
    let url = wait_text(client, "#webhook-url", "/webhook").await;
    assert_eq!(url, app.url("/webhook"), "the webhook URL is this server's");
    // On a laptop a shift's pickers have room for a 12-hour "09:00 AM" and the picker's icon
    // (the days' columns were once too narrow for it: "09:0").
    let narrowest = -extreme(client, ".shift input[type=time]", "-width").await;
    assert!(narrowest >= 115.0, "a time picker is {narrowest} px wide");
    wait_text(client, "#verify-token", crate::helpers::VERIFY_TOKEN).await;
    // The server's environment sets the connection here: shown masked and locked.
    wait_for(client, "#meta-access-token:disabled").await;
    let token = client
        .find(Locator::Css("#meta-access-token"))
        .await
        .expect("token field")
        .attr("placeholder")
        .await
        .expect("placeholder")
        .unwrap_or_default();
    assert!(
        token.starts_with("••••") && !token.contains(crate::fake_graph::ACCESS_TOKEN),
        "the token is masked: {token}"
    );
    wait_text(
        client,
        "#meta-access-token-hint",
        "configuración del servidor",
    )
    .await;

    type_into(client, "#business-name", "La Esquina").await;
    type_into(client, "#time-zone", "Mars/Olympus").await;
    wait_text(client, "#save-bar", "Cambios sin guardar").await;
    // The server's check explains the bad zone beside the field.
    let deadline = tokio::time::Instant::now() + WAIT;
    while client
        .find(Locator::Css("#time-zone[aria-invalid='true']"))
        .await
        .is_err()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the bad zone is flagged"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let said = wait_text(client, ".field-error", "no es una zona horaria conocida").await;
    assert!(
        said.contains("Mars/Olympus") && !said.contains("unknown"),
        "{said}"
    );
    // Saved anyway, it is refused, and says so.
    press(client, "#save").await;
    wait_text(client, "#toasts", "No se pudo guardar").await;
    type_into(client, "#time-zone", "America/Bogota").await;
    wait_gone(client, "#time-zone[aria-invalid='true']").await;
    press(client, "#save").await;
    wait_text(client, "#save-bar", "Todo guardado").await;
    // The save bar says it is saved; the refusal before it does not stay on screen, and no
    // toast repeats the bar.
    wait_gone(client, "#toasts .toast[data-tone='error']").await;
    let toasts = text_of(client, "#toasts").await;
    assert!(!toasts.contains("Guardado"), "{toasts}");
    let saved = std::fs::read_to_string(app.data_path().join("settings.json")).expect("settings");
    assert!(
        saved.contains("La Esquina") && saved.contains("America/Bogota"),
        "{saved}"
    );

    press(client, "#test-connection").await;
    let result = wait_text(client, "#connection-result [data-ok='true']", "Mi Tienda").await;
    assert!(
        result.contains("+58 412-0000000") && result.contains("alta (verde)"),
        "{result}"
    );
    save_screenshot(client, "settings.png").await;
    browser.close().await;
}

#[tokio::test]
async fn users_invite_make_tokens_and_read_the_audit_log() {
    let Some((app, _graph, browser)) = start("/users", 1280, 900).await else {
        return;
    };
    let client = browser.client();
    wait_for(client, "#users tr[data-user='admin']").await;
    wait_for(client, "#audit tr[data-action='setup']").await;
    type_into(client, "#invitation-note", "Luis, de la tarde").await;
    // How long it stays valid is picked in days, not typed in hours.
    let choices = wait_text(client, "#invitation-hours", "1 semana").await;
    assert!(
        choices.contains("3 días") && !choices.contains("horas"),
        "{choices}"
    );
    press(client, "#invite").await;
    let secret = wait_text(client, "#new-secret", "/register").await;
    assert!(
        secret.contains("Invitación creada") && secret.contains("Ya la envié"),
        "{secret}"
    );
    // The code is shown once, inside its link, not a second time on its own.
    assert!(
        client
            .find(Locator::Css("#new-secret .secret-value"))
            .await
            .is_err(),
        "the invitation's code shown apart from its link: {secret}"
    );
    // The invitation is a link with the code in it, to copy or send over WhatsApp.
    let link = wait_text(client, "#invitation-link", "/register?code=").await;
    assert!(link.starts_with(&app.url("/register?code=")), "{link}");
    let share = client
        .find(Locator::Css("#share-invitation"))
        .await
        .expect("share button")
        .attr("href")
        .await
        .expect("href")
        .unwrap_or_default();
    assert!(share.starts_with("https://wa.me/?text="), "{share}");
    assert!(share.contains("register%3Fcode%3D"), "{share}");
    save_screenshot(client, "users-invitation.png").await;
    wait_text(client, "#invitations", "Luis, de la tarde").await;
    type_into(client, "#token-name", "copia nocturna").await;
    press(client, "#make-token").await;
    let token = wait_text(client, "#new-secret .secret-value", "ccl_").await;
    assert!(!token.contains(' '), "{token}");
    wait_text(client, "#tokens", "copia nocturna").await;
    wait_for(client, "#audit tr[data-action='token_created']").await;
    // The audit log reads in the page's language, not as the file's action names.
    let row = wait_text(
        client,
        "#audit tr[data-action='token_created']",
        "Clave de API creada",
    )
    .await;
    assert!(
        row.contains("Agente") && !row.contains("token_created"),
        "{row}"
    );
    // Who made them is named, not given by an id.
    for list in ["#invitations", "#tokens"] {
        let shown = wait_text(client, list, "admin").await;
        assert!(!shown.contains("u_"), "{list} shows an account id: {shown}");
    }
    save_screenshot(client, "users.png").await;
    browser.close().await;

    // On a phone the invitation's link wraps inside its card instead of widening the page.
    let phone = crate::browser::open_with(&app, "/users", 375, 812).await;
    let client = phone.client();
    type_into(client, "#invitation-note", "Marta, fines de semana").await;
    press(client, "#invite").await;
    wait_text(client, "#invitation-link", "/register?code=").await;
    let wide = client
        .execute(
            "return [document.documentElement.scrollWidth, window.innerWidth];",
            vec![],
        )
        .await
        .expect("width");
    assert!(
        wide[1].as_i64().is_some_and(|w| w <= 400) && wide[0].as_i64() <= wide[1].as_i64(),
        "the invitation fits a phone: [page width, window width] = {wide}"
    );
    save_screenshot(client, "users-invitation-375.png").await;
    phone.close().await;
}

#[tokio::test]
async fn every_page_fits_a_desktop_and_a_phone() {
    if skip() {
        return;
    }
    let (app, graph) = spawn_app_with_graph().await;
    app.admin_session().await;
    let body = text_message("wamid.s1", "584121000044", "Hola, *buenas*", now_secs() - 2);
    assert_eq!(app.webhook(&body).await.status(), 200);
    graph.wait_for_sends(1, WAIT).await;
    let pages = [
        ("/", "overview"),
        ("/inbox", "inbox"),
        ("/inbox?c=VE.584121000044", "inbox-open"),
        ("/rules", "rules"),
        ("/templates", "templates"),
        ("/quick-replies", "quick-replies"),
        ("/analytics", "analytics"),
        ("/settings", "settings"),
        ("/users", "users"),
    ];
    for (width, height, suffix) in [(1280, 900, "desktop"), (375, 812, "375px")] {
        let browser = launch(width, height).await;
        let client = browser.client();
        sign_in(client, &app, ADMIN_PASSWORD).await;
        for (path, name) in pages {
            crate::browser::visit(client, &app.url(path)).await;
            wait_for_hydration(client).await;
            wait_gone(client, ".loading[role='status']").await;
            let overflow = client
                .execute(
                    "return document.documentElement.scrollWidth - window.innerWidth;",
                    vec![],
                )
                .await
                .expect("script")
                .as_i64()
                .expect("number");
            if width == 375 {
                assert!(overflow <= 0, "{path} overflows by {overflow} px at 375 px");
            }
            save_screenshot(client, &format!("page-{name}-{suffix}.png")).await;
        }
        browser.close().await;
    }
}

#[tokio::test]
async fn a_template_still_to_fill_in_is_named_on_the_overview_and_explained_on_its_page() {
    let Some((app, _graph, browser)) = start("/", 1280, 900).await else {
        return;
    };
    let client = browser.client();
    // The built-in price list is still to be written: the overview says so, in Spanish.
    let alert = wait_text(client, "#alerts", "tus productos y precios").await;
    assert!(!alert.contains("[["), "{alert}");
    let text = wait_text(client, "#alerts", "Textos por completar").await;
    assert!(text.contains("el enlace de tu catálogo"), "{text}");
    // Two texts to fill in, one explanation: each text on its line with what it needs.
    assert_eq!(text.matches("Textos por completar").count(), 1, "{text}");
    assert_eq!(
        client
            .find_all(Locator::Css("#alerts .alert-texts li"))
            .await
            .expect("texts")
            .len(),
        2,
        "{text}"
    );
    // The text is named by its title, as the texts page names it.
    let link = wait_text(
        client,
        "#alerts a.alert-link[href='/templates?template=precios']",
        "Precios",
    )
    .await;
    assert_eq!(link, "Precios");
    save_screenshot(client, "fill-in-overview-owner-es-1280.png").await;

    // Its link opens the template, which explains what to write and what the bot does.
    client
        .find(Locator::Css(
            "#alerts a.alert-link[href='/templates?template=precios']",
        ))
        .await
        .expect("link")
        .click()
        .await
        .expect("click");
    wait_text(client, "#template-title", "Precios").await;
    wait_text(
        client,
        "#template-fill-ins",
        "Este texto aún no se envía a los clientes",
    )
    .await;
    wait_text(
        client,
        "#template-fill-ins",
        "tus productos y precios, uno por línea",
    )
    .await;
    wait_text(client, "[data-template='precios'] .badge", "por completar").await;
    save_screenshot(client, "fill-in-template-owner-es-1280.png").await;

    // Filled in: the notice goes, and after saving so does the overview's alert.
    type_into(
        client,
        "#template-text",
        "💲 *Precios*\nCamiseta: S/ 35\nPantalón: S/ 80",
    )
    .await;
    wait_gone(client, "#template-fill-ins").await;
    press(client, "#save-template").await;
    wait_text(client, "#toasts", "Guardado").await;
    crate::browser::visit(client, &app.url("/")).await;
    wait_for_hydration(client).await;
    let alerts = wait_text(client, "#alerts", "catálogo").await;
    assert!(!alerts.contains("productos y precios"), "{alerts}");

    // In English, on a phone.
    browser.close().await;
    let browser = crate::browser::launch(375, 812).await;
    let client = browser.client();
    crate::browser::sign_in(client, &app, ADMIN_PASSWORD).await;
    crate::browser::visit(client, &app.url("/")).await;
    wait_for_hydration(client).await;
    client
        .find(Locator::Css(".language-switch"))
        .await
        .expect("switch")
        .click()
        .await
        .expect("click");
    wait_text(client, "#alerts", "Texts still to fill in").await;
    wait_text(client, "#alerts a.alert-link", "Catalogue").await;
    save_screenshot(client, "fill-in-overview-owner-en-375.png").await;
    crate::browser::visit(client, &app.url("/templates?template=catalogo")).await;
    wait_for_hydration(client).await;
    // On a phone the text asked for is below the list: the page goes to it.
    wait_in_sight(client, "#template-editor").await;
    wait_text(
        client,
        "#template-fill-ins",
        "This text is not sent to customers yet",
    )
    .await;
    save_screenshot(client, "fill-in-template-owner-en-375.png").await;
    browser.close().await;

    // An agent sees the same on the overview, at both widths.
    app.register("agent", "agente", "clave de la agente").await;
    for (width, height, suffix) in [(375, 812, "375"), (1280, 900, "1280")] {
        let browser = crate::browser::launch(width, height).await;
        let client = browser.client();
        crate::browser::sign_in_as(client, &app, "agente", "clave de la agente").await;
        wait_for_hydration(client).await;
        wait_text(client, "#alerts", "Textos por completar").await;
        save_screenshot(client, &format!("fill-in-overview-agent-es-{suffix}.png")).await;
        crate::browser::visit(client, &app.url("/templates?template=catalogo")).await;
        wait_for_hydration(client).await;
        wait_text(client, "#template-fill-ins", "el enlace de tu catálogo").await;
        save_screenshot(client, &format!("fill-in-template-agent-es-{suffix}.png")).await;
        browser.close().await;
    }
}

/// The document's title, as the tab shows it.
async fn title(client: &Client) -> String {
    client
        .execute("return document.title;", vec![])
        .await
        .expect("title")
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Waits until `check` holds for the tab's title.
async fn wait_title(client: &Client, check: impl Fn(&str) -> bool, what: &str) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let now = title(client).await;
        if check(&now) {
            return now;
        }
        assert!(tokio::time::Instant::now() < deadline, "{what}: {now:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The notifications the page made, through a stand-in for the browser's (headless Chromium
/// cannot grant the permission).
async fn notes(client: &Client) -> Vec<String> {
    let value = client
        .execute("return window.__notes || [];", vec![])
        .await
        .expect("notes");
    serde_json::from_value(value).unwrap_or_default()
}

#[tokio::test]
async fn the_tab_counts_unread_chats_and_alerts_announce_messages_and_handovers() {
    let Some((app, _graph, browser)) = start("/rules", 1280, 900).await else {
        return;
    };
    let client = browser.client();
    wait_text(client, "#notify-switch", "Activar notificaciones").await;
    client
        .execute(
            "window.__notes = [];
             window.Notification = function (title, options) {
                 window.__notes.push(title + ' | ' + (options && options.body));
             };
             window.Notification.permission = 'granted';
             window.Notification.requestPermission = () => Promise.resolve('granted');",
            vec![],
        )
        .await
        .expect("stand-in");
    press(client, "#notify-switch").await;
    wait_text(client, "#notify-switch", "Notificaciones activadas").await;
    wait_for(client, "#notify-switch[aria-pressed='true']").await;
    let stored = client
        .execute(
            "return localStorage.getItem('cocolu_notify:admin');",
            vec![],
        )
        .await
        .expect("stored");
    assert_eq!(stored, json!("on"), "remembered for this person");

    // A customer writes while the owner is on another page.
    let body = text_message(
        "wamid.n1",
        "584121000099",
        "¿Tienen talla M?",
        now_secs() - 1,
    );
    assert_eq!(app.webhook(&body).await.status(), 200);
    let shown = wait_title(client, |t| t.starts_with("(1) "), "the unread count").await;
    assert!(shown.contains("Cocolu"), "{shown}");
    let deadline = tokio::time::Instant::now() + WAIT;
    while !notes(client)
        .await
        .iter()
        .any(|n| n.contains("¿Tienen talla M?"))
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            notes(client).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        notes(client).await[0].starts_with("Cliente | "),
        "named: {:?}",
        notes(client).await
    );

    // Asking for a person is announced as such.
    let body = text_message(
        "wamid.n2",
        "584121000099",
        "quiero hablar con una persona",
        now_secs(),
    );
    assert_eq!(app.webhook(&body).await.status(), 200);
    let deadline = tokio::time::Instant::now() + WAIT;
    while !notes(client)
        .await
        .iter()
        .any(|n| n.contains("Quiere hablar con una persona"))
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{:?}",
            notes(client).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Opening the conversation reads it: the count goes.
    crate::browser::visit(client, &app.url("/inbox?c=VE.584121000099")).await;
    wait_title(
        client,
        |t| !t.starts_with('('),
        "no unread chat after reading it",
    )
    .await;
    save_screenshot(client, "notify-after-reading.png").await;
    browser.close().await;
}

/// Where `css` is on screen: `[left, top, width, height]` (zeros when hidden).
async fn rect(client: &Client, css: &str) -> Vec<f64> {
    let value = client
        .execute(
            "const e = document.querySelector(arguments[0]);
             if (!e) return [0, 0, 0, 0];
             const r = e.getBoundingClientRect();
             return [r.left, r.top, r.width, r.height];",
            vec![json!(css)],
        )
        .await
        .expect("rect");
    serde_json::from_value(value).unwrap_or_default()
}

#[tokio::test]
async fn on_a_phone_an_open_conversation_takes_the_whole_screen_with_the_contact_behind_a_button() {
    if skip() {
        return;
    }
    let (app, graph) = spawn_app_with_graph().await;
    let body = text_message("wamid.p1", "584121000066", "Hola", now_secs() - 2);
    assert_eq!(app.webhook(&body).await.status(), 200);
    graph.wait_for_sends(1, WAIT).await;
    let browser = open_with(&app, "/inbox?c=VE.584121000066", 375, 812).await;
    let client = browser.client();
    wait_for(client, "#composer-text").await;
    let screen = rect(client, ".inbox-thread").await;
    assert_eq!(screen, vec![0.0, 0.0, 375.0, 812.0], "the whole screen");
    let composer = rect(client, "#composer").await;
    assert!(
        composer[1] + composer[3] <= 812.0 && composer[3] > 0.0,
        "the composer is on screen: {composer:?}"
    );
    let thread = rect(client, "#thread").await;
    assert!(
        thread[3] > 350.0,
        "the thread has most of the height: {thread:?}"
    );
    assert_eq!(
        rect(client, "#contact-panel").await[3],
        0.0,
        "behind a button"
    );
    save_screenshot(client, "phone-conversation.png").await;

    press(client, "#contact-toggle").await;
    wait_for(client, "#contact-toggle[aria-expanded='true']").await;
    assert!(
        rect(client, "#contact-panel").await[3] > 0.0,
        "the contact is shown"
    );
    assert_eq!(
        rect(client, "#thread").await[3],
        0.0,
        "in the thread's place"
    );
    // The customer is named by name and phone; the conversation's id is not shown besides.
    let facts = wait_text(client, "#contact-panel .contact-facts", "+58").await;
    assert!(!facts.contains("VE."), "{facts}");
    save_screenshot(client, "phone-contact.png").await;
    press(client, "#contact-toggle").await;
    wait_for(client, "#contact-toggle[aria-expanded='false']").await;

    // The back arrow leads to the list, with the navigation.
    press(client, ".conversation-header .back-link").await;
    wait_for(
        client,
        "a.conversation-row[data-conversation='VE.584121000066']",
    )
    .await;
    assert!(
        rect(client, "#sidebar").await[2] <= 64.0,
        "the rail stays narrow"
    );
    // The search takes two rows: the box, then the filter beside Buscar.
    let (filter, button) = (
        rect(client, "#inbox-filter").await,
        rect(client, ".inbox-search .button").await,
    );
    assert!(
        rect(client, "#inbox-q").await[1] < filter[1] && (filter[1] - button[1]).abs() < 24.0,
        "filter {filter:?} and Buscar {button:?} on one row"
    );
    // Each page's icon has its word under it (a phone has no hover to tell them apart).
    let rail = text_of(client, ".nav-list").await;
    for word in [
        "Resumen", "Bandeja", "Reglas", "Textos", "Rápidas", "Ajustes",
    ] {
        assert!(rail.contains(word), "{word} under its icon: {rail:?}");
    }
    let widest = extreme(client, ".nav-short", "right").await;
    assert!(widest <= 64.0, "the words fit the rail: {widest}");
    browser.close().await;
}

#[tokio::test]
async fn settings_take_hours_as_people_write_them_and_offer_the_device_s_time_zone() {
    let Some((app, _graph, browser)) = start("/settings", 375, 812).await else {
        return;
    };
    let client = browser.client();
    // Hours on time pickers: Monday closes for lunch and opens again in the afternoon.
    wait_value(client, "#hours-monday-0-from", "09:00").await;
    pick_value(client, "#hours-monday-0-to", "14:00").await;
    press(client, "#hours-monday-add").await;
    wait_for(client, "#hours-monday-1-from").await;
    pick_value(client, "#hours-monday-1-from", "17:00").await;
    pick_value(client, "#hours-monday-1-to", "20:30").await;
    // Sunday has no hours: closed, in words. Saturday's are taken away.
    wait_text(client, "#hours-sunday", "Cerrado").await;
    press(client, "#hours-saturday .chip-remove").await;
    wait_text(client, "#hours-saturday", "Cerrado").await;
    // The device's own zone is offered while the field says another.
    let offered = wait_text(client, "#use-device-zone", "").await;
    assert!(!offered.trim().is_empty(), "a zone is offered");
    press(client, "#use-device-zone").await;
    let zone = client
        .find(Locator::Css("#time-zone"))
        .await
        .expect("field")
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default();
    assert_eq!(zone, offered.trim());
    wait_gone(client, "#use-device-zone").await;
    press(client, "#save").await;
    wait_text(client, "#save-bar", "Todo guardado").await;
    let saved: Value = serde_json::from_slice(
        &std::fs::read(app.data_path().join("settings.json")).expect("settings"),
    )
    .expect("json");
    assert_eq!(
        saved["hours"]["monday"],
        json!(["09:00-14:00", "17:00-20:30"])
    );
    assert_eq!(saved["hours"]["saturday"], json!([]));
    assert_eq!(saved["time_zone"], json!(zone));
    // The pinned save bar keeps to one row on a phone.
    let bar = client
        .execute(
            "return document.getElementById('save-bar').getBoundingClientRect().height;",
            vec![],
        )
        .await
        .expect("script");
    assert!(
        bar.as_f64().is_some_and(|h| h < 60.0),
        "save bar {bar} px high"
    );
    show(client, "#hours-monday").await;
    save_screenshot(client, "settings-hours-375.png").await;

    // Closed days are picked on a calendar and read with the month in words.
    wait_text(client, "#hours-closed", "Ningún día todavía").await;
    for day in ["2026-12-25", "2026-01-01"] {
        pick_value(client, "#hours-closed-new", day).await;
        press(client, "#hours-closed-add").await;
    }
    let days = wait_text(client, "#hours-closed", "25 dic 2026").await;
    assert!(
        matches!(
            (days.find("1 ene 2026"), days.find("25 dic 2026")),
            (Some(first), Some(second)) if first < second
        ) && !days.contains("2026-"),
        "in order, as dates are read: {days}"
    );
    press(client, "button[aria-label='Quitar 1 ene 2026']").await;
    wait_gone(client, "button[aria-label='Quitar 1 ene 2026']").await;
    press(client, "#save").await;
    wait_text(client, "#save-bar", "Todo guardado").await;
    let saved: Value = serde_json::from_slice(
        &std::fs::read(app.data_path().join("settings.json")).expect("settings"),
    )
    .expect("json");
    assert_eq!(saved["hours"]["closed"], json!(["2026-12-25"]));
    show(client, "#hours-closed").await;
    save_screenshot(client, "settings-closed-days-375.png").await;
    browser.close().await;
}

/// Picks `value` in a date or time field, as its picker does (`2026-12-25`, `14:00`).
async fn pick_value(client: &Client, css: &str, value: &str) {
    client
        .execute(
            "const field = document.querySelector(arguments[0]); field.value = arguments[1]; \
             field.dispatchEvent(new Event('input', { bubbles: true })); \
             field.dispatchEvent(new Event('change', { bubbles: true }));",
            vec![json!(css), json!(value)],
        )
        .await
        .expect("value picked");
}

#[tokio::test]
async fn labels_show_in_the_list_in_colour_and_filter_it() {
    let Some((app, _graph, browser)) = start("/inbox", 1280, 900).await else {
        return;
    };
    let client = browser.client();
    for (id, phone) in [("wamid.t1", "584121000071"), ("wamid.t2", "584121000072")] {
        let body = text_message(id, phone, "Hola", now_secs() - 2);
        assert_eq!(app.webhook(&body).await.status(), 200);
    }
    let response = app
        .post_json(
            "/api/conversations/VE.584121000071/contact",
            &json!({"add_labels": ["vip"]}),
        )
        .await;
    assert_eq!(response.status(), 202);
    tokio::time::sleep(Duration::from_millis(500)).await;
    client.refresh().await.expect("reload");
    wait_for_hydration(client).await;
    let row = "a.conversation-row[data-conversation='VE.584121000071']";
    let tag = wait_text(client, &format!("{row} .label-tag"), "vip").await;
    assert_eq!(tag, "vip");
    let class = client
        .find(Locator::Css(&format!("{row} .label-tag")))
        .await
        .expect("tag")
        .attr("class")
        .await
        .expect("class")
        .unwrap_or_default();
    assert!(class.contains("label-c"), "coloured: {class}");
    client
        .find(Locator::Css("#inbox-filter"))
        .await
        .expect("filter")
        .select_by_value("label:vip")
        .await
        .expect("chosen");
    wait_gone(
        client,
        "a.conversation-row[data-conversation='VE.584121000072']",
    )
    .await;
    wait_for(client, row).await;
    save_screenshot(client, "inbox-label-filter.png").await;
    browser.close().await;
}

#[tokio::test]
async fn on_a_phone_every_account_s_actions_are_on_the_screen() {
    if skip() {
        return;
    }
    let (app, _graph) = spawn_app_with_graph().await;
    app.admin_session().await;
    app.register("agent", "rosa", "la clave de rosa").await;
    let browser = open_with(&app, "/users", 375, 812).await;
    let client = browser.client();
    let row = "#users tr[data-user='rosa']";
    wait_for(client, &format!("{row} .row-actions button")).await;
    let buttons = client
        .execute(
            "return [...document.querySelectorAll(arguments[0] + ' .row-actions button')]
                 .map(b => b.getBoundingClientRect().right);",
            vec![json!(row)],
        )
        .await
        .expect("buttons");
    let rights: Vec<f64> = serde_json::from_value(buttons).expect("numbers");
    assert!(!rights.is_empty());
    assert!(
        rights.iter().all(|right| *right <= 375.0),
        "the buttons fit the screen: {rights:?}"
    );
    let role = rect(client, &format!("{row} td:nth-child(2)")).await;
    assert!(
        role[0] + role[2] <= 375.0,
        "the role is on screen: {role:?}"
    );
    save_screenshot(client, "users-375.png").await;
    browser.close().await;
}

/// The owner changes the welcome text right where it is chosen in Settings, on a phone; the
/// template's file holds it and the bot's next welcome says it.
#[tokio::test]
async fn the_welcome_text_is_changed_where_it_is_chosen() {
    let Some((app, graph, browser)) = start("/settings", 375, 812).await else {
        return;
    };
    let client = browser.client();
    let preview = "#welcome-template-text .template-preview";
    wait_text(client, preview, "Bienvenido").await;
    press(client, "#welcome-template-text .edit-text").await;
    // The keyboard goes into the box that opened.
    wait_focus(client, "welcome-template-editor").await;
    // A text the server refuses is explained under the box, in Spanish.
    type_into(client, "#welcome-template-editor", "¡Hola, {{nombre!").await;
    press(client, "#welcome-template-text .save-text").await;
    let why = wait_text(client, "#welcome-template-editor-error", "{{").await;
    assert!(!why.contains("never closed"), "in Spanish: {why}");
    // Cancelling a change asks first; saying no keeps it.
    client
        .execute(
            "window.confirm = () => { window.asked = true; return false; };",
            vec![],
        )
        .await
        .expect("confirm");
    press(client, "#welcome-template-text .cancel-text").await;
    let asked = client
        .execute("return window.asked === true;", vec![])
        .await
        .expect("asked");
    assert_eq!(asked, json!(true), "Cancelar asks before dropping a change");
    wait_for(client, "#welcome-template-editor").await;
    type_into(
        client,
        "#welcome-template-editor",
        "¡Hola, {{nombre}}! Bienvenido a *La Esquina*.",
    )
    .await;
    wait_text(
        client,
        "#welcome-template-text",
        "Es el texto «Bienvenida»: el cambio vale en todo lo que lo usa",
    )
    .await;
    // Choosing another template meanwhile does not send this text to that one.
    client
        .execute(
            "const s = document.querySelector('#welcome-template'); s.value = 'menu';
             s.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![],
        )
        .await
        .expect("chose another");
    wait_text(client, "#welcome-template-text", "«Bienvenida»").await;
    press(client, "#welcome-template-text .save-text").await;
    // The settings in force still name the welcome template: the bot uses the text at once.
    let toast = wait_text(client, ".toast", "El bot ya usa este texto").await;
    assert_eq!(toast.matches("uardado").count(), 1, "said once: {toast}");
    // Saved, the keyboard is back on the button that opened the box.
    wait_focus(client, "welcome-template-edit").await;
    assert!(
        !app.templates_path().join("menu.txt").exists(),
        "the menu is untouched"
    );
    client
        .execute(
            "const s = document.querySelector('#welcome-template'); s.value = 'bienvenida';
             s.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![],
        )
        .await
        .expect("chose it back");
    let shown = wait_text(client, preview, "La Esquina").await;
    assert!(!shown.contains('*'), "shown as WhatsApp shows it: {shown}");
    assert!(
        shown.contains("¡Hola, María!") && !shown.contains("{{"),
        "read with an example name: {shown}"
    );
    save_screenshot(client, "settings-welcome-text-375.png").await;
    let file = std::fs::read_to_string(app.templates_path().join("bienvenida.txt")).expect("file");
    assert!(file.contains("Bienvenido a *La Esquina*"), "{file}");
    // A hand edit of the text shows here without a reload.
    std::fs::write(
        app.templates_path().join("bienvenida.txt"),
        "¡Hola, {{nombre}}! Bienvenido a *La Esquina*, ahora también los domingos.",
    )
    .expect("hand edit");
    wait_text(client, preview, "también los domingos").await;
    std::fs::write(
        app.templates_path().join("bienvenida.txt"),
        "¡Hola, {{nombre}}! Bienvenido a *La Esquina*.",
    )
    .expect("hand edit back");
    wait_text(client, preview, "La Esquina.").await;

    let body = text_message("wamid.welcome.1", "584121000055", "hola", now_secs());
    assert_eq!(app.webhook(&body).await.status(), 200);
    let sends = graph.wait_for_sends(1, WAIT).await;
    assert!(
        sends
            .iter()
            .any(|s| body_of(s).contains("Bienvenido a *La Esquina*")),
        "{sends:?}"
    );
    browser.close().await;
}

/// The largest of one side of the boxes matching `css` (`right`, `width`); `-width` gives the
/// smallest width, negated.
async fn extreme(client: &Client, css: &str, side: &str) -> f64 {
    let (sign, side) = match side.strip_prefix('-') {
        Some(side) => (-1.0, side),
        None => (1.0, side),
    };
    client
        .execute(
            "return Math.max(...[...document.querySelectorAll(arguments[0])]
                 .map(e => arguments[2] * e.getBoundingClientRect()[arguments[1]]));",
            vec![css.into(), side.into(), sign.into()],
        )
        .await
        .expect("script")
        .as_f64()
        .unwrap_or(f64::NAN)
}

/// The visible text of the first element matching `css`, as it is now.
pub async fn text_of(client: &Client, css: &str) -> String {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
}

/// The thread's bubbles as shown, top to bottom: each one's kind and text.
pub async fn bubbles_shown(client: &Client) -> Vec<(String, String)> {
    let shown = client
        .execute(
            "return [...document.querySelectorAll('#thread .bubble')]
                 .map(b => [b.dataset.kind || '', b.innerText]);",
            vec![],
        )
        .await
        .expect("bubbles");
    serde_json::from_value(shown).expect("pairs")
}

/// A long conversation opens on its latest messages; "Mensajes anteriores" adds the earlier
/// ones on top, each once and in order, until the first.
#[tokio::test]
async fn earlier_messages_load_on_top_each_once_and_in_order() {
    let Some((app, _graph, browser)) = start("/", 1280, 900).await else {
        return;
    };
    let client = browser.client();
    let start = now_secs() - 3600;
    let write = |numbers: std::ops::RangeInclusive<i64>| {
        let app = &app;
        async move {
            for n in numbers {
                let body = text_message(
                    &format!("wamid.long{n:03}"),
                    "584121000055",
                    &format!("mensaje {n:03}"),
                    start + n,
                );
                assert_eq!(app.webhook(&body).await.status(), 200);
            }
        }
    };
    write(1..=120).await;
    crate::browser::visit(client, &app.url("/inbox?c=VE.584121000055")).await;
    wait_for_hydration(client).await;
    wait_text(client, "#thread", "mensaje 120").await;
    let first = bubbles_shown(client).await;
    assert!(
        !first.iter().any(|(_, text)| text.contains("mensaje 001")),
        "the first page is the latest: {first:#?}"
    );
    for round in 0..20 {
        if round == 1 {
            // Messages that come while earlier pages are shown move the latest page on: the
            // records between the two are read too, so nothing goes missing.
            write(121..=125).await;
            wait_text(client, "#thread", "mensaje 125").await;
        }
        if client.find(Locator::Css(".older-button")).await.is_err() {
            break;
        }
        let before = bubbles_shown(client).await.len();
        press(client, ".older-button").await;
        let deadline = tokio::time::Instant::now() + WAIT;
        while bubbles_shown(client).await.len() <= before {
            assert!(
                tokio::time::Instant::now() < deadline,
                "earlier messages load"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let shown = bubbles_shown(client).await;
    let customer: Vec<&str> = shown
        .iter()
        .filter_map(|(_, text)| {
            text.split_whitespace()
                .nth(1)
                .filter(|_| text.starts_with("mensaje "))
        })
        .collect();
    let expected: Vec<String> = (1..=125).map(|n| format!("{n:03}")).collect();
    assert_eq!(customer, expected, "every message once, in order");
    save_screenshot(client, "thread-earlier-messages.png").await;
    browser.close().await;
}
