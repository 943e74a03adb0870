//! Ids are never handed out twice: every table's integer id is AUTOINCREMENT (SQLite) or
//! an identity column (PostgreSQL), and a database made by the previous schema keeps its
//! rows, indexes and triggers when migration 0011 rebuilds its tables.
#![cfg(feature = "ssr")]

use app::server::{db, seed};
use sqlx::migrate::Migrate;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::{Connection, SqliteConnection};
use std::collections::BTreeMap;

const NOW_MS: i64 = 1_795_000_000_000; // 2026-11-18

/// The last migration before ids were made AUTOINCREMENT.
const PREVIOUS_SCHEMA: i64 = 10;

/// `sql` without `--` comments, in upper case.
fn code_of(sql: &str) -> String {
    sql.lines()
        .map(|line| line.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
        .to_uppercase()
}

#[tokio::test]
async fn every_integer_id_is_autoincrement_or_an_identity() {
    let dir = tempfile::tempdir().unwrap();
    let url = db::scratch_database(dir.path()).await;
    let pool = db::connect_and_migrate(&url).await.unwrap();
    // (table, whether its integer id can never be handed out again)
    let ids: Vec<(String, bool)> = match db::Backend::of_url(&url).unwrap() {
        db::Backend::Sqlite => {
            let tables: Vec<(String, String)> = sqlx::query_as(
                "SELECT name, sql FROM sqlite_master
                 WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
            )
            .fetch_all(&pool)
            .await
            .unwrap();
            let mut ids = Vec::new();
            for (table, sql) in tables {
                // An INTEGER column that is the whole primary key is the rowid: without
                // AUTOINCREMENT a deleted newest row's id is handed out again.
                let key: Vec<String> = sqlx::query_scalar(
                    "SELECT upper(type) FROM pragma_table_info($1) WHERE pk > 0",
                )
                .bind(&table)
                .fetch_all(&pool)
                .await
                .unwrap();
                if key == ["INTEGER"] {
                    ids.push((table, code_of(&sql).contains("AUTOINCREMENT")));
                }
            }
            ids
        }
        db::Backend::Postgres => sqlx::query_as::<_, (String, bool)>(
            "SELECT CAST(c.table_name AS TEXT),
                    CAST(c.is_identity AS TEXT) = 'YES'
                        OR COALESCE(CAST(c.column_default AS TEXT), '') LIKE 'nextval(%'
             FROM information_schema.table_constraints k
             JOIN information_schema.key_column_usage u
               ON u.constraint_schema = k.constraint_schema AND u.constraint_name = k.constraint_name
             JOIN information_schema.columns c
               ON c.table_schema = u.table_schema AND c.table_name = u.table_name
              AND c.column_name = u.column_name
             WHERE k.constraint_type = 'PRIMARY KEY' AND k.table_schema = current_schema()
               AND k.table_name <> '_sqlx_migrations'
               AND CAST(c.data_type AS TEXT) IN ('smallint', 'integer', 'bigint')
               AND (SELECT COUNT(*) FROM information_schema.key_column_usage o
                    WHERE o.constraint_schema = k.constraint_schema
                      AND o.constraint_name = k.constraint_name) = 1",
        )
        .fetch_all(&pool)
        .await
        .unwrap(),
    };
    let names: Vec<&str> = ids.iter().map(|(t, _)| t.as_str()).collect();
    for table in [
        "workspaces",
        "users",
        "deals",
        "projects",
        "allocations",
        "share_links",
    ] {
        assert!(
            names.contains(&table),
            "{table} has an integer id: {names:?}"
        );
    }
    let reusable: Vec<&str> = ids
        .iter()
        .filter(|(_, never_reused)| !never_reused)
        .map(|(t, _)| t.as_str())
        .collect();
    assert!(
        reusable.is_empty(),
        "these tables hand a deleted row's id out again: {reusable:?}"
    );
}

/// A SQLite file at `path` migrated as the previous release left it.
async fn previous_schema(path: &std::path::Path) -> String {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(false);
    let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
    conn.ensure_migrations_table().await.unwrap();
    for migration in db::MIGRATOR.iter().filter(|m| m.version <= PREVIOUS_SCHEMA) {
        conn.apply(migration).await.unwrap();
    }
    conn.close().await.unwrap();
    format!("sqlite://{}", path.display())
}

/// A connection to the file at `path` with foreign keys enforced, as the server has.
async fn open(path: &std::path::Path) -> SqliteConnection {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .foreign_keys(true);
    SqliteConnection::connect_with(&options).await.unwrap()
}

/// One new row for each table with an integer id, each answering its id, in an order in
/// which each refers to rows before it (the newest of their tables); deleted in the
/// reverse order.
const NEW_ROWS: &[(&str, &str)] = &[
    ("workspaces", "INSERT INTO workspaces (slug, name, currency, created_at) VALUES ('ids', 'Ids', 'EUR', 0)"),
    ("roles", "INSERT INTO roles (workspace_id, name) VALUES ((SELECT MAX(id) FROM workspaces), 'Ids')"),
    ("people", "INSERT INTO people (workspace_id, name, weekly_capacity_minutes, cost_rate_minor, bill_rate_minor, created_at)
                VALUES ((SELECT MAX(id) FROM workspaces), 'Ida Ids', 2400, 5000, 9000, 0)"),
    ("users", "INSERT INTO users (workspace_id, email, name, role_id, created_at)
               VALUES ((SELECT MAX(id) FROM workspaces), 'ida@ids.test', 'Ida Ids', (SELECT MAX(id) FROM roles), 0)"),
    ("skills", "INSERT INTO skills (workspace_id, name) VALUES ((SELECT MAX(id) FROM workspaces), 'Ids')"),
    ("time_off", "INSERT INTO time_off (workspace_id, person_id, starts_on, ends_on, minutes_per_day, created_at)
                  VALUES ((SELECT MAX(id) FROM workspaces), (SELECT MAX(id) FROM people), '2026-11-23', '2026-11-24', 480, 0)"),
    ("clients", "INSERT INTO clients (workspace_id, name, created_at) VALUES ((SELECT MAX(id) FROM workspaces), 'Ids', 0)"),
    ("stages", "INSERT INTO stages (workspace_id, name, position, probability_pct, kind)
                VALUES ((SELECT MAX(id) FROM workspaces), 'Ids', 0, 50, 'open')"),
    ("deals", "INSERT INTO deals (workspace_id, client_id, title, value_minor, stage_id, owner_user_id,
                                  stage_entered_at, created_at, updated_at)
               VALUES ((SELECT MAX(id) FROM workspaces), (SELECT MAX(id) FROM clients), 'Ids', 100,
                       (SELECT MAX(id) FROM stages), (SELECT MAX(id) FROM users), 0, 0, 0)"),
    ("deal_estimate_lines", "INSERT INTO deal_estimate_lines (workspace_id, deal_id, skill_id, minutes)
                             VALUES ((SELECT MAX(id) FROM workspaces), (SELECT MAX(id) FROM deals), (SELECT MAX(id) FROM skills), 60)"),
    ("projects", "INSERT INTO projects (workspace_id, client_id, name, budget_minor, starts_on, ends_on, created_at)
                  VALUES ((SELECT MAX(id) FROM workspaces), (SELECT MAX(id) FROM clients), 'Ids', 100, '2026-11-23', '2026-12-21', 0)"),
    ("allocations", "INSERT INTO allocations (workspace_id, person_id, project_id, week, minutes, created_at)
                     VALUES ((SELECT MAX(id) FROM workspaces), (SELECT MAX(id) FROM people), (SELECT MAX(id) FROM projects), '2026-11-23', 600, 0)"),
    ("time_entries", "INSERT INTO time_entries (workspace_id, project_id, person_id, worked_on, minutes, created_at)
                      VALUES ((SELECT MAX(id) FROM workspaces), (SELECT MAX(id) FROM projects), (SELECT MAX(id) FROM people), '2026-11-23', 60, 0)"),
    ("change_requests", "INSERT INTO change_requests (workspace_id, project_id, description, extra_value_minor, proposed_by, created_at)
                         VALUES ((SELECT MAX(id) FROM workspaces), (SELECT MAX(id) FROM projects), 'More', 100, (SELECT MAX(id) FROM users), 0)"),
    ("change_request_lines", "INSERT INTO change_request_lines (workspace_id, change_request_id, skill_id, minutes)
                              VALUES ((SELECT MAX(id) FROM workspaces), (SELECT MAX(id) FROM change_requests), (SELECT MAX(id) FROM skills), 60)"),
    ("status_updates", "INSERT INTO status_updates (workspace_id, project_id, author_user_id, rag, summary, created_at)
                        VALUES ((SELECT MAX(id) FROM workspaces), (SELECT MAX(id) FROM projects), (SELECT MAX(id) FROM users), 'green', 'Fine', 0)"),
    ("share_links", "INSERT INTO share_links (workspace_id, project_id, token_hash, hint, created_by, created_at)
                     VALUES ((SELECT MAX(id) FROM workspaces), (SELECT MAX(id) FROM projects), 'ids-token', 'token', (SELECT MAX(id) FROM users), 0)"),
    ("import_parts", "INSERT INTO import_parts (workspace_id, user_id, upload, kind, part, body, created_at)
                      VALUES ((SELECT MAX(id) FROM workspaces), (SELECT MAX(id) FROM users), 'ids-upload', 'people', 1, 'name', 0)"),
    // Events are append-only (a trigger refuses deletes): it is added, never deleted.
    ("events", "INSERT INTO events (workspace_id, seq, entity, entity_id, action, created_at)
                SELECT w.id, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE workspace_id = w.id),
                       'test', 0, 'noted', 0
                FROM workspaces w WHERE w.slug = 'demo'"),
];

/// Adds one row to every table (see [`NEW_ROWS`]); answers each table's new id.
async fn add_rows(conn: &mut SqliteConnection) -> BTreeMap<&'static str, i64> {
    let mut ids = BTreeMap::new();
    for (table, insert) in NEW_ROWS {
        let id: i64 = sqlx::query_scalar(&format!("{insert} RETURNING id"))
            .fetch_one(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("adding a row to {table}: {e}"));
        ids.insert(*table, id);
    }
    ids
}

/// Deletes the rows [`add_rows`] added (but the event), newest first.
async fn delete_rows(conn: &mut SqliteConnection, ids: &BTreeMap<&'static str, i64>) {
    for (table, _) in NEW_ROWS.iter().rev().filter(|(t, _)| *t != "events") {
        sqlx::query(&format!("DELETE FROM {table} WHERE id = $1"))
            .bind(ids[table])
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("deleting the row of {table}: {e}"));
    }
}

/// What a migration that only adds AUTOINCREMENT must leave alone: every table's columns,
/// keys, indexes and constraints, every trigger, every row.
#[derive(Debug, PartialEq)]
struct Shape {
    tables: BTreeMap<String, String>,
    triggers: BTreeMap<String, String>,
    rows: BTreeMap<String, String>,
}

/// The items of a CREATE TABLE (columns and table constraints) without comments,
/// AUTOINCREMENT or layout, sorted: columns added later by ALTER TABLE sit elsewhere in
/// the text than in a table created whole.
fn definition_items(sql: &str) -> Vec<String> {
    let code = code_of(sql).replace("AUTOINCREMENT", "");
    let body = &code[code.find('(').unwrap() + 1..code.rfind(')').unwrap()];
    let mut items = Vec::new();
    let (mut depth, mut quoted, mut item) = (0, false, String::new());
    for c in body.chars() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                items.push(std::mem::take(&mut item));
                continue;
            }
            _ => {}
        }
        item.push(c);
    }
    items.push(item);
    let mut items: Vec<String> = items
        .iter()
        .map(|i| {
            i.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .replace("( ", "(")
                .replace(" )", ")")
        })
        .collect();
    items.sort();
    items
}

async fn json(conn: &mut SqliteConnection, sql: &str, bind: &str) -> String {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
}

async fn shape(conn: &mut SqliteConnection) -> Shape {
    let tables: Vec<(String, String)> = sqlx::query_as(
        "SELECT name, sql FROM sqlite_master
         WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut shape = Shape {
        tables: BTreeMap::new(),
        triggers: BTreeMap::new(),
        rows: BTreeMap::new(),
    };
    for (table, sql) in tables {
        let columns = json(
            conn,
            "SELECT json_group_array(json_array(cid, name, type, \"notnull\", dflt_value, pk, hidden))
             FROM pragma_table_xinfo($1)",
            &table,
        )
        .await;
        let keys = json(
            conn,
            "SELECT json_group_array(json_array(id, seq, \"table\", \"from\", \"to\", on_update, on_delete, \"match\"))
             FROM pragma_foreign_key_list($1)",
            &table,
        )
        .await;
        let indexes = json(
            conn,
            "SELECT json_group_array(i) FROM (
                 SELECT json_array(l.name, l.\"unique\", l.origin, l.partial, m.sql,
                        (SELECT json_group_array(json_array(seqno, cid, name, \"desc\", coll, \"key\"))
                         FROM pragma_index_xinfo(l.name))) AS i
                 FROM pragma_index_list($1) l
                 LEFT JOIN sqlite_master m ON m.type = 'index' AND m.name = l.name
                 ORDER BY l.name)",
            &table,
        )
        .await;
        let names = json(
            conn,
            "SELECT group_concat(name, ', ') FROM (SELECT name FROM pragma_table_info($1) ORDER BY cid)",
            &table,
        )
        .await;
        let rows: String = sqlx::query_scalar(&format!(
            "SELECT COALESCE(json_group_array(json_array({names})), '[]')
             FROM (SELECT * FROM {table} ORDER BY rowid)"
        ))
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        shape.tables.insert(
            table.clone(),
            format!(
                "columns {columns}\nkeys {keys}\nindexes {indexes}\ndefinition {:?}",
                definition_items(&sql)
            ),
        );
        shape.rows.insert(table, rows);
    }
    let triggers: Vec<(String, String, String)> =
        sqlx::query_as("SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
    for (name, table, sql) in triggers {
        shape.triggers.insert(name, format!("{table}: {sql}"));
    }
    shape
}

#[tokio::test]
async fn a_database_of_the_previous_schema_keeps_everything_and_never_reuses_an_id() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baton.db");
    let url = previous_schema(&path).await;

    // The demo as the previous release seeded it, and a row more in every table.
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&url).await.unwrap();
    // Today's seed writes the deal-progress columns of a later migration: they exist while
    // it runs, and go again (their migration comes after this one and fills them).
    for sql in [
        "ALTER TABLE deals ADD COLUMN furthest_stage_id INTEGER NULL",
        "ALTER TABLE deals ADD COLUMN progressed_at INTEGER NULL",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    seed::seed_demo(&pool, seed::SeedSize::DEMO, NOW_MS)
        .await
        .unwrap();
    for sql in [
        "ALTER TABLE deals DROP COLUMN furthest_stage_id",
        "ALTER TABLE deals DROP COLUMN progressed_at",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
    let mut conn = open(&path).await;
    let before = add_rows(&mut conn).await;
    // A project closed and reopened before the upgrade: the audit log names it, the
    // table no longer holds it.
    let gone: i64 = sqlx::query_scalar(
        "INSERT INTO projects (workspace_id, client_id, name, budget_minor, starts_on, ends_on, created_at)
         SELECT w.id, (SELECT MIN(c.id) FROM clients c WHERE c.workspace_id = w.id), 'Reopened', 100,
                '2026-11-23', '2026-12-21', 0
         FROM workspaces w WHERE w.slug = 'demo'
         RETURNING id",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO events (workspace_id, seq, entity, entity_id, action, created_at)
         SELECT w.id, (SELECT MAX(seq) + 1 FROM events WHERE workspace_id = w.id), 'project', $1, 'closed', 0
         FROM workspaces w WHERE w.slug = 'demo'",
    )
    .bind(gone)
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query("DELETE FROM projects WHERE id = $1")
        .bind(gone)
        .execute(&mut conn)
        .await
        .unwrap();
    assert!(gone > before["projects"]);
    let old = shape(&mut conn).await;
    conn.close().await.unwrap();

    // Upgraded by the migration under test, as the server applies it (foreign keys off);
    // the later migrations come on top below.
    {
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .foreign_keys(false);
        let mut conn = SqliteConnection::connect_with(&options).await.unwrap();
        for migration in db::MIGRATOR
            .iter()
            .filter(|m| m.version == PREVIOUS_SCHEMA + 1)
        {
            conn.apply(migration).await.unwrap();
        }
        conn.close().await.unwrap();
    }
    let mut conn = open(&path).await;
    let new = shape(&mut conn).await;
    assert_eq!(old.triggers, new.triggers, "every trigger is kept");
    for (table, rows) in &old.rows {
        assert!(rows == &new.rows[table], "the rows of {table} are kept");
    }
    assert_eq!(
        old.tables.keys().collect::<Vec<_>>(),
        new.tables.keys().collect::<Vec<_>>()
    );
    for (table, definition) in &old.tables {
        assert_eq!(
            definition, &new.tables[table],
            "{table} is the same but for AUTOINCREMENT"
        );
    }
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    let autoincrement: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND sql LIKE '%AUTOINCREMENT%'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(autoincrement, NEW_ROWS.len() as i64);
    // Then every later migration, as the server does on start.
    conn.close().await.unwrap();
    db::connect_and_migrate(&url).await.unwrap().close().await;
    let mut conn = open(&path).await;

    // The newest row of every table deleted after the upgrade: its id is not given again.
    delete_rows(&mut conn, &before).await;
    let after = add_rows(&mut conn).await;
    for (table, id) in &after {
        assert!(
            *id > before[table],
            "{table}: id {id} after {}",
            before[table]
        );
    }
    // Nor is the id of the project deleted before the upgrade, which the log names.
    assert!(
        after["projects"] > gone,
        "{} after {gone}",
        after["projects"]
    );
    // The triggers still fire on the rebuilt tables.
    let (board_version, board_rev): (i64, i64) = sqlx::query_as(
        "SELECT w.board_version, d.board_rev FROM deals d JOIN workspaces w ON w.id = d.workspace_id
         WHERE d.id = $1",
    )
    .bind(after["deals"])
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!((board_version, board_rev), (1, 1));
}

#[tokio::test]
async fn the_rebuild_refuses_to_run_with_foreign_keys_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("baton.db");
    let url = previous_schema(&path).await;
    let mut conn = open(&path).await;
    sqlx::query(
        "INSERT INTO workspaces (slug, name, currency, created_at) VALUES ('a', 'A', 'EUR', 0)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    sqlx::query("INSERT INTO roles (workspace_id, name) VALUES (1, 'R')")
        .execute(&mut conn)
        .await
        .unwrap();
    // With foreign keys on, dropping `workspaces` would delete every row that refers to it.
    let refused = db::MIGRATOR.run(&mut conn).await.unwrap_err();
    assert!(
        refused.to_string().contains("foreign_keys_must_be_off"),
        "{refused}"
    );
    let (version, roles): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT MAX(version) FROM _sqlx_migrations), (SELECT COUNT(*) FROM roles)",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    assert_eq!(
        (version, roles),
        (PREVIOUS_SCHEMA, 1),
        "nothing was changed"
    );
    conn.close().await.unwrap();
    // The server's own migration turns them off and goes through.
    db::connect_and_migrate(&url).await.unwrap().close().await;
    let mut conn = open(&path).await;
    let roles: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM roles")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(roles, 1);
}
