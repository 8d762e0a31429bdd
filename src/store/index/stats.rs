//! The statistics the log adds up as it grows: counts per hour, and per day how long
//! customers waited for a first answer (from the bot and from people) and which rules
//! answered.

use super::Stamp;
use cocolu_core::api::stats::HourCounts;
use cocolu_core::engine::decide::Reason;
use cocolu_core::log::{Failure, LogRecord, MessageOutFailed, Origin, SendError, StatusRecord};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

pub const HOUR_MS: i64 = 3600 * 1000;
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// Upper bounds (ms) of the response-time buckets: 1 s, 2 s, 5 s ... 24 h.
pub const RESPONSE_BUCKETS_MS: [i64; 17] = [
    1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000,
    1_800_000, 3_600_000, 7_200_000, 14_400_000, 28_800_000, 86_400_000,
];

/// The start of the `step`-long bucket that holds `at` (ms); saturates at the ends of `i64`
/// instead of overflowing, since times read from records or requests can be anything.
pub fn floor_to(at: i64, step: i64) -> i64 {
    at.div_euclid(step).saturating_mul(step)
}

/// What happened on one day (UTC) beyond the hourly counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayFacts {
    /// First answers by the bot to a customer's message, by response-time bucket.
    pub bot_responses: [u32; RESPONSE_BUCKETS_MS.len()],
    /// First answers by a person, by response-time bucket.
    pub people_responses: [u32; RESPONSE_BUCKETS_MS.len()],
    /// Bot decisions made by each rule.
    pub rules: BTreeMap<Box<str>, u32>,
}

/// Since when a conversation's customer waits for an answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiting {
    /// The customer's oldest message not yet answered by the bot (0: none).
    pub bot: i64,
    /// The customer's oldest message not yet answered by a person, within a day (0: none).
    pub person: i64,
}

/// Counts per hour and facts per day (UTC), and who is waiting.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Start of the hour (ms since the epoch) → its counts.
    pub hours: BTreeMap<i64, HourCounts>,
    /// Start of the day → its facts.
    pub days: BTreeMap<i64, DayFacts>,
    /// Conversation → since when its customer waits.
    pub waiting: HashMap<Box<str>, Waiting>,
}

/// Adds a response time to its bucket; answers after a day are not first responses.
fn record_response(buckets: &mut [u32; RESPONSE_BUCKETS_MS.len()], elapsed: i64) {
    if let Some(i) = RESPONSE_BUCKETS_MS
        .iter()
        .position(|upper| elapsed <= *upper)
    {
        buckets[i] += 1;
    }
}

impl Stats {
    /// Counts a record. `last_in_at` is when the conversation's customer last wrote before it
    /// (0: never), which tells a new contact and a first message of the day.
    pub fn apply(&mut self, stamp: &Stamp, record: &LogRecord, last_in_at: i64) {
        let at = stamp.at;
        let hour = floor_to(at, HOUR_MS);
        let count = |stats: &mut Stats, add: &dyn Fn(&mut HourCounts)| {
            add(stats.hours.entry(hour).or_default());
        };
        match record {
            LogRecord::MessageIn(_) => count(self, &|c| c.received += 1),
            LogRecord::MessageOut(out) => match out.origin {
                Origin::Agent { .. } => count(self, &|c| c.agent_replies += 1),
                Origin::Bot { .. } => count(self, &|c| c.bot_replies += 1),
            },
            LogRecord::MessageOutSent(_) => count(self, &|c| c.sent += 1),
            // Not sent, or sent and then not delivered (a `failed` status).
            LogRecord::MessageOutFailed(MessageOutFailed {
                error: SendError { failure, .. },
                ..
            })
            | LogRecord::Status(StatusRecord {
                failure: Some(failure),
                ..
            }) => {
                let outside = *failure == Failure::OutsideWindow;
                count(self, &|c| {
                    c.failed += 1;
                    c.outside_window += u32::from(outside);
                });
            }
            _ => {}
        }
        let Some(key) = stamp.conversation.as_deref() else {
            return;
        };
        let day = floor_to(at, DAY_MS);
        match record {
            LogRecord::MessageIn(_) => {
                let first = last_in_at == 0;
                let counts = self.hours.entry(hour).or_default();
                if first {
                    counts.new_contacts += 1;
                }
                if first || floor_to(last_in_at, DAY_MS) != day {
                    counts.active_contacts += 1;
                }
                let waiting = self.waiting.entry(Box::from(key)).or_default();
                if waiting.bot == 0 {
                    waiting.bot = at;
                }
                if waiting.person == 0 || at.saturating_sub(waiting.person) > DAY_MS {
                    waiting.person = at;
                }
            }
            LogRecord::MessageOut(out) => {
                let Some(waiting) = self.waiting.get_mut(key) else {
                    return;
                };
                let by_person = matches!(out.origin, Origin::Agent { .. });
                let since = if by_person {
                    &mut waiting.person
                } else {
                    &mut waiting.bot
                };
                if *since > 0 {
                    let facts = self.days.entry(floor_to(*since, DAY_MS)).or_default();
                    let buckets = if by_person {
                        &mut facts.people_responses
                    } else {
                        &mut facts.bot_responses
                    };
                    record_response(buckets, at.saturating_sub(*since));
                    *since = 0;
                }
            }
            LogRecord::ContactState(state) => {
                if let Reason::Rule { id, .. } = &state.reason {
                    *self
                        .days
                        .entry(day)
                        .or_default()
                        .rules
                        .entry(Box::from(id.as_str()))
                        .or_default() += 1;
                }
            }
            _ => {}
        }
    }

    /// Hourly counts from `from` (inclusive) to `to` (exclusive), ms since the epoch.
    pub fn hours(&self, from: i64, to: i64) -> Vec<(i64, HourCounts)> {
        let from = floor_to(from, HOUR_MS);
        if from >= to {
            return Vec::new();
        }
        self.hours
            .range(from..to)
            .map(|(hour, counts)| (*hour, *counts))
            .collect()
    }

    /// Response times and rules of the days from `from` to `to` (ms since the epoch).
    pub fn days(&self, from: i64, to: i64) -> impl Iterator<Item = (&i64, &DayFacts)> {
        let from = floor_to(from, DAY_MS);
        // An empty range instead of one that starts after it ends (which would panic).
        self.days.range(from..to.max(from))
    }
}
