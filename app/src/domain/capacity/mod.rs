//! Capacity: can the team do a deal's work in the deal's weeks — and if not, how much is
//! short, who would do it, and when would it fit?
//!
//! Amounts are integer minutes; weeks are indices into a planning horizon (week 0 is the
//! horizon's first week).
//!
//! **Fits means the team can do it.** A deal's hours of a skill may be placed in any week
//! of its window, each person giving at most their free time that week (weekly capacity
//! minus time off minus other work): a team can work ahead of a holiday. "Short" means no
//! such placement covers the demand; "tight" means one does, but none would with a tenth
//! less free time. People with the same skills are pooled and the window's free time
//! summed, so the test is one small maximum flow whatever the number of people; adding
//! capacity never makes a verdict worse, adding work never makes it better. The earliest
//! start and a staffing edited by hand are judged by the same rule.
//!
//! **Staffing a project manager would sign.** The suggestion prefers, in this order:
//! 1. covering the demand (as much as the team's free time allows; when not all of it,
//!    the hours left open are those of the skills cheapest to buy in);
//! 2. the fewest people per skill;
//! 3. the same person on a skill across consecutive weeks (each person keeps their skills
//!    for the whole window, at an even pace);
//! 4. whole or half hours;
//! 5. lower cost where everything else is equal.
//!
//! Ties break by a rule a person can state — more free time in the deal's weeks first,
//! then the lower cost rate, then the name in alphabetical order (skills: the scarcer
//! first, then by name) — never by ids, so renumbering people or skills changes nothing.
//! How a suggestion reads (people per skill, switches) is measured by [`quality`].

use super::DomainError;
use flow::Prepared;
use serde::{Deserialize, Serialize};

mod check;
mod flow;
mod plan;
pub mod quality;
#[cfg(test)]
mod tests;

/// Minutes of work.
pub type Minutes = i64;

/// The most minutes in a week (168 hours).
pub const WEEK_MINUTES: Minutes = 168 * 60;

/// The longest planning horizon, in weeks.
pub const MAX_HORIZON_WEEKS: u32 = 520;

/// How many weeks ahead the earliest start is looked for unless a caller says otherwise.
pub const DEFAULT_EARLIEST_START_WITHIN: u32 = 12;

/// The highest hourly rate the engine takes, minor units (what a person's rates may be set
/// to anywhere in Baton: 10¹² minor units).
pub const MAX_RATE_MINOR: i64 = 1_000_000_000_000;

/// The most skills one demand may name.
pub const MAX_DEMAND_SKILLS: usize = 16;

/// How tentative allocations (on open deals) count against free capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TentativeMode {
    /// Ignore them: only confirmed work takes capacity.
    Exclude,
    /// Count them in full, as if every open deal were won.
    Full,
    /// Count them weighted by their deal's probability.
    Weighted,
}

/// A staff member as the engine needs them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonInput {
    /// Person id.
    pub id: i64,
    /// Name: breaks ties between people who are otherwise equal.
    #[serde(default)]
    pub name: String,
    /// Skill ids.
    pub skills: Vec<i64>,
    /// Weekly capacity.
    pub weekly_capacity: Minutes,
    /// Hourly cost rate, minor units.
    pub cost_rate_minor: i64,
    /// Hourly bill rate, minor units (what the project's burn charges for their time).
    #[serde(default)]
    pub bill_rate_minor: i64,
    /// Time off as (week, minutes off that week).
    pub time_off: Vec<(u32, Minutes)>,
}

/// Whether an allocation is confirmed work or tentative work on an open deal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AllocationKind {
    /// On a project.
    Confirmed,
    /// On an open deal with this win probability (0–100).
    Tentative {
        /// The deal's probability in percent.
        probability_pct: i64,
    },
}

/// Existing work for a person in a week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllocationInput {
    /// Person id (allocations of unknown people are ignored).
    pub person_id: i64,
    /// Week index (allocations outside the horizon are ignored).
    pub week: u32,
    /// Minutes allocated.
    pub minutes: Minutes,
    /// Confirmed or tentative.
    pub kind: AllocationKind,
}

/// Everything capacity depends on, for one workspace and horizon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityInput {
    /// Weeks in the horizon.
    pub horizon_weeks: u32,
    /// The people.
    pub people: Vec<PersonInput>,
    /// Their existing allocations.
    pub allocations: Vec<AllocationInput>,
    /// How tentative allocations count.
    pub tentative: TentativeMode,
    /// Skill names by id: break ties between skills that are otherwise equal.
    #[serde(default)]
    pub skill_names: Vec<(i64, String)>,
}

/// Work a deal needs of one skill, in any of the deal's weeks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemandLine {
    /// Skill id.
    pub skill: i64,
    /// Total minutes.
    pub minutes: Minutes,
}

/// A deal's demand: estimate lines over a number of weeks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Demand {
    /// Estimate lines (the same skill twice is added up).
    pub lines: Vec<DemandLine>,
    /// Length in weeks (1–104).
    pub weeks: u32,
}

/// The overall answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum CapacityVerdict {
    /// It fits with room to spare.
    Fits,
    /// It fits, but some week would not with 10 % less free capacity.
    Tight,
    /// Some skill is short in some week.
    Short,
}

/// One skill in one week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillWeek {
    /// Skill id.
    pub skill: i64,
    /// Week index.
    pub week: u32,
    /// Minutes planned this week: `staffed + shortfall`.
    pub demand: Minutes,
    /// Free minutes of everyone with the skill, less what the staffing gives them of the
    /// deal's other skills this week (so nobody counts under two skills).
    pub supply: Minutes,
    /// Minutes the staffing covers this week.
    pub staffed: Minutes,
    /// This week's share of the skill's minutes nobody covers (spread evenly over the
    /// deal's weeks, the remainder first).
    pub shortfall: Minutes,
}

/// Who would do what, when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffingLine {
    /// Person id.
    pub person_id: i64,
    /// Skill id.
    pub skill: i64,
    /// Week index.
    pub week: u32,
    /// Minutes.
    pub minutes: Minutes,
}

/// The capacity check of a demand starting in a given week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapacityReport {
    /// First week of the demand.
    pub start_week: u32,
    /// Per skill per week, skills in id order, weeks in order.
    pub cells: Vec<SkillWeek>,
    /// Fits, tight or short.
    pub verdict: CapacityVerdict,
    /// The suggested staffing (or the staffing that was evaluated).
    pub staffing: Vec<StaffingLine>,
    /// People given more than their free time in a week (only when evaluating a staffing
    /// someone edited; the suggestion never overbooks).
    #[serde(default)]
    pub overbooked: Vec<Overbooked>,
    /// Whether some placement of the team's free time covers the whole demand (a staffing
    /// someone edited may still leave hours unassigned).
    #[serde(default)]
    pub coverable: bool,
}

/// A person given more than their free time in a week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overbooked {
    /// Person id.
    pub person_id: i64,
    /// Week index.
    pub week: u32,
    /// Minutes given.
    pub given: Minutes,
    /// Minutes free.
    pub free: Minutes,
}

impl CapacityReport {
    /// Minutes nobody can cover, per skill: (skill, minutes).
    pub fn shortfall_by_skill(&self) -> Vec<(i64, Minutes)> {
        let mut out: Vec<(i64, Minutes)> = Vec::new();
        for cell in &self.cells {
            match out.iter_mut().find(|(s, _)| *s == cell.skill) {
                Some((_, m)) => *m += cell.shortfall,
                None => out.push((cell.skill, cell.shortfall)),
            }
        }
        out
    }
}

/// Minutes nobody can cover as whole hours, rounded up: half an hour short is short.
pub fn shortfall_hours(minutes: Minutes) -> i64 {
    minutes.max(0).div_euclid(60) + i64::from(minutes.max(0) % 60 != 0)
}

fn out_of_range(field: &str, reason: &str) -> DomainError {
    DomainError::OutOfRange {
        field: field.into(),
        reason: reason.into(),
    }
}

struct EnginePerson {
    id: i64,
    name: String,
    skills: Vec<i64>,
    cost_rate_minor: i64,
    bill_rate_minor: i64,
}

/// Free capacity of every person in every week of the horizon, ready for many checks
/// (the browser builds one and re-checks on every change of start or staffing).
pub struct Engine {
    horizon: u32,
    people: Vec<EnginePerson>,
    /// `free[p * horizon + w]`.
    free: Vec<Minutes>,
    /// Skill names by id.
    skill_names: Vec<(i64, String)>,
}

impl Engine {
    /// Computes free capacity: weekly capacity minus time off minus allocations (tentative
    /// ones as `input.tentative` says), never below zero.
    pub fn new(input: &CapacityInput) -> Result<Self, DomainError> {
        let horizon = input.horizon_weeks;
        if horizon == 0 || horizon > MAX_HORIZON_WEEKS {
            return Err(out_of_range("horizon_weeks", "must be between 1 and 520"));
        }
        let mut people: Vec<EnginePerson> = Vec::with_capacity(input.people.len());
        let mut free = Vec::with_capacity(input.people.len() * horizon as usize);
        let mut order: Vec<usize> = (0..input.people.len()).collect();
        order.sort_by_key(|&i| input.people[i].id);
        for &i in &order {
            let p = &input.people[i];
            if !(0..=WEEK_MINUTES).contains(&p.weekly_capacity) {
                return Err(out_of_range(
                    "weekly_capacity",
                    "must be between 0 and 168 hours",
                ));
            }
            if !(0..=MAX_RATE_MINOR).contains(&p.cost_rate_minor) {
                return Err(out_of_range(
                    "cost_rate",
                    "must be between 0 and 10,000,000,000 an hour",
                ));
            }
            if people
                .last()
                .is_some_and(|last: &EnginePerson| last.id == p.id)
            {
                return Err(out_of_range("people", "a person appears twice"));
            }
            let row = free.len();
            free.extend(std::iter::repeat_n(p.weekly_capacity, horizon as usize));
            for &(week, minutes) in &p.time_off {
                if !(0..=WEEK_MINUTES).contains(&minutes) {
                    return Err(out_of_range(
                        "time_off",
                        "must be between 0 and 168 hours a week",
                    ));
                }
                if week < horizon {
                    let cell = &mut free[row + week as usize];
                    *cell = (*cell - minutes).max(0);
                }
            }
            let mut skills = p.skills.clone();
            skills.sort_unstable();
            skills.dedup();
            if !(0..=MAX_RATE_MINOR).contains(&p.bill_rate_minor) {
                return Err(out_of_range(
                    "bill_rate",
                    "must be between 0 and 10,000,000,000 an hour",
                ));
            }
            people.push(EnginePerson {
                id: p.id,
                name: p.name.clone(),
                skills,
                cost_rate_minor: p.cost_rate_minor,
                bill_rate_minor: p.bill_rate_minor,
            });
        }
        for a in &input.allocations {
            if !(0..=WEEK_MINUTES).contains(&a.minutes) {
                return Err(out_of_range(
                    "allocation",
                    "must be between 0 and 168 hours a week",
                ));
            }
            let taken = match a.kind {
                AllocationKind::Confirmed => a.minutes,
                AllocationKind::Tentative { probability_pct } => {
                    if !(0..=100).contains(&probability_pct) {
                        return Err(out_of_range("probability", "must be between 0 and 100"));
                    }
                    match input.tentative {
                        TentativeMode::Exclude => 0,
                        TentativeMode::Full => a.minutes,
                        TentativeMode::Weighted => (a.minutes * probability_pct + 50) / 100,
                    }
                }
            };
            if a.week >= horizon {
                continue;
            }
            let Ok(p) = people.binary_search_by_key(&a.person_id, |p| p.id) else {
                continue;
            };
            let cell = &mut free[p * horizon as usize + a.week as usize];
            *cell = (*cell - taken).max(0);
        }
        let mut skill_names = input.skill_names.clone();
        skill_names.sort();
        skill_names.dedup_by_key(|(id, _)| *id);
        Ok(Self {
            horizon,
            people,
            free,
            skill_names,
        })
    }

    /// Weeks in the horizon.
    pub fn horizon_weeks(&self) -> u32 {
        self.horizon
    }

    /// A person's free minutes in a week (0 for unknown people or weeks).
    pub fn free(&self, person_id: i64, week: u32) -> Minutes {
        match self.people.binary_search_by_key(&person_id, |p| p.id) {
            Ok(p) if week < self.horizon => self.free[p * self.horizon as usize + week as usize],
            _ => 0,
        }
    }

    /// A person's hourly cost rate, if they are known.
    pub fn cost_rate(&self, person_id: i64) -> Option<i64> {
        self.people
            .binary_search_by_key(&person_id, |p| p.id)
            .ok()
            .map(|p| self.people[p].cost_rate_minor)
    }

    /// A person's hourly bill rate, if they are known.
    pub fn bill_rate(&self, person_id: i64) -> Option<i64> {
        self.people
            .binary_search_by_key(&person_id, |p| p.id)
            .ok()
            .map(|p| self.people[p].bill_rate_minor)
    }

    /// The average hourly cost rate of the people with `skill` (of everyone when nobody
    /// has it; 0 with nobody at all), rounded half up.
    pub fn average_cost_rate(&self, skill: i64) -> i64 {
        let rates: Vec<i64> = self
            .people
            .iter()
            .filter(|p| p.skills.binary_search(&skill).is_ok())
            .map(|p| p.cost_rate_minor)
            .collect();
        let rates = if rates.is_empty() {
            self.people.iter().map(|p| p.cost_rate_minor).collect()
        } else {
            rates
        };
        if rates.is_empty() {
            return 0;
        }
        let n = rates.len() as i64;
        (rates.iter().sum::<i64>() + n / 2) / n
    }

    fn prepare(&self, demand: &Demand, start_week: Option<u32>) -> Result<Prepared, DomainError> {
        if demand.weeks == 0 || demand.weeks > 104 {
            return Err(out_of_range("weeks", "must be between 1 and 104"));
        }
        if let Some(start) = start_week {
            if start
                .checked_add(demand.weeks)
                .is_none_or(|end| end > self.horizon)
            {
                return Err(out_of_range(
                    "start",
                    "the deal's weeks run past the planning horizon",
                ));
            }
        }
        let mut lines: Vec<(i64, Minutes)> = Vec::new();
        for line in &demand.lines {
            if !(0..=1_000_000_000).contains(&line.minutes) {
                return Err(out_of_range(
                    "estimate",
                    "must be between 0 and 16,666,666 hours",
                ));
            }
            match lines.iter_mut().find(|(s, _)| *s == line.skill) {
                Some((_, m)) => *m += line.minutes,
                None => lines.push((line.skill, line.minutes)),
            }
        }
        lines.sort_unstable();
        if lines.len() > MAX_DEMAND_SKILLS {
            return Err(out_of_range("estimate", "may name at most 16 skills"));
        }
        // Each person's skills among the demanded ones, as a bit mask.
        let masks = self
            .people
            .iter()
            .map(|p| {
                lines.iter().enumerate().fold(0_u32, |m, (i, (skill, _))| {
                    if p.skills.binary_search(skill).is_ok() {
                        m | (1 << i)
                    } else {
                        m
                    }
                })
            })
            .collect();
        Ok(Prepared {
            weeks: demand.weeks,
            lines,
            masks,
        })
    }

    /// Only the verdict of [`Engine::check`] — the same answer, without working out the
    /// staffing and the per-cell report (the board's badges need nothing else).
    pub fn verdict(
        &self,
        demand: &Demand,
        start_week: u32,
    ) -> Result<CapacityVerdict, DomainError> {
        let prepared = self.prepare(demand, Some(start_week))?;
        Ok(self.judge(&prepared, start_week))
    }

    /// Short when no placement covers the demand in its window; tight when one does, but
    /// none would with a tenth less free time; fits otherwise.
    fn judge(&self, prepared: &Prepared, start_week: u32) -> CapacityVerdict {
        let needs: Vec<Minutes> = prepared.lines.iter().map(|l| l.1).collect();
        if !Self::covers(
            prepared,
            &needs,
            &self.window_free(start_week, prepared.weeks, 10),
        ) {
            CapacityVerdict::Short
        } else if !Self::covers(
            prepared,
            &needs,
            &self.window_free(start_week, prepared.weeks, 9),
        ) {
            CapacityVerdict::Tight
        } else {
            CapacityVerdict::Fits
        }
    }

    /// The (person index, week) cells whose free time differs from `older`'s, when both
    /// plan over the same weeks for the same people with the same skills; `None` when
    /// they do not (anything may have changed).
    pub fn changed_cells(&self, older: &Engine) -> Option<Vec<(usize, u32)>> {
        let same_people = self.horizon == older.horizon
            && self.people.len() == older.people.len()
            && self
                .people
                .iter()
                .zip(&older.people)
                .all(|(a, b)| a.id == b.id && a.skills == b.skills);
        if !same_people {
            return None;
        }
        let h = self.horizon as usize;
        Some(
            self.free
                .iter()
                .zip(&older.free)
                .enumerate()
                .filter(|(_, (a, b))| a != b)
                .map(|(i, _)| (i / h, (i % h) as u32))
                .collect(),
        )
    }

    /// The cells (as [`Engine::changed_cells`] names them) of `person_id` in `weeks`.
    pub fn cells_of(
        &self,
        person_id: i64,
        weeks: impl IntoIterator<Item = u32>,
    ) -> Vec<(usize, u32)> {
        match self.people.binary_search_by_key(&person_id, |p| p.id) {
            Ok(p) => weeks.into_iter().map(|w| (p, w)).collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Whether the answer for `demand` from `start_week` can depend on any of `cells`: a
    /// cell of someone with one of its skills, in one of its weeks. A verdict whose demand
    /// touches none of the cells that changed is still right.
    pub fn touches(&self, demand: &Demand, start_week: u32, cells: &[(usize, u32)]) -> bool {
        let end = start_week.saturating_add(demand.weeks);
        cells.iter().any(|&(p, week)| {
            (start_week..end).contains(&week)
                && self.people.get(p).is_some_and(|person| {
                    demand
                        .lines
                        .iter()
                        .any(|line| person.skills.contains(&line.skill))
                })
        })
    }
}
