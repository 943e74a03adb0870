//! Building the engine's input from the database, for a workspace and a range of weeks, in
//! a fixed number of queries (four, whatever the number of people).

use crate::domain::calendar::Date;
use crate::domain::capacity::{
    AllocationInput, AllocationKind, CapacityInput, Demand, DemandLine, PersonInput, TentativeMode,
};
use crate::server::db::Conn;

/// An allocation row: person, week, minutes, the deal's probability and the deal (for
/// tentative ones).
#[derive(sqlx::FromRow)]
struct AllocationRow(i64, String, i64, Option<i64>, Option<i64>);

/// The weeks the engine plans over: `weeks` weeks from the week starting `first_week`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Horizon {
    /// The first day of the first week.
    pub first_week: Date,
    /// Number of weeks.
    pub weeks: u32,
}

impl Horizon {
    /// The week index of `date` (the week containing it), if inside the horizon.
    pub fn week_of(&self, date: Date) -> Option<u32> {
        let days = self.first_week.days_until(date);
        (days >= 0 && days / 7 < self.weeks as i32).then_some((days / 7) as u32)
    }

    /// The first day after the horizon.
    pub fn end(&self) -> Date {
        self.first_week.add_days(7 * self.weeks as i32)
    }
}

/// The capacity input of `workspace_id` over `horizon`: active people with their skills,
/// rates and time off (working days only), and every allocation in those weeks —
/// confirmed ones on projects, tentative ones on open deals with the deal's probability.
pub async fn load_capacity_input(
    conn: &mut Conn,
    workspace_id: i64,
    horizon: Horizon,
    tentative: TentativeMode,
) -> Result<CapacityInput, sqlx::Error> {
    let first = horizon.first_week.to_string();
    let end = horizon.end().to_string();

    // 1. People.
    let rows: Vec<(i64, String, i64, i64, i64)> = sqlx::query_as(
        "SELECT id, name, weekly_capacity_minutes, cost_rate_minor, bill_rate_minor FROM people
         WHERE workspace_id = $1 AND active = 1 ORDER BY id",
    )
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut people: Vec<PersonInput> = rows
        .into_iter()
        .map(
            |(id, name, weekly_capacity, cost_rate_minor, bill_rate_minor)| PersonInput {
                id,
                name,
                skills: Vec::new(),
                weekly_capacity,
                cost_rate_minor,
                bill_rate_minor,
                time_off: Vec::new(),
            },
        )
        .collect();
    let index = |people: &[PersonInput], id: i64| people.binary_search_by_key(&id, |p| p.id).ok();

    // 2. Their skills.
    // (With the skills' names: they break ties between otherwise equal skills.)
    let skills: Vec<(i64, i64, String)> = sqlx::query_as(
        "SELECT ps.person_id, ps.skill_id, s.name FROM person_skills ps
         JOIN skills s ON s.id = ps.skill_id AND s.workspace_id = ps.workspace_id
         WHERE ps.workspace_id = $1",
    )
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut skill_names: Vec<(i64, String)> = Vec::new();
    for (person_id, skill_id, skill_name) in skills {
        if let Err(at) = skill_names.binary_search_by_key(&skill_id, |(id, _)| *id) {
            skill_names.insert(at, (skill_id, skill_name));
        }
        if let Some(i) = index(&people, person_id) {
            people[i].skills.push(skill_id);
        }
    }

    // 3. Time off overlapping the horizon, counted on working days (Monday to Friday).
    let off: Vec<(i64, String, String, i64)> = sqlx::query_as(
        "SELECT person_id, starts_on, ends_on, minutes_per_day FROM time_off
         WHERE workspace_id = $1 AND ends_on >= $2 AND starts_on < $3",
    )
    .bind(workspace_id)
    .bind(&first)
    .bind(&end)
    .fetch_all(&mut *conn)
    .await?;
    for (person_id, starts_on, ends_on, per_day) in off {
        let (Some(i), Some(from), Some(to)) = (
            index(&people, person_id),
            Date::parse(&starts_on),
            Date::parse(&ends_on),
        ) else {
            continue;
        };
        let from = from.max(horizon.first_week);
        let to = to.min(horizon.end().add_days(-1));
        let mut day = from;
        while day <= to {
            if day.iso_weekday() <= 5 {
                if let Some(week) = horizon.week_of(day) {
                    let list = &mut people[i].time_off;
                    match list.iter_mut().find(|(w, _)| *w == week) {
                        Some((_, m)) => *m += per_day,
                        None => list.push((week, per_day)),
                    }
                }
            }
            day = day.add_days(1);
        }
    }
    for p in &mut people {
        for (_, minutes) in &mut p.time_off {
            *minutes = (*minutes).min(crate::domain::capacity::WEEK_MINUTES);
        }
    }

    // 4. Allocations in the horizon: confirmed on projects, tentative on open deals. When
    // tentative work does not count, only confirmed minutes are read, summed per cell.
    let rows: Vec<AllocationRow> = if tentative == TentativeMode::Exclude {
        sqlx::query_as(
            "SELECT person_id, week, CAST(SUM(minutes) AS BIGINT), NULL, NULL
             FROM allocations
             WHERE workspace_id = $1 AND week >= $2 AND week < $3 AND project_id IS NOT NULL
             GROUP BY person_id, week",
        )
        .bind(workspace_id)
        .bind(&first)
        .bind(&end)
        .fetch_all(&mut *conn)
        .await?
    } else {
        sqlx::query_as(
            "SELECT a.person_id, a.week, a.minutes,
                    CASE WHEN a.deal_id IS NULL THEN NULL
                         ELSE COALESCE(d.probability_override_pct, s.probability_pct) END,
                    a.deal_id
             FROM allocations a
             LEFT JOIN deals d ON d.id = a.deal_id AND d.workspace_id = a.workspace_id
             LEFT JOIN stages s ON s.id = d.stage_id
             WHERE a.workspace_id = $1 AND a.week >= $2 AND a.week < $3
               AND (a.deal_id IS NULL OR (s.kind = 'open' AND d.archived_at IS NULL))",
        )
        .bind(workspace_id)
        .bind(&first)
        .bind(&end)
        .fetch_all(&mut *conn)
        .await?
    };
    let allocations = rows
        .into_iter()
        .filter_map(
            |AllocationRow(person_id, week, minutes, probability, deal_id)| {
                let week = horizon.week_of(Date::parse(&week)?)?;
                Some(AllocationInput {
                    person_id,
                    week,
                    minutes: minutes.min(crate::domain::capacity::WEEK_MINUTES),
                    kind: match deal_id {
                        None => AllocationKind::Confirmed,
                        Some(_) => AllocationKind::Tentative {
                            probability_pct: probability.unwrap_or(0).clamp(0, 100),
                        },
                    },
                })
            },
        )
        .collect();

    Ok(CapacityInput {
        horizon_weeks: horizon.weeks,
        people,
        allocations,
        tentative,
        skill_names,
    })
}

/// A deal's demand (its estimate lines over its planned weeks), its planned start and its
/// value, if the deal is in the workspace.
pub async fn load_deal_demand(
    conn: &mut Conn,
    workspace_id: i64,
    deal_id: i64,
) -> Result<Option<(Demand, Option<Date>, i64)>, sqlx::Error> {
    let deal: Option<(i64, Option<String>, i64)> = sqlx::query_as(
        "SELECT planned_weeks, planned_start_on, value_minor FROM deals WHERE id = $1 AND workspace_id = $2",
    )
    .bind(deal_id)
    .bind(workspace_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((weeks, start, value)) = deal else {
        return Ok(None);
    };
    let lines: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT skill_id, minutes FROM deal_estimate_lines WHERE deal_id = $1 AND workspace_id = $2 ORDER BY skill_id",
    )
    .bind(deal_id)
    .bind(workspace_id)
    .fetch_all(&mut *conn)
    .await?;
    let demand = Demand {
        lines: lines
            .into_iter()
            .map(|(skill, minutes)| DemandLine { skill, minutes })
            .collect(),
        weeks: weeks.clamp(1, 104) as u32,
    };
    Ok(Some((
        demand,
        start.as_deref().and_then(Date::parse),
        value,
    )))
}

/// An open deal's demand as the board's capacity badge checks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenDemand {
    /// The deal.
    pub deal_id: i64,
    /// Its planned start.
    pub start: Date,
    /// Its estimate lines over its planned weeks.
    pub demand: Demand,
}

/// The estimate of every open, live deal with a planned start (or only `only`), one row
/// per deal: the lines come folded into one column (`skill:minutes,…`) so a board of
/// thousands of deals reads thousands of rows, not one per line.
pub async fn open_demands(
    conn: &mut Conn,
    workspace_id: i64,
    only: Option<i64>,
) -> Result<Vec<OpenDemand>, sqlx::Error> {
    let rows: Vec<(i64, String, i64, String)> = sqlx::query_as(
        "SELECT d.id, d.planned_start_on, d.planned_weeks,
                GROUP_CONCAT(l.skill_id || ':' || l.minutes, ',')
         FROM deals d
         JOIN stages s ON s.id = d.stage_id
         JOIN deal_estimate_lines l ON l.deal_id = d.id
         WHERE d.workspace_id = $1 AND s.kind = 'open' AND d.archived_at IS NULL
           AND d.planned_start_on IS NOT NULL AND ($2 IS NULL OR d.id = $2)
         GROUP BY d.id, d.planned_start_on, d.planned_weeks
         ORDER BY d.id",
    )
    .bind(workspace_id)
    .bind(only)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(deal_id, start, weeks, lines)| {
            let mut lines: Vec<DemandLine> = lines
                .split(',')
                .filter_map(|pair| {
                    let (skill, minutes) = pair.split_once(':')?;
                    Some(DemandLine {
                        skill: skill.parse().ok()?,
                        minutes: minutes.parse().ok()?,
                    })
                })
                .collect();
            lines.sort_by_key(|l| (l.skill, l.minutes));
            Some(OpenDemand {
                deal_id,
                start: Date::parse(&start)?,
                demand: Demand {
                    lines,
                    weeks: weeks.clamp(1, 104) as u32,
                },
            })
        })
        .collect())
}
