//! Resumen: the channel's state, today's counts and what needs attention, read from
//! `/api/status` (rendered with its data on the server).

use crate::api;
use crate::components::document::place;
use crate::components::link::link_line;
use crate::components::text_titles::text_title;
use crate::components::{signed_in, with_data, ConnectionLost, Figure, PageHeader};
use crate::i18n::{use_i18n, Said, Text, Words};
use crate::live;
use crate::whatsapp::Formatted;
use cocolu_core::api::activity::{ActivityItem, ActivityKind};
use cocolu_core::api::status::{Alert, AlertKind, Status};
use cocolu_core::events::ServerEvent;
use cocolu_core::model::LinkState;
use leptos::prelude::*;

crate::i18n::page_texts!(OverviewSaid {
    FeedTitle => ("Actividad", "Activity"),
    FeedEmpty => (
        "Todavía no hay actividad: aquí aparecerán los mensajes de los clientes y las respuestas.",
        "No activity yet: customers' messages and the replies will show here.",
            ),
    ChannelTitle => ("Canal de WhatsApp", "WhatsApp channel"),
    LastWebhook => ("Último mensaje recibido", "Last message received"),
    Never => (
        "todavía ninguno; escribe a tu número de WhatsApp desde otro teléfono para probarlo",
        "none yet; write to your WhatsApp number from another phone to try it",
    ),
    TodayTitle => ("Hoy", "Today"),
    AlertsTitle => ("Avisos", "Alerts"),
    NoAlerts => ("Todo en orden.", "All is well."),
    OverviewIntro => (
        "El estado del canal de WhatsApp y la actividad de hoy.",
        "The WhatsApp channel's state and today's activity.",
            ),
    FeedReceived => ("escribió", "wrote"),
    FeedQueued => ("se le respondió", "was answered"),
    FeedFailed => ("una respuesta no se pudo enviar", "a reply could not be sent"),
    FeedTakenOver => ("lo atiende una persona", "a person took over"),
    FeedGivenBack => ("vuelve a atenderlo el bot", "back with the bot"),
    FeedNeedsPerson => ("espera a una persona", "is waiting for a person"),
    ChannelConfigured => (
        "La conexión con la API oficial de Meta está lista: los mensajes de los clientes llegan aquí y el bot les responde.",
        "Meta's official API is set up: customers' messages arrive here and the bot answers them.",
            ),
    ChannelNotConfigured => (
        "Sin conectar: los datos de la conexión con WhatsApp se ponen en Ajustes.",
        "Not connected: the WhatsApp connection's details go in Settings.",
            ),
    ConnectNow => ("Conectar WhatsApp", "Connect WhatsApp"),
    OpenToFix => ("Corregir", "Fix it"),
    StatBot => ("respondidos por el bot", "answered by the bot"),
    StatPeople => ("respondidos por personas", "answered by people"),
    StatPending => ("por enviar", "waiting to send"),
    StatFailed => ("fallidos", "failed"),
    AlertTokenRefused => (
        "Meta rechazó el token de acceso: los envíos están en pausa hasta que pongas uno nuevo en Ajustes.",
        "Meta refused the access token: sending is paused until you enter a new one in Settings.",
            ),
    AlertNotConfigured => (
        "La conexión con WhatsApp no está completa: pon el id del número, el token de acceso y la clave secreta de la app en Ajustes.",
        "The WhatsApp connection is not complete: enter the phone number id, the access token and the app secret in Settings.",
            ),
    AlertFileProblem => (
        "Un archivo editado a mano tiene un error; sigue vigente la última versión buena:",
        "A hand-edited file has an error; the last good version stays in force:",
            ),
    AlertOutsideWindow => (
        "Respuestas rechazadas en las últimas 24 horas porque el cliente escribió hace más de 24 horas (solo llega una plantilla aprobada):",
        "Replies refused in the last 24 hours because the customer wrote over 24 hours ago (only an approved template gets through):",
            ),
    AlertTemplateToFill => (
        "Textos por completar; hasta entonces el bot no los envía y pasa la conversación a una persona:",
        "Texts still to fill in; until then the bot does not send them and hands the chat to a person:",
            ),
    StillNeeds => ("falta", "needs"),
    AlertFailedSends => (
        "Respuestas que no se pudieron enviar o no llegaron en las últimas 24 horas:",
        "Replies that could not be sent or did not arrive in the last 24 hours:",
            ),
});

/// The overview page.
#[component]
pub fn Overview() -> impl IntoView {
    let i18n = use_i18n();
    let me = signed_in();
    // The status and the feed, read together (one resource: each kind of resource is code in
    // the page's bundle); times are shown in the shop's time zone, whose offset comes with the
    // person's account.
    let data = Resource::new(
        || (),
        move |()| {
            let status = api::get_json::<Status>("/api/status");
            let items =
                api::get_json::<Vec<ActivityItem>>(&format!("/api/activity?limit={FEED_LENGTH}"));
            async move {
                let offset = me.await.map(|m| m.utc_offset_minutes).unwrap_or_default();
                Ok::<_, String>(Shown {
                    status: status.await?,
                    items: items.await?,
                    offset,
                })
            }
        },
    );
    // Counts, alerts, the channel and the feed change as messages come and go: read them
    // again, once per burst of events.
    let refresh = live::once_per_burst(std::time::Duration::from_millis(250), move || {
        data.refetch();
    });
    let connected = live::on_events(move |event| {
        let moves = matches!(
            event,
            ServerEvent::StatsTick { .. }
                | ServerEvent::MessageReceived { .. }
                | ServerEvent::MessageQueued { .. }
                | ServerEvent::MessageSent { .. }
                | ServerEvent::MessageFailed { .. }
                | ServerEvent::TakeoverChanged { .. }
                | ServerEvent::ChannelError { .. }
                | ServerEvent::FileError { .. }
                | ServerEvent::FileReloaded { .. }
                | ServerEvent::LinkChanged { .. }
        );
        if moves {
            refresh();
        }
    });
    view! {
        <PageHeader title=Text::NavOverview intro=OverviewSaid::OverviewIntro />
        <ConnectionLost connected />
        {with_data(data, move |Shown { status, items, offset }| view! {
            <OverviewBody status offset />
            <section class="card" aria-labelledby="feed-title" id="feed">
                <h2 id="feed-title">{i18n.t(OverviewSaid::FeedTitle)}</h2>
                <Feed items offset />
            </section>
        })}
    }
}

/// What the page shows, read from the API.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Shown {
    status: Status,
    items: Vec<ActivityItem>,
    offset: i32,
}

/// Lines shown in the activity feed.
const FEED_LENGTH: usize = 20;

/// The feed's lines, newest first, each naming the customer and leading to the conversation.
#[component]
fn Feed(items: Vec<ActivityItem>, offset: i32) -> impl IntoView {
    let i18n = use_i18n();
    if items.is_empty() {
        return view! { <p class="loading">{i18n.t(OverviewSaid::FeedEmpty)}</p> }.into_any();
    }
    let now = crate::time::now_ms();
    view! {
        <ul class="feed" aria-live="polite">
            {items.into_iter().map(|item| {
                let href = format!("/inbox?c={}", crate::api::encode(&item.conversation));
                view! {
                    <li class="feed-item" data-kind=kind_name(item.kind)>
                        <a class="feed-who" href=href>{item.who.clone()}</a>
                        " · "
                        {i18n.t(kind_text(item.kind))}
                        {item.by.as_deref().map(|by| view! { " (" {crate::i18n::sender(by, i18n.0.get_untracked())} ")" })}
                        " · "
                        <span class="feed-when">{crate::time::when(item.at, now, offset, i18n.0.get_untracked())}</span>
                        {item.text.clone().map(|text| view! { <span class="feed-text">" “" <Formatted text /> "”"</span> })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

fn kind_text(kind: ActivityKind) -> OverviewSaid {
    match kind {
        ActivityKind::Received => OverviewSaid::FeedReceived,
        ActivityKind::Replied => OverviewSaid::FeedQueued,
        ActivityKind::Failed => OverviewSaid::FeedFailed,
        ActivityKind::TakenOver => OverviewSaid::FeedTakenOver,
        ActivityKind::GivenBack => OverviewSaid::FeedGivenBack,
        ActivityKind::NeedsPerson => OverviewSaid::FeedNeedsPerson,
    }
}

fn kind_name(kind: ActivityKind) -> &'static str {
    match kind {
        ActivityKind::Received => "received",
        ActivityKind::Replied => "replied",
        ActivityKind::Failed => "failed",
        ActivityKind::TakenOver => "takeover",
        ActivityKind::GivenBack => "given_back",
        ActivityKind::NeedsPerson => "needs_person",
    }
}

fn alert_text(alert: &Alert) -> Words {
    match alert.kind {
        AlertKind::TokenRefused => OverviewSaid::AlertTokenRefused.into(),
        AlertKind::NotConfigured => OverviewSaid::AlertNotConfigured.into(),
        AlertKind::FileProblem => OverviewSaid::AlertFileProblem.into(),
        AlertKind::TemplateToFill => OverviewSaid::AlertTemplateToFill.into(),
        AlertKind::OutsideWindow => OverviewSaid::AlertOutsideWindow.into(),
        AlertKind::WebNotLinked => Text::LinkPairing.into(),
        AlertKind::WebDisconnected => Text::LinkDisconnected.into(),
        AlertKind::WebLoggedOut => Text::LinkLoggedOut.into(),
        AlertKind::FailedSends => OverviewSaid::AlertFailedSends.into(),
    }
}

/// What the owner still has to write, each in quotes: the shop's own words, in whichever
/// language the texts are written.
fn quoted(fill_ins: &[String]) -> String {
    fill_ins
        .iter()
        .map(|f| format!("“{f}”"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The page where a hand-edited file is edited (`rules.json` → Reglas).
fn page_of(file: &str) -> Option<String> {
    match file {
        "settings.json" => Some("/settings".into()),
        "rules.json" => Some("/rules".into()),
        "quick_replies.json" => Some("/quick-replies".into()),
        _ => file
            .strip_prefix("templates/")
            .and_then(|name| name.strip_suffix(".txt"))
            .map(template_page),
    }
}

/// The texts page opened on the text `id`.
fn template_page(id: &str) -> String {
    format!("/templates?template={}", crate::api::encode(id))
}

#[component]
fn OverviewBody(status: Status, offset: i32) -> impl IntoView {
    let i18n = use_i18n();
    let channel = status.channel.clone();
    let configured = channel.configured();
    let last_webhook = channel
        .last_webhook_at
        .map(|at| crate::time::when(at, crate::time::now_ms(), offset, i18n.0.get_untracked()));
    let alerts = status.alerts.clone();
    let mut to_fill = Some(
        alerts
            .iter()
            .filter_map(|a| a.template.clone().map(|t| (t, a.fill_ins.clone())))
            .collect::<Vec<_>>(),
    );
    let link = status.whatsapp_web.link.clone();
    // Why WhatsApp Web's link is down, for its alert.
    let reason = match &link {
        Some(LinkState::Disconnected { reason, .. } | LinkState::LoggedOut { reason }) => {
            Some(reason.clone())
        }
        _ => None,
    };
    view! {
        <section class="card" aria-labelledby="channel-title" id="channel">
            <h2 id="channel-title">{i18n.t(OverviewSaid::ChannelTitle)}</h2>
            {match link {
                Some(link) => link_line(i18n, &link).into_any(),
                None => view! {
                    <p class=if configured { "state state-ok" } else { "state state-bad" }>
                        {i18n.t(if configured { OverviewSaid::ChannelConfigured } else { OverviewSaid::ChannelNotConfigured })}
                    </p>
                    {(!configured).then(|| view! {
                        <p><a class="button button-primary" id="connect-now" href="/settings#meta-connection">
                            {i18n.t(OverviewSaid::ConnectNow)}
                        </a></p>
                    })}
                }.into_any(),
            }}
            <p>
                {i18n.t(OverviewSaid::LastWebhook)}
                ": "
                {match last_webhook {
                    Some(at) => at.into_any(),
                    None => i18n.t(OverviewSaid::Never).into_any(),
                }}
            </p>
        </section>
        <section class="card" aria-labelledby="today-title">
            <h2 id="today-title">{i18n.t(OverviewSaid::TodayTitle)}</h2>
            <div class="figures">
                <Figure label=Text::StatReceived value=status.today.received.to_string() id="today-received" />
                <Figure label=OverviewSaid::StatBot value=status.today.bot_replies.to_string() id="today-bot" />
                <Figure label=OverviewSaid::StatPeople value=status.today.agent_replies.to_string() id="today-people" />
                <Figure label=OverviewSaid::StatPending value=status.counts.outbox_pending.to_string() id="today-pending" />
                <Figure label=OverviewSaid::StatFailed value=status.today.failed.to_string() id="today-failed" />
            </div>
        </section>
        <section class="card" aria-labelledby="alerts-title" id="alerts">
            <h2 id="alerts-title">{i18n.t(OverviewSaid::AlertsTitle)}</h2>
            {if alerts.is_empty() {
                view! { <p class="state state-ok">{i18n.t(OverviewSaid::NoAlerts)}</p> }.into_any()
            } else {
                view! {
                    <ul class="alerts">
                        {alerts
                            .into_iter()
                            .filter_map(|alert| {
                                let text = alert_text(&alert);
                                // The texts still to fill in, in one alert where the first was:
                                // each named as the texts page names it ("Precios"), with what
                                // it still needs.
                                if alert.template.is_some() {
                                    let texts = to_fill.take()?;
                                    return Some(view! {
                                        <li class="alert" data-kind=alert.kind.as_str()>
                                            {i18n.t(text)}
                                            <ul class="alert-texts">
                                                {texts.into_iter().map(|(template, fill_ins)| {
                                                    let href = template_page(&template);
                                                    let title = move || text_title(&template, i18n.0.get());
                                                    let needs = quoted(&fill_ins);
                                                    let needs = move || format!(" — {} {needs}", OverviewSaid::StillNeeds.get(i18n.0.get()));
                                                    view! {
                                                        <li>
                                                            <a class="alert-link" href=href>{title}</a>
                                                            <span class="alert-fill">{needs}</span>
                                                        </li>
                                                    }
                                                }).collect_view()}
                                            </ul>
                                        </li>
                                    }.into_any());
                                }
                                // Where a file's problem is, and a way to the page that edits
                                // that file, which says what is wrong in the page's language.
                                let problem = alert.file.as_ref().and_then(|file| {
                                    status.file_problems.iter().find(|p| &p.file == file)
                                });
                                let fix = alert.file.as_deref().and_then(page_of).map(|href| view! {
                                    " " <a class="alert-link" href=href>{i18n.t(OverviewSaid::OpenToFix)}</a>
                                });
                                let detail = problem
                                    .map(|p| place(p, i18n.0.get_untracked()))
                                    .or_else(|| alert.file.clone())
                                    .or_else(|| alert.kind.is_link().then(|| reason.clone()).flatten())
                                    .or_else(|| alert.count.map(|n| n.to_string()));
                                Some(view! {
                                    <li class="alert" data-kind=alert.kind.as_str()>
                                        {i18n.t(text)}
                                        {detail.map(|d| view! { <span class="alert-detail">" " {d}</span> })}
                                        {fix}
                                    </li>
                                }.into_any())
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}
