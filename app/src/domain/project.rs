//! A project's life: the statuses it can be in and what each allows.

use super::calendar::Date;
use serde::{Deserialize, Serialize};

/// Where a project stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectStatus {
    /// Won, starting later.
    Planned,
    /// Running.
    Active,
    /// Paused.
    OnHold,
    /// Finished.
    Done,
    /// Stopped for good.
    Cancelled,
}

impl ProjectStatus {
    /// Every status, in the order a project goes through them.
    pub const ALL: [Self; 5] = [
        Self::Planned,
        Self::Active,
        Self::OnHold,
        Self::Done,
        Self::Cancelled,
    ];

    /// The status stored in the database (`planned`, `active`, `on_hold`, `done`,
    /// `cancelled`).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The database spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Planned => "planned",
            Self::Active => "active",
            Self::OnHold => "on_hold",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
        }
    }

    /// The status of a project just won that starts on `starts_on`: running if that day
    /// has come, planned otherwise.
    pub fn of_new_project(starts_on: Date, today: Date) -> Self {
        if starts_on <= today {
            Self::Active
        } else {
            Self::Planned
        }
    }

    /// Whether the project is over (done or cancelled): no changes are approved on it,
    /// and it is never "at risk".
    pub fn is_over(self) -> bool {
        matches!(self, Self::Done | Self::Cancelled)
    }

    /// [`Self::is_over`] of a stored status; an unknown one counts as running.
    pub fn stored_is_over(text: &str) -> bool {
        Self::parse(text).is_some_and(Self::is_over)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_done_and_cancelled_projects_are_over() {
        let over: Vec<_> = ProjectStatus::ALL
            .into_iter()
            .filter(|s| s.is_over())
            .collect();
        assert_eq!(over, vec![ProjectStatus::Done, ProjectStatus::Cancelled]);
        for status in ProjectStatus::ALL {
            assert_eq!(ProjectStatus::parse(status.as_str()), Some(status));
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{}\"", status.as_str())
            );
        }
        assert!(!ProjectStatus::stored_is_over("archived"));
        let monday = Date::parse("2026-11-30").unwrap();
        let next = monday.add_days(7);
        assert_eq!(
            ProjectStatus::of_new_project(monday, monday),
            ProjectStatus::Active
        );
        assert_eq!(
            ProjectStatus::of_new_project(next, monday),
            ProjectStatus::Planned
        );
        assert_eq!(
            ProjectStatus::of_new_project(monday, next),
            ProjectStatus::Active
        );
    }
}
