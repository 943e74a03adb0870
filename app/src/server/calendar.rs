//! A workspace's calendar: its time zone (an IANA name such as `Europe/Berlin`) and the day
//! its weeks start on. Every "today", "this week" and "which week" the server decides
//! follows it; the browser is handed what follows from it ([`Today`], [`UtcOffsets`]) and
//! never needs the time-zone database (it stays out of the WebAssembly).
//!
//! Instants stay UTC Unix milliseconds everywhere; only the day an instant falls on, and
//! the week that day belongs to, depend on the calendar. Zones come from the system's
//! time-zone database, or from the copy bundled with `jiff` where the system has none.

use crate::domain::calendar::{Date, Today, UtcOffsets, WeekStart};
use crate::domain::DomainError;
use jiff::tz::TimeZone;
use jiff::Timestamp;

/// The zone of workspaces that never chose one.
pub const DEFAULT_ZONE: &str = "UTC";

/// A workspace's time zone and week start.
#[derive(Clone)]
pub struct WorkspaceCalendar {
    /// The zone's IANA name as stored.
    name: String,
    zone: TimeZone,
    week_start: WeekStart,
}

impl std::fmt::Debug for WorkspaceCalendar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "WorkspaceCalendar({}, {})",
            self.name,
            self.week_start.name()
        )
    }
}

impl PartialEq for WorkspaceCalendar {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.week_start == other.week_start
    }
}

impl Eq for WorkspaceCalendar {}

impl Default for WorkspaceCalendar {
    fn default() -> Self {
        Self::utc(WeekStart::MONDAY)
    }
}

impl WorkspaceCalendar {
    /// UTC days with weeks starting on `week_start`.
    pub fn utc(week_start: WeekStart) -> Self {
        Self {
            name: DEFAULT_ZONE.to_string(),
            zone: TimeZone::UTC,
            week_start,
        }
    }

    /// The calendar of zone `name` (an IANA name, any letter case) with weeks starting
    /// on `week_start`; a field error on `time_zone` for a zone the database does not
    /// know.
    pub fn new(name: &str, week_start: WeekStart) -> Result<Self, DomainError> {
        let (name, zone) = known_zone(name)?;
        Ok(Self {
            name,
            zone,
            week_start,
        })
    }

    /// The calendar as a workspace row stores it. A zone or week start that is not (or no
    /// longer) known — edited outside Baton, or dropped from the time-zone database —
    /// counts as UTC or Monday, and is logged, rather than failing every page.
    pub fn stored(name: &str, week_start: i64) -> Self {
        let week_start = WeekStart::from_iso(week_start).unwrap_or_else(|| {
            tracing::warn!(
                week_start,
                "unknown stored week start; weeks start on Monday"
            );
            WeekStart::MONDAY
        });
        Self::new(name, week_start).unwrap_or_else(|_| {
            tracing::warn!(zone = name, "unknown stored time zone; days follow UTC");
            Self::utc(week_start)
        })
    }

    /// The zone's IANA name, e.g. `Europe/Berlin`.
    pub fn zone_name(&self) -> &str {
        &self.name
    }

    /// The day the workspace's weeks start on.
    pub fn week_start(&self) -> WeekStart {
        self.week_start
    }

    /// Seconds east of UTC at instant `ms`.
    pub fn offset_at(&self, ms: i64) -> i32 {
        self.zone.to_offset(timestamp(ms)).seconds()
    }

    /// The workspace's date at instant `ms`: today when `ms` is now.
    pub fn date_of(&self, ms: i64) -> Date {
        Date::from_unix_ms(ms.saturating_add(i64::from(self.offset_at(ms)) * 1000))
    }

    /// The workspace's date now (`now_ms`).
    pub fn today(&self, now_ms: i64) -> Date {
        self.date_of(now_ms)
    }

    /// The first day of the week containing `date`.
    pub fn week_of(&self, date: Date) -> Date {
        date.week_start(self.week_start.iso())
    }

    /// The first day of this week.
    pub fn this_week(&self, now_ms: i64) -> Date {
        self.week_of(self.today(now_ms))
    }

    /// Today and the week start at `now_ms`, as the domain and the browser take them.
    pub fn at(&self, now_ms: i64) -> Today {
        Today::new(self.today(now_ms), self.week_start)
    }

    /// The zone's offsets from UTC from instant `from_ms` to `to_ms`: what the browser
    /// needs to show any instant between them as a local date and time.
    pub fn offsets(&self, from_ms: i64, to_ms: i64) -> UtcOffsets {
        let from = from_ms.min(to_ms);
        let mut changes = vec![(from, self.offset_at(from))];
        for transition in self.zone.following(timestamp(from)) {
            let at = transition.timestamp().as_millisecond();
            if at > to_ms {
                break;
            }
            changes.push((at, transition.offset().seconds()));
        }
        UtcOffsets::new(changes)
    }

    /// [`WorkspaceCalendar::offsets`] covering the instants `stamps` and now.
    pub fn offsets_for(&self, stamps: impl IntoIterator<Item = i64>, now_ms: i64) -> UtcOffsets {
        let from = stamps.into_iter().min().unwrap_or(now_ms);
        self.offsets(from, now_ms)
    }
}

/// The zone named `name` (any letter case) as the database spells it, e.g.
/// `europe/berlin` → `Europe/Berlin`; a field error on `time_zone` otherwise.
pub fn known_zone(name: &str) -> Result<(String, TimeZone), DomainError> {
    let unknown = || DomainError::out_of_range("time_zone", "is not a known time zone");
    let name = name.trim();
    // Only IANA names: no POSIX rules ("EST5EDT,M3.2.0,M11.1.0"), file paths, or the
    // system's other files and copies ("localtime", "posix/…", "right/…").
    let lower = name.to_ascii_lowercase();
    if name.is_empty()
        || name.len() > 64
        || name.starts_with('/')
        || name.contains("..")
        || ["localtime", "posixrules"].contains(&lower.as_str())
        || lower.starts_with("posix/")
        || lower.starts_with("right/")
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'))
    {
        return Err(unknown());
    }
    let zone = jiff::tz::db().get(name).map_err(|_| unknown())?;
    let canonical = zone.iana_name().unwrap_or(name).to_string();
    Ok((canonical, zone))
}

/// Every zone name the database knows, sorted (the settings page offers them).
pub fn zone_names() -> Vec<String> {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.as_str().to_string())
        .filter(|n| n.contains('/') || n == DEFAULT_ZONE)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The instant `ms` as jiff's timestamp (clamped to the range jiff supports).
fn timestamp(ms: i64) -> Timestamp {
    // jiff covers years -9999 to 9999; Baton's instants are far inside.
    const LIMIT: i64 = 253_402_207_200_000 - 86_400_000;
    Timestamp::from_millisecond(ms.clamp(-LIMIT, LIMIT)).unwrap_or(Timestamp::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unix ms of an RFC 3339 instant.
    fn at(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    fn date(text: &str) -> Date {
        Date::parse(text).unwrap()
    }

    fn calendar(zone: &str, week_start: WeekStart) -> WorkspaceCalendar {
        WorkspaceCalendar::new(zone, week_start).unwrap()
    }

    #[test]
    fn across_the_date_line_sydney_is_already_on_monday() {
        let sydney = calendar("Australia/Sydney", WeekStart::MONDAY);
        let utc = WorkspaceCalendar::default();
        // 22:00 UTC on Sunday 29 November 2026 is 09:00 on Monday 30 November in Sydney
        // (summer time, UTC+11).
        let now = at("2026-11-29T22:00:00Z");
        assert_eq!(sydney.today(now), date("2026-11-30"));
        assert_eq!(sydney.this_week(now), date("2026-11-30"));
        assert_eq!(utc.today(now), date("2026-11-29"));
        assert_eq!(utc.this_week(now), date("2026-11-23"));
        assert_eq!(
            sydney.at(now),
            Today::new(date("2026-11-30"), WeekStart::MONDAY)
        );
    }

    #[test]
    fn berlin_days_change_at_local_midnight_on_both_sides_of_daylight_saving() {
        let berlin = calendar("Europe/Berlin", WeekStart::MONDAY);
        // Winter (UTC+1): midnight is 23:00 UTC.
        assert_eq!(berlin.today(at("2026-03-28T22:59:59Z")), date("2026-03-28"));
        assert_eq!(berlin.today(at("2026-03-28T23:00:00Z")), date("2026-03-29"));
        // Clocks go forward at 01:00 UTC on Sunday 29 March 2026: 02:00 becomes 03:00.
        assert_eq!(berlin.offset_at(at("2026-03-29T00:59:59Z")), 3600);
        assert_eq!(berlin.offset_at(at("2026-03-29T01:00:00Z")), 7200);
        // Summer (UTC+2): midnight is 22:00 UTC.
        assert_eq!(berlin.today(at("2026-03-29T21:59:59Z")), date("2026-03-29"));
        assert_eq!(berlin.today(at("2026-03-29T22:00:00Z")), date("2026-03-30"));
        assert_eq!(
            berlin.this_week(at("2026-03-29T22:00:00Z")),
            date("2026-03-30")
        );
        // Clocks go back at 01:00 UTC on Sunday 25 October 2026.
        assert_eq!(berlin.offset_at(at("2026-10-25T00:59:59Z")), 7200);
        assert_eq!(berlin.offset_at(at("2026-10-25T01:00:00Z")), 3600);
        assert_eq!(berlin.today(at("2026-10-24T21:59:59Z")), date("2026-10-24"));
        assert_eq!(berlin.today(at("2026-10-24T22:00:00Z")), date("2026-10-25"));
        assert_eq!(berlin.today(at("2026-10-25T22:59:59Z")), date("2026-10-25"));
        assert_eq!(berlin.today(at("2026-10-25T23:00:00Z")), date("2026-10-26"));
    }

    #[test]
    fn sydney_daylight_saving_runs_the_other_way_round() {
        let sydney = calendar("Australia/Sydney", WeekStart::MONDAY);
        // Clocks go back at 16:00 UTC on Saturday 4 April 2026 (03:00 AEDT → 02:00 AEST).
        assert_eq!(sydney.offset_at(at("2026-04-04T15:59:59Z")), 11 * 3600);
        assert_eq!(sydney.offset_at(at("2026-04-04T16:00:00Z")), 10 * 3600);
        // Midnight is 13:00 UTC in summer, 14:00 UTC in winter.
        assert_eq!(sydney.today(at("2026-04-03T12:59:59Z")), date("2026-04-03"));
        assert_eq!(sydney.today(at("2026-04-03T13:00:00Z")), date("2026-04-04"));
        assert_eq!(sydney.today(at("2026-04-05T13:59:59Z")), date("2026-04-05"));
        assert_eq!(sydney.today(at("2026-04-05T14:00:00Z")), date("2026-04-06"));
        // Clocks go forward at 16:00 UTC on Saturday 3 October 2026 (02:00 → 03:00).
        assert_eq!(sydney.offset_at(at("2026-10-03T15:59:59Z")), 10 * 3600);
        assert_eq!(sydney.offset_at(at("2026-10-03T16:00:00Z")), 11 * 3600);
        assert_eq!(sydney.today(at("2026-10-04T12:59:59Z")), date("2026-10-04"));
        assert_eq!(sydney.today(at("2026-10-04T13:00:00Z")), date("2026-10-05"));
    }

    #[test]
    fn weeks_start_on_the_workspace_day() {
        // Saturday 28 November 2026, 10:00 in Berlin.
        let now = at("2026-11-28T09:00:00Z");
        let sunday = calendar("Europe/Berlin", WeekStart::SUNDAY);
        assert_eq!(sunday.this_week(now), date("2026-11-22"));
        assert_eq!(sunday.week_of(date("2026-11-29")), date("2026-11-29"));
        let saturday = calendar("Europe/Berlin", WeekStart::SATURDAY);
        assert_eq!(saturday.this_week(now), date("2026-11-28"));
        let monday = calendar("Europe/Berlin", WeekStart::MONDAY);
        assert_eq!(monday.this_week(now), date("2026-11-23"));
        // Sunday 29 November, 23:30 in Berlin: still the week that started that morning.
        assert_eq!(
            sunday.this_week(at("2026-11-29T22:30:00Z")),
            date("2026-11-29")
        );
        // Sunday 29 November, 22:00 UTC is Monday in Sydney: a new Sunday-week has not
        // begun there, it is the second day of it.
        let sydney_sunday = calendar("Australia/Sydney", WeekStart::SUNDAY);
        assert_eq!(
            sydney_sunday.this_week(at("2026-11-29T22:00:00Z")),
            date("2026-11-29")
        );
    }

    #[test]
    fn offsets_list_every_change_in_the_stretch() {
        let berlin = calendar("Europe/Berlin", WeekStart::MONDAY);
        let from = at("2026-01-10T12:00:00Z");
        let to = at("2027-01-10T12:00:00Z");
        let offsets = berlin.offsets(from, to);
        for (instant, local) in [
            ("2026-01-10T12:00:00Z", "2026-01-10 13:00"),
            ("2026-03-29T00:30:00Z", "2026-03-29 01:30"),
            ("2026-03-29T01:30:00Z", "2026-03-29 03:30"),
            ("2026-07-01T22:15:00Z", "2026-07-02 00:15"),
            ("2026-10-25T00:30:00Z", "2026-10-25 02:30"),
            ("2026-10-25T01:30:00Z", "2026-10-25 02:30"),
            ("2027-01-10T12:00:00Z", "2027-01-10 13:00"),
        ] {
            assert_eq!(offsets.date_time(at(instant)), local, "{instant}");
            assert_eq!(
                offsets.date_of(at(instant)),
                berlin.date_of(at(instant)),
                "{instant}"
            );
        }
        let utc = WorkspaceCalendar::default().offsets(from, to);
        assert_eq!(
            utc.date_time(at("2026-07-01T22:15:00Z")),
            "2026-07-01 22:15"
        );
    }

    #[test]
    fn zones_are_known_iana_names() {
        let (name, _) = known_zone("europe/berlin").unwrap();
        assert_eq!(name, "Europe/Berlin");
        assert_eq!(known_zone(" UTC ").unwrap().0, "UTC");
        for bad in [
            "",
            "Mars/Olympus_Mons",
            "Europe/Berlin ; DROP",
            "../../etc/passwd",
            "/usr/share/zoneinfo/UTC",
            "EST5EDT,M3.2.0,M11.1.0",
            "+10:00",
            "localtime",
            "posix/Europe/Berlin",
            "right/Europe/Berlin",
        ] {
            assert_eq!(
                known_zone(bad).map(|(n, _)| n),
                Err(DomainError::out_of_range(
                    "time_zone",
                    "is not a known time zone"
                )),
                "{bad}"
            );
        }
        let names = zone_names();
        assert!(names.iter().any(|n| n == "Australia/Sydney"));
        assert!(names.iter().any(|n| n == "UTC"));
        assert!(names
            .iter()
            .all(|n| known_zone(n).is_ok_and(|(c, _)| c == *n)));
    }

    #[test]
    fn a_stored_zone_that_is_not_known_counts_as_utc() {
        let broken = WorkspaceCalendar::stored("Nowhere/Special", 7);
        assert_eq!(broken.zone_name(), "UTC");
        assert_eq!(broken.week_start(), WeekStart::SUNDAY);
        let odd = WorkspaceCalendar::stored("Europe/Berlin", 9);
        assert_eq!(odd.week_start(), WeekStart::MONDAY);
        assert_eq!(odd.zone_name(), "Europe/Berlin");
    }
}
