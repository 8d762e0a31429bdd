//! Business hours: a weekly schedule in the shop's IANA time zone, with ranges that may cross
//! midnight ("20:00-02:00" on Friday covers Saturday's first two hours) and closed dates.
//! Pure: the time is always given.

use super::days::{asked_day, long_date, plus_days, weekday_name, Asked};
use crate::document::Problem;
use crate::fault::Fault;
pub use crate::model::Hours;
use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// A parsed range, in minutes since midnight; `end <= start` means it ends the next day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    start: u16,
    end: u16,
}

/// A time as people write it: `9`, `09:00`, `9:30`, `9.30` or `9h30`.
fn parse_time(text: &str) -> Option<u16> {
    let text = text.trim();
    let (h, m) = match text.split_once([':', '.', 'h']) {
        Some((h, "")) => (h, "0"),
        Some((h, m)) => (h, m),
        None => (text, "0"),
    };
    if h.is_empty() || m.len() > 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then(|| h * 60 + m)
}

impl Range {
    /// Its start and end as a time picker shows them: `("09:00", "14:00")` (an end written
    /// `24:00` is midnight, `00:00`).
    pub fn picker_times(self) -> (String, String) {
        let hh_mm = |minutes: u16| format!("{:02}:{:02}", minutes / 60 % 24, minutes % 60);
        (hh_mm(self.start), hh_mm(self.end))
    }
}

/// A range as people write it: `09:00-14:00`, `9-14`, `17 – 20:30`.
pub fn parse_range(text: &str) -> Option<Range> {
    let (start, end) = text.split_once(['-', '–', '—'])?;
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
    /// The week in words, Monday first, with the closed dates of the next seven days: "lunes
    /// a viernes 9:00–18:00, sábado 9:00–13:00, domingo cerrado; cerrado el jueves 24 de
    /// diciembre" (`{{horario_semana}}`).
    fn week_text(&self, time_zone: &TimeZone, now: Timestamp) -> String;
    /// One sentence on the hours of the day `message` names, today when it names none: "Mañana
    /// sábado abrimos de 9:00 a 13:00." (`{{horario_del_dia}}`).
    fn day_text(&self, time_zone: &TimeZone, now: Timestamp, message: &str) -> String;
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
        if ranges.is_empty() {
            closed_word.to_string()
        } else {
            joined(&ranges, and_word)
        }
    }

    fn week_text(&self, time_zone: &TimeZone, now: Timestamp) -> String {
        week_words(self, now.to_zoned_datetime(time_zone.clone()).date())
    }

    fn day_text(&self, time_zone: &TimeZone, now: Timestamp, message: &str) -> String {
        let local = now.to_zoned_datetime(time_zone.clone());
        let today = local.date();
        let minute = local.time().hour() as u16 * 60 + local.time().minute() as u16;
        let asked = asked_day(message, today).unwrap_or(Asked::Day(today));
        day_sentence(self, asked, today, minute)
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
                        Fault::NotARange {
                            range: range.clone(),
                        },
                    ));
                }
            }
        }
        for (i, date) in self.closed.iter().enumerate() {
            if date.parse::<Date>().is_err() {
                problems.push(Problem::new(
                    format!("{base}/closed/{i}"),
                    Fault::NotADate { date: date.clone() },
                ));
            }
        }
        problems
    }
}

fn clock(minutes: u16) -> String {
    format!("{}:{:02}", minutes / 60, minutes % 60)
}

const WHOLE_DAY: Range = Range {
    start: 0,
    end: 24 * 60,
};

/// "a", "a y b", "a, b y c".
fn and_list(items: &[String]) -> String {
    joined(items, "y")
}

/// "a", "a AND b", "a, b AND c".
fn joined(items: &[String], and_word: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} {and_word} {last}", init.join(", ")),
    }
}

/// A weekday's hours as in a timetable: "9:00–13:00 y 15:00–19:00", "24 horas", "cerrado".
fn timetable(hours: &Hours, weekday: Weekday) -> String {
    let ranges: Vec<String> = hours
        .ranges(weekday)
        .map(|r| match r {
            WHOLE_DAY => "24 horas".to_string(),
            r => format!("{}–{}", clock(r.start), clock(r.end)),
        })
        .collect();
    if ranges.is_empty() {
        "cerrado".into()
    } else {
        and_list(&ranges)
    }
}

/// The week Monday first, days with the same hours together ("lunes a viernes", "sábado y
/// domingo"), then the closed dates of the seven days from `today` that would otherwise open.
pub fn week_words(hours: &Hours, today: Date) -> String {
    let week: Vec<(Weekday, String)> = (0..7)
        .filter_map(|i| Weekday::from_monday_zero_offset(i).ok())
        .map(|day| (day, timetable(hours, day)))
        .collect();
    let mut runs: Vec<(Weekday, Weekday, usize, &str)> = Vec::new();
    for (day, text) in &week {
        match runs.last_mut() {
            Some((_, last, length, same)) if *same == text.as_str() => {
                *last = *day;
                *length += 1;
            }
            _ => runs.push((*day, *day, 1, text)),
        }
    }
    let mut words = match runs.as_slice() {
        [(_, _, 7, "cerrado")] => "cerrado todos los días".to_string(),
        [(_, _, 7, text)] => format!("todos los días {text}"),
        runs => runs
            .iter()
            .map(|(first, last, length, text)| {
                let (first, last) = (weekday_name(*first), weekday_name(*last));
                match length {
                    1 => format!("{first} {text}"),
                    2 => format!("{first} y {last} {text}"),
                    _ => format!("{first} a {last} {text}"),
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
    };
    let closed: Vec<String> = (0..7)
        .filter_map(|i| plus_days(today, i))
        .filter(|date| hours.closed_on(*date) && hours.ranges(date.weekday()).next().is_some())
        .map(|date| format!("el {}", long_date(date)))
        .collect();
    if !closed.is_empty() {
        words.push_str(&format!("; cerrado {}", and_list(&closed)));
    }
    words
}

/// The hours of `date` in a sentence's words: "de 9:00 a 13:00 y de 15:00 a 19:00", "de
/// 20:00 a 2:00 del sábado" past midnight, "las 24 horas"; `None` when closed that day.
fn opening_words(hours: &Hours, date: Date) -> Option<String> {
    if hours.closed_on(date) {
        return None;
    }
    let next_day = weekday_name(date.weekday().next());
    let ranges: Vec<String> = hours
        .ranges(date.weekday())
        .map(|r| match r {
            WHOLE_DAY => "las 24 horas".to_string(),
            r if r.end <= r.start => {
                format!("de {} a {} del {next_day}", clock(r.start), clock(r.end))
            }
            r => format!("de {} a {}", clock(r.start), clock(r.end)),
        })
        .collect();
    (!ranges.is_empty()).then(|| and_list(&ranges))
}

/// What is said of a closed day: a closed date is a special closing.
fn closed_words(hours: &Hours, date: Date) -> &'static str {
    if hours.closed_on(date) {
        "cerrado (feriado)"
    } else {
        "cerrado"
    }
}

/// The sentence for `asked`, seen from `today` at `minute` (minutes since midnight): "Hoy
/// viernes abrimos de 9:00 a 18:00." (with "ya cerramos por hoy" once today's hours are
/// over), "Mañana sábado estamos cerrados.", "El jueves 24 de diciembre estamos cerrados
/// (feriado).", "El fin de semana: sábado 5 de diciembre de 9:00 a 13:00; domingo 6 de
/// diciembre cerrado."
pub fn day_sentence(hours: &Hours, asked: Asked, today: Date, minute: u16) -> String {
    let date = match asked {
        Asked::Day(date) => date,
        Asked::Weekend(saturday) => {
            let days: Vec<String> = [Some(saturday), plus_days(saturday, 1)]
                .into_iter()
                .flatten()
                .map(|date| match opening_words(hours, date) {
                    Some(open) => format!("{} {open}", long_date(date)),
                    None => format!("{} {}", long_date(date), closed_words(hours, date)),
                })
                .collect();
            return format!("El fin de semana: {}.", days.join("; "));
        }
    };
    let subject = if date == today {
        format!("Hoy {}", weekday_name(date.weekday()))
    } else if Some(date) == plus_days(today, 1) {
        format!("Mañana {}", weekday_name(date.weekday()))
    } else {
        format!("El {}", long_date(date))
    };
    match opening_words(hours, date) {
        None if hours.closed_on(date) => format!("{subject} estamos cerrados (feriado)."),
        None => format!("{subject} estamos cerrados."),
        Some(open) => {
            let over = date == today
                && hours
                    .ranges(date.weekday())
                    .all(|r| r.start < r.end && r.end <= minute);
            if over {
                format!("{subject} abrimos {open}; ya cerramos por hoy.")
            } else {
                format!("{subject} abrimos {open}.")
            }
        }
    }
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
    fn hours_are_read_as_people_write_them() {
        let minutes = |text: &str| parse_range(text).map(|r| (r.start, r.end));
        assert_eq!(minutes("09:00-14:00"), Some((540, 840)));
        assert_eq!(minutes("9-14"), Some((540, 840)));
        assert_eq!(minutes(" 17 – 20:30 "), Some((1020, 1230)));
        assert_eq!(minutes("9.30-13h"), Some((570, 780)));
        assert_eq!(minutes("20-2"), Some((1200, 120)), "past midnight");
        for wrong in [
            "9", "9-", "-14", "25-26", "9:60-10", "9:000-10", "a-b", "9-9", "h-14",
        ] {
            assert_eq!(minutes(wrong), None, "{wrong}");
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

    fn friday() -> Date {
        Date::new(2026, 12, 4).expect("date")
    }

    #[test]
    fn the_week_is_grouped_monday_first() {
        let hours = crate::model::default_hours();
        assert_eq!(
            week_words(&hours, friday()),
            "lunes a viernes 9:00–18:00, sábado 9:00–13:00, domingo cerrado"
        );
        assert_eq!(
            week_words(&shop(), friday()),
            "lunes 9:00–13:00 y 15:00–19:00, martes 9:00–19:00, miércoles y jueves cerrado, \
             viernes 20:00–2:00, sábado y domingo cerrado; cerrado el martes 8 de diciembre"
        );
        assert_eq!(
            week_words(&Hours::default(), friday()),
            "cerrado todos los días"
        );
        let always = Hours {
            monday: vec!["00:00-24:00".into()],
            tuesday: vec!["00:00-24:00".into()],
            wednesday: vec!["00:00-24:00".into()],
            thursday: vec!["00:00-24:00".into()],
            friday: vec!["00:00-24:00".into()],
            saturday: vec!["00:00-24:00".into()],
            sunday: vec!["00:00-24:00".into()],
            closed: vec![
                "2026-12-24".into(),
                "2026-12-25".into(),
                "2027-01-01".into(),
            ],
        };
        assert_eq!(week_words(&always, friday()), "todos los días 24 horas");
        let christmas = Date::new(2026, 12, 20).expect("date");
        assert_eq!(
            week_words(&always, christmas),
            "todos los días 24 horas; cerrado el jueves 24 de diciembre y el viernes 25 de diciembre"
        );
    }

    #[test]
    fn the_day_asked_about_reads_as_a_sentence() {
        let hours = Hours {
            closed: vec!["2026-12-24".into()],
            ..crate::model::default_hours()
        };
        let at = |asked: Asked, minute: u16| day_sentence(&hours, asked, friday(), minute);
        let day = |d: i8| Asked::Day(Date::new(2026, 12, d).expect("date"));
        assert_eq!(at(day(4), 600), "Hoy viernes abrimos de 9:00 a 18:00.");
        assert_eq!(
            at(day(4), 19 * 60),
            "Hoy viernes abrimos de 9:00 a 18:00; ya cerramos por hoy."
        );
        assert_eq!(at(day(5), 600), "Mañana sábado abrimos de 9:00 a 13:00.");
        assert_eq!(
            at(day(6), 600),
            "El domingo 6 de diciembre estamos cerrados."
        );
        assert_eq!(
            at(day(24), 600),
            "El jueves 24 de diciembre estamos cerrados (feriado)."
        );
        assert_eq!(
            at(Asked::Weekend(Date::new(2026, 12, 5).expect("date")), 600),
            "El fin de semana: sábado 5 de diciembre de 9:00 a 13:00; domingo 6 de diciembre cerrado."
        );
        let late = shop();
        assert_eq!(
            day_sentence(&late, day(4), friday(), 23 * 60),
            "Hoy viernes abrimos de 20:00 a 2:00 del sábado."
        );
        assert_eq!(
            day_sentence(&late, day(7), friday(), 600),
            "El lunes 7 de diciembre abrimos de 9:00 a 13:00 y de 15:00 a 19:00."
        );
    }

    #[test]
    fn the_day_comes_from_the_message_in_the_shop_s_time_zone() {
        let hours = crate::model::default_hours();
        // Friday 20:00 in Caracas is already Saturday in UTC.
        let (tz, now) = at("America/Caracas", "2026-12-04T20:00");
        assert_eq!(
            hours.day_text(&tz, now, "¿abren el domingo?"),
            "El domingo 6 de diciembre estamos cerrados."
        );
        assert_eq!(
            hours.day_text(&tz, now, "¿cuál es el horario?"),
            "Hoy viernes abrimos de 9:00 a 18:00; ya cerramos por hoy."
        );
        assert_eq!(
            hours.day_text(&tz, now, "¿atienden mañana en la mañana?"),
            "Mañana sábado abrimos de 9:00 a 13:00."
        );
        assert_eq!(
            hours.week_text(&tz, now),
            "lunes a viernes 9:00–18:00, sábado 9:00–13:00, domingo cerrado"
        );
    }

    #[test]
    fn malformed_ranges_and_dates_are_located() {
        let hours = Hours {
            monday: vec!["9 a 18".into(), "09:00-25:00".into()],
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
