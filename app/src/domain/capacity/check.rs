//! Checking a demand against the engine: the verdict and staffing of one start week, the
//! quick evaluation of many, reserving work, and the earliest start that fits.

use super::*;

impl Engine {
    /// Checks `demand` starting in `start_week`: the verdict (hours of a skill may go in
    /// any week of the deal's window), the suggested staffing, and per skill and week what
    /// it plans, who could still take it and what nobody can cover.
    pub fn check(&self, demand: &Demand, start_week: u32) -> Result<CapacityReport, DomainError> {
        let prepared = self.prepare(demand, Some(start_week))?;
        let (staffing, covered) = self.suggest(&prepared, start_week);
        let verdict = self.judge(&prepared, start_week);
        Ok(CapacityReport {
            start_week,
            cells: self.cells(&prepared, start_week, &staffing, &covered),
            verdict,
            staffing,
            overbooked: Vec::new(),
            coverable: verdict != CapacityVerdict::Short,
        })
    }

    /// Per skill and week: the staffing's minutes, the skill's share of what nobody
    /// covers (spread evenly over the weeks, the remainder first), and the free time of the
    /// people with the skill that the staffing does not give to another of the deal's
    /// skills (so someone with two skills is not counted twice).
    fn cells(
        &self,
        prepared: &Prepared,
        start_week: u32,
        staffing: &[StaffingLine],
        covered: &[Minutes],
    ) -> Vec<SkillWeek> {
        let weeks = prepared.weeks;
        let n = prepared.lines.len();
        let at = |s: usize, k: u32| s * weeks as usize + k as usize;
        // Everyone's free time per skill and week, then less what the staffing gives
        // each person of the deal's other skills that week.
        let mut supply = vec![0 as Minutes; n * weeks as usize];
        for (p, &mask) in prepared.masks.iter().enumerate() {
            if mask == 0 {
                continue;
            }
            for k in 0..weeks {
                let free = self.free_at(p, start_week + k);
                for s in (0..n).filter(|s| mask & (1 << s) != 0) {
                    supply[at(s, k)] += free;
                }
            }
        }
        let mut staffed = vec![0 as Minutes; n * weeks as usize];
        // (person index, week offset, minutes per demanded skill)
        let mut given: Vec<(usize, u32, Vec<Minutes>)> = Vec::new();
        for line in staffing {
            let (Some(s), Ok(p)) = (
                prepared.lines.iter().position(|l| l.0 == line.skill),
                self.people.binary_search_by_key(&line.person_id, |p| p.id),
            ) else {
                continue;
            };
            let k = line.week - start_week;
            staffed[at(s, k)] += line.minutes;
            match given.iter_mut().find(|g| g.0 == p && g.1 == k) {
                Some(g) => g.2[s] += line.minutes,
                None => {
                    let mut by_skill = vec![0; n];
                    by_skill[s] = line.minutes;
                    given.push((p, k, by_skill));
                }
            }
        }
        for (p, k, by_skill) in &given {
            let free = self.free_at(*p, start_week + k);
            let all: Minutes = by_skill.iter().sum();
            for s in (0..n).filter(|s| prepared.masks[*p] & (1 << s) != 0) {
                supply[at(s, *k)] -= free.min(all - by_skill[s]);
            }
        }
        let mut cells = Vec::with_capacity(n * weeks as usize);
        for (s, &(skill, total)) in prepared.lines.iter().enumerate() {
            let open = (total - covered[s]).max(0);
            for k in 0..weeks {
                let shortfall =
                    open / i64::from(weeks) + i64::from(i64::from(k) < open % i64::from(weeks));
                let staffed = staffed[at(s, k)];
                cells.push(SkillWeek {
                    skill,
                    week: start_week + k,
                    demand: staffed + shortfall,
                    supply: supply[at(s, k)],
                    staffed,
                    shortfall,
                });
            }
        }
        cells
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
        let weeks = prepared.weeks;
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
                let free = self.free_at(p, week);
                (given > free).then_some(Overbooked {
                    person_id: self.people[p].id,
                    week,
                    given,
                    free,
                })
            })
            .collect();
        overbooked.sort_by_key(|o| (o.week, o.person_id));
        merged.sort_by_key(|l| (l.week, l.person_id, l.skill));
        let covered: Vec<Minutes> = prepared
            .lines
            .iter()
            .map(|&(skill, total)| {
                merged
                    .iter()
                    .filter(|l| l.skill == skill)
                    .map(|l| l.minutes)
                    .sum::<Minutes>()
                    .min(total)
            })
            .collect();
        let uncovered = prepared
            .lines
            .iter()
            .zip(&covered)
            .any(|(&(_, total), &c)| c < total);
        let cells = self.cells(&prepared, start_week, &merged, &covered);
        let team = self.judge(&prepared, start_week);
        let verdict = if uncovered || !overbooked.is_empty() {
            CapacityVerdict::Short
        } else {
            match team {
                CapacityVerdict::Short => CapacityVerdict::Tight,
                other => other,
            }
        };
        Ok(CapacityReport {
            start_week,
            cells,
            verdict,
            staffing: merged,
            overbooked,
            coverable: team != CapacityVerdict::Short,
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
        // Free time summed over any window: prefix sums per person.
        let h = (last + prepared.weeks) as usize;
        let mut prefix = vec![0 as Minutes; self.people.len() * (h + 1)];
        for p in 0..self.people.len() {
            for w in 0..h {
                prefix[p * (h + 1) + w + 1] = prefix[p * (h + 1) + w] + self.free_at(p, w as u32);
            }
        }
        let needs: Vec<Minutes> = prepared.lines.iter().map(|l| l.1).collect();
        let mut window = vec![0 as Minutes; self.people.len()];
        for start in 0..=last {
            let (a, b) = (start as usize, (start + prepared.weeks) as usize);
            for (p, f) in window.iter_mut().enumerate() {
                *f = prefix[p * (h + 1) + b] - prefix[p * (h + 1) + a];
            }
            if Self::covers(&prepared, &needs, &window) {
                return Ok(Some(start));
            }
        }
        Ok(None)
    }
}
