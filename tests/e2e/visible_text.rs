//! What a person reads, page by page and form by form, in Spanish and English, as the owner
//! and as an agent, on a phone and a laptop: never program text (a `view!` attribute that
//! swallowed code shows it as text, as "Añadir un botón" once did), never a key of the text
//! table, never `undefined`, `NaN` or `[object Object]`. Every state is also a screenshot in
//! `test-artifacts/`.

use crate::browser::{launch, save_screenshot, sign_in_as, skip, wait_for_hydration};
use crate::helpers::{now_secs, spawn_app_with_graph, text_message, ADMIN_PASSWORD, ADMIN_USER};
use crate::pages::{press, wait_for, wait_text};
use fantoccini::{Client, Locator};
use std::time::Duration;

const AGENT: &str = "maria";
const AGENT_PASSWORD: &str = "contraseña de maría";
const CUSTOMER: &str = "584121000077";

/// Pieces of Rust or of the page's code that no text of the dashboard contains.
const CODE: &[&str] = &[
    "move |",
    "|_|",
    "=>",
    "::",
    "on:click",
    "on:input",
    ".get()",
    ".set(",
    ".read(",
    ".write(",
    "Text::",
    "i18n",
    "view!",
    "into_any",
    "Some(",
    "None",
    "Option<",
    "Vec<",
    ");",
    "undefined",
    "NaN",
    "[object ",
];

/// The server's English words for a refused value, which a Spanish page words itself.
const SERVER_ENGLISH: &[&str] = &[
    " is empty",
    "WhatsApp allows",
    "unknown variant",
    "expected one of",
    "has no trigger",
    "neither replies",
    "characters;",
];

/// Words with a capital inside that the texts use on purpose.
const PROPER_NAMES: &[&str] = &["WhatsApp", "WebSocket"];

/// What is wrong with a page's visible text: code, or a key of the text table (`AddButton`).
fn problems(text: &str) -> Vec<String> {
    let mut found: Vec<String> = CODE
        .iter()
        .filter(|piece| text.contains(*piece))
        .map(|piece| format!("program text {piece:?}"))
        .collect();
    for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        let inner_capital = word
            .as_bytes()
            .windows(2)
            .any(|pair| pair[0].is_ascii_lowercase() && pair[1].is_ascii_uppercase());
        if inner_capital && !PROPER_NAMES.contains(&word) {
            found.push(format!("a key of the text table {word:?}"));
        }
    }
    found
}

/// WhatsApp's markup shown as typed (`*Tienda Lola*`) where messages are shown styled: a
/// marker at a word's start, the same marker at a later word's end on the same line.
fn raw_markup(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        for (i, &marker) in chars.iter().enumerate() {
            let opens = ['*', '_', '~'].contains(&marker)
                && (i == 0 || !chars[i - 1].is_alphanumeric())
                && chars
                    .get(i + 1)
                    .is_some_and(|c| !c.is_whitespace() && *c != marker);
            if !opens {
                continue;
            }
            let closing = (i + 2..chars.len()).find(|&j| {
                chars[j] == marker
                    && !chars[j - 1].is_whitespace()
                    && chars.get(j + 1).is_none_or(|c| !c.is_alphanumeric())
            });
            if let Some(j) = closing {
                let shown: String = chars[i..=j].iter().collect();
                found.push(format!("WhatsApp markup shown raw {shown:?}"));
            }
        }
    }
    found
}

#[test]
fn the_check_finds_what_it_looks_for() {
    assert_eq!(raw_markup("↩ Hola, *Tienda Lola* dice hola").len(), 1);
    assert_eq!(raw_markup("Hola desde *Lola*, ¿qué tal?").len(), 1);
    assert_eq!(raw_markup("_cursiva_ y ~tachado~ * sola").len(), 2);
    assert!(raw_markup("snake_case_name, 5 * 3 * 2, Tienda Lola").is_empty());
    assert!(problems("Añadir un botón").is_empty());
    assert!(problems("Conecta WhatsApp por WebSocket: {{nombre}}, 12:30").is_empty());
    assert_eq!(
        problems("= 3 on:click=move |_| reply.write(…) >Añadir un botón").len(),
        4
    );
    assert_eq!(problems("AddButton").len(), 1);
    assert_eq!(problems("total: [object Object]").len(), 1);
}

/// The page's visible text, one text node a line (so that two buttons side by side do not
/// read as one word), with what screen readers are given.
async fn visible(client: &Client) -> String {
    client
        .execute(
            "const lines = [];
             const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
             while (walker.nextNode()) {
                 const node = walker.currentNode, element = node.parentElement;
                 if (!element || !node.textContent.trim()) continue;
                 if (element.closest('script, style, template, noscript')) continue;
                 const style = getComputedStyle(element);
                 if (style.display === 'none' || style.visibility === 'hidden'
                     || element.getClientRects().length === 0) continue;
                 lines.push(node.textContent);
             }
             return lines.join('\\n');",
            vec![],
        )
        .await
        .expect("script")
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Checks what the page shows now and keeps a screenshot of it.
async fn check(client: &Client, shot: &str, failures: &mut Vec<String>) {
    let text = visible(client).await;
    assert!(!text.trim().is_empty(), "{shot}: the page shows nothing");
    for problem in problems(&text) {
        failures.push(format!("{shot}: {problem}"));
    }
    save_screenshot(client, &format!("text-{shot}.png")).await;
}

/// Opens `path` and waits until its data is shown.
async fn visit(client: &Client, url: &str) {
    crate::browser::visit(client, url).await;
    wait_for_hydration(client).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while client
        .find(Locator::Css(".loading[role='status']"))
        .await
        .is_ok()
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{url} keeps loading"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The number of elements `css` selects.
async fn count(client: &Client, css: &str) -> usize {
    client
        .find_all(Locator::Css(css))
        .await
        .map(|found| found.len())
        .unwrap_or(0)
}

/// The new-rule form with a reply of each kind: buttons (up to WhatsApp's three), a list, a
/// text and a template.
async fn rule_form(client: &Client, shot: &str, lang: &str, failures: &mut Vec<String>) {
    press(client, "#add-rule").await;
    press(client, "#add-reply-buttons").await;
    wait_for(client, "#reply-0-add-option").await;
    let choices = ".choice";
    let before = count(client, choices).await;
    for added in 1..=2 {
        press(client, "#reply-0-add-option").await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while count(client, choices).await < before + added {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{shot}: \"add a button\" adds button {}",
                before + added
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let add = client
        .find(Locator::Css("#reply-0-add-option"))
        .await
        .expect("add button");
    assert_eq!(
        add.attr("disabled").await.expect("attribute").as_deref(),
        Some("true"),
        "{shot}: a fourth button cannot be added (WhatsApp allows three)"
    );
    press(client, "#add-reply-list").await;
    press(client, "#add-reply-text").await;
    press(client, "#add-reply-template").await;
    // The new replies are empty: the server's check says so beside them, in the page's
    // language.
    let said = wait_text(
        client,
        ".field-error",
        if lang == "es" {
            "está vacío"
        } else {
            "is empty"
        },
    )
    .await;
    assert!(
        !said.trim().is_empty(),
        "{shot}: the empty reply is flagged"
    );
    if lang == "es" {
        let text = visible(client).await;
        for words in SERVER_ENGLISH.iter().filter(|w| text.contains(*w)) {
            failures.push(format!("{shot}: the server's English {words:?}"));
        }
    }
    check(client, &format!("{shot}-rule-form"), failures).await;
}

#[tokio::test]
async fn no_page_or_form_shows_program_text_or_text_keys() {
    if skip() {
        return;
    }
    let (app, graph) = spawn_app_with_graph().await;
    app.admin_session().await;
    app.register("agent", AGENT, AGENT_PASSWORD).await;
    let body = text_message("wamid.v1", CUSTOMER, "Hola, *buenas*", now_secs() - 2);
    assert_eq!(app.webhook(&body).await.status(), 200);
    graph.wait_for_sends(1, Duration::from_secs(15)).await;

    let conversation = format!("/inbox?c=VE.{CUSTOMER}");
    let owner_pages = [
        ("/", "overview"),
        ("/inbox", "inbox"),
        (conversation.as_str(), "conversation"),
        ("/rules", "rules"),
        ("/templates", "templates"),
        ("/quick-replies", "quick-replies"),
        ("/analytics", "analytics"),
        ("/settings", "settings"),
        ("/users", "users"),
    ];
    let mut failures = Vec::new();
    for (width, height) in [(375, 812), (1280, 900)] {
        for (role, user, password) in [
            ("owner", ADMIN_USER, ADMIN_PASSWORD),
            ("agent", AGENT, AGENT_PASSWORD),
        ] {
            for lang in ["es", "en"] {
                let browser = launch(width, height).await;
                let client = browser.client();
                crate::browser::visit(client, &app.url("/login")).await;
                client
                    .execute(
                        "document.cookie = 'cocolu_lang=' + arguments[0] + '; path=/';",
                        vec![lang.into()],
                    )
                    .await
                    .expect("language cookie");
                visit(client, &app.url("/login")).await;
                check(
                    client,
                    &format!("{role}-{lang}-{width}-login"),
                    &mut failures,
                )
                .await;
                sign_in_as(client, &app, user, password).await;
                for (path, name) in owner_pages {
                    let shot = format!("{role}-{lang}-{width}-{name}");
                    visit(client, &app.url(path)).await;
                    check(client, &shot, &mut failures).await;
                    if matches!(name, "inbox" | "conversation" | "overview") {
                        for problem in raw_markup(&visible(client).await) {
                            failures.push(format!("{shot}: {problem}"));
                        }
                    }
                    if name == "rules" && role == "owner" {
                        rule_form(client, &shot, lang, &mut failures).await;
                    }
                }
                browser.close().await;
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
