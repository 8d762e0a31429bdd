//! Files attached to a reply: stored by `POST /api/uploads`, uploaded to Meta's media
//! endpoint when the reply goes out (again after a failure), sent by their media id with the
//! caption and the document's name; what WhatsApp would refuse is refused first, in codes the
//! dashboard words, and leaves no file behind.

use crate::fake_graph::{Answer, FakeGraph};
use crate::helpers::{anonymous_client, now_secs, spawn_app_with_graph, text_message, TestApp};
use serde_json::{json, Value};
use std::time::Duration;

const CUSTOMER: &str = "584121000077";
const CONVERSATION: &str = "VE.584121000077";

/// A PNG's signature and header, then filler: what the server checks of a photo.
fn png(size: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1A\n\0\0\0\rIHDR".to_vec();
    bytes.resize(size, 7);
    bytes
}

async fn customer_wrote(app: &TestApp, graph: &FakeGraph) {
    let message = text_message("wamid.att1", CUSTOMER, "hola", now_secs());
    assert_eq!(app.webhook(&message).await.status(), 200);
    graph.wait_for_sends(1, Duration::from_secs(10)).await;
}

async fn upload(
    app: &TestApp,
    name: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/api/uploads"))
        .query(&[("name", name)])
        .body(bytes);
    if !content_type.is_empty() {
        request = request.header("content-type", content_type);
    }
    request.send().await.expect("sent")
}

async fn reply(app: &TestApp, message: Value) -> reqwest::Response {
    app.post_json(
        &format!("/api/conversations/{CONVERSATION}/messages"),
        &json!({ "message": message }),
    )
    .await
}

/// The first fault's code of a refusal, checking its status.
async fn fault_of(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    let body: Value = response.json().await.expect("JSON");
    body["error"]["faults"][0].clone()
}

fn media_files(app: &TestApp) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(app.data_path().join("media"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn a_photo_is_uploaded_to_meta_when_sent_and_goes_with_its_caption() {
    let (app, graph) = spawn_app_with_graph().await;
    customer_wrote(&app, &graph).await;

    let photo = png(20_000);
    let stored = upload(&app, "pedido listo.png", "image/png", photo.clone()).await;
    assert_eq!(stored.status(), 201);
    let stored: Value = stored.json().await.expect("JSON");
    let file = stored["file"].as_str().expect("file").to_string();
    assert!(file.starts_with("up_") && file.ends_with(".png"), "{file}");
    assert_eq!(stored["kind"], "image");
    assert_eq!(stored["mime_type"], "image/png");
    assert_eq!(stored["size"], 20_000);
    assert_eq!(stored["filename"], "pedido listo.png");
    assert!(
        graph.uploads().is_empty(),
        "nothing goes to Meta before the reply"
    );

    // The dashboard shows it from the server while it waits and after.
    let stem = file.trim_end_matches(".png");
    let served = app.get(&format!("/api/media/{stem}")).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.bytes().await.expect("bytes").to_vec(), photo);

    let queued = reply(
        &app,
        json!({"type": "attachment", "kind": "image", "file": file, "caption": "Así quedó tu pedido ✨"}),
    )
    .await;
    assert_eq!(queued.status(), 202);
    let sends = graph.wait_for_sends(2, Duration::from_secs(10)).await;
    assert_eq!(sends.len(), 2, "the welcome and the photo: {sends:#?}");

    let uploads = graph.uploads();
    assert_eq!(uploads.len(), 1);
    let sent = &uploads[0];
    assert_eq!(sent.messaging_product, "whatsapp");
    assert_eq!(sent.mime_type, "image/png");
    assert_eq!(sent.part_type.as_deref(), Some("image/png"));
    assert_eq!(
        sent.file_name.as_deref(),
        Some(file.replacen("up_", "at_", 1).as_str()),
        "a photo sent without a name goes under its stored one"
    );
    assert!(
        sent.bytes == photo,
        "the file reaches Meta as it was attached"
    );

    let photo_message = &sends[1];
    assert_eq!(photo_message["messaging_product"], "whatsapp");
    assert_eq!(photo_message["to"], CUSTOMER);
    assert_eq!(photo_message["type"], "image");
    assert_eq!(photo_message["image"]["id"], sent.id.as_str());
    assert_eq!(photo_message["image"]["caption"], "Así quedó tu pedido ✨");

    // The conversation keeps it, with its caption as the text a person reads.
    let history = app
        .get_json(&format!("/api/conversations/{CONVERSATION}/messages"))
        .await;
    let out = history
        .as_array()
        .expect("records")
        .iter()
        .find(|r| r["kind"] == "message_out" && r["message"]["type"] == "attachment")
        .expect("the attachment is in the history")
        .clone();
    assert_eq!(out["text"], "Así quedó tu pedido ✨");
    // The reply claimed the upload: it is this conversation's, and no other reply can use it.
    let claimed = file.replacen("up_", "at_", 1);
    assert_eq!(out["message"]["file"], claimed.as_str());
    assert!(app.data_path().join("media").join(&claimed).exists());
    assert!(!app.data_path().join("media").join(&file).exists());
    let again = reply(
        &app,
        json!({"type": "attachment", "kind": "image", "file": file}),
    )
    .await;
    assert_eq!(fault_of(again, 422).await["code"], "no_such_upload");
    let claimed_stem = claimed.trim_end_matches(".png");
    let served = app.get(&format!("/api/media/{claimed_stem}")).await;
    assert_eq!(served.headers()["content-disposition"], "inline");
}

#[tokio::test]
async fn a_document_keeps_its_name_and_an_upload_that_failed_is_tried_again() {
    let (app, graph) = spawn_app_with_graph().await;
    customer_wrote(&app, &graph).await;
    graph.script_uploads([Answer::Status(500)]);

    // Some browsers give no type for a document: its name says what it is.
    let pdf = b"%PDF-1.7\nprecios de diciembre".to_vec();
    let stored = upload(&app, "Catálogo 2026.pdf", "", pdf.clone()).await;
    assert_eq!(stored.status(), 201);
    let stored: Value = stored.json().await.expect("JSON");
    assert_eq!(stored["kind"], "document");
    assert_eq!(stored["mime_type"], "application/pdf");

    let queued = reply(
        &app,
        json!({"type": "attachment", "kind": "document", "file": stored["file"], "filename": stored["filename"]}),
    )
    .await;
    assert_eq!(queued.status(), 202);
    let sends = graph.wait_for_sends(2, Duration::from_secs(20)).await;
    assert_eq!(sends.len(), 2, "{sends:#?}");
    let tries = graph
        .seen()
        .iter()
        .filter(|s| s.method == "POST" && s.path.ends_with("/media"))
        .count();
    assert_eq!(tries, 2, "refused once with a 500, then accepted");
    let uploads = graph.uploads();
    assert!(uploads[0].bytes == pdf);
    assert_eq!(sends[1]["type"], "document");
    assert_eq!(sends[1]["document"]["id"], uploads[0].id.as_str());
    assert_eq!(sends[1]["document"]["filename"], "Catálogo 2026.pdf");
    assert!(sends[1]["document"].get("caption").is_none());

    // Documents are downloads from the dashboard, never pages of it.
    let claimed = stored["file"]
        .as_str()
        .expect("file")
        .replacen("up_", "at_", 1);
    let served = app
        .get(&format!("/api/media/{}", claimed.trim_end_matches(".pdf")))
        .await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-disposition"], "attachment");
    assert!(served.headers()["content-security-policy"]
        .to_str()
        .expect("text")
        .ends_with("; sandbox"));
    assert_eq!(served.bytes().await.expect("bytes").to_vec(), pdf);

    // A text file is not shown to the customer as a page.
    let notes = upload(&app, "factura.html", "text/plain", b"total: 10".to_vec()).await;
    let notes: Value = notes.json().await.expect("JSON");
    assert_eq!(notes["filename"], "factura.html.txt");
}

#[tokio::test]
async fn files_whatsapp_would_refuse_are_refused_first_and_leave_nothing() {
    let (app, graph) = spawn_app_with_graph().await;
    customer_wrote(&app, &graph).await;

    let fault = fault_of(
        upload(
            &app,
            "setup.exe",
            "application/x-msdownload",
            b"MZ\x90\0".to_vec(),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fault["code"], "not_attachable");
    assert_eq!(fault["mime_type"], "application/x-msdownload");

    let fault = fault_of(
        upload(
            &app,
            "foto.png",
            "image/png",
            b"just some text, renamed".to_vec(),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fault["code"], "not_like_its_type");

    let fault = fault_of(
        upload(&app, "vacio.txt", "text/plain", Vec::new()).await,
        422,
    )
    .await;
    assert_eq!(fault["code"], "empty_file");

    // Over WhatsApp's 5 MB for photos: said by its length before it is read...
    let fault = fault_of(
        upload(&app, "grande.png", "image/png", png(5 * 1024 * 1024 + 1)).await,
        422,
    )
    .await;
    assert_eq!(fault["code"], "attachment_too_big");
    assert_eq!(fault["max_mb"], 5);
    // ...and counted as it comes when no length is announced.
    let pieces: Vec<Result<Vec<u8>, std::io::Error>> = png(6 * 1024 * 1024)
        .chunks(64 * 1024)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let streamed = app
        .client
        .post(app.url("/api/uploads?name=grande.png"))
        .header("content-type", "image/png")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            pieces,
        )))
        .send()
        .await
        .expect("sent");
    assert_eq!(fault_of(streamed, 422).await["code"], "attachment_too_big");

    // A body that breaks off mid-way leaves no file either.
    let (feed, body) = futures_channel::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let broken = tokio::spawn({
        let request = app
            .client
            .post(app.url("/api/uploads?name=cortado.pdf"))
            .header("content-type", "application/pdf")
            .body(reqwest::Body::wrap_stream(body));
        async move { request.send().await }
    });
    {
        use futures_util::SinkExt;
        let mut feed = feed;
        feed.send(Ok(b"%PDF-1.4 the first part".to_vec()))
            .await
            .expect("fed");
        tokio::time::sleep(Duration::from_millis(200)).await;
        feed.send(Err(std::io::Error::other("the phone lost its signal")))
            .await
            .expect("fed");
    }
    let _ = broken.await;

    // Not signed in: nothing is stored.
    let anonymous = anonymous_client()
        .post(app.url("/api/uploads?name=a.png"))
        .header("content-type", "image/png")
        .body(png(100))
        .send()
        .await
        .expect("sent");
    assert_eq!(anonymous.status(), 401);

    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(media_files(&app).is_empty(), "{:?}", media_files(&app));

    // A reply can only attach a file that was uploaded.
    let missing = reply(
        &app,
        json!({"type": "attachment", "kind": "image", "file": "up_0000000000000000.png"}),
    )
    .await;
    assert_eq!(fault_of(missing, 422).await["code"], "no_such_upload");
    let outside = reply(
        &app,
        json!({"type": "attachment", "kind": "document", "file": "../settings.json"}),
    )
    .await;
    assert_eq!(fault_of(outside, 422).await["code"], "no_such_upload");
    let stored: Value = upload(&app, "a.png", "image/png", png(100))
        .await
        .json()
        .await
        .expect("JSON");
    let too_long = reply(
        &app,
        json!({"type": "attachment", "kind": "image", "file": stored["file"], "caption": "x".repeat(1025)}),
    )
    .await;
    let fault = fault_of(too_long, 422).await;
    assert_eq!(fault["code"], "too_long");
    assert_eq!(fault["what"]["part"], "caption");
    // Refused, the upload is free again; the kind comes from the file, whatever is asked.
    let sent = reply(
        &app,
        json!({"type": "attachment", "kind": "document", "file": stored["file"], "filename": "nota.html"}),
    )
    .await;
    assert_eq!(sent.status(), 202);
    let sends = graph.wait_for_sends(2, Duration::from_secs(10)).await;
    assert_eq!(sends[1]["type"], "image", "{sends:#?}");

    // A customer's own media is not an upload to forward.
    let media = app.data_path().join("media");
    std::fs::write(
        media.join("1234567890.jpg"),
        b"\xFF\xD8\xFF a customer's photo",
    )
    .expect("photo");
    for file in ["1234567890.jpg", "at_1234.png"] {
        let forwarded = reply(
            &app,
            json!({"type": "attachment", "kind": "image", "file": file}),
        )
        .await;
        assert_eq!(
            fault_of(forwarded, 422).await["code"],
            "no_such_upload",
            "{file}"
        );
    }
}

/// Picks `path` in the composer's file input, as the system's file picker would.
async fn pick_file(client: &fantoccini::Client, path: &std::path::Path) {
    client
        .find(fantoccini::Locator::Css("#composer-file"))
        .await
        .expect("file input")
        .send_keys(path.to_str().expect("path"))
        .await
        .expect("file picked");
}

#[tokio::test]
async fn the_owner_on_a_phone_adds_an_emoji_attaches_a_catalogue_and_sends_it() {
    use crate::browser::{open_with, save_screenshot, skip};
    use crate::pages::{press, type_into, wait_for, wait_gone, wait_text, wait_value};
    if skip() {
        return;
    }
    let (app, graph) = spawn_app_with_graph().await;
    customer_wrote(&app, &graph).await;
    let files = tempfile::tempdir().expect("tempdir");
    let catalogue = files.path().join("Catálogo diciembre.pdf");
    std::fs::write(&catalogue, b"%PDF-1.7\nel catalogo de diciembre").expect("pdf");
    let program = files.path().join("oferta.exe");
    std::fs::write(&program, b"MZ\x90\0 not a document").expect("exe");

    let browser = open_with(&app, &format!("/inbox?c={CONVERSATION}"), 375, 800).await;
    let client = browser.client();
    wait_for(client, "#composer-text").await;
    // The bot's reply says which rule sent it as the rules page names it, not by its id.
    let author = wait_text(
        client,
        ".bubble[data-author='bot'] .bubble-author",
        "Saludos",
    )
    .await;
    assert!(!author.contains("menu"), "{author}");
    type_into(client, "#composer-text", "Aquí tienes el catálogo ").await;
    press(client, "#emoji-toggle").await;
    wait_for(client, "#emoji-panel").await;
    save_screenshot(client, "composer-emoji-375-es.png").await;
    client
        .execute(
            "[...document.querySelectorAll('#emoji-panel .emoji')].find(b => b.textContent === '👍').click();",
            vec![],
        )
        .await
        .expect("emoji");
    // The emoji goes where the cursor is.
    wait_value(client, "#composer-text", "Aquí tienes el catálogo 👍").await;
    press(client, "#emoji-toggle").await;
    wait_gone(client, "#emoji-panel").await;

    // A program is refused in the browser, in Spanish, before anything is uploaded.
    pick_file(client, &program).await;
    let toast = wait_text(client, "#toasts", "No se puede adjuntar este archivo").await;
    assert!(
        toast.contains("envía una foto (JPEG o PNG) o un documento"),
        "{toast}"
    );
    assert!(client
        .find(fantoccini::Locator::Css("#composer-attached"))
        .await
        .is_err());

    pick_file(client, &catalogue).await;
    let chip = wait_text(client, "#composer-attached", "Catálogo diciembre.pdf").await;
    assert!(chip.contains("Documento · 1 KB"), "{chip}");
    save_screenshot(client, "composer-attached-375-es.png").await;
    press(client, "#composer button[type=submit]").await;

    let sends = graph.wait_for_sends(2, Duration::from_secs(10)).await;
    assert_eq!(sends.len(), 2, "{sends:#?}");
    assert_eq!(sends[1]["type"], "document");
    assert_eq!(sends[1]["document"]["filename"], "Catálogo diciembre.pdf");
    assert_eq!(
        sends[1]["document"]["caption"],
        "Aquí tienes el catálogo 👍"
    );
    let uploads = graph.uploads();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].mime_type, "application/pdf");
    assert!(uploads[0].bytes == std::fs::read(&catalogue).expect("pdf"));

    // Sent: the box is empty again, and the thread shows the document with its caption.
    wait_gone(client, "#composer-attached").await;
    let bubble = wait_text(
        client,
        ".bubble[data-kind='document']",
        "Catálogo diciembre.pdf",
    )
    .await;
    assert!(bubble.contains("Aquí tienes el catálogo 👍"), "{bubble}");
    wait_value(client, "#composer-text", "").await;
    // Each message once, in the order they were written: the customer's, the bot's welcome,
    // then the document (the thread is drawn again as the send's events come).
    tokio::time::sleep(Duration::from_millis(800)).await;
    let shown = crate::pages::bubbles_shown(client).await;
    let kinds: Vec<&str> = shown.iter().map(|(kind, _)| kind.as_str()).collect();
    assert_eq!(kinds.len(), 3, "{shown:#?}");
    assert!(shown[0].1.contains("hola"), "{shown:#?}");
    assert_eq!(kinds[2], "document", "{shown:#?}");
    save_screenshot(client, "composer-sent-375-es.png").await;
    browser.close().await;
}

#[tokio::test]
async fn an_agent_on_a_laptop_in_english_sends_a_photo_without_a_caption() {
    use crate::browser::{launch, save_screenshot, sign_in_as, skip, wait_for_hydration};
    use crate::pages::{press, wait_for, wait_text};
    if skip() {
        return;
    }
    let (app, graph) = spawn_app_with_graph().await;
    customer_wrote(&app, &graph).await;
    app.register("agent", "lucia", "la clave de lucía").await;
    let files = tempfile::tempdir().expect("tempdir");
    let photo = files.path().join("shoes.png");
    // A real picture, so the preview and the thread can draw it.
    std::fs::write(&photo, include_bytes!("fixtures/shoes.png")).expect("png");

    let browser = launch(1280, 900).await;
    let client = browser.client();
    crate::browser::visit(client, &app.url("/login")).await;
    client
        .execute("document.cookie = 'cocolu_lang=en; path=/';", vec![])
        .await
        .expect("language");
    sign_in_as(client, &app, "lucia", "la clave de lucía").await;
    crate::browser::visit(client, &app.url(&format!("/inbox?c={CONVERSATION}"))).await;
    wait_for_hydration(client).await;
    wait_for(client, "#composer-file").await;
    pick_file(client, &photo).await;
    let chip = wait_text(client, "#composer-attached", "shoes.png").await;
    assert!(chip.contains("Photo · 1 KB"), "{chip}");
    wait_for(client, "#composer-attached img.attached-preview").await;
    // The preview is drawn (the page's policy lets it show the picked file).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let drawn = client
            .execute(
                "const i = document.querySelector('#composer-attached img.attached-preview'); \
                 return i.complete && i.naturalWidth;",
                vec![],
            )
            .await
            .expect("preview");
        if drawn == json!(48) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "preview: {drawn}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let placeholder = client
        .execute(
            "return document.querySelector('#composer-text').placeholder;",
            vec![],
        )
        .await
        .expect("placeholder");
    assert_eq!(placeholder, json!("Caption (optional)"));
    save_screenshot(client, "composer-attached-1280-en-agent.png").await;
    press(client, "#composer button[type=submit]").await;

    let sends = graph.wait_for_sends(2, Duration::from_secs(10)).await;
    assert_eq!(sends.len(), 2, "{sends:#?}");
    assert_eq!(sends[1]["type"], "image");
    assert!(sends[1]["image"].get("caption").is_none());
    wait_for(client, ".bubble[data-kind='image'] img.media-image").await;
    let drawn = client
        .execute(
            "const i = document.querySelector('.bubble[data-kind=\"image\"] img.media-image'); \
             return [i.alt, i.complete && i.naturalWidth];",
            vec![],
        )
        .await
        .expect("image");
    assert_eq!(drawn[0], "Photo sent to the customer");
    save_screenshot(client, "composer-sent-1280-en-agent.png").await;
    browser.close().await;
}
