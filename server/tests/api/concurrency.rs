//! A team at once: concurrent writes, page loads and sign-ins through the real router,
//! each request on its own task, all in flight together.

use crate::common::{encode, fixture, fixture_with_limits, Fixture};
use app::server::db::PoolLimits;
use axum::http::StatusCode;
use std::sync::Arc;
use std::time::Duration;

/// Runs `n` copies of `job` at once; answers their statuses.
async fn all_at_once<F, Fut>(n: usize, job: F) -> Vec<(StatusCode, String)>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = (StatusCode, String)> + Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(job(i))).collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

fn server_errors(answers: &[(StatusCode, String)]) -> Vec<String> {
    answers
        .iter()
        .filter(|(s, _)| s.is_server_error())
        .map(|(s, b)| format!("{s}: {b}"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_everyday_writes_all_succeed() {
    let f = Arc::new(fixture().await);
    let am = f.login("am@northwind.test").await;
    let pm = f.login("pm@northwind.test").await;
    let stage = f
        .id(
            "SELECT s.id FROM stages s JOIN workspaces w ON w.id = s.workspace_id
             WHERE w.slug = 'demo' AND s.kind = 'open' ORDER BY s.position LIMIT 1",
        )
        .await;
    let next_stage = f
        .id(
            "SELECT s.id FROM stages s JOIN workspaces w ON w.id = s.workspace_id
             WHERE w.slug = 'demo' AND s.kind = 'open' ORDER BY s.position LIMIT 1 OFFSET 1",
        )
        .await;
    let client = f
        .id(
            "SELECT c.id FROM clients c JOIN workspaces w ON w.id = c.workspace_id
             WHERE w.slug = 'demo' ORDER BY c.id LIMIT 1",
        )
        .await;
    let project = f
        .id(
            "SELECT p.id FROM projects p JOIN workspaces w ON w.id = p.workspace_id
             WHERE w.slug = 'demo' AND p.status = 'active' ORDER BY p.id LIMIT 1",
        )
        .await;
    let before = f.id("SELECT COUNT(*) FROM deals").await;

    // 48 people at once: each creates a deal and moves it (a read, then a write, in
    // one transaction), creates a client or posts a client update.
    let answers = all_at_once(48, |i| {
        let (f, am, pm) = (f.clone(), am.clone(), pm.clone());
        async move {
            let created = f
                .call(
                    "create_deal",
                    &format!("stage_id={stage}&title=Rush+{i}&client_id={client}&value=1000"),
                    Some(&am),
                )
                .await;
            if !created.status.is_success() {
                return (created.status, created.body);
            }
            let card: serde_json::Value = serde_json::from_str(&created.body).unwrap();
            let moved = f
                .call(
                    "move_deal",
                    &format!(
                        "deal_id={}&stage_id={next_stage}&version={}",
                        card["id"], card["version"]
                    ),
                    Some(&am),
                )
                .await;
            if !moved.status.is_success() {
                return (moved.status, moved.body);
            }
            let other = if i % 2 == 0 {
                f.call(
                    "create_client",
                    &format!("name={}", encode(&format!("Rush client {i}"))),
                    Some(&am),
                )
                .await
            } else {
                f.call(
                    "post_update",
                    &format!("project_id={project}&rag=green&summary=Going+well+{i}"),
                    Some(&pm),
                )
                .await
            };
            (other.status, other.body)
        }
    })
    .await;
    assert_eq!(server_errors(&answers), Vec::<String>::new());
    assert!(answers.iter().all(|(s, _)| s.is_success()), "{answers:?}");
    assert_eq!(f.id("SELECT COUNT(*) FROM deals").await, before + 48);
    assert_eq!(
        f.id(&format!(
            "SELECT COUNT(*) FROM deals WHERE title LIKE 'Rush %' AND stage_id = {next_stage}"
        ))
        .await,
        48
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_card_moved_by_many_at_once_moves_once_and_the_rest_conflict() {
    let f = Arc::new(fixture().await);
    let am = f.login("am@northwind.test").await;
    let (deal, version): (i64, i64) = sqlx::query_as(
        "SELECT d.id, d.version FROM deals d JOIN stages s ON s.id = d.stage_id
         WHERE s.kind = 'open' AND d.archived_at IS NULL ORDER BY d.id LIMIT 1",
    )
    .fetch_one(&f.pool)
    .await
    .unwrap();
    let stages: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM stages WHERE kind = 'open'
           AND workspace_id = (SELECT workspace_id FROM deals WHERE id = $1)
           AND id != (SELECT stage_id FROM deals WHERE id = $1) ORDER BY position",
    )
    .bind(deal)
    .fetch_all(&f.pool)
    .await
    .unwrap();
    let answers = all_at_once(16, |i| {
        let (f, am, stage) = (f.clone(), am.clone(), stages[i % stages.len()]);
        async move {
            let a = f
                .call(
                    "move_deal",
                    &format!("deal_id={deal}&stage_id={stage}&version={version}"),
                    Some(&am),
                )
                .await;
            (a.status, a.body)
        }
    })
    .await;
    let ok = answers.iter().filter(|(s, _)| s.is_success()).count();
    let conflicts = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::CONFLICT)
        .count();
    assert_eq!((ok, conflicts), (1, 15), "{answers:?}");
    assert_eq!(
        f.id(&format!("SELECT version FROM deals WHERE id = {deal}"))
            .await,
        version + 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_page_loads_on_few_connections_never_deadlock() {
    // Two readers for 32 requests at once: a request that held one connection while
    // asking for another would wait forever (and then answer 503) once both are taken.
    let limits = PoolLimits {
        writers: 1,
        readers: 2,
        read_timeout: Duration::from_secs(20),
        write_timeout: Duration::from_secs(20),
    };
    let f: Arc<Fixture> = Arc::new(fixture_with_limits(false, limits).await);
    let admin = f.login("admin@northwind.test").await;
    let project = f
        .id(
            "SELECT p.id FROM projects p JOIN workspaces w ON w.id = p.workspace_id
             WHERE w.slug = 'demo' ORDER BY p.id LIMIT 1",
        )
        .await;
    let client = f
        .id(
            "SELECT c.id FROM clients c JOIN workspaces w ON w.id = c.workspace_id
             WHERE w.slug = 'demo' ORDER BY c.id LIMIT 1",
        )
        .await;
    let pages: Arc<Vec<String>> = Arc::new(
        [
            "/",
            "/pipeline",
            "/capacity",
            "/projects",
            "/clients",
            "/time",
            "/data",
            "/settings/users",
            "/settings/roles",
            "/settings/audit",
        ]
        .iter()
        .map(|p| p.to_string())
        .chain([format!("/projects/{project}"), format!("/clients/{client}")])
        .collect(),
    );
    let answers = all_at_once(36, |i| {
        let (f, admin, pages) = (f.clone(), admin.clone(), pages.clone());
        async move {
            let path = &pages[i % pages.len()];
            let a = f.get(path, Some(&admin)).await;
            (a.status, format!("{path}: {}", a.body.len()))
        }
    })
    .await;
    assert!(
        answers.iter().all(|(s, _)| *s == StatusCode::OK),
        "{answers:?}"
    );
    // And the server functions those pages call, at once, too.
    let calls = [
        ("dashboard", String::new()),
        ("list_board", String::new()),
        ("capacity_grid", "weeks=12&demand=weighted".to_string()),
        ("list_projects", String::new()),
        ("get_project", format!("project_id={project}")),
        ("timesheet", String::new()),
    ];
    let calls = Arc::new(calls);
    let answers = all_at_once(36, |i| {
        let (f, admin, calls) = (f.clone(), admin.clone(), calls.clone());
        async move {
            let (name, form) = &calls[i % calls.len()];
            let a = f.call(name, form, Some(&admin)).await;
            (
                a.status,
                format!("{name}: {}", &a.body[..a.body.len().min(200)]),
            )
        }
    })
    .await;
    assert!(
        answers.iter().all(|(s, _)| *s == StatusCode::OK),
        "{answers:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_render_while_other_servers_start_in_the_same_process() {
    // Starting a server works out the app's routes by rendering it with resource loading
    // switched off process-wide; a page rendered by a running server at that moment used
    // to wait forever on a resource that never started. Servers start here, over and over
    // on another thread, while this one renders pages that read resources.
    let f = Arc::new(fixture().await);
    let admin = f.login("admin@northwind.test").await;
    let state = f.fresh_state().await;
    let starting = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let starter = {
        let starting = starting.clone();
        // On the runtime's blocking pool: starting a server spawns onto the runtime.
        tokio::task::spawn_blocking(move || {
            let mut started = 0;
            while starting.load(std::sync::atomic::Ordering::Relaxed) && started < 2_000 {
                drop(baton::router(state.clone()));
                started += 1;
            }
            started
        })
    };
    let pages = ["/", "/pipeline", "/capacity", "/projects", "/time"];
    let mut stuck = Vec::new();
    for round in 0..40 {
        let answers = all_at_once(pages.len(), |i| {
            let (f, admin) = (f.clone(), admin.clone());
            async move {
                // Far longer than any page takes: only a page that never finishes runs out.
                match tokio::time::timeout(Duration::from_secs(30), f.get(pages[i], Some(&admin)))
                    .await
                {
                    Ok(a) => (a.status, format!("{}: {}", pages[i], a.body.len())),
                    Err(_) => (StatusCode::REQUEST_TIMEOUT, pages[i].to_string()),
                }
            }
        })
        .await;
        stuck.extend(
            answers
                .into_iter()
                .filter(|(s, _)| *s != StatusCode::OK)
                .map(|(s, b)| format!("round {round}: {s} {b}")),
        );
        if !stuck.is_empty() {
            break;
        }
    }
    starting.store(false, std::sync::atomic::Ordering::Relaxed);
    let started = starter.await.unwrap();
    assert!(started > 0, "no server started alongside the pages");
    assert!(stuck.is_empty(), "pages that never finished: {stuck:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_wrong_passwords_cannot_race_past_the_limit() {
    let f = Arc::new(fixture().await);
    let answers = all_at_once(60, |_| {
        let f = f.clone();
        async move {
            let a = f
                .call(
                    "login",
                    "email=pm%40northwind.test&password=wrong-password",
                    None,
                )
                .await;
            (a.status, a.body)
        }
    })
    .await;
    let wrong = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::UNAUTHORIZED)
        .count();
    let limited = answers
        .iter()
        .filter(|(s, _)| *s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(server_errors(&answers), Vec::<String>::new());
    // Five failures are allowed per window; every other attempt was refused before any
    // password was checked.
    assert_eq!((wrong, limited), (5, 55), "{answers:?}");
    // The right password is refused too while the email is locked out.
    let a = f
        .call(
            "login",
            "email=pm%40northwind.test&password=baton-demo",
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
}

/// Two admins demoting each other at the same moment through two servers on one
/// database, round after round: the workspace always keeps an admin (no write skew
/// between the "another admin remains" check and the write), and nobody gets a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn admins_demoting_each_other_on_two_servers_leave_an_admin() {
    let f = Arc::new(fixture().await);
    let router_b = baton::router(f.fresh_state().await);
    sqlx::query(
        "INSERT INTO users (workspace_id, email, name, password_hash, role_id, created_at)
         SELECT workspace_id, 'admin2@northwind.test', 'Admin Number Two', password_hash, role_id, 0
         FROM users WHERE email = 'admin@northwind.test'",
    )
    .execute(&f.pool)
    .await
    .unwrap();
    let admin_role = f
        .id("SELECT role_id FROM users WHERE email = 'admin@northwind.test'")
        .await;
    let team_role = f.id("SELECT r.id FROM roles r JOIN workspaces w ON w.id = r.workspace_id WHERE w.slug = 'demo' AND r.preset = 'team_member'").await;
    let emails = ["admin@northwind.test", "admin2@northwind.test"];
    let mut cookies = Vec::new();
    for email in emails {
        cookies.push(f.login(email).await);
    }
    let cookies = Arc::new(cookies);
    for round in 0..12 {
        if round == 0 {
            assert_eq!(
                admins(&f).await,
                2,
                "the two are the workspace's only admins"
            );
        }
        sqlx::query("UPDATE users SET role_id = $1 WHERE email IN ($2, $3)")
            .bind(admin_role)
            .bind(emails[0])
            .bind(emails[1])
            .execute(&f.pool)
            .await
            .unwrap();
        let mut targets = Vec::new();
        for email in emails {
            let row: (i64, i64) = sqlx::query_as("SELECT id, version FROM users WHERE email = $1")
                .bind(email)
                .fetch_one(&f.pool)
                .await
                .unwrap();
            targets.push(row);
        }
        let targets = Arc::new(targets);
        // Each demotes the other, one through each server.
        let answers = all_at_once(2, |i| {
            let f = f.clone();
            let router_b = router_b.clone();
            let cookies = cookies.clone();
            let targets = targets.clone();
            async move {
                let (id, version) = targets[1 - i];
                let request = crate::common::call_request(
                    "set_user_role",
                    &format!("user_id={id}&role_id={team_role}&version={version}"),
                    Some(&cookies[i]),
                );
                let answer = if i == 0 {
                    f.send(request).await
                } else {
                    crate::common::send_to(&router_b, request).await
                };
                (answer.status, answer.body)
            }
        })
        .await;
        assert!(
            server_errors(&answers).is_empty(),
            "round {round}: {answers:?}"
        );
        assert_eq!(admins(&f).await, 1, "round {round}: {answers:?}");
    }
}

/// The active users of the demo workspace who may manage users (its admins).
async fn admins(f: &Fixture) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM users u JOIN workspaces w ON w.id = u.workspace_id
         JOIN role_permissions rp ON rp.role_id = u.role_id AND rp.permission = $1
         WHERE w.slug = 'demo' AND u.active = 1",
    )
    .bind(app::domain::permissions::Permission::ManageUsers.as_str())
    .fetch_one(&f.pool)
    .await
    .unwrap()
}

/// One deal closed at the same moment through two servers: one project, however the
/// calls interleave; repeats of the same close answer like the first.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_deal_closed_at_once_on_two_servers_becomes_one_project() {
    let f = Arc::new(fixture().await);
    let router_b = baton::router(f.fresh_state().await);
    let am = Arc::new(f.login("am@northwind.test").await);
    let (deal, version) =
        crate::close::new_deal(&f, 4_000_000, &[("Design", 40), ("Frontend", 60)], 4).await;
    let start = crate::close::start(2);
    let answers = all_at_once(8, |i| {
        let f = f.clone();
        let router_b = router_b.clone();
        let am = am.clone();
        // Half retry one close (same key), half are other people's closes of the deal.
        let key = if i % 2 == 0 {
            "key-twice-0000000001".to_string()
        } else {
            format!("key-other-{i:010}")
        };
        let form = crate::close::close_form(deal, version, &key, &start, "");
        async move {
            let request = crate::common::call_request("close_deal", &form, Some(&am));
            let answer = if i % 4 < 2 {
                f.send(request).await
            } else {
                crate::common::send_to(&router_b, request).await
            };
            (answer.status, answer.body)
        }
    })
    .await;
    assert!(server_errors(&answers).is_empty(), "{answers:?}");
    let projects: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM projects WHERE deal_id = $1")
        .bind(deal)
        .fetch_one(&f.pool)
        .await
        .unwrap();
    assert_eq!(projects, 1, "{answers:?}");
    let won: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM events WHERE entity = 'deal' AND entity_id = $1 AND action = 'won'",
    )
    .bind(deal)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    assert_eq!(won, 1, "{answers:?}");
    for (status, body) in &answers {
        assert!(
            *status == StatusCode::OK || *status == StatusCode::CONFLICT,
            "{status}: {body}"
        );
    }
}
