//! Times as the shop reads them: milliseconds since the epoch shown in the shop's time zone
//! (its current offset comes with `/api/auth/me`), the same on the server and in the browser.

use crate::i18n::Lang;

/// `(year, month, day)` of a day counted from 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Local minutes since the epoch.
fn local_minutes(ms: i64, offset_minutes: i32) -> i64 {
    ms.div_euclid(60_000) + i64::from(offset_minutes)
}

/// `HH:MM`.
pub fn clock(ms: i64, offset_minutes: i32) -> String {
    let minutes = local_minutes(ms, offset_minutes).rem_euclid(24 * 60);
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// The months' short names, in Spanish and English.
const MONTHS: [(&str, &str); 12] = [
    ("ene", "Jan"),
    ("feb", "Feb"),
    ("mar", "Mar"),
    ("abr", "Apr"),
    ("may", "May"),
    ("jun", "Jun"),
    ("jul", "Jul"),
    ("ago", "Aug"),
    ("sep", "Sep"),
    ("oct", "Oct"),
    ("nov", "Nov"),
    ("dic", "Dec"),
];

/// The day of local minutes since the epoch.
fn day_of(ms: i64, offset_minutes: i32) -> i64 {
    local_minutes(ms, offset_minutes).div_euclid(24 * 60)
}

/// `4 dic`, or `4 dic 2025` when `year` is not the one to leave out.
fn day_name(day: i64, lang: Lang, leave_out_year: Option<i64>) -> String {
    let (year, month, date) = civil(day);
    calendar_day(year, month, date, lang, leave_out_year)
}

/// `25 dic 2026` for the 25th of December 2026 (the year left out when it is `leave_out_year`).
fn calendar_day(
    year: i64,
    month: u32,
    date: u32,
    lang: Lang,
    leave_out_year: Option<i64>,
) -> String {
    let (es, en) = MONTHS[(month.clamp(1, 12) - 1) as usize];
    let month = match lang {
        Lang::Es => es,
        Lang::En => en,
    };
    if leave_out_year == Some(year) {
        format!("{date} {month}")
    } else {
        format!("{date} {month} {year}")
    }
}

/// A day as the files write it (`2026-12-25`) as the shop reads it: `25 dic 2026`, or `25 dic`
/// without `with_year`; `None` for what is not such a day.
pub fn file_day(text: &str, lang: Lang, with_year: bool) -> Option<String> {
    let number = |part: Option<&str>, len: usize| {
        part.filter(|p| p.len() == len)
            .and_then(|p| p.parse::<u32>().ok())
    };
    let mut parts = text.splitn(3, '-');
    match (
        number(parts.next(), 4),
        number(parts.next(), 2),
        number(parts.next(), 2),
    ) {
        (Some(year), Some(month @ 1..=12), Some(date @ 1..=31)) => {
            let year = i64::from(year);
            let leave_out = (!with_year).then_some(year);
            Some(calendar_day(year, month, date, lang, leave_out))
        }
        _ => None,
    }
}

/// `4 dic 2026` (`4 Dec 2026`): the month in words, so no one reads 06/12 as June.
pub fn date(ms: i64, offset_minutes: i32, lang: Lang) -> String {
    day_name(day_of(ms, offset_minutes), lang, None)
}

/// As a chat app says when: `11:32` today, `ayer 11:32`, `mañana 11:32`, `4 dic 11:32` in this
/// year, `4 dic 2025 11:32` before it (relative to `now_ms`).
pub fn when(ms: i64, now_ms: i64, offset_minutes: i32, lang: Lang) -> String {
    let (day, today) = (day_of(ms, offset_minutes), day_of(now_ms, offset_minutes));
    let clock = clock(ms, offset_minutes);
    let near = match (day - today, lang) {
        (0, _) => return clock,
        (-1, Lang::Es) => "ayer",
        (-1, Lang::En) => "yesterday",
        (1, Lang::Es) => "mañana",
        (1, Lang::En) => "tomorrow",
        _ => {
            let this_year = civil(today).0;
            return format!("{} {clock}", day_name(day, lang, Some(this_year)));
        }
    };
    format!("{near} {clock}")
}

/// Now, in milliseconds since the epoch.
pub fn now_ms() -> i64 {
    #[cfg(feature = "hydrate")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(feature = "hydrate"))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_the_shops_offset() {
        // 2026-11-28 03:30 UTC is 23:30 of the 27th in Caracas (UTC-4).
        let ms = 1_795_836_600_000;
        assert_eq!(clock(ms, 0), "03:30");
        assert_eq!(date(ms, 0, Lang::Es), "28 nov 2026");
        assert_eq!(clock(ms, -240), "23:30");
        assert_eq!(date(ms, -240, Lang::En), "27 Nov 2026");
        assert_eq!(date(0, 0, Lang::Es), "1 ene 1970");
        assert_eq!(date(951_782_400_000, 0, Lang::En), "29 Feb 2000");
    }

    #[test]
    fn near_days_are_named_and_far_ones_dated() {
        let ms = 1_795_836_600_000;
        let day = 86_400_000;
        assert_eq!(when(ms, ms + 3_600_000, 0, Lang::Es), "03:30");
        assert_eq!(when(ms, ms + day, 0, Lang::Es), "ayer 03:30");
        assert_eq!(when(ms, ms + day, 0, Lang::En), "yesterday 03:30");
        assert_eq!(when(ms, ms - day, 0, Lang::Es), "mañana 03:30");
        assert_eq!(when(ms, ms - day, 0, Lang::En), "tomorrow 03:30");
        assert_eq!(when(ms, ms + 3 * day, 0, Lang::Es), "28 nov 03:30");
        assert_eq!(when(ms, ms + 40 * day, 0, Lang::En), "28 Nov 2026 03:30");
        // Caracas's evening of the 27th is still "today" there at 23:59 of the 27th.
        assert_eq!(when(ms, ms + 29 * 60_000, -240, Lang::Es), "23:30");
    }
}
