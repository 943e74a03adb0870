//! The home dashboard's numbers: the weighted forecast by month, the win rate, and the
//! team's utilisation by week.

use super::calendar::Date;
use super::capacity::{AllocationKind, CapacityInput};
use super::pipeline::weighted_value;
use serde::{Deserialize, Serialize};

/// One month of the forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthForecast {
    /// Year.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
    /// Σ value × probability, minor units.
    pub weighted_minor: i64,
    /// Σ value, minor units.
    pub total_minor: i64,
    /// Open deals expected to close that month.
    pub deals: i64,
}

/// An open deal for the forecast: value, probability in percent, expected close date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForecastDeal {
    /// Value, minor units.
    pub value_minor: i64,
    /// Win probability, 0–100.
    pub probability_pct: i64,
    /// Expected close, if set.
    pub expected_close: Option<Date>,
}

/// The weighted forecast for `months` months from `today`'s month. Deals expected before
/// this month (overdue) or without a date count in this month — they are still open, so
/// they are still to be won now; deals after the last month are left out.
pub fn forecast_by_month(deals: &[ForecastDeal], today: Date, months: u32) -> Vec<MonthForecast> {
    let (year, month, _) = today.ymd();
    let mut out: Vec<MonthForecast> = (0..months)
        .map(|k| {
            let m0 = month - 1 + k;
            MonthForecast {
                year: year + (m0 / 12) as i32,
                month: m0 % 12 + 1,
                weighted_minor: 0,
                total_minor: 0,
                deals: 0,
            }
        })
        .collect();
    for d in deals {
        let index = match d.expected_close {
            None => 0,
            Some(date) => {
                let (y, m, _) = date.ymd();
                let k = (y - year) * 12 + m as i32 - month as i32;
                if k >= months as i32 {
                    continue;
                }
                k.max(0) as usize
            }
        };
        let Some(slot) = out.get_mut(index) else {
            continue;
        };
        let weighted = weighted_value(d.value_minor, d.probability_pct.clamp(0, 100)).unwrap_or(0);
        slot.weighted_minor = slot.weighted_minor.saturating_add(weighted);
        slot.total_minor = slot.total_minor.saturating_add(d.value_minor);
        slot.deals += 1;
    }
    out
}

/// Won / (won + lost), basis points; `None` when nothing was decided.
pub fn win_rate_bp(won: i64, lost: i64) -> Option<i64> {
    (won + lost > 0).then(|| won * 10_000 / (won + lost))
}

/// The team's hours in one week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekLoad {
    /// Capacity minus time off, minutes.
    pub available: i64,
    /// Confirmed work on projects, minutes.
    pub confirmed: i64,
    /// Tentative work on open deals weighted by their probability, minutes.
    pub tentative_weighted: i64,
}

impl WeekLoad {
    /// Confirmed / available, basis points (0 when nobody is available).
    pub fn utilisation_bp(&self) -> i64 {
        if self.available <= 0 {
            0
        } else {
            self.confirmed * 10_000 / self.available
        }
    }

    /// (Confirmed + weighted tentative) / available, basis points.
    pub fn with_pipeline_bp(&self) -> i64 {
        if self.available <= 0 {
            0
        } else {
            (self.confirmed + self.tentative_weighted) * 10_000 / self.available
        }
    }
}

/// The load of every week of `input`'s horizon.
pub fn week_loads(input: &CapacityInput) -> Vec<WeekLoad> {
    let weeks = input.horizon_weeks as usize;
    let mut out = vec![
        WeekLoad {
            available: 0,
            confirmed: 0,
            tentative_weighted: 0,
        };
        weeks
    ];
    for p in &input.people {
        for (w, slot) in out.iter_mut().enumerate() {
            let off: i64 = p
                .time_off
                .iter()
                .filter(|(week, _)| *week as usize == w)
                .map(|(_, m)| m)
                .sum();
            slot.available += (p.weekly_capacity - off).max(0);
        }
    }
    let active: std::collections::HashSet<i64> = input.people.iter().map(|p| p.id).collect();
    for a in &input.allocations {
        if !active.contains(&a.person_id) {
            continue;
        }
        let Some(slot) = out.get_mut(a.week as usize) else {
            continue;
        };
        match a.kind {
            AllocationKind::Confirmed => slot.confirmed += a.minutes,
            AllocationKind::Tentative { probability_pct } => {
                slot.tentative_weighted += (a.minutes * probability_pct.clamp(0, 100) + 50) / 100
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::capacity::{AllocationInput, PersonInput, TentativeMode};
    use proptest::prelude::*;

    fn deal(value: i64, pct: i64, on: Option<&str>) -> ForecastDeal {
        ForecastDeal {
            value_minor: value,
            probability_pct: pct,
            expected_close: on.and_then(Date::parse),
        }
    }

    #[test]
    fn the_forecast_buckets_by_month_across_the_year_end() {
        let today = Date::parse("2026-11-22").unwrap();
        let months = forecast_by_month(
            &[
                deal(10_000, 50, Some("2026-11-30")),
                deal(20_000, 25, Some("2026-10-01")), // overdue: this month
                deal(30_000, 10, None),               // no date: this month
                deal(40_000, 50, Some("2027-01-15")),
                deal(99_900, 90, Some("2027-05-01")), // beyond the window
            ],
            today,
            6,
        );
        assert_eq!(months.len(), 6);
        assert_eq!((months[0].year, months[0].month), (2026, 11));
        assert_eq!((months[2].year, months[2].month), (2027, 1));
        assert_eq!((months[5].year, months[5].month), (2027, 4));
        assert_eq!(months[0].weighted_minor, 5_000 + 5_000 + 3_000);
        assert_eq!(months[0].deals, 3);
        assert_eq!(months[0].total_minor, 60_000);
        assert_eq!(months[1].deals, 0);
        assert_eq!(months[2].weighted_minor, 20_000);
        assert_eq!(months.iter().map(|m| m.deals).sum::<i64>(), 4);
    }

    #[test]
    fn win_rate_is_won_over_decided() {
        assert_eq!(win_rate_bp(0, 0), None);
        assert_eq!(win_rate_bp(3, 1), Some(7_500));
        assert_eq!(win_rate_bp(0, 4), Some(0));
    }

    #[test]
    fn week_loads_count_time_off_confirmed_and_weighted_tentative_work() {
        let input = CapacityInput {
            horizon_weeks: 2,
            people: vec![
                PersonInput {
                    id: 1,
                    skills: vec![],
                    weekly_capacity: 2_400,
                    cost_rate_minor: 0,
                    time_off: vec![(1, 480)],
                    ..PersonInput::default()
                },
                PersonInput {
                    id: 2,
                    skills: vec![],
                    weekly_capacity: 2_400,
                    cost_rate_minor: 0,
                    time_off: vec![],
                    ..PersonInput::default()
                },
            ],
            allocations: vec![
                AllocationInput {
                    person_id: 1,
                    week: 0,
                    minutes: 1_200,
                    kind: AllocationKind::Confirmed,
                },
                AllocationInput {
                    person_id: 2,
                    week: 0,
                    minutes: 600,
                    kind: AllocationKind::Tentative {
                        probability_pct: 50,
                    },
                },
                AllocationInput {
                    person_id: 9,
                    week: 0,
                    minutes: 600,
                    kind: AllocationKind::Confirmed,
                },
            ],
            tentative: TentativeMode::Weighted,
            skill_names: Vec::new(),
        };
        let loads = week_loads(&input);
        assert_eq!(loads[0].available, 4_800);
        assert_eq!(loads[1].available, 4_320);
        assert_eq!(loads[0].confirmed, 1_200);
        assert_eq!(loads[0].tentative_weighted, 300);
        assert_eq!(loads[0].utilisation_bp(), 2_500);
        assert_eq!(loads[0].with_pipeline_bp(), 3_125);
        assert_eq!(loads[1].utilisation_bp(), 0);
    }

    proptest! {
        #[test]
        fn the_forecast_never_invents_or_loses_deals_in_the_window(
            deals in proptest::collection::vec((0_i64..1_000_000, 0_i64..=100, proptest::option::of(-400_i32..400)), 0..40),
            months in 1_u32..24,
        ) {
            let today = Date::parse("2026-11-22").unwrap();
            let list: Vec<ForecastDeal> = deals.iter().map(|(v, p, d)| ForecastDeal {
                value_minor: *v, probability_pct: *p, expected_close: d.map(|d| today.add_days(d)),
            }).collect();
            let out = forecast_by_month(&list, today, months);
            let (y, m, _) = today.ymd();
            let inside = list.iter().filter(|d| match d.expected_close {
                None => true,
                Some(date) => { let (dy, dm, _) = date.ymd(); (dy - y) * 12 + dm as i32 - (m as i32) < months as i32 }
            }).count() as i64;
            prop_assert_eq!(out.iter().map(|m| m.deals).sum::<i64>(), inside);
            for slot in &out {
                prop_assert!(slot.weighted_minor <= slot.total_minor);
            }
        }
    }
}
