//! Time as it crosses the wire: entries, a person's week, a project's log.

/// One logged stretch of work.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct TimeEntry {
    /// Id.
    pub id: i64,
    /// Project id.
    pub project_id: i64,
    /// Project name.
    pub project_name: String,
    /// Who (person id).
    pub person_id: i64,
    /// Their name.
    pub person_name: String,
    /// Day, `YYYY-MM-DD`.
    pub worked_on: String,
    /// Minutes.
    pub minutes: i64,
    /// Note.
    pub note: String,
    /// Billable.
    #[cfg_attr(feature = "ssr", sqlx(try_from = "crate::shared::flag::Flag"))]
    pub billable: bool,
    /// Version.
    pub version: i64,
}

/// One person's week of time.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WeekOfTime {
    /// The week's first day.
    pub week: String,
    /// The seven days.
    pub days: Vec<String>,
    /// Today in the workspace's time zone, `YYYY-MM-DD`: no time is logged after it.
    pub today: String,
    /// Projects they can log on: (id, name).
    pub projects: Vec<(i64, String)>,
    /// Their entries that week, by day.
    pub entries: Vec<TimeEntry>,
    /// Whether their user is linked to a person (else nothing can be logged).
    pub linked: bool,
}

/// Time logged on one project.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProjectTimeLog {
    /// Entries, newest first (at most 500).
    pub entries: Vec<TimeEntry>,
    /// Total minutes.
    pub total_minutes: i64,
    /// Billable minutes.
    pub billable_minutes: i64,
}
