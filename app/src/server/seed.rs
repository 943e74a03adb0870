//! The demo agency: a deterministic generator of realistic data, relative to today.
//!
//! `seed_demo` writes two workspaces — Northwind Studio, a digital agency in Berlin (the
//! demo, with one login per built-in role), and the small Bluebird Creative, a brand and
//! video studio in New York with its own clients, people, skills and pipeline (so
//! isolation can be seen and tested). Their words are in [`super::seed_agencies`].
//! The same generator scales for benchmarks: `baton seed --people 500 --deals 5000`.
//! Given the same size and the same day it writes the same rows.

use super::auth::hash_password;
use super::calendar::WorkspaceCalendar;
use super::db::{Db, Pool};
use super::seed_agencies::{Agency, BLUEBIRD, NORTHWIND};
use crate::domain::calendar::{Date, Today, WeekStart, MS_PER_DAY};
use crate::domain::permissions::RolePreset;
use crate::domain::rng::SplitMix;
use serde_json::json;
use std::collections::BTreeMap;

/// The password of every demo login.
pub const DEMO_PASSWORD: &str = "baton-demo";

/// How much data to generate for the main workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedSize {
    /// People (staff) in the workspace.
    pub people: usize,
    /// Deals across all stages; every fifth-or-so is won and has a project.
    pub deals: usize,
}

impl SeedSize {
    /// The demo agency's size.
    pub const DEMO: SeedSize = SeedSize {
        people: 28,
        deals: 64,
    };
}

/// A demo login: email and the built-in role it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoLogin {
    /// Sign-in email.
    pub email: &'static str,
    /// Display name.
    pub name: &'static str,
    /// Its role.
    pub role: RolePreset,
}

/// The demo workspace's logins, one per built-in role (plus a second account manager).
pub const DEMO_LOGINS: [DemoLogin; 6] = [
    DemoLogin {
        email: "admin@northwind.test",
        name: "Nora Lindqvist",
        role: RolePreset::Admin,
    },
    DemoLogin {
        email: "am@northwind.test",
        name: "Sofia Marin",
        role: RolePreset::AccountManager,
    },
    DemoLogin {
        email: "pm@northwind.test",
        name: "Tomasz Nowak",
        role: RolePreset::ProjectManager,
    },
    DemoLogin {
        email: "team@northwind.test",
        name: "Priya Raman",
        role: RolePreset::TeamMember,
    },
    DemoLogin {
        email: "finance@northwind.test",
        name: "Felix Okafor",
        role: RolePreset::Finance,
    },
    DemoLogin {
        email: "daniel@northwind.test",
        name: "Daniel Brooks",
        role: RolePreset::AccountManager,
    },
];

/// The second workspace's only login.
pub const BLUEBIRD_ADMIN: DemoLogin = DemoLogin {
    email: "admin@bluebird.test",
    name: "Beatriz Mendoza",
    role: RolePreset::Admin,
};

/// What a seed wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SeedReport {
    /// Workspaces created.
    pub workspaces: i64,
    /// People created.
    pub people: i64,
    /// Users created.
    pub users: i64,
    /// Clients created.
    pub clients: i64,
    /// Deals created.
    pub deals: i64,
    /// Projects created.
    pub projects: i64,
    /// Allocations created (confirmed and tentative).
    pub allocations: i64,
    /// Time entries created.
    pub time_entries: i64,
    /// Events appended.
    pub events: i64,
}

impl SeedReport {
    fn absorb(&mut self, other: &SeedReport) {
        self.workspaces += other.workspaces;
        self.people += other.people;
        self.users += other.users;
        self.clients += other.clients;
        self.deals += other.deals;
        self.projects += other.projects;
        self.allocations += other.allocations;
        self.time_entries += other.time_entries;
        self.events += other.events;
    }
}

/// Seeds the demo (both workspaces) unless any workspace exists. Returns whether it seeded.
/// The check and the seed are one write transaction: two servers starting on one empty
/// database seed it once.
pub async fn seed_demo_if_empty(pool: &Pool, now_ms: i64) -> Result<bool, sqlx::Error> {
    let mut tx = super::db::begin_write(pool, 0).await?;
    let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM workspaces")
        .fetch_one(&mut *tx)
        .await?;
    if existing > 0 {
        return Ok(false);
    }
    seed_into(&mut tx, SeedSize::DEMO, now_ms).await?;
    tx.commit().await?;
    Ok(true)
}

/// Writes Northwind Studio at `size` and Bluebird Creative, in one transaction.
pub async fn seed_demo(
    pool: &Pool,
    size: SeedSize,
    now_ms: i64,
) -> Result<SeedReport, sqlx::Error> {
    let mut tx = super::db::begin_write(pool, 0).await?;
    let report = seed_into(&mut tx, size, now_ms).await?;
    tx.commit().await?;
    Ok(report)
}

async fn seed_into(
    tx: &mut super::db::WriteTx,
    size: SeedSize,
    now_ms: i64,
) -> Result<SeedReport, sqlx::Error> {
    let mut report = SeedReport::default();
    let northwind = WorkspaceSpec {
        slug: "demo",
        name: "Northwind Studio",
        currency: "EUR",
        size,
        logins: &DEMO_LOGINS,
        rng_seed: 0x0B47_0D3E,
        time_zone: "Europe/Berlin",
        agency: &NORTHWIND,
    };
    report.absorb(&seed_workspace(tx, &northwind, now_ms).await?);
    let bluebird = WorkspaceSpec {
        slug: "bluebird",
        name: "Bluebird Creative",
        currency: "USD",
        size: SeedSize {
            people: 6,
            deals: 10,
        },
        logins: std::slice::from_ref(&BLUEBIRD_ADMIN),
        rng_seed: 0xB10E_B12D,
        time_zone: "America/New_York",
        agency: &BLUEBIRD,
    };
    report.absorb(&seed_workspace(tx, &bluebird, now_ms).await?);
    Ok(report)
}

struct WorkspaceSpec<'a> {
    slug: &'a str,
    name: &'a str,
    currency: &'a str,
    size: SeedSize,
    logins: &'a [DemoLogin],
    rng_seed: u64,
    /// The workspace's time zone (weeks start on Monday): the seed's days are its days.
    time_zone: &'a str,
    /// What it sells, who works there, who buys.
    agency: &'static Agency,
}

/// Which stage the i-th deal lands in: a pipeline thick at the top, with wins and losses.
const STAGE_CYCLE: [usize; 16] = [0, 1, 2, 0, 3, 4, 1, 2, 0, 4, 5, 1, 2, 3, 4, 0];

struct Person {
    id: i64,
    skills: Vec<usize>,
    capacity: i64,
}

struct Writer<'t, 'c> {
    tx: &'t mut sqlx::Transaction<'c, Db>,
    workspace_id: i64,
    /// Events of the seeded history, appended in time order at the end.
    events: Vec<SeedEvent>,
    report: SeedReport,
}

struct SeedEvent {
    at: i64,
    actor: Option<i64>,
    entity: &'static str,
    entity_id: i64,
    action: &'static str,
    after: serde_json::Value,
}

impl Writer<'_, '_> {
    fn event(
        &mut self,
        actor: Option<i64>,
        entity: &'static str,
        entity_id: i64,
        action: &'static str,
        after: serde_json::Value,
        at: i64,
    ) {
        self.events.push(SeedEvent {
            at,
            actor,
            entity,
            entity_id,
            action,
            after,
        });
    }

    /// Appends the collected history, oldest first, numbered 1, 2, 3, ...
    async fn flush_events(&mut self) -> Result<(), sqlx::Error> {
        self.events.sort_by_key(|e| e.at);
        for (i, e) in self.events.iter().enumerate() {
            sqlx::query(
                "INSERT INTO events (workspace_id, seq, actor_user_id, entity, entity_id, action,
                                     before_json, after_json, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, NULL, $7, $8)",
            )
            .bind(self.workspace_id)
            .bind(i as i64 + 1)
            .bind(e.actor)
            .bind(e.entity)
            .bind(e.entity_id)
            .bind(e.action)
            .bind(e.after.to_string())
            .bind(e.at)
            .execute(&mut **self.tx)
            .await?;
        }
        self.report.events += self.events.len() as i64;
        self.events.clear();
        Ok(())
    }
}

async fn insert_id<'q>(
    tx: &mut sqlx::Transaction<'_, Db>,
    query: sqlx::query::QueryScalar<'q, Db, i64, <Db as sqlx::Database>::Arguments<'q>>,
) -> Result<i64, sqlx::Error> {
    query.fetch_one(&mut **tx).await
}

async fn seed_workspace(
    tx: &mut sqlx::Transaction<'_, Db>,
    spec: &WorkspaceSpec<'_>,
    now_ms: i64,
) -> Result<SeedReport, sqlx::Error> {
    let calendar = WorkspaceCalendar::new(spec.time_zone, WeekStart::MONDAY)
        .map_err(|e| sqlx::Error::Protocol(format!("the seed's time zone: {e}")))?;
    let today = calendar.at(now_ms);
    let workspace_id = insert_id(
        tx,
        sqlx::query_scalar(
            "INSERT INTO workspaces (slug, name, currency, week_start, time_zone,
                                     margin_target_bp, margin_floor_bp, created_at)
             VALUES ($1, $2, $3, $4, $5, 3500, 1500, $6) RETURNING id",
        )
        .bind(spec.slug)
        .bind(spec.name)
        .bind(spec.currency)
        .bind(i64::from(today.week_start.iso()))
        .bind(calendar.zone_name())
        .bind(now_ms),
    )
    .await?;
    let mut w = Writer {
        tx,
        workspace_id,
        events: Vec::new(),
        report: SeedReport {
            workspaces: 1,
            ..SeedReport::default()
        },
    };
    // One generator for the whole workspace, drawn from in this order: the same size and
    // day give the same rows.
    let mut rng = SplitMix::new(spec.rng_seed);
    let role_ids = seed_roles(&mut w).await?;
    let skill_ids = seed_skills(&mut w, spec.agency).await?;
    let (people, person_by_name) =
        seed_people(&mut w, &mut rng, spec, &skill_ids, today, now_ms).await?;
    let (owner_ids, admin_id) =
        seed_users(&mut w, spec, &role_ids, &person_by_name, now_ms).await?;
    let clients = seed_clients(&mut w, spec, &owner_ids, admin_id, now_ms).await?;
    let stage_ids = seed_stages(&mut w, spec.agency).await?;
    let team = Team {
        agency: spec.agency,
        skill_ids,
        people,
        owner_ids,
        clients,
        stage_ids,
    };
    seed_deals(&mut w, &mut rng, spec, &team, today, now_ms).await?;
    w.flush_events().await?;
    Ok(w.report)
}

/// What the deals are written against.
struct Team {
    agency: &'static Agency,
    skill_ids: Vec<i64>,
    people: Vec<Person>,
    /// Users who own clients and deals (admins and account managers).
    owner_ids: Vec<i64>,
    /// (id, name).
    clients: Vec<(i64, String)>,
    stage_ids: Vec<i64>,
}

/// One role per built-in preset, with its permissions: role ids by preset key.
async fn seed_roles(w: &mut Writer<'_, '_>) -> Result<BTreeMap<&'static str, i64>, sqlx::Error> {
    let workspace_id = w.workspace_id;
    let mut role_ids = BTreeMap::new();
    for preset in RolePreset::ALL {
        let role_id = insert_id(
            w.tx,
            sqlx::query_scalar(
                "INSERT INTO roles (workspace_id, name, preset) VALUES ($1, $2, $3) RETURNING id",
            )
            .bind(workspace_id)
            .bind(preset.name())
            .bind(preset.key()),
        )
        .await?;
        for permission in preset.permissions() {
            sqlx::query(
                "INSERT INTO role_permissions (role_id, workspace_id, permission) VALUES ($1, $2, $3)",
            )
            .bind(role_id)
            .bind(workspace_id)
            .bind(permission.as_str())
            .execute(&mut **w.tx)
            .await?;
        }
        role_ids.insert(preset.key(), role_id);
    }
    Ok(role_ids)
}

/// The agency's skills, ids in that order.
async fn seed_skills(w: &mut Writer<'_, '_>, agency: &Agency) -> Result<Vec<i64>, sqlx::Error> {
    let mut skill_ids = Vec::new();
    for skill in agency.skills {
        skill_ids.push(
            insert_id(
                w.tx,
                sqlx::query_scalar(
                    "INSERT INTO skills (workspace_id, name) VALUES ($1, $2) RETURNING id",
                )
                .bind(w.workspace_id)
                .bind(skill.name),
            )
            .await?,
        );
    }
    Ok(skill_ids)
}

/// The studio: the logins who deliver come first, then the rest, with skills, rates and
/// some time off. Answers the people and their ids by name.
async fn seed_people(
    w: &mut Writer<'_, '_>,
    rng: &mut SplitMix,
    spec: &WorkspaceSpec<'_>,
    skill_ids: &[i64],
    today: Today,
    now_ms: i64,
) -> Result<(Vec<Person>, BTreeMap<String, i64>), sqlx::Error> {
    let workspace_id = w.workspace_id;
    let this_week = today.this_week();
    let agency = spec.agency;
    let main_skill_cycle: Vec<usize> = agency
        .skills
        .iter()
        .enumerate()
        .flat_map(|(i, s)| std::iter::repeat_n(i, s.share))
        .collect();
    let [team_member_skill, pm_skill, other_skill] =
        agency.login_skills.map(|s| agency.skill_index(s));
    let login_people: Vec<(&str, usize)> = spec
        .logins
        .iter()
        .filter_map(|login| match login.role {
            RolePreset::Finance => None,
            RolePreset::TeamMember => Some((login.name, team_member_skill)),
            RolePreset::ProjectManager => Some((login.name, pm_skill)),
            _ => Some((login.name, other_skill)),
        })
        .collect();
    let mut people: Vec<Person> = Vec::new();
    let mut person_by_name = BTreeMap::new();
    for i in 0..spec.size.people {
        let (name, main) = match login_people.get(i) {
            Some(&(name, skill)) => (name.to_string(), skill),
            None => {
                let k = i + spec.rng_seed as usize % 7;
                let (firsts, lasts) = (agency.first_names, agency.last_names);
                let first = firsts[k % firsts.len()];
                let last = lasts[(k * 7 + k / firsts.len()) % lasts.len()];
                let name = if k >= firsts.len() * lasts.len() {
                    format!("{first} {last} {}", k / (firsts.len() * lasts.len()) + 1)
                } else {
                    format!("{first} {last}")
                };
                (name, main_skill_cycle[i % main_skill_cycle.len()])
            }
        };
        let mut skills = vec![main];
        if rng.chance(35) {
            let second = match *agency.skills[main].second {
                [either, or] => {
                    if rng.chance(50) {
                        either
                    } else {
                        or
                    }
                }
                [only, ..] => only,
                [] => agency.skills[main].name,
            };
            let second = agency.skill_index(second);
            if second != main {
                skills.push(second);
            }
        }
        let capacity = if i % 11 == 10 {
            24 * 60
        } else if i % 7 == 6 {
            32 * 60
        } else {
            40 * 60
        };
        let skill = agency.skills[main];
        let cost_rate = (skill.cost + rng.range(-8, 12)) * 100;
        let bill_rate = (skill.bill + rng.range(-10, 15)) * 100;
        let email = format!(
            "{}@{}.test",
            name.to_lowercase().replace(' ', "."),
            spec.slug
        );
        let person_id = insert_id(
            w.tx,
            sqlx::query_scalar(
                "INSERT INTO people (workspace_id, name, email, title, weekly_capacity_minutes,
                                     cost_rate_minor, bill_rate_minor, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(workspace_id)
            .bind(&name)
            .bind(&email)
            .bind(skill.name)
            .bind(capacity)
            .bind(cost_rate)
            .bind(bill_rate)
            .bind(now_ms),
        )
        .await?;
        for &skill in &skills {
            sqlx::query(
                "INSERT INTO person_skills (person_id, skill_id, workspace_id) VALUES ($1, $2, $3)",
            )
            .bind(person_id)
            .bind(skill_ids[skill])
            .bind(workspace_id)
            .execute(&mut **w.tx)
            .await?;
        }
        // About one in four has time off in the coming weeks.
        if rng.chance(25) {
            let start = this_week.add_days(7 * rng.range(0, 9) as i32 + rng.range(0, 2) as i32);
            let end = start.add_days(rng.range(1, 4) as i32);
            sqlx::query(
                "INSERT INTO time_off (workspace_id, person_id, starts_on, ends_on,
                                       minutes_per_day, reason, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(workspace_id)
            .bind(person_id)
            .bind(start.to_string())
            .bind(end.to_string())
            .bind(capacity / 5)
            .bind(if rng.chance(70) {
                agency.time_off_reasons[0]
            } else {
                agency.time_off_reasons[1]
            })
            .bind(now_ms)
            .execute(&mut **w.tx)
            .await?;
        }
        person_by_name.insert(name.clone(), person_id);
        people.push(Person {
            id: person_id,
            skills,
            capacity,
        });
        w.report.people += 1;
    }

    Ok((people, person_by_name))
}

/// One user per login, linked to their person where they have one. Answers the users who
/// own clients and deals, and the admin.
async fn seed_users(
    w: &mut Writer<'_, '_>,
    spec: &WorkspaceSpec<'_>,
    role_ids: &BTreeMap<&'static str, i64>,
    person_by_name: &BTreeMap<String, i64>,
    now_ms: i64,
) -> Result<(Vec<i64>, Option<i64>), sqlx::Error> {
    let workspace_id = w.workspace_id;
    let mut owner_ids = Vec::new();
    let mut admin_id = None;
    for login in spec.logins {
        let user_id = insert_id(
            w.tx,
            sqlx::query_scalar(
                "INSERT INTO users (workspace_id, person_id, email, name, password_hash, role_id,
                                    created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(workspace_id)
            .bind(person_by_name.get(login.name).copied())
            .bind(login.email)
            .bind(login.name)
            .bind(hash_password(DEMO_PASSWORD))
            .bind(role_ids[login.role.key()])
            .bind(now_ms),
        )
        .await?;
        if matches!(login.role, RolePreset::Admin | RolePreset::AccountManager) {
            owner_ids.push(user_id);
        }
        if login.role == RolePreset::Admin {
            admin_id = Some(user_id);
        }
        w.report.users += 1;
    }

    Ok((owner_ids, admin_id))
}

/// Clients, owned in turn by the owners, with a contact and a health flag: (id, name).
async fn seed_clients(
    w: &mut Writer<'_, '_>,
    spec: &WorkspaceSpec<'_>,
    owner_ids: &[i64],
    admin_id: Option<i64>,
    now_ms: i64,
) -> Result<Vec<(i64, String)>, sqlx::Error> {
    let workspace_id = w.workspace_id;
    let client_count = (spec.size.deals / 6)
        .clamp(3, 400)
        .max(if spec.size.deals >= 48 { 10 } else { 3 });
    let health = ["good", "good", "good", "watch", "good", "at_risk"];
    let Agency {
        client_prefixes: prefixes,
        client_suffixes: suffixes,
        first_names: firsts,
        last_names: lasts,
        ..
    } = spec.agency;
    let mut clients = Vec::new();
    for i in 0..client_count {
        let base = format!(
            "{} {}",
            prefixes[i % prefixes.len()],
            suffixes[(i / prefixes.len() + i * 3) % suffixes.len()]
        );
        let name = if i >= 100 {
            format!("{base} {}", i / 100 + 1)
        } else {
            base
        };
        let client_id = insert_id(
            w.tx,
            sqlx::query_scalar(
                "INSERT INTO clients (workspace_id, name, owner_user_id, health, contact_name,
                                      contact_email, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(workspace_id)
            .bind(&name)
            .bind(owner_ids[i % owner_ids.len()])
            .bind(health[i % health.len()])
            .bind(format!(
                "{} {}",
                firsts[(i * 5 + 3) % firsts.len()],
                lasts[(i * 3 + 1) % lasts.len()]
            ))
            .bind(format!(
                "hello@{}.example",
                name.to_lowercase().replace(' ', "-")
            ))
            .bind(now_ms),
        )
        .await?;
        w.event(
            admin_id,
            "client",
            client_id,
            "created",
            json!({ "name": name }),
            now_ms,
        );
        clients.push((client_id, name));
        w.report.clients += 1;
    }

    Ok(clients)
}

/// The agency's pipeline, ids in that order.
async fn seed_stages(w: &mut Writer<'_, '_>, agency: &Agency) -> Result<Vec<i64>, sqlx::Error> {
    let workspace_id = w.workspace_id;
    let mut stage_ids = Vec::new();
    for (position, stage) in agency.stages.iter().enumerate() {
        stage_ids.push(
            insert_id(
                w.tx,
                sqlx::query_scalar(
                    "INSERT INTO stages (workspace_id, name, position, probability_pct, kind,
                                         rotting_days)
                     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
                )
                .bind(workspace_id)
                .bind(stage.name)
                .bind(position as i64)
                .bind(stage.probability_pct)
                .bind(stage.kind)
                .bind(stage.rotting_days),
            )
            .await?,
        );
    }

    Ok(stage_ids)
}

/// One deal as the generator draws it, before it is written.
struct DealPlan {
    stage: usize,
    client_id: i64,
    client_name: String,
    owner: i64,
    title: String,
    /// (index in the agency's skills, minutes).
    lines: Vec<(usize, i64)>,
    value: i64,
    probability_override: Option<i64>,
    weeks: i64,
    kind: &'static str,
    entered_at: i64,
    /// The furthest stage it reached (index in the agency's stages) and when: its last progress.
    furthest: usize,
    progressed_at: i64,
    closed_at: Option<i64>,
    expected_close: Date,
    start: Date,
    created_at: i64,
    goals: String,
    priorities: &'static str,
    context: String,
    lost_reason: Option<&'static str>,
}

/// Deals, their estimates, and for won deals the project with staffing and time; dates
/// relative to the workspace's `today`.
async fn seed_deals(
    w: &mut Writer<'_, '_>,
    rng: &mut SplitMix,
    spec: &WorkspaceSpec<'_>,
    team: &Team,
    today: Today,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    // Load per (person, week) so staffing spreads work instead of piling it on one person.
    let mut load: BTreeMap<(usize, i32), i64> = BTreeMap::new();
    for i in 0..spec.size.deals {
        let plan = plan_deal(rng, team, i, today, now_ms);
        let deal_id = insert_deal(w, team, &plan).await?;
        // Staffing: confirmed for won deals (on their project), tentative for deals in
        // negotiation, none before.
        let (project_id, tentative_deal_id) = match plan.kind {
            "won" => (
                Some(insert_project(w, &plan, deal_id, today, now_ms).await?),
                None,
            ),
            "open" if plan.stage == 3 => (None, Some(deal_id)),
            _ => continue,
        };
        staff(
            w,
            rng,
            team,
            &plan,
            project_id,
            tentative_deal_id,
            &mut load,
            today,
            now_ms,
        )
        .await?;
    }
    Ok(())
}

/// Draws deal `i`: stage, client, owner, estimate, value, dates and brief.
fn plan_deal(rng: &mut SplitMix, team: &Team, i: usize, day: Today, now_ms: i64) -> DealPlan {
    let today = day.date;
    let Team {
        agency,
        owner_ids,
        clients,
        ..
    } = team;
    let templates = agency.deal_templates;
    let stage = STAGE_CYCLE[i % STAGE_CYCLE.len()];
    let (template, template_skills) = templates[(i * 5 + i / 12) % templates.len()];
    let (client_id, client_name) = &clients[(i * 7 + i / 3) % clients.len()];
    let owner = owner_ids[i % owner_ids.len()];
    let title = if i / templates.len() % 3 == 1 {
        format!("{template} — phase 2")
    } else {
        template.to_string()
    };

    let mut lines: Vec<(usize, i64)> = Vec::new();
    for (k, skill) in template_skills.iter().enumerate() {
        if k > 1 && rng.chance(25) {
            continue;
        }
        let hours = rng.range(5, 40) * 8;
        lines.push((agency.skill_index(skill), hours * 60));
    }
    let sell: i64 = lines
        .iter()
        .map(|&(s, minutes)| minutes * agency.skills[s].bill * 100 / 60)
        .sum();
    let value = (sell * rng.range(90, 125) / 100 / 50_000).max(1) * 50_000;
    let probability_override = if stage < 4 && rng.chance(12) {
        Some(rng.range(1, 19) * 5)
    } else {
        None
    };
    let weeks = rng.range(4, 14);
    let (kind, entered_at, closed_at, expected_close, start) = match agency.stages[stage].kind {
        "open" => {
            // Most deals move on in time; about one in five sits past its stage's limit.
            let limit = agency.stages[stage].rotting_days.unwrap_or(14);
            let days = if rng.chance(20) {
                rng.range(limit + 1, limit + 20)
            } else {
                rng.range(0, limit - 1)
            };
            let entered = now_ms - days * MS_PER_DAY - rng.range(0, 86_000_000);
            let close = today.add_days(rng.range(3, 75) as i32);
            let start = day.week_of(close.add_days(rng.range(7, 21) as i32));
            ("open", entered, None, close, start)
        }
        kind => {
            let days_ago = rng.range(10, 70);
            let closed = now_ms - days_ago * MS_PER_DAY;
            let close = today.add_days(-(days_ago as i32));
            let start = day.week_of(close.add_days(7));
            (kind, closed, Some(closed), close, start)
        }
    };
    let created_at = entered_at - rng.range(0, 40) * MS_PER_DAY;
    let (furthest, progressed_at) = match (kind, bounced_days(i)) {
        ("open", Some(days)) if entered_at - days * MS_PER_DAY > created_at => {
            (stage + 1, entered_at - days * MS_PER_DAY)
        }
        ("lost", _) => (0, created_at),
        _ => (stage, entered_at),
    };
    let goals = (agency.goals)(client_name, template);
    let priorities = agency.priorities;
    let context = (agency.context)(value / 100_000);
    DealPlan {
        stage,
        client_id: *client_id,
        client_name: client_name.clone(),
        owner,
        title,
        lines,
        value,
        probability_override,
        weeks,
        kind,
        entered_at,
        furthest,
        progressed_at,
        closed_at,
        expected_close,
        start,
        created_at,
        goals,
        priorities,
        context,
        lost_reason: (kind == "lost").then(|| agency.lost_reasons[i % agency.lost_reasons.len()]),
    }
}

/// How many days before it moved back deal `i` had reached the stage after its own, if it
/// is one of the open deals (about one in eight) that went a stage further once and was
/// moved back since: its days in stage start again, its days without progress do not.
fn bounced_days(i: usize) -> Option<i64> {
    let slot = i % STAGE_CYCLE.len();
    (matches!(slot, 6 | 12) && STAGE_CYCLE[slot] < 3).then(|| 3 + (i as i64 * 7) % 19)
}

/// Writes a drawn deal with its estimate lines and its history; answers its id.
async fn insert_deal(
    w: &mut Writer<'_, '_>,
    team: &Team,
    plan: &DealPlan,
) -> Result<i64, sqlx::Error> {
    let workspace_id = w.workspace_id;
    let DealPlan {
        stage,
        client_id,
        owner,
        ref title,
        ref lines,
        value,
        probability_override,
        weeks,
        entered_at,
        furthest,
        progressed_at,
        closed_at,
        expected_close,
        start,
        created_at,
        ref goals,
        priorities,
        ref context,
        lost_reason,
        ..
    } = *plan;
    let Team {
        agency,
        skill_ids,
        stage_ids,
        ..
    } = team;
    let deal_id = insert_id(
        w.tx,
        sqlx::query_scalar(
            "INSERT INTO deals (workspace_id, client_id, title, value_minor, stage_id,
                                probability_override_pct, owner_user_id, expected_close_on,
                                planned_start_on, planned_weeks, brief_goals,
                                brief_priorities, brief_context, notes, stage_entered_at,
                                created_at, updated_at, closed_at, lost_reason,
                                furthest_stage_id, progressed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, '', $14, $15,
                     $16, $17, $18, $19, $20) RETURNING id",
        )
        .bind(workspace_id)
        .bind(client_id)
        .bind(title)
        .bind(value)
        .bind(stage_ids[stage])
        .bind(probability_override)
        .bind(owner)
        .bind(expected_close.to_string())
        .bind(start.to_string())
        .bind(weeks)
        .bind(goals)
        .bind(priorities)
        .bind(context)
        .bind(entered_at)
        .bind(created_at)
        .bind(entered_at)
        .bind(closed_at)
        .bind(lost_reason)
        .bind(stage_ids[furthest])
        .bind(progressed_at),
    )
    .await?;
    for &(skill, minutes) in lines {
        sqlx::query(
            "INSERT INTO deal_estimate_lines (workspace_id, deal_id, skill_id, minutes)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(workspace_id)
        .bind(deal_id)
        .bind(skill_ids[skill])
        .bind(minutes)
        .execute(&mut **w.tx)
        .await?;
    }
    w.event(
        Some(owner),
        "deal",
        deal_id,
        "created",
        json!({ "title": title, "value_minor": value, "stage": agency.stages[0].name }),
        created_at,
    );
    if furthest > stage {
        w.event(
            Some(owner),
            "deal",
            deal_id,
            "stage_changed",
            json!({ "stage": agency.stages[furthest].name }),
            progressed_at,
        );
    }
    if stage > 0 {
        w.event(
            Some(owner),
            "deal",
            deal_id,
            "stage_changed",
            json!({ "stage": agency.stages[stage].name }),
            entered_at,
        );
    }
    w.report.deals += 1;

    Ok(deal_id)
}

/// Writes the project of a won deal; answers its id.
async fn insert_project(
    w: &mut Writer<'_, '_>,
    plan: &DealPlan,
    deal_id: i64,
    today: Today,
    now_ms: i64,
) -> Result<i64, sqlx::Error> {
    let workspace_id = w.workspace_id;
    let today = today.date;
    let DealPlan {
        client_id,
        ref client_name,
        ref title,
        value,
        weeks,
        closed_at,
        start,
        ref goals,
        priorities,
        ref context,
        owner,
        ..
    } = *plan;
    let ends = start.add_days(7 * weeks as i32 - 3);
    let status = crate::domain::project::ProjectStatus::of_new_project(start, today).as_str();
    let project_id = insert_id(
        w.tx,
        sqlx::query_scalar(
            "INSERT INTO projects (workspace_id, deal_id, client_id, name,
                                       budget_minor, starts_on, ends_on, pm_user_id,
                                       status, brief_goals, brief_priorities,
                                       brief_context, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(workspace_id)
        .bind(deal_id)
        .bind(client_id)
        .bind(format!("{client_name} — {title}"))
        .bind(value)
        .bind(start.to_string())
        .bind(ends.to_string())
        .bind(status)
        .bind(goals)
        .bind(priorities)
        .bind(context)
        .bind(closed_at.unwrap_or(now_ms)),
    )
    .await?;
    w.event(
        Some(owner),
        "project",
        project_id,
        "created",
        json!({ "deal_id": deal_id, "budget_minor": value }),
        closed_at.unwrap_or(now_ms),
    );
    w.report.projects += 1;
    Ok(project_id)
}

/// Staffs a deal week by week on the least loaded people with each skill: on its project
/// (confirmed, with time logged on past weekdays) or tentatively on the deal itself.
#[allow(clippy::too_many_arguments)]
async fn staff(
    w: &mut Writer<'_, '_>,
    rng: &mut SplitMix,
    team: &Team,
    plan: &DealPlan,
    project_id: Option<i64>,
    tentative_deal_id: Option<i64>,
    load: &mut BTreeMap<(usize, i32), i64>,
    today: Today,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    let workspace_id = w.workspace_id;
    let today = today.date;
    let people = &team.people;
    let DealPlan {
        ref lines,
        weeks,
        start,
        ..
    } = *plan;
    let mut cells: BTreeMap<(usize, i32), i64> = BTreeMap::new();
    for &(skill, minutes) in lines {
        let candidates: Vec<usize> = people
            .iter()
            .enumerate()
            .filter(|(_, p)| p.skills.contains(&skill) && p.capacity > 0)
            .map(|(ix, _)| ix)
            .collect();
        if candidates.is_empty() {
            continue;
        }
        let per_week = minutes / weeks;
        let mut remainder = minutes - per_week * weeks;
        for week_ix in 0..weeks as i32 {
            let week = start.add_days(7 * week_ix).days();
            let mut amount = per_week;
            if remainder > 0 {
                amount += remainder;
                remainder = 0;
            }
            // The least loaded person with the skill this week takes the work.
            let &who = candidates
                .iter()
                .min_by_key(|&&ix| {
                    let used = load.get(&(ix, week)).copied().unwrap_or(0);
                    (used * 100 / people[ix].capacity, ix)
                })
                .expect("candidates is not empty");
            if project_id.is_some() {
                *load.entry((who, week)).or_default() += amount;
            }
            *cells.entry((who, week)).or_default() += amount;
        }
    }
    for (&(who, week), &minutes) in &cells {
        let minutes = minutes.min(10_080);
        sqlx::query(
            "INSERT INTO allocations (workspace_id, person_id, project_id, deal_id, week,
                                      minutes, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(workspace_id)
        .bind(people[who].id)
        .bind(project_id)
        .bind(tentative_deal_id)
        .bind(Date::from_days(week).to_string())
        .bind(minutes)
        .bind(now_ms)
        .execute(&mut **w.tx)
        .await?;
        w.report.allocations += 1;

        // Time logged on past weekdays of confirmed work.
        let Some(project_id) = project_id else {
            continue;
        };
        let daily = minutes / 5;
        // The week's working days (Monday to Friday), wherever it starts.
        for day in 0..7 {
            let worked_on = Date::from_days(week).add_days(day);
            if worked_on.iso_weekday() > 5 {
                continue;
            }
            if worked_on >= today || daily < 15 || rng.chance(15) {
                continue;
            }
            let logged = ((daily + rng.range(-60, 60)).clamp(15, 600) / 15) * 15;
            sqlx::query(
                "INSERT INTO time_entries (workspace_id, project_id, person_id, worked_on,
                                           minutes, note, billable, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(workspace_id)
            .bind(project_id)
            .bind(people[who].id)
            .bind(worked_on.to_string())
            .bind(logged)
            .bind("")
            .bind(i64::from(!rng.chance(10)))
            .bind(worked_on.unix_ms() + 17 * 3_600_000)
            .execute(&mut **w.tx)
            .await?;
            w.report.time_entries += 1;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_has_one_login_per_built_in_role() {
        for preset in RolePreset::ALL {
            assert!(DEMO_LOGINS.iter().any(|l| l.role == preset), "{preset:?}");
        }
    }
}
