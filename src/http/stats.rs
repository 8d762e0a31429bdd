//! `/api/stats`: messages in and out over time, from the hourly counts the message index keeps
//! as records are logged (nothing is recounted per request).

use super::access::Access;
use super::error::{ApiError, ApiJson};
use super::openapi::{Api, Doc};
use super::state::AppState;
use crate::store::index::RESPONSE_BUCKETS_MS;
use axum::extract::{Query, State};
use axum::http::Method;
use axum::routing::get;
use cocolu_core::api::stats::{
    Bucket, FirstResponses, HourCounts, Median, RuleCount, Stats, StatsPoint, StatsQuery,
};
use std::collections::BTreeMap;

pub fn routes(api: Api) -> Api {
    api.op(
        Method::GET,
        "/stats",
        Access::User,
        Doc::new(
            "stats",
            "Messages, replies, sends, failures, new and returning customers over time; first-response medians, top rules, busy hours",
        )
        .describe(
            "Per hour (UTC) or per day in the shop's time zone. Defaults to the last 7 \
                 days by day. Buckets without activity are left out.",
        )
        .query::<StatsQuery>()
        .returns::<Stats>(),
        get(stats),
    )
}

fn median(buckets: &[u32]) -> Median {
    let count: u32 = buckets.iter().sum();
    let mut seen = 0;
    let median_at_most_ms = (count > 0)
        .then(|| {
            buckets
                .iter()
                .zip(RESPONSE_BUCKETS_MS)
                .find_map(|(n, upper)| {
                    seen += n;
                    (seen * 2 >= count).then_some(upper)
                })
        })
        .flatten();
    Median {
        count,
        median_at_most_ms,
    }
}

/// Today's counts, since midnight in the shop's time zone (the overview and the live stats
/// event).
pub fn today(state: &AppState) -> HourCounts {
    let time_zone = cocolu_core::settings::time_zone(&state.data.settings.get());
    let now = state.clock.now();
    let midnight = now
        .to_zoned_datetime(time_zone)
        .start_of_day()
        .map_or(now.as_millisecond(), |z| z.timestamp().as_millisecond());
    let mut total = HourCounts::default();
    for (_, counts) in state
        .store
        .index
        .read()
        .hours(midnight, now.as_millisecond() + 1)
    {
        total += &counts;
    }
    total
}

/// The latest time a query may name: the last millisecond of the year 9999.
const LATEST_MS: i64 = 253_402_300_799_999;

/// A time from the query, within 1970 to 9999 (so that bucket arithmetic cannot overflow).
fn checked_time(name: &str, value: Option<i64>) -> Result<Option<i64>, ApiError> {
    match value {
        Some(ms) if !(0..=LATEST_MS).contains(&ms) => Err(ApiError::BadRequest(format!(
            "`{name}` is a time in milliseconds since 1970-01-01 UTC, from 0 to {LATEST_MS}."
        ))),
        _ => Ok(value),
    }
}

async fn stats(
    State(state): State<AppState>,
    Query(query): Query<StatsQuery>,
) -> Result<ApiJson<Stats>, ApiError> {
    let now = state.clock.now_ms();
    let time_zone_name = state.data.settings.get().time_zone.clone();
    let time_zone = cocolu_core::settings::time_zone(&state.data.settings.get());
    // With `days`, the series' first day and its length (every day of it is listed).
    let (from, to, whole_days) = match query.days {
        Some(days) if (1..=366).contains(&days) => {
            let today = state
                .clock
                .now()
                .to_zoned_datetime(time_zone.clone())
                .date();
            let first = today
                .checked_sub(jiff::Span::new().days(i64::from(days) - 1))
                .map_err(|e| ApiError::BadRequest(e.to_string()))?;
            let start = first
                .to_zoned_datetime(time_zone.clone())
                .map_err(|e| ApiError::BadRequest(e.to_string()))?;
            (
                start.timestamp().as_millisecond(),
                now + 1,
                Some((first, days)),
            )
        }
        Some(_) => {
            return Err(ApiError::BadRequest(
                "`days` must be between 1 and 366.".into(),
            ))
        }
        None => {
            let to = checked_time("to", query.to)?.unwrap_or(now + 1);
            let from = checked_time("from", query.from)?.unwrap_or(to - 7 * 24 * 3600 * 1000);
            (from, to, None)
        }
    };
    if from >= to {
        return Err(ApiError::BadRequest("`from` must be before `to`.".into()));
    }
    let (hours, bot, people, rules) = {
        let index = state.store.index.read();
        let mut bot = [0u32; RESPONSE_BUCKETS_MS.len()];
        let mut people = [0u32; RESPONSE_BUCKETS_MS.len()];
        let mut rules: BTreeMap<String, u32> = BTreeMap::new();
        for (_, facts) in index.days(from, to) {
            for (sum, n) in bot.iter_mut().zip(&facts.bot_responses) {
                *sum += n;
            }
            for (sum, n) in people.iter_mut().zip(&facts.people_responses) {
                *sum += n;
            }
            for (rule, n) in &facts.rules {
                *rules.entry(rule.to_string()).or_default() += n;
            }
        }
        (index.hours(from, to), bot, people, rules)
    };
    let mut top_rules: Vec<RuleCount> = rules
        .into_iter()
        .map(|(rule, answers)| RuleCount {
            rule,
            answers,
            description: None,
        })
        .collect();
    top_rules.sort_by(|a, b| b.answers.cmp(&a.answers).then_with(|| a.rule.cmp(&b.rule)));
    top_rules.truncate(10);
    // Named by what they are for, as the rules page lists them.
    let in_force = state.data.rules.get();
    for top in &mut top_rules {
        top.description = in_force
            .rules
            .iter()
            .find(|r| r.id == top.rule)
            .map(|r| r.description.trim().to_string())
            .filter(|d| !d.is_empty());
    }
    let mut heatmap = vec![vec![0u32; 24]; 7];
    let mut totals = HourCounts::default();
    let mut buckets: BTreeMap<String, HourCounts> = BTreeMap::new();
    for (hour, counts) in &hours {
        totals += counts;
        if let Ok(at) = jiff::Timestamp::from_millisecond(*hour) {
            let local = at.to_zoned_datetime(time_zone.clone());
            let weekday = local.weekday().to_monday_zero_offset() as usize;
            heatmap[weekday][local.hour() as usize] += counts.received;
        }
        let key = match query.bucket {
            Bucket::Hour => format!("{hour:015}"),
            Bucket::Day => jiff::Timestamp::from_millisecond(*hour)
                .map(|t| t.to_zoned_datetime(time_zone.clone()).date().to_string())
                .unwrap_or_default(),
        };
        *buckets.entry(key).or_default() += counts;
    }
    // A chart of the last days shows each of them, a day without messages as zero (at most
    // 366: `days` is bounded above).
    if let (Some((mut day, days)), Bucket::Day) = (whole_days, query.bucket) {
        for _ in 0..days {
            buckets.entry(day.to_string()).or_default();
            match day.tomorrow() {
                Ok(next) => day = next,
                Err(_) => break,
            }
        }
    }
    let points = buckets
        .into_iter()
        .map(|(bucket, counts)| StatsPoint {
            bucket: bucket.trim_start_matches('0').to_string(),
            counts,
        })
        .collect();
    Ok(ApiJson(Stats {
        time_zone: time_zone_name,
        points,
        totals,
        first_response: FirstResponses {
            bot: median(&bot),
            people: median(&people),
        },
        top_rules,
        heatmap,
    }))
}

/// How often today's counts are compared and, when they changed, sent to the dashboards.
const TICK: std::time::Duration = std::time::Duration::from_secs(5);

/// Publishes a `stats_tick` event whenever today's counts or the outbox depth change.
pub async fn tick_forever(state: AppState) {
    let mut ticker = tokio::time::interval(TICK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = None;
    loop {
        ticker.tick().await;
        let counts = today(&state);
        let pending = state.store.index.read().pending_outbox_count() as u64;
        let event = cocolu_core::events::ServerEvent::StatsTick {
            received: u64::from(counts.received),
            bot_replies: u64::from(counts.bot_replies),
            agent_replies: u64::from(counts.agent_replies),
            failed: u64::from(counts.failed),
            pending,
        };
        if last.as_ref() != Some(&event) {
            state.events.publish(event.clone());
            last = Some(event);
        }
    }
}
