//! Days as customers name them and as the bot says them, in Spanish: "¿abren el domingo?",
//! "¿atienden mañana?", "¿están abiertos el 24 de diciembre?" name a day; the answer says
//! "el domingo 6 de diciembre". Pure: today is always given (in the shop's time zone). jiff
//! has no Spanish names, so they are here.

use super::text::normalize;
use jiff::civil::{Date, Weekday};

/// Weekday names, Monday first (as written to customers, with accents).
const WEEKDAYS: [&str; 7] = [
    "lunes",
    "martes",
    "miércoles",
    "jueves",
    "viernes",
    "sábado",
    "domingo",
];

/// Month names, January first.
const MONTHS: [&str; 12] = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
];

/// How far ahead a date named without a year is looked for: a 29 February can be four years
/// away, never more than eight.
const YEARS_AHEAD: i16 = 8;

/// The Spanish name of a weekday ("miércoles").
pub fn weekday_name(weekday: Weekday) -> &'static str {
    WEEKDAYS[weekday.to_monday_zero_offset() as usize]
}

/// A date as said in a sentence: "jueves 24 de diciembre".
pub fn long_date(date: Date) -> String {
    let month = MONTHS[(date.month() as usize).clamp(1, 12) - 1];
    format!("{} {} de {month}", weekday_name(date.weekday()), date.day())
}

/// `date` plus `days` (`None` past the end of jiff's calendar).
pub fn plus_days(date: Date, days: i64) -> Option<Date> {
    date.checked_add(jiff::Span::new().days(days)).ok()
}

/// What a message asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Asked {
    /// One day.
    Day(Date),
    /// A weekend: this Saturday and the Sunday after it.
    Weekend(Date),
}

/// The day a customer names in `message` (as written), counted from `today`: an explicit
/// date ("24 de diciembre", "el 24/12", "25-12") first, else the first of "hoy", "mañana"
/// (not "la mañana" or "esta mañana", which mean the morning), "pasado mañana", a weekday
/// (its next occurrence, today included) or "fin de semana"/"finde". `None` when it names
/// none.
pub fn asked_day(message: &str, today: Date) -> Option<Asked> {
    if let Some(date) = numeric_date(message, today) {
        return Some(Asked::Day(date));
    }
    let normalized = normalize(message);
    let words: Vec<&str> = normalized.split(' ').collect();
    if let Some(date) = written_date(&words, today) {
        return Some(Asked::Day(date));
    }
    words
        .iter()
        .enumerate()
        .find_map(|(i, word)| relative_day(&words, i, word, today))
}

/// A day named by the word at `i` ("hoy", "mañana", "domingo", "finde"...).
fn relative_day(words: &[&str], i: usize, word: &str, today: Date) -> Option<Asked> {
    let previous = i.checked_sub(1).map(|p| words[p]);
    let next = |n: usize| words.get(i + n).copied();
    let day = |days: i64| plus_days(today, days).map(Asked::Day);
    match word {
        "hoy" => day(0),
        "pasado" if next(1) == Some("manana") => day(2),
        "manana" if !matches!(previous, Some("la" | "esta" | "pasado")) => day(1),
        "finde" | "findes" => weekend(today),
        "fin" | "fines" if next(1) == Some("de") && matches!(next(2), Some("semana")) => {
            weekend(today)
        }
        _ => {
            let weekday = weekday_named(word)?;
            day(i64::from(today.weekday().until(weekday)))
        }
    }
}

/// The weekday a normalized word names ("miercoles", "sabados").
fn weekday_named(word: &str) -> Option<Weekday> {
    let singular = match word {
        "sabados" | "domingos" => &word[..word.len() - 1],
        _ => word,
    };
    const NORMALIZED: [&str; 7] = [
        "lunes",
        "martes",
        "miercoles",
        "jueves",
        "viernes",
        "sabado",
        "domingo",
    ];
    let index = NORMALIZED.iter().position(|name| *name == singular)?;
    Weekday::from_monday_zero_offset(index as i8).ok()
}

fn weekend(today: Date) -> Option<Asked> {
    plus_days(today, i64::from(today.weekday().until(Weekday::Saturday))).map(Asked::Weekend)
}

/// The next `day`/`month` from `today` on (this year or a later one), or that of `year`.
fn date_of(day: i8, month: i8, year: Option<i16>, today: Date) -> Option<Date> {
    match year {
        Some(year) => Date::new(year, month, day).ok(),
        None => (today.year()..today.year().saturating_add(YEARS_AHEAD))
            .filter_map(|year| Date::new(year, month, day).ok())
            .find(|date| *date >= today),
    }
}

/// "24 de diciembre" (and "24 de diciembre de 2026") among normalized words.
fn written_date(words: &[&str], today: Date) -> Option<Date> {
    words.windows(3).enumerate().find_map(|(i, w)| {
        let day: i8 = w[0].parse().ok().filter(|d| (1..=31).contains(d))?;
        if w[1] != "de" {
            return None;
        }
        let month = MONTHS.iter().position(|m| *m == w[2])? as i8 + 1;
        let year = match (words.get(i + 3), words.get(i + 4)) {
            (Some(&"de"), Some(year)) if year.len() == 4 => year.parse().ok(),
            _ => None,
        };
        date_of(day, month, year, today)
    })
}

/// "24/12", "25-12" or "24/12/2026" in the message as written (normalizing would lose the
/// slash): one or two digits, `/` or `-`, one or two digits, optionally a year of two or four.
fn numeric_date(message: &str, today: Date) -> Option<Date> {
    let bytes = message.as_bytes();
    let digits_at = |from: usize| {
        bytes[from.min(bytes.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let number =
        |from: usize, len: usize| -> Option<i16> { message.get(from..from + len)?.parse().ok() };
    let mut at = 0;
    while at < bytes.len() {
        let len = digits_at(at);
        if len == 0 {
            at += 1;
            continue;
        }
        let separator = bytes.get(at + len).copied();
        let month_at = at + len + 1;
        let month_len = digits_at(month_at);
        if len <= 2 && matches!(separator, Some(b'/' | b'-')) && (1..=2).contains(&month_len) {
            let (day, month) = (number(at, len), number(month_at, month_len));
            let after = month_at + month_len;
            let year_len = match bytes.get(after) {
                Some(b) if *b == separator.unwrap_or(b'/') => digits_at(after + 1),
                _ => 0,
            };
            let year = match year_len {
                2 => number(after + 1, 2).map(|y| 2000 + y),
                4 => number(after + 1, 4),
                _ => None,
            };
            let ends_cleanly = year.is_some() || year_len == 0;
            let day = day.and_then(|d| i8::try_from(d).ok());
            let month = month.and_then(|m| i8::try_from(m).ok());
            if let (true, Some(day), Some(month)) = (ends_cleanly, day, month) {
                if let Some(date) = date_of(day, month, year, today) {
                    return Some(date);
                }
            }
        }
        at += len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    /// Friday 4 December 2026.
    fn friday() -> Date {
        date(2026, 12, 4)
    }

    fn asked(message: &str) -> Option<Asked> {
        asked_day(message, friday())
    }

    fn day(month: i8, day: i8) -> Option<Asked> {
        Some(Asked::Day(date(2026, month, day)))
    }

    #[test]
    fn relative_days_and_weekdays_are_found() {
        let table = [
            ("¿abren hoy?", day(12, 4)),
            ("¿Atienden mañana?", day(12, 5)),
            ("y pasado mañana?", day(12, 6)),
            ("¿abren el domingo?", day(12, 6)),
            ("¿abren los domingos?", day(12, 6)),
            ("el MIÉRCOLES abren?", day(12, 9)),
            ("el miercoles abren?", day(12, 9)),
            ("¿abren el viernes?", day(12, 4)),
            (
                "¿abren el fin de semana?",
                Some(Asked::Weekend(date(2026, 12, 5))),
            ),
            ("y el finde?", Some(Asked::Weekend(date(2026, 12, 5)))),
            ("mañana por la mañana", day(12, 5)),
            ("¿cuál es el horario?", None),
        ];
        for (message, expected) in table {
            assert_eq!(asked(message), expected, "{message}");
        }
    }

    #[test]
    fn the_morning_is_not_tomorrow() {
        for message in [
            "¿abren en la mañana?",
            "por la mañana",
            "a las 10 de la mañana",
            "¿esta mañana abren?",
        ] {
            assert_eq!(asked(message), None, "{message}");
        }
    }

    #[test]
    fn explicit_dates_are_the_next_occurrence() {
        let table = [
            ("¿están abiertos el 24 de diciembre?", day(12, 24)),
            ("¿abren el 24/12?", day(12, 24)),
            ("y el 25-12", day(12, 25)),
            ("¿el 2 de enero?", Some(Asked::Day(date(2027, 1, 2)))),
            ("¿el 4/12?", day(12, 4)),
            ("¿el 3/12?", Some(Asked::Day(date(2027, 12, 3)))),
            ("¿y el 24/12/2027?", Some(Asked::Day(date(2027, 12, 24)))),
            ("29 de febrero", Some(Asked::Day(date(2028, 2, 29)))),
            ("mañana 24 de diciembre", day(12, 24)),
        ];
        for (message, expected) in table {
            assert_eq!(asked(message), expected, "{message}");
        }
    }

    #[test]
    fn numbers_that_are_not_dates_are_left_alone() {
        for message in [
            "pedido 1234",
            "tel 0412-555-1234",
            "de 10-15 dólares",
            "31/02",
            "12/2026",
            "24/12/202",
        ] {
            assert_eq!(asked(message), None, "{message}");
        }
    }

    proptest::proptest! {
        /// Whatever is written, a day found is today or later (within the years a date
        /// without a year is looked for), and finding it never panics.
        #[test]
        fn any_text_names_at_most_a_day_ahead(
            written in "(\\PC|[0-9/ -]){0,120}",
            offset in 0i64..4000,
        ) {
            let today = plus_days(date(2024, 1, 1), offset).expect("date");
            let latest = plus_days(today, 366 * i64::from(YEARS_AHEAD)).expect("date");
            match asked_day(&written, today) {
                Some(Asked::Day(day)) | Some(Asked::Weekend(day)) => {
                    let explicit_year = written.matches(|c: char| c.is_ascii_digit()).count() >= 5;
                    proptest::prop_assert!(explicit_year || (today <= day && day <= latest), "{written}: {day}");
                }
                None => {}
            }
        }
    }

    #[test]
    fn dates_read_in_spanish() {
        assert_eq!(long_date(date(2026, 12, 24)), "jueves 24 de diciembre");
        assert_eq!(long_date(date(2026, 12, 9)), "miércoles 9 de diciembre");
        assert_eq!(weekday_name(Weekday::Saturday), "sábado");
    }
}
