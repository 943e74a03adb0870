//! Clients: the list, one client's page, adding and editing.

use crate::common::{encode, fixture, Fixture};
use app::api::clients::{ClientDetail, ClientList};
use axum::http::StatusCode;

async fn northwind_client(f: &Fixture) -> (i64, i64, String) {
    sqlx::query_as(
        "SELECT c.id, c.version, c.name FROM clients c JOIN workspaces w ON w.id = c.workspace_id
         WHERE w.slug = 'demo' ORDER BY c.id LIMIT 1",
    )
    .fetch_one(&f.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn the_list_counts_open_deals_and_hides_values_from_whom_it_should() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let answer = f.call("list_clients", "", Some(&am)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let list: ClientList = serde_json::from_str(&answer.body).unwrap();
    let expected = f
        .id("SELECT COUNT(*) FROM clients c JOIN workspaces w ON w.id = c.workspace_id WHERE w.slug = 'demo'")
        .await;
    assert_eq!(list.clients.len() as i64, expected);
    assert!(list.can_edit);
    for client in &list.clients {
        let (open, value): (i64, i64) = sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(d.value_minor), 0) AS BIGINT) FROM deals d JOIN stages s ON s.id = d.stage_id
             WHERE d.client_id = $1 AND s.kind = 'open' AND d.archived_at IS NULL",
        )
        .bind(client.id)
        .fetch_one(&f.pool)
        .await
        .unwrap();
        assert_eq!(
            (client.open_deals, client.open_value_minor),
            (open, Some(value)),
            "{}",
            client.name
        );
    }
    assert!(list.clients.iter().any(|c| c.open_deals > 0));

    // A team member sees the clients but no amounts, and may not edit.
    let team = f.login("team@northwind.test").await;
    let answer = f.call("list_clients", "", Some(&team)).await;
    let list: ClientList = serde_json::from_str(&answer.body).unwrap();
    assert!(!list.can_edit);
    assert!(list
        .clients
        .iter()
        .all(|c| c.open_value_minor.is_none() && c.won_value_minor.is_none()));
}

#[tokio::test]
async fn a_client_page_shows_its_deals_and_projects_only() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let client = f
        .id("SELECT client_id FROM projects p JOIN workspaces w ON w.id = p.workspace_id WHERE w.slug = 'demo' LIMIT 1")
        .await;
    let answer = f
        .call("get_client", &format!("client_id={client}"), Some(&am))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let detail: ClientDetail = serde_json::from_str(&answer.body).unwrap();
    let deals = f
        .id(&format!(
            "SELECT COUNT(*) FROM deals WHERE client_id = {client}"
        ))
        .await;
    let projects = f
        .id(&format!(
            "SELECT COUNT(*) FROM projects WHERE client_id = {client}"
        ))
        .await;
    assert_eq!(detail.deals.len() as i64, deals);
    assert_eq!(detail.projects.len() as i64, projects);
    assert!(projects > 0);
    assert!(detail.projects.iter().all(|p| p.budget_minor.is_some()));
    // Open deals come first.
    let first_closed = detail
        .deals
        .iter()
        .position(|d| d.stage_kind != app::domain::pipeline::StageKind::Open);
    if let Some(i) = first_closed {
        assert!(detail.deals[i..]
            .iter()
            .all(|d| d.stage_kind != app::domain::pipeline::StageKind::Open));
    }

    let team = f.login("team@northwind.test").await;
    let answer = f
        .call("get_client", &format!("client_id={client}"), Some(&team))
        .await;
    let detail: ClientDetail = serde_json::from_str(&answer.body).unwrap();
    assert!(detail.projects.iter().all(|p| p.budget_minor.is_none()));
    assert!(detail.deals.iter().all(|d| d.value_minor.is_none()));

    let missing = f.call("get_client", "client_id=999999", Some(&am)).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn adding_a_client_validates_and_records_an_event() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let (_, _, existing) = northwind_client(&f).await;
    let before = f.fingerprint().await;
    let long = "x".repeat(201);
    let shouting = existing.to_uppercase();
    for (form, field) in [
        ("name=".to_string(), "name"),
        (format!("name={long}"), "name"),
        (format!("name={}", encode(&shouting)), "name"),
        (
            "name=Globex&contact_email=not-an-email".into(),
            "contact_email",
        ),
    ] {
        let answer = f.call("create_client", &form, Some(&am)).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{form}: {}",
            answer.body
        );
        assert!(
            answer.body.contains(&format!("\"field\":\"{field}\"")),
            "{form}: {}",
            answer.body
        );
    }
    assert_eq!(f.fingerprint().await, before, "nothing was written");

    let answer = f
        .call(
            "create_client",
            "name=Globex&contact_name=Hank%20Scorpio&contact_email=Hank%40Globex.test",
            Some(&am),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let (name, email, owner, action): (String, String, String, String) = sqlx::query_as(
        "SELECT c.name, c.contact_email, u.email, e.action FROM clients c
         JOIN users u ON u.id = c.owner_user_id
         JOIN events e ON e.entity = 'client' AND e.entity_id = c.id
         WHERE c.name = 'Globex'",
    )
    .fetch_one(&f.pool)
    .await
    .unwrap();
    assert_eq!(
        (
            name.as_str(),
            email.as_str(),
            owner.as_str(),
            action.as_str()
        ),
        ("Globex", "hank@globex.test", "am@northwind.test", "created")
    );
}

#[tokio::test]
async fn editing_a_client_checks_version_fields_and_workspace() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let (client, version, _) = northwind_client(&f).await;
    let other_name: String = sqlx::query_scalar(
        "SELECT c.name FROM clients c JOIN workspaces w ON w.id = c.workspace_id
         WHERE w.slug = 'demo' AND c.id <> $1 LIMIT 1",
    )
    .bind(client)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    let foreign_owner = f
        .id("SELECT id FROM users WHERE email = 'admin@bluebird.test'")
        .await;
    let form = |over: &[(&str, String)]| {
        let mut fields = [
            ("client_id", client.to_string()),
            ("version", version.to_string()),
            ("name", "Northwind Renamed".to_string()),
            ("health", "watch".to_string()),
            ("owner_user_id", String::new()),
            ("contact_name", "Ada".to_string()),
            ("contact_email", "ada@example.test".to_string()),
        ];
        for (k, v) in over {
            fields.iter_mut().find(|(f, _)| f == k).unwrap().1 = v.clone();
        }
        fields
            .iter()
            .map(|(k, v)| format!("{k}={}", encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    };
    let before = f.fingerprint().await;
    for (over, field) in [
        (vec![("name", String::new())], "name"),
        (vec![("name", other_name.clone())], "name"),
        (vec![("health", "great".to_string())], "health"),
        (vec![("owner_user_id", foreign_owner.to_string())], "owner"),
        (vec![("owner_user_id", "me".to_string())], "owner"),
        (vec![("contact_email", "ada@".to_string())], "contact_email"),
    ] {
        let answer = f.call("update_client", &form(&over), Some(&am)).await;
        assert_eq!(
            answer.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{over:?}: {}",
            answer.body
        );
        assert!(
            answer.body.contains(&format!("\"field\":\"{field}\"")),
            "{over:?}: {}",
            answer.body
        );
    }
    let stale = f
        .call(
            "update_client",
            &form(&[("version", (version - 1).to_string())]),
            Some(&am),
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert_eq!(f.fingerprint().await, before, "nothing was written");

    let ok = f.call("update_client", &form(&[]), Some(&am)).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let (name, health, v): (String, String, i64) =
        sqlx::query_as("SELECT name, health, version FROM clients WHERE id = $1")
            .bind(client)
            .fetch_one(&f.pool)
            .await
            .unwrap();
    assert_eq!(
        (name.as_str(), health.as_str(), v),
        ("Northwind Renamed", "watch", version + 1)
    );
    let after: String = sqlx::query_scalar(
        "SELECT after_json FROM events WHERE entity = 'client' AND entity_id = $1 ORDER BY seq DESC LIMIT 1",
    )
    .bind(client)
    .fetch_one(&f.pool)
    .await
    .unwrap();
    assert!(after.contains("\"health\":\"watch\""), "{after}");
}
