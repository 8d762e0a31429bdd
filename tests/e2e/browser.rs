//! The dashboard in headless Chromium (Debian's `chromium` and `chromium-driver`), driven over
//! WebDriver: it loads, hydrates, and reacts to clicks. Screenshots go to `test-artifacts/`.
//!
//! The test command installs Chromium; `COCOLU_SKIP_BROWSER=1` skips these tests on a machine
//! without it, and says so.

use crate::helpers::{artifacts_dir, spawn_app, TestApp, ADMIN_PASSWORD, ADMIN_USER};
use crate::pages::wait_text;
use fantoccini::wd::TimeoutConfiguration;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

/// A chromedriver process and a browser session on it; both end on drop.
pub(crate) struct Browser {
    client: Option<Client>,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Browser {
    pub(crate) fn client(&self) -> &Client {
        self.client.as_ref().expect("session open")
    }

    pub(crate) async fn close(mut self) {
        if let Some(client) = self.client.take() {
            let _ = client.close().await;
        }
    }
}

pub(crate) fn skip() -> bool {
    if std::env::var_os("COCOLU_SKIP_BROWSER").is_some() {
        eprintln!("COCOLU_SKIP_BROWSER is set: browser test skipped");
        return true;
    }
    assert!(
        std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
        "Chromium is missing: run the README's test command (it installs chromium and \
         chromium-driver), or set COCOLU_SKIP_BROWSER=1"
    );
    false
}

/// Starts chromedriver and a Chromium session of the given size.
async fn start_browser(width: u32, height: u32) -> Browser {
    let port = TcpListener::bind("127.0.0.1:0")
        .expect("free port")
        .local_addr()
        .expect("addr")
        .port();
    let driver = Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let profile = tempfile::tempdir().expect("profile dir");
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".into(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                format!("--window-size={width},{height}"),
                format!("--user-data-dir={}", profile.path().display()),
            ],
            // Headless windows have a minimum width; emulation gives the exact viewport.
            "mobileEmulation": {
                "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0 }
            }
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    let mut last_error = None;
    for _ in 0..100 {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        match ClientBuilder::new(connector)
            .capabilities(capabilities.clone())
            .connect(&url)
            .await
        {
            Ok(client) => {
                return Browser {
                    client: Some(client),
                    driver,
                    _profile: profile,
                }
            }
            Err(error) => last_error = Some(error),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("cannot start a Chromium session: {last_error:?}");
}

/// A started browser whose first page has rendered: a renderer that never answers (Chromium
/// does this rarely on a loaded machine, and the navigation then waits 300 s) is replaced by a
/// new browser, and later navigations give up after `PAGE_LOAD` instead of 300 s.
pub(crate) async fn launch(width: u32, height: u32) -> Browser {
    for _ in 0..3 {
        let browser = start_browser(width, height).await;
        let client = browser.client();
        let timeouts = TimeoutConfiguration::new(None, Some(PAGE_LOAD), None);
        let ready =
            client.update_timeouts(timeouts).await.is_ok() && client.goto(FIRST_PAGE).await.is_ok();
        if ready {
            return browser;
        }
        eprintln!("Chromium's first page did not render: starting another browser");
        browser.close().await;
    }
    panic!("Chromium did not render a page in three tries");
}

/// How long a navigation may take before it is tried again.
const PAGE_LOAD: Duration = Duration::from_secs(45);

/// The page a new browser shows first, to prove its renderer answers.
const FIRST_PAGE: &str = "data:text/html,<title>ready</title>";

/// Goes to `url`; when the renderer does not answer in time, goes there again in a new tab
/// (a new renderer) instead of failing the test on Chromium's hang.
pub(crate) async fn visit(client: &Client, url: &str) {
    let mut last_error = None;
    for _ in 0..3 {
        match client.goto(url).await {
            Ok(()) => return,
            Err(error) => {
                eprintln!("{url} did not load ({error}): trying again in a new tab");
                last_error = Some(error);
                if let Ok(tab) = client.new_window(true).await {
                    let _ = client.close_window().await;
                    let _ = client.switch_to_window(tab.handle).await;
                }
            }
        }
    }
    panic!("{url} does not load: {last_error:?}");
}

/// Waits until the wasm has hydrated the page (the app marks `<html data-hydrated>`).
pub(crate) async fn wait_for_hydration(client: &Client) {
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("html[data-hydrated='true']"))
        .await
        .expect("the page hydrates (wasm loaded and ran under the CSP)");
}

/// Starts a server and a browser of the given size on `path`, hydrated; `None` when browser
/// tests are skipped.
pub(crate) async fn open(path: &str, width: u32, height: u32) -> Option<(TestApp, Browser)> {
    if skip() {
        return None;
    }
    let app = spawn_app().await;
    let browser = open_with(&app, path, width, height).await;
    Some((app, browser))
}

/// A browser of the given size signed in to `app` as the administrator, on `path`, hydrated.
pub(crate) async fn open_with(app: &TestApp, path: &str, width: u32, height: u32) -> Browser {
    app.admin_session().await;
    let browser = launch(width, height).await;
    sign_in(browser.client(), app, ADMIN_PASSWORD).await;
    visit(browser.client(), &app.url(path)).await;
    wait_for_hydration(browser.client()).await;
    browser
}

/// Waits until the browser shows `path` (after a form's redirect).
pub(crate) async fn wait_for_path(client: &Client, path: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while client.current_url().await.expect("url").path() != path {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the browser did not reach {path}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Clicks the element `css` selects.
pub(crate) async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("element {css}"))
        .click()
        .await
        .expect("clicked");
}

/// The error a form page shows after the server sent it back.
async fn form_error(client: &Client) -> String {
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#form-error"))
        .await
        .expect("the form shows why it was refused")
        .text()
        .await
        .expect("text")
}

/// Fills a form field.
pub(crate) async fn fill(client: &Client, css: &str, text: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("field {css}"))
        .send_keys(text)
        .await
        .expect("typed");
}

/// Signs in through the sign-in page as a person does.
pub(crate) async fn sign_in(client: &Client, app: &TestApp, password: &str) {
    sign_in_as(client, app, ADMIN_USER, password).await;
}

/// Signs in as `username` through the sign-in form.
pub(crate) async fn sign_in_as(client: &Client, app: &TestApp, username: &str, password: &str) {
    visit(client, &app.url("/login")).await;
    fill(client, "#username", username).await;
    fill(client, "#password", password).await;
    click(client, "form button[type=submit]").await;
    // Wait for the answer: the dashboard, or the form again with an error.
    let form = app.url("/login");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while client.current_url().await.expect("url").as_str() == form {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the sign-in is answered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn heading(client: &Client) -> String {
    crate::pages::text_of(client, "h1").await
}

/// Waits until the page's heading reads `text` (a page's code may still be loading when the
/// address has already changed).
pub(crate) async fn wait_for_heading(client: &Client, text: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let found = match client.find(Locator::Css("h1")).await {
            Ok(h1) => h1.text().await.ok(),
            Err(_) => None,
        };
        if found.as_deref() == Some(text) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the heading reads {text:?}, not {found:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn save_screenshot(client: &Client, name: &str) {
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(artifacts_dir().join(name), png).expect("save screenshot");
    // Every screenshot is also a check that the page's code did not fail on the way.
    let crashed = client.find(Locator::Css("#app-crashed")).await.is_ok();
    assert!(
        !crashed,
        "{name}: the page's code failed (see the browser's console)"
    );
}

#[tokio::test]
async fn the_dashboard_hydrates_and_the_sidebar_collapses() {
    let Some((_app, browser)) = open("/", 1280, 800).await else {
        return;
    };
    let client = browser.client();
    let layout = client.find(Locator::Css(".layout")).await.expect("layout");
    assert_eq!(
        layout.attr("class").await.expect("class").as_deref(),
        Some("layout")
    );

    let toggle = client
        .find(Locator::Css(".collapse-toggle"))
        .await
        .expect("toggle");
    toggle.click().await.expect("click");

    let classes = layout
        .attr("class")
        .await
        .expect("class")
        .unwrap_or_default();
    assert!(classes.contains("layout--collapsed"), "{classes}");
    assert_eq!(
        toggle.attr("aria-expanded").await.expect("attr").as_deref(),
        Some("false")
    );
    assert_eq!(
        toggle.attr("aria-label").await.expect("attr").as_deref(),
        Some("Expandir menú")
    );
    // Let the 160 ms transition end so the artifact shows the final state.
    tokio::time::sleep(Duration::from_millis(400)).await;
    save_screenshot(client, "dashboard-collapsed.png").await;
    browser.close().await;
}

#[tokio::test]
async fn the_sidebar_goes_to_a_page_without_a_reload_and_marks_it_current() {
    let Some((_app, browser)) = open("/", 1280, 800).await else {
        return;
    };
    let client = browser.client();
    let current = |href: &str| format!(".sidebar a[href='{href}'][aria-current='page']");
    client
        .find(Locator::Css(&current("/")))
        .await
        .expect("the overview's link is the current one");
    client
        .execute("window.__sameDocument = true;", vec![])
        .await
        .expect("marked");
    client
        .find(Locator::Css(".sidebar a[href='/rules']"))
        .await
        .expect("rules link")
        .click()
        .await
        .expect("click");
    client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css(&current("/rules")))
        .await
        .expect("the rules link becomes the current one");
    wait_for_heading(client, "Reglas").await;
    assert!(
        client.find(Locator::Css(&current("/"))).await.is_err(),
        "the overview's link is no longer marked"
    );
    let same = client
        .execute("return window.__sameDocument === true;", vec![])
        .await
        .expect("read the mark");
    assert_eq!(same, serde_json::json!(true), "the page was reloaded");
    browser.close().await;
}

#[tokio::test]
async fn the_language_switch_changes_the_page_and_is_remembered() {
    let Some((app, browser)) = open("/rules", 1280, 800).await else {
        return;
    };
    let client = browser.client();

    client
        .find(Locator::Css(".language-switch"))
        .await
        .expect("switch")
        .click()
        .await
        .expect("click");

    assert_eq!(heading(client).await, "Rules");
    visit(client, &app.url("/inbox")).await;
    assert_eq!(
        heading(client).await,
        "Inbox",
        "the server renders the remembered language"
    );
    save_screenshot(client, "inbox-english.png").await;
    browser.close().await;
}

#[tokio::test]
async fn the_sign_in_page_has_a_language_switch() {
    if skip() {
        return;
    }
    let app = spawn_app().await;
    app.admin_session().await;
    let browser = launch(375, 812).await;
    let client = browser.client();
    visit(client, &app.url("/login")).await;
    wait_for_hydration(client).await;
    assert_eq!(heading(client).await, "Iniciar sesión");
    click(client, ".language-switch").await;
    wait_for_heading(client, "Sign in").await;
    let label = crate::pages::text_of(client, "label[for='username']").await;
    assert_eq!(label, "Username");
    save_screenshot(client, "login-english-375.png").await;
    // Remembered: the next page comes in English from the server, and signing in keeps it.
    sign_in(client, &app, ADMIN_PASSWORD).await;
    wait_for_hydration(client).await;
    assert_eq!(heading(client).await, "Overview");
    browser.close().await;
}

#[tokio::test]
async fn the_dashboard_fits_a_phone_screen() {
    let Some((_app, browser)) = open("/", 375, 812).await else {
        return;
    };
    let client = browser.client();

    let width = client
        .execute("return window.innerWidth;", vec![])
        .await
        .expect("script");
    assert_eq!(width.as_i64(), Some(375), "the viewport is a phone's");
    let overflow = client
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth;",
            vec![],
        )
        .await
        .expect("script");
    assert!(
        overflow.as_i64().expect("number") <= 0,
        "horizontal overflow of {overflow} px at 375 px"
    );
    save_screenshot(client, "overview-375px.png").await;
    browser.close().await;
}

#[tokio::test]
async fn a_fresh_install_is_set_up_in_the_browser_with_the_code_from_the_log() {
    if skip() {
        return;
    }
    let app = spawn_app().await;
    let code = app
        .auth
        .setup_code()
        .expect("a setup code while nobody has an account");
    let browser = launch(1280, 800).await;
    let client = browser.client();

    visit(client, &app.url("/inbox")).await;
    let url = client.current_url().await.expect("url");
    assert_eq!(
        url.path(),
        "/setup",
        "a fresh install asks for the administrator"
    );
    fill(client, "#code", "AAAA-BBBB-CCCC").await;
    fill(client, "#username", ADMIN_USER).await;
    fill(client, "#password", ADMIN_PASSWORD).await;
    click(client, "form button[type=submit]").await;
    let error = form_error(client).await;
    assert!(error.contains("código de configuración"), "{error}");
    save_screenshot(client, "setup-wrong-code.png").await;

    fill(client, "#code", &code.to_lowercase()).await;
    fill(client, "#password", ADMIN_PASSWORD).await;
    click(client, "form button[type=submit]").await;
    wait_for_path(client, "/").await;
    wait_for_hydration(client).await;
    assert_eq!(heading(client).await, "Resumen");

    // Signing out ends the session; a wrong password is refused with a message.
    click(client, ".logout-form button").await;
    wait_for_path(client, "/login").await;
    sign_in(client, &app, "not the password").await;
    let error = form_error(client).await;
    assert!(error.contains("incorrectos"), "{error}");
    save_screenshot(client, "login-wrong-password.png").await;
    browser.close().await;
}

#[tokio::test]
async fn the_overview_shows_todays_numbers_and_follows_them_live() {
    let Some((app, browser)) = open("/", 1280, 800).await else {
        return;
    };
    let client = browser.client();
    let received =
        || async { crate::pages::text_of(client, "#today-received .figure-value").await };
    assert_eq!(received().await, "0");
    let alerts = crate::pages::text_of(client, "#alerts").await;
    assert!(alerts.contains("Avisos"), "{alerts}");

    let body = crate::helpers::text_message(
        "wamid.live",
        "584121000001",
        "hola",
        crate::helpers::now_secs() - 5,
    );
    assert_eq!(app.webhook(&body).await.status(), 200);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while received().await != "1" {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the figure follows the message without a reload"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let feed = client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#feed .feed-item[data-kind='received']"))
        .await
        .expect("the message is in the activity feed")
        .text()
        .await
        .expect("text");
    assert!(
        feed.contains("Cliente") && feed.contains("escribió") && feed.contains("hola"),
        "the customer is named: {feed}"
    );
    save_screenshot(client, "overview.png").await;

    // The feed is read from the server: a reload keeps it.
    client.refresh().await.expect("reload");
    wait_for_hydration(client).await;
    let feed = wait_text(client, "#feed .feed-item[data-kind='received']", "escribió").await;
    assert!(feed.contains("Cliente") && feed.contains("hola"), "{feed}");
    crate::pages::show(client, "#feed").await;
    save_screenshot(client, "overview-feed.png").await;

    // The server goes away: the page says so instead of showing stale numbers silently.
    app.stop_server();
    client
        .wait()
        .at_most(Duration::from_secs(15))
        .for_element(Locator::Css("#connection-lost"))
        .await
        .expect("a lost connection is shown");
    save_screenshot(client, "overview-connection-lost.png").await;
    browser.close().await;
}

#[tokio::test]
async fn analytics_change_range_without_a_reload() {
    let Some((_app, browser)) = open("/analytics", 1280, 900).await else {
        return;
    };
    let client = browser.client();
    let buttons = client
        .find_all(Locator::Css(".range-button"))
        .await
        .expect("range buttons");
    assert_eq!(buttons.len(), 3);
    buttons[1].click().await.expect("clicked");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let pressed = buttons[1]
            .attr("aria-pressed")
            .await
            .expect("attr")
            .unwrap_or_default();
        if pressed == "true" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the range is chosen"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    client
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("#total-received"))
        .await
        .expect("the figures for 30 days");
    save_screenshot(client, "analytics.png").await;
    browser.close().await;
}
