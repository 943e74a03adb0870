//! The four CSV exports: deals, projects, time entries and people, each read in the
//! caller's workspace, with money columns only for the permissions that may see them.
//! Served as `GET /export/<kind>.csv` by the server's router.

use crate::domain::burn::Burn;
use crate::domain::csv::{cell, line};
use crate::domain::money::Currency;
use crate::domain::permissions::Permission;
use crate::domain::validate::hours_text;
use crate::error::AppError;
use crate::server::calendar::WorkspaceCalendar;
use crate::server::context::{self, Caller};
use crate::server::export_repo::{self, DealLine, PersonLine, ProjectLine, ReadPool, TimeLine};
use crate::server::{burn_repo, close_repo};
use std::collections::HashMap;

/// Which money columns the caller sees.
#[derive(Clone, Copy)]
struct Seen {
    /// Deal values, budgets, billable amounts and bill rates ("view deal values").
    values: bool,
    /// Cost rates as such ("view cost rates").
    costs: bool,
    /// Amounts worked out from cost rates: only for those who may see both.
    amounts: bool,
}

/// The CSV export of `kind` (`deals`, `projects`, `time` or `people`) as `caller` may see
/// it. Deals, projects and people need "view pipeline"; time needs "manage projects"
/// (every entry) or "log own time" (the caller's own). Days follow the workspace's
/// `calendar` (a deal's created and closed days, the projects' burns as of today there,
/// at `now_ms`).
pub async fn export(
    pool: &ReadPool,
    caller: &Caller,
    calendar: &WorkspaceCalendar,
    kind: &str,
    now_ms: i64,
) -> Result<String, AppError> {
    let seen = Seen {
        values: caller.can(Permission::ViewDealValues),
        costs: caller.can(Permission::ViewCostRates),
        amounts: caller.permissions.sees_cost_amounts(),
    };
    let mut conn = pool.acquire().await?;
    let (currency, ..) = close_repo::targets(&mut conn, caller.workspace_id).await?;
    let cur = &Currency::new(&currency);
    let mut out = String::new();
    match kind {
        "deals" => {
            caller.require(Permission::ViewPipeline)?;
            let deals = export_repo::deals(&mut conn, caller.workspace_id).await?;
            write_deals(&mut out, &deals, seen, cur, calendar);
        }
        "projects" => {
            caller.require(Permission::ViewPipeline)?;
            let today = calendar.at(now_ms);
            let burns = burn_repo::burns(&mut conn, caller.workspace_id, None, today).await?;
            let projects = export_repo::projects(&mut conn, caller.workspace_id).await?;
            write_projects(&mut out, &projects, &burns, seen, cur);
        }
        "time" => {
            let all = caller.can(Permission::ManageProjects);
            if !all {
                caller.require(Permission::LogOwnTime)?;
            }
            let own = context::own_person(&mut conn, caller).await?;
            let entries =
                export_repo::time_entries(&mut conn, caller.workspace_id, all, own).await?;
            write_time(&mut out, &entries, seen, cur);
        }
        "people" => {
            caller.require(Permission::ViewPipeline)?;
            let people = export_repo::people(&mut conn, caller.workspace_id).await?;
            let skills = export_repo::person_skills(&mut conn, caller.workspace_id).await?;
            write_people(&mut out, &people, &skills, seen, cur);
        }
        _ => {
            return Err(AppError::invalid(
                "kind",
                "must be deals, projects, time or people",
            ))
        }
    }
    Ok(out)
}

/// Appends one CSV line of the cells the caller may see (those marked `true`).
fn push(out: &mut String, cells: Vec<(bool, String)>) {
    let row: Vec<String> = cells
        .into_iter()
        .filter(|(keep, _)| *keep)
        .map(|(_, v)| v)
        .collect();
    out.push_str(&line(&row));
}

/// `minor` units of `currency` as a plain decimal (`-1234.50`), as spreadsheets read it.
pub fn decimal(minor: i64, currency: &Currency) -> String {
    let exp = currency.exponent();
    if exp == 0 {
        return minor.to_string();
    }
    let per = 10_i64.pow(exp);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        abs / per as u64,
        abs % per as u64,
        width = exp as usize
    )
}

/// The deals export: a header, then one line per deal.
fn write_deals(
    out: &mut String,
    deals: &[DealLine],
    seen: Seen,
    cur: &Currency,
    calendar: &WorkspaceCalendar,
) {
    use crate::domain::pipeline::{effective_probability, weighted_value, StageKind};
    let values = seen.values;
    push(
        out,
        vec![
            (true, cell("id")),
            (true, cell("title")),
            (true, cell("client")),
            (true, cell("stage")),
            (true, cell("stage_kind")),
            (values, cell("value")),
            (true, cell("probability")),
            (values, cell("weighted_value")),
            (true, cell("owner_email")),
            (true, cell("expected_close_on")),
            (true, cell("planned_start_on")),
            (true, cell("planned_weeks")),
            (true, cell("created_on")),
            (true, cell("closed_on")),
            (true, cell("lost_reason")),
        ],
    );
    for d in deals {
        let kind = StageKind::parse(&d.stage_kind).unwrap_or(StageKind::Open);
        let probability = effective_probability(kind, d.probability_pct, None);
        let weighted = weighted_value(d.value_minor, probability).unwrap_or(0);
        let closed_on = d.closed_at.map(|c| calendar.date_of(c).to_string());
        push(
            out,
            vec![
                (true, d.id.to_string()),
                (true, cell(&d.title)),
                (true, cell(&d.client)),
                (true, cell(&d.stage)),
                (true, d.stage_kind.clone()),
                (values, decimal(d.value_minor, cur)),
                (true, probability.to_string()),
                (values, decimal(weighted, cur)),
                (true, cell(&d.owner_email)),
                (true, d.expected_close_on.clone().unwrap_or_default()),
                (true, d.planned_start_on.clone().unwrap_or_default()),
                (true, d.planned_weeks.to_string()),
                (true, calendar.date_of(d.created_at).to_string()),
                (true, closed_on.unwrap_or_default()),
                (true, cell(&d.lost_reason.clone().unwrap_or_default())),
            ],
        );
    }
}

/// The projects export: a header, then one line per project with its burn.
fn write_projects(
    out: &mut String,
    projects: &[ProjectLine],
    burns: &HashMap<i64, Burn>,
    seen: Seen,
    cur: &Currency,
) {
    let Seen {
        values, amounts, ..
    } = seen;
    push(
        out,
        vec![
            (true, cell("id")),
            (true, cell("name")),
            (true, cell("client")),
            (true, cell("pm")),
            (true, cell("status")),
            (true, cell("starts_on")),
            (true, cell("ends_on")),
            (values, cell("budget")),
            (values, cell("spent")),
            (values, cell("forecast")),
            (amounts, cell("forecast_cost")),
            (amounts, cell("forecast_margin_pct")),
            (true, cell("progress_pct")),
            (true, cell("at_risk")),
        ],
    );
    for p in projects {
        let Some(b) = burns.get(&p.id) else { continue };
        let running = !crate::domain::project::ProjectStatus::stored_is_over(&p.status);
        let margin = b
            .forecast_margin_bp
            .map(|m| format!("{:.2}", m as f64 / 100.0));
        push(
            out,
            vec![
                (true, p.id.to_string()),
                (true, cell(&p.name)),
                (true, cell(&p.client)),
                (true, cell(&p.pm.clone().unwrap_or_default())),
                (true, p.status.clone()),
                (true, p.starts_on.clone()),
                (true, p.ends_on.clone()),
                (values, decimal(b.budget_minor, cur)),
                (values, decimal(b.spent_minor, cur)),
                (values, decimal(b.forecast_minor, cur)),
                (amounts, decimal(b.forecast_cost_minor, cur)),
                (amounts, margin.unwrap_or_default()),
                (true, format!("{:.2}", b.progress_bp as f64 / 100.0)),
                (true, (b.at_risk() && running).to_string()),
            ],
        );
    }
}

/// The time export: a header, then one line per entry with what it bills and costs.
fn write_time(out: &mut String, entries: &[TimeLine], seen: Seen, cur: &Currency) {
    use crate::domain::margin::cost_of;
    let Seen {
        values, amounts, ..
    } = seen;
    push(
        out,
        vec![
            (true, cell("date")),
            (true, cell("person")),
            (true, cell("project")),
            (true, cell("client")),
            (true, cell("hours")),
            (true, cell("billable")),
            (true, cell("note")),
            (values, cell("billable_amount")),
            (amounts, cell("cost")),
        ],
    );
    for t in entries {
        let amount = if t.billable {
            cost_of(t.minutes, t.bill_rate_minor).unwrap_or(0)
        } else {
            0
        };
        let cost = cost_of(t.minutes, t.cost_rate_minor).unwrap_or(0);
        push(
            out,
            vec![
                (true, t.worked_on.clone()),
                (true, cell(&t.person)),
                (true, cell(&t.project)),
                (true, cell(&t.client)),
                (true, hours_text(t.minutes)),
                (true, t.billable.to_string()),
                (true, cell(&t.note)),
                (values, decimal(amount, cur)),
                (amounts, decimal(cost, cur)),
            ],
        );
    }
}

/// The people export: a header, then one line per person with their skills.
fn write_people(
    out: &mut String,
    people: &[PersonLine],
    skills: &[(i64, String)],
    seen: Seen,
    cur: &Currency,
) {
    let Seen { values, costs, .. } = seen;
    push(
        out,
        vec![
            (true, cell("name")),
            (true, cell("email")),
            (true, cell("title")),
            (true, cell("skills")),
            (true, cell("weekly_hours")),
            (values, cell("bill_rate")),
            (costs, cell("cost_rate")),
            (true, cell("active")),
        ],
    );
    for p in people {
        let list: Vec<&str> = skills
            .iter()
            .filter(|s| s.0 == p.id)
            .map(|s| s.1.as_str())
            .collect();
        push(
            out,
            vec![
                (true, cell(&p.name)),
                (true, cell(&p.email.clone().unwrap_or_default())),
                (true, cell(&p.title.clone().unwrap_or_default())),
                (true, cell(&list.join("; "))),
                (true, hours_text(p.weekly_minutes)),
                (values, decimal(p.bill_rate_minor, cur)),
                (costs, decimal(p.cost_rate_minor, cur)),
                (true, p.active.to_string()),
            ],
        );
    }
}
