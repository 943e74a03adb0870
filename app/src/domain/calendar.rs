//! Calendar dates as integer day numbers (days since 1970-01-01), without a date library,
//! so the same arithmetic runs in the browser and on the server.
//!
//! Which day it is, and where a week starts, depend on the workspace: its time zone and
//! its week start. Only the server knows time zones (`server::calendar`); it hands the
//! browser what follows from them as plain values — [`Today`] (the workspace's date and
//! week start) and [`UtcOffsets`] (its offsets from UTC over a stretch of time, to show
//! instants as local times).

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

/// The day a workspace's weeks start on, as an ISO weekday (1 = Monday … 7 = Sunday) —
/// the form `workspaces.week_start` stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct WeekStart(u8);

impl WeekStart {
    /// Weeks from Monday to Sunday (ISO weeks): the default.
    pub const MONDAY: Self = Self(1);
    /// Weeks from Saturday to Friday.
    pub const SATURDAY: Self = Self(6);
    /// Weeks from Sunday to Saturday.
    pub const SUNDAY: Self = Self(7);

    /// Every day a week may start on, Monday first.
    pub const ALL: [Self; 7] = [
        Self(1),
        Self(2),
        Self(3),
        Self(4),
        Self(5),
        Self(6),
        Self(7),
    ];

    /// The week start for ISO weekday `iso` (1 = Monday … 7 = Sunday).
    pub fn from_iso(iso: i64) -> Option<Self> {
        (1..=7).contains(&iso).then_some(Self(iso as u8))
    }

    /// The ISO weekday (1 = Monday … 7 = Sunday).
    pub fn iso(self) -> u32 {
        u32::from(self.0)
    }

    /// The day's English name, e.g. `Monday`.
    pub fn name(self) -> &'static str {
        WEEKDAYS[usize::from(self.0) - 1]
    }

    /// The week start typed into `field`: an ISO weekday number (`1` … `7`) or a day's
    /// name (`monday`, `Sun`); a field error otherwise.
    pub fn parse(field: &str, text: &str) -> Result<Self, crate::domain::DomainError> {
        let text = text.trim();
        let by_number = text.parse::<i64>().ok().and_then(Self::from_iso);
        let by_name = || {
            let lower = text.to_ascii_lowercase();
            Self::ALL.into_iter().find(|d| {
                let name = d.name().to_ascii_lowercase();
                lower.len() >= 3 && name.starts_with(&lower)
            })
        };
        by_number.or_else(by_name).ok_or_else(|| {
            crate::domain::DomainError::out_of_range(
                field,
                "must be a day of the week, from 1 (Monday) to 7 (Sunday)",
            )
        })
    }

    /// The first day of a week starting on this day that shares the most days with the
    /// week starting on `week` (at most three days away): where work booked for `week`
    /// goes when weeks start on this day instead. Working days (Monday to Friday) stay in
    /// their week when weeks move from Monday to Sunday or Saturday, and back.
    pub fn nearest_to(self, week: Date) -> Date {
        let ahead = (self.iso() as i32 - week.iso_weekday() as i32 + 3).rem_euclid(7) - 3;
        week.add_days(ahead)
    }
}

impl Default for WeekStart {
    fn default() -> Self {
        Self::MONDAY
    }
}

/// The days' names, Monday first.
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Today in a workspace: its date in the workspace's time zone and the day its weeks
/// start on. The server works it out (`server::calendar::WorkspaceCalendar::at`) and every
/// "today", "this week" and "which week" follows it, in the server's checks and in the
/// browser alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Today {
    /// The workspace's date.
    pub date: Date,
    /// The day its weeks start on.
    pub week_start: WeekStart,
}

impl Today {
    /// Today `date`, with weeks starting on `week_start`.
    pub fn new(date: Date, week_start: WeekStart) -> Self {
        Self { date, week_start }
    }

    /// The first day of this week.
    pub fn this_week(self) -> Date {
        self.week_of(self.date)
    }

    /// The first day of the week containing `date`.
    pub fn week_of(self, date: Date) -> Date {
        date.week_start(self.week_start.iso())
    }

    /// Whether `date` is a first day of a week.
    pub fn starts_a_week(self, date: Date) -> bool {
        date.iso_weekday() == self.week_start.iso()
    }

    /// Whether `date` is after today.
    pub fn is_future(self, date: Date) -> bool {
        date > self.date
    }
}

/// A workspace's offsets from UTC over a stretch of time, so that instants (Unix
/// milliseconds) show as the workspace's local dates and times without a time-zone
/// database: the server lists each offset with the instant it took effect.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UtcOffsets {
    /// (from, seconds east of UTC), ascending by instant; the first also holds before its
    /// instant. Empty: UTC throughout.
    changes: Vec<(i64, i32)>,
}

impl UtcOffsets {
    /// Offsets from `changes`: (from instant ms, seconds east of UTC), in any order.
    pub fn new(mut changes: Vec<(i64, i32)>) -> Self {
        changes.sort_by_key(|(at, _)| *at);
        Self { changes }
    }

    /// Seconds east of UTC at instant `ms`.
    pub fn offset_at(&self, ms: i64) -> i32 {
        let after = self.changes.partition_point(|(at, _)| *at <= ms);
        self.changes
            .get(after.saturating_sub(1))
            .map_or(0, |(_, offset)| *offset)
    }

    /// The local date of instant `ms`.
    pub fn date_of(&self, ms: i64) -> Date {
        Date::from_unix_ms(self.local_ms(ms))
    }

    /// Instant `ms` as the local `YYYY-MM-DD HH:MM`.
    pub fn date_time(&self, ms: i64) -> String {
        let local = self.local_ms(ms);
        let minutes = local.rem_euclid(MS_PER_DAY) / 60_000;
        format!(
            "{} {:02}:{:02}",
            Date::from_unix_ms(local),
            minutes / 60,
            minutes % 60
        )
    }

    fn local_ms(&self, ms: i64) -> i64 {
        ms.saturating_add(i64::from(self.offset_at(ms)) * 1000)
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

    #[test]
    fn a_week_start_is_typed_as_a_number_or_a_name() {
        assert_eq!(WeekStart::parse("week_start", "7"), Ok(WeekStart::SUNDAY));
        assert_eq!(
            WeekStart::parse("week_start", " sunday "),
            Ok(WeekStart::SUNDAY)
        );
        assert_eq!(
            WeekStart::parse("week_start", "Sat"),
            Ok(WeekStart::SATURDAY)
        );
        assert_eq!(WeekStart::parse("week_start", "1"), Ok(WeekStart::MONDAY));
        for bad in ["0", "8", "", "s", "funday", "-1"] {
            assert!(WeekStart::parse("week_start", bad).is_err(), "{bad}");
        }
        assert_eq!(WeekStart::SATURDAY.name(), "Saturday");
        assert_eq!(WeekStart::from_iso(7), Some(WeekStart::SUNDAY));
        assert_eq!(WeekStart::from_iso(0), None);
        assert_eq!(WeekStart::default(), WeekStart::MONDAY);
    }

    #[test]
    fn booked_weeks_move_to_the_nearest_first_day() {
        let monday = Date::parse("2026-11-30").unwrap();
        assert_eq!(
            WeekStart::SUNDAY.nearest_to(monday).to_string(),
            "2026-11-29"
        );
        assert_eq!(
            WeekStart::SATURDAY.nearest_to(monday).to_string(),
            "2026-11-28"
        );
        assert_eq!(WeekStart::MONDAY.nearest_to(monday), monday);
        let sunday = Date::parse("2026-11-29").unwrap();
        assert_eq!(WeekStart::MONDAY.nearest_to(sunday), monday);
        let saturday = Date::parse("2026-11-28").unwrap();
        assert_eq!(WeekStart::MONDAY.nearest_to(saturday), monday);
        // Monday to Friday: the Friday before shares four days, the one after three.
        assert_eq!(
            WeekStart::from_iso(5)
                .unwrap()
                .nearest_to(monday)
                .to_string(),
            "2026-11-27"
        );
        for to in WeekStart::ALL {
            let moved = to.nearest_to(monday);
            assert_eq!(moved.iso_weekday(), to.iso());
            assert!(monday.days_until(moved).abs() <= 3);
        }
    }

    #[test]
    fn today_knows_its_week_for_any_week_start() {
        // Sunday 29 November 2026.
        let sunday = Date::parse("2026-11-29").unwrap();
        let monday_weeks = Today::new(sunday, WeekStart::MONDAY);
        assert_eq!(monday_weeks.this_week().to_string(), "2026-11-23");
        let sunday_weeks = Today::new(sunday, WeekStart::SUNDAY);
        assert_eq!(sunday_weeks.this_week(), sunday);
        assert!(sunday_weeks.starts_a_week(sunday));
        assert!(!monday_weeks.starts_a_week(sunday));
        let saturday_weeks = Today::new(sunday, WeekStart::SATURDAY);
        assert_eq!(saturday_weeks.this_week().to_string(), "2026-11-28");
        assert_eq!(
            sunday_weeks
                .week_of(Date::parse("2026-12-05").unwrap())
                .to_string(),
            "2026-11-29"
        );
        assert!(sunday_weeks.is_future(sunday.add_days(1)));
        assert!(!sunday_weeks.is_future(sunday));
    }

    #[test]
    fn instants_show_at_the_offset_in_force() {
        // Berlin's clocks went forward at 01:00 UTC on 29 March 2026 (+1 h to +2 h).
        let change = Date::parse("2026-03-29").unwrap().unix_ms() + 3_600_000;
        let offsets = UtcOffsets::new(vec![(change, 7200), (0, 3600)]);
        assert_eq!(offsets.offset_at(change - 1), 3600);
        assert_eq!(offsets.offset_at(change), 7200);
        assert_eq!(offsets.offset_at(-5), 3600);
        assert_eq!(offsets.date_time(change - 60_000), "2026-03-29 01:59");
        assert_eq!(offsets.date_time(change), "2026-03-29 03:00");
        // 23:30 UTC is already the next day in Berlin.
        let late = Date::parse("2026-06-01").unwrap().unix_ms() + 23 * 3_600_000 + 1_800_000;
        assert_eq!(offsets.date_of(late).to_string(), "2026-06-02");
        assert_eq!(UtcOffsets::default().date_time(late), "2026-06-01 23:30");
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
