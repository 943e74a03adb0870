//! Checking a demand against the engine: the verdict and staffing of one start week, the
//! quick evaluation of many, reserving work, and the earliest start that fits.

use super::*;

impl Engine {
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
