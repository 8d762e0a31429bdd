//! The shop's settings (`settings.json`): who the business is and where it is in time.
//! Later parts of the product (hours, welcome, takeover, the Meta connection) add their
//! sections here.

use crate::document::{Context, HandEdited, Problem};
use crate::engine::hours::Schedule;
use crate::fault::Fault;
pub use crate::model::{default_hours, Business, ChannelKind, Language, ReplyPolicy, Settings};

/// Whether the machine has a time-zone database (the tzdata package, or `$TZDIR`) with the
/// world's zones in it (`UTC` alone is always known).
pub fn zones_known() -> bool {
    jiff::tz::db()
        .available()
        .any(|name| name.as_str().contains('/'))
}

/// The shop's time zone (UTC if the name is unknown, which validation reports).
pub fn time_zone(settings: &Settings) -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::get(&settings.time_zone).unwrap_or(jiff::tz::TimeZone::UTC)
}

/// The templates the reply settings name, each with its field.
pub fn policy_templates(policy: &ReplyPolicy) -> [(&'static str, &String); 5] {
    [
        ("welcome_template", &policy.welcome_template),
        ("away_template", &policy.away_template),
        ("fallback_template", &policy.fallback_template),
        ("opt_out_template", &policy.opt_out_template),
        ("opt_in_template", &policy.opt_in_template),
    ]
}

/// Whether the channel in use limits free-form replies to 24 hours after the customer's last
/// message: Meta's Cloud API does; WhatsApp Web does not.
pub fn has_window(settings: &Settings) -> bool {
    settings.channel == ChannelKind::Meta
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
            channel: ChannelKind::Meta,
        }
    }

    crate::stamped_by_fields!();

    fn validate(&self, context: &Context) -> Vec<Problem> {
        let mut problems = self.hours.validate("/hours");
        let policy = &self.replies;
        for (field, name) in policy_templates(policy) {
            if !context.templates.is_empty() && !context.templates.contains(name) {
                problems.push(Problem::new(
                    format!("/replies/{field}"),
                    Fault::NoSuchTemplate {
                        name: name.to_string(),
                    },
                ));
            }
        }
        if self.business.name.trim().is_empty() {
            problems.push(Problem::new("/business/name", Fault::NoBusinessName));
        }
        // Without a time-zone database on the machine no name can be checked (the server says
        // so at start, and reads the hours in UTC meanwhile).
        if jiff::tz::TimeZone::get(&self.time_zone).is_err() && zones_known() {
            problems.push(Problem::new(
                "/time_zone",
                Fault::UnknownTimeZone {
                    zone: self.time_zone.clone(),
                },
            ));
        }
        if self.channel == ChannelKind::WhatsappWeb && !context.whatsapp_web {
            problems.push(Problem::new("/channel", Fault::NoWhatsappWeb));
        }
        problems
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::parse;

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
    fn the_whatsapp_web_channel_needs_a_build_with_it() {
        let text = r#"{"version": 1, "business": {"name": "X"}, "time_zone": "UTC", "channel": "whatsapp_web"}"#;
        let with_it = Context {
            whatsapp_web: true,
            ..Context::default()
        };
        let settings = parse::<Settings>("settings.json", text, &with_it).expect("accepted");
        assert_eq!(settings.channel, ChannelKind::WhatsappWeb);
        let problems = parse::<Settings>("settings.json", text, &Context::default())
            .expect_err("refused without the channel");
        assert_eq!(problems[0].pointer.as_deref(), Some("/channel"));
        assert!(problems[0].message.contains("--features whatsapp-web"));
        let text = r#"{"version": 1, "business": {"name": "X"}, "time_zone": "UTC", "channel": "telegram"}"#;
        let problems =
            parse::<Settings>("settings.json", text, &Context::default()).expect_err("refused");
        assert!(
            problems[0].message.contains("whatsapp_web"),
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
