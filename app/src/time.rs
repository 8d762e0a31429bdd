//! Times as the shop reads them: milliseconds since the epoch shown in the shop's time zone
//! (its current offset comes with `/api/auth/me`), the same on the server and in the browser.

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

/// `DD/MM/YYYY`.
pub fn date(ms: i64, offset_minutes: i32) -> String {
    let (year, month, day) = civil(local_minutes(ms, offset_minutes).div_euclid(24 * 60));
    format!("{day:02}/{month:02}/{year}")
}

/// `HH:MM` for a time today (relative to `now_ms`), else `DD/MM/YYYY HH:MM`.
pub fn when(ms: i64, now_ms: i64, offset_minutes: i32) -> String {
    let day = |t: i64| local_minutes(t, offset_minutes).div_euclid(24 * 60);
    if day(ms) == day(now_ms) {
        clock(ms, offset_minutes)
    } else {
        format!("{} {}", date(ms, offset_minutes), clock(ms, offset_minutes))
    }
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
        assert_eq!(date(ms, 0), "28/11/2026");
        assert_eq!(clock(ms, -240), "23:30");
        assert_eq!(date(ms, -240), "27/11/2026");
        assert_eq!(date(0, 0), "01/01/1970");
        assert_eq!(date(951_782_400_000, 0), "29/02/2000");
    }

    #[test]
    fn today_shows_only_the_clock() {
        let ms = 1_795_836_600_000;
        assert_eq!(when(ms, ms + 3_600_000, 0), "03:30");
        assert_eq!(when(ms, ms + 86_400_000, 0), "28/11/2026 03:30");
    }
}
