//! The capacity planner's numbers: per person and week what is available, what is booked
//! (confirmed on projects, tentative on open deals), how full that is; per skill and week
//! capacity against demand, with the pipeline's open deals added in weighted or
//! pessimistic (all at 100 %) mode; and the pipeline demand nobody is assigned to yet.

use crate::domain::calendar::{Date, Today};
use crate::domain::DomainError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// How open deals count in the planner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DemandMode {
    /// Only confirmed work.
    Off,
    /// Open deals' estimates (and tentative allocations) weighted by probability.
    Weighted,
    /// Every open deal as if won.
    Pessimistic,
}

impl DemandMode {
    /// From the URL's `demand` value.
    pub fn parse(text: &str) -> Self {
        match text {
            "weighted" => Self::Weighted,
            "pessimistic" => Self::Pessimistic,
            _ => Self::Off,
        }
    }

    /// The URL's `demand` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Weighted => "weighted",
            Self::Pessimistic => "pessimistic",
        }
    }

    /// `minutes` of a deal at `probability_pct`, as this mode counts them.
    pub fn count(self, minutes: i64, probability_pct: i64) -> i64 {
        match self {
            Self::Off => 0,
            Self::Weighted => (minutes * probability_pct.clamp(0, 100) + 50) / 100,
            Self::Pessimistic => minutes,
        }
    }
}

/// What an allocation books a person's hours on: a running project (confirmed work) or an
/// open deal (tentative work). Written `project:ID` or `deal:ID` in forms and events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AllocationTarget {
    /// A project, by id.
    Project(i64),
    /// An open deal, by id.
    Deal(i64),
}

impl AllocationTarget {
    /// From a form's `project:ID` or `deal:ID`; a field error on `field` otherwise.
    pub fn parse(field: &str, text: &str) -> Result<Self, DomainError> {
        let bad = || DomainError::out_of_range(field, "must be project:ID or deal:ID");
        let (kind, id) = text.split_once(':').ok_or_else(bad)?;
        let id = id.parse::<i64>().map_err(|_| bad())?;
        match kind {
            "project" => Ok(Self::Project(id)),
            "deal" => Ok(Self::Deal(id)),
            _ => Err(bad()),
        }
    }

    /// The project's or the deal's id.
    pub fn id(self) -> i64 {
        match self {
            Self::Project(id) | Self::Deal(id) => id,
        }
    }
}

impl fmt::Display for AllocationTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Project(id) => write!(f, "project:{id}"),
            Self::Deal(id) => write!(f, "deal:{id}"),
        }
    }
}

/// A date typed into `field` that must be the first day of one of the workspace's weeks
/// (a Monday, unless its weeks start on another day).
pub fn week_first_day(field: &str, text: &str, today: Today) -> Result<Date, DomainError> {
    let date = Date::parse(text.trim())
        .ok_or_else(|| DomainError::out_of_range(field, "must be a date like 2027-01-11"))?;
    if !today.starts_a_week(date) {
        return Err(DomainError::out_of_range(
            field,
            format!(
                "must be the first day of a week (a {})",
                today.week_start.name()
            ),
        ));
    }
    Ok(date)
}

/// Planner edits reach from a year back to two years ahead of this week; a field error on
/// `week` for any other week.
pub fn in_range(week: Date, today: Today) -> Result<(), DomainError> {
    let days = today.this_week().days_until(week);
    if !(-52 * 7..=104 * 7).contains(&days) {
        return Err(DomainError::out_of_range(
            "week",
            "must be within a year back and two years ahead",
        ));
    }
    Ok(())
}

/// The week containing the date typed into `field`, or this week when it is empty.
pub fn week_of(field: &str, text: &str, today: Today) -> Result<Date, DomainError> {
    if text.trim().is_empty() {
        return Ok(today.this_week());
    }
    Ok(today.week_of(
        Date::parse(text.trim())
            .ok_or_else(|| DomainError::out_of_range(field, "must be a date like 2027-01-11"))?,
    ))
}

/// The week the planner starts at: the week containing `from` (within the range edits
/// reach), or this week.
pub fn week_from(from: &str, today: Today) -> Result<Date, DomainError> {
    let week = week_of("from", from, today)?;
    in_range(week, today).map_err(|_| {
        DomainError::out_of_range("from", "must be within a year back and two years ahead")
    })?;
    Ok(week)
}

/// The first and last day of a stretch of time off as typed: two dates in order, a year
/// apart at most, starting within the range planner edits reach.
pub fn time_off_span(
    starts_on: &str,
    ends_on: &str,
    today: Today,
) -> Result<(Date, Date), DomainError> {
    let starts = Date::parse(starts_on.trim())
        .ok_or_else(|| DomainError::out_of_range("starts_on", "must be a date like 2027-01-11"))?;
    let ends = Date::parse(ends_on.trim())
        .ok_or_else(|| DomainError::out_of_range("ends_on", "must be a date like 2027-01-15"))?;
    if ends < starts {
        return Err(DomainError::out_of_range(
            "ends_on",
            "must not be before the first day",
        ));
    }
    if starts.days_until(ends) > 366 {
        return Err(DomainError::out_of_range(
            "ends_on",
            "time off is entered a year at a time at most",
        ));
    }
    in_range(today.week_of(starts), today).map_err(|_| {
        DomainError::out_of_range(
            "starts_on",
            "must be within a year back and two years ahead",
        )
    })?;
    Ok((starts, ends))
}

/// How full a week is for a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Utilisation {
    /// Under 60 % of the available time booked (or nothing available and nothing booked).
    Free,
    /// 60 % to 90 %.
    Healthy,
    /// Over 90 %, up to 100 %.
    Full,
    /// More booked than available.
    Over,
}

impl Utilisation {
    /// The class of `booked` minutes against `available`.
    pub fn of(booked: i64, available: i64) -> Self {
        if booked > available {
            Self::Over
        } else if available == 0 || booked * 10 < available * 6 {
            Self::Free
        } else if booked * 10 <= available * 9 {
            Self::Healthy
        } else {
            Self::Full
        }
    }

    /// CSS-friendly name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Free => "free",
            Self::Healthy => "healthy",
            Self::Full => "full",
            Self::Over => "over",
        }
    }
}

/// A person as the planner needs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannerPerson {
    /// Person id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Skill ids (the first is the group they are listed under).
    pub skills: Vec<i64>,
    /// Minutes a week.
    pub weekly_capacity: i64,
    /// Time off per week index: (week, minutes).
    pub time_off: Vec<(u32, i64)>,
}

/// Booked time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Booking {
    /// Person id.
    pub person_id: i64,
    /// Week index.
    pub week: u32,
    /// Minutes.
    pub minutes: i64,
    /// `None` for confirmed work on a project; the deal's probability for tentative work
    /// on an open deal.
    pub tentative_pct: Option<i64>,
    /// The open deal, for tentative work.
    pub deal_id: Option<i64>,
}

/// An open deal's estimate spread over its weeks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealDemand {
    /// Deal id.
    pub deal_id: i64,
    /// Probability in percent.
    pub probability_pct: i64,
    /// First week index (may be before the window: negative).
    pub start_week: i64,
    /// Weeks.
    pub weeks: u32,
    /// (skill, total minutes).
    pub lines: Vec<(i64, i64)>,
}

impl DealDemand {
    /// Minutes of `skill` in the deal's `k`-th week: an even spread, the remainder going
    /// a minute at a time to the first weeks (as the engine spreads it).
    pub fn minutes_in(&self, skill: i64, k: u32) -> i64 {
        let weeks = i64::from(self.weeks.max(1));
        self.lines
            .iter()
            .filter(|(s, _)| *s == skill)
            .map(|&(_, total)| total / weeks + i64::from(i64::from(k) < total % weeks))
            .sum()
    }
}

/// One person's week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonWeek {
    /// Capacity minus time off.
    pub available: i64,
    /// Time off.
    pub time_off: i64,
    /// Confirmed minutes.
    pub confirmed: i64,
    /// Tentative minutes as the mode counts them (0 with demand off).
    pub tentative: i64,
    /// How full: confirmed plus tentative against available.
    pub utilisation: Utilisation,
}

/// One skill's week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillWeek {
    /// Available minutes of everyone with the skill (people with several skills count in
    /// each of them).
    pub capacity: i64,
    /// Confirmed minutes of those people.
    pub confirmed: i64,
    /// Open deals' demand for the skill as the mode counts it.
    pub pipeline: i64,
    /// Of that, not assigned to anyone yet.
    pub unassigned: i64,
    /// The skill's share of its people's available minutes: a person with several skills
    /// counts under each with an even part of their time ([`split`]), so the shares of
    /// all skills add up to the team's. The chance of being over is worked out against
    /// this (`domain::odds`).
    pub capacity_share: i64,
    /// The same share of those people's confirmed minutes.
    pub confirmed_share: i64,
}

/// What the planner computes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannerNumbers {
    /// Per person (input order): one entry per week.
    pub people: Vec<Vec<PersonWeek>>,
    /// Per skill (input order): one entry per week.
    pub skills: Vec<Vec<SkillWeek>>,
    /// Tentative work booked on open deals, by deal, skill and week.
    pub assigned: Vec<Assigned>,
}

/// Minutes someone is booked (tentatively) on an open deal for one of its skills in one
/// week: that much of the deal's demand is no longer unassigned. A person's booking
/// counts under the first of the deal's skills they have. On the wire as `[deal, skill,
/// week, minutes]` (a large agency has thousands).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "(i64, i64, u32, i64)", from = "(i64, i64, u32, i64)")]
pub struct Assigned {
    /// The open deal.
    pub deal_id: i64,
    /// The skill.
    pub skill: i64,
    /// Week index.
    pub week: u32,
    /// Minutes booked.
    pub minutes: i64,
}

impl From<Assigned> for (i64, i64, u32, i64) {
    fn from(a: Assigned) -> Self {
        (a.deal_id, a.skill, a.week, a.minutes)
    }
}

impl From<(i64, i64, u32, i64)> for Assigned {
    fn from((deal_id, skill, week, minutes): (i64, i64, u32, i64)) -> Self {
        Self {
            deal_id,
            skill,
            week,
            minutes,
        }
    }
}

/// The `index`-th of `parts` even parts of `minutes`: the remainder goes a minute at a
/// time to the first parts, so the parts add up to `minutes`.
pub fn split(minutes: i64, parts: usize, index: usize) -> i64 {
    let parts = parts.max(1) as i64;
    minutes.div_euclid(parts) + i64::from((index as i64) < minutes.rem_euclid(parts))
}

/// Computes the planner for `weeks` weeks.
pub fn compute(
    weeks: u32,
    skills: &[i64],
    people: &[PlannerPerson],
    bookings: &[Booking],
    deals: &[DealDemand],
    mode: DemandMode,
) -> PlannerNumbers {
    let rows = person_weeks(weeks, people, bookings, mode);
    let assigned = assigned(weeks, people, bookings, deals);
    let team: Vec<(&[i64], &[PersonWeek])> = people
        .iter()
        .zip(&rows)
        .map(|(p, row)| (p.skills.as_slice(), row.as_slice()))
        .collect();
    let summaries = summarise(weeks, skills, &team, &assigned, deals, mode);
    PlannerNumbers {
        people: rows,
        skills: summaries,
        assigned,
    }
}

/// Each person's weeks: available (capacity minus time off), confirmed and tentative
/// minutes (tentative as `mode` counts them), how full.
fn person_weeks(
    weeks: u32,
    people: &[PlannerPerson],
    bookings: &[Booking],
    mode: DemandMode,
) -> Vec<Vec<PersonWeek>> {
    use std::collections::HashMap;
    let n = weeks as usize;
    let positions: HashMap<i64, usize> =
        people.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
    let mut rows: Vec<Vec<PersonWeek>> = people
        .iter()
        .map(|p| {
            (0..weeks)
                .map(|w| {
                    let off: i64 = p
                        .time_off
                        .iter()
                        .filter(|(week, _)| *week == w)
                        .map(|(_, m)| *m)
                        .sum();
                    let off = off.min(p.weekly_capacity);
                    PersonWeek {
                        available: p.weekly_capacity - off,
                        time_off: off,
                        confirmed: 0,
                        tentative: 0,
                        utilisation: Utilisation::Free,
                    }
                })
                .collect()
        })
        .collect();
    for b in bookings {
        let (Some(&i), true) = (positions.get(&b.person_id), (b.week as usize) < n) else {
            continue;
        };
        let cell = &mut rows[i][b.week as usize];
        match b.tentative_pct {
            None => cell.confirmed += b.minutes,
            Some(pct) => cell.tentative += mode.count(b.minutes, pct),
        }
    }
    for row in &mut rows {
        for cell in row.iter_mut() {
            cell.utilisation = Utilisation::of(cell.confirmed + cell.tentative, cell.available);
        }
    }
    rows
}

/// The tentative bookings on `deals` in the window, by deal, skill and week (in that
/// order), each counted under the first of the deal's skills the person has.
fn assigned(
    weeks: u32,
    people: &[PlannerPerson],
    bookings: &[Booking],
    deals: &[DealDemand],
) -> Vec<Assigned> {
    use std::collections::{BTreeMap, HashMap};
    let positions: HashMap<i64, usize> =
        people.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
    let deal_index: HashMap<i64, usize> = deals
        .iter()
        .enumerate()
        .map(|(i, d)| (d.deal_id, i))
        .collect();
    let mut out: BTreeMap<(i64, i64, u32), i64> = BTreeMap::new();
    for b in bookings {
        let (Some(&i), Some(deal_id), true) = (
            positions.get(&b.person_id),
            b.deal_id.filter(|_| b.tentative_pct.is_some()),
            b.week < weeks,
        ) else {
            continue;
        };
        let Some(deal) = deal_index.get(&deal_id).map(|&d| &deals[d]) else {
            continue;
        };
        if let Some(&(skill, _)) = deal
            .lines
            .iter()
            .find(|(s, _)| people[i].skills.contains(s))
        {
            *out.entry((deal_id, skill, b.week)).or_insert(0) += b.minutes;
        }
    }
    out.into_iter()
        .map(|((deal_id, skill, week), minutes)| Assigned {
            deal_id,
            skill,
            week,
            minutes,
        })
        .collect()
}

/// Per skill (in `skills`' order) and week: capacity and confirmed minutes of the
/// `team` (each person's skills and weeks), in full and as shares ([`SkillWeek`]), and
/// the open deals' demand as `mode` counts it, less what is `assigned`. The server's
/// grid and the browser's what-if both sum the skills' weeks with this.
pub fn summarise(
    weeks: u32,
    skills: &[i64],
    team: &[(&[i64], &[PersonWeek])],
    assigned: &[Assigned],
    deals: &[DealDemand],
    mode: DemandMode,
) -> Vec<Vec<SkillWeek>> {
    use std::collections::HashMap;
    let n = weeks as usize;
    let index: HashMap<i64, usize> = skills.iter().enumerate().map(|(i, s)| (*s, i)).collect();
    let mut out = vec![
        vec![
            SkillWeek {
                capacity: 0,
                confirmed: 0,
                pipeline: 0,
                unassigned: 0,
                capacity_share: 0,
                confirmed_share: 0,
            };
            n
        ];
        skills.len()
    ];
    for (person_skills, row) in team {
        let mine = distinct_known(person_skills, &index);
        for (j, &s) in mine.iter().enumerate() {
            for (cell, week) in out[s].iter_mut().zip(row.iter()) {
                cell.capacity += week.available;
                cell.confirmed += week.confirmed;
                cell.capacity_share += split(week.available, mine.len(), j);
                cell.confirmed_share += split(week.confirmed, mine.len(), j);
            }
        }
    }
    if mode == DemandMode::Off {
        return out;
    }
    let done: HashMap<(i64, i64, u32), i64> = assigned
        .iter()
        .map(|a| ((a.deal_id, a.skill, a.week), a.minutes))
        .collect();
    for d in deals {
        let skills_of_deal: Vec<i64> = d.lines.iter().map(|(s, _)| *s).collect();
        for (j, &skill) in skills_of_deal.iter().enumerate() {
            let Some(&s) = index.get(&skill) else {
                continue;
            };
            if skills_of_deal[..j].contains(&skill) {
                continue;
            }
            for (w, k) in weeks_in_window(d, n) {
                let need = d.minutes_in(skill, k);
                if need == 0 {
                    continue;
                }
                let booked = done.get(&(d.deal_id, skill, w as u32)).copied();
                let cell = &mut out[s][w];
                cell.pipeline += mode.count(need, d.probability_pct);
                cell.unassigned +=
                    mode.count((need - booked.unwrap_or(0)).max(0), d.probability_pct);
            }
        }
    }
    out
}

/// The positions in `index` of a person's skills, each once, in the person's order.
fn distinct_known(
    person_skills: &[i64],
    index: &std::collections::HashMap<i64, usize>,
) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::with_capacity(person_skills.len());
    for s in person_skills {
        if let Some(&i) = index.get(s) {
            if !out.contains(&i) {
                out.push(i);
            }
        }
    }
    out
}

/// The weeks of a deal inside a window of `n` weeks: (week index in the window, the
/// deal's own week number).
pub fn weeks_in_window(d: &DealDemand, n: usize) -> impl Iterator<Item = (usize, u32)> {
    let start = d.start_week;
    let first = start.max(0);
    let end = (start + i64::from(d.weeks)).min(n as i64);
    (first..end.max(first)).map(move |w| (w as usize, (w - start) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const H: i64 = 60;

    fn person(id: i64, skills: &[i64], hours: i64) -> PlannerPerson {
        PlannerPerson {
            id,
            name: format!("P{id}"),
            skills: skills.to_vec(),
            weekly_capacity: hours * H,
            time_off: vec![],
        }
    }

    #[test]
    fn utilisation_bands() {
        assert_eq!(Utilisation::of(0, 40 * H), Utilisation::Free);
        assert_eq!(Utilisation::of(23 * H, 40 * H), Utilisation::Free);
        assert_eq!(Utilisation::of(24 * H, 40 * H), Utilisation::Healthy);
        assert_eq!(Utilisation::of(36 * H, 40 * H), Utilisation::Healthy);
        assert_eq!(Utilisation::of(37 * H, 40 * H), Utilisation::Full);
        assert_eq!(Utilisation::of(40 * H, 40 * H), Utilisation::Full);
        assert_eq!(Utilisation::of(41 * H, 40 * H), Utilisation::Over);
        assert_eq!(Utilisation::of(1, 0), Utilisation::Over);
        assert_eq!(Utilisation::of(0, 0), Utilisation::Free);
    }

    #[test]
    fn time_off_confirmed_and_tentative_work_fill_the_week() {
        let mut p = person(1, &[10], 40);
        p.time_off = vec![(1, 16 * H)];
        let bookings = [
            Booking {
                person_id: 1,
                week: 0,
                minutes: 30 * H,
                tentative_pct: None,
                deal_id: None,
            },
            Booking {
                person_id: 1,
                week: 1,
                minutes: 20 * H,
                tentative_pct: None,
                deal_id: None,
            },
            Booking {
                person_id: 1,
                week: 1,
                minutes: 10 * H,
                tentative_pct: Some(50),
                deal_id: Some(7),
            },
        ];
        let off = compute(2, &[10], &[p.clone()], &bookings, &[], DemandMode::Off);
        assert_eq!(off.people[0][0].utilisation, Utilisation::Healthy);
        assert_eq!(off.people[0][1].available, 24 * H);
        assert_eq!(off.people[0][1].tentative, 0);
        let weighted = compute(2, &[10], &[p.clone()], &bookings, &[], DemandMode::Weighted);
        assert_eq!(weighted.people[0][1].tentative, 5 * H);
        assert_eq!(weighted.people[0][1].utilisation, Utilisation::Over);
        let full = compute(2, &[10], &[p], &bookings, &[], DemandMode::Pessimistic);
        assert_eq!(full.people[0][1].tentative, 10 * H);
    }

    #[test]
    fn a_half_likely_deal_counts_half_and_assigned_work_leaves_the_unassigned_row() {
        let people = [person(1, &[10], 40), person(2, &[20], 40)];
        // 40 h of skill 10 and 20 h of skill 20 over 2 weeks from week 1, 50 %.
        let deal = DealDemand {
            deal_id: 7,
            probability_pct: 50,
            start_week: 1,
            weeks: 2,
            lines: vec![(10, 40 * H), (20, 20 * H)],
        };
        let bookings = [Booking {
            person_id: 1,
            week: 1,
            minutes: 8 * H,
            tentative_pct: Some(50),
            deal_id: Some(7),
        }];
        let g = compute(
            4,
            &[10, 20],
            &people,
            &bookings,
            std::slice::from_ref(&deal),
            DemandMode::Weighted,
        );
        let design: Vec<(i64, i64)> = g.skills[0]
            .iter()
            .map(|s| (s.pipeline, s.unassigned))
            .collect();
        assert_eq!(
            design,
            vec![(0, 0), (10 * H, 6 * H), (10 * H, 10 * H), (0, 0)]
        );
        assert_eq!(g.skills[1][2].pipeline, 5 * H);
        let p = compute(
            4,
            &[10, 20],
            &people,
            &bookings,
            std::slice::from_ref(&deal),
            DemandMode::Pessimistic,
        );
        assert_eq!(p.skills[0][1].unassigned, 12 * H);
        let off = compute(4, &[10, 20], &people, &bookings, &[deal], DemandMode::Off);
        assert!(off
            .skills
            .iter()
            .flatten()
            .all(|s| s.pipeline == 0 && s.unassigned == 0));
        assert_eq!(off.skills[0][0].capacity, 40 * H);
    }

    #[test]
    fn an_allocation_target_is_a_project_or_a_deal_by_id() {
        assert_eq!(
            AllocationTarget::parse("target", "project:12"),
            Ok(AllocationTarget::Project(12))
        );
        assert_eq!(
            AllocationTarget::parse("target", "deal:7"),
            Ok(AllocationTarget::Deal(7))
        );
        assert_eq!(AllocationTarget::Deal(7).to_string(), "deal:7");
        assert_eq!(AllocationTarget::Project(12).id(), 12);
        for bad in [
            "client:1",
            "project:",
            "project:x",
            "project",
            "",
            "deal: 7",
        ] {
            assert_eq!(
                AllocationTarget::parse("target", bad),
                Err(DomainError::out_of_range(
                    "target",
                    "must be project:ID or deal:ID"
                )),
                "{bad}"
            );
        }
    }

    #[test]
    fn edits_take_first_days_of_weeks_from_a_year_back_to_two_years_ahead() {
        use crate::domain::calendar::WeekStart;
        // Wednesday 2027-01-13.
        let now = Today::new(Date::parse("2027-01-13").unwrap(), WeekStart::MONDAY);
        let monday_now = Date::parse("2027-01-11").unwrap();
        assert_eq!(now.this_week(), monday_now);
        assert_eq!(week_first_day("week", "2027-01-11", now), Ok(monday_now));
        assert_eq!(
            week_first_day("week", "2027-01-12", now),
            Err(DomainError::out_of_range(
                "week",
                "must be the first day of a week (a Monday)"
            ))
        );
        assert!(in_range(monday_now.add_days(-52 * 7), now).is_ok());
        assert!(in_range(monday_now.add_days(-53 * 7), now).is_err());
        assert!(in_range(monday_now.add_days(104 * 7), now).is_ok());
        assert_eq!(week_from("", now), Ok(monday_now));
        assert_eq!(week_from("2027-01-14", now), Ok(monday_now));
        assert!(week_from("2031-01-14", now).is_err());
        assert_eq!(week_of("week", " 2027-01-17 ", now), Ok(monday_now));
        assert!(time_off_span("2027-01-14", "2027-01-13", now).is_err());
        assert_eq!(
            time_off_span("2027-01-14", "2027-01-15", now),
            Ok((monday_now.add_days(3), monday_now.add_days(4)))
        );
    }

    #[test]
    fn weeks_starting_on_sunday_take_sundays() {
        use crate::domain::calendar::WeekStart;
        let now = Today::new(Date::parse("2027-01-13").unwrap(), WeekStart::SUNDAY);
        let sunday = Date::parse("2027-01-10").unwrap();
        assert_eq!(week_from("", now), Ok(sunday));
        assert_eq!(week_of("week", "2027-01-16", now), Ok(sunday));
        assert_eq!(week_of("week", "2027-01-17", now), Ok(sunday.add_days(7)));
        assert_eq!(week_first_day("week", "2027-01-10", now), Ok(sunday));
        assert_eq!(
            week_first_day("week", "2027-01-11", now),
            Err(DomainError::out_of_range(
                "week",
                "must be the first day of a week (a Sunday)"
            ))
        );
    }

    #[test]
    fn people_with_several_skills_split_their_time_so_the_shares_add_up_to_the_team() {
        assert_eq!(
            (0..3).map(|j| split(100, 3, j)).collect::<Vec<_>>(),
            vec![34, 33, 33]
        );
        assert_eq!(split(7, 0, 0), 7);
        let mut ben = person(2, &[20, 10], 40);
        ben.time_off = vec![(0, 10 * H)];
        let people = [person(1, &[10], 40), ben, person(3, &[10, 20, 30], 25)];
        let bookings = [Booking {
            person_id: 2,
            week: 0,
            minutes: 9 * H,
            tentative_pct: None,
            deal_id: None,
        }];
        let g = compute(1, &[10, 20, 30], &people, &bookings, &[], DemandMode::Off);
        let row = |i: usize| g.skills[i][0];
        // In full: everyone with the skill; shares: Ben's 30 h and 9 h split in two, the
        // third person's 25 h in three (9, 8, 8).
        assert_eq!(row(0).capacity, (40 + 30 + 25) * H);
        assert_eq!(row(0).capacity_share, 40 * H + 15 * H + 500);
        assert_eq!(row(1).capacity_share, 15 * H + 500);
        assert_eq!(row(2).capacity_share, 500);
        assert_eq!(row(0).confirmed_share + row(1).confirmed_share, 9 * H);
        let team: i64 = g.people.iter().map(|r| r[0].available).sum();
        assert_eq!((0..3).map(|i| row(i).capacity_share).sum::<i64>(), team);
    }

    proptest! {
        #[test]
        fn pessimistic_never_shows_less_than_weighted(
            pct in 0_i64..=100, hours in 1_i64..500, weeks in 1_u32..8, start in -3_i64..6, assigned in 0_i64..100
        ) {
            let people = [person(1, &[10], 40)];
            let deal = DealDemand { deal_id: 1, probability_pct: pct, start_week: start, weeks, lines: vec![(10, hours * H)] };
            let bookings = [Booking { person_id: 1, week: 2, minutes: assigned * H, tentative_pct: Some(pct), deal_id: Some(1) }];
            let w = compute(10, &[10], &people, &bookings, std::slice::from_ref(&deal), DemandMode::Weighted);
            let p = compute(10, &[10], &people, &bookings, std::slice::from_ref(&deal), DemandMode::Pessimistic);
            for k in 0..10 {
                prop_assert!(p.skills[0][k].pipeline >= w.skills[0][k].pipeline);
                prop_assert!(w.skills[0][k].unassigned <= w.skills[0][k].pipeline);
                prop_assert!(p.skills[0][k].unassigned <= p.skills[0][k].pipeline);
            }
            // Inside the window the weighted total is the deal's hours times its probability
            // (within rounding per week).
            let in_window: i64 = (0..weeks).filter(|k| (0..10).contains(&(start + i64::from(*k)))).map(|k| deal.minutes_in(10, k)).sum();
            let shown: i64 = p.skills[0].iter().map(|s| s.pipeline).sum();
            prop_assert_eq!(shown, in_window);
        }

        /// The browser's what-if sums the skills' weeks from the grid's rows with
        /// `summarise`: with nothing changed it gets the server's numbers.
        #[test]
        fn summing_the_grids_rows_again_gives_the_servers_numbers(
            capacities in proptest::collection::vec((0_i64..50, 0_usize..3, 0_i64..30), 1..6),
            deals in proptest::collection::vec((0_i64..=100, -3_i64..8, 1_u32..6, 0_usize..3, 1_i64..200), 0..5),
            booked in proptest::collection::vec((0_usize..6, 0_u32..8, 0_i64..20, 0_usize..6), 0..8),
        ) {
            let skills = [10, 20, 30];
            let people: Vec<PlannerPerson> = capacities.iter().enumerate().map(|(i, (hours, s, off))| {
                let mut p = person(i as i64 + 1, &skills[*s..], *hours);
                p.time_off = vec![(1, off * H)];
                p
            }).collect();
            let deals: Vec<DealDemand> = deals.iter().enumerate().map(|(i, (pct, start, weeks, s, hours))| DealDemand {
                deal_id: i as i64 + 100,
                probability_pct: *pct,
                start_week: *start,
                weeks: *weeks,
                lines: skills[*s..].iter().map(|k| (*k, hours * H)).collect(),
            }).collect();
            let bookings: Vec<Booking> = booked.iter().map(|(who, week, hours, deal)| Booking {
                person_id: (*who % people.len()) as i64 + 1,
                week: *week,
                minutes: hours * H,
                tentative_pct: deals.get(*deal).map(|d| d.probability_pct),
                deal_id: deals.get(*deal).map(|d| d.deal_id),
            }).collect();
            for mode in [DemandMode::Off, DemandMode::Weighted, DemandMode::Pessimistic] {
                let g = compute(8, &skills, &people, &bookings, &deals, mode);
                let team: Vec<(&[i64], &[PersonWeek])> = people.iter().zip(&g.people).map(|(p, r)| (p.skills.as_slice(), r.as_slice())).collect();
                prop_assert_eq!(&summarise(8, &skills, &team, &g.assigned, &deals, mode), &g.skills);
            }
        }
    }
}
