//! Analítica: a date range and charts drawn here as SVG (no chart scripts) from `/api/stats`,
//! whose numbers the server keeps up as the log grows.

use crate::api;
use crate::components::{with_data, Figure, PageHeader};
use crate::i18n::{use_i18n, Lang, Text};
use cocolu_core::api::stats::{Median, Stats, StatsPoint};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

crate::i18n::page_texts!(AnalyticsSaid {
    RangeLabel => ("Periodo", "Period"),
    Days => ("días", "days"),
    TotalsTitle => ("En el periodo", "In the period"),
    PerDayTitle => ("Mensajes por día", "Messages per day"),
    Replies => ("respuestas", "replies"),
    TopRulesTitle => ("Reglas que más responden", "Rules that answer most"),
    NoData => ("Sin datos en este periodo.", "No data in this period."),
    HeatmapTitle => ("Horas de más movimiento", "Busiest hours"),
    HeatmapLegend => (
        "Filas: de lunes a domingo; columnas: de 0 a 23 h, en la zona horaria de la tienda. Más oscuro, más mensajes.",
        "Rows: Monday to Sunday; columns: 0 to 23 h, in the shop's time zone. Darker means more messages.",
            ),
    BotShare => ("de las respuestas las dio el bot", "of the replies came from the bot"),
    BotMedian => ("lo que suele tardar el bot en responder", "how long the bot usually takes to reply"),
    PeopleMedian => ("lo que suele tardar una persona en responder", "how long a person usually takes to reply"),
    NewContacts => ("clientes nuevos", "new customers"),
    ReturningContacts => ("visitas de clientes que vuelven", "visits by returning customers"),
    AnalyticsIntro => (
        "Mensajes por día, respuestas del bot y horas de más actividad.",
        "Messages per day, bot answers and busy hours.",
            ),
});

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
        <PageHeader title=Text::NavAnalytics intro=AnalyticsSaid::AnalyticsIntro />
        <div class="range" role="group" aria-label=i18n.t(AnalyticsSaid::RangeLabel)>
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
                            {i18n.t(AnalyticsSaid::Days)}
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
    let totals = stats.totals;
    let replies = totals.bot_replies + totals.agent_replies;
    let bot_share = (totals.bot_replies * 100)
        .checked_div(replies)
        .map_or_else(|| "—".to_string(), |share| format!("{share} %"));
    let returning = totals.active_contacts.saturating_sub(totals.new_contacts);
    let bot_median = median_text(&stats.first_response.bot);
    let people_median = median_text(&stats.first_response.people);
    view! {
        <section class="card" aria-labelledby="totals-title">
            <h2 id="totals-title">{i18n.t(AnalyticsSaid::TotalsTitle)}</h2>
            <div class="figures">
                <Figure label=Text::StatReceived value=totals.received.to_string() id="total-received" />
                <Figure label=AnalyticsSaid::BotShare value=bot_share id="bot-share" />
                <Figure label=AnalyticsSaid::BotMedian value=bot_median id="bot-median" />
                <Figure label=AnalyticsSaid::PeopleMedian value=people_median id="people-median" />
                <Figure label=AnalyticsSaid::NewContacts value=totals.new_contacts.to_string() id="new-contacts" />
                <Figure label=AnalyticsSaid::ReturningContacts value=returning.to_string() id="returning-contacts" />
            </div>
        </section>
        <section class="card" aria-labelledby="per-day-title">
            <h2 id="per-day-title">{i18n.t(AnalyticsSaid::PerDayTitle)}</h2>
            {daily_bars(stats.points.clone())}
        </section>
        <section class="card" aria-labelledby="rules-title" id="top-rules">
            <h2 id="rules-title">{i18n.t(AnalyticsSaid::TopRulesTitle)}</h2>
            {if stats.top_rules.is_empty() {
                view! { <p class="loading">{i18n.t(AnalyticsSaid::NoData)}</p> }.into_any()
            } else {
                view! {
                    <ol class="top-rules">
                        {stats
                            .top_rules
                            .iter()
                            .map(|r| {
                                view! {
                                    <li data-rule=r.rule.clone()>
                                        <span class="rule-name">{r.description.clone().unwrap_or_else(|| r.rule.clone())}</span>
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
            <h2 id="heatmap-title">{i18n.t(AnalyticsSaid::HeatmapTitle)}</h2>
            {heatmap(stats.heatmap.clone())}
        </section>
    }
}

/// Messages in (received) and out (replies) per day, as bars.
fn daily_bars(points: Vec<StatsPoint>) -> impl IntoView {
    let i18n = use_i18n();
    if points.is_empty() {
        return view! { <p class="loading">{i18n.t(AnalyticsSaid::NoData)}</p> }.into_any();
    }
    let max = points
        .iter()
        .map(|p| {
            p.counts
                .received
                .max(p.counts.bot_replies + p.counts.agent_replies)
        })
        .max()
        .unwrap_or(1)
        .max(1);
    // Whole numbers only: the chart needs no finer steps, and the browser's bundle stays free
    // of the float formatter.
    let slot = 24;
    let height = 120;
    let width = slot * points.len();
    let bars = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let x = i * slot;
            let (inn, out) = (
                bar_height(p.counts.received, max, height),
                bar_height(p.counts.bot_replies + p.counts.agent_replies, max, height),
            );
            let title = format!(
                "{}: {} / {}",
                p.bucket,
                p.counts.received,
                p.counts.bot_replies + p.counts.agent_replies
            );
            view! {
                <g>
                    <title>{title}</title>
                    <rect class="bar-in" x=x + 3 y=height - inn width="8" height=inn />
                    <rect class="bar-out" x=x + 12 y=height - out width="8" height=out />
                </g>
            }
        })
        .collect_view();
    // Dates under the bars (at most about eight, always the last), the scale beside them.
    let every = points.len().div_ceil(8).max(1);
    let last = points.len() - 1;
    let dates = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let shown = (i % every == 0 && last - i >= every / 2) || i == last;
            let lang = i18n.0.get_untracked();
            view! { <span class="chart-date">{shown.then(|| day_month(&p.bucket, lang))}</span> }
        })
        .collect_view();
    view! {
        <div class="chart-frame">
            <div class="chart-scale" aria-hidden="true">
                <span>{max}</span>
                // The middle mark only where a whole number sits exactly halfway.
                <span>{(max >= 2 && max % 2 == 0).then(|| (max / 2).to_string())}</span>
                <span>"0"</span>
            </div>
            <svg
                class="chart"
                role="img"
                aria-label=i18n.t(AnalyticsSaid::PerDayTitle)
                viewBox=format!("0 0 {width} {height}")
                preserveAspectRatio="none"
            >
                {bars}
            </svg>
            <div class="chart-dates" aria-hidden="true" id="chart-dates">{dates}</div>
        </div>
        <p class="legend">
            <span class="swatch swatch-in"></span>
            {i18n.t(Text::StatReceived)}
            " "
            <span class="swatch swatch-out"></span>
            {i18n.t(AnalyticsSaid::Replies)}
        </p>
    }
    .into_any()
}

/// The heatmap's left margin, for the weekdays' names.
const HEAT_LEFT: usize = 24;

const WEEKDAYS: [Text; 7] = [
    Text::Monday,
    Text::Tuesday,
    Text::Wednesday,
    Text::Thursday,
    Text::Friday,
    Text::Saturday,
    Text::Sunday,
];

/// `28 nov` for the day `2026-11-28` (`28 Nov` in English), as dates read elsewhere in the
/// dashboard; anything else as it is.
fn day_month(bucket: &str, lang: Lang) -> String {
    crate::time::file_day(bucket, lang, false).unwrap_or_else(|| bucket.to_string())
}

/// Customers' messages by weekday and hour: darker is busier.
fn heatmap(cells: Vec<Vec<u32>>) -> impl IntoView {
    let i18n = use_i18n();
    let max = cells.iter().flatten().copied().max().unwrap_or(0).max(1);
    let rects = cells
        .iter()
        .enumerate()
        .flat_map(|(day, hours)| {
            hours.iter().enumerate().map(move |(hour, &n)| {
                let opacity = heat_opacity(n, max);
                view! {
                    <rect
                        class="heat"
                        x=HEAT_LEFT + hour * 10
                        y=day * 10
                        width="9"
                        height="9"
                        fill-opacity=opacity
                        data-count=n
                    >
                        <title>{move || format!("{} {hour}:00 — {n}", i18n.t(WEEKDAYS[day % 7])())}</title>
                    </rect>
                }
            })
        })
        .collect_view();
    // Weekdays down the side (their first three letters), every third hour along the bottom.
    let days = WEEKDAYS
        .iter()
        .enumerate()
        .map(|(day, text)| {
            let name = i18n.t(*text);
            view! {
                <text class="heat-label" x="0" y=day * 10 + 7>
                    {move || name().chars().take(3).collect::<String>()}
                </text>
            }
        })
        .collect_view();
    let hours = (0..24)
        .step_by(3)
        .map(|hour| {
            view! {
                <text class="heat-label" x=HEAT_LEFT + hour * 10 + 4 y="79" text-anchor="middle">
                    {hour}
                </text>
            }
        })
        .collect_view();
    view! {
        <svg class="heatmap" role="img" aria-label=i18n.t(AnalyticsSaid::HeatmapTitle) viewBox="0 0 266 82">
            {days}
            {hours}
            {rects}
        </svg>
        <p class="legend">{i18n.t(AnalyticsSaid::HeatmapLegend)}</p>
    }
}

/// A bar's height out of `height` for `value` of `max`: rounded up, so that any non-zero
/// value shows.
fn bar_height(value: u32, max: u32, height: u32) -> u32 {
    (value * height).div_ceil(max.max(1))
}

/// A heatmap cell's opacity as written in SVG ("0.06" for none, up to "1.00" for the busiest).
fn heat_opacity(count: u32, max: u32) -> String {
    let hundredths = if count == 0 {
        6
    } else {
        20 + 80 * count / max.max(1)
    };
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_and_cells_scale_to_the_busiest() {
        assert_eq!(bar_height(0, 10, 120), 0);
        assert_eq!(bar_height(1, 1000, 120), 1, "a small count still shows");
        assert_eq!(bar_height(5, 10, 120), 60);
        assert_eq!(bar_height(10, 10, 120), 120);
        assert_eq!(heat_opacity(0, 4), "0.06");
        assert_eq!(heat_opacity(1, 4), "0.40");
        assert_eq!(heat_opacity(4, 4), "1.00");
    }

    #[test]
    fn a_day_reads_as_day_and_month() {
        assert_eq!(day_month("2026-11-28", Lang::Es), "28 nov");
        assert_eq!(day_month("2026-01-05", Lang::En), "5 Jan");
        assert_eq!(day_month("odd", Lang::Es), "odd");
        assert_eq!(day_month("2026-13-05", Lang::Es), "2026-13-05");
    }
}
