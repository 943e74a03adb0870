//! Opening the database, and the one way Baton writes to it.
//!
//! SQLite runs in WAL mode with `synchronous = FULL`: a transaction is acknowledged only
//! after its WAL frames are fsynced, so an acknowledged write survives a crash of the
//! process and of the machine. Foreign keys are enforced.
//!
//! **Writes** go through [`Database::write`]: one writer connection, handed out first come
//! first served, whose transactions begin `IMMEDIATE` (the write lock taken up front). A
//! write therefore never fails because another write is happening — it waits its turn —
//! and never fails on a lock upgrade halfway through (SQLite's `SQLITE_BUSY` /
//! `SQLITE_LOCKED_SHAREDCACHE` on a deferred transaction that read, then wrote).
//!
//! **Reads** go through a pool of read-only connections (`query_only`): in WAL mode
//! readers never wait for the writer, and a write sent through a reader by mistake fails
//! loudly in every test instead of racing for the lock in production.
//!
//! A request holds at most one connection at a time: a handler that holds a reader and
//! asks the pool for another can deadlock with others doing the same once the pool is
//! empty. When the pool stays empty past its acquire timeout the request answers 503
//! quickly instead of hanging.

use crate::error::AppError;
use sqlx::pool::PoolConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// The embedded migrations (`app/migrations`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// The database Baton runs on. Repositories name it only through these aliases, so the
/// second backend (docs/ARCHITECTURE.md, "Repositories and the second database") changes
/// this one place and the compiler lists every call site.
pub type Db = Sqlite;

/// A connection to [`Db`] (a pooled one, or a transaction, derefs to it).
pub type Conn = sqlx::SqliteConnection;

/// A pool of [`Conn`]s.
pub type Pool = SqlitePool;

/// What a statement that changes rows answers (rows affected).
pub type Done = sqlx::sqlite::SqliteQueryResult;

/// Anything one query can run on: a pool, a connection, a transaction.
pub trait Executor<'e>: sqlx::Executor<'e, Database = Db> {}

impl<'e, T: sqlx::Executor<'e, Database = Db>> Executor<'e> for T {}

/// A write transaction: the write lock is held from its first statement to commit.
pub type WriteTx = Transaction<'static, Sqlite>;

/// How many connections Baton opens and how long a request waits for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolLimits {
    /// Read-only connections. SQLite reads are CPU-bound and each connection has its own
    /// thread: a few per core keep both cores busy while one waits on the disk.
    pub readers: u32,
    /// How long a read waits for a free reader before the request answers 503.
    pub read_timeout: Duration,
    /// How long a write waits for its turn at the writer before answering 503. Writes
    /// take milliseconds each, so even 64 queued writers clear well within it.
    pub write_timeout: Duration,
}

impl Default for PoolLimits {
    fn default() -> Self {
        Self {
            readers: 8,
            read_timeout: Duration::from_secs(5),
            write_timeout: Duration::from_secs(10),
        }
    }
}

/// Baton's database: one writer, several readers, on the same SQLite file.
#[derive(Debug, Clone)]
pub struct Database {
    reader: SqlitePool,
    writer: SqlitePool,
}

/// How long SQLite itself waits for the file lock held by another process (a `baton
/// seed` run, a backup) before a statement fails with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

fn options(url: &str) -> Result<SqliteConnectOptions, sqlx::Error> {
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

impl Database {
    /// Opens (creating if missing, with its directory) the SQLite database at `url` and
    /// applies every pending migration.
    pub async fn open(url: &str, limits: PoolLimits) -> Result<Self, sqlx::Error> {
        let options = options(url)?;
        create_parent_dir(&options)?;
        migrate(&options).await?;
        // The writer stays open for the life of the server: it keeps the WAL index alive
        // for the readers and never pays a reconnect on the write path.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .acquire_timeout(limits.write_timeout)
            .connect_with(options.clone())
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(limits.readers.max(1))
            .acquire_timeout(limits.read_timeout)
            .connect_with(options.pragma("query_only", "ON"))
            .await?;
        Ok(Self { reader, writer })
    }

    /// The read-only pool, for queries that each borrow a connection and give it back.
    pub fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    /// The writer's pool (one connection), for tools that write outside a request (the
    /// seed). Server code writes through [`Database::write`].
    pub fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    /// One read-only connection for a request that reads several times.
    pub async fn read(&self) -> Result<PoolConnection<Sqlite>, AppError> {
        Ok(self.reader.acquire().await?)
    }

    /// A write transaction, after every write that asked before it.
    pub async fn write(&self) -> Result<WriteTx, AppError> {
        Ok(begin_write(&self.writer).await?)
    }

    /// `Ok` when a reader answers a trivial query (the health check).
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query_scalar::<_, i64>("SELECT 1")
            .fetch_one(&self.reader)
            .await
            .map(|_| ())
    }

    /// Closes every connection (the WAL is checkpointed when the last one closes).
    pub async fn close(&self) {
        self.reader.close().await;
        self.writer.close().await;
    }
}

/// Begins a write transaction on `pool` with the write lock taken first (`BEGIN
/// IMMEDIATE`), so it cannot fail later on a lock upgrade.
pub async fn begin_write(pool: &SqlitePool) -> Result<WriteTx, sqlx::Error> {
    pool.begin_with("BEGIN IMMEDIATE").await
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
pub async fn connect_and_migrate(url: &str) -> Result<SqlitePool, sqlx::Error> {
    let options = options(url)?;
    create_parent_dir(&options)?;
    migrate(&options).await?;
    SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
}

/// Applies every pending migration on a connection of its own with foreign keys off —
/// SQLite changes a constraint by rebuilding the table, which must neither cascade
/// deletes nor re-point the references of other tables — then, if any was applied, checks
/// every foreign key: a migration that broke one stops the start instead of serving
/// damaged data.
async fn migrate(options: &SqliteConnectOptions) -> Result<(), sqlx::Error> {
    use sqlx::Connection;
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

/// Whether a database error code says the database was busy or locked (SQLite codes 5
/// and 6 and their extended forms such as 517): the write lock held by another process
/// past the busy timeout. Within one server this cannot happen (one writer); across
/// processes the request is answered 503, to be retried.
pub fn is_busy_code(code: Option<&str>) -> bool {
    code.and_then(|c| c.parse::<i64>().ok())
        .is_some_and(|code| matches!(code & 0xff, 5 | 6))
}

#[cfg(test)]
mod tests {
    use super::*;

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
                    let mut tx = db.write().await?;
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
            readers: 1,
            read_timeout: Duration::from_millis(100),
            write_timeout: Duration::from_millis(100),
        };
        let db = Database::open(&url, limits).await.unwrap();
        let _held = db.read().await.unwrap();
        assert_eq!(db.read().await.unwrap_err(), AppError::Unavailable);
        let _tx = db.write().await.unwrap();
        assert_eq!(db.write().await.unwrap_err(), AppError::Unavailable);
    }
}
