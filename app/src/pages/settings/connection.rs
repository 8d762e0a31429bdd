//! The Meta connection in Ajustes: the webhook URL and verify token to paste into Meta's app
//! dashboard, the ids and secrets to copy from it (tested against Meta before they are saved,
//! then in force without a restart), and a test of the connection in force with Meta's exact
//! answer. Values the server's environment sets are shown locked.

use crate::api;
use crate::components::Copyable;
use crate::i18n::{use_i18n, Text, Words};
use cocolu_core::api::channel::{
    Connection, ConnectionChange, ConnectionCheck, ConnectionSaved, PhoneNumberInfo,
};
use cocolu_core::connection::ConnectionField;
use cocolu_core::log::SendError;
use leptos::prelude::*;

crate::i18n::page_texts!(ConnectionSaid {
    ConnectionSaved => ("Conexión guardada y en uso:", "Connection saved and in use:"),
    ConnectionOk => ("Conexión correcta:", "Connection works:"),
    ConnectionSavedUntested => (
        "Guardado. Para probarlo con Meta faltan el token de acceso y el id del número.",
        "Saved. To test it with Meta, the access token and the phone number id are still missing.",
    ),
    SetByServer => ("Lo fija la configuración del servidor, que manda sobre lo que se guarda aquí.", "Set by the server's configuration, which wins over what is saved here."),
    QualityHigh => ("alta (verde)", "high (green)"),
    QualityMedium => ("media (amarilla)", "medium (yellow)"),
    QualityLow => ("baja (roja)", "low (red)"),
    QualityUnknown => ("sin datos todavía", "not rated yet"),
    Quality => ("calidad", "quality"),
    SecretKeep => ("Déjalo vacío para conservar el actual.", "Leave it empty to keep the current one."),
    VerifyTokenHint => ("Inventado por Cocolu si lo dejas vacío. Pégalo en el formulario de Webhooks de Meta.", "Made up by Cocolu if you leave it empty. Paste it into Meta's Webhooks form."),
    MetaIdHint => ("Solo números, como aparece en Meta.", "Digits only, as Meta shows it."),
    WebhookNotHttps => (
        "Meta solo envía mensajes a direcciones https://. Publica Cocolu con un certificado (por ejemplo con nginx y Let's Encrypt) antes de pegar esta URL en Meta.",
        "Meta only delivers messages to https:// addresses. Publish Cocolu with a certificate (nginx and Let's Encrypt, for instance) before pasting this URL into Meta.",
    ),
    MetaHint => (
        "Copia estos datos de tu app en developers.facebook.com (WhatsApp › Configuración de la API). Cocolu los prueba con Meta antes de guardarlos y los usa al momento, sin reiniciar. Después, en Webhooks de tu app, pega la URL y el token de verificación y suscribe el campo messages.",
        "Copy these from your app at developers.facebook.com (WhatsApp › API Setup). Cocolu tests them with Meta before saving and uses them at once, without a restart. Then, under Webhooks in your app, paste the URL and the verify token and subscribe to the messages field.",
    ),
    MetaSection => ("Conexión con Meta (WhatsApp Cloud API)", "Meta connection (WhatsApp Cloud API)"),
    WebhookUrl => ("URL del webhook", "Webhook URL"),
    GraphApi => ("API Graph", "Graph API"),
    SetHidden => ("Configurada (oculta)", "Set (hidden)"),
    NotSet => ("Sin configurar", "Not set"),
    ConnectionSave => ("Probar y guardar", "Test and save"),
    ConnectionSaving => ("Probando con Meta…", "Testing with Meta…"),
    ConnectionNotSaved => ("Meta no aceptó estos datos y no se guardó nada:", "Meta did not accept these values, so nothing was saved:"),
    ConnectionInvalid => ("Revisa los campos marcados; no se guardó nada.", "Check the marked fields; nothing was saved."),
    ConnectionUnreachableNotSaved => ("No se pudo llegar a Meta para probarlo y no se guardó nada:", "Meta could not be reached to test it, so nothing was saved:"),
    Testing => ("Probando…", "Testing…"),
    TestConnection => ("Probar la conexión", "Test the connection"),
    ConnectionFailed => ("Meta rechazó la conexión:", "Meta refused the connection:"),
    ConnectionUnreachable => ("No se pudo llegar a Meta:", "Meta could not be reached:"),
});

/// What the last action found.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    /// Saved; with the number Meta described when there was enough to test.
    Saved(Option<PhoneNumberInfo>),
    /// The connection in force was tested.
    Tested(ConnectionCheck),
    /// Meta refused the values entered: nothing was saved.
    Refused(SendError),
    /// Refused for another reason, in words.
    Failed(Words, String),
}

/// The label of each field, in the order of [`ConnectionField::ALL`].
fn label(field: ConnectionField) -> Text {
    match field {
        ConnectionField::PhoneNumberId => Text::PhoneNumberId,
        ConnectionField::WabaId => Text::WabaId,
        ConnectionField::AccessToken => Text::AccessToken,
        ConnectionField::AppSecret => Text::AppSecret,
        ConnectionField::VerifyToken => Text::VerifyToken,
    }
}

/// What an input starts with: the ids and verify token as they are; secrets empty (never
/// shown; left empty they keep their value).
fn initial(connection: &Connection, field: ConnectionField) -> String {
    match field {
        ConnectionField::PhoneNumberId => connection.phone_number_id.clone(),
        ConnectionField::WabaId => connection.waba_id.clone(),
        ConnectionField::VerifyToken => connection.verify_token.clone(),
        ConnectionField::AccessToken | ConnectionField::AppSecret => None,
    }
    .unwrap_or_default()
}

/// A line about the number Meta describes, its quality rating in words.
fn number_line(i18n: crate::i18n::I18n, number: &PhoneNumberInfo) -> String {
    let or_unknown = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".into());
    let quality = match number.quality_rating.as_deref() {
        Some("GREEN") => ConnectionSaid::QualityHigh,
        Some("YELLOW") => ConnectionSaid::QualityMedium,
        Some("RED") => ConnectionSaid::QualityLow,
        _ => ConnectionSaid::QualityUnknown,
    };
    format!(
        "{} · {} · {}: {}",
        or_unknown(&number.verified_name),
        or_unknown(&number.display_phone_number),
        i18n.t(ConnectionSaid::Quality)(),
        i18n.t(quality)(),
    )
}

/// The Meta connection: the values to paste into Meta, the ones to copy from it, a save that
/// tests them first, and a test of what is in force.
#[component]
pub fn MetaConnection(connection: Connection) -> impl IntoView {
    let i18n = use_i18n();
    let inputs = ConnectionField::ALL.map(|field| RwSignal::new(initial(&connection, field)));
    let shown = RwSignal::new(connection);
    let busy = RwSignal::new(None::<ConnectionSaid>);
    let outcome = RwSignal::new(None::<Outcome>);
    let errors = RwSignal::new(Vec::<(String, String)>::new());
    let input_of = move |field: ConnectionField| inputs[field as usize];
    let locked = move |field: ConnectionField| shown.with(|c| c.set_by_server.contains(&field));

    let save = move |_| {
        // Only what the person changed goes: another admin's save or a hand edit made since
        // this page loaded keeps its other values.
        let value = |field: ConnectionField| {
            let text = input_of(field).get_untracked().trim().to_string();
            let unchanged = if field.is_secret() {
                text.is_empty()
            } else {
                shown.with_untracked(|c| initial(c, field)) == text
            };
            (!locked(field) && !unchanged).then_some(text)
        };
        let change = ConnectionChange {
            phone_number_id: value(ConnectionField::PhoneNumberId),
            waba_id: value(ConnectionField::WabaId),
            access_token: value(ConnectionField::AccessToken),
            app_secret: value(ConnectionField::AppSecret),
            verify_token: value(ConnectionField::VerifyToken),
        };
        busy.set(Some(ConnectionSaid::ConnectionSaving));
        outcome.set(None);
        errors.set(Vec::new());
        let lang = i18n.0.get_untracked();
        leptos::task::spawn_local(async move {
            let body = serde_json::to_value(&change).ok();
            let answer = api::send::<ConnectionSaved>("PUT", "/api/channel".into(), body).await;
            let result = match answer {
                Ok(saved) => {
                    for field in ConnectionField::ALL {
                        input_of(field).try_set(initial(&saved.connection, field));
                    }
                    shown.try_set(saved.connection);
                    Outcome::Saved(saved.check.and_then(|check| check.phone_number))
                }
                Err(failure) if failure.code == "connection_refused" => {
                    let meta = failure
                        .details
                        .as_ref()
                        .and_then(|details| api::from_part::<SendError>(&details["meta"]).ok());
                    match meta {
                        Some(error) => Outcome::Refused(error),
                        None => Outcome::Failed(
                            ConnectionSaid::ConnectionNotSaved.into(),
                            failure.message,
                        ),
                    }
                }
                Err(failure) if !failure.problems().is_empty() => {
                    let problems = crate::faults::problems_in(failure.problems(), lang).await;
                    errors.try_set(
                        problems
                            .into_iter()
                            .map(|p| (p.pointer.unwrap_or_default(), p.message))
                            .collect(),
                    );
                    Outcome::Failed(ConnectionSaid::ConnectionInvalid.into(), String::new())
                }
                Err(failure) => Outcome::Failed(
                    ConnectionSaid::ConnectionNotSaved.into(),
                    crate::faults::failure_in(failure, lang).await,
                ),
            };
            outcome.try_set(Some(result));
            busy.try_set(None);
        });
    };
    let test = move |_| {
        busy.set(Some(ConnectionSaid::Testing));
        outcome.set(None);
        let request = api::get_json::<ConnectionCheck>("/api/channel/check");
        leptos::task::spawn_local(async move {
            let result = match request.await {
                Ok(check) => Outcome::Tested(check),
                Err(error) => Outcome::Failed(Text::LoadFailed.into(), error),
            };
            outcome.try_set(Some(result));
            busy.try_set(None);
        });
    };

    let row = move |field: ConnectionField| {
        let id = format!("meta-{}", field.key().replace('_', "-"));
        let pointer = format!("/{}", field.key());
        let error = move || {
            errors.with(|all| {
                all.iter()
                    .find(|(at, _)| *at == pointer)
                    .map(|(_, message)| message.clone())
            })
        };
        let has_error = error.clone();
        let placeholder = move || {
            if !field.is_secret() {
                return String::new();
            }
            shown
                .with(|c| match field {
                    ConnectionField::AccessToken => c.access_token.clone(),
                    _ => c
                        .app_secret_set
                        .then(|| i18n.t(ConnectionSaid::SetHidden)().to_string()),
                })
                .unwrap_or_else(|| i18n.t(ConnectionSaid::NotSet)().to_string())
        };
        let hint = move || {
            if locked(field) {
                Some(ConnectionSaid::SetByServer)
            } else if field.is_secret() {
                let set = shown.with(|c| match field {
                    ConnectionField::AccessToken => c.access_token.is_some(),
                    _ => c.app_secret_set,
                });
                set.then_some(ConnectionSaid::SecretKeep)
            } else if field.is_id() {
                Some(ConnectionSaid::MetaIdHint)
            } else {
                Some(ConnectionSaid::VerifyTokenHint)
            }
        };
        let hint_id = format!("{id}-hint");
        view! {
            <div class="field">
                <label for=id.clone()>{i18n.t(label(field))}</label>
                <input
                    id=id
                    type=if field.is_secret() { "password" } else { "text" }
                    inputmode=field.is_id().then_some("numeric")
                    autocomplete="off"
                    spellcheck="false"
                    aria-describedby=hint_id.clone()
                    placeholder=placeholder
                    disabled=move || locked(field)
                    aria-invalid=move || has_error().is_some().then_some("true")
                    prop:value=move || input_of(field).get()
                    on:input=move |ev| input_of(field).set(event_target_value(&ev))
                />
                <p class="field-hint" id=hint_id>{move || hint().map(|text| i18n.t(text)())}</p>
                {move || error().map(|message| view! { <p class="field-error" role="alert">{message}</p> })}
            </div>
        }
    };

    let result = move || {
        let lang = i18n.0.get();
        let refusal = |saving: bool, error: &SendError| {
            let message = crate::i18n::meta_error(error.code, &error.message, lang);
            // No answer from Meta at all (the network) reads differently from a refusal.
            let lead = match (error.code.is_some() || error.status.is_some(), saving) {
                (true, true) => ConnectionSaid::ConnectionNotSaved,
                (true, false) => ConnectionSaid::ConnectionFailed,
                (false, true) => ConnectionSaid::ConnectionUnreachableNotSaved,
                (false, false) => ConnectionSaid::ConnectionUnreachable,
            };
            view! { <p class="notice notice-error" data-ok="false" role="alert">{i18n.t(lead)} " " {message}</p> }.into_any()
        };
        outcome.get().map(|outcome| match outcome {
            Outcome::Saved(Some(ref number)) | Outcome::Tested(ConnectionCheck { phone_number: Some(ref number), .. }) => {
                let lead = if matches!(outcome, Outcome::Saved(_)) { ConnectionSaid::ConnectionSaved } else { ConnectionSaid::ConnectionOk };
                view! { <p class="notice state-ok" data-ok="true">{i18n.t(lead)} " " {number_line(i18n, number)}</p> }.into_any()
            }
            Outcome::Saved(None) => view! { <p class="notice" data-ok="true">{i18n.t(ConnectionSaid::ConnectionSavedUntested)}</p> }.into_any(),
            Outcome::Tested(ConnectionCheck { error: Some(error), .. }) => refusal(false, &error),
            Outcome::Tested(_) => view! { <p class="notice notice-error" role="alert">{i18n.t(ConnectionSaid::ConnectionFailed)}</p> }.into_any(),
            Outcome::Refused(error) => refusal(true, &error),
            Outcome::Failed(lead, words) => view! {
                <p class="notice notice-error" role="alert">{i18n.t(lead)} " " {words}</p>
            }.into_any(),
        })
    };

    let webhook_url = Signal::derive(move || shown.with(|c| c.webhook_url.clone()));
    let verify_token =
        Signal::derive(move || shown.with(|c| c.verify_token.clone().unwrap_or_default()));
    view! {
        <section class="card" aria-labelledby="meta-title" id="meta-connection">
            <h2 id="meta-title">{i18n.t(ConnectionSaid::MetaSection)}</h2>
            <p class="field-hint">{i18n.t(ConnectionSaid::MetaHint)}</p>
            <dl class="facts">
                <dt>{i18n.t(ConnectionSaid::WebhookUrl)}</dt>
                <dd><Copyable id="webhook-url" value=webhook_url /></dd>
                <dt>{i18n.t(Text::VerifyToken)}</dt>
                <dd>{move || if verify_token.with(String::is_empty) {
                    view! { <span class="state-bad">{i18n.t(ConnectionSaid::NotSet)}</span> }.into_any()
                } else {
                    view! { <Copyable id="verify-token" value=verify_token /> }.into_any()
                }}</dd>
            </dl>
            {move || (!webhook_url.with(|url| url.starts_with("https://"))).then(|| view! {
                <p class="notice" id="webhook-not-https" role="note">{i18n.t(ConnectionSaid::WebhookNotHttps)}</p>
            })}
            <form class="connection-form" on:submit=move |ev| { ev.prevent_default(); save(()); }>
                {ConnectionField::ALL.map(row).into_iter().collect_view()}
                // Only when the server talks to another address than Meta's own (a test
                // stand-in, a proxy): nothing the owner needs otherwise.
                {move || shown.with(|c| (c.graph_url != "https://graph.facebook.com").then(|| view! {
                    <p class="field-hint">{i18n.t(ConnectionSaid::GraphApi)} ": "
                        <code class="mono">{format!("{} ({})", c.graph_url, c.graph_version)}</code>
                    </p>
                }))}
                <div class="actions">
                    <button type="submit" class="button button-primary" id="save-connection" disabled=move || busy.get().is_some()>
                        {move || i18n.t(if busy.get() == Some(ConnectionSaid::ConnectionSaving) { ConnectionSaid::ConnectionSaving } else { ConnectionSaid::ConnectionSave })()}
                    </button>
                    <button type="button" class="button" id="test-connection" disabled=move || busy.get().is_some() on:click=test>
                        {move || i18n.t(if busy.get() == Some(ConnectionSaid::Testing) { ConnectionSaid::Testing } else { ConnectionSaid::TestConnection })()}
                    </button>
                </div>
            </form>
            <div aria-live="polite" id="connection-result">{result}</div>
        </section>
    }
}
