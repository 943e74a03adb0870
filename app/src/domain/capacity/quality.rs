//! How a staffing reads to a project manager: how many people share each skill, how often
//! the people on a skill change from one week to the next, and how many slices are not in
//! whole or half hours. Reported in the close dialog's details and measured by
//! `cargo run -p baton --example staffing_quality`.

use super::{Minutes, StaffingLine};
use serde::{Deserialize, Serialize};

/// The shape of one staffing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffingQuality {
    /// Skills staffed (with at least one line).
    pub skills: u32,
    /// People per skill, added up over the skills.
    pub people: u32,
    /// Person switches, added up over the skills: from one week to the next, each person
    /// who joins or leaves the skill while it has work in both weeks.
    pub switches: u32,
    /// Staffing lines (person, skill, week).
    pub slices: u32,
    /// Of which not a multiple of 30 minutes.
    pub odd_slices: u32,
}

impl StaffingQuality {
    /// The quality of `staffing` (lines of any order).
    pub fn of(staffing: &[StaffingLine]) -> Self {
        let mut skills: Vec<i64> = staffing
            .iter()
            .filter(|l| l.minutes > 0)
            .map(|l| l.skill)
            .collect();
        skills.sort_unstable();
        skills.dedup();
        let mut out = Self {
            skills: skills.len() as u32,
            ..Self::default()
        };
        for skill in skills {
            let mut lines: Vec<(u32, i64)> = staffing
                .iter()
                .filter(|l| l.skill == skill && l.minutes > 0)
                .map(|l| (l.week, l.person_id))
                .collect();
            lines.sort_unstable();
            lines.dedup();
            let mut people: Vec<i64> = lines.iter().map(|&(_, p)| p).collect();
            people.sort_unstable();
            people.dedup();
            out.people += people.len() as u32;
            let weeks: Vec<u32> = {
                let mut w: Vec<u32> = lines.iter().map(|&(w, _)| w).collect();
                w.dedup();
                w
            };
            for pair in weeks.windows(2) {
                if pair[1] != pair[0] + 1 {
                    continue;
                }
                let of = |week: u32| -> Vec<i64> {
                    lines
                        .iter()
                        .filter(|&&(w, _)| w == week)
                        .map(|&(_, p)| p)
                        .collect()
                };
                let (a, b) = (of(pair[0]), of(pair[1]));
                out.switches += a.iter().filter(|p| !b.contains(p)).count() as u32
                    + b.iter().filter(|p| !a.contains(p)).count() as u32;
            }
        }
        for line in staffing.iter().filter(|l| l.minutes > 0) {
            out.slices += 1;
            if line.minutes % 30 != 0 {
                out.odd_slices += 1;
            }
        }
        out
    }

    /// Adds another staffing's counts.
    pub fn add(&mut self, other: Self) {
        self.skills += other.skills;
        self.people += other.people;
        self.switches += other.switches;
        self.slices += other.slices;
        self.odd_slices += other.odd_slices;
    }

    /// People per skill on average.
    pub fn people_per_skill(&self) -> f64 {
        f64::from(self.people) / f64::from(self.skills.max(1))
    }

    /// Switches per skill on average.
    pub fn switches_per_skill(&self) -> f64 {
        f64::from(self.switches) / f64::from(self.skills.max(1))
    }

    /// Share of slices not in whole or half hours, percent.
    pub fn odd_share_pct(&self) -> f64 {
        100.0 * f64::from(self.odd_slices) / f64::from(self.slices.max(1))
    }
}

/// Minutes as a planner writes them: whole or half hours stay as they are, anything else
/// to one decimal ("13.7").
pub fn hours(minutes: Minutes) -> String {
    if minutes % 30 == 0 {
        if minutes % 60 == 0 {
            format!("{}", minutes / 60)
        } else {
            format!("{}.5", minutes / 60)
        }
    } else {
        format!("{:.1}", minutes as f64 / 60.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(person_id: i64, skill: i64, week: u32, minutes: Minutes) -> StaffingLine {
        StaffingLine {
            person_id,
            skill,
            week,
            minutes,
        }
    }

    #[test]
    fn a_skill_handed_from_one_person_to_another_counts_two_switches() {
        let q = StaffingQuality::of(&[
            line(1, 7, 0, 600),
            line(2, 7, 1, 600),
            line(2, 7, 2, 545),
            line(3, 8, 0, 60),
        ]);
        assert_eq!(q.skills, 2);
        assert_eq!(q.people, 3);
        assert_eq!(q.switches, 2);
        assert_eq!((q.slices, q.odd_slices), (4, 1));
        assert_eq!(q.people_per_skill(), 1.5);
    }

    #[test]
    fn hours_are_written_the_way_planners_write_them() {
        assert_eq!(hours(600), "10");
        assert_eq!(hours(90), "1.5");
        assert_eq!(hours(65), "1.1");
        assert_eq!(hours(823), "13.7");
    }
}
