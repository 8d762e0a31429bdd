//! Business hours: a weekly schedule in the shop's IANA time zone, with ranges that may cross
//! midnight ("20:00-02:00" on Friday covers Saturday's first two hours) and closed dates.
//! Pure: the time is always given.

use crate::store::document::Problem;
pub use app::model::Hours;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// A parsed range, in minutes since midnight; `end <= start` means it ends the next day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    start: u16,
    end: u16,
}

fn parse_time(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then(|| h * 60 + m)
}

fn parse_range(text: &str) -> Option<Range> {
    let (start, end) = text.split_once('-')?;
    let range = Range {
        start: parse_time(start)?,
        end: parse_time(end)?,
    };
    (range.start != range.end && range.start < 24 * 60).then_some(range)
}

/// What the server does with a schedule: is the shop open now, today's hours in words, and
/// the problems of a hand edit.
pub trait Schedule {
    /// The ranges of one weekday, as written.
    fn day(&self, weekday: Weekday) -> &[String];
    /// The well-formed ranges of one weekday.
    fn ranges(&self, weekday: Weekday) -> impl Iterator<Item = Range> + '_;
    /// Whether `date` is one of the closed dates.
    fn closed_on(&self, date: Date) -> bool;
    /// Whether the shop is open at `now`.
    fn is_open(&self, time_zone: &TimeZone, now: Timestamp) -> bool;
    /// Today's hours in words ("09:00-13:00 y 16:00-20:00", or `closed_word`).
    fn today_text(
        &self,
        time_zone: &TimeZone,
        now: Timestamp,
        and_word: &str,
        closed_word: &str,
    ) -> String;
    /// Every malformed range or date, at its JSON pointer under `base`.
    fn validate(&self, base: &str) -> Vec<Problem>;
}

impl Schedule for Hours {
    fn day(&self, weekday: Weekday) -> &[String] {
        match weekday {
            Weekday::Monday => &self.monday,
            Weekday::Tuesday => &self.tuesday,
            Weekday::Wednesday => &self.wednesday,
            Weekday::Thursday => &self.thursday,
            Weekday::Friday => &self.friday,
            Weekday::Saturday => &self.saturday,
            Weekday::Sunday => &self.sunday,
        }
    }

    fn ranges(&self, weekday: Weekday) -> impl Iterator<Item = Range> + '_ {
        self.day(weekday).iter().filter_map(|r| parse_range(r))
    }

    fn closed_on(&self, date: Date) -> bool {
        self.closed
            .iter()
            .any(|d| d.parse::<Date>().is_ok_and(|c| c == date))
    }

    /// Whether the shop is open at `now` in `time_zone`.
    fn is_open(&self, time_zone: &TimeZone, now: Timestamp) -> bool {
        let local = now.to_zoned_datetime(time_zone.clone());
        let date = local.date();
        if self.closed_on(date) {
            return false;
        }
        let minute = local.time().hour() as u16 * 60 + local.time().minute() as u16;
        let today = self.ranges(date.weekday()).any(|r| {
            if r.start < r.end {
                r.start <= minute && minute < r.end
            } else {
                r.start <= minute
            }
        });
        let from_yesterday = self
            .ranges(date.weekday().previous())
            .any(|r| r.end <= r.start && minute < r.end);
        today || from_yesterday
    }

    /// Today's hours as a person reads them ("9:00–13:00 y 15:00–19:00"), or `closed_word`.
    fn today_text(
        &self,
        time_zone: &TimeZone,
        now: Timestamp,
        and_word: &str,
        closed_word: &str,
    ) -> String {
        let date = now.to_zoned_datetime(time_zone.clone()).date();
        let ranges: Vec<String> = if self.closed_on(date) {
            Vec::new()
        } else {
            self.ranges(date.weekday())
                .map(|r| format!("{}–{}", clock(r.start), clock(r.end)))
                .collect()
        };
        match ranges.as_slice() {
            [] => closed_word.to_string(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} {and_word} {last}", init.join(", ")),
        }
    }

    /// Every malformed range or date, at its JSON pointer under `base`.
    fn validate(&self, base: &str) -> Vec<Problem> {
        let days = [
            ("monday", &self.monday),
            ("tuesday", &self.tuesday),
            ("wednesday", &self.wednesday),
            ("thursday", &self.thursday),
            ("friday", &self.friday),
            ("saturday", &self.saturday),
            ("sunday", &self.sunday),
        ];
        let mut problems = Vec::new();
        for (day, ranges) in days {
            for (i, range) in ranges.iter().enumerate() {
                if parse_range(range).is_none() {
                    problems.push(Problem::new(
                        format!("{base}/{day}/{i}"),
                        format!("'{range}' is not a range such as \"09:00-18:00\" (or \"20:00-02:00\" past midnight)"),
                    ));
                }
            }
        }
        for (i, date) in self.closed.iter().enumerate() {
            if date.parse::<Date>().is_err() {
                problems.push(Problem::new(
                    format!("{base}/closed/{i}"),
                    format!("'{date}' is not a date such as \"2026-12-25\""),
                ));
            }
        }
        problems
    }
}

fn clock(minutes: u16) -> String {
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(time_zone: &str, local: &str) -> (TimeZone, Timestamp) {
        let tz = TimeZone::get(time_zone).expect("zone");
        let dt: jiff::civil::DateTime = local.parse().expect("datetime");
        let ts = dt.to_zoned_datetime(tz.clone()).expect("zoned").timestamp();
        (tz, ts)
    }

    fn shop() -> Hours {
        Hours {
            monday: vec!["09:00-13:00".into(), "15:00-19:00".into()],
            tuesday: vec!["09:00-19:00".into()],
            friday: vec!["20:00-02:00".into()],
            sunday: vec![],
            closed: vec!["2026-12-08".into()],
            ..Hours::default()
        }
    }

    #[test]
    fn opening_follows_the_schedule_in_the_shop_s_time_zone() {
        let cases = [
            ("America/Caracas", "2026-11-30T10:00", true), // Monday morning
            ("America/Caracas", "2026-11-30T14:00", false), // Monday lunch
            ("America/Caracas", "2026-11-30T19:00", false), // closing time is exclusive
            ("America/Caracas", "2026-11-29T10:00", false), // Sunday
            ("America/Caracas", "2026-12-08T10:00", false), // Tuesday, but a closed date
            ("America/Caracas", "2026-12-04T23:30", true), // Friday night
            ("America/Caracas", "2026-12-05T01:30", true), // past midnight into Saturday
            ("America/Caracas", "2026-12-05T02:00", false),
        ];
        for (zone, local, open) in cases {
            let (tz, now) = at(zone, local);
            assert_eq!(shop().is_open(&tz, now), open, "{zone} {local}");
        }
    }

    #[test]
    fn the_same_instant_is_open_in_one_zone_and_closed_in_another() {
        let (_, instant) = at("America/Caracas", "2026-11-30T10:00");
        assert!(shop().is_open(&TimeZone::get("America/Caracas").expect("tz"), instant));
        assert!(!shop().is_open(&TimeZone::get("Asia/Tokyo").expect("tz"), instant));
    }

    #[test]
    fn daylight_saving_time_is_followed() {
        // Madrid: summer time until 2026-10-25. 09:30 local is open on both sides of the change.
        let hours = Hours {
            monday: vec!["09:00-10:00".into()],
            ..Hours::default()
        };
        for local in ["2026-10-19T09:30", "2026-10-26T09:30"] {
            let (tz, now) = at("Europe/Madrid", local);
            assert!(hours.is_open(&tz, now), "{local}");
        }
        let (tz, summer) = at("Europe/Madrid", "2026-10-19T09:30");
        let (_, winter) = at("Europe/Madrid", "2026-10-26T09:30");
        assert_eq!(
            winter.as_second() - summer.as_second(),
            7 * 24 * 3600 + 3600,
            "an hour more in UTC"
        );
        assert!(!hours.is_open(
            &tz,
            Timestamp::from_second(summer.as_second() + 7 * 24 * 3600).expect("ts")
        ));
    }

    #[test]
    fn today_reads_naturally() {
        let (tz, monday) = at("America/Caracas", "2026-11-30T08:00");
        assert_eq!(
            shop().today_text(&tz, monday, "y", "cerrado"),
            "9:00–13:00 y 15:00–19:00"
        );
        let (tz, sunday) = at("America/Caracas", "2026-11-29T08:00");
        assert_eq!(shop().today_text(&tz, sunday, "y", "cerrado"), "cerrado");
    }

    #[test]
    fn malformed_ranges_and_dates_are_located() {
        let hours = Hours {
            monday: vec!["9-18".into(), "09:00-25:00".into()],
            closed: vec!["25/12".into()],
            ..Hours::default()
        };
        let problems = hours.validate("/hours");
        let pointers: Vec<&str> = problems.iter().map(|p| p.pointer.as_str()).collect();
        assert_eq!(
            pointers,
            vec!["/hours/monday/0", "/hours/monday/1", "/hours/closed/0"]
        );
        assert!(shop().validate("/hours").is_empty());
    }
}
