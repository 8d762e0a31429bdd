//! `GET /api/stats`: what happened over days or hours, how fast customers got a first answer,
//! the rules that answered most and the busy hours.

use serde::{Deserialize, Serialize};

/// What happened in one hour (UTC), or summed over a bucket or a day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct HourCounts {
    /// Customers' messages.
    pub received: u32,
    /// Replies the bot queued.
    pub bot_replies: u32,
    /// Replies people queued (dashboard or API).
    pub agent_replies: u32,
    /// Messages Meta accepted.
    pub sent: u32,
    /// Messages given up on.
    pub failed: u32,
    /// Of those, refused because the customer's last message was over 24 hours old.
    pub outside_window: u32,
    /// Customers who wrote for the first time.
    pub new_contacts: u32,
    /// Customers who wrote (each counted once per UTC day, in the hour of their first message
    /// that day).
    pub active_contacts: u32,
}

impl std::ops::AddAssign<&HourCounts> for HourCounts {
    fn add_assign(&mut self, c: &HourCounts) {
        self.received += c.received;
        self.bot_replies += c.bot_replies;
        self.agent_replies += c.agent_replies;
        self.sent += c.sent;
        self.failed += c.failed;
        self.outside_window += c.outside_window;
        self.new_contacts += c.new_contacts;
        self.active_contacts += c.active_contacts;
    }
}

/// Bucket size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Hour,
    #[default]
    Day,
}

/// `GET /api/stats?...`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StatsQuery {
    /// Start (ms since the epoch; default: 7 days ago).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<i64>,
    /// End, exclusive (ms since the epoch; default: now).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<i64>,
    /// `hour` (UTC) or `day` (the shop's time zone, the default).
    #[serde(default)]
    pub bucket: Bucket,
    /// The last this many days, today included, in the shop's time zone (1 to 366; instead
    /// of `from` and `to`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
}

/// One bucket of the series.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StatsPoint {
    /// `2026-11-28` for days, the hour's start in ms for hours.
    pub bucket: String,
    #[serde(flatten)]
    pub counts: HourCounts,
}

/// `GET /api/stats`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Stats {
    /// The time zone days are counted in.
    pub time_zone: String,
    /// The series, oldest first. With `days` and day buckets, every day of the range is
    /// listed (a day without messages with zeros); otherwise only the buckets with messages.
    pub points: Vec<StatsPoint>,
    pub totals: HourCounts,
    /// How long customers waited for a first answer, by the bot and by people.
    pub first_response: FirstResponses,
    /// The rules that answered most, most first (at most 10).
    pub top_rules: Vec<RuleCount>,
    /// Customers' messages by weekday (0 = Monday) and hour, in the shop's time zone.
    pub heatmap: Vec<Vec<u32>>,
}

/// First answers, by the bot and by people.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FirstResponses {
    pub bot: Median,
    pub people: Median,
}

/// A median read from bucketed response times.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Median {
    /// Answers counted.
    pub count: u32,
    /// Half of the answers came within this (the bucket's upper bound, ms); absent without
    /// answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_at_most_ms: Option<i64>,
}

/// How often a rule answered.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RuleCount {
    pub rule: String,
    pub answers: u32,
    /// What the rule is for, from `rules.json` now (absent for a rule since removed or
    /// without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}
