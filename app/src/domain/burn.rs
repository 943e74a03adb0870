//! Budget burn: what a project has used of its budget, what it will use by the end, and
//! whether it is at risk.
//!
//! Spent = billable time logged × each person's bill rate. Forecast at completion =
//! spent + confirmed allocations from this week on × bill rate. Cost uses cost rates for
//! all time logged and planned. A project is at risk when its burn runs more than 10
//! points ahead of its progress (the share of its planned hours already past), when the
//! forecast exceeds the budget, or when the forecast margin falls under the floor.

use super::margin::cost_of;
use serde::{Deserialize, Serialize};

/// Logged or planned minutes of one person in one week, with their rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Work {
    /// Week index from the project's first week.
    pub week: u32,
    /// Minutes.
    pub minutes: i64,
    /// Whether it is billable (planned work always is).
    pub billable: bool,
    /// Hourly bill rate, minor units.
    pub bill_rate: i64,
    /// Hourly cost rate, minor units.
    pub cost_rate: i64,
}

/// The project's burn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Burn {
    /// Budget, minor units.
    pub budget_minor: i64,
    /// Billable time × bill rate.
    pub spent_minor: i64,
    /// Budget − spent.
    pub remaining_minor: i64,
    /// Spent + remaining planned × bill rate.
    pub forecast_minor: i64,
    /// Cost of all time logged and planned ahead.
    pub forecast_cost_minor: i64,
    /// (budget − forecast cost) / budget, basis points.
    pub forecast_margin_bp: Option<i64>,
    /// Spent / budget, basis points.
    pub burn_bp: i64,
    /// Planned hours already past / all planned hours, basis points.
    pub progress_bp: i64,
    /// Why it is at risk (empty: it is not).
    pub risks: Vec<Risk>,
    /// Per week: cumulative planned and logged minutes.
    pub weeks: Vec<(i64, i64)>,
}

/// Why a project is at risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Risk {
    /// More of the budget is spent than of the planned work is done (by over 10 points).
    BurningAhead {
        /// Spent / budget, whole percent.
        burn_pct: i64,
        /// Planned hours past / all planned hours, whole percent.
        progress_pct: i64,
    },
    /// Spent plus the planned work ahead comes to more than the budget.
    OverBudget,
    /// The forecast margin is under the workspace's floor.
    MarginUnderFloor,
}

impl Risk {
    /// The risk as a sentence.
    pub fn text(self) -> String {
        match self {
            Self::BurningAhead {
                burn_pct,
                progress_pct,
            } => format!(
                "{burn_pct} % of the budget is spent at {progress_pct} % of the planned work"
            ),
            Self::OverBudget => "the forecast at completion is over the budget".to_string(),
            Self::MarginUnderFloor => "the forecast margin is under the floor".to_string(),
        }
    }

    /// Whether someone who sees values (`values`) and cost amounts (`cost_amounts`) may
    /// be told of it: the budget's risks need values, the margin's need cost amounts.
    pub fn visible_to(self, values: bool, cost_amounts: bool) -> bool {
        match self {
            Self::BurningAhead { .. } | Self::OverBudget => values,
            Self::MarginUnderFloor => cost_amounts,
        }
    }
}

/// The risks of `burn` a caller may see, as sentences; when the project is at risk for
/// reasons they may not see, one sentence that says so without a figure.
pub fn visible_risks(burn: &Burn, values: bool, cost_amounts: bool) -> Vec<String> {
    let shown: Vec<String> = burn
        .risks
        .iter()
        .filter(|r| r.visible_to(values, cost_amounts))
        .map(|r| r.text())
        .collect();
    if shown.is_empty() && burn.at_risk() {
        vec!["its budget or margin is at risk".to_string()]
    } else {
        shown
    }
}

impl Burn {
    /// Whether the project is at risk.
    pub fn at_risk(&self) -> bool {
        !self.risks.is_empty()
    }
}

/// Computes the burn of a project of `weeks` weeks whose week `current` is this week
/// (0 before it starts, `weeks` after it ends), from the time logged (`logged`, whose
/// weeks are not used: money only; `logged_weekly`, minutes per week index, for the
/// chart) and the allocations (`planned`).
pub fn burn(
    budget_minor: i64,
    weeks: u32,
    current: u32,
    logged: &[Work],
    logged_weekly: &[(u32, i64)],
    planned: &[Work],
    floor_bp: i64,
) -> Burn {
    let value = |w: &Work, rate: i64| cost_of(w.minutes, rate).unwrap_or(i64::MAX / 4);
    let spent: i64 = logged
        .iter()
        .filter(|w| w.billable)
        .map(|w| value(w, w.bill_rate))
        .sum();
    let ahead: Vec<&Work> = planned.iter().filter(|w| w.week >= current).collect();
    let forecast = spent + ahead.iter().map(|w| value(w, w.bill_rate)).sum::<i64>();
    let forecast_cost = logged.iter().map(|w| value(w, w.cost_rate)).sum::<i64>()
        + ahead.iter().map(|w| value(w, w.cost_rate)).sum::<i64>();
    let planned_total: i64 = planned.iter().map(|w| w.minutes).sum();
    let planned_past: i64 = planned
        .iter()
        .filter(|w| w.week < current)
        .map(|w| w.minutes)
        .sum();
    let bp = |part: i64, whole: i64| {
        if whole <= 0 {
            0
        } else {
            ((i128::from(part) * 10_000) / i128::from(whole)) as i64
        }
    };
    let burn_bp = bp(spent, budget_minor);
    let progress_bp = bp(planned_past, planned_total);
    let forecast_margin_bp = (budget_minor > 0).then(|| {
        ((i128::from(budget_minor) - i128::from(forecast_cost)) * 10_000)
            .div_euclid(i128::from(budget_minor)) as i64
    });
    let mut risks = Vec::new();
    if burn_bp > progress_bp + 1_000 {
        risks.push(Risk::BurningAhead {
            burn_pct: burn_bp / 100,
            progress_pct: progress_bp / 100,
        });
    }
    if forecast > budget_minor {
        risks.push(Risk::OverBudget);
    }
    if forecast_margin_bp.is_some_and(|m| m < floor_bp) {
        risks.push(Risk::MarginUnderFloor);
    }
    let mut cumulative = (0, 0);
    let weeks_out = (0..weeks)
        .map(|k| {
            cumulative.0 += planned
                .iter()
                .filter(|w| w.week == k)
                .map(|w| w.minutes)
                .sum::<i64>();
            cumulative.1 += logged_weekly
                .iter()
                .filter(|(w, _)| *w == k)
                .map(|(_, m)| m)
                .sum::<i64>();
            cumulative
        })
        .collect();
    Burn {
        budget_minor,
        spent_minor: spent,
        remaining_minor: budget_minor - spent,
        forecast_minor: forecast,
        forecast_cost_minor: forecast_cost,
        forecast_margin_bp,
        burn_bp,
        progress_bp,
        risks,
        weeks: weeks_out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weekly(logged: &[Work]) -> Vec<(u32, i64)> {
        logged.iter().map(|w| (w.week, w.minutes)).collect()
    }

    fn work(week: u32, hours: i64, billable: bool) -> Work {
        Work {
            week,
            minutes: hours * 60,
            billable,
            bill_rate: 10_000,
            cost_rate: 5_000,
        }
    }

    #[test]
    fn on_track_spends_as_it_progresses() {
        // 4 weeks of 10 h at 100.00 = 4,000.00 budget; halfway, 20 h logged.
        let planned: Vec<Work> = (0..4).map(|w| work(w, 10, true)).collect();
        let logged = [work(0, 10, true), work(1, 10, true)];
        let b = burn(400_000, 4, 2, &logged, &weekly(&logged), &planned, 1_500);
        assert_eq!(
            (b.spent_minor, b.remaining_minor, b.forecast_minor),
            (200_000, 200_000, 400_000)
        );
        assert_eq!((b.burn_bp, b.progress_bp), (5_000, 5_000));
        assert_eq!(b.forecast_cost_minor, 200_000);
        assert_eq!(b.forecast_margin_bp, Some(5_000));
        assert!(!b.at_risk(), "{:?}", b.risks);
        assert_eq!(
            b.weeks,
            vec![(600, 600), (1_200, 1_200), (1_800, 1_200), (2_400, 1_200)]
        );
    }

    #[test]
    fn burning_ahead_of_progress_is_at_risk() {
        let planned: Vec<Work> = (0..4).map(|w| work(w, 10, true)).collect();
        // A quarter through, 25 h logged: 62 % of the budget.
        let logged = [work(0, 25, true)];
        let b = burn(400_000, 4, 1, &logged, &weekly(&logged), &planned, 1_500);
        assert!(b.at_risk());
        assert!(
            b.risks[0]
                .text()
                .contains("62 % of the budget is spent at 25 %"),
            "{:?}",
            b.risks
        );
        assert!(b.risks.contains(&Risk::OverBudget));
    }

    #[test]
    fn non_billable_time_costs_but_does_not_spend_and_can_sink_the_margin() {
        let planned: Vec<Work> = (0..2).map(|w| work(w, 10, true)).collect();
        let logged = [work(0, 10, true), work(0, 30, false)];
        let b = burn(200_000, 2, 1, &logged, &weekly(&logged), &planned, 1_500);
        assert_eq!(b.spent_minor, 100_000);
        // Cost: 40 h logged + 10 h planned at 50.00 = 2,500.00 against 2,000.00.
        assert_eq!(b.forecast_cost_minor, 250_000);
        assert_eq!(b.forecast_margin_bp, Some(-2_500));
        assert!(b.risks.contains(&Risk::MarginUnderFloor));
        // Told only to those who may see cost amounts; the rest learn it is at risk.
        assert!(!visible_risks(&b, true, false).contains(&Risk::MarginUnderFloor.text()));
        assert!(visible_risks(&b, true, true).contains(&Risk::MarginUnderFloor.text()));
        assert_eq!(
            visible_risks(&b, false, false),
            vec!["its budget or margin is at risk"]
        );
    }
}
