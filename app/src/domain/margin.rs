//! Margin: does the deal's value cover the cost of the people who would do the work?
//!
//! Cost = staffed minutes × each person's hourly cost rate, plus unstaffed minutes at the
//! skill's average cost rate. Margin = (value − cost) / value, in basis points. The verdict
//! compares it with the workspace's target and floor.

use super::capacity::{CapacityReport, Engine};
use super::DomainError;
use serde::{Deserialize, Serialize};

/// Pass, warn or block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MarginVerdict {
    /// At or above the target.
    Pass,
    /// Below the target, at or above the floor.
    Warn,
    /// Below the floor (or no value to earn a margin on): closing needs an override.
    Block,
}

/// The margin of a deal as staffed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarginReport {
    /// The deal's value, minor units.
    pub value_minor: i64,
    /// Staffed cost plus unstaffed cost, minor units.
    pub cost_minor: i64,
    /// Of which: unstaffed minutes at the skill's average cost rate.
    pub unstaffed_cost_minor: i64,
    /// (value − cost) / value in basis points, rounded down; `None` when the value is zero.
    pub margin_bp: Option<i64>,
    /// Against the workspace's target and floor.
    pub verdict: MarginVerdict,
    /// The largest discount (minor units) that still keeps the margin at or above the
    /// floor; 0 when it is already below.
    pub max_discount_minor: i64,
}

/// The cost of `minutes` at an hourly `rate_minor`, rounded half up.
pub fn cost_of(minutes: i64, rate_minor: i64) -> Result<i64, DomainError> {
    let product = i128::from(minutes) * i128::from(rate_minor);
    i64::try_from((product + 30) / 60).map_err(|_| DomainError::Overflow)
}

/// The margin of `value_minor` against the cost of `report`'s staffing (rates from
/// `engine`), judged against `target_bp` and `floor_bp`.
pub fn margin(
    engine: &Engine,
    report: &CapacityReport,
    value_minor: i64,
    target_bp: i64,
    floor_bp: i64,
) -> Result<MarginReport, DomainError> {
    if !(0..=1_000_000_000_000_000).contains(&value_minor) {
        return Err(DomainError::OutOfRange {
            field: "value".into(),
            reason: "must be between 0 and 10^15 minor units".into(),
        });
    }
    if floor_bp > target_bp || target_bp > 10_000 || floor_bp < -100_000 {
        return Err(DomainError::OutOfRange {
            field: "margin_floor".into(),
            reason: "the floor must not exceed the target, which must not exceed 100 %".into(),
        });
    }
    let mut cost: i64 = 0;
    for line in &report.staffing {
        let rate = engine.cost_rate(line.person_id).unwrap_or(0);
        cost = cost
            .checked_add(cost_of(line.minutes, rate)?)
            .ok_or(DomainError::Overflow)?;
    }
    let mut unstaffed: i64 = 0;
    for (skill, minutes) in report.shortfall_by_skill() {
        unstaffed = unstaffed
            .checked_add(cost_of(minutes, engine.average_cost_rate(skill))?)
            .ok_or(DomainError::Overflow)?;
    }
    let cost = cost.checked_add(unstaffed).ok_or(DomainError::Overflow)?;
    Ok(judge(value_minor, cost, unstaffed, target_bp, floor_bp))
}

/// The margin of `value_minor` at `cost_minor`, judged against `target_bp` and `floor_bp`.
pub fn judge(
    value_minor: i64,
    cost_minor: i64,
    unstaffed_cost_minor: i64,
    target_bp: i64,
    floor_bp: i64,
) -> MarginReport {
    let margin_bp = (value_minor > 0).then(|| {
        // Rounded down (toward −∞), so "margin ≥ floor" holds exactly when the true margin does.
        let m = ((i128::from(value_minor) - i128::from(cost_minor)) * 10_000)
            .div_euclid(i128::from(value_minor));
        m.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    });
    let verdict = match margin_bp {
        Some(m) if m >= target_bp => MarginVerdict::Pass,
        Some(m) if m >= floor_bp => MarginVerdict::Warn,
        _ => MarginVerdict::Block,
    };
    // The lowest price p with (p − cost) / p ≥ floor is ⌈cost × 10⁴ / (10⁴ − floor)⌉, and a
    // price of nothing earns no margin at all: at least one minor unit.
    let max_discount_minor = if floor_bp >= 10_000 {
        0
    } else {
        let denominator = i128::from(10_000 - floor_bp);
        let min_price = ((i128::from(cost_minor) * 10_000 + denominator - 1) / denominator).max(1);
        (i128::from(value_minor) - min_price).clamp(0, i128::from(i64::MAX)) as i64
    };
    MarginReport {
        value_minor,
        cost_minor,
        unstaffed_cost_minor,
        margin_bp,
        verdict,
        max_discount_minor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_round_half_up() {
        assert_eq!(cost_of(60, 5_000), Ok(5_000));
        assert_eq!(cost_of(90, 5_000), Ok(7_500));
        assert_eq!(cost_of(1, 30), Ok(1)); // 0.5 -> 1
        assert_eq!(cost_of(1, 29), Ok(0));
        assert!(cost_of(i64::MAX, i64::MAX).is_err());
    }

    #[test]
    fn verdicts_against_target_and_floor() {
        // value 10,000.00, cost 6,000.00: margin 40 %.
        let r = judge(1_000_000, 600_000, 0, 3_500, 1_500);
        assert_eq!(r.margin_bp, Some(4_000));
        assert_eq!(r.verdict, MarginVerdict::Pass);
        // Floor 15 %: the lowest price is 6,000 / 0.85 = 7,058.83, so 2,941.17 off at most.
        assert_eq!(r.max_discount_minor, 1_000_000 - 705_883);
        assert_eq!(
            judge(1_000_000, 700_000, 0, 3_500, 1_500).verdict,
            MarginVerdict::Warn
        );
        assert_eq!(
            judge(1_000_000, 900_000, 0, 3_500, 1_500).verdict,
            MarginVerdict::Block
        );
        assert_eq!(
            judge(1_000_000, 900_000, 0, 3_500, 1_500).max_discount_minor,
            0
        );
        // Exactly at the floor is not below it.
        assert_eq!(
            judge(1_000_000, 850_000, 0, 3_500, 1_500).verdict,
            MarginVerdict::Warn
        );
        // No value: no margin, blocked.
        let zero = judge(0, 100, 0, 3_500, 1_500);
        assert_eq!((zero.margin_bp, zero.verdict), (None, MarginVerdict::Block));
        // Losses are negative margins, rounded down.
        assert_eq!(
            judge(100_000, 150_000, 0, 3_500, 1_500).margin_bp,
            Some(-5_000)
        );
        assert_eq!(judge(3, 4, 0, 3_500, 1_500).margin_bp, Some(-3_334));
    }

    proptest::proptest! {
        #[test]
        fn the_max_discount_lands_exactly_on_the_floor(
            value in 1_i64..1_000_000_000_000,
            cost in 0_i64..1_000_000_000_000,
            floor in -5_000_i64..9_999,
        ) {
            let r = judge(value, cost, 0, 9_999, floor);
            let price = value - r.max_discount_minor;
            let at = judge(price, cost, 0, 9_999, floor).margin_bp.unwrap();
            if r.max_discount_minor > 0 {
                proptest::prop_assert!(at >= floor);
            }
            if price > 1 && at >= floor {
                let past = judge(price - 1, cost, 0, 9_999, floor).margin_bp.unwrap();
                proptest::prop_assert!(past < floor, "one unit less still clears the floor");
            }
        }
    }

    #[test]
    fn with_no_cost_the_largest_discount_keeps_a_price() {
        let r = judge(1_000_000, 0, 0, 3_500, 1_500);
        assert_eq!(r.max_discount_minor, 999_999);
        assert_eq!(
            judge(1_000_000 - 999_999, 0, 0, 3_500, 1_500).verdict,
            MarginVerdict::Pass
        );
    }
}
