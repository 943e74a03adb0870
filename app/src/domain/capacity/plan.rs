//! The suggested staffing of a demand over its window of weeks, planned the way a project
//! manager plans (see the module docs of [`super`] for the objective).
//!
//! 1. **Coverage.** Hours of a skill may go in any week of the window, so what the team can
//!    cover is a maximum flow from the skills (their total hours) to pools of people with the
//!    same skills (their free time summed over the window). When not everything can be
//!    covered, the skills whose hours cost most to buy in (highest average cost rate) are
//!    covered first; the coverages form a polymatroid, so covering them greedily in that
//!    order still covers as much as possible in total.
//! 2. **People.** Skills are staffed scarcest first (most hours needed per free hour of the
//!    people who have the skill). For each, people are taken one at a time: the first who
//!    can take all that is left without leaving another skill uncovered (checked by the
//!    same flow), else whoever can take the most — people in order of most free time in the
//!    window, then lower cost rate, then name (alphabetical, ignoring case; the id only
//!    between namesakes). Greedy, not an exact minimum: it finds one person per skill
//!    whenever one person can do it.
//! 3. **Weeks.** Each person's hours of a skill are spread over the window at an even pace
//!    in half-hour steps, capped by their free time each week (working ahead of a holiday),
//!    extra half hours going to the earliest weeks; any odd minutes go in one slice.

use super::flow::{flow_value, max_flow, Pool, Prepared};
use super::{Engine, Minutes, StaffingLine};

/// A half hour.
const STEP: Minutes = 30;

impl Engine {
    /// Free minutes of engine person `p` in week `week`.
    pub(super) fn free_at(&self, p: usize, week: u32) -> Minutes {
        self.free[p * self.horizon as usize + week as usize]
    }

    /// Each engine person's free minutes summed over weeks `start..start + weeks`, scaled
    /// by `scale_tenths` / 10 week by week.
    pub(super) fn window_free(&self, start: u32, weeks: u32, scale_tenths: i64) -> Vec<Minutes> {
        (0..self.people.len())
            .map(|p| {
                (start..start + weeks)
                    .map(|w| self.free_at(p, w) * scale_tenths / 10)
                    .sum()
            })
            .collect()
    }

    /// The most of `needs` (per demanded skill) that people with `free` (per engine person,
    /// over the window) can cover, per skill.
    pub(super) fn coverage(
        prepared: &Prepared,
        needs: &[Minutes],
        free: &[Minutes],
    ) -> Vec<Minutes> {
        let pools = window_pools(prepared, free);
        max_flow(needs, &pools)
            .iter()
            .map(|row| row.iter().sum())
            .collect()
    }

    /// Whether people with `free` can cover all of `needs`.
    pub(super) fn covers(prepared: &Prepared, needs: &[Minutes], free: &[Minutes]) -> bool {
        let total: Minutes = needs.iter().sum();
        total == 0 || flow_value(&max_flow(needs, &window_pools(prepared, free))) == total
    }

    /// The suggested staffing of `prepared` from `start`: lines by week, then person, then
    /// skill; and the minutes covered per demanded skill.
    pub(super) fn suggest(
        &self,
        prepared: &Prepared,
        start: u32,
    ) -> (Vec<StaffingLine>, Vec<Minutes>) {
        let n = prepared.lines.len();
        let weeks = prepared.weeks;
        let totals: Vec<Minutes> = prepared.lines.iter().map(|l| l.1).collect();
        let mut left = self.window_free(start, weeks, 10);

        // 1. How much of each skill to cover.
        let mut targets = totals.clone();
        if !Self::covers(prepared, &totals, &left) {
            let mut order: Vec<usize> = (0..n).collect();
            order.sort_by(|&a, &b| {
                let rate = |s: usize| self.average_cost_rate(prepared.lines[s].0);
                rate(b)
                    .cmp(&rate(a))
                    .then_with(|| {
                        by_name(
                            self.skill_name(prepared.lines[a].0),
                            self.skill_name(prepared.lines[b].0),
                        )
                    })
                    .then(prepared.lines[a].0.cmp(&prepared.lines[b].0))
            });
            let mut needs = vec![0; n];
            let mut before = 0;
            for &s in &order {
                needs[s] = totals[s];
                let after: Minutes = Self::coverage(prepared, &needs, &left).iter().sum();
                targets[s] = after - before;
                needs[s] = targets[s];
                before = after;
            }
        }

        // 2. Who does each skill, scarcest skill first.
        let supply = |s: usize, left: &[Minutes]| -> Minutes {
            prepared
                .masks
                .iter()
                .zip(left)
                .filter(|(m, _)| *m & (1 << s) != 0)
                .map(|(_, f)| *f)
                .sum()
        };
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| {
            // a scarcer than b: targets[a] / supply[a] > targets[b] / supply[b].
            let (sa, sb) = (supply(a, &left).max(1), supply(b, &left).max(1));
            (i128::from(targets[b]) * i128::from(sa))
                .cmp(&(i128::from(targets[a]) * i128::from(sb)))
                .then_with(|| {
                    by_name(
                        self.skill_name(prepared.lines[a].0),
                        self.skill_name(prepared.lines[b].0),
                    )
                })
                .then(prepared.lines[a].0.cmp(&prepared.lines[b].0))
        });
        let mut remaining = targets.clone();
        // Pools of people with the same demanded skills, their free time in the window kept
        // up to date as people are given work, so each "would the rest still be covered?"
        // is one flow over a handful of pools.
        let mut pool_masks: Vec<u32> = Vec::new();
        let mut pool_of: Vec<usize> = vec![usize::MAX; self.people.len()];
        for (p, &mask) in prepared.masks.iter().enumerate() {
            if mask == 0 {
                continue;
            }
            pool_of[p] = match pool_masks.iter().position(|&m| m == mask) {
                Some(g) => g,
                None => {
                    pool_masks.push(mask);
                    pool_masks.len() - 1
                }
            };
        }
        let mut caps = vec![0 as Minutes; pool_masks.len()];
        for (p, &g) in pool_of.iter().enumerate() {
            if g != usize::MAX {
                caps[g] += left[p];
            }
        }
        let covered_by = |needs: &[Minutes], caps: &[Minutes]| -> bool {
            let total: Minutes = needs.iter().sum();
            let pools: Vec<Pool> = pool_masks
                .iter()
                .zip(caps)
                .map(|(&mask, &capacity)| Pool { mask, capacity })
                .collect();
            total == 0 || flow_value(&max_flow(needs, &pools)) == total
        };
        // Whether `p` taking `take` of skill `s` leaves the rest coverable.
        let fits =
            |p: usize, s: usize, take: Minutes, caps: &mut [Minutes], remaining: &mut [Minutes]| {
                caps[pool_of[p]] -= take;
                remaining[s] -= take;
                let ok = covered_by(remaining, caps);
                caps[pool_of[p]] += take;
                remaining[s] += take;
                ok
            };
        // (person, skill index, minutes) in the order given.
        let mut given: Vec<(usize, usize, Minutes)> = Vec::new();
        for &s in &order {
            while remaining[s] > 0 {
                let mut candidates: Vec<usize> = (0..self.people.len())
                    .filter(|&p| prepared.masks[p] & (1 << s) != 0 && left[p] > 0)
                    .collect();
                candidates.sort_by(|&a, &b| {
                    left[b]
                        .cmp(&left[a])
                        .then(
                            self.people[a]
                                .cost_rate_minor
                                .cmp(&self.people[b].cost_rate_minor),
                        )
                        .then_with(|| by_name(&self.people[a].name, &self.people[b].name))
                        .then(self.people[a].id.cmp(&self.people[b].id))
                });
                // The first who can take all that is left; else whoever can take the most.
                let whole = candidates.iter().copied().find(|&p| {
                    left[p] >= remaining[s] && fits(p, s, remaining[s], &mut caps, &mut remaining)
                });
                let (p, take) = match whole {
                    Some(p) => (p, remaining[s]),
                    None => {
                        let mut best: Option<(usize, Minutes)> = None;
                        for &p in &candidates {
                            let bound = left[p].min(remaining[s]);
                            if best.is_some_and(|(_, t)| bound <= t) {
                                break;
                            }
                            // The most they can take: feasibility only grows as the take
                            // shrinks (they could cover the difference themselves).
                            let (mut lo, mut hi) = (0, bound);
                            while lo < hi {
                                let mid = lo + (hi - lo + 1) / 2;
                                if fits(p, s, mid, &mut caps, &mut remaining) {
                                    lo = mid;
                                } else {
                                    hi = mid - 1;
                                }
                            }
                            if lo > best.map_or(0, |(_, t)| t) {
                                best = Some((p, lo));
                            }
                        }
                        match best {
                            Some(b) => b,
                            None => break,
                        }
                    }
                };
                left[p] -= take;
                caps[pool_of[p]] -= take;
                remaining[s] -= take;
                given.push((p, s, take));
            }
        }

        // 3. When: each person's skills spread over the window in turn.
        let mut lines: Vec<StaffingLine> = Vec::new();
        let mut week_free: Vec<Minutes> = Vec::with_capacity(weeks as usize);
        let mut people: Vec<usize> = given.iter().map(|g| g.0).collect();
        people.sort_unstable();
        people.dedup();
        for p in people {
            week_free.clear();
            week_free.extend((start..start + weeks).map(|w| self.free_at(p, w)));
            for &(_, s, minutes) in given.iter().filter(|g| g.0 == p) {
                for (k, m) in spread(minutes, &week_free).into_iter().enumerate() {
                    if m > 0 {
                        week_free[k] -= m;
                        lines.push(StaffingLine {
                            person_id: self.people[p].id,
                            skill: prepared.lines[s].0,
                            week: start + k as u32,
                            minutes: m,
                        });
                    }
                }
            }
        }
        lines.sort_by_key(|l| (l.week, l.person_id, l.skill));
        let covered = targets.iter().zip(&remaining).map(|(t, r)| t - r).collect();
        (lines, covered)
    }

    /// A skill's name for tie-breaks ("" when unknown).
    fn skill_name(&self, skill: i64) -> &str {
        self.skill_names
            .binary_search_by_key(&skill, |(id, _)| *id)
            .map_or("", |i| self.skill_names[i].1.as_str())
    }
}

/// Names in alphabetical order, ignoring case first.
fn by_name(a: &str, b: &str) -> std::cmp::Ordering {
    a.to_lowercase()
        .cmp(&b.to_lowercase())
        .then_with(|| a.cmp(b))
}

/// Pools of people with the same demanded skills and their free time over the window.
fn window_pools(prepared: &Prepared, free: &[Minutes]) -> Vec<Pool> {
    let mut pools: Vec<Pool> = Vec::new();
    for (&mask, &f) in prepared.masks.iter().zip(free) {
        if mask == 0 || f <= 0 {
            continue;
        }
        match pools.iter_mut().find(|pool| pool.mask == mask) {
            Some(pool) => pool.capacity += f,
            None => pools.push(Pool { mask, capacity: f }),
        }
    }
    pools
}

/// `total` minutes over weeks with `room` free each, at an even pace in half hours: every
/// week gets the same number of half hours where its room allows (weeks with less room get
/// all they have, the others share the rest), extra half hours go to the earliest weeks
/// with room, and odd minutes to the first week with room for them. Never more than the
/// room; all of `total` when it fits in the room.
pub(super) fn spread(total: Minutes, room: &[Minutes]) -> Vec<Minutes> {
    let mut out = vec![0; room.len()];
    if total <= 0 || room.is_empty() {
        return out;
    }
    let caps: Vec<Minutes> = room.iter().map(|r| r.max(&0) / STEP).collect();
    let units = total / STEP;
    // The level: the most half hours L with Σ min(cap, L) ≤ units.
    let (mut lo, mut hi) = (0, caps.iter().copied().max().unwrap_or(0));
    while lo < hi {
        let mid = lo + (hi - lo + 1) / 2;
        if caps.iter().map(|&c| c.min(mid)).sum::<Minutes>() <= units {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    let mut given_units: Vec<Minutes> = caps.iter().map(|&c| c.min(lo)).collect();
    let mut extra = units - given_units.iter().sum::<Minutes>();
    for (g, &c) in given_units.iter_mut().zip(&caps) {
        if extra == 0 {
            break;
        }
        if *g < c {
            *g += 1;
            extra -= 1;
        }
    }
    for (o, g) in out.iter_mut().zip(&given_units) {
        *o = g * STEP;
    }
    // Odd minutes, and any half hours the rounding of the room left over.
    let mut rest = total - out.iter().sum::<Minutes>();
    if rest > 0 {
        if let Some(k) = (0..room.len()).find(|&k| room[k] - out[k] >= rest) {
            out[k] += rest;
            rest = 0;
        }
    }
    for k in 0..room.len() {
        if rest == 0 {
            break;
        }
        let give = rest.min(room[k] - out[k]).max(0);
        out[k] += give;
        rest -= give;
    }
    out
}
