//! Opening and migrating the database.
//!
//! SQLite runs in WAL mode with `synchronous = FULL`: a transaction is acknowledged only
//! after its WAL frames are fsynced, so an acknowledged write survives a crash of the
//! process and of the machine. Foreign keys are enforced and writers wait up to
//! five seconds for the lock instead of failing.

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;
use std::str::FromStr;
use std::time::Duration;

/// The embedded migrations (`app/migrations`).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens (creating if missing, with its directory) the SQLite database at `url`.
pub async fn connect(url: &str) -> Result<SqlitePool, sqlx::Error> {
    let options = SqliteConnectOptions::from_str(url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    if let Some(parent) = options.get_filename().parent() {
        if !parent.as_os_str().is_empty() {
            std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
        }
    }
    SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
}

/// Opens the database at `url` and applies every pending migration.
pub async fn connect_and_migrate(url: &str) -> Result<SqlitePool, sqlx::Error> {
    let pool = connect(url).await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}
