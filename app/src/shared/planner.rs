//! The capacity planner as it crosses the wire: the grid, a cell, an edit's outcome.

use crate::domain::planner::{DemandMode, PersonWeek, SkillWeek};

/// Most weeks the planner shows at once.
pub const MAX_WEEKS: u32 = 52;

/// One person's row.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlannerRow {
    /// Person id.
    pub person_id: i64,
    /// Name.
    pub name: String,
    /// Their skills (the first is the group they are listed under).
    pub skills: Vec<i64>,
    /// One entry per week shown.
    pub weeks: Vec<PersonWeek>,
}

/// The planner's page data.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlannerGrid {
    /// First day of the first week shown.
    pub first_week: String,
    /// This week's first day.
    pub this_week: String,
    /// Weeks shown.
    pub weeks: u32,
    /// How open deals count.
    pub mode: DemandMode,
    /// Skills: (id, name), by name.
    pub skills: Vec<(i64, String)>,
    /// Per skill (same order): one entry per week.
    pub skill_weeks: Vec<Vec<SkillWeek>>,
    /// People, grouped by their first skill, by name.
    pub rows: Vec<PlannerRow>,
    /// Whether the caller may edit.
    pub can_edit: bool,
    /// Whether the caller sees the whole team (else only their own row).
    pub whole_team: bool,
    /// Projects that can be staffed: (id, name).
    pub projects: Vec<(i64, String)>,
    /// Open deals with an estimate: (id, title).
    pub deals: Vec<(i64, String)>,
    /// The pipeline's demand in the window, per deal and skill (for turning unassigned
    /// demand into someone's allocation).
    pub pipeline: Vec<PipelineLine>,
    /// The latest event number.
    pub seq: i64,
}

/// One open deal's need for one skill.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PipelineLine {
    /// Deal id.
    pub deal_id: i64,
    /// Title.
    pub title: String,
    /// Skill id.
    pub skill: i64,
    /// First week index relative to the window (negative: started before it).
    pub start_week: i64,
    /// Weeks.
    pub weeks: u32,
    /// Minutes a week (the estimate spread evenly).
    pub minutes_per_week: i64,
    /// Probability in percent.
    pub probability_pct: i64,
}

/// One allocation in a cell.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct CellAllocation {
    /// The project, for confirmed work.
    pub project_id: Option<i64>,
    /// The open deal, for tentative work.
    pub deal_id: Option<i64>,
    /// Project name or deal title.
    pub name: String,
    /// Minutes.
    pub minutes: i64,
    /// Row version.
    pub version: i64,
}

/// A stretch of time off.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct TimeOff {
    /// Id.
    pub id: i64,
    /// First day.
    pub starts_on: String,
    /// Last day.
    pub ends_on: String,
    /// Minutes off per working day.
    pub minutes_per_day: i64,
    /// Why.
    pub reason: Option<String>,
    /// Version.
    pub version: i64,
}

/// One person's week in detail.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CellDetail {
    /// Person id.
    pub person_id: i64,
    /// Name.
    pub name: String,
    /// First day of the week.
    pub week: String,
    /// Weekly capacity, minutes.
    pub weekly_capacity: i64,
    /// Allocations that week.
    pub allocations: Vec<CellAllocation>,
    /// Their time off overlapping the week (and later).
    pub time_off: Vec<TimeOff>,
}

/// What an edit did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EditOutcome {
    /// Weeks (first days) in which the person is now booked over their available time.
    pub over_allocated: Vec<String>,
}
