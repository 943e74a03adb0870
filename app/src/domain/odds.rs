//! The chance that a skill is over capacity in a week, and the spread of the pipeline's
//! demand behind it.
//!
//! **The model.** Every open deal is won or not, independently of the others, with its
//! probability; a won deal needs its estimate spread over its planned weeks
//! ([`DealDemand::minutes_in`]). For one skill in one week the pipeline's demand is then
//! the sum of the won deals' minutes — a random number. The planner shows its mean (the
//! probability-weighted hours it always showed), its median (P50: as likely to be
//! more as less) and its 90th percentile (P90: more only one time in ten).
//!
//! **Over capacity** means: the skill's confirmed minutes plus the won deals' minutes
//! are more than the skill's capacity that week. A person with several skills is not
//! counted in full under each of them: their available and their confirmed minutes are
//! split evenly over their skills (`planner::split`: the remainder a minute at a time to
//! their first skills), so the skills' capacities add up to the team's
//! ([`SkillWeek::capacity_share`], [`SkillWeek::confirmed_share`]). The rule ignores
//! that such a person could move their hours to the skill in need; it can be checked by
//! hand, and it neither hides a shortage behind people counted twice nor invents one.
//!
//! **The computation** is exact, by dynamic programming over the deals: the
//! distribution of the sum is built deal by deal on a grid of `step` minutes, so one
//! deal costs one pass over the distribution so far. The step is 1 minute when the
//! whole sum fits in [`MAX_STEPS`] steps — then nothing is rounded; otherwise it is the
//! smallest step in which the part that matters fits: 16 standard deviations plus
//! twice the largest deal ([`grid_step`]: about a sixtieth of the standard deviation —
//! on the 5,000-deal benchmark agency 2½ hours for a skill's week of 150 deals, 8 hours
//! for one of 2,400, whose standard deviations are 146 and 508 hours). A deal's
//! minutes between two grid points land, when won, on the lower or the upper one with
//! the weights that keep its mean (7.3 steps: 7 at 70 %, 8 at 30 %), so the mean of
//! every sum is exact. Tails lighter than 10⁻¹² are cut after each deal and counted
//! below or above. What the grid costs: each outcome's sum is within the deals'
//! rounding of its exact sum ([`Distribution::rounding`], less than a step per deal
//! whose minutes are off the grid), so P50 and P90 are exact within it and the chance
//! lies between the exact chances with the capacity moved by it either way;
//! probabilities are exact to about 10⁻⁹. The tests check this against enumerating
//! every outcome of small cases.
//!
//! Deals certain to be won (100 %, e.g. marked won in a what-if) only shift the sum;
//! deals at 0 % and needs of 0 minutes are skipped. The same code runs on the server
//! for the planner's first paint and in the browser for every what-if change; f64
//! additions and multiplications in the same order give the same bits on both.

use crate::domain::planner::{weeks_in_window, DealDemand, SkillWeek};
use serde::{Deserialize, Serialize};

/// Most grid steps the distribution is meant to need (a bound on the work per deal).
pub const MAX_STEPS: i64 = 1024;

/// Probability mass below which a tail of the distribution is cut after each deal.
const TAIL: f64 = 1e-12;

/// Probabilities this close to a quantile's level count as reaching it (float sums of
/// the same mass in another order differ in the last bits).
const LEVEL_SLACK: f64 = 1e-9;

/// One deal's need in one skill and week: minutes if won, and the chance it is won.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bet {
    /// Minutes needed if the deal is won.
    pub minutes: i64,
    /// Chance of winning, in percent (clamped to 0..=100).
    pub probability_pct: i64,
}

/// The distribution of the sum of won bets, on a grid of `step` minutes.
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    /// Minutes per grid step.
    step: i64,
    /// The grid index of `mass[0]`.
    first: i64,
    /// Probability of each grid point from `first` on.
    mass: Vec<f64>,
    /// Mass cut below `first`.
    below: f64,
    /// Mass cut above the last point.
    above: f64,
    /// Sum over the bets of how far rounding to the grid moved them, in minutes.
    rounding: i64,
}

/// The grid step for `bets`: 1 minute if the whole sum fits in [`MAX_STEPS`] steps,
/// else the smallest step in which the part of the distribution that matters does.
pub fn grid_step(bets: &[Bet]) -> i64 {
    let (mut total, mut largest, mut variance) = (0_i64, 0_i64, 0.0_f64);
    for b in bets {
        let p = b.probability_pct.clamp(0, 100);
        let m = b.minutes.max(0);
        if p == 0 || p == 100 || m == 0 {
            continue;
        }
        total = total.saturating_add(m);
        largest = largest.max(m);
        let win = p as f64 / 100.0;
        variance += win * (1.0 - win) * (m as f64) * (m as f64);
    }
    let spread = (16.0 * variance.sqrt()).ceil() as i64 + 2 * largest;
    let span = total.min(spread);
    ((span + MAX_STEPS - 1) / MAX_STEPS).max(1)
}

impl Distribution {
    /// The distribution of the sum of the won `bets`, on the grid [`grid_step`] chooses.
    pub fn of(bets: &[Bet]) -> Self {
        Self::on_grid(bets, grid_step(bets))
    }

    /// The distribution of the sum of the won `bets` on a grid of `step` minutes (at
    /// least 1); a bet between two grid points lands on either, keeping its mean.
    pub fn on_grid(bets: &[Bet], step: i64) -> Self {
        let step = step.max(1);
        let mut cur: Vec<f64> = vec![1.0];
        let mut next: Vec<f64> = Vec::new();
        let (mut start, mut end) = (0_usize, 1_usize);
        let mut d = Distribution {
            step,
            first: 0,
            mass: Vec::new(),
            below: 0.0,
            above: 0.0,
            rounding: 0,
        };
        for b in bets {
            let p = b.probability_pct.clamp(0, 100);
            let m = b.minutes.max(0);
            if p == 0 || m == 0 {
                continue;
            }
            // m lies between the grid points k and k + 1: a won deal lands on the upper
            // one with the weight that keeps its mean (7.3 steps: 7 at 70 %, 8 at 30 %).
            let (k, rest) = (m / step, m % step);
            if rest > 0 {
                d.rounding += rest.max(step - rest);
            }
            if p == 100 && rest == 0 {
                d.first += k;
                continue;
            }
            let win = p as f64 / 100.0;
            let lose = 1.0 - win;
            let up = win * (rest as f64 / step as f64);
            let down = win - up;
            let src = &cur[start..end];
            let len = src.len();
            let k = k as usize;
            next.clear();
            next.resize(len + k + usize::from(rest > 0), 0.0);
            // Lost: the sum stays; won: it moves up by k (or k + 1) steps. Straight
            // passes over the slices (the compiler vectorises them).
            for (n, c) in next[..len].iter_mut().zip(src) {
                *n = lose * c;
            }
            if rest == 0 {
                for (n, c) in next[k..].iter_mut().zip(src) {
                    *n += down * c;
                }
            } else {
                // next[k + j] gains down · src[j] + up · src[j - 1], in one pass.
                next[k] += down * src[0];
                for ((n, c), before) in next[k + 1..k + len].iter_mut().zip(&src[1..]).zip(src) {
                    *n += down * c + up * before;
                }
                next[k + len] += up * src[len - 1];
            }
            // Cut tails lighter than TAIL, keeping at least one point.
            let (mut lo, mut hi) = (0_usize, next.len());
            let mut cut = 0.0;
            while lo + 1 < hi && cut + next[lo] < TAIL {
                cut += next[lo];
                lo += 1;
            }
            d.below += cut;
            let mut cut = 0.0;
            while hi > lo + 1 && cut + next[hi - 1] < TAIL {
                cut += next[hi - 1];
                hi -= 1;
            }
            d.above += cut;
            d.first += lo as i64;
            std::mem::swap(&mut cur, &mut next);
            start = lo;
            end = hi;
        }
        d.mass = cur[start..end].to_vec();
        d
    }

    /// Minutes per grid step.
    pub fn step(&self) -> i64 {
        self.step
    }

    /// How far the grid may move the bets, added up (minutes): every outcome's sum on
    /// the grid is within this of its exact sum.
    pub fn rounding(&self) -> i64 {
        self.rounding
    }

    /// The sum at grid index `i` of `mass`, in minutes.
    fn minutes_at(&self, i: usize) -> i64 {
        (self.first + i as i64) * self.step
    }

    /// The smallest sum (minutes) that the sum is at most with probability `level`
    /// (0.5: the median, P50; 0.9: P90).
    pub fn quantile(&self, level: f64) -> i64 {
        let mut reached = self.below;
        for (i, m) in self.mass.iter().enumerate() {
            reached += m;
            if reached >= level - LEVEL_SLACK {
                return self.minutes_at(i);
            }
        }
        self.minutes_at(self.mass.len().saturating_sub(1))
    }

    /// The chance that the sum is more than `minutes`.
    pub fn chance_above(&self, minutes: i64) -> f64 {
        let mut chance = self.above;
        for (i, m) in self.mass.iter().enumerate().rev() {
            if self.minutes_at(i) <= minutes {
                break;
            }
            chance += m;
        }
        chance.clamp(0.0, 1.0)
    }

    /// The mean of the sum on the grid (minutes).
    pub fn mean(&self) -> f64 {
        self.mass
            .iter()
            .enumerate()
            .map(|(i, m)| m * self.minutes_at(i) as f64)
            .sum()
    }
}

/// A chance in basis points (0 to 10,000), never 0 for what can happen (more than
/// 10⁻⁹) nor 10,000 for what may not.
pub fn basis_points(chance: f64) -> i64 {
    let bp = (chance.clamp(0.0, 1.0) * 10_000.0).round() as i64;
    if chance > 1e-9 && bp == 0 {
        1
    } else if chance < 1.0 - 1e-9 && bp == 10_000 {
        9_999
    } else {
        bp
    }
}

/// One skill's week of pipeline demand as a distribution: its P50 and P90 (pipeline
/// minutes only, confirmed work not included) and the chance of being over capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillOdds {
    /// Median of the pipeline's demand, minutes.
    pub p50: i64,
    /// 90th percentile of the pipeline's demand, minutes.
    pub p90: i64,
    /// Chance that confirmed plus won work is more than the skill's capacity share, in
    /// basis points (0 to 10,000; see [`basis_points`]).
    pub over_bp: i64,
}

/// The odds for each skill (in `skills`' order) and week of the window: the pipeline's
/// P50 and P90 and the chance of being over the skill's capacity share, given the
/// skills' weeks (`summaries`, same order, for capacity and confirmed shares) and the
/// open `deals`.
pub fn odds(
    weeks: u32,
    skills: &[i64],
    summaries: &[Vec<SkillWeek>],
    deals: &[DealDemand],
) -> Vec<Vec<SkillOdds>> {
    let n = weeks as usize;
    let index: std::collections::HashMap<i64, usize> =
        skills.iter().enumerate().map(|(i, s)| (*s, i)).collect();
    let mut cells: Vec<Vec<Bet>> = vec![Vec::new(); skills.len() * n];
    for d in deals {
        let p = d.probability_pct.clamp(0, 100);
        if p == 0 {
            continue;
        }
        for (j, &(skill, _)) in d.lines.iter().enumerate() {
            let Some(&s) = index.get(&skill) else {
                continue;
            };
            if d.lines[..j].iter().any(|(other, _)| *other == skill) {
                continue;
            }
            for (w, k) in weeks_in_window(d, n) {
                let minutes = d.minutes_in(skill, k);
                if minutes > 0 {
                    cells[s * n + w].push(Bet {
                        minutes,
                        probability_pct: p,
                    });
                }
            }
        }
    }
    (0..skills.len())
        .map(|s| {
            (0..n)
                .map(|w| {
                    let dist = Distribution::of(&cells[s * n + w]);
                    let room = summaries
                        .get(s)
                        .and_then(|row| row.get(w))
                        .map(|c| c.capacity_share - c.confirmed_share)
                        .unwrap_or(0);
                    SkillOdds {
                        p50: dist.quantile(0.5),
                        p90: dist.quantile(0.9),
                        over_bp: basis_points(dist.chance_above(room)),
                    }
                })
                .collect()
        })
        .collect()
}

/// How likely being over is, for colour: under 10 %, 10 % to under 50 %, 50 % or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum OverBand {
    /// Under 10 %.
    Unlikely,
    /// 10 % to under 50 %.
    Possible,
    /// 50 % or more.
    Likely,
}

impl OverBand {
    /// The band of a chance in basis points.
    pub fn of(over_bp: i64) -> Self {
        if over_bp < 1_000 {
            Self::Unlikely
        } else if over_bp < 5_000 {
            Self::Possible
        } else {
            Self::Likely
        }
    }

    /// CSS-friendly name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unlikely => "unlikely",
            Self::Possible => "possible",
            Self::Likely => "likely",
        }
    }
}

/// A chance in basis points as a person reads it: whole percent, "<1 %" for what is
/// possible but rounds to 0, ">99 %" for what is not certain but rounds to 100.
pub fn chance_text(over_bp: i64) -> String {
    match over_bp {
        bp if bp <= 0 => "0 %".into(),
        bp if bp < 50 => "<1 %".into(),
        bp if bp >= 10_000 => "100 %".into(),
        bp if bp >= 9_950 => ">99 %".into(),
        bp => format!("{} %", (bp + 50) / 100),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::planner::{self, DemandMode, PersonWeek, PlannerPerson, Utilisation};
    use proptest::prelude::*;

    const H: i64 = 60;

    fn bet(minutes: i64, probability_pct: i64) -> Bet {
        Bet {
            minutes,
            probability_pct,
        }
    }

    /// Every outcome of `bets` (2^n): (sum of the won minutes, probability).
    fn enumerate(bets: &[Bet]) -> Vec<(i64, f64)> {
        let mut out = vec![(0_i64, 1.0_f64)];
        for b in bets {
            let win = b.probability_pct.clamp(0, 100) as f64 / 100.0;
            out = out
                .into_iter()
                .flat_map(|(sum, p)| [(sum, p * (1.0 - win)), (sum + b.minutes.max(0), p * win)])
                .collect();
        }
        out
    }

    /// The exact quantile: the smallest sum whose cumulative probability reaches `level`.
    fn exact_quantile(outcomes: &[(i64, f64)], level: f64) -> i64 {
        let mut sums: Vec<i64> = outcomes.iter().map(|(s, _)| *s).collect();
        sums.sort_unstable();
        sums.dedup();
        for s in &sums {
            let reached: f64 = outcomes
                .iter()
                .filter(|(x, _)| x <= s)
                .map(|(_, p)| p)
                .sum();
            if reached >= level {
                return *s;
            }
        }
        *sums.last().unwrap()
    }

    fn exact_chance_above(outcomes: &[(i64, f64)], minutes: i64) -> f64 {
        outcomes
            .iter()
            .filter(|(s, _)| *s > minutes)
            .map(|(_, p)| p)
            .sum()
    }

    #[test]
    fn one_deal_at_half_is_a_coin() {
        let d = Distribution::of(&[bet(30 * H, 50)]);
        assert_eq!(d.step(), 2);
        assert_eq!(d.quantile(0.5), 0);
        assert_eq!(d.quantile(0.9), 30 * H);
        assert!((d.chance_above(20 * H) - 0.5).abs() < 1e-12);
        assert!((d.chance_above(30 * H)).abs() < 1e-12);
        assert!((d.chance_above(-1) - 1.0).abs() < 1e-12);
        assert!((d.mean() - 15.0 * H as f64).abs() < 1e-9);
    }

    #[test]
    fn certain_deals_shift_and_impossible_ones_vanish() {
        let d = Distribution::on_grid(&[bet(10 * H, 100), bet(8 * H, 0), bet(5 * H, 40)], 1);
        assert_eq!(d.quantile(0.5), 10 * H);
        assert_eq!(d.quantile(0.9), 15 * H);
        assert!((d.chance_above(10 * H) - 0.4).abs() < 1e-12);
        let empty = Distribution::of(&[]);
        assert_eq!((empty.quantile(0.5), empty.quantile(0.9)), (0, 0));
        assert_eq!(empty.chance_above(0), 0.0);
        assert_eq!(empty.chance_above(-1), 1.0);
    }

    #[test]
    fn three_deals_by_hand() {
        // 20 h at 50 %, 10 h at 20 %, 40 h at 10 %.
        let bets = [bet(20 * H, 50), bet(10 * H, 20), bet(40 * H, 10)];
        let d = Distribution::on_grid(&bets, 1);
        // P(S = 0) = .5 * .8 * .9 = .36; P(S ≤ 10 h) = .36 + .5*.2*.9 = .45; P(S ≤ 20 h)
        // = .45 + .5*.8*.9 = .81; P(S ≤ 30 h) = .81 + .5*.2*.9 = .9.
        assert_eq!(d.quantile(0.5), 20 * H);
        assert_eq!(d.quantile(0.9), 30 * H);
        assert!((d.chance_above(30 * H) - 0.1).abs() < 1e-12);
    }

    #[test]
    fn the_grid_is_a_minute_for_small_sums_and_coarser_for_large_ones() {
        assert_eq!(grid_step(&[bet(1000, 50)]), 1);
        assert_eq!(grid_step(&[bet(1024, 50), bet(1024, 100)]), 1);
        assert_eq!(grid_step(&[bet(1025, 50)]), 2);
        // Many deals: the spread, not the whole sum, sets the step.
        let many: Vec<Bet> = (0..1_000).map(|i| bet(20 * H + i, 40)).collect();
        let step = grid_step(&many);
        let total: i64 = many.iter().map(|b| b.minutes).sum();
        assert!(step > 1 && step < total / MAX_STEPS, "{step}");
        let d = Distribution::of(&many);
        assert!(
            d.mass.len() as i64 <= MAX_STEPS + 2 * (20 * H + 1000) / step,
            "{}",
            d.mass.len()
        );
        // The mean survives the grid.
        let mean: f64 = many.iter().map(|b| 0.4 * b.minutes as f64).sum();
        assert!(
            (d.mean() - mean).abs() < 1e-6 * mean,
            "{} vs {mean}",
            d.mean()
        );
    }

    #[test]
    fn chances_read_as_people_say_them() {
        assert_eq!(chance_text(0), "0 %");
        assert_eq!(chance_text(1), "<1 %");
        assert_eq!(chance_text(49), "<1 %");
        assert_eq!(chance_text(50), "1 %");
        assert_eq!(chance_text(3_849), "38 %");
        assert_eq!(chance_text(3_850), "39 %");
        assert_eq!(chance_text(9_949), "99 %");
        assert_eq!(chance_text(9_950), ">99 %");
        assert_eq!(chance_text(10_000), "100 %");
        assert_eq!(basis_points(0.0), 0);
        assert_eq!(basis_points(1e-6), 1);
        assert_eq!(basis_points(0.999_999), 9_999);
        assert_eq!(basis_points(1.0), 10_000);
        assert_eq!(basis_points(0.38), 3_800);
        assert_eq!(OverBand::of(999), OverBand::Unlikely);
        assert_eq!(OverBand::of(1_000), OverBand::Possible);
        assert_eq!(OverBand::of(5_000), OverBand::Likely);
    }

    fn week(available: i64, confirmed: i64) -> PersonWeek {
        PersonWeek {
            available,
            time_off: 0,
            confirmed,
            tentative: 0,
            utilisation: Utilisation::of(confirmed, available),
        }
    }

    #[test]
    fn a_design_week_over_by_chance() {
        // Design: Ada (design only, 40 h, 20 h confirmed) and Ben (design and frontend,
        // 40 h, nothing confirmed: 20 h under each). Room for design: 60 - 20 = 40 h.
        let skills = [1, 2];
        let ada = [week(40 * H, 20 * H)];
        let ben = [week(40 * H, 0)];
        let team: Vec<(&[i64], &[PersonWeek])> = vec![(&[1], &ada), (&[1, 2], &ben)];
        let summaries = planner::summarise(1, &skills, &team, &[], &[], DemandMode::Weighted);
        assert_eq!(summaries[0][0].capacity, 80 * H);
        assert_eq!(summaries[0][0].capacity_share, 60 * H);
        assert_eq!(summaries[1][0].capacity_share, 20 * H);
        let deal = |id, pct, hours| DealDemand {
            deal_id: id,
            probability_pct: pct,
            start_week: 0,
            weeks: 1,
            lines: vec![(1, hours * H)],
        };
        // 30 h at 60 % and 25 h at 50 %: over 40 h only when both are won: 30 %.
        let deals = [deal(7, 60, 30), deal(8, 50, 25)];
        let base = odds(1, &skills, &summaries, &deals);
        assert_eq!(base[0][0].over_bp, 3_000);
        // Sums: 0 (.2), 25 h (.2), 30 h (.3), 55 h (.3): P50 is 30 h, P90 55 h.
        assert_eq!((base[0][0].p50, base[0][0].p90), (30 * H, 55 * H));
        assert_eq!(
            base[1][0],
            SkillOdds {
                p50: 0,
                p90: 0,
                over_bp: 0
            }
        );
        let won = [deal(7, 100, 30), deal(8, 50, 25)];
        assert_eq!(odds(1, &skills, &summaries, &won)[0][0].over_bp, 5_000);
        let lost = [deal(8, 50, 25)];
        assert_eq!(odds(1, &skills, &summaries, &lost)[0][0].over_bp, 0);
    }

    #[test]
    fn a_deal_counts_in_its_weeks_only_spread_like_the_planner() {
        let skills = [1];
        let person = PlannerPerson {
            id: 1,
            name: "Ada".into(),
            skills: vec![1],
            weekly_capacity: 10 * H,
            time_off: vec![],
        };
        // 25 h over 2 weeks from week 1 at 50 %: 12.5 h in weeks 1 and 2.
        let deal = DealDemand {
            deal_id: 1,
            probability_pct: 50,
            start_week: 1,
            weeks: 2,
            lines: vec![(1, 25 * H)],
        };
        let numbers = planner::compute(
            4,
            &skills,
            &[person],
            &[],
            std::slice::from_ref(&deal),
            DemandMode::Weighted,
        );
        let o = odds(4, &skills, &numbers.skills, &[deal]);
        let over: Vec<i64> = o[0].iter().map(|c| c.over_bp).collect();
        assert_eq!(over, vec![0, 5_000, 5_000, 0]);
        assert_eq!(o[0][1].p90, 750);
    }

    proptest! {
        /// On a one-minute grid the distribution is the enumeration of every outcome.
        #[test]
        fn on_a_minute_grid_it_is_the_enumeration(
            bets in proptest::collection::vec((0_i64..600, 0_i64..=100), 0..10),
            thresholds in proptest::collection::vec(-10_i64..4_000, 5),
        ) {
            let bets: Vec<Bet> = bets.into_iter().map(|(m, p)| bet(m, p)).collect();
            let d = Distribution::on_grid(&bets, 1);
            let outcomes = enumerate(&bets);
            for level in [0.5, 0.9] {
                let q = d.quantile(level);
                prop_assert!(q >= exact_quantile(&outcomes, level - 1e-6));
                prop_assert!(q <= exact_quantile(&outcomes, level + 1e-6));
            }
            for t in thresholds {
                let exact = exact_chance_above(&outcomes, t);
                prop_assert!((d.chance_above(t) - exact).abs() < 1e-9, "{t}: {} vs {exact}", d.chance_above(t));
            }
        }

        /// On the chosen grid, P50 and P90 are exact within the rounding, and the chance
        /// lies between the exact chances with the threshold moved by it.
        #[test]
        fn on_a_coarser_grid_it_is_exact_within_the_rounding(
            bets in proptest::collection::vec((0_i64..6_000, 0_i64..=100), 0..12),
            thresholds in proptest::collection::vec(-10_i64..40_000, 5),
        ) {
            let bets: Vec<Bet> = bets.into_iter().map(|(m, p)| bet(m, p)).collect();
            let d = Distribution::of(&bets);
            let e = d.rounding();
            prop_assert!(e < (bets.len() as i64).max(1) * d.step());
            let outcomes = enumerate(&bets);
            for level in [0.5, 0.9] {
                let q = d.quantile(level);
                prop_assert!(q >= exact_quantile(&outcomes, level - 1e-6) - e, "{level}: {q}");
                prop_assert!(q <= exact_quantile(&outcomes, level + 1e-6) + e, "{level}: {q}");
            }
            for t in thresholds {
                let c = d.chance_above(t);
                prop_assert!(c >= exact_chance_above(&outcomes, t + e) - 1e-9);
                prop_assert!(c <= exact_chance_above(&outcomes, t - e) + 1e-9);
            }
        }

        /// Winning a deal never makes being over less likely, losing it never more.
        #[test]
        fn won_never_lowers_the_chance_and_lost_never_raises_it(
            bets in proptest::collection::vec((1_i64..100, 1_i64..100), 1..10),
            which in 0_usize..10,
            threshold in 0_i64..600,
        ) {
            let bets: Vec<Bet> = bets.into_iter().map(|(m, p)| bet(m, p)).collect();
            let i = which % bets.len();
            let base = Distribution::on_grid(&bets, 1).chance_above(threshold);
            let mut won = bets.clone();
            won[i].probability_pct = 100;
            let mut lost = bets.clone();
            lost[i].probability_pct = 0;
            prop_assert!(Distribution::on_grid(&won, 1).chance_above(threshold) >= base - 1e-12);
            prop_assert!(Distribution::on_grid(&lost, 1).chance_above(threshold) <= base + 1e-12);
        }

        /// The same bets in the same order give the same bits (server and browser agree),
        /// and P50 never exceeds P90.
        #[test]
        fn deterministic_and_ordered(
            bets in proptest::collection::vec((0_i64..20_000, 0_i64..=100), 0..60),
        ) {
            let bets: Vec<Bet> = bets.into_iter().map(|(m, p)| bet(m, p)).collect();
            let a = Distribution::of(&bets);
            let b = Distribution::of(&bets);
            prop_assert_eq!(&a, &b);
            prop_assert!(a.quantile(0.5) <= a.quantile(0.9));
            let total: f64 = a.mass.iter().sum::<f64>() + a.below + a.above;
            prop_assert!((total - 1.0).abs() < 1e-9);
        }
    }
}
