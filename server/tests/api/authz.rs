//! The authorization matrix: every server function of the app, called as anonymous, as a
//! user lacking the permission, as a user of another workspace (with this workspace's
//! ids) and as a permitted user. A server function missing from the matrix fails the test.

use crate::common::{fixture, leaked, Fixture, NOBODY};
use app::domain::permissions::Permission;
use axum::http::StatusCode;

/// Who may call a server function.
#[derive(Clone, Copy, Debug)]
enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in user.
    SignedIn,
    /// Signed-in users whose role grants the permission.
    Needs(Permission),
    /// Signed-in users whose role grants at least one of these.
    AnyOf(&'static [Permission]),
}

const CLIENT_CONTACT: &[Permission] = &[Permission::EditDeals, Permission::ManageProjects];
/// Closing a deal, or approving a blocked close.
const CLOSE_OR_APPROVE: &[Permission] = &[Permission::CloseDeals, Permission::OverrideChecks];
/// Deciding a change request, or approving a blocked one.
const DECIDE_OR_APPROVE: &[Permission] = &[Permission::ManageProjects, Permission::OverrideChecks];

/// Ids from the Northwind workspace that the calls use.
struct Ids {
    time_entry: i64,
    time_entry_version: i64,
    this_week: String,
    next_week: String,
    person: i64,
    time_off: i64,
    time_off_version: i64,
    project: i64,
    project_version: i64,
    project_deal_version: i64,
    client: i64,
    client_version: i64,
    lead_deal: i64,
    lead_deal_version: i64,
    qualified_stage: i64,
    spare_role: i64,
    spare_role_version: i64,
    team_user: i64,
    team_user_version: i64,
    admin_user: i64,
    change: i64,
    change_version: i64,
    share_link: i64,
    skill: i64,
}

struct Case {
    name: &'static str,
    access: Access,
    /// The form body, using Northwind's ids.
    args: fn(&Ids) -> String,
    /// Whether the body names a Northwind row, so another workspace must get "not found".
    names_a_row: bool,
}

fn cases() -> Vec<Case> {
    use Access::*;
    vec![
        Case {
            name: "current_user",
            access: Public,
            args: |_| String::new(),
            names_a_row: false,
        },
        Case {
            name: "login",
            access: Public,
            args: |_| "email=admin%40northwind.test&password=baton-demo".into(),
            names_a_row: false,
        },
        Case {
            name: "accept_invite",
            access: Public,
            args: |_| "token=not-a-token&password=long%20enough%20password".into(),
            names_a_row: false,
        },
        Case {
            name: "logout",
            access: SignedIn,
            args: |_| String::new(),
            names_a_row: false,
        },
        Case {
            name: "list_board",
            access: Needs(Permission::ViewPipeline),
            args: |_| String::new(),
            names_a_row: false,
        },
        Case {
            name: "list_roles",
            access: Needs(Permission::ManageUsers),
            args: |_| String::new(),
            names_a_row: false,
        },
        Case {
            name: "create_role",
            access: Needs(Permission::ManageUsers),
            args: |_| "name=Auditors".into(),
            names_a_row: false,
        },
        Case {
            name: "rename_role",
            access: Needs(Permission::ManageUsers),
            args: |ids| {
                format!(
                    "role_id={}&name=Renamed&version={}",
                    ids.spare_role, ids.spare_role_version
                )
            },
            names_a_row: true,
        },
        Case {
            name: "set_role_permission",
            access: Needs(Permission::ManageUsers),
            args: |ids| {
                format!(
                    "role_id={}&permission=edit_deals&granted=true&version={}",
                    ids.spare_role, ids.spare_role_version
                )
            },
            names_a_row: true,
        },
        Case {
            name: "delete_role",
            access: Needs(Permission::ManageUsers),
            args: |ids| {
                format!(
                    "role_id={}&version={}",
                    ids.spare_role, ids.spare_role_version
                )
            },
            names_a_row: true,
        },
        Case {
            name: "list_users",
            access: Needs(Permission::ManageUsers),
            args: |_| String::new(),
            names_a_row: false,
        },
        Case {
            name: "create_user",
            access: Needs(Permission::ManageUsers),
            args: |ids| {
                format!(
                    "name=Zed&email=zed%40example.io&role_id={}&password=",
                    ids.spare_role
                )
            },
            names_a_row: true,
        },
        Case {
            name: "set_user_role",
            access: Needs(Permission::ManageUsers),
            args: |ids| {
                format!(
                    "user_id={}&role_id={}&version={}",
                    ids.team_user, ids.spare_role, ids.team_user_version
                )
            },
            names_a_row: true,
        },
        Case {
            name: "set_user_active",
            access: Needs(Permission::ManageUsers),
            args: |ids| {
                format!(
                    "user_id={}&active=false&version={}",
                    ids.team_user, ids.team_user_version
                )
            },
            names_a_row: true,
        },
        Case {
            name: "move_deal",
            access: Needs(Permission::EditDeals),
            args: |ids| {
                format!(
                    "deal_id={}&stage_id={}&version={}",
                    ids.lead_deal, ids.qualified_stage, ids.lead_deal_version
                )
            },
            names_a_row: true,
        },
        Case {
            name: "create_deal",
            access: Needs(Permission::EditDeals),
            args: |ids| {
                format!(
                    "stage_id={}&title=New&client_id={}&value=1000",
                    ids.qualified_stage, ids.client
                )
            },
            // Another workspace's stage is, to the caller, not a stage of their pipeline.
            names_a_row: false,
        },
        Case {
            name: "mark_deal_lost",
            access: Needs(Permission::EditDeals),
            args: |ids| {
                format!(
                    "deal_id={}&version={}&reason=Budget%20cut",
                    ids.lead_deal, ids.lead_deal_version
                )
            },
            names_a_row: true,
        },
        Case {
            name: "archive_deal",
            access: Needs(Permission::EditDeals),
            args: |ids| {
                format!(
                    "deal_id={}&version={}",
                    ids.lead_deal, ids.lead_deal_version
                )
            },
            names_a_row: true,
        },
        Case {
            name: "get_deal",
            access: Needs(Permission::ViewPipeline),
            args: |ids| format!("deal_id={}", ids.lead_deal),
            names_a_row: true,
        },
        Case {
            name: "update_deal",
            access: Needs(Permission::EditDeals),
            args: |ids| {
                format!(
                    "deal_id={}&version={}&title=Renamed&client_id={}&value=12%2C500&probability=&owner_user_id={}\
                     &expected_close_on=&planned_start_on=&planned_weeks=6&brief_goals=&brief_priorities=\
                     &brief_context=&notes=",
                    ids.lead_deal, ids.lead_deal_version, ids.client, ids.admin_user
                )
            },
            names_a_row: true,
        },
        Case {
            name: "list_clients",
            access: Needs(Permission::ViewPipeline),
            args: |_| String::new(),
            names_a_row: false,
        },
        Case {
            name: "get_client",
            access: Needs(Permission::ViewPipeline),
            args: |ids| format!("client_id={}", ids.client),
            names_a_row: true,
        },
        Case {
            name: "create_client",
            access: Needs(Permission::EditDeals),
            args: |_| "name=Globex&contact_name=&contact_email=".into(),
            names_a_row: false,
        },
        Case {
            name: "update_client",
            access: Needs(Permission::EditDeals),
            args: |ids| {
                format!(
                    "client_id={}&version={}&name=Renamed&health=watch&owner_user_id={}&contact_name=&contact_email=",
                    ids.client, ids.client_version, ids.admin_user
                )
            },
            names_a_row: true,
        },
        Case {
            name: "close_setup",
            access: AnyOf(CLOSE_OR_APPROVE),
            args: |ids| format!("deal_id={}", ids.lead_deal),
            names_a_row: true,
        },
        Case {
            name: "preview_close",
            access: AnyOf(CLOSE_OR_APPROVE),
            args: |ids| {
                format!(
                    "deal_id={}&start_on={}&staffing=",
                    ids.lead_deal, ids.this_week
                )
            },
            names_a_row: true,
        },
        Case {
            name: "close_deal",
            access: AnyOf(CLOSE_OR_APPROVE),
            args: |ids| {
                format!(
                    "deal_id={}&version={}&close_key=authz-matrix-close-key&start_on={}&staffing=&override_reason=The%20matrix%20says%20so",
                    ids.lead_deal, ids.lead_deal_version, ids.this_week
                )
            },
            names_a_row: true,
        },
        Case {
            name: "list_projects",
            access: Needs(Permission::ViewPipeline),
            args: |_| String::new(),
            names_a_row: false,
        },
        Case {
            name: "get_project",
            access: Needs(Permission::ViewPipeline),
            args: |ids| format!("project_id={}", ids.project),
            names_a_row: true,
        },
        Case {
            name: "set_project_pm",
            access: Needs(Permission::ManageProjects),
            args: |ids| {
                format!(
                    "project_id={}&version={}&pm_user_id={}",
                    ids.project, ids.project_version, ids.admin_user
                )
            },
            names_a_row: true,
        },
        Case {
            name: "reopen_deal",
            access: Needs(Permission::CloseDeals),
            args: |ids| {
                format!(
                    "project_id={}&deal_version={}",
                    ids.project, ids.project_deal_version
                )
            },
            names_a_row: true,
        },
        Case {
            name: "capacity_grid",
            access: Needs(Permission::ViewPipeline),
            args: |_| "from=&weeks=12&demand=weighted".into(),
            names_a_row: false,
        },
        Case {
            name: "capacity_cell",
            access: Needs(Permission::ViewPipeline),
            args: |ids| format!("person_id={}&week={}", ids.person, ids.this_week),
            names_a_row: true,
        },
        Case {
            name: "set_allocation",
            access: Needs(Permission::ManageCapacity),
            args: |ids| {
                format!(
                    "person_id={}&target=project%3A{}&week={}&hours=6&version=0",
                    ids.person, ids.project, ids.next_week
                )
            },
            names_a_row: true,
        },
        Case {
            name: "assign_range",
            access: Needs(Permission::ManageCapacity),
            args: |ids| {
                format!(
                    "person_id={}&target=project%3A{}&from_week={}&weeks=2&hours=6",
                    ids.person, ids.project, ids.next_week
                )
            },
            names_a_row: true,
        },
        Case {
            name: "add_time_off",
            access: Needs(Permission::ManageCapacity),
            args: |ids| {
                format!(
                    "person_id={}&starts_on={}&ends_on={}&hours_per_day=&reason=Dentist",
                    ids.person, ids.next_week, ids.next_week
                )
            },
            names_a_row: true,
        },
        Case {
            name: "remove_time_off",
            access: Needs(Permission::ManageCapacity),
            args: |ids| {
                format!(
                    "time_off_id={}&version={}",
                    ids.time_off, ids.time_off_version
                )
            },
            names_a_row: true,
        },
        Case {
            name: "apply_what_if",
            access: Needs(Permission::EditDeals),
            args: |ids| {
                format!(
                    "changes={}%3A{}%3Awon%3A1",
                    ids.lead_deal, ids.lead_deal_version
                )
            },
            // Deals of another workspace are reported as not applied, by id only.
            names_a_row: false,
        },
        Case {
            name: "timesheet",
            access: Needs(Permission::LogOwnTime),
            args: |_| "week=".into(),
            names_a_row: false,
        },
        Case {
            name: "log_time",
            access: Needs(Permission::LogOwnTime),
            args: |ids| {
                format!(
                    "project_id={}&worked_on={}&hours=1&note=Matrix&billable=on",
                    ids.project, ids.this_week
                )
            },
            names_a_row: true,
        },
        Case {
            name: "delete_time",
            access: Needs(Permission::LogOwnTime),
            args: |ids| {
                format!(
                    "entry_id={}&version={}",
                    ids.time_entry, ids.time_entry_version
                )
            },
            names_a_row: true,
        },
        Case {
            name: "project_time",
            access: Needs(Permission::ManageProjects),
            args: |ids| format!("project_id={}", ids.project),
            names_a_row: true,
        },
        Case {
            name: "workspace_settings",
            access: Needs(Permission::ManageSettings),
            args: |_| String::new(),
            names_a_row: false,
        },
        Case {
            name: "set_workspace_calendar",
            access: Needs(Permission::ManageSettings),
            args: |_| "time_zone=Europe%2FBerlin&week_start=1&version=1".into(),
            names_a_row: false,
        },
        Case {
            name: "list_audit",
            access: Needs(Permission::ManageUsers),
            args: |ids| format!("actor_user_id={}", ids.admin_user),
            names_a_row: false,
        },
        Case {
            name: "propose_change",
            access: AnyOf(CLIENT_CONTACT),
            args: |ids| {
                format!(
                    "project_id={}&description=More%20pages&extra_value=4000&hours%5B{}%5D=12",
                    ids.project, ids.skill
                )
            },
            names_a_row: true,
        },
        Case {
            name: "review_change",
            access: Needs(Permission::ViewPipeline),
            args: |ids| format!("change_id={}", ids.change),
            names_a_row: true,
        },
        Case {
            name: "decide_change",
            access: AnyOf(DECIDE_OR_APPROVE),
            args: |ids| {
                format!(
                    "change_id={}&version={}&decision=reject&reason=Not%20this%20quarter",
                    ids.change, ids.change_version
                )
            },
            names_a_row: true,
        },
        Case {
            name: "post_update",
            access: AnyOf(CLIENT_CONTACT),
            args: |ids| {
                format!(
                    "project_id={}&rag=amber&summary=Design%20review%20slipped&next_steps=",
                    ids.project
                )
            },
            names_a_row: true,
        },
        Case {
            name: "create_share_link",
            access: AnyOf(CLIENT_CONTACT),
            args: |ids| format!("project_id={}&show_budget=", ids.project),
            names_a_row: true,
        },
        Case {
            name: "revoke_share_link",
            access: AnyOf(CLIENT_CONTACT),
            args: |ids| format!("link_id={}", ids.share_link),
            names_a_row: true,
        },
        Case {
            name: "shared_project",
            access: Public,
            args: |_| format!("token={}", "ab".repeat(32)),
            names_a_row: false,
        },
        Case {
            name: "dashboard",
            access: Needs(Permission::ViewPipeline),
            args: |_| String::new(),
            names_a_row: false,
        },
        Case {
            name: "import_check",
            access: Needs(Permission::EditDeals),
            args: |_| {
                "kind=deals&first_row=2&csv=title%2Cclient%2Cvalue%0ARedesign%2CAcme%2C1000%0A"
                    .into()
            },
            names_a_row: false,
        },
        Case {
            name: "import_part",
            access: Needs(Permission::EditDeals),
            args: |_| {
                "kind=deals&upload=authz-matrix-upload-1&part=0&parts=1&csv=title%2Cclient%2Cvalue%0ARedesign%2CAcme%2C1000%0A".into()
            },
            names_a_row: false,
        },
    ]
}

async fn ids(f: &Fixture) -> Ids {
    let ws = f.id("SELECT id FROM workspaces WHERE slug = 'demo'").await;
    let spare_role = sqlx::query_scalar::<_, i64>(
        "INSERT INTO roles (workspace_id, name) VALUES ($1, 'Spare') RETURNING id",
    )
    .bind(ws)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    let (team_user, team_user_version): (i64, i64) =
        sqlx::query_as("SELECT id, version FROM users WHERE email = 'team@northwind.test'")
            .fetch_one(&f.pool)
            .await
            .unwrap();
    let (lead_deal, lead_deal_version): (i64, i64) = sqlx::query_as(
        "SELECT d.id, d.version FROM deals d JOIN stages s ON s.id = d.stage_id
         WHERE s.workspace_id = $1 AND s.name = 'Lead' ORDER BY d.id LIMIT 1",
    )
    .bind(ws)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    let (client, client_version): (i64, i64) = sqlx::query_as(
        "SELECT id, version FROM clients WHERE workspace_id = $1 ORDER BY id LIMIT 1",
    )
    .bind(ws)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    // A project with nothing logged on it yet, so its deal can be reopened.
    let (project, project_version, project_deal_version): (i64, i64, i64) = sqlx::query_as(
        "SELECT p.id, p.version, d.version FROM projects p JOIN deals d ON d.id = p.deal_id
         WHERE p.workspace_id = $1 ORDER BY p.id LIMIT 1",
    )
    .bind(ws)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    for table in ["time_entries", "status_updates"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE project_id = $1"))
            .bind(project)
            .execute(&f.pool)
            .await
            .unwrap();
    }
    sqlx::query("DELETE FROM change_request_lines WHERE change_request_id IN (SELECT id FROM change_requests WHERE project_id = $1)")
        .bind(project)
        .execute(&f.pool)
        .await
        .unwrap();
    sqlx::query("DELETE FROM change_requests WHERE project_id = $1")
        .bind(project)
        .execute(&f.pool)
        .await
        .unwrap();
    let (time_off, time_off_version): (i64, i64) = sqlx::query_as(
        "SELECT id, version FROM time_off WHERE workspace_id = $1 ORDER BY id LIMIT 1",
    )
    .bind(ws)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    let monday = crate::common::demo_calendar().this_week(app::server::context::now_ms());
    // An entry of the admin's own person, so the permitted user (the admin) may delete it.
    let admin_person = f
        .id("SELECT person_id FROM users WHERE email = 'admin@northwind.test'")
        .await;
    let other_project = f
        .id(&format!(
            "SELECT id FROM projects WHERE workspace_id = {ws} AND id <> {project} ORDER BY id LIMIT 1"
        ))
        .await;
    let time_entry = sqlx::query_scalar::<_, i64>(
        "INSERT INTO time_entries (workspace_id, project_id, person_id, worked_on, minutes, created_at)
         VALUES ($1, $2, $3, $4, 60, 0) RETURNING id",
    )
    .bind(ws)
    .bind(other_project)
    .bind(admin_person)
    .bind(monday.to_string())
    .fetch_one(&f.pool)
    .await
    .unwrap()
    ;
    let change = sqlx::query_scalar::<_, i64>(
        "INSERT INTO change_requests (workspace_id, project_id, description, extra_value_minor, proposed_by, created_at)
         VALUES ($1, $2, 'Extra landing page', 500000, (SELECT id FROM users WHERE email = 'pm@northwind.test'), 0) RETURNING id",
    )
    .bind(ws)
    .bind(other_project)
    .fetch_one(&f.pool)
    .await
    .unwrap()
    ;
    let skill = f
        .id(&format!(
            "SELECT id FROM skills WHERE workspace_id = {ws} ORDER BY id LIMIT 1"
        ))
        .await;
    sqlx::query(
        "INSERT INTO change_request_lines (workspace_id, change_request_id, skill_id, minutes) VALUES ($1, $2, $3, 600)",
    )
    .bind(ws)
    .bind(change)
    .bind(skill)
    .execute(&f.pool)
    .await
    .unwrap();
    let share_link = sqlx::query_scalar::<_, i64>(
        "INSERT INTO share_links (workspace_id, project_id, token_hash, hint, created_by, created_at)
         VALUES ($1, $2, 'not-a-real-hash', 'abcdef', (SELECT id FROM users WHERE email = 'am@northwind.test'), 0) RETURNING id",
    )
    .bind(ws)
    .bind(other_project)
    .fetch_one(&f.pool)
    .await
    .unwrap()
    ;
    Ids {
        change,
        change_version: 1,
        share_link,
        skill,
        time_entry,
        time_entry_version: 1,
        this_week: monday.to_string(),
        next_week: monday.add_days(7).to_string(),
        person: f
            .id("SELECT person_id FROM users WHERE email = 'pm@northwind.test'")
            .await,
        time_off,
        time_off_version,
        project,
        project_version,
        project_deal_version,
        client,
        client_version,
        lead_deal,
        lead_deal_version,
        qualified_stage: f
            .id(&format!(
                "SELECT id FROM stages WHERE workspace_id = {ws} AND name = 'Qualified'"
            ))
            .await,
        spare_role,
        spare_role_version: 1,
        team_user,
        team_user_version,
        admin_user: f
            .id("SELECT id FROM users WHERE email = 'admin@northwind.test'")
            .await,
    }
}

#[test]
fn every_server_function_is_in_the_matrix() {
    let known: Vec<&str> = cases().iter().map(|c| c.name).collect();
    let mut missing = Vec::new();
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        let name = path.trim_start_matches("/api/");
        if !known.contains(&name) {
            missing.push(path);
        }
    }
    assert!(
        missing.is_empty(),
        "server functions missing from the authorization matrix: {missing:?}"
    );
    let registered = leptos::server_fn::axum::server_fn_paths().count();
    assert!(
        registered >= 15,
        "only {registered} server functions registered"
    );
}

#[tokio::test]
async fn every_server_function_refuses_whom_it_should() {
    for case in cases() {
        let f = fixture().await;
        let ids = ids(&f).await;
        let args = (case.args)(&ids);
        let name = case.name;
        let northwind_names = f.names_of("demo").await;

        // Anonymous.
        let before = f.fingerprint().await;
        let anonymous = f.call(name, &args, None).await;
        match case.access {
            Access::Public => assert_ne!(
                anonymous.status,
                StatusCode::UNAUTHORIZED,
                "{name} anonymous"
            ),
            _ => {
                assert_eq!(
                    anonymous.status,
                    StatusCode::UNAUTHORIZED,
                    "{name} anonymous: {}",
                    anonymous.body
                );
                assert_eq!(
                    f.fingerprint().await,
                    before,
                    "{name}: anonymous refusal wrote"
                );
            }
        }

        // A user whose role grants everything but the permission needed, and one whose
        // role grants nothing.
        let lacking: Option<Vec<Permission>> = match case.access {
            Access::Needs(p) => Some(vec![p]),
            Access::AnyOf(ps) => Some(ps.to_vec()),
            _ => None,
        };
        if let Some(missing) = lacking {
            let almost = f.user_without_any(&missing).await;
            for email in [almost.as_str(), NOBODY] {
                let cookie = f.login(email).await;
                let before = f.fingerprint().await;
                let answer = f.call(name, &args, Some(&cookie)).await;
                assert_eq!(
                    answer.status,
                    StatusCode::FORBIDDEN,
                    "{name} as {email}: {}",
                    answer.body
                );
                assert_eq!(
                    f.fingerprint().await,
                    before,
                    "{name}: forbidden call wrote"
                );
            }
        }

        // An admin of the other workspace, with Northwind's ids.
        if !matches!(case.access, Access::Public) {
            let other = f.login("admin@bluebird.test").await;
            let before = f.fingerprint().await;
            let answer = f.call(name, &args, Some(&other)).await;
            // Creations that refer to this workspace's rows: to the other workspace those
            // rows are not theirs, a field error naming the reference.
            let creation_field = match case.name {
                "create_deal" => Some("stage"),
                "log_time" => Some("project"),
                _ => None,
            };
            if let Some(field) = creation_field {
                assert_eq!(
                    answer.status,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "{name}: {}",
                    answer.body
                );
                assert!(
                    answer.body.contains(&format!("\"field\":\"{field}\"")),
                    "{}",
                    answer.body
                );
                assert_eq!(
                    f.fingerprint().await,
                    before,
                    "{name}: cross-workspace refusal wrote"
                );
            } else if case.names_a_row {
                assert_eq!(
                    answer.status,
                    StatusCode::NOT_FOUND,
                    "{name} across workspaces: {}",
                    answer.body
                );
                assert_eq!(
                    f.fingerprint().await,
                    before,
                    "{name}: cross-workspace refusal wrote"
                );
            } else {
                assert!(
                    answer.status.is_success() || answer.status.is_redirection(),
                    "{name} as another workspace: {} {}",
                    answer.status,
                    answer.body
                );
                let lower = answer.body.to_lowercase();
                assert!(
                    !lower.contains("northwind"),
                    "{name} leaked Northwind data: {}",
                    answer.body
                );
                assert_eq!(
                    leaked(&answer.body, &northwind_names),
                    None,
                    "{name} leaked a Northwind name: {}",
                    answer.body
                );
            }
        }

        // A permitted user. (An upload id, once used, belongs to its importer: the
        // browser makes a fresh one per import; here the same one is reused.)
        if name == "import_part" {
            sqlx::query("DELETE FROM import_parts")
                .execute(&f.pool)
                .await
                .unwrap();
        }
        let admin = f.login("admin@northwind.test").await;
        let answer = f.call(name, &args, Some(&admin)).await;
        match name {
            // A made-up invite token is a field error for everyone.
            "accept_invite" => {
                assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}")
            }
            // A made-up share token is "not found" for everyone, signed in or not.
            "shared_project" => {
                assert_eq!(answer.status, StatusCode::NOT_FOUND, "{name}")
            }
            _ => assert!(
                answer.status.is_success() || answer.status.is_redirection(),
                "{name} as a permitted user: {} {}",
                answer.status,
                answer.body
            ),
        }
    }
}

#[tokio::test]
async fn an_account_manager_never_receives_cost_data() {
    let f = fixture().await;
    let ids = ids(&f).await;
    let am = f.login("am@northwind.test").await;
    // Cost rates exist in the database...
    assert!(
        f.id("SELECT COUNT(*) FROM people WHERE cost_rate_minor > 0")
            .await
            > 0
    );
    // ...and reach no answer or page an account manager can get.
    for case in cases() {
        if matches!(case.name, "logout" | "login") {
            continue;
        }
        let answer = f.call(case.name, &(case.args)(&ids), Some(&am)).await;
        let body = answer.body.to_lowercase();
        // The close dialog and the project's checks at close show everyone the margin as a
        // percentage and its verdict; anything that comes from cost rates (amounts, the
        // forecast margin) stays null.
        let close = matches!(
            case.name,
            "close_setup" | "preview_close" | "get_project" | "review_change"
        );
        assert!(
            !body.contains("cost_rate") && (close || !body.contains("margin")),
            "{}: {}",
            case.name,
            answer.body
        );
        for amount in [
            "\"cost_minor\":",
            "\"max_discount_minor\":",
            "\"unstaffed_cost_minor\":",
            "\"forecast_margin_bp\":",
            "\"extra_cost_minor\":",
            "\"revised_cost_minor\":",
        ] {
            for (i, _) in body.match_indices(amount) {
                assert!(
                    body[i + amount.len()..].starts_with("null"),
                    "{}: {amount} in {}",
                    case.name,
                    answer.body
                );
            }
        }
    }
    for page in [
        "/pipeline",
        "/settings/roles",
        "/settings/users",
        "/settings/audit",
    ] {
        let html = f.get(page, Some(&am)).await.body.to_lowercase();
        assert!(
            !html.contains("cost_rate") && !html.contains("margin_bp"),
            "{page}"
        );
    }
}

/// Values a careless or hostile client might send in any field.
fn hostile_values(runner: &mut proptest::test_runner::TestRunner) -> Vec<String> {
    use proptest::strategy::{Strategy, ValueTree};
    let mut values: Vec<String> = [
        "",
        " ",
        "0",
        "-1",
        "-0",
        "1e309",
        "NaN",
        "inf",
        "0.000001",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "99999999999999999999999999",
        "true",
        "null",
        "[]",
        "{}",
        "2026-02-30",
        "0000-01-01",
        "9999-12-31",
        "\u{0}",
        "\r\n",
        "'; DROP TABLE users; --",
        "</title><script>alert(1)</script>",
        "%00",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    values.push("İ".repeat(300));
    values.push("x".repeat(5_000));
    values.push("1".repeat(400));
    for _ in 0..4 {
        let any = proptest::prelude::any::<String>();
        values.push(any.new_tree(runner).unwrap().current());
        let number = proptest::num::i64::ANY;
        values.push(number.new_tree(runner).unwrap().current().to_string());
    }
    values
}

fn form_pairs(args: &str) -> Vec<(String, String)> {
    args.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// Every server function, called by an admin with each argument replaced by hostile
/// values (and left out): never a 5xx. Property-style: fixed edge cases plus arbitrary
/// strings and numbers from proptest's deterministic runner.
#[tokio::test]
async fn no_server_function_answers_500_to_any_argument() {
    let f = fixture().await;
    let ids = ids(&f).await;
    let admin = f.login("admin@northwind.test").await;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut calls = 0;
    let mut failures = Vec::new();
    for case in cases() {
        let pairs = form_pairs(&(case.args)(&ids));
        for (i, (key, _)) in pairs.iter().enumerate() {
            // Password checks are slow by design: fewer values for them.
            let values = if key.contains("password") {
                vec![String::new(), "x".repeat(2_000), "İ".repeat(300)]
            } else {
                hostile_values(&mut runner)
            };
            let mut variants: Vec<Option<String>> = values.into_iter().map(Some).collect();
            variants.push(None);
            for value in variants {
                let form: Vec<String> = pairs
                    .iter()
                    .enumerate()
                    .filter_map(|(j, (k, v))| match (&value, j == i) {
                        (None, true) => None,
                        (Some(value), true) => {
                            Some(format!("{k}={}", crate::common::encode(value)))
                        }
                        _ => Some(format!("{k}={v}")),
                    })
                    .collect();
                let answer = f.call(case.name, &form.join("&"), Some(&admin)).await;
                calls += 1;
                if answer.status.is_server_error()
                    && answer.status != StatusCode::SERVICE_UNAVAILABLE
                {
                    failures.push(format!(
                        "{} {key}={value:?}: {} {}",
                        case.name, answer.status, answer.body
                    ));
                }
            }
        }
    }
    assert!(calls > 1_000, "only {calls} calls");
    assert!(
        failures.is_empty(),
        "{} of {calls} answered 5xx:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
