//! Capacity: does a deal's demand fit the free hours of the people with the right skills,
//! week by week — and if not, where is it short, who would do it, and when would it fit?
//!
//! Amounts are integer minutes; weeks are indices into a planning horizon (week 0 is the
//! horizon's first week). For each week the staffing is a maximum flow from the deal's
//! skills to the people who have them, so it is the best possible — adding capacity can
//! never make a verdict worse, and adding allocations can never make it better — and
//! people with the same skills are pooled, which keeps the flow tiny whatever the
//! number of people. Within a pool, work goes to the person with the most free time,
//! then the lower cost rate, then the lower id: deterministic.

use super::DomainError;
use serde::{Deserialize, Serialize};

/// Minutes of work.
pub type Minutes = i64;

/// The most minutes in a week (168 hours).
pub const WEEK_MINUTES: Minutes = 168 * 60;

/// The longest planning horizon, in weeks.
pub const MAX_HORIZON_WEEKS: u32 = 520;

/// How many weeks ahead the earliest start is looked for unless a caller says otherwise.
pub const DEFAULT_EARLIEST_START_WITHIN: u32 = 12;

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonInput {
    /// Person id.
    pub id: i64,
    /// Skill ids.
    pub skills: Vec<i64>,
    /// Weekly capacity.
    pub weekly_capacity: Minutes,
    /// Hourly cost rate, minor units.
    pub cost_rate_minor: i64,
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
}

/// Work a deal needs of one skill, spread evenly over the deal's weeks.
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
    /// Minutes the deal needs.
    pub demand: Minutes,
    /// Free minutes of everyone with the skill (people with several skills count in each).
    pub supply: Minutes,
    /// Minutes the suggested staffing covers.
    pub staffed: Minutes,
    /// Minutes nobody can cover: `demand - staffed`.
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
    skills: Vec<i64>,
    cost_rate_minor: i64,
}

/// Free capacity of every person in every week of the horizon, ready for many checks
/// (the browser builds one and re-checks on every change of start or staffing).
pub struct Engine {
    horizon: u32,
    people: Vec<EnginePerson>,
    /// `free[p * horizon + w]`.
    free: Vec<Minutes>,
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
            if !(0..=100_000_000).contains(&p.cost_rate_minor) {
                return Err(out_of_range(
                    "cost_rate",
                    "must be between 0 and 1,000,000 an hour",
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
            people.push(EnginePerson {
                id: p.id,
                skills,
                cost_rate_minor: p.cost_rate_minor,
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
        Ok(Self {
            horizon,
            people,
            free,
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

    /// Pools of people with the same demanded skills and free time in `week`:
    /// (mask, total free, members).
    fn pools(&self, prepared: &Prepared, week: u32, scale_tenths: i64) -> Vec<Pool> {
        let mut pools: Vec<Pool> = Vec::new();
        for (p, &mask) in prepared.masks.iter().enumerate() {
            if mask == 0 {
                continue;
            }
            let free = self.free[p * self.horizon as usize + week as usize] * scale_tenths / 10;
            if free <= 0 {
                continue;
            }
            match pools.iter_mut().find(|pool| pool.mask == mask) {
                Some(pool) => {
                    pool.capacity += free;
                    pool.members.push(p);
                }
                None => pools.push(Pool {
                    mask,
                    capacity: free,
                    members: vec![p],
                }),
            }
        }
        pools
    }

    /// Only the verdict of [`Engine::check`] — the same answer, without working out the
    /// staffing and the per-cell report (the board's badges need nothing else).
    pub fn verdict(
        &self,
        demand: &Demand,
        start_week: u32,
    ) -> Result<CapacityVerdict, DomainError> {
        let prepared = self.prepare(demand, Some(start_week))?;
        let mut tight = false;
        for k in 0..prepared.weeks {
            let week = start_week + k;
            let needs = prepared.slice(k);
            let flow = max_flow(&needs, &self.pools(&prepared, week, 10));
            let short = flow
                .iter()
                .zip(&needs)
                .any(|(row, need)| row.iter().sum::<Minutes>() < *need);
            if short {
                return Ok(CapacityVerdict::Short);
            }
            if !tight {
                let scaled = self.pools(&prepared, week, 9);
                tight = flow_value(&max_flow(&needs, &scaled)) < needs.iter().sum::<Minutes>();
            }
        }
        Ok(if tight {
            CapacityVerdict::Tight
        } else {
            CapacityVerdict::Fits
        })
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

    /// Checks `demand` starting in `start_week`: per skill and week demand, supply,
    /// staffing and shortfall; the verdict; the suggested staffing.
    pub fn check(&self, demand: &Demand, start_week: u32) -> Result<CapacityReport, DomainError> {
        let prepared = self.prepare(demand, Some(start_week))?;
        let n = prepared.lines.len();
        let mut cells = Vec::with_capacity(n * prepared.weeks as usize);
        let mut staffing: Vec<StaffingLine> = Vec::new();
        let mut short = false;
        let mut tight = false;
        for k in 0..prepared.weeks {
            let week = start_week + k;
            let needs = prepared.slice(k);
            let pools = self.pools(&prepared, week, 10);
            let flow = max_flow(&needs, &pools);
            let mut staffed = vec![0; n];
            let mut week_lines: Vec<StaffingLine> = Vec::new();
            let mut left: Vec<Minutes> = Vec::new();
            for (g, pool) in pools.iter().enumerate() {
                // Members by most free time, then lower cost, then id.
                let mut members = pool.members.clone();
                members.sort_by_key(|&p| {
                    (
                        -self.free[p * self.horizon as usize + week as usize],
                        self.people[p].cost_rate_minor,
                        self.people[p].id,
                    )
                });
                left.clear();
                left.extend(
                    members
                        .iter()
                        .map(|&p| self.free[p * self.horizon as usize + week as usize]),
                );
                for (s, amount) in flow.iter().enumerate().map(|(s, row)| (s, row[g])) {
                    let mut rest = amount;
                    staffed[s] += amount;
                    for (m, &p) in members.iter().enumerate() {
                        if rest == 0 {
                            break;
                        }
                        let give = rest.min(left[m]);
                        if give > 0 {
                            left[m] -= give;
                            rest -= give;
                            week_lines.push(StaffingLine {
                                person_id: self.people[p].id,
                                skill: prepared.lines[s].0,
                                week,
                                minutes: give,
                            });
                        }
                    }
                }
            }
            week_lines.sort_by_key(|l| (l.person_id, l.skill));
            staffing.extend(week_lines);
            for (s, &(skill, _)) in prepared.lines.iter().enumerate() {
                let supply = prepared
                    .masks
                    .iter()
                    .enumerate()
                    .filter(|(_, &m)| m & (1 << s) != 0)
                    .map(|(p, _)| self.free[p * self.horizon as usize + week as usize])
                    .sum();
                let shortfall = needs[s] - staffed[s];
                short |= shortfall > 0;
                cells.push(SkillWeek {
                    skill,
                    week,
                    demand: needs[s],
                    supply,
                    staffed: staffed[s],
                    shortfall,
                });
            }
            if !short && !tight {
                let scaled = self.pools(&prepared, week, 9);
                tight = flow_value(&max_flow(&needs, &scaled)) < needs.iter().sum::<Minutes>();
            }
        }
        cells.sort_by_key(|c| (c.skill, c.week));
        let verdict = if short {
            CapacityVerdict::Short
        } else if tight {
            CapacityVerdict::Tight
        } else {
            CapacityVerdict::Fits
        };
        Ok(CapacityReport {
            start_week,
            cells,
            verdict,
            staffing,
            overbooked: Vec::new(),
        })
    }

    /// Checks a given staffing of `demand` from `start_week` (the suggestion as someone
    /// edited it: a person swapped, hours changed). Each line must name a person of the
    /// team with the skill, a skill the demand needs and one of its weeks. Short when a
    /// skill is under-covered in a week or a person is given more than their free time;
    /// otherwise tight or fits exactly as [`Engine::check`] would say, so evaluating the
    /// suggestion agrees with the check.
    pub fn evaluate(
        &self,
        demand: &Demand,
        start_week: u32,
        staffing: &[StaffingLine],
    ) -> Result<CapacityReport, DomainError> {
        let prepared = self.prepare(demand, Some(start_week))?;
        let n = prepared.lines.len();
        let weeks = prepared.weeks;
        let mut covered = vec![0 as Minutes; n * weeks as usize];
        let mut merged: Vec<StaffingLine> = Vec::with_capacity(staffing.len());
        let mut load: Vec<(usize, u32, Minutes)> = Vec::new();
        for line in staffing {
            if !(0..=WEEK_MINUTES).contains(&line.minutes) {
                return Err(out_of_range(
                    "staffing",
                    "hours must be between 0 and 168 a week",
                ));
            }
            if line.week < start_week || line.week >= start_week + weeks {
                return Err(out_of_range(
                    "staffing",
                    "names a week outside the deal's weeks",
                ));
            }
            let Some(s) = prepared
                .lines
                .iter()
                .position(|(skill, _)| *skill == line.skill)
            else {
                return Err(out_of_range(
                    "staffing",
                    "names a skill the deal's estimate does not need",
                ));
            };
            let Ok(p) = self.people.binary_search_by_key(&line.person_id, |p| p.id) else {
                return Err(out_of_range(
                    "staffing",
                    "names someone who is not on the team",
                ));
            };
            if prepared.masks[p] & (1 << s) == 0 {
                return Err(out_of_range(
                    "staffing",
                    "gives someone work of a skill they do not have",
                ));
            }
            if line.minutes == 0 {
                continue;
            }
            covered[s * weeks as usize + (line.week - start_week) as usize] += line.minutes;
            match load.iter_mut().find(|(q, w, _)| *q == p && *w == line.week) {
                Some((_, _, m)) => *m += line.minutes,
                None => load.push((p, line.week, line.minutes)),
            }
            match merged
                .iter_mut()
                .find(|l| (l.person_id, l.skill, l.week) == (line.person_id, line.skill, line.week))
            {
                Some(l) => l.minutes += line.minutes,
                None => merged.push(*line),
            }
        }
        let mut overbooked: Vec<Overbooked> = load
            .iter()
            .filter_map(|&(p, week, given)| {
                let free = self.free[p * self.horizon as usize + week as usize];
                (given > free).then_some(Overbooked {
                    person_id: self.people[p].id,
                    week,
                    given,
                    free,
                })
            })
            .collect();
        overbooked.sort_by_key(|o| (o.week, o.person_id));
        let mut short = !overbooked.is_empty();
        let mut tight = false;
        let mut cells = Vec::with_capacity(n * weeks as usize);
        for k in 0..weeks {
            let week = start_week + k;
            let needs = prepared.slice(k);
            for (s, &(skill, _)) in prepared.lines.iter().enumerate() {
                let supply = prepared
                    .masks
                    .iter()
                    .enumerate()
                    .filter(|(_, &m)| m & (1 << s) != 0)
                    .map(|(p, _)| self.free[p * self.horizon as usize + week as usize])
                    .sum();
                let staffed = covered[s * weeks as usize + k as usize];
                let shortfall = (needs[s] - staffed).max(0);
                short |= shortfall > 0;
                cells.push(SkillWeek {
                    skill,
                    week,
                    demand: needs[s],
                    supply,
                    staffed,
                    shortfall,
                });
            }
            if !short && !tight {
                let scaled = self.pools(&prepared, week, 9);
                tight = flow_value(&max_flow(&needs, &scaled)) < needs.iter().sum::<Minutes>();
            }
        }
        cells.sort_by_key(|c| (c.skill, c.week));
        merged.sort_by_key(|l| (l.week, l.person_id, l.skill));
        let verdict = if short {
            CapacityVerdict::Short
        } else if tight {
            CapacityVerdict::Tight
        } else {
            CapacityVerdict::Fits
        };
        Ok(CapacityReport {
            start_week,
            cells,
            verdict,
            staffing: merged,
            overbooked,
        })
    }

    /// Takes `minutes` of `person_id`'s free time in `week` (a confirmed allocation made
    /// after the engine was built); the same as building it with that allocation.
    pub fn reserve(&mut self, person_id: i64, week: u32, minutes: Minutes) {
        if let Ok(p) = self.people.binary_search_by_key(&person_id, |p| p.id) {
            if week < self.horizon && minutes > 0 {
                let cell = &mut self.free[p * self.horizon as usize + week as usize];
                *cell = (*cell - minutes.min(WEEK_MINUTES)).max(0);
            }
        }
    }

    /// Whether `person_id` has `skill`.
    pub fn has_skill(&self, person_id: i64, skill: i64) -> bool {
        self.people
            .binary_search_by_key(&person_id, |p| p.id)
            .is_ok_and(|p| self.people[p].skills.binary_search(&skill).is_ok())
    }

    /// The earliest start week in `0..=within` at which `demand` fits (is not short), if any;
    /// start weeks whose demand would run past the horizon are not considered.
    pub fn earliest_start(&self, demand: &Demand, within: u32) -> Result<Option<u32>, DomainError> {
        let prepared = self.prepare(demand, None)?;
        let last = match self.horizon.checked_sub(prepared.weeks) {
            Some(last) => last.min(within),
            None => return Ok(None),
        };
        // Week k of the demand needs one of a few distinct slices; whether a calendar week
        // can take a slice is computed once and reused by every start that needs it.
        let slices: Vec<Vec<Minutes>> = (0..prepared.weeks).map(|k| prepared.slice(k)).collect();
        let mut distinct: Vec<&Vec<Minutes>> = Vec::new();
        let slice_class: Vec<usize> = slices
            .iter()
            .map(|s| match distinct.iter().position(|d| *d == s) {
                Some(i) => i,
                None => {
                    distinct.push(s);
                    distinct.len() - 1
                }
            })
            .collect();
        let mut memo: Vec<Option<bool>> = vec![None; (self.horizon as usize) * distinct.len()];
        let mut fits = |week: u32, class: usize| -> bool {
            let key = week as usize * distinct.len() + class;
            *memo[key].get_or_insert_with(|| {
                let needs = distinct[class];
                let pools = self.pools(&prepared, week, 10);
                flow_value(&max_flow(needs, &pools)) == needs.iter().sum::<Minutes>()
            })
        };
        for start in 0..=last {
            if (0..prepared.weeks).all(|k| fits(start + k, slice_class[k as usize])) {
                return Ok(Some(start));
            }
        }
        Ok(None)
    }
}

struct Prepared {
    weeks: u32,
    /// (skill, total minutes), by skill id.
    lines: Vec<(i64, Minutes)>,
    /// Per engine person, which of `lines` they can do.
    masks: Vec<u32>,
}

impl Prepared {
    /// What week `k` of the demand needs of each skill: an even spread, the remainder
    /// going one minute at a time to the first weeks.
    fn slice(&self, k: u32) -> Vec<Minutes> {
        let weeks = i64::from(self.weeks);
        self.lines
            .iter()
            .map(|&(_, total)| total / weeks + i64::from(i64::from(k) < total % weeks))
            .collect()
    }
}

struct Pool {
    mask: u32,
    capacity: Minutes,
    members: Vec<usize>,
}

fn flow_value(flow: &[Vec<Minutes>]) -> Minutes {
    flow.iter().flatten().sum()
}

/// Maximum flow from skills (`needs[s]`) to pools (`pools[g].capacity`), an edge wherever
/// the pool has the skill. Answers `flow[s][g]`. Dinic's algorithm on a graph of at most
/// 16 + 2^16 nodes (in practice a handful).
fn max_flow(needs: &[Minutes], pools: &[Pool]) -> Vec<Vec<Minutes>> {
    let s_count = needs.len();
    let g_count = pools.len();
    let source = 0;
    let sink = 1 + s_count + g_count;
    let mut graph = FlowGraph::new(sink + 1);
    for (s, &need) in needs.iter().enumerate() {
        if need > 0 {
            graph.add(source, 1 + s, need);
        }
    }
    let mut skill_edges = vec![Vec::new(); s_count];
    for (g, pool) in pools.iter().enumerate() {
        for (s, edges) in skill_edges.iter_mut().enumerate() {
            if pool.mask & (1 << s) != 0 && needs[s] > 0 {
                edges.push((g, graph.add(1 + s, 1 + s_count + g, Minutes::MAX / 4)));
            }
        }
        graph.add(1 + s_count + g, sink, pool.capacity);
    }
    graph.run(source, sink);
    let mut flow = vec![vec![0; g_count]; s_count];
    for (s, edges) in skill_edges.iter().enumerate() {
        for &(g, e) in edges {
            flow[s][g] = graph.flow_on(e);
        }
    }
    flow
}

struct FlowGraph {
    /// (to, capacity left, original capacity)
    edges: Vec<(usize, Minutes, Minutes)>,
    adjacency: Vec<Vec<usize>>,
}

impl FlowGraph {
    fn new(nodes: usize) -> Self {
        Self {
            edges: Vec::new(),
            adjacency: vec![Vec::new(); nodes],
        }
    }

    fn add(&mut self, from: usize, to: usize, capacity: Minutes) -> usize {
        let id = self.edges.len();
        self.edges.push((to, capacity, capacity));
        self.adjacency[from].push(id);
        self.edges.push((from, 0, 0));
        self.adjacency[to].push(id + 1);
        id
    }

    fn flow_on(&self, edge: usize) -> Minutes {
        self.edges[edge].2 - self.edges[edge].1
    }

    fn run(&mut self, source: usize, sink: usize) {
        let n = self.adjacency.len();
        let mut level = vec![-1_i32; n];
        let mut next = vec![0_usize; n];
        loop {
            level.iter_mut().for_each(|l| *l = -1);
            level[source] = 0;
            let mut queue = std::collections::VecDeque::from([source]);
            while let Some(v) = queue.pop_front() {
                for &e in &self.adjacency[v] {
                    let (to, cap, _) = self.edges[e];
                    if cap > 0 && level[to] < 0 {
                        level[to] = level[v] + 1;
                        queue.push_back(to);
                    }
                }
            }
            if level[sink] < 0 {
                return;
            }
            next.iter_mut().for_each(|i| *i = 0);
            while self.push(source, sink, Minutes::MAX, &level, &mut next) > 0 {}
        }
    }

    fn push(
        &mut self,
        v: usize,
        sink: usize,
        limit: Minutes,
        level: &[i32],
        next: &mut [usize],
    ) -> Minutes {
        if v == sink {
            return limit;
        }
        while next[v] < self.adjacency[v].len() {
            let e = self.adjacency[v][next[v]];
            let (to, cap, _) = self.edges[e];
            if cap > 0 && level[to] == level[v] + 1 {
                let pushed = self.push(to, sink, limit.min(cap), level, next);
                if pushed > 0 {
                    self.edges[e].1 -= pushed;
                    self.edges[e ^ 1].1 += pushed;
                    return pushed;
                }
            }
            next[v] += 1;
        }
        0
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_shortfall_is_counted_in_whole_hours_rounded_up() {
        assert_eq!(shortfall_hours(0), 0);
        assert_eq!(shortfall_hours(-30), 0);
        assert_eq!(shortfall_hours(1), 1);
        assert_eq!(shortfall_hours(30), 1);
        assert_eq!(shortfall_hours(60), 1);
        assert_eq!(shortfall_hours(61), 2);
        assert_eq!(shortfall_hours(2_400), 40);
    }

    use super::*;
    use proptest::prelude::*;

    const H: Minutes = 60;

    fn person(id: i64, skills: &[i64], hours: i64, cost: i64) -> PersonInput {
        PersonInput {
            id,
            skills: skills.to_vec(),
            weekly_capacity: hours * H,
            cost_rate_minor: cost,
            time_off: Vec::new(),
        }
    }

    fn input(people: Vec<PersonInput>, allocations: Vec<AllocationInput>) -> CapacityInput {
        CapacityInput {
            horizon_weeks: 12,
            people,
            allocations,
            tentative: TentativeMode::Weighted,
        }
    }

    fn demand(lines: &[(i64, i64)], weeks: u32) -> Demand {
        Demand {
            lines: lines
                .iter()
                .map(|&(skill, hours)| DemandLine {
                    skill,
                    minutes: hours * H,
                })
                .collect(),
            weeks,
        }
    }

    const DESIGN: i64 = 1;
    const BACKEND: i64 = 2;

    #[test]
    fn two_designers_cover_a_design_demand_cheapest_first_on_a_tie() {
        let engine = Engine::new(&input(
            vec![
                person(10, &[DESIGN], 40, 6_000),
                person(11, &[DESIGN], 40, 5_000),
            ],
            vec![],
        ))
        .unwrap();
        let report = engine.check(&demand(&[(DESIGN, 96)], 2), 0).unwrap();
        assert_eq!(report.verdict, CapacityVerdict::Fits);
        let week0: Vec<_> = report.staffing.iter().filter(|l| l.week == 0).collect();
        // Both have 40 h free: the cheaper (11) first, then 8 h from 10.
        assert_eq!(week0.len(), 2);
        assert_eq!((week0[1].person_id, week0[1].minutes), (11, 40 * H));
        assert_eq!((week0[0].person_id, week0[0].minutes), (10, 8 * H));
        let cell = report.cells[0];
        assert_eq!(
            (cell.demand, cell.supply, cell.staffed, cell.shortfall),
            (48 * H, 80 * H, 48 * H, 0)
        );
    }

    #[test]
    fn more_work_than_people_is_short_by_the_difference() {
        let engine = Engine::new(&input(vec![person(1, &[BACKEND], 40, 5_000)], vec![])).unwrap();
        let report = engine.check(&demand(&[(BACKEND, 60)], 1), 3).unwrap();
        assert_eq!(report.verdict, CapacityVerdict::Short);
        assert_eq!(report.cells[0].week, 3);
        assert_eq!(
            (report.cells[0].staffed, report.cells[0].shortfall),
            (40 * H, 20 * H)
        );
        assert_eq!(report.shortfall_by_skill(), vec![(BACKEND, 20 * H)]);
    }

    #[test]
    fn less_than_ten_percent_slack_is_tight() {
        let engine = Engine::new(&input(vec![person(1, &[BACKEND], 40, 5_000)], vec![])).unwrap();
        assert_eq!(
            engine
                .check(&demand(&[(BACKEND, 38)], 1), 0)
                .unwrap()
                .verdict,
            CapacityVerdict::Tight
        );
        assert_eq!(
            engine
                .check(&demand(&[(BACKEND, 36)], 1), 0)
                .unwrap()
                .verdict,
            CapacityVerdict::Fits
        );
    }

    #[test]
    fn time_off_and_allocations_take_capacity_as_the_mode_says() {
        let mut p = person(1, &[BACKEND], 40, 5_000);
        p.time_off = vec![(0, 8 * H)];
        let allocations = vec![
            AllocationInput {
                person_id: 1,
                week: 0,
                minutes: 16 * H,
                kind: AllocationKind::Confirmed,
            },
            AllocationInput {
                person_id: 1,
                week: 0,
                minutes: 20 * H,
                kind: AllocationKind::Tentative {
                    probability_pct: 50,
                },
            },
            AllocationInput {
                person_id: 99,
                week: 0,
                minutes: 40 * H,
                kind: AllocationKind::Confirmed,
            },
            AllocationInput {
                person_id: 1,
                week: 40,
                minutes: 40 * H,
                kind: AllocationKind::Confirmed,
            },
        ];
        let free_with = |mode| {
            let mut i = input(vec![p.clone()], allocations.clone());
            i.tentative = mode;
            Engine::new(&i).unwrap().free(1, 0)
        };
        assert_eq!(free_with(TentativeMode::Exclude), 16 * H);
        assert_eq!(free_with(TentativeMode::Weighted), 6 * H);
        assert_eq!(free_with(TentativeMode::Full), 0);
        assert_eq!(
            Engine::new(&input(vec![p.clone()], allocations))
                .unwrap()
                .free(1, 1),
            40 * H
        );
    }

    #[test]
    fn a_person_with_two_skills_goes_where_only_they_can_help() {
        // A can do X and Y, B only X. Greedy "most free first" would give X to A and leave Y
        // short; the flow gives X to B and Y to A.
        let engine = Engine::new(&input(
            vec![person(1, &[1, 2], 10, 5_000), person(2, &[1], 10, 5_000)],
            vec![],
        ))
        .unwrap();
        let report = engine.check(&demand(&[(1, 10), (2, 5)], 1), 0).unwrap();
        assert_ne!(report.verdict, CapacityVerdict::Short);
        assert!(report.staffing.contains(&StaffingLine {
            person_id: 1,
            skill: 2,
            week: 0,
            minutes: 5 * H,
        }));
        let b_on_x: Minutes = report
            .staffing
            .iter()
            .filter(|l| l.person_id == 2)
            .map(|l| l.minutes)
            .sum();
        assert!(b_on_x >= 5 * H);
    }

    #[test]
    fn the_earliest_start_skips_a_holiday() {
        let mut p = person(1, &[DESIGN], 40, 5_000);
        p.time_off = vec![(0, 40 * H), (1, 40 * H), (4, 20 * H)];
        let engine = Engine::new(&input(vec![p], vec![])).unwrap();
        // Two weeks of 30 h: weeks 0-1 are off, week 4 has 20 h.
        let d = demand(&[(DESIGN, 60)], 2);
        assert_eq!(engine.earliest_start(&d, 12).unwrap(), Some(2));
        assert_eq!(engine.earliest_start(&d, 1).unwrap(), None);
        // 40 h a week never fits in week 4: starts 2 and 5 (weeks 2-3, 5-6) do.
        let d = demand(&[(DESIGN, 80)], 2);
        assert_eq!(engine.earliest_start(&d, 12).unwrap(), Some(2));
        assert_eq!(engine.check(&d, 3).unwrap().verdict, CapacityVerdict::Short);
    }

    #[test]
    fn an_edited_staffing_is_checked_as_given() {
        let engine = Engine::new(&input(
            vec![
                person(1, &[DESIGN], 40, 5_000),
                person(2, &[DESIGN], 40, 6_000),
                person(3, &[BACKEND], 40, 7_000),
            ],
            vec![],
        ))
        .unwrap();
        let d = demand(&[(DESIGN, 60)], 2);
        let line = |person_id, skill, week, hours: i64| StaffingLine {
            person_id,
            skill,
            week,
            minutes: hours * H,
        };
        // Swapped to person 2 and split: covers it.
        let ok = engine
            .evaluate(
                &d,
                0,
                &[
                    line(2, DESIGN, 0, 30),
                    line(2, DESIGN, 1, 20),
                    line(1, DESIGN, 1, 10),
                ],
            )
            .unwrap();
        assert_eq!(ok.verdict, CapacityVerdict::Fits);
        assert_eq!(ok.cells.iter().map(|c| c.staffed).sum::<Minutes>(), 60 * H);
        // Ten hours short in week 1.
        let short = engine
            .evaluate(&d, 0, &[line(2, DESIGN, 0, 30), line(2, DESIGN, 1, 20)])
            .unwrap();
        assert_eq!(short.verdict, CapacityVerdict::Short);
        assert_eq!(short.shortfall_by_skill(), vec![(DESIGN, 10 * H)]);
        // More than a person's free time: overbooked, so short.
        let over = engine
            .evaluate(&d, 0, &[line(1, DESIGN, 0, 50), line(2, DESIGN, 1, 30)])
            .unwrap();
        assert_eq!(over.verdict, CapacityVerdict::Short);
        assert_eq!(
            over.overbooked,
            vec![Overbooked {
                person_id: 1,
                week: 0,
                given: 50 * H,
                free: 40 * H
            }]
        );
        // Lines that cannot be: each a staffing error.
        for bad in [
            line(3, DESIGN, 0, 10),  // no such skill
            line(9, DESIGN, 0, 10),  // not on the team
            line(1, BACKEND, 0, 10), // not in the estimate
            line(1, DESIGN, 2, 10),  // past the deal's weeks
            line(1, DESIGN, 0, 169), // more than a week
            line(1, DESIGN, 0, -1),
        ] {
            match engine.evaluate(&d, 0, &[bad]) {
                Err(DomainError::OutOfRange { field, .. }) => assert_eq!(field, "staffing"),
                other => panic!("{bad:?} accepted: {other:?}"),
            }
        }
    }

    #[test]
    fn demand_is_spread_evenly_with_the_remainder_first() {
        let engine = Engine::new(&input(vec![person(1, &[DESIGN], 40, 5_000)], vec![])).unwrap();
        let d = Demand {
            lines: vec![DemandLine {
                skill: DESIGN,
                minutes: 100,
            }],
            weeks: 3,
        };
        let demands: Vec<Minutes> = engine
            .check(&d, 0)
            .unwrap()
            .cells
            .iter()
            .map(|c| c.demand)
            .collect();
        assert_eq!(demands, [34, 33, 33]);
    }

    #[test]
    fn bad_input_is_an_error_naming_the_field() {
        let bad = |f: &dyn Fn(&mut CapacityInput)| {
            let mut i = input(vec![person(1, &[DESIGN], 40, 5_000)], vec![]);
            f(&mut i);
            match Engine::new(&i) {
                Err(DomainError::OutOfRange { field, .. }) => field,
                other => panic!("accepted: {:?}", other.map(|_| ())),
            }
        };
        assert_eq!(bad(&|i| i.horizon_weeks = 0), "horizon_weeks");
        assert_eq!(
            bad(&|i| i.people[0].weekly_capacity = -1),
            "weekly_capacity"
        );
        assert_eq!(
            bad(&|i| i.people[0].weekly_capacity = WEEK_MINUTES + 1),
            "weekly_capacity"
        );
        assert_eq!(bad(&|i| i.people.push(person(1, &[], 1, 1))), "people");
        let engine = Engine::new(&input(vec![person(1, &[DESIGN], 40, 5_000)], vec![])).unwrap();
        assert!(
            engine.check(&demand(&[(DESIGN, 1)], 4), 10).is_err(),
            "runs past the horizon"
        );
        assert!(engine.check(&demand(&[(DESIGN, 1)], 0), 0).is_err());
        assert!(engine.check(&demand(&[(DESIGN, -1)], 1), 0).is_err());
    }

    #[test]
    fn margin_counts_staffed_and_unstaffed_cost() {
        use crate::domain::margin::{margin, MarginVerdict};
        // One backend dev at 50.00/h, 40 h free; a second at 70.00/h with another skill.
        let engine = Engine::new(&input(
            vec![
                person(1, &[BACKEND], 40, 5_000),
                person(2, &[BACKEND, DESIGN], 0, 7_000),
            ],
            vec![],
        ))
        .unwrap();
        let report = engine.check(&demand(&[(BACKEND, 50)], 1), 0).unwrap();
        // 40 h staffed at 50.00 = 2,000.00; 10 h unstaffed at the average (60.00) = 600.00.
        let m = margin(&engine, &report, 400_000, 3_500, 1_500).unwrap();
        assert_eq!((m.cost_minor, m.unstaffed_cost_minor), (260_000, 60_000));
        assert_eq!(m.margin_bp, Some(3_500));
        assert_eq!(m.verdict, MarginVerdict::Pass);
    }

    // ---------- properties ----------

    #[derive(Debug, Clone)]
    struct World {
        input: CapacityInput,
        demand: Demand,
        start: u32,
    }

    fn world() -> impl Strategy<Value = World> {
        let person = (
            prop::collection::vec(0_i64..4, 1..3),
            0_i64..=48,
            1_i64..100,
            prop::collection::vec((0_u32..10, 0_i64..=40), 0..3),
        );
        let allocation = (
            0_i64..6,
            0_u32..10,
            0_i64..=40,
            prop::option::of(0_i64..=100),
        );
        (
            prop::collection::vec(person, 0..6),
            prop::collection::vec(allocation, 0..12),
            prop::collection::vec((0_i64..4, 0_i64..=120), 1..4),
            1_u32..=4,
            0_u32..=6,
            prop::sample::select(vec![
                TentativeMode::Exclude,
                TentativeMode::Full,
                TentativeMode::Weighted,
            ]),
        )
            .prop_map(
                |(people, allocations, lines, weeks, start, tentative)| World {
                    input: CapacityInput {
                        horizon_weeks: 10,
                        people: people
                            .into_iter()
                            .enumerate()
                            .map(|(i, (skills, hours, cost, off))| PersonInput {
                                id: i as i64,
                                skills,
                                weekly_capacity: hours * H,
                                cost_rate_minor: cost * 100,
                                time_off: off.into_iter().map(|(w, h)| (w, h * H)).collect(),
                            })
                            .collect(),
                        allocations: allocations
                            .into_iter()
                            .map(|(p, week, hours, pct)| AllocationInput {
                                person_id: p,
                                week,
                                minutes: hours * H,
                                kind: match pct {
                                    None => AllocationKind::Confirmed,
                                    Some(probability_pct) => {
                                        AllocationKind::Tentative { probability_pct }
                                    }
                                },
                            })
                            .collect(),
                        tentative,
                    },
                    demand: Demand {
                        lines: lines
                            .into_iter()
                            .map(|(skill, hours)| DemandLine {
                                skill,
                                minutes: hours * H + hours,
                            })
                            .collect(),
                        weeks,
                    },
                    start: start.min(10 - weeks),
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn staffing_never_exceeds_anyones_free_capacity(w in world()) {
            let engine = Engine::new(&w.input).unwrap();
            let report = engine.check(&w.demand, w.start).unwrap();
            let mut used: Vec<((i64, u32), Minutes)> = Vec::new();
            for line in &report.staffing {
                prop_assert!(line.minutes > 0);
                match used.iter_mut().find(|(k, _)| *k == (line.person_id, line.week)) {
                    Some((_, m)) => *m += line.minutes,
                    None => used.push(((line.person_id, line.week), line.minutes)),
                }
            }
            for ((person, week), minutes) in used {
                prop_assert!(minutes <= engine.free(person, week), "person {person} week {week}");
            }
        }

        #[test]
        fn staffed_plus_shortfall_is_the_demand(w in world()) {
            let engine = Engine::new(&w.input).unwrap();
            let report = engine.check(&w.demand, w.start).unwrap();
            for cell in &report.cells {
                prop_assert_eq!(cell.staffed + cell.shortfall, cell.demand);
                prop_assert!(cell.staffed >= 0 && cell.shortfall >= 0);
                let lines: Minutes = report.staffing.iter().filter(|l| l.skill == cell.skill && l.week == cell.week).map(|l| l.minutes).sum();
                prop_assert_eq!(lines, cell.staffed);
            }
            let total: Minutes = w.demand.lines.iter().map(|l| l.minutes).sum();
            prop_assert_eq!(report.cells.iter().map(|c| c.demand).sum::<Minutes>(), total);
        }

        #[test]
        fn the_verdict_alone_is_the_checks_verdict(w in world()) {
            let engine = Engine::new(&w.input).unwrap();
            prop_assert_eq!(
                engine.verdict(&w.demand, w.start).unwrap(),
                engine.check(&w.demand, w.start).unwrap().verdict
            );
        }

        #[test]
        fn a_verdict_untouched_by_the_changed_cells_stays_right(w in world(), who in 0_i64..6, week in 0_u32..10, hours in 1_i64..=40) {
            let before = Engine::new(&w.input).unwrap();
            let mut busier = w.input.clone();
            busier.allocations.push(AllocationInput { person_id: who, week, minutes: hours * H, kind: AllocationKind::Confirmed });
            let after = Engine::new(&busier).unwrap();
            let cells = after.changed_cells(&before).expect("the same people");
            if !after.touches(&w.demand, w.start, &cells) {
                prop_assert_eq!(
                    after.verdict(&w.demand, w.start).unwrap(),
                    before.verdict(&w.demand, w.start).unwrap()
                );
            }
        }

        #[test]
        fn short_exactly_when_some_shortfall_is_positive(w in world()) {
            let report = Engine::new(&w.input).unwrap().check(&w.demand, w.start).unwrap();
            let any_short = report.cells.iter().any(|c| c.shortfall > 0);
            prop_assert_eq!(report.verdict == CapacityVerdict::Short, any_short);
        }

        #[test]
        fn more_capacity_never_makes_the_verdict_worse(w in world(), who in 0_usize..6, extra in 1_i64..=40) {
            prop_assume!(!w.input.people.is_empty());
            let before = Engine::new(&w.input).unwrap().check(&w.demand, w.start).unwrap().verdict;
            let mut more = w.input.clone();
            let i = who % more.people.len();
            more.people[i].weekly_capacity = (more.people[i].weekly_capacity + extra * H).min(WEEK_MINUTES);
            let after = Engine::new(&more).unwrap().check(&w.demand, w.start).unwrap().verdict;
            prop_assert!(after <= before, "{:?} -> {:?}", before, after);
        }

        #[test]
        fn more_allocations_never_make_the_verdict_better(w in world(), who in 0_i64..6, week in 0_u32..10, hours in 1_i64..=40) {
            let before = Engine::new(&w.input).unwrap().check(&w.demand, w.start).unwrap().verdict;
            let mut busier = w.input.clone();
            busier.allocations.push(AllocationInput { person_id: who, week, minutes: hours * H, kind: AllocationKind::Confirmed });
            let after = Engine::new(&busier).unwrap().check(&w.demand, w.start).unwrap().verdict;
            prop_assert!(after >= before, "{:?} -> {:?}", before, after);
        }

        #[test]
        fn reserving_is_building_with_the_allocation(w in world(), who in 0_i64..6, week in 0_u32..10, hours in 0_i64..=60) {
            let mut reserved = Engine::new(&w.input).unwrap();
            reserved.reserve(who, week, hours * H);
            let mut with = w.input.clone();
            with.allocations.push(AllocationInput { person_id: who, week, minutes: hours * H, kind: AllocationKind::Confirmed });
            let built = Engine::new(&with).unwrap();
            for p in 0..6 {
                for k in 0..10 {
                    prop_assert_eq!(reserved.free(p, k), built.free(p, k));
                }
            }
            prop_assert_eq!(
                reserved.check(&w.demand, w.start).unwrap(),
                built.check(&w.demand, w.start).unwrap()
            );
        }

        #[test]
        fn evaluating_the_suggestion_agrees_with_the_check(w in world()) {
            let engine = Engine::new(&w.input).unwrap();
            let check = engine.check(&w.demand, w.start).unwrap();
            let again = engine.evaluate(&w.demand, w.start, &check.staffing).unwrap();
            prop_assert_eq!(again.verdict, check.verdict);
            prop_assert_eq!(&again.cells, &check.cells);
            prop_assert!(again.overbooked.is_empty());
        }

        #[test]
        fn taking_hours_away_from_a_staffing_never_improves_it(w in world(), drop in 0_usize..64, less in 1_i64..=600) {
            let engine = Engine::new(&w.input).unwrap();
            let check = engine.check(&w.demand, w.start).unwrap();
            prop_assume!(!check.staffing.is_empty());
            let mut edited = check.staffing.clone();
            let i = drop % edited.len();
            edited[i].minutes = (edited[i].minutes - less).max(0);
            let after = engine.evaluate(&w.demand, w.start, &edited).unwrap();
            prop_assert!(after.verdict >= check.verdict);
            for cell in &after.cells {
                prop_assert_eq!(cell.shortfall, (cell.demand - cell.staffed).max(0));
            }
        }

        #[test]
        fn the_earliest_start_is_what_brute_force_finds(w in world(), within in 0_u32..12) {
            let engine = Engine::new(&w.input).unwrap();
            let brute = (0..=within)
                .take_while(|s| s + w.demand.weeks <= 10)
                .find(|&s| engine.check(&w.demand, s).unwrap().verdict != CapacityVerdict::Short);
            prop_assert_eq!(engine.earliest_start(&w.demand, within).unwrap(), brute);
        }

        #[test]
        fn no_input_panics(
            horizon in 0_u32..600,
            people in prop::collection::vec((any::<i64>(), prop::collection::vec(any::<i64>(), 0..3), any::<i64>(), any::<i64>(), prop::collection::vec((any::<u32>(), any::<i64>()), 0..2)), 0..4),
            allocations in prop::collection::vec((any::<i64>(), any::<u32>(), any::<i64>(), prop::option::of(any::<i64>())), 0..4),
            lines in prop::collection::vec((any::<i64>(), any::<i64>()), 0..20),
            weeks in any::<u32>(),
            start in any::<u32>(),
            value in any::<i64>(),
            target in any::<i64>(),
            floor in any::<i64>(),
        ) {
            let input = CapacityInput {
                horizon_weeks: horizon,
                people: people.into_iter().map(|(id, skills, cap, cost, off)| PersonInput { id, skills, weekly_capacity: cap, cost_rate_minor: cost, time_off: off }).collect(),
                allocations: allocations.into_iter().map(|(person_id, week, minutes, pct)| AllocationInput {
                    person_id, week, minutes,
                    kind: pct.map_or(AllocationKind::Confirmed, |probability_pct| AllocationKind::Tentative { probability_pct }),
                }).collect(),
                tentative: TentativeMode::Weighted,
            };
            let demand = Demand { lines: lines.into_iter().map(|(skill, minutes)| DemandLine { skill, minutes }).collect(), weeks };
            if let Ok(engine) = Engine::new(&input) {
                if let Ok(report) = engine.check(&demand, start) {
                    let _ = crate::domain::margin::margin(&engine, &report, value, target, floor);
                }
                let _ = engine.earliest_start(&demand, start);
            }
        }
    }
}
