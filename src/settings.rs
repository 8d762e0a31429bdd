//! The shop's settings (`settings.json`): who the business is and where it is in time.
//! Later parts of the product (hours, welcome, takeover, the Meta connection) add their
//! sections here.

use crate::engine::hours::Hours;
use crate::store::document::{Context, HandEdited, Problem};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The contents of `settings.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Lets editors find this file's JSON Schema.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Format version of this file.
    pub version: u32,
    /// The business the bot speaks for.
    pub business: Business,
    /// IANA time zone of the shop, such as `America/Caracas` or `Europe/Madrid`.
    pub time_zone: String,
    /// Language the dashboard starts in for new visitors.
    #[serde(default)]
    pub language: Language,
    /// Business hours, in `time_zone`.
    #[serde(default = "default_hours")]
    pub hours: Hours,
    /// Welcome, away, fallback, takeover, opt-out and the automatic-reply cap.
    #[serde(default)]
    pub replies: ReplyPolicy,
}

/// How the bot behaves beyond the rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ReplyPolicy {
    /// Template for a contact's first message ever.
    pub welcome_template: String,
    /// Welcome again after this many days of silence (0: only the very first time).
    pub welcome_again_after_days: u32,
    /// Template sent outside business hours when no rule answers.
    pub away_template: String,
    /// At most one away message per contact per this many hours.
    pub away_every_hours: u32,
    /// Template sent when no rule matches.
    pub fallback_template: String,
    /// At most one fallback per contact per this many minutes.
    pub fallback_every_minutes: u32,
    /// Hours the bot stays paused for a contact after a person takes over.
    pub takeover_quiet_hours: u32,
    /// Words that opt a contact out of automatic messages.
    pub opt_out_keywords: Vec<String>,
    /// Template confirming the opt-out (sent once).
    pub opt_out_template: String,
    /// Words that opt a contact back in.
    pub opt_in_keywords: Vec<String>,
    /// Template confirming the opt-in.
    pub opt_in_template: String,
    /// At most this many automatic replies per contact per hour.
    pub max_auto_replies_per_hour: u32,
}

impl Default for ReplyPolicy {
    fn default() -> ReplyPolicy {
        let words = |list: &[&str]| list.iter().map(|w| w.to_string()).collect();
        ReplyPolicy {
            welcome_template: "bienvenida".into(),
            welcome_again_after_days: 0,
            away_template: "fuera_de_horario".into(),
            away_every_hours: 12,
            fallback_template: "no_entendi".into(),
            fallback_every_minutes: 30,
            takeover_quiet_hours: 12,
            opt_out_keywords: words(&["baja", "stop", "darme de baja", "no quiero mensajes"]),
            opt_out_template: "baja".into(),
            opt_in_keywords: words(&["alta", "start"]),
            opt_in_template: "alta".into(),
            max_auto_replies_per_hour: 20,
        }
    }
}

fn default_hours() -> Hours {
    let day = |ranges: &[&str]| ranges.iter().map(|r| r.to_string()).collect();
    Hours {
        monday: day(&["09:00-18:00"]),
        tuesday: day(&["09:00-18:00"]),
        wednesday: day(&["09:00-18:00"]),
        thursday: day(&["09:00-18:00"]),
        friday: day(&["09:00-18:00"]),
        saturday: day(&["09:00-13:00"]),
        sunday: Vec::new(),
        closed: Vec::new(),
    }
}

/// The business the bot speaks for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Business {
    /// The name customers know, used as `{{negocio}}` in templates.
    pub name: String,
    /// One line about the shop.
    #[serde(default)]
    pub description: String,
}

/// A dashboard language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    Es,
    En,
}

impl HandEdited for Settings {
    const FILE: &'static str = "settings.json";
    const VERSION: u32 = 1;

    fn defaults() -> Settings {
        Settings {
            schema: None,
            version: Self::VERSION,
            business: Business {
                name: "Mi Tienda".into(),
                description: "Tu tienda de confianza".into(),
            },
            time_zone: "America/Caracas".into(),
            language: Language::Es,
            hours: default_hours(),
            replies: ReplyPolicy::default(),
        }
    }

    fn version(&self) -> u32 {
        self.version
    }

    fn stamp(&mut self, schema: String, version: u32) {
        self.schema = Some(schema);
        self.version = version;
    }

    fn validate(&self, context: &Context) -> Vec<Problem> {
        let mut problems = self.hours.validate("/hours");
        let policy = &self.replies;
        for (field, name) in [
            ("welcome_template", &policy.welcome_template),
            ("away_template", &policy.away_template),
            ("fallback_template", &policy.fallback_template),
            ("opt_out_template", &policy.opt_out_template),
            ("opt_in_template", &policy.opt_in_template),
        ] {
            if !context.templates.is_empty() && !context.templates.contains(name) {
                problems.push(Problem::new(
                    format!("/replies/{field}"),
                    format!("there is no template '{name}' (built in or in templates/)"),
                ));
            }
        }
        if self.business.name.trim().is_empty() {
            problems.push(Problem::new("/business/name", "the business name is empty"));
        }
        if jiff::tz::TimeZone::get(&self.time_zone).is_err() {
            problems.push(Problem::new(
                "/time_zone",
                format!(
                    "unknown time zone '{}'; use an IANA name such as America/Caracas",
                    self.time_zone
                ),
            ));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::document::parse;

    #[test]
    fn the_defaults_are_valid() {
        assert!(Settings::defaults()
            .validate(&Context::default())
            .is_empty());
    }

    #[test]
    fn an_unknown_time_zone_is_reported_where_it_is_written() {
        let text = "{\n  \"version\": 1,\n  \"business\": {\"name\": \"X\"},\n  \"time_zone\": \"Mars/Olympus\"\n}\n";
        let problems =
            parse::<Settings>("settings.json", text, &Context::default()).expect_err("rejected");
        assert_eq!(problems.len(), 1);
        assert_eq!((problems[0].line, problems[0].column), (4, 16));
        assert!(problems[0].message.contains("Mars/Olympus"));
    }

    #[test]
    fn a_misspelled_field_is_reported_with_its_position() {
        let text = "{\n  \"version\": 1,\n  \"bussiness\": {\"name\": \"X\"}\n}";
        let problems =
            parse::<Settings>("settings.json", text, &Context::default()).expect_err("rejected");
        assert_eq!(problems[0].line, 3);
        assert!(
            problems[0].message.contains("unknown field `bussiness`"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn a_newer_format_is_refused_with_advice() {
        let text = r#"{"version": 9, "business": {"name": "X"}, "time_zone": "UTC"}"#;
        let problems =
            parse::<Settings>("settings.json", text, &Context::default()).expect_err("rejected");
        assert!(problems[0].message.contains("upgrade Cocolu"));
    }
}
