//! Closing a deal as it crosses the wire: the dialog's data, the check report, the
//! outcome, and the staffing text both sides read.
//!
//! Staffing travels as text, one line per person, skill and week:
//! `person_id:skill_id:YYYY-MM-DD:minutes`, lines separated by commas (the date is the
//! first day of the week). Empty means "the suggested staffing".

use crate::domain::capacity::{CapacityInput, CapacityVerdict, Demand, StaffingLine};
use crate::domain::close::ClosePreview;
use crate::domain::margin::MarginVerdict;
use crate::error::AppError;
use crate::shared::board::DealCard;

/// Someone who could staff the deal.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClosePerson {
    /// Person id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Their skills among the deal's.
    pub skills: Vec<i64>,
}

/// Everything the close dialog needs, loaded once when it opens.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CloseDialogData {
    /// The deal as its card shows it.
    pub card: DealCard,
    /// Workspace currency code.
    pub currency: String,
    /// The first day of week 0 (this week), `YYYY-MM-DD`.
    pub first_week: String,
    /// The proposed start week (the planned start, or this week).
    pub start_week: u32,
    /// The deal's demand (estimate over its weeks).
    pub demand: Demand,
    /// The deal's skills: (id, name).
    pub skills: Vec<(i64, String)>,
    /// People with at least one of the deal's skills.
    pub people: Vec<ClosePerson>,
    /// Workspace margin target, basis points.
    pub target_bp: i64,
    /// Workspace margin floor, basis points.
    pub floor_bp: i64,
    /// The deal's value, for the browser's own margin: only with "view cost rates" and
    /// "view deal values".
    pub value_minor: Option<i64>,
    /// The engine's input, so the browser can re-check instantly: only for callers who
    /// may see cost rates (it carries them). Everyone else previews through the server.
    pub engine_input: Option<CapacityInput>,
    /// The suggested staffing at `start_week`, checked.
    pub preview: ClosePreview,
    /// Whether the caller may close despite a block (with a reason).
    pub can_override: bool,
    /// Whether the caller may close deals. Without it, a caller who may override sees the
    /// dialog to approve a blocked close (and only a blocked one).
    #[serde(default)]
    pub can_close: bool,
    /// Who may let a blocked close go ahead: active users whose role holds "override
    /// checks", as "Name (Role)".
    #[serde(default)]
    pub approvers: Vec<String>,
}

/// What a close did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CloseOutcome {
    /// The project the deal became.
    pub project_id: i64,
    /// Whether this answer repeats an earlier close with the same key.
    pub repeated: bool,
}

/// The checks as they stood when the deal was closed, stored on the project.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CheckReport {
    /// Fits, tight or short.
    pub capacity: CapacityVerdict,
    /// Margin in basis points.
    pub margin_bp: Option<i64>,
    /// Pass, warn or block.
    pub margin: MarginVerdict,
    /// Target and floor at the time, basis points.
    pub target_bp: i64,
    /// Floor, basis points.
    pub floor_bp: i64,
    /// Cost of the staffing, minor units (shown only with "view cost rates").
    pub cost_minor: Option<i64>,
    /// First day of the first week.
    pub start_on: String,
    /// Weeks.
    pub weeks: u32,
    /// The earliest start that fitted, if any.
    pub earliest_start_on: Option<String>,
    /// Unstaffed minutes per skill: (skill name, minutes).
    pub shortfall: Vec<(String, i64)>,
    /// What blocked the close (overridden), if anything.
    pub blockers: Vec<String>,
    /// Whether the staffing was edited from the suggestion.
    pub staffing_edited: bool,
}

/// The staffing text for `lines` (weeks as indexes from `first_week`).
pub fn staffing_text(lines: &[StaffingLine], first_week: crate::domain::calendar::Date) -> String {
    lines
        .iter()
        .filter(|l| l.minutes > 0)
        .map(|l| {
            format!(
                "{}:{}:{}:{}",
                l.person_id,
                l.skill,
                first_week.add_days(7 * l.week as i32),
                l.minutes
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Parses staffing text into lines with weeks counted from `first_week`; `None` when empty.
pub fn parse_staffing(
    text: &str,
    first_week: crate::domain::calendar::Date,
) -> Result<Option<Vec<StaffingLine>>, AppError> {
    use crate::domain::calendar::Date;
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let bad = || {
        AppError::invalid(
            "staffing",
            "must be lines of person:skill:YYYY-MM-DD:minutes separated by commas",
        )
    };
    let mut lines = Vec::new();
    for part in text.split(',') {
        let fields: Vec<&str> = part.trim().split(':').collect();
        let [person, skill, week, minutes] = fields.as_slice() else {
            return Err(bad());
        };
        let week = Date::parse(week).ok_or_else(bad)?;
        let days = first_week.days_until(week);
        if days < 0 || days % 7 != 0 {
            return Err(AppError::invalid(
                "staffing",
                "weeks must start on the first day of a week, this week or later",
            ));
        }
        lines.push(StaffingLine {
            person_id: person.parse().map_err(|_| bad())?,
            skill: skill.parse().map_err(|_| bad())?,
            week: u32::try_from(days / 7).map_err(|_| bad())?,
            minutes: minutes.parse().map_err(|_| bad())?,
        });
        if lines.len() > 5_000 {
            return Err(AppError::invalid("staffing", "has too many lines"));
        }
    }
    Ok(Some(lines))
}
