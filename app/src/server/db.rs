//! Opening the database, and the one way Baton writes to it.
//!
//! Baton runs on an embedded **SQLite** file (the default) or on **PostgreSQL** (several
//! servers on one database). Repositories write one SQL text for both and run it through
//! `sqlx::Any` ([`Db`]): `$n` placeholders, `RETURNING id`, 64-bit integers, text dates.
//! Each backend has its own migrations (`app/migrations`, `app/migrations-postgres`),
//! applied with its native driver before the pools open.
//!
//! **SQLite** runs in WAL mode with `synchronous = FULL`: a transaction is acknowledged
//! only after its WAL frames are fsynced, so an acknowledged write survives a crash of the
//! process and of the machine. Foreign keys are enforced. Writes go through one writer
//! connection, handed out first come first served, whose transactions begin `IMMEDIATE`
//! (the write lock taken up front): a write never fails because another write is
//! happening — it waits its turn — and never fails on a lock upgrade halfway through.
//!
//! **PostgreSQL** gives no such lock for free, so [`Database::write`] makes it explicit: a
//! write transaction (READ COMMITTED) first takes a transaction-scoped advisory lock on
//! its workspace (`pg_advisory_xact_lock`), so the writes of one workspace run one after
//! the other on every server — "keep at least one admin", version guards, the next event
//! number and an idempotent close all see the previous write committed — while different
//! workspaces write in parallel. Every statement after the lock reads what committed
//! before it.
//!
//! **Reads** go through a pool of read-only connections (SQLite `query_only`, PostgreSQL
//! `default_transaction_read_only`): a write sent through a reader by mistake fails loudly
//! in every test instead of racing in production. In SQLite's WAL mode readers never wait
//! for the writer.
//!
//! A request holds at most one connection at a time: a handler that holds a reader and
//! asks the pool for another can deadlock with others doing the same once the pool is
//! empty. When the pool stays empty past its acquire timeout the request answers 503
//! quickly instead of hanging.

use crate::error::AppError;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Any, AnyPool, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// The SQLite migrations (`app/migrations`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The PostgreSQL migrations (`app/migrations-postgres`): the same schema in PostgreSQL's
/// dialect, plus what several servers share (presence, rate limits, event notifications).
pub static MIGRATOR_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations-postgres");

/// The database Baton runs on, whichever backend: repositories name it only through
/// these aliases.
pub type Db = Any;

/// A connection to [`Db`] (a pooled one, or a transaction, derefs to it).
pub type Conn = sqlx::AnyConnection;

/// A pool of [`Conn`]s.
pub type Pool = AnyPool;

/// What a statement that changes rows answers (rows affected).
pub type Done = sqlx::any::AnyQueryResult;

/// Anything one query can run on: a pool, a connection, a transaction.
pub trait Executor<'e>: sqlx::Executor<'e, Database = Db> {}

impl<'e, T: sqlx::Executor<'e, Database = Db>> Executor<'e> for T {}

/// A write transaction: holds the write lock (SQLite) or its workspace's lock
/// (PostgreSQL) from its first statement to commit.
pub type WriteTx = Transaction<'static, Any>;

pub use crate::shared::flag::Flag;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file (`sqlite://PATH`).
    Sqlite,
    /// A PostgreSQL server (`postgres://…` or `postgresql://…`).
    Postgres,
}

impl Backend {
    /// The backend of `url`, or why Baton cannot use it (naming `DATABASE_URL`).
    pub fn of_url(url: &str) -> Result<Self, String> {
        let scheme = url
            .split_once(':')
            .map(|(scheme, _)| scheme.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("sqlite") if url.len() > "sqlite:".len() => Ok(Self::Sqlite),
            Some("postgres" | "postgresql") => {
                let rest = &url[url.find(':').map_or(0, |i| i + 1)..];
                let host_part = rest
                    .strip_prefix("//")
                    .map(|r| r.split(['/', '?']).next().unwrap_or(""));
                match host_part {
                    Some(host) if !host.is_empty() || rest.contains("host=") => {
                        sqlx::postgres::PgConnectOptions::from_str(url)
                            .map(|_| Self::Postgres)
                            .map_err(|e| {
                                format!("DATABASE_URL: `{}` is not a usable PostgreSQL URL: {e}", redact(url))
                            })
                    }
                    _ => Err(format!(
                        "DATABASE_URL: `{}` names no PostgreSQL server (postgres://USER@HOST:PORT/DATABASE)",
                        redact(url)
                    )),
                }
            }
            _ => Err(format!(
                "DATABASE_URL: `{}` is not a database URL Baton can use \
                 (sqlite://PATH or postgres://USER:PASSWORD@HOST:PORT/DATABASE)",
                redact(url)
            )),
        }
    }
}

/// `url` with any password replaced by `***`, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// How many connections Baton opens and how long a request waits for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolLimits {
    /// Read-only connections. SQLite reads are CPU-bound and each connection has its own
    /// thread: a few per core keep both cores busy while one waits on the disk.
    pub readers: u32,
    /// Write connections on PostgreSQL (writes of different workspaces run in parallel);
    /// SQLite always has one.
    pub writers: u32,
    /// How long a read waits for a free reader before the request answers 503.
    pub read_timeout: Duration,
    /// How long a write waits for its turn before answering 503. Writes take
    /// milliseconds each, so even 64 queued writers clear well within it.
    pub write_timeout: Duration,
}

impl Default for PoolLimits {
    fn default() -> Self {
        Self {
            readers: 8,
            writers: 8,
            read_timeout: Duration::from_secs(5),
            write_timeout: Duration::from_secs(10),
        }
    }
}

/// Baton's database: writer(s) and readers on the same SQLite file or PostgreSQL database.
#[derive(Debug, Clone)]
pub struct Database {
    backend: Backend,
    reader: AnyPool,
    writer: AnyPool,
    /// This server's name among the servers on one database (random per start).
    server_id: std::sync::Arc<str>,
    /// The URL the pools were opened with (PostgreSQL: naming this server).
    url: std::sync::Arc<str>,
}

/// `url` with the PostgreSQL connection parameter `application_name` set to `name`: every
/// connection of this server says who it is, and the events it writes are announced with
/// it (`events_notify`), so its live relay can skip its own.
fn with_application_name(url: &str, name: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}application_name={name}")
}

/// How long SQLite itself waits for the file lock held by another process (a `baton
/// seed` run, a backup) before a statement fails with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

fn sqlite_options(url: &str) -> Result<SqliteConnectOptions, sqlx::Error> {
    Ok(SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT))
}

fn create_parent_dir(options: &SqliteConnectOptions) -> Result<(), sqlx::Error> {
    if let Some(parent) = options.get_filename().parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
        }
    }
    Ok(())
}

/// Pool options whose every new connection first runs `settings` (SQLite pragmas, which
/// `sqlx::Any` cannot carry in its URL; PostgreSQL session settings).
fn pool_options(settings: &'static [&'static str]) -> AnyPoolOptions {
    AnyPoolOptions::new().after_connect(move |conn, _meta| {
        Box::pin(async move {
            for statement in settings {
                sqlx::query(statement).execute(&mut *conn).await?;
            }
            Ok(())
        })
    })
}

const SQLITE_SETTINGS: &[&str] = &[
    "PRAGMA foreign_keys = ON",
    "PRAGMA synchronous = FULL",
    "PRAGMA busy_timeout = 5000",
];

const SQLITE_READER_SETTINGS: &[&str] = &[
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 5000",
    "PRAGMA query_only = ON",
];

const POSTGRES_READER_SETTINGS: &[&str] = &["SET default_transaction_read_only = on"];

/// A write waits at most this long for its workspace's lock (or a row lock), then fails
/// with 55P03 and the request answers 503 — it never holds a writer connection forever
/// behind a stuck transaction.
const POSTGRES_WRITER_SETTINGS: &[&str] = &["SET lock_timeout = '10s'"];

/// Makes the `Any` drivers (SQLite, PostgreSQL) known; idempotent.
fn install_drivers() {
    sqlx::any::install_default_drivers();
}

impl Database {
    /// Opens the database at `url` (a SQLite file is created, with its directory, if
    /// missing) and applies every pending migration of its backend.
    pub async fn open(url: &str, limits: PoolLimits) -> Result<Self, sqlx::Error> {
        install_drivers();
        let backend = Backend::of_url(url).map_err(|e| sqlx::Error::Configuration(e.into()))?;
        let server_id: std::sync::Arc<str> = crate::server::auth::new_token()[..12].into();
        let url = match backend {
            Backend::Sqlite => url.to_string(),
            Backend::Postgres => with_application_name(url, &format!("baton-{server_id}")),
        };
        let url = url.as_str();
        let any = AnyConnectOptions::from_str(url)?;
        migrate(backend, url).await?;
        let (writer, reader_settings) = match backend {
            // The writer stays open for the life of the server: it keeps the WAL index
            // alive for the readers and never pays a reconnect on the write path.
            Backend::Sqlite => (
                pool_options(SQLITE_SETTINGS)
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None),
                SQLITE_READER_SETTINGS,
            ),
            Backend::Postgres => (
                pool_options(POSTGRES_WRITER_SETTINGS).max_connections(limits.writers.max(1)),
                POSTGRES_READER_SETTINGS,
            ),
        };
        let writer = writer
            .acquire_timeout(limits.write_timeout)
            .connect_with(any.clone())
            .await?;
        let reader = pool_options(reader_settings)
            .max_connections(limits.readers.max(1))
            .acquire_timeout(limits.read_timeout)
            .connect_with(any)
            .await?;
        Ok(Self {
            backend,
            reader,
            writer,
            server_id,
            url: url.into(),
        })
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// This server's name among the servers sharing the database (random per start).
    pub fn server_id(&self) -> &str {
        &self.server_id
    }

    /// The `application_name` this server's PostgreSQL connections carry.
    pub fn application_name(&self) -> String {
        format!("baton-{}", self.server_id)
    }

    /// The database's URL as opened (for the live relay's own connection).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The read-only pool, for queries that each borrow a connection and give it back.
    pub fn reader(&self) -> &AnyPool {
        &self.reader
    }

    /// The writers' pool, for tools that write outside a request (the seed). Server code
    /// writes through [`Database::write`].
    pub fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// One read-only connection for a request that reads several times.
    pub async fn read(&self) -> Result<PoolConnection<Any>, AppError> {
        Ok(self.reader.acquire().await?)
    }

    /// A write transaction on the workspace `workspace_id`, after every write of that
    /// workspace that asked before it (on SQLite: after every write).
    pub async fn write(&self, workspace_id: i64) -> Result<WriteTx, AppError> {
        Ok(begin_write(&self.writer, workspace_id).await?)
    }

    /// `Ok` when a reader answers a trivial query (the health check).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query_scalar::<_, i64>("SELECT CAST(1 AS BIGINT)")
            .fetch_one(&self.reader)
            .await
            .map(|_| ())
    }

    /// Closes every connection (SQLite checkpoints the WAL when the last one closes).
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// Begins a write transaction on `pool` that cannot fail later because another write is
/// happening: on SQLite the write lock is taken first (`BEGIN IMMEDIATE`); on PostgreSQL
/// the transaction first waits for the advisory lock of `workspace_id` (0 for writes that
/// belong to no workspace yet, such as the seed).
pub async fn begin_write(pool: &AnyPool, workspace_id: i64) -> Result<WriteTx, sqlx::Error> {
    if pool
        .connect_options()
        .database_url
        .scheme()
        .starts_with("postgres")
    {
        let mut tx = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(workspace_id)
            .execute(&mut *tx)
            .await?;
        Ok(tx)
    } else {
        pool.begin_with("BEGIN IMMEDIATE").await
    }
}

/// `Ok` when a version-guarded UPDATE changed its one row; otherwise someone changed the
/// row meanwhile (or it is gone) and the caller gets a conflict saying `what` changed.
pub fn changed_one(done: Done, what: &str) -> Result<(), AppError> {
    if done.rows_affected() == 1 {
        Ok(())
    } else {
        Err(AppError::Conflict(format!(
            "someone else changed this {what} meanwhile; reload to see the latest"
        )))
    }
}

/// Opens a plain pool on the database at `url` (migrated), for tools and tests that read
/// and write outside the server; their writes still begin with [`begin_write`].
pub async fn connect_and_migrate(url: &str) -> Result<AnyPool, sqlx::Error> {
    install_drivers();
    let backend = Backend::of_url(url).map_err(|e| sqlx::Error::Configuration(e.into()))?;
    migrate(backend, url).await?;
    let settings: &'static [&'static str] = match backend {
        Backend::Sqlite => SQLITE_SETTINGS,
        Backend::Postgres => &[],
    };
    pool_options(settings)
        .max_connections(4)
        .connect_with(AnyConnectOptions::from_str(url)?)
        .await
}

/// The variable that sends tests and benchmarks to PostgreSQL: the URL of a server on
/// which they may create databases (`make test` starts a throw-away one).
pub const TEST_POSTGRES_VAR: &str = "BATON_TEST_POSTGRES";

/// The URL of a new, empty database for a test or a benchmark: a SQLite file in `dir`, or,
/// when [`TEST_POSTGRES_VAR`] names a PostgreSQL server, a database created on it for
/// this caller alone.
pub async fn scratch_database(dir: &std::path::Path) -> String {
    use sqlx::Connection;
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let Some(server) = std::env::var(TEST_POSTGRES_VAR)
        .ok()
        .filter(|v| !v.is_empty())
    else {
        return format!("sqlite://{}/baton.db", dir.display());
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let name = format!(
        "baton_t{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut admin = sqlx::PgConnection::connect(&server)
        .await
        .unwrap_or_else(|e| panic!("{TEST_POSTGRES_VAR}={}: {e}", redact(&server)));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|e| panic!("creating database {name}: {e}"));
    let _ = admin.close().await;
    with_database(&server, &name)
}

/// `url` (a PostgreSQL URL) naming database `name` instead of its own.
fn with_database(url: &str, name: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let (main, query) = url.split_at(url.find('?').unwrap_or(url.len()));
    let host_end = main[authority_start..]
        .find('/')
        .map_or(main.len(), |i| authority_start + i);
    format!("{}/{name}{query}", &main[..host_end])
}

/// Applies every pending migration of `backend` to the database at `url`.
async fn migrate(backend: Backend, url: &str) -> Result<(), sqlx::Error> {
    match backend {
        Backend::Sqlite => migrate_sqlite(url).await,
        Backend::Postgres => migrate_postgres(url).await,
    }
}

/// Applies every pending PostgreSQL migration. sqlx takes an advisory lock for it, so
/// several servers starting at once migrate once.
async fn migrate_postgres(url: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await?;
    MIGRATOR_POSTGRES.run(&mut conn).await?;
    conn.close().await
}

/// Creates the SQLite file (and its directory) if missing, switches it to WAL (which the
/// file remembers) and applies every pending migration on a connection of its own with
/// foreign keys off — SQLite changes a constraint by rebuilding the table, which must
/// neither cascade deletes nor re-point the references of other tables — then, if any
/// was applied, checks every foreign key: a migration that broke one stops the start
/// instead of serving damaged data. (sqlx runs each SQLite migration in a transaction,
/// `-- no-transaction` or not, and inside one `PRAGMA foreign_keys` does nothing: the
/// connection has to be opened with them off.)
async fn migrate_sqlite(url: &str) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
    let options = sqlite_options(url)?;
    create_parent_dir(&options)?;
    let mut conn =
        sqlx::SqliteConnection::connect_with(&options.clone().foreign_keys(false)).await?;
    let applied = || sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM _sqlx_migrations");
    let before = applied().fetch_one(&mut conn).await.unwrap_or(0);
    MIGRATOR.run(&mut conn).await?;
    let after = applied().fetch_one(&mut conn).await?;
    // Checked only when this start migrated: a database that was already up to date is
    // not refused for something a migration did not do.
    let broken: Vec<String> = if after != before {
        sqlx::query_scalar("SELECT DISTINCT \"table\" FROM pragma_foreign_key_check")
            .fetch_all(&mut conn)
            .await?
    } else {
        Vec::new()
    };
    conn.close().await?;
    if !broken.is_empty() {
        return Err(sqlx::Error::Protocol(format!(
            "after migrating, rows of {} point at rows that do not exist",
            broken.join(", ")
        )));
    }
    Ok(())
}

/// The field a PostgreSQL constraint error is about, or `None` for another database's
/// error (SQLite names it in its message; see `error.rs`).
pub fn postgres_constraint_field(err: &dyn sqlx::error::DatabaseError) -> Option<String> {
    let pg = err.try_downcast_ref::<sqlx::postgres::PgDatabaseError>()?;
    Some(field_of_postgres_error(
        pg.detail(),
        pg.column(),
        pg.constraint(),
        pg.table(),
    ))
}

/// The field of a PostgreSQL constraint error from its parts: the last column of a
/// unique key's detail (`Key (workspace_id, name)=(…) already exists.` is `name`), the
/// column of a NOT NULL, or a CHECK's constraint name without its table and `_check`
/// (`deals_title_check` on `deals` is `title`).
fn field_of_postgres_error(
    detail: Option<&str>,
    column: Option<&str>,
    constraint: Option<&str>,
    table: Option<&str>,
) -> String {
    if let Some((columns, _)) = detail
        .and_then(|d| d.strip_prefix("Key ("))
        .and_then(|d| d.split_once(")="))
    {
        if let Some(last) = columns.rsplit(',').next().map(str::trim) {
            if !last.is_empty() {
                return last.to_string();
            }
        }
    }
    if let Some(column) = column.filter(|c| !c.is_empty()) {
        return column.to_string();
    }
    if let Some(constraint) = constraint {
        let name = table
            .and_then(|t| constraint.strip_prefix(t))
            .and_then(|rest| rest.strip_prefix('_'))
            .unwrap_or(constraint);
        let name = ["_check", "_fkey", "_key"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .unwrap_or(name);
        if !name.is_empty() {
            return name.to_string();
        }
    }
    "request".into()
}

/// Whether a database error says "busy, try again": SQLite's busy / locked codes (5, 6
/// and their extended forms such as 517: the write lock held by another process past the
/// busy timeout), PostgreSQL's serialization failure (40001), deadlock (40P01) and lock
/// timeout (55P03). The request is answered 503, to be retried.
pub fn is_busy_code(code: Option<&str>) -> bool {
    match code {
        Some("40001" | "40P01" | "55P03") => true,
        Some(code) => code
            .parse::<i64>()
            .ok()
            .is_some_and(|code| matches!(code & 0xff, 5 | 6)),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_constraint_errors_name_their_field() {
        let key = Some("Key (workspace_id, name)=(1, Acme) already exists.");
        assert_eq!(
            field_of_postgres_error(
                key,
                None,
                Some("clients_workspace_id_name_key"),
                Some("clients")
            ),
            "name"
        );
        assert_eq!(
            field_of_postgres_error(None, Some("title"), None, Some("deals")),
            "title"
        );
        assert_eq!(
            field_of_postgres_error(None, None, Some("deals_value_minor_check"), Some("deals")),
            "value_minor"
        );
        assert_eq!(
            field_of_postgres_error(None, None, Some("minutes_range"), Some("allocations")),
            "minutes_range"
        );
        assert_eq!(field_of_postgres_error(None, None, None, None), "request");
    }

    #[test]
    fn urls_are_told_apart_and_passwords_never_shown() {
        assert_eq!(
            Backend::of_url("sqlite://data/baton.db"),
            Ok(Backend::Sqlite)
        );
        assert_eq!(
            Backend::of_url("postgres://baton:pw@db:5432/baton"),
            Ok(Backend::Postgres)
        );
        let err = Backend::of_url("postgres://baton:hunter2@db:notaport/baton").unwrap_err();
        assert!(
            err.starts_with("DATABASE_URL: ") && !err.contains("hunter2"),
            "{err}"
        );
        let err = Backend::of_url("mysql://root:hunter2@db/baton").unwrap_err();
        assert!(
            err.starts_with("DATABASE_URL: ") && !err.contains("hunter2"),
            "{err}"
        );
        assert_eq!(
            redact("postgres://baton:hunter2@db/baton"),
            "postgres://baton:***@db/baton"
        );
        assert_eq!(
            with_database(
                "postgres://postgres@127.0.0.1:5433/postgres?sslmode=disable",
                "t1"
            ),
            "postgres://postgres@127.0.0.1:5433/t1?sslmode=disable"
        );
        assert_eq!(with_database("postgres://h", "t1"), "postgres://h/t1");
    }

    #[tokio::test]
    async fn readers_refuse_writes_and_the_writer_takes_turns() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let db = Database::open(&url, PoolLimits::default()).await.unwrap();
        sqlx::query("CREATE TABLE counter (n INTEGER NOT NULL)")
            .execute(db.writer())
            .await
            .unwrap();
        sqlx::query("INSERT INTO counter VALUES (0)")
            .execute(db.writer())
            .await
            .unwrap();
        let refused = sqlx::query("UPDATE counter SET n = n + 1")
            .execute(db.reader())
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("readonly"), "{refused}");

        // 32 read-then-write transactions at once: with deferred transactions on a plain
        // pool some would fail on the lock upgrade; through the writer all commit.
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move {
                    let mut tx = db.write(1).await?;
                    let n: i64 = sqlx::query_scalar("SELECT n FROM counter")
                        .fetch_one(&mut *tx)
                        .await?;
                    tokio::task::yield_now().await;
                    sqlx::query("UPDATE counter SET n = $1")
                        .bind(n + 1)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                    Ok::<_, AppError>(())
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let n: i64 = sqlx::query_scalar("SELECT n FROM counter")
            .fetch_one(db.reader())
            .await
            .unwrap();
        assert_eq!(n, 32, "no increment was lost");
    }

    #[tokio::test]
    async fn an_empty_pool_answers_unavailable_instead_of_hanging() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.db", dir.path().display());
        let limits = PoolLimits {
            writers: 1,
            readers: 1,
            read_timeout: Duration::from_millis(100),
            write_timeout: Duration::from_millis(100),
        };
        let db = Database::open(&url, limits).await.unwrap();
        let _held = db.read().await.unwrap();
        assert_eq!(db.read().await.unwrap_err(), AppError::Unavailable);
        let _tx = db.write(1).await.unwrap();
        assert_eq!(db.write(1).await.unwrap_err(), AppError::Unavailable);
    }
}
