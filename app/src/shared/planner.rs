//! The capacity planner as it crosses the wire: the grid, a cell, an edit's outcome, a
//! what-if's outcome.

use crate::domain::odds::SkillOdds;
use crate::domain::planner::{Assigned, DealDemand, DemandMode, PersonWeek, SkillWeek};
use crate::domain::what_if::Scenario;

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
    /// Open deals with an estimate and demand in the window, by id: what the pipeline
    /// rows, the unassigned demand and the what-if are computed from (hours and
    /// probabilities, never values).
    pub open_deals: Vec<OpenDeal>,
    /// Tentative work booked on those deals in the window (with pipeline demand on; the
    /// what-if sums unassigned demand with it).
    pub assigned: Vec<Assigned>,
    /// Per skill (same order) and week: the pipeline's P50, P90 and the chance of being
    /// over capacity. Empty with pipeline demand off, and for callers who see only their
    /// own row (one person's capacity says nothing of a skill's).
    pub odds: Vec<Vec<SkillOdds>>,
    /// Whether the caller may apply a what-if (edit deals).
    pub can_apply: bool,
    /// The latest event number.
    pub seq: i64,
}

/// The skills' rows of the planner: per skill and week the numbers and (when the grid
/// has them) the odds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkillRows {
    /// Per skill and week: capacity, confirmed, pipeline, unassigned.
    pub weeks: Vec<Vec<SkillWeek>>,
    /// Per skill and week: P50, P90, chance over; empty when the grid has none.
    pub odds: Vec<Vec<SkillOdds>>,
}

impl PlannerGrid {
    /// The skills' rows as `scenario` has them — the grid's own when it changes
    /// nothing; otherwise summed again from the rows shown and the open deals as the
    /// what-if has them, with the same domain code the server used. People's rows are
    /// not recomputed (a what-if moves no one's allocations).
    pub fn what_if(&self, scenario: &Scenario) -> SkillRows {
        if scenario.is_empty() {
            return SkillRows {
                weeks: self.skill_weeks.clone(),
                odds: self.odds.clone(),
            };
        }
        let deals = scenario.apply(self.open_deals.iter().map(|d| &d.demand));
        let skills: Vec<i64> = self.skills.iter().map(|(id, _)| *id).collect();
        let team: Vec<(&[i64], &[PersonWeek])> = self
            .rows
            .iter()
            .map(|r| (r.skills.as_slice(), r.weeks.as_slice()))
            .collect();
        let weeks = crate::domain::planner::summarise(
            self.weeks,
            &skills,
            &team,
            &self.assigned,
            &deals,
            self.mode,
        );
        let odds = if self.odds.is_empty() {
            Vec::new()
        } else {
            crate::domain::odds::odds(self.weeks, &skills, &weeks, &deals)
        };
        SkillRows { weeks, odds }
    }
}

/// An open deal as the planner needs it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct OpenDeal {
    /// Its demand: id, probability, first week (relative to the window), weeks, minutes
    /// per skill.
    pub demand: DealDemand,
    /// Title.
    pub title: String,
    /// The client's name.
    pub client: String,
    /// The deal's version (a what-if applies only to the deal as it was seen).
    pub version: i64,
}

/// What applying a what-if did, deal by deal.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WhatIfOutcome {
    /// Deals written.
    pub applied: Vec<i64>,
    /// Deals not written, each with why (nothing of it was written).
    pub failed: Vec<WhatIfFailure>,
}

/// A deal a what-if could not be applied to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WhatIfFailure {
    /// The deal.
    pub deal_id: i64,
    /// Why, as a sentence.
    pub reason: String,
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
