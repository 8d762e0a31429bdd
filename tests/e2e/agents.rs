//! What an agent (a person of the team who is not an administrator) sees of the pages only an
//! administrator changes: each opens, says why it cannot be changed, and shows what is in
//! force, read-only; the API refuses their changes as before.

use crate::browser::{launch, save_screenshot, sign_in_as, skip, wait_for_hydration};
use crate::helpers::{client_with_token, spawn_app_with_graph, TestApp};
use crate::pages::{press, wait_for, wait_text};
use fantoccini::{Client, Locator};
use serde_json::json;

const AGENT: &str = "lucia";
const PASSWORD: &str = "la clave de lucía";

/// Whether the element `css` is disabled (itself or by a disabled fieldset around it).
async fn disabled(client: &Client, css: &str) -> bool {
    client
        .execute(
            "return document.querySelector(arguments[0]).matches(':disabled');",
            vec![json!(css)],
        )
        .await
        .expect("script")
        .as_bool()
        .expect("bool")
}

async fn agent_browser(app: &TestApp, width: u32) -> crate::browser::Browser {
    let browser = launch(width, 900).await;
    sign_in_as(browser.client(), app, AGENT, PASSWORD).await;
    browser
}

async fn open(client: &Client, app: &TestApp, path: &str) {
    crate::browser::visit(client, &app.url(path)).await;
    wait_for_hydration(client).await;
    let here = client.current_url().await.expect("url");
    assert_eq!(here.path(), path, "an agent stays on {path}");
}

#[tokio::test]
async fn an_agent_sees_settings_users_and_rules_read_only_and_is_told_why() {
    if skip() {
        return;
    }
    let (app, _graph) = spawn_app_with_graph().await;
    app.admin_session().await;
    let session = app.register("agent", AGENT, PASSWORD).await;

    // The API: settings can be read, not changed.
    let token = {
        let made = app
            .post_json(
                "/api/tokens",
                &json!({"name": "guion de la agente", "role": "agent"}),
            )
            .await;
        assert_eq!(made.status(), 201);
        made.json::<serde_json::Value>().await.expect("json")["token"]
            .as_str()
            .expect("token")
            .to_string()
    };
    let agent_api = client_with_token(&token);
    let settings = agent_api
        .get(app.url("/api/settings"))
        .send()
        .await
        .expect("sent");
    assert_eq!(settings.status(), 200);
    let body: serde_json::Value = settings.json().await.expect("json");
    let refused = agent_api
        .put(app.url("/api/settings"))
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), 403);
    for admin_only in ["/api/channel", "/api/users", "/api/tokens"] {
        let answer = agent_api
            .get(app.url(admin_only))
            .send()
            .await
            .expect("sent");
        assert_eq!(answer.status(), 403, "{admin_only}");
    }
    drop(session);

    for width in [375, 1280] {
        let browser = agent_browser(&app, width).await;
        let client = browser.client();

        open(client, &app, "/settings").await;
        wait_text(client, "#read-only", "Solo un administrador").await;
        wait_for(client, "#business-name").await;
        assert!(disabled(client, "#business-name").await, "read-only fields");
        assert!(
            client.find(Locator::Css("#save")).await.is_err(),
            "no save button"
        );
        assert!(
            client.find(Locator::Css("#meta-connection")).await.is_err(),
            "the connection's details are an administrator's"
        );
        save_screenshot(client, &format!("agent-settings-{width}.png")).await;

        open(client, &app, "/users").await;
        let shown = wait_text(client, "#users-for-admins", "administrador").await;
        assert!(shown.contains(AGENT), "their own account: {shown}");
        save_screenshot(client, &format!("agent-users-{width}.png")).await;

        open(client, &app, "/rules").await;
        wait_text(client, "#read-only", "simulador").await;
        assert!(client.find(Locator::Css("#add-rule")).await.is_err());
        press(client, ".rule-pick").await;
        wait_for(client, "#rule-description").await;
        assert!(
            disabled(client, "#rule-description").await,
            "the rule is read-only"
        );
        assert!(
            !disabled(client, "#simulator-text").await,
            "the simulator works"
        );
        save_screenshot(client, &format!("agent-rules-{width}.png")).await;

        open(client, &app, "/templates").await;
        // Said at the top, as on the other pages an agent may only read.
        wait_text(
            client,
            "#read-only",
            "Solo un administrador puede cambiar los textos",
        )
        .await;
        press(client, "[data-template='bienvenida']").await;
        wait_for(client, "#template-text").await;
        let readonly = client
            .find(Locator::Css("#template-text"))
            .await
            .expect("textarea")
            .attr("readonly")
            .await
            .expect("attribute");
        assert!(readonly.is_some(), "the template's text is read-only");
        save_screenshot(client, &format!("agent-templates-{width}.png")).await;

        open(client, &app, "/quick-replies").await;
        wait_text(client, "#read-only", "solo un administrador").await;
        assert!(client.find(Locator::Css("#add-quick-reply")).await.is_err());
        assert!(
            disabled(client, "#quick-shortcut-0").await,
            "the answers are read-only"
        );
        save_screenshot(client, &format!("agent-quick-replies-{width}.png")).await;
        browser.close().await;
    }
}
