//! Analítica: a date range and charts drawn here as SVG (no chart scripts) from `/api/stats`,
//! whose numbers the server keeps up as the log grows.

use crate::api::{self, Median, Stats};
use crate::components::{with_data, Figure, PageHeader};
use crate::i18n::{use_i18n, Text};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The ranges offered, in days.
const RANGES: [u32; 3] = [7, 30, 90];

/// "≤ 30 s", "≤ 5 min", "≤ 2 h" from a bucket bound in ms.
fn duration(ms: i64) -> String {
    if ms < 60_000 {
        format!("≤ {} s", ms / 1000)
    } else if ms < 3_600_000 {
        format!("≤ {} min", ms / 60_000)
    } else {
        format!("≤ {} h", ms / 3_600_000)
    }
}

/// The analytics page.
#[component]
pub fn Analytics() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let initial = query
        .read_untracked()
        .get("days")
        .and_then(|d| d.parse::<u32>().ok())
        .filter(|d| (1..=366).contains(d))
        .unwrap_or(7);
    let days = RwSignal::new(initial);
    let stats = Resource::new(
        move || days.get(),
        |days| api::get_json::<Stats>(&format!("/api/stats?days={days}")),
    );
    view! {
        <PageHeader title=Text::NavAnalytics intro=Text::AnalyticsIntro />
        <div class="range" role="group" aria-label=i18n.t(Text::RangeLabel)>
            {RANGES
                .iter()
                .map(|&n| {
                    view! {
                        <button
                            type="button"
                            class="button range-button"
                            aria-pressed=move || (days.get() == n).to_string()
                            on:click=move |_| days.set(n)
                        >
                            {n}
                            " "
                            {i18n.t(Text::Days)}
                        </button>
                    }
                })
                .collect_view()}
        </div>
        {with_data(stats, |stats| view! { <Charts stats /> })}
    }
}

fn median_text(median: &Median) -> String {
    median
        .median_at_most_ms
        .map_or_else(|| "—".to_string(), duration)
}

#[component]
fn Charts(stats: Stats) -> impl IntoView {
    let i18n = use_i18n();
    let totals = stats.totals.clone();
    let replies = totals.bot_replies + totals.agent_replies;
    let bot_share = (totals.bot_replies * 100)
        .checked_div(replies)
        .map_or_else(|| "—".to_string(), |share| format!("{share} %"));
    let returning = totals.active_contacts.saturating_sub(totals.new_contacts);
    let bot_median = median_text(&stats.first_response.bot);
    let people_median = median_text(&stats.first_response.people);
    view! {
        <section class="card" aria-labelledby="totals-title">
            <h2 id="totals-title">{i18n.t(Text::TotalsTitle)}</h2>
            <div class="figures">
                <Figure label=Text::StatReceived value=totals.received.to_string() id="total-received" />
                <Figure label=Text::BotShare value=bot_share id="bot-share" />
                <Figure label=Text::BotMedian value=bot_median id="bot-median" />
                <Figure label=Text::PeopleMedian value=people_median id="people-median" />
                <Figure label=Text::NewContacts value=totals.new_contacts.to_string() id="new-contacts" />
                <Figure label=Text::ReturningContacts value=returning.to_string() id="returning-contacts" />
            </div>
        </section>
        <section class="card" aria-labelledby="per-day-title">
            <h2 id="per-day-title">{i18n.t(Text::PerDayTitle)}</h2>
            <DailyBars points=stats.points.clone() />
        </section>
        <section class="card" aria-labelledby="rules-title" id="top-rules">
            <h2 id="rules-title">{i18n.t(Text::TopRulesTitle)}</h2>
            {if stats.top_rules.is_empty() {
                view! { <p class="loading">{i18n.t(Text::NoData)}</p> }.into_any()
            } else {
                view! {
                    <ol class="top-rules">
                        {stats
                            .top_rules
                            .iter()
                            .map(|r| {
                                view! {
                                    <li>
                                        <code>{r.rule.clone()}</code>
                                        " — "
                                        <span class="rule-answers">{r.answers}</span>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ol>
                }
                    .into_any()
            }}
        </section>
        <section class="card" aria-labelledby="heatmap-title">
            <h2 id="heatmap-title">{i18n.t(Text::HeatmapTitle)}</h2>
            <Heatmap cells=stats.heatmap.clone() />
        </section>
    }
}

/// Messages in (received) and out (replies) per day, as bars.
#[component]
fn DailyBars(points: Vec<api::StatsPoint>) -> impl IntoView {
    let i18n = use_i18n();
    if points.is_empty() {
        return view! { <p class="loading">{i18n.t(Text::NoData)}</p> }.into_any();
    }
    let max = points
        .iter()
        .map(|p| p.received.max(p.bot_replies + p.agent_replies))
        .max()
        .unwrap_or(1)
        .max(1);
    let slot = 24.0;
    let height = 120.0;
    let width = slot * points.len() as f64;
    let bars = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let x = i as f64 * slot;
            let bar = |value: u32| f64::from(value) / f64::from(max) * height;
            let (inn, out) = (bar(p.received), bar(p.bot_replies + p.agent_replies));
            let title = format!(
                "{}: {} / {}",
                p.bucket,
                p.received,
                p.bot_replies + p.agent_replies
            );
            view! {
                <g>
                    <title>{title}</title>
                    <rect class="bar-in" x=x + 3.0 y=height - inn width="8" height=inn />
                    <rect class="bar-out" x=x + 12.0 y=height - out width="8" height=out />
                </g>
            }
        })
        .collect_view();
    view! {
        <svg
            class="chart"
            role="img"
            aria-label=i18n.t(Text::PerDayTitle)
            viewBox=format!("0 0 {width} {height}")
            preserveAspectRatio="none"
        >
            {bars}
        </svg>
        <p class="legend">
            <span class="swatch swatch-in"></span>
            {i18n.t(Text::StatReceived)}
            " "
            <span class="swatch swatch-out"></span>
            {i18n.t(Text::Replies)}
        </p>
    }
    .into_any()
}

/// Customers' messages by weekday and hour: darker is busier.
#[component]
fn Heatmap(cells: Vec<Vec<u32>>) -> impl IntoView {
    let i18n = use_i18n();
    let max = cells.iter().flatten().copied().max().unwrap_or(0).max(1);
    let rects = cells
        .iter()
        .enumerate()
        .flat_map(|(day, hours)| {
            hours.iter().enumerate().map(move |(hour, n)| {
                let opacity = if *n == 0 {
                    0.06
                } else {
                    0.2 + 0.8 * f64::from(*n) / f64::from(max)
                };
                view! {
                    <rect
                        class="heat"
                        x=hour as f64 * 10.0
                        y=day as f64 * 10.0
                        width="9"
                        height="9"
                        fill-opacity=opacity
                        data-count=*n
                    >
                        <title>{format!("{day}/{hour}:00 — {n}")}</title>
                    </rect>
                }
            })
        })
        .collect_view();
    view! {
        <svg class="heatmap" role="img" aria-label=i18n.t(Text::HeatmapTitle) viewBox="0 0 240 70">
            {rects}
        </svg>
        <p class="legend">{i18n.t(Text::HeatmapLegend)}</p>
    }
}
