//! The direction of calls, checked: each layer names only the layers below it
//! (docs/ARCHITECTURE.md, "Layers"). A rule broken anywhere fails the suite with the file.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/<dir>`.
fn sources(dir: &str) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("a source folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(dir),
        &mut out,
    );
    assert!(!out.is_empty(), "no sources under src/{dir}");
    out
}

/// The files under `src/<dir>` that name any of `forbidden`, with the name.
fn naming(dir: &str, forbidden: &[&str]) -> Vec<String> {
    sources(dir)
        .into_iter()
        .flat_map(|path| {
            let text = std::fs::read_to_string(&path).expect("a readable source");
            forbidden
                .iter()
                .filter(|name| text.contains(*name))
                .map(|name| format!("{} names {name}", path.display()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_domain_names_no_framework_and_no_layer_above_it() {
    let found = naming(
        "domain",
        &[
            "sqlx::",
            "leptos::",
            "axum::",
            "crate::server",
            "crate::api",
            "crate::pages",
            "crate::components",
        ],
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_server_side_never_calls_up_into_server_functions_or_views() {
    let found = naming(
        "server",
        &[
            "crate::api",
            "crate::pages",
            "crate::components",
            "leptos_router",
        ],
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn wire_types_name_nothing_above_the_domain() {
    let found = naming(
        "shared",
        &[
            "crate::api",
            "crate::server",
            "crate::pages",
            "crate::components",
            "sqlx::query",
        ],
    );
    assert!(found.is_empty(), "{found:#?}");
}

/// The lines of the files under `src/<dir>` that name `name`, except those `allowed`
/// says may: (file, line).
fn lines_naming(dir: &str, name: &str, allowed: impl Fn(&Path, &str) -> bool) -> Vec<String> {
    sources(dir)
        .into_iter()
        .flat_map(|path| {
            let text = std::fs::read_to_string(&path).expect("a readable source");
            text.lines()
                .filter(|line| line.contains(name) && !allowed(&path, line))
                .map(|line| format!("{}: {}", path.display(), line.trim()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn server_functions_and_views_write_no_sql() {
    for dir in ["api", "pages", "components"] {
        let found = lines_naming(dir, "sqlx", |_, _| false);
        assert!(found.is_empty(), "{found:#?}");
    }
    // Wire types may be read straight from a row (a `FromRow` derive and its field
    // attributes, server build only, and `flag.rs`: how a flag column decodes); nothing
    // more.
    let found = lines_naming("shared", "sqlx", |path, line| {
        let line = line.trim();
        if path.ends_with("flag.rs") {
            return !line.contains("sqlx::query");
        }
        line.starts_with(r#"#[cfg_attr(feature = "ssr", "#)
            && (line.contains("derive(sqlx::FromRow)") || line.contains(", sqlx("))
    });
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn only_the_database_module_names_the_database() {
    // Repositories and services name `db::Conn`, `db::Pool`, `db::Executor`: the second
    // backend changes `server/db.rs` (and the seed's id helper), nothing else.
    let found = lines_naming("server", "Sqlite", |path, _| {
        path.file_name().is_some_and(|f| f == "db.rs")
    });
    assert!(found.is_empty(), "{found:#?}");
    let found = lines_naming("../../server/src", "Sqlite", |_, _| false);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn repositories_only_read_and_write_rows() {
    // Transactions, events and live publishing belong to the services.
    for name in [
        "db.write()",
        "begin_write",
        "events::append",
        "live.publish",
        "caller.can(",
    ] {
        let found = lines_naming("server", name, |path, _| {
            !path
                .file_name()
                .and_then(|f| f.to_str())
                .is_some_and(|f| f.ends_with("_repo.rs"))
        });
        assert!(found.is_empty(), "{found:#?}");
    }
}

#[test]
fn server_functions_call_services_not_repositories() {
    let found = lines_naming("api", "_repo::", |_, _| false);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn sql_is_written_in_repositories() {
    // Besides the repositories: the connection set-up, the demo generator, the event log
    // and the sessions (sign-in's own tables).
    let outside = ["db.rs", "seed.rs", "events.rs", "auth.rs"];
    let found = lines_naming("server", "sqlx::query", |path, _| {
        let file = path.file_name().and_then(|f| f.to_str()).unwrap_or("");
        file.ends_with("_repo.rs") || outside.contains(&file)
    });
    assert!(found.is_empty(), "{found:#?}");
    // The `baton` binary's HTTP layer goes through them too.
    let found = lines_naming("../../server/src", "sqlx::query", |_, _| false);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_error_type_names_no_server_function_or_view() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/error.rs");
    let text = std::fs::read_to_string(&path).expect("src/error.rs");
    for name in ["crate::api", "crate::pages", "crate::components"] {
        assert!(!text.contains(name), "src/error.rs names {name}");
    }
}

/// The SQL texts of a source: every string literal that starts a statement.
fn sql_texts(text: &str) -> Vec<String> {
    let starts = ["SELECT ", "INSERT ", "UPDATE ", "DELETE ", "WITH "];
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('"') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('"') else { break };
        let literal = &after[..close];
        if starts.iter().any(|s| literal.trim_start().starts_with(s)) {
            out.push(literal.split_whitespace().collect::<Vec<_>>().join(" "));
        }
        rest = &after[close + 1..];
    }
    out
}

/// Whether `sql`, in file `file`, is one of the shared rate limits' queries: in
/// `limit_repo.rs`, naming no table but `throttles` and `login_attempts` (or none, such as
/// taking an advisory lock). Those rows are keyed by client address and email, before
/// anyone is signed in, and belong to no workspace.
fn shared_limit_query(file: &str, sql: &str) -> bool {
    const TABLES: [&str; 2] = ["throttles", "login_attempts"];
    let words: Vec<&str> = sql
        .split(|c: char| c.is_whitespace() || "(),;".contains(c))
        .filter(|w| !w.is_empty())
        .collect();
    let mut tables = words.windows(2).filter_map(|pair| {
        let keyword = pair[0].to_ascii_uppercase();
        let named = ["FROM", "INTO", "JOIN", "UPDATE"].contains(&keyword.as_str())
            // `ON CONFLICT … DO UPDATE SET` names no table.
            && !pair[1].eq_ignore_ascii_case("SET");
        named.then_some(pair[1])
    });
    file == "limit_repo.rs" && tables.all(|t| TABLES.contains(&t))
}

#[test]
fn every_repository_query_names_its_workspace() {
    // Tenant rows are only ever read or written with their workspace: a query keyed by an
    // id alone would reach into another agency the moment an id is wrong. Exempt: the
    // workspaces table itself (read or updated by the workspace's own id), a session found
    // by its secret token, counting workspaces (the seed writes only into an empty
    // database), and the relay's own bookkeeping: a server's presence rows by its server id, expired
    // presence rows of every workspace, and notifications (no table).
    let exempt = |sql: &str| {
        sql.contains("FROM workspaces WHERE id = $1")
            || (sql.starts_with("UPDATE workspaces SET") && sql.contains(" WHERE id = $1"))
            || sql == "SELECT COUNT(*) FROM workspaces"
            || sql == "DELETE FROM sessions WHERE token_hash = $1"
            || sql == "UPDATE presence SET seen_at = $2 WHERE server_id = $1"
            || sql.starts_with("DELETE FROM presence WHERE seen_at < $1")
            || sql.starts_with("DELETE FROM presence WHERE server_id = $1 RETURNING")
            || sql.contains("SELECT pg_notify($1, $2)")
    };
    let mut found = Vec::new();
    for path in sources("server") {
        let file = path.file_name().and_then(|f| f.to_str()).unwrap_or("");
        if !(file.ends_with("_repo.rs") || file == "events.rs" || file == "auth.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("a readable source");
        for sql in sql_texts(&text) {
            if !sql.contains("workspace_id") && !exempt(&sql) && !shared_limit_query(file, &sql) {
                found.push(format!("{}: {sql}", path.display()));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
    // The scan sees the queries it checks.
    assert!(sql_texts("x(\"SELECT 1 FROM t\")").len() == 1);
    // The shared limits' exemption covers their own tables only.
    assert!(shared_limit_query(
        "limit_repo.rs",
        "SELECT tat FROM throttles WHERE key = $1"
    ));
    assert!(!shared_limit_query(
        "limit_repo.rs",
        "SELECT tat FROM throttles JOIN users ON 1 = 1"
    ));
    assert!(!shared_limit_query(
        "user_repo.rs",
        "SELECT tat FROM throttles WHERE key = $1"
    ));
}

#[test]
fn components_never_reach_into_pages() {
    let found = naming("components", &["crate::pages"]);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_rules_see_a_breach() {
    // The check itself: a name that is there is found.
    assert!(!naming("components", &["crate::api"]).is_empty());
    assert!(!lines_naming("server", "sqlx::query", |_, _| false).is_empty());
    assert!(!lines_naming("../../server/src", "fn router", |_, _| false).is_empty());
}
