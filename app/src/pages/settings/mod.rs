//! Ajustes: the business profile and time zone, hours and closed dates, the welcome, away,
//! fallback, takeover and opt-out options (all of `settings.json`, checked as the owner
//! types and saved on a revision), and the Meta connection ([`connection`]).

mod connection;
mod texts;

use crate::api;
use crate::components::document::{DocEditor, EditorTop};
use crate::components::fields::{
    dates_input, list_input, name_select, number_input, select_input, shifts_input, text_input,
    Field, ListStyle,
};
use crate::components::link::link_line;
use crate::components::{browser, signed_in, toaster, with_data, PageHeader};
use crate::i18n::{use_i18n, Text};
use crate::live;
use cocolu_core::api::channel::Connection;
use cocolu_core::api::status::Status;
use cocolu_core::api::templates::{TemplateView, Variable};
use cocolu_core::events::ServerEvent;
use cocolu_core::model::{ChannelKind, Language, LinkState, ReplyPolicy, Settings as SettingsDoc};
use connection::MetaConnection;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use texts::TemplateText;

crate::i18n::page_texts!(SettingsSaid {
    SettingsReadOnly => (
        "Solo un administrador puede cambiar los ajustes; aquí los ves como están.",
        "Only an administrator can change the settings; here you see them as they are.",
    ),
    BusinessSection => ("El negocio", "The business"),
    TimeZone => ("Zona horaria", "Time zone"),
    TimeZoneHint => ("Escribe para buscar la ciudad, como Caracas o Madrid.", "Type to search for the city, such as Caracas or Madrid."),
    HoursSection => ("Horario", "Hours"),
    HoursHint => ("Los horarios de cada día; un día sin horarios está cerrado. Un horario que termina antes de empezar (20:00–02:00) sigue pasada la medianoche.", "Each day's opening hours; a day without any is closed. Hours that end before they start (20:00–02:00) go on past midnight."),
    UseBrowserZone => ("Usar la de este dispositivo:", "Use this device's:"),
    RepliesSection => ("Respuestas automáticas", "Automatic replies"),
    ChannelSection => ("Canal de WhatsApp", "WhatsApp channel"),
    QrAlt => ("Código QR de WhatsApp Web", "WhatsApp Web QR code"),
    UnlinkConfirm => ("¿Desvincular el teléfono?", "Unlink the phone?"),
    PairPhone => ("Número del teléfono, con código de país (+58 412 123 4567):", "The phone's number, with country code (+58 412 123 4567):"),
    SettingsIntro => (
        "Tu negocio, el horario y la conexión con WhatsApp.",
        "Your business, opening hours and the WhatsApp connection.",
            ),
    BusinessName => ("Nombre", "Name"),
    BusinessNameHint => ("Como lo conocen tus clientes; es {{negocio}} en los textos.", "As your customers know it; it is {{negocio}} in texts."),
    BusinessDescription => ("Descripción", "Description"),
    DefaultLanguage => ("Idioma del panel para quien entra por primera vez", "Dashboard language for first-time visitors"),
    Spanish => ("Español", "Spanish"),
    English => ("Inglés", "English"),
    ClosedDates => ("Días cerrados", "Closed dates"),
    ClosedDatesHint => ("Festivos y vacaciones: elige el día y pulsa «Añadir día». Esos días el bot responde como fuera de horario.", "Holidays and vacations: pick the day and press “Add day”. On those days the bot answers as outside hours."),
    WelcomeTemplate => ("Bienvenida (primer mensaje)", "Welcome (first message)"),
    WelcomeAgain => ("Volver a dar la bienvenida tras días sin escribir (0: nunca)", "Welcome again after days of silence (0: never)"),
    AwayTemplate => ("Fuera de horario", "Away (outside hours)"),
    AwayEvery => ("Como mucho un aviso de ausencia cada (horas)", "At most one away message every (hours)"),
    FallbackTemplate => ("Cuando ninguna regla responde", "When no rule answers"),
    FallbackEvery => ("Como mucho una respuesta por defecto cada (minutos)", "At most one fallback every (minutes)"),
    TakeoverHours => ("Horas de pausa del bot cuando atiende una persona", "Hours the bot pauses when a person takes over"),
    MaxPerHour => ("Máximo de respuestas automáticas por cliente y hora", "Most automatic replies per customer per hour"),
    OptOutWords => ("Palabras para darse de baja", "Words to opt out"),
    OptOutTemplate => ("Confirmación de la baja", "Opt-out confirmation"),
    OptInWords => ("Palabras para volver a darse de alta", "Words to opt back in"),
    OptInTemplate => ("Confirmación del alta", "Opt-in confirmation"),
    ChannelChoice => ("Conectar por", "Connect through"),
    ChannelMeta => ("API oficial de Meta", "Meta's official API"),
    ChannelWeb => ("WhatsApp Web, con código QR", "WhatsApp Web, by QR code"),
    ChannelHint => (
        "WhatsApp Web no es la API oficial: WhatsApp puede bloquear el número, y no hay plantillas aprobadas. Guarda para vincular.",
        "WhatsApp Web is not the official API: WhatsApp may ban the number, and there are no approved templates. Save to link.",
    ),
    Unlink => ("Desvincular", "Unlink"),
    PairAgain => ("Vincular de nuevo", "Link again"),
    LinkFailed => ("WhatsApp Web no lo aceptó:", "WhatsApp Web did not accept it:"),
    PairAsk => ("Vincular con el número", "Link with the number"),
});

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Versioned {
    revision: String,
    settings: SettingsDoc,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Loaded {
    settings: Versioned,
    /// Every template in force: the choices, and the texts shown under them.
    templates: Vec<TemplateView>,
    /// Each variable with an example of its value, for the texts' previews.
    variables: Vec<Variable>,
    file_problems: Vec<cocolu_core::document::FileProblem>,
    /// Administrators only: agents see the settings, not the connection's details.
    connection: Option<Connection>,
    link: Option<LinkState>,
    admin: bool,
}

/// Time zones offered as suggestions (any IANA name is accepted).
const ZONES: [&str; 33] = [
    "America/Caracas",
    "America/Bogota",
    "America/Mexico_City",
    "America/Monterrey",
    "America/Tijuana",
    "America/Cancun",
    "America/Lima",
    "America/Santiago",
    "America/Argentina/Buenos_Aires",
    "America/Argentina/Cordoba",
    "America/Guayaquil",
    "America/Panama",
    "America/Costa_Rica",
    "America/Guatemala",
    "America/El_Salvador",
    "America/Tegucigalpa",
    "America/Managua",
    "America/Havana",
    "America/Santo_Domingo",
    "America/Puerto_Rico",
    "America/Montevideo",
    "America/Asuncion",
    "America/La_Paz",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "Europe/Madrid",
    "Atlantic/Canary",
    "Europe/Lisbon",
    "Europe/London",
    "Africa/Malabo",
    "UTC",
];

/// The time zone this device is set to (`America/Lima`), when the browser says.
fn device_zone() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let format =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
        let options = format.resolved_options();
        js_sys::Reflect::get(&options, &"timeZone".into())
            .ok()
            .and_then(|zone| zone.as_string())
            .filter(|zone| !zone.is_empty())
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

/// A weekday's field: its key, label, and how to read and write its ranges.
type Day = (
    &'static str,
    Text,
    fn(&SettingsDoc) -> Vec<String>,
    fn(&mut SettingsDoc, Vec<String>),
);

/// The settings page: administrators change them, agents see them as they are.
#[component]
pub fn Settings() -> impl IntoView {
    let me = signed_in();
    let lang = crate::i18n::use_i18n().0.get_untracked();
    let loaded = Resource::new(
        || (),
        move |()| {
            let settings = api::get_json::<Versioned>("/api/settings");
            let templates = api::get_json::<Vec<TemplateView>>("/api/templates");
            let status = api::get_json::<Status>("/api/status");
            let variables = api::get_json::<Vec<Variable>>("/api/templates/variables");
            // Asked only for an administrator (a future does nothing until awaited).
            let connection = api::get_json::<Connection>("/api/channel");
            async move {
                let admin = me.await.map(|m| m.is_admin()).unwrap_or(false);
                let status = status.await.unwrap_or_default();
                Ok(Loaded {
                    settings: settings.await?,
                    templates: templates.await?,
                    variables: variables.await.unwrap_or_default(),
                    link: status.whatsapp_web.link,
                    file_problems: crate::faults::problems_in(status.file_problems, lang).await,
                    connection: if admin { Some(connection.await?) } else { None },
                    admin,
                })
            }
        },
    );
    view! {
        <PageHeader title=Text::NavSettings intro=SettingsSaid::SettingsIntro />
        {with_data(loaded, |loaded: Loaded| view! { <SettingsEditor loaded /> })}
    }
}

#[component]
fn SettingsEditor(loaded: Loaded) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = toaster();
    let editor = DocEditor::new(
        "/api/settings",
        "settings",
        "settings.json",
        loaded.settings.revision,
        loaded.settings.settings,
        loaded.file_problems,
    );
    let read_only = !loaded.admin;
    let device = RwSignal::new(None::<String>);
    Effect::new(move |_| device.set(device_zone()));
    let link = RwSignal::new(loaded.link);
    let texts: texts::Texts = RwSignal::new(
        loaded
            .templates
            .iter()
            .map(|view| (view.name.clone(), view.clone()))
            .collect(),
    );
    let connected = live::on_events(move |event| {
        if let ServerEvent::LinkChanged { link: now } = &event {
            link.set(Some(now.clone()));
        }
        // A text changed by hand (or on the texts page) shows here as it is now.
        if matches!(&event, ServerEvent::FileReloaded { file } if file.starts_with("templates/")) {
            texts::reload(texts);
        }
        editor.on_event(&event, toasts);
    });
    // The saved choice decides which connection's panel shows.
    let uses_web = Memo::new(move |_| editor.saved.with(|s| s.channel == ChannelKind::WhatsappWeb));
    let templates: Vec<String> = loaded.templates.into_iter().map(|view| view.name).collect();
    let examples = StoredValue::new(loaded.variables);
    let admin = loaded.admin;
    let read = move |f: fn(&SettingsDoc) -> String| move || editor.draft.with(f);
    let write =
        move |f: fn(&mut SettingsDoc, String)| move |v: String| editor.draft.update(|s| f(s, v));
    let days: [Day; 7] = [
        (
            "monday",
            Text::Monday,
            |s| s.hours.monday.clone(),
            |s, v| s.hours.monday = v,
        ),
        (
            "tuesday",
            Text::Tuesday,
            |s| s.hours.tuesday.clone(),
            |s, v| s.hours.tuesday = v,
        ),
        (
            "wednesday",
            Text::Wednesday,
            |s| s.hours.wednesday.clone(),
            |s, v| s.hours.wednesday = v,
        ),
        (
            "thursday",
            Text::Thursday,
            |s| s.hours.thursday.clone(),
            |s, v| s.hours.thursday = v,
        ),
        (
            "friday",
            Text::Friday,
            |s| s.hours.friday.clone(),
            |s, v| s.hours.friday = v,
        ),
        (
            "saturday",
            Text::Saturday,
            |s| s.hours.saturday.clone(),
            |s, v| s.hours.saturday = v,
        ),
        (
            "sunday",
            Text::Sunday,
            |s| s.hours.sunday.clone(),
            |s, v| s.hours.sunday = v,
        ),
    ];
    let template_field = |id: &str,
                          label: SettingsSaid,
                          pointer: &str,
                          get: fn(&ReplyPolicy) -> String,
                          set: fn(&mut ReplyPolicy, String)| {
        let choice = name_select(
            editor,
            Field::new(id, label, pointer),
            templates.clone(),
            move || editor.draft.with(|s| get(&s.replies)),
            move |v| editor.draft.update(|s| set(&mut s.replies, v)),
        );
        // What that template sends, under it, and changed there.
        let name = Signal::derive(move || editor.draft.with(|s| get(&s.replies)));
        let in_force = Signal::derive(move || editor.saved.with(|s| get(&s.replies)));
        view! {
            <div class="template-choice">
                {choice}
                <TemplateText id=id.to_string() label name in_force texts examples admin />
            </div>
        }
        .into_any()
    };
    let number_field = |id: &str,
                        label: SettingsSaid,
                        pointer: &str,
                        get: fn(&ReplyPolicy) -> u32,
                        set: fn(&mut ReplyPolicy, u32)| {
        number_input(
            editor,
            Field::new(id, label, pointer),
            move || editor.draft.with(|s| get(&s.replies)),
            move |v| editor.draft.update(|s| set(&mut s.replies, v)),
        )
    };
    view! {
        <EditorTop editor toasts connected admin=loaded.admin read_only=SettingsSaid::SettingsReadOnly />
        <form class="settings-form" on:submit=|ev| ev.prevent_default()>
            <fieldset class="plain" disabled=!loaded.admin>
            <fieldset class="form-section card">
                <legend>{i18n.t(SettingsSaid::BusinessSection)}</legend>
                {text_input(editor, Field::new("business-name", SettingsSaid::BusinessName, "/business/name").hint(SettingsSaid::BusinessNameHint),
                    read(|s| s.business.name.clone()), write(|s, v| s.business.name = v))}
                {text_input(editor, Field::new("business-description", SettingsSaid::BusinessDescription, "/business/description"),
                    read(|s| s.business.description.clone()), write(|s, v| s.business.description = v))}
                <div class="field">
                    <label for="time-zone">{i18n.t(SettingsSaid::TimeZone)}</label>
                    <input
                        id="time-zone"
                        type="text"
                        list="time-zones"
                        prop:value=read(|s| s.time_zone.clone())
                        aria-invalid=move || editor.error_at("/time_zone").is_some().then_some("true")
                        on:input=move |ev| { let v = event_target_value(&ev); editor.draft.update(|s| s.time_zone = v) }
                    />
                    <datalist id="time-zones">
                        {ZONES.iter().map(|z| view! { <option value=*z></option> }).collect_view()}
                    </datalist>
                    <p class="field-hint">{i18n.t(SettingsSaid::TimeZoneHint)}</p>
                    // The device's own zone, offered when the field says another (known after
                    // the page is live: the server cannot tell).
                    {move || {
                        let zone = device.get()?;
                        let current = editor.draft.with(|s| s.time_zone.clone());
                        (zone != current && !read_only).then(|| {
                            let chosen = zone.clone();
                            view! {
                                <p class="field-hint">
                                    {i18n.t(SettingsSaid::UseBrowserZone)} " "
                                    <button type="button" class="link-button" id="use-device-zone"
                                        on:click=move |_| { let zone = chosen.clone(); editor.draft.update(|s| s.time_zone = zone) }>
                                        {zone}
                                    </button>
                                </p>
                            }
                        })
                    }}
                    {crate::components::document::field_error(editor, "/time_zone".into())}
                </div>
                {select_input(editor, Field::new("language", SettingsSaid::DefaultLanguage, "/language"),
                    vec![("es".into(), SettingsSaid::Spanish.into()), ("en".into(), SettingsSaid::English.into())],
                    move || editor.draft.with(|s| match s.language { Language::Es => "es", Language::En => "en" }.to_string()),
                    move |v| editor.draft.update(|s| s.language = if v == "en" { Language::En } else { Language::Es }))}
            </fieldset>
            <fieldset class="form-section card">
                <legend>{i18n.t(SettingsSaid::ChannelSection)}</legend>
                {select_input(editor, Field::new("channel", SettingsSaid::ChannelChoice, "/channel"),
                    vec![("meta".into(), SettingsSaid::ChannelMeta.into()), ("whatsapp_web".into(), SettingsSaid::ChannelWeb.into())],
                    move || editor.draft.with(|s| s.channel.key().to_string()),
                    move |v| editor.draft.update(|s| s.channel = ChannelKind::try_from(v).unwrap_or_default()))}
                // What choosing WhatsApp Web means, while it is the choice.
                {move || editor.draft.with(|s| s.channel == ChannelKind::WhatsappWeb).then(|| view! {
                    <p class="field-hint" id="channel-hint">{i18n.t(SettingsSaid::ChannelHint)}</p>
                })}
                // The link with the phone, right under the choice that started it.
                {move || uses_web.get().then(|| view! { <WebLink link /> })}
            </fieldset>
            <fieldset class="form-section card">
                <legend>{i18n.t(SettingsSaid::HoursSection)}</legend>
                <p class="field-hint">{i18n.t(SettingsSaid::HoursHint)}</p>
                <div class="hours-grid">
                    {days.into_iter().map(|(key, label, get, set)| {
                        shifts_input(editor, Field::new(format!("hours-{key}"), label, format!("/hours/{key}")),
                            move || editor.draft.with(get),
                            move |v| editor.draft.update(|s| set(s, v)))
                    }).collect_view()}
                </div>
                {dates_input(editor, Field::new("hours-closed", SettingsSaid::ClosedDates, "/hours/closed").hint(SettingsSaid::ClosedDatesHint),
                    move || editor.draft.with(|s| s.hours.closed.clone()),
                    move |v| editor.draft.update(|s| s.hours.closed = v))}
            </fieldset>
            <fieldset class="form-section card">
                <legend>{i18n.t(SettingsSaid::RepliesSection)}</legend>
                <div class="settings-grid">
                    {template_field("welcome-template", SettingsSaid::WelcomeTemplate, "/replies/welcome_template", |r| r.welcome_template.clone(), |r, v| r.welcome_template = v)}
                    {number_field("welcome-again", SettingsSaid::WelcomeAgain, "/replies/welcome_again_after_days", |r| r.welcome_again_after_days, |r, v| r.welcome_again_after_days = v)}
                    {template_field("away-template", SettingsSaid::AwayTemplate, "/replies/away_template", |r| r.away_template.clone(), |r, v| r.away_template = v)}
                    {number_field("away-every", SettingsSaid::AwayEvery, "/replies/away_every_hours", |r| r.away_every_hours, |r, v| r.away_every_hours = v)}
                    {template_field("fallback-template", SettingsSaid::FallbackTemplate, "/replies/fallback_template", |r| r.fallback_template.clone(), |r, v| r.fallback_template = v)}
                    {number_field("fallback-every", SettingsSaid::FallbackEvery, "/replies/fallback_every_minutes", |r| r.fallback_every_minutes, |r, v| r.fallback_every_minutes = v)}
                    {number_field("takeover-hours", SettingsSaid::TakeoverHours, "/replies/takeover_quiet_hours", |r| r.takeover_quiet_hours, |r, v| r.takeover_quiet_hours = v)}
                    {number_field("max-per-hour", SettingsSaid::MaxPerHour, "/replies/max_auto_replies_per_hour", |r| r.max_auto_replies_per_hour, |r, v| r.max_auto_replies_per_hour = v)}
                </div>
                {list_input(editor, Field::new("opt-out-words", SettingsSaid::OptOutWords, "/replies/opt_out_keywords"), ListStyle::Commas,
                    move || editor.draft.with(|s| s.replies.opt_out_keywords.clone()),
                    move |v| editor.draft.update(|s| s.replies.opt_out_keywords = v))}
                {template_field("opt-out-template", SettingsSaid::OptOutTemplate, "/replies/opt_out_template", |r| r.opt_out_template.clone(), |r, v| r.opt_out_template = v)}
                {list_input(editor, Field::new("opt-in-words", SettingsSaid::OptInWords, "/replies/opt_in_keywords"), ListStyle::Commas,
                    move || editor.draft.with(|s| s.replies.opt_in_keywords.clone()),
                    move |v| editor.draft.update(|s| s.replies.opt_in_keywords = v))}
                {template_field("opt-in-template", SettingsSaid::OptInTemplate, "/replies/opt_in_template", |r| r.opt_in_template.clone(), |r, v| r.opt_in_template = v)}
            </fieldset>
            </fieldset>
        </form>
        {move || (!uses_web.get())
            .then(|| loaded.connection.clone())
            .flatten()
            .map(|connection| view! { <MetaConnection connection /> })}
    }
}

/// Forgets the link's keys and starts a new pairing.
const UNLINK: &str = "/api/whatsapp-web/unlink";

/// WhatsApp Web's link with the shop's phone: its state, the QR code to scan (an image the
/// server draws, fetched again as WhatsApp rotates it) or a code to type on the phone for its
/// number (for a dashboard opened on the phone itself), unlinking, and linking again once the
/// phone (or WhatsApp) ended the link.
#[component]
fn WebLink(link: RwSignal<Option<LinkState>>) -> impl IntoView {
    let i18n = use_i18n();
    let toasts = toaster();
    let busy = RwSignal::new(false);
    // The new state arrives as `link_changed` events.
    let post = move |path: &'static str, body: Option<Value>| {
        busy.set(true);
        leptos::task::spawn_local(async move {
            if let Err(failure) = api::send::<Value>("POST", path.into(), body).await {
                toasts.failed(SettingsSaid::LinkFailed, failure);
            }
            busy.set(false);
        });
    };
    let unlink = move || {
        if browser::confirm(i18n.t(SettingsSaid::UnlinkConfirm)()) {
            post(UNLINK, None);
        }
    };
    // For a dashboard open on the phone itself, which cannot scan its own screen.
    let ask_code = move || {
        if let Some(phone) = browser::ask(i18n.t(SettingsSaid::PairPhone)()) {
            post(
                "/api/whatsapp-web/pair-code",
                Some(serde_json::json!({ "phone": phone })),
            );
        }
    };
    view! {
        <div id="whatsapp-web" aria-live="polite">
            {move || link.get().map(|now| {
                // The image's address changes with each code WhatsApp hands out.
                let qr = match &now {
                    LinkState::Pairing { qr: Some(_), expires_at, .. } => Some(*expires_at),
                    _ => None,
                };
                // The panel's one button: while pairing, a code for the phone's number
                // instead of the QR code; linked, unlink; unlinked by the phone or by
                // WhatsApp, a new pairing (the same call: the old keys are forgotten).
                let button = match &now {
                    LinkState::Connecting => None,
                    LinkState::Pairing { .. } => Some(("pair-code", "button", SettingsSaid::PairAsk)),
                    LinkState::LoggedOut { .. } => Some(("pair-again", "button button-primary", SettingsSaid::PairAgain)),
                    _ => Some(("unlink", "button button-danger", SettingsSaid::Unlink)),
                };
                view! {
                    {link_line(i18n, &now)}
                    {qr.map(|at| view! {
                        <img id="link-qr" class="link-qr" width="264" height="264"
                            src=format!("/api/whatsapp-web/qr.svg?v={at}") alt=i18n.t(SettingsSaid::QrAlt) />
                    })}
                    {button.map(|(id, class, text)| view! {
                        <button type="button" id=id class=class disabled=move || busy.get()
                            on:click=move |_| match id {
                                "pair-code" => ask_code(),
                                "pair-again" => post(UNLINK, None),
                                _ => unlink(),
                            }>
                            {i18n.t(text)}
                        </button>
                    })}
                }
            })}
        </div>
    }
}
