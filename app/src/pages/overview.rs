//! Resumen: the channel's state, today's counts and what needs attention, read from
//! `/api/status` (rendered with its data on the server).

use crate::api::{self, Alert, Status};
use crate::components::PageHeader;
use crate::events::ServerEvent;
use crate::i18n::{use_i18n, Text};
use crate::live;
use leptos::prelude::*;

/// The overview page.
#[component]
pub fn Overview() -> impl IntoView {
    let i18n = use_i18n();
    let status = Resource::new(|| (), |()| api::get_json::<Status>("/api/status"));
    // Counts, alerts and the channel change as messages come and go: read them again.
    live::on_events(move |event| {
        if matches!(
            event,
            ServerEvent::StatsTick { .. }
                | ServerEvent::MessageReceived { .. }
                | ServerEvent::MessageSent { .. }
                | ServerEvent::MessageFailed { .. }
                | ServerEvent::ChannelError { .. }
                | ServerEvent::FileError { .. }
                | ServerEvent::FileReloaded { .. }
        ) {
            status.refetch();
        }
    });
    view! {
        <PageHeader title=Text::NavOverview intro=Text::OverviewIntro />
        <Transition fallback=move || {
            view! { <p class="loading" role="status">{i18n.t(Text::Loading)}</p> }
        }>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(status) => view! { <OverviewBody status /> }.into_any(),
                    Err(error) => {
                        view! {
                            <p class="notice notice-error" role="alert">
                                {i18n.t(Text::LoadFailed)}
                                " ("
                                {error}
                                ")"
                            </p>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// One number with its label.
#[component]
fn Figure(label: Text, value: u64, #[prop(optional)] id: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="figure" id=id>
            <span class="figure-value">{value}</span>
            <span class="figure-label">{i18n.t(label)}</span>
        </div>
    }
}

fn alert_text(alert: &Alert) -> Text {
    match alert.kind.as_str() {
        "token_refused" => Text::AlertTokenRefused,
        "not_configured" => Text::AlertNotConfigured,
        "file_problem" => Text::AlertFileProblem,
        "outside_window" => Text::AlertOutsideWindow,
        _ => Text::AlertFailedSends,
    }
}

#[component]
fn OverviewBody(status: Status) -> impl IntoView {
    let i18n = use_i18n();
    let channel = status.channel.clone();
    let configured = channel.configured();
    let last_webhook = channel.last_webhook_local.clone();
    let alerts = status.alerts.clone();
    view! {
        <section class="card" aria-labelledby="channel-title" id="channel">
            <h2 id="channel-title">{i18n.t(Text::ChannelTitle)}</h2>
            <p class=if configured { "state state-ok" } else { "state state-bad" }>
                {i18n.t(if configured { Text::ChannelConfigured } else { Text::ChannelNotConfigured })}
            </p>
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
                <Figure label=Text::StatReceived value=status.today.received id="today-received" />
                <Figure label=Text::StatBot value=status.today.bot_replies id="today-bot" />
                <Figure label=Text::StatPeople value=status.today.agent_replies id="today-people" />
                <Figure label=Text::StatPending value=status.counts.outbox_pending id="today-pending" />
                <Figure label=Text::StatFailed value=status.today.failed id="today-failed" />
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
                                let detail = alert
                                    .file
                                    .clone()
                                    .map(|_| alert.message.clone())
                                    .or_else(|| alert.count.map(|n| n.to_string()));
                                view! {
                                    <li class="alert" data-kind=alert.kind.clone()>
                                        {i18n.t(text)}
                                        {detail.map(|d| view! { <span class="alert-detail">" " {d}</span> })}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}
