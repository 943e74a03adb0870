//! Change requests: extra scope on a running project, judged before anyone agrees to it.
//!
//! Capacity: can the team do the extra hours (by skill) in the project's remaining weeks,
//! on top of everything already confirmed? Margin: the revised budget (budget + extra
//! value) against the revised cost (the project's forecast cost: time logged and
//! confirmed work ahead, at cost rates, plus the cost of staffing the extra hours, with
//! unstaffed hours at the skill's average cost rate).

use super::capacity::{CapacityReport, CapacityVerdict, Demand, Engine};
use super::close::percent;
use super::margin::{self, MarginReport, MarginVerdict};
use super::DomainError;
use serde::{Deserialize, Serialize};

/// What a project manager decides on a proposed change: `approve` or `reject` on the
/// wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The change goes ahead: the budget is revised (and the staffing booked, if asked).
    Approve,
    /// The change is turned down, with a reason.
    Reject,
}

impl Decision {
    /// The decision named by `text` (`approve` or `reject`); otherwise a field error on
    /// `decision`.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        match text {
            "approve" => Ok(Self::Approve),
            "reject" => Ok(Self::Reject),
            _ => Err(DomainError::out_of_range(
                "decision",
                "must be \"approve\" or \"reject\"",
            )),
        }
    }
}

/// The review of a change request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeReview {
    /// The extra hours per skill and week, with the suggested staffing.
    pub capacity: CapacityReport,
    /// Cost of the extra hours as staffed (unstaffed at the skill's average rate).
    pub extra_cost_minor: i64,
    /// Budget after the change.
    pub revised_budget_minor: i64,
    /// Forecast cost after the change.
    pub revised_cost_minor: i64,
    /// The margin of the revised budget at the revised cost.
    pub margin: MarginReport,
}

impl ChangeReview {
    /// Whether approving needs the override permission and a written reason.
    pub fn needs_override(&self) -> bool {
        self.capacity.verdict == CapacityVerdict::Short
            || self.margin.verdict == MarginVerdict::Block
    }

    /// What blocks approval, as sentences (empty when nothing does); the margin's figure
    /// only if `may_see_costs` (with the budget it would give the cost away).
    pub fn blockers(&self, may_see_costs: bool) -> Vec<String> {
        let mut out = Vec::new();
        if self.capacity.verdict == CapacityVerdict::Short {
            let minutes: i64 = self.capacity.cells.iter().map(|c| c.shortfall).sum();
            out.push(format!(
                "the team is {} short for the extra work in the project's remaining weeks",
                super::close::duration(minutes)
            ));
        }
        if self.margin.verdict == MarginVerdict::Block {
            out.push(match self.margin.margin_bp {
                Some(bp) if may_see_costs => format!(
                    "the revised budget's margin ({}) is under the floor",
                    percent(bp)
                ),
                Some(_) => "the revised budget's margin is under the floor".to_string(),
                None => "the project has no budget to earn a margin on".to_string(),
            });
        }
        out
    }
}

/// Reviews extra work `demand` from `start_week` (the project's remaining weeks) worth
/// `extra_value_minor` on a project with `budget_minor` and `forecast_cost_minor`.
#[allow(clippy::too_many_arguments)]
pub fn review(
    engine: &Engine,
    demand: &Demand,
    start_week: u32,
    budget_minor: i64,
    forecast_cost_minor: i64,
    extra_value_minor: i64,
    target_bp: i64,
    floor_bp: i64,
) -> Result<ChangeReview, DomainError> {
    let capacity = engine.check(demand, start_week)?;
    let extra = margin::margin(engine, &capacity, extra_value_minor, target_bp, floor_bp)?;
    let revised_budget_minor = budget_minor
        .checked_add(extra_value_minor)
        .ok_or(DomainError::Overflow)?;
    let revised_cost_minor = forecast_cost_minor
        .checked_add(extra.cost_minor)
        .ok_or(DomainError::Overflow)?;
    let margin = margin::judge(
        revised_budget_minor,
        revised_cost_minor,
        extra.unstaffed_cost_minor,
        target_bp,
        floor_bp,
    );
    Ok(ChangeReview {
        capacity,
        extra_cost_minor: extra.cost_minor,
        revised_budget_minor,
        revised_cost_minor,
        margin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::capacity::{CapacityInput, DemandLine, PersonInput, TentativeMode};
    use proptest::prelude::*;

    fn engine() -> Engine {
        let person = |id, cost| PersonInput {
            id,
            skills: vec![1],
            weekly_capacity: 40 * 60,
            cost_rate_minor: cost,
            time_off: vec![],
            ..PersonInput::default()
        };
        Engine::new(&CapacityInput {
            horizon_weeks: 20,
            people: vec![person(1, 5_000), person(2, 5_000)],
            allocations: vec![],
            tentative: TentativeMode::Exclude,
            skill_names: Vec::new(),
        })
        .unwrap()
    }

    fn extra(hours: i64, weeks: u32) -> Demand {
        Demand {
            lines: vec![DemandLine {
                skill: 1,
                minutes: hours * 60,
            }],
            weeks,
        }
    }

    #[test]
    fn a_decision_is_approve_or_reject_and_nothing_else() {
        assert_eq!(Decision::parse("approve"), Ok(Decision::Approve));
        assert_eq!(Decision::parse("reject"), Ok(Decision::Reject));
        for text in ["", "Approve", " approve", "accept", "yes"] {
            assert_eq!(
                Decision::parse(text),
                Err(DomainError::out_of_range(
                    "decision",
                    "must be \"approve\" or \"reject\""
                )),
                "{text:?}"
            );
        }
    }

    #[test]
    fn extra_work_that_fits_and_pays_needs_no_override() {
        // Budget 10,000.00 with 5,000.00 of cost forecast; +40 h at 50.00/h = 2,000.00
        // for 4,000.00 more: 14,000.00 against 7,000.00 is 50 %.
        let r = review(
            &engine(),
            &extra(40, 2),
            0,
            1_000_000,
            500_000,
            400_000,
            3_500,
            1_500,
        )
        .unwrap();
        assert_eq!(r.capacity.verdict, CapacityVerdict::Fits);
        assert_eq!(r.extra_cost_minor, 200_000);
        assert_eq!(r.revised_budget_minor, 1_400_000);
        assert_eq!(r.revised_cost_minor, 700_000);
        assert_eq!(r.margin.margin_bp, Some(5_000));
        assert!(!r.needs_override());
        assert!(r.blockers(true).is_empty());
    }

    #[test]
    fn more_than_the_team_can_do_is_short_and_needs_the_override() {
        // 200 h in one week: two people have 80 h.
        let r = review(
            &engine(),
            &extra(200, 1),
            0,
            1_000_000,
            0,
            10_000_000,
            3_500,
            1_500,
        )
        .unwrap();
        assert_eq!(r.capacity.verdict, CapacityVerdict::Short);
        assert!(r.needs_override());
        assert_eq!(
            r.blockers(false),
            vec!["the team is 120 h short for the extra work in the project's remaining weeks"]
        );
    }

    #[test]
    fn free_extra_scope_can_sink_the_margin_under_the_floor() {
        // 80 h more for nothing on a project already at 20 %.
        let r = review(
            &engine(),
            &extra(80, 1),
            0,
            1_000_000,
            800_000,
            0,
            3_500,
            1_500,
        )
        .unwrap();
        assert_eq!(r.capacity.verdict, CapacityVerdict::Tight);
        assert_eq!(r.margin.verdict, MarginVerdict::Block);
        assert_eq!(r.margin.margin_bp, Some(-2_000));
        assert!(r.needs_override());
        assert_eq!(
            r.blockers(true),
            vec!["the revised budget's margin (−20.0 %) is under the floor"]
        );
        assert_eq!(
            r.blockers(false),
            vec!["the revised budget's margin is under the floor"]
        );
    }

    proptest! {
        #[test]
        fn charging_more_for_the_same_work_never_lowers_the_margin(
            hours in 1_i64..300, weeks in 1_u32..6, budget in 0_i64..10_000_000,
            cost in 0_i64..10_000_000, value in 0_i64..10_000_000, more in 0_i64..10_000_000,
        ) {
            let e = engine();
            let a = review(&e, &extra(hours, weeks), 0, budget, cost, value, 3_500, 1_500).unwrap();
            let b = review(&e, &extra(hours, weeks), 0, budget, cost, value + more, 3_500, 1_500).unwrap();
            prop_assert_eq!(a.capacity, b.capacity);
            prop_assert_eq!(a.extra_cost_minor, b.extra_cost_minor);
            prop_assert!(b.margin.margin_bp.unwrap_or(i64::MIN) >= a.margin.margin_bp.unwrap_or(i64::MIN));
        }

        #[test]
        fn asking_for_more_hours_never_improves_capacity_or_cost(
            hours in 1_i64..300, more in 0_i64..300, weeks in 1_u32..6,
        ) {
            let e = engine();
            let a = review(&e, &extra(hours, weeks), 0, 1_000_000, 0, 500_000, 3_500, 1_500).unwrap();
            let b = review(&e, &extra(hours + more, weeks), 0, 1_000_000, 0, 500_000, 3_500, 1_500).unwrap();
            prop_assert!(b.capacity.verdict >= a.capacity.verdict);
            prop_assert!(b.extra_cost_minor >= a.extra_cost_minor);
            prop_assert!(b.needs_override() || !a.needs_override());
        }
    }
}
