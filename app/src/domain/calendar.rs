//! Calendar dates as integer day numbers (days since 1970-01-01), without a date library,
//! so the same arithmetic runs in the browser and on the server.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Milliseconds in a day.
pub const MS_PER_DAY: i64 = 86_400_000;

/// A calendar date in the proleptic Gregorian calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Date(i32);

impl Date {
    /// The date `days` days after 1970-01-01.
    pub const fn from_days(days: i32) -> Self {
        Self(days)
    }

    /// Days since 1970-01-01.
    pub const fn days(self) -> i32 {
        self.0
    }

    /// The date containing the Unix instant `ms` (UTC).
    pub fn from_unix_ms(ms: i64) -> Self {
        Self(ms.div_euclid(MS_PER_DAY) as i32)
    }

    /// Midnight UTC of this date as Unix milliseconds.
    pub fn unix_ms(self) -> i64 {
        i64::from(self.0) * MS_PER_DAY
    }

    /// The date for a year, month (1–12) and day (1–31); `None` if it does not exist.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Self> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        // Howard Hinnant's days_from_civil.
        let y = if month <= 2 { year - 1 } else { year };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = month as i32;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i32 - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        Some(Self(era * 146_097 + doe - 719_468))
    }

    /// The year, month (1–12) and day (1–31) of this date.
    pub fn ymd(self) -> (i32, u32, u32) {
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i32::from(month <= 2);
        (year, month, day)
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.trim().splitn(3, '-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        Self::from_ymd(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    }

    /// ISO weekday: 1 = Monday ... 7 = Sunday.
    pub fn iso_weekday(self) -> u32 {
        // 1970-01-01 was a Thursday (4).
        ((self.0 + 3).rem_euclid(7) + 1) as u32
    }

    /// The date `n` days later (earlier when negative).
    pub fn add_days(self, n: i32) -> Self {
        Self(self.0 + n)
    }

    /// The first day of the week containing this date, for weeks starting on `week_start`
    /// (ISO weekday 1–7).
    pub fn week_start(self, week_start: u32) -> Self {
        let back = (self.iso_weekday() + 7 - week_start.clamp(1, 7)) % 7;
        self.add_days(-(back as i32))
    }

    /// Whole days from `self` to `later` (negative if `later` is earlier).
    pub fn days_until(self, later: Date) -> i32 {
        later.0 - self.0
    }

    /// A short label such as `3 Mar`.
    pub fn short_label(self) -> String {
        const MONTHS: [&str; 12] = [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ];
        let (_, m, d) = self.ymd();
        format!("{d} {}", MONTHS[m as usize - 1])
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        _ => 28,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(Date::from_ymd(1970, 1, 1), Some(Date::from_days(0)));
        assert_eq!(Date::from_ymd(2000, 3, 1).unwrap().days(), 11_017);
        assert_eq!(Date::parse("2026-11-21").unwrap().to_string(), "2026-11-21");
        assert_eq!(Date::parse("2026-11-21").unwrap().iso_weekday(), 6);
        assert_eq!(Date::parse("2024-02-29").unwrap().ymd(), (2024, 2, 29));
        assert_eq!(Date::parse("2023-02-29"), None);
        assert_eq!(Date::parse("2026-13-01"), None);
        assert_eq!(Date::parse("26-11-21"), None);
        assert_eq!(Date::parse("yesterday"), None);
        assert_eq!(Date::parse("1969-12-31").unwrap().days(), -1);
    }

    #[test]
    fn weeks_start_on_the_workspace_day() {
        let saturday = Date::parse("2026-11-21").unwrap();
        assert_eq!(saturday.week_start(1).to_string(), "2026-11-16");
        assert_eq!(saturday.week_start(7).to_string(), "2026-11-15");
        assert_eq!(saturday.week_start(6), saturday);
    }

    #[test]
    fn instants_map_to_their_utc_day() {
        assert_eq!(Date::from_unix_ms(-1).days(), -1);
        assert_eq!(Date::from_unix_ms(MS_PER_DAY - 1).days(), 0);
        assert_eq!(Date::from_days(20_000).short_label(), "4 Oct");
    }

    proptest::proptest! {
        #[test]
        fn civil_round_trip(days in -800_000_i32..800_000) {
            let d = Date::from_days(days);
            let (y, m, dd) = d.ymd();
            proptest::prop_assert_eq!(Date::from_ymd(y, m, dd), Some(d));
            if (0..=9999).contains(&y) {
                proptest::prop_assert_eq!(Date::parse(&d.to_string()), Some(d));
            }
            let ws = d.week_start(1);
            proptest::prop_assert_eq!(ws.iso_weekday(), 1);
            proptest::prop_assert!(ws <= d && d.days() - ws.days() < 7);
        }
    }
}
