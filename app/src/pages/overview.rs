//! Resumen: the channel's state, today's counts and what needs attention, read from
//! `/api/status` (rendered with its data on the server).

use crate::api;
use crate::components::link::link_line;
use crate::components::{with_data, ConnectionLost, Figure, PageHeader};
use crate::i18n::{use_i18n, Text};
use crate::live;
use cocolu_core::api::status::{Alert, AlertKind, Status};
use cocolu_core::events::ServerEvent;
use cocolu_core::model::LinkState;
use leptos::prelude::*;

/// The overview page.
#[component]
pub fn Overview() -> impl IntoView {
    let i18n = use_i18n();
    let status = Resource::new(|| (), |()| api::get_json::<Status>("/api/status"));
    // What happened since the page opened, newest first.
    let feed = RwSignal::new(Vec::<FeedItem>::new());
    // Counts, alerts and the channel change as messages come and go: read them again.
    let connected = live::on_events(move |event| {
        if let Some(item) = FeedItem::of(&event) {
            feed.update(|items| {
                items.insert(0, item);
                items.truncate(FEED_LENGTH);
            });
        }
        if matches!(
            event,
            ServerEvent::StatsTick { .. }
                | ServerEvent::MessageReceived { .. }
                | ServerEvent::MessageSent { .. }
                | ServerEvent::MessageFailed { .. }
                | ServerEvent::ChannelError { .. }
                | ServerEvent::FileError { .. }
                | ServerEvent::FileReloaded { .. }
                | ServerEvent::LinkChanged { .. }
        ) {
            status.refetch();
        }
    });
    // The list is built once there is something in it, then only its items change.
    let has_feed = Memo::new(move |_| !feed.read().is_empty());
    view! {
        <PageHeader title=Text::NavOverview intro=Text::OverviewIntro />
        <ConnectionLost connected />
        {with_data(status, |status| view! { <OverviewBody status /> })}
        <section class="card" aria-labelledby="feed-title" id="feed">
            <h2 id="feed-title">{i18n.t(Text::FeedTitle)}</h2>
            {move || if has_feed.get() {
                view! {
                <ul class="feed" aria-live="polite">
                    <For each=move || feed.get() key=|item| item.key.clone() let:item>
                        <li class="feed-item" data-kind=item.kind>
                            {i18n.t(item.label)}
                            " · "
                            <span class="feed-who">{item.conversation.clone()}</span>
                            {item.text.clone().map(|t| view! { <span class="feed-text">" “" {t} "”"</span> })}
                        </li>
                    </For>
                </ul>
                }.into_any()
            } else {
                view! { <p class="loading">{i18n.t(Text::FeedEmpty)}</p> }.into_any()
            }}
        </section>
    }
}

/// Events shown in the activity feed at most.
const FEED_LENGTH: usize = 20;

/// One line of the activity feed.
#[derive(Clone, Debug, PartialEq)]
struct FeedItem {
    key: String,
    kind: &'static str,
    label: Text,
    conversation: String,
    text: Option<String>,
}

impl FeedItem {
    fn of(event: &ServerEvent) -> Option<FeedItem> {
        let (key, kind, label, conversation, text) = match event {
            ServerEvent::MessageReceived {
                conversation,
                id,
                text,
                ..
            } => (
                id.clone(),
                "received",
                Text::FeedReceived,
                conversation,
                text.clone(),
            ),
            ServerEvent::MessageQueued {
                conversation,
                outbox,
                text,
            } => (
                format!("q-{outbox}"),
                "queued",
                Text::FeedQueued,
                conversation,
                Some(text.clone()),
            ),
            ServerEvent::MessageFailed {
                conversation,
                outbox,
                ..
            } => (
                format!("f-{outbox}"),
                "failed",
                Text::FeedFailed,
                conversation,
                None,
            ),
            ServerEvent::TakeoverChanged {
                conversation,
                paused_until,
            } => (
                format!("t-{conversation}-{paused_until:?}"),
                "takeover",
                if paused_until.is_some() {
                    Text::FeedTakenOver
                } else {
                    Text::FeedGivenBack
                },
                conversation,
                None,
            ),
            _ => return None,
        };
        Some(FeedItem {
            key,
            kind,
            label,
            conversation: conversation.clone(),
            text: text.map(|t| t.chars().take(80).collect()),
        })
    }
}

fn alert_text(alert: &Alert) -> Text {
    match alert.kind {
        AlertKind::TokenRefused => Text::AlertTokenRefused,
        AlertKind::NotConfigured => Text::AlertNotConfigured,
        AlertKind::FileProblem => Text::AlertFileProblem,
        AlertKind::TemplateToFill => Text::AlertTemplateToFill,
        AlertKind::OutsideWindow => Text::AlertOutsideWindow,
        AlertKind::WebNotLinked => Text::LinkPairing,
        AlertKind::WebDisconnected => Text::LinkDisconnected,
        AlertKind::WebLoggedOut => Text::LinkLoggedOut,
        AlertKind::FailedSends => Text::AlertFailedSends,
    }
}

#[component]
fn OverviewBody(status: Status) -> impl IntoView {
    let i18n = use_i18n();
    let channel = status.channel.clone();
    let configured = channel.configured();
    let last_webhook = channel.last_webhook_local.clone();
    let alerts = status.alerts.clone();
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
            <h2 id="channel-title">{i18n.t(Text::ChannelTitle)}</h2>
            {match link {
                Some(link) => link_line(i18n, &link).into_any(),
                None => view! {
                    <p class=if configured { "state state-ok" } else { "state state-bad" }>
                        {i18n.t(if configured { Text::ChannelConfigured } else { Text::ChannelNotConfigured })}
                    </p>
                }.into_any(),
            }}
            <p>
                {i18n.t(Text::LastWebhook)}
                ": "
                {match last_webhook {
                    Some(at) => at.into_any(),
                    None => i18n.t(Text::Never).into_any(),
                }}
            </p>
        </section>
        <section class="card" aria-labelledby="today-title">
            <h2 id="today-title">{i18n.t(Text::TodayTitle)}</h2>
            <div class="figures">
                <Figure label=Text::StatReceived value=status.today.received.to_string() id="today-received" />
                <Figure label=Text::StatBot value=status.today.bot_replies.to_string() id="today-bot" />
                <Figure label=Text::StatPeople value=status.today.agent_replies.to_string() id="today-people" />
                <Figure label=Text::StatPending value=status.counts.outbox_pending.to_string() id="today-pending" />
                <Figure label=Text::StatFailed value=status.today.failed.to_string() id="today-failed" />
            </div>
        </section>
        <section class="card" aria-labelledby="alerts-title" id="alerts">
            <h2 id="alerts-title">{i18n.t(Text::AlertsTitle)}</h2>
            {if alerts.is_empty() {
                view! { <p class="state state-ok">{i18n.t(Text::NoAlerts)}</p> }.into_any()
            } else {
                view! {
                    <ul class="alerts">
                        {alerts
                            .into_iter()
                            .map(|alert| {
                                let text = alert_text(&alert);
                                if let Some(template) = alert.template.clone() {
                                    let href = format!("/templates?template={template}");
                                    return view! {
                                        <li class="alert" data-kind=alert.kind.as_str()>
                                            {i18n.t(text)}
                                            " "
                                            <a class="alert-link" href=href>{template}</a>
                                            <span class="alert-fill">": " {alert.fill_ins.join("; ")}</span>
                                        </li>
                                    }.into_any();
                                }
                                let detail = alert
                                    .file
                                    .clone()
                                    .map(|_| alert.message.clone())
                                    .or_else(|| alert.kind.is_link().then(|| reason.clone()).flatten())
                                    .or_else(|| alert.count.map(|n| n.to_string()));
                                view! {
                                    <li class="alert" data-kind=alert.kind.as_str()>
                                        {i18n.t(text)}
                                        {detail.map(|d| view! { <span class="alert-detail">" " {d}</span> })}
                                    </li>
                                }.into_any()
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}
