//! Closing a deal: both checks together, as the close dialog previews them and the
//! server decides them.

use super::burn::{self, Burn, Work};
use super::capacity::{
    CapacityReport, CapacityVerdict, Demand, Engine, StaffingLine, DEFAULT_EARLIEST_START_WITHIN,
};
use super::margin::{self, MarginReport, MarginVerdict};
use super::DomainError;
use serde::{Deserialize, Serialize};

/// Capacity and margin of a deal at a start week with a staffing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseEvaluation {
    /// Per skill and week, the verdict, the staffing (suggested or as given).
    pub capacity: CapacityReport,
    /// Cost and margin of that staffing.
    pub margin: MarginReport,
    /// The earliest start week at which the suggestion would not be short, if any.
    pub earliest_start: Option<u32>,
    /// The project's burn on its first day, as its page will compute it: budget (the
    /// deal's value), forecast at completion (the staffing at bill rates), forecast margin
    /// (at cost rates) and the risks it would show.
    pub day_one: Burn,
}

impl CloseEvaluation {
    /// Whether closing needs the override permission and a written reason: the team is
    /// short, or the margin is under the floor.
    pub fn needs_override(&self) -> bool {
        self.capacity.verdict == CapacityVerdict::Short
            || self.margin.verdict == MarginVerdict::Block
    }

    /// What blocks the close, as sentences (empty when nothing does).
    pub fn blockers(&self) -> Vec<String> {
        self.blockers_with(true)
    }

    /// What blocks the close, the margin's percentage only with `margin_figure`: a margin
    /// of a staffing the caller chose would give people's cost rates away to someone who
    /// may not see them.
    pub fn blockers_with(&self, margin_figure: bool) -> Vec<String> {
        let mut out = Vec::new();
        if self.capacity.verdict == CapacityVerdict::Short {
            let minutes: i64 = self.capacity.cells.iter().map(|c| c.shortfall).sum();
            if !self.capacity.overbooked.is_empty() {
                out.push("someone is booked beyond their free time".to_string());
            }
            if minutes > 0 && self.capacity.coverable {
                out.push(format!(
                    "the staffing leaves {} unassigned (the team has the time: try the suggestion)",
                    duration(minutes)
                ));
            } else if minutes > 0 {
                out.push(format!("the team is {} short", duration(minutes)));
            }
        }
        if self.margin.verdict == MarginVerdict::Block {
            out.push(match self.margin.margin_bp {
                Some(bp) if margin_figure => {
                    format!("the margin ({}) is under the floor", percent(bp))
                }
                Some(_) => "the margin is under the floor".to_string(),
                None => "the deal has no value to earn a margin on".to_string(),
            });
        }
        out
    }
}

/// Minutes as a sentence says them: "30 min", "1 h", "12.5 h", "13.72 h".
pub fn duration(minutes: i64) -> String {
    if minutes.abs() < 60 {
        format!("{minutes} min")
    } else {
        format!("{} h", super::validate::hours_shown(minutes))
    }
}

/// Longest project name the database keeps.
pub const PROJECT_NAME_MAX: usize = 200;

/// The name of the project a won deal spawns: `Client — Deal title`, at most
/// [`PROJECT_NAME_MAX`] characters. When both are long, each part is shortened (ending in
/// `…`) so both stay recognisable; a short part keeps all of its characters.
pub fn project_name(client: &str, title: &str) -> String {
    const SEPARATOR: &str = " — ";
    let (client, title) = (client.trim(), title.trim());
    let whole = format!("{client}{SEPARATOR}{title}");
    if whole.chars().count() <= PROJECT_NAME_MAX {
        return whole;
    }
    let room = PROJECT_NAME_MAX - SEPARATOR.chars().count();
    let (c, t) = (client.chars().count(), title.chars().count());
    // Give the shorter part what it needs up to half; the other takes the rest.
    let half = room / 2;
    let (c_keep, t_keep) = if c <= half {
        (c, room - c)
    } else if t <= half {
        (room - t, t)
    } else {
        (half, room - half)
    };
    format!(
        "{}{SEPARATOR}{}",
        shorten(client, c_keep),
        shorten(title, t_keep)
    )
}

/// `text` cut to at most `max` characters, ending in `…` when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Basis points as a percentage with one decimal: 3450 → "34.5 %".
pub fn percent(bp: i64) -> String {
    let sign = if bp < 0 { "−" } else { "" };
    let bp = bp.unsigned_abs();
    format!("{sign}{}.{} %", bp / 100, (bp % 100) / 10)
}

/// Evaluates closing `demand` worth `value_minor` from `start_week`: with `staffing` as
/// given, or the engine's suggestion when `None`; margin against `target_bp` and
/// `floor_bp`; the earliest start that fits.
pub fn evaluate(
    engine: &Engine,
    demand: &Demand,
    start_week: u32,
    staffing: Option<&[StaffingLine]>,
    value_minor: i64,
    target_bp: i64,
    floor_bp: i64,
) -> Result<CloseEvaluation, DomainError> {
    let capacity = match staffing {
        Some(lines) => engine.evaluate(demand, start_week, lines)?,
        None => engine.check(demand, start_week)?,
    };
    let margin = margin::margin(engine, &capacity, value_minor, target_bp, floor_bp)?;
    let earliest_start = engine.earliest_start(demand, DEFAULT_EARLIEST_START_WITHIN)?;
    let day_one = day_one(engine, &capacity, demand.weeks, value_minor, floor_bp);
    Ok(CloseEvaluation {
        capacity,
        margin,
        earliest_start,
        day_one,
    })
}

/// A staffing as the allocations a close writes: minutes per person and week (skills
/// added up), in the order first seen; empty lines left out.
pub fn per_person_week(staffing: &[StaffingLine]) -> Vec<(i64, u32, i64)> {
    let mut cells: Vec<(i64, u32, i64)> = Vec::new();
    for line in staffing.iter().filter(|l| l.minutes > 0) {
        match cells
            .iter_mut()
            .find(|(p, w, _)| *p == line.person_id && *w == line.week)
        {
            Some((_, _, m)) => *m += line.minutes,
            None => cells.push((line.person_id, line.week, line.minutes)),
        }
    }
    cells
}

/// The burn the project's page will show on its first day: nothing logged yet, the
/// staffing as its confirmed allocations (one per person and week, as the close writes
/// them), priced at each person's bill and cost rates, the budget being the deal's value.
pub fn day_one(
    engine: &Engine,
    capacity: &CapacityReport,
    weeks: u32,
    value_minor: i64,
    floor_bp: i64,
) -> Burn {
    let planned: Vec<Work> = per_person_week(&capacity.staffing)
        .into_iter()
        .map(|(person, week, minutes)| Work {
            week: week.saturating_sub(capacity.start_week),
            minutes,
            billable: true,
            bill_rate: engine.bill_rate(person).unwrap_or(0),
            cost_rate: engine.cost_rate(person).unwrap_or(0),
        })
        .collect();
    burn::burn(value_minor, weeks, 0, &[], &[], &planned, floor_bp)
}

/// What the close dialog shows: the evaluation, with amounts derived from cost rates only
/// for those who may see cost rates (everyone else gets percentages and verdicts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosePreview {
    /// Per skill and week, the verdict and the staffing.
    pub capacity: CapacityReport,
    /// Margin in basis points (`None` with no value).
    pub margin_bp: Option<i64>,
    /// Pass, warn or block.
    pub margin_verdict: MarginVerdict,
    /// Cost of the staffing, minor units: only with "view cost rates".
    pub cost_minor: Option<i64>,
    /// The largest discount that keeps the floor, minor units: only with "view cost rates".
    pub max_discount_minor: Option<i64>,
    /// The earliest start week that fits, if any.
    pub earliest_start: Option<u32>,
    /// Whether closing needs an override.
    pub needs_override: bool,
    /// What blocks the close.
    pub blockers: Vec<String>,
    /// The budget the project starts with (the deal's value): only with "view deal values".
    #[serde(default)]
    pub budget_minor: Option<i64>,
    /// Its forecast at completion on day one (the staffing at bill rates): only with "view
    /// deal values".
    #[serde(default)]
    pub forecast_minor: Option<i64>,
    /// Why the project page would show it at risk from its first day (empty: it would
    /// not), as far as the caller may be told.
    #[serde(default)]
    pub day_one_risks: Vec<String>,
}

impl ClosePreview {
    /// The preview of `evaluation`, cost amounts kept only if `may_see_costs`, the budget
    /// and forecast only if `may_see_values`.
    pub fn of(evaluation: &CloseEvaluation, may_see_costs: bool, may_see_values: bool) -> Self {
        Self {
            capacity: evaluation.capacity.clone(),
            margin_bp: evaluation.margin.margin_bp,
            margin_verdict: evaluation.margin.verdict,
            cost_minor: may_see_costs.then_some(evaluation.margin.cost_minor),
            max_discount_minor: may_see_costs.then_some(evaluation.margin.max_discount_minor),
            earliest_start: evaluation.earliest_start,
            needs_override: evaluation.needs_override(),
            blockers: evaluation.blockers(),
            budget_minor: may_see_values.then_some(evaluation.day_one.budget_minor),
            forecast_minor: may_see_values.then_some(evaluation.day_one.forecast_minor),
            day_one_risks: burn::visible_risks(&evaluation.day_one, may_see_values, may_see_costs),
        }
    }

    /// The preview without the margin's figure (verdicts stay): for a staffing chosen by
    /// a caller who may not see cost rates.
    pub fn without_margin_figure(mut self, evaluation: &CloseEvaluation) -> Self {
        self.margin_bp = None;
        self.blockers = evaluation.blockers_with(false);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::capacity::{CapacityInput, DemandLine, PersonInput, TentativeMode};

    fn engine() -> Engine {
        let person = |id, skill, cost| PersonInput {
            id,
            skills: vec![skill],
            weekly_capacity: 40 * 60,
            cost_rate_minor: cost,
            bill_rate_minor: 10_000,
            time_off: vec![],
            ..PersonInput::default()
        };
        Engine::new(&CapacityInput {
            horizon_weeks: 20,
            people: vec![person(1, 1, 5_000), person(2, 1, 6_000)],
            allocations: vec![],
            tentative: TentativeMode::Exclude,
            skill_names: Vec::new(),
        })
        .unwrap()
    }

    fn demand(hours: i64, weeks: u32) -> Demand {
        Demand {
            lines: vec![DemandLine {
                skill: 1,
                minutes: hours * 60,
            }],
            weeks,
        }
    }

    #[test]
    fn a_deal_that_fits_at_a_good_price_needs_no_override() {
        // 100 h at 50.00/h = 5,000.00 cost; value 10,000.00: 50 % margin.
        let e = evaluate(&engine(), &demand(100, 4), 0, None, 1_000_000, 3_500, 1_500).unwrap();
        assert_eq!(e.capacity.verdict, CapacityVerdict::Fits);
        assert_eq!(e.margin.margin_bp, Some(5_000));
        assert!(!e.needs_override());
        assert!(e.blockers().is_empty());
        let hidden = ClosePreview::of(&e, false, true);
        assert_eq!((hidden.cost_minor, hidden.max_discount_minor), (None, None));
        assert_eq!(hidden.margin_bp, Some(5_000));
        assert_eq!(ClosePreview::of(&e, true, true).cost_minor, Some(500_000));
        // Billed at 100.00/h the work is worth exactly the value: on budget from day one.
        assert_eq!(e.day_one.forecast_minor, 1_000_000);
        assert!(e.day_one.risks.is_empty());
        assert!(ClosePreview::of(&e, true, true).day_one_risks.is_empty());
    }

    #[test]
    fn a_staffing_that_leaves_hours_out_says_so_when_the_team_has_the_time() {
        let line = StaffingLine {
            person_id: 1,
            skill: 1,
            week: 0,
            minutes: 30 * 60,
        };
        let e = evaluate(
            &engine(),
            &demand(40, 1),
            0,
            Some(&[line]),
            10_000_000,
            3_500,
            1_500,
        )
        .unwrap();
        assert_eq!(e.capacity.verdict, CapacityVerdict::Short);
        assert_eq!(
            e.blockers(),
            vec![
                "the staffing leaves 10 h unassigned (the team has the time: try the suggestion)"
                    .to_string()
            ]
        );
    }

    #[test]
    fn half_an_hour_short_says_thirty_minutes() {
        // 80 h 30 min over two weeks of two people with 40 h each.
        let mut d = demand(80, 1);
        d.lines[0].minutes += 30;
        let e = evaluate(&engine(), &d, 0, None, 10_000_000, 3_500, 1_500).unwrap();
        assert_eq!(e.blockers(), vec!["the team is 30 min short".to_string()]);
        assert_eq!(duration(90), "1.5 h");
    }

    #[test]
    fn a_close_that_passes_says_when_its_project_would_start_at_risk() {
        // 100 h at 50.00/h cost, billed at 100.00/h = 10,000.00 against a value of
        // 9,000.00: the margin (44.4 %) passes, but the project page would say at once
        // that the forecast is over the budget — and the dialog says so too.
        let e = evaluate(&engine(), &demand(100, 4), 0, None, 900_000, 3_500, 1_500).unwrap();
        assert_eq!(e.margin.verdict, MarginVerdict::Pass);
        assert_eq!(
            (e.day_one.budget_minor, e.day_one.forecast_minor),
            (900_000, 1_000_000)
        );
        assert_eq!(e.day_one.forecast_margin_bp, e.margin.margin_bp);
        let shown = ClosePreview::of(&e, true, true);
        assert_eq!(
            shown.day_one_risks,
            vec!["the forecast at completion is over the budget".to_string()]
        );
        assert_eq!(shown.forecast_minor, Some(1_000_000));
        let no_values = ClosePreview::of(&e, false, false);
        assert_eq!(
            (no_values.budget_minor, no_values.forecast_minor),
            (None, None)
        );
        assert_eq!(
            no_values.day_one_risks,
            vec!["its budget or margin is at risk".to_string()]
        );
    }

    #[test]
    fn short_or_under_the_floor_needs_an_override() {
        // 100 h a week for 2 weeks: 20 h a week short.
        let short = evaluate(
            &engine(),
            &demand(200, 2),
            0,
            None,
            10_000_000,
            3_500,
            1_500,
        )
        .unwrap();
        assert_eq!(short.capacity.verdict, CapacityVerdict::Short);
        assert!(short.needs_override());
        assert_eq!(short.blockers(), vec!["the team is 40 h short".to_string()]);
        // It fits from week 0? No: 100 h a week never fits two people of 40 h.
        assert_eq!(short.earliest_start, None);
        // Fits, but sold at cost.
        let cheap = evaluate(&engine(), &demand(100, 4), 0, None, 500_000, 3_500, 1_500).unwrap();
        assert_eq!(cheap.margin.verdict, MarginVerdict::Block);
        assert_eq!(
            cheap.blockers(),
            vec!["the margin (0.0 %) is under the floor".to_string()]
        );
    }

    #[test]
    fn percentages_read_naturally() {
        assert_eq!(percent(3_450), "34.5 %");
        assert_eq!(percent(0), "0.0 %");
        assert_eq!(percent(-1_250), "−12.5 %");
    }

    #[test]
    fn project_names_fit_the_column() {
        assert_eq!(project_name("Acme", "Website"), "Acme — Website");
        let long_title = "T".repeat(200);
        let long_client = "C".repeat(200);
        let name = project_name(&long_client, &long_title);
        assert_eq!(name.chars().count(), PROJECT_NAME_MAX);
        assert!(name.starts_with("CCC") && name.contains(" — TTT") && name.ends_with('…'));
        let name = project_name("Acme", &long_title);
        assert!(name.starts_with("Acme — TTT") && name.chars().count() == PROJECT_NAME_MAX);
        let name = project_name(&"İ".repeat(200), "Redesign");
        assert!(name.ends_with(" — Redesign") && name.chars().count() == PROJECT_NAME_MAX);
    }

    proptest::proptest! {
        #[test]
        fn any_project_name_fits(client in ".{1,300}", title in ".{1,300}") {
            let name = project_name(&client, &title);
            proptest::prop_assert!(name.chars().count() <= PROJECT_NAME_MAX);
        }
    }
}
