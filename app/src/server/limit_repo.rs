//! The rate limits every server shares on PostgreSQL, in the database: the `throttles`
//! (a GCRA theoretical arrival time per key, for [`super::limits::Throttles`]) and the
//! `login_attempts` (sign-in attempts in flight and failed, per key, for
//! [`super::auth::LoginLimiter`]). On SQLite one process keeps both in memory and never
//! calls these. The rows belong to no workspace: they are keyed by client address and
//! email, before anyone is signed in.

use crate::server::db::{Conn, Executor};

/// Counts one request against throttle `key` at `now_ms`: the key's theoretical arrival
/// time moves on by `every_ms` while it stays within `limit_ms` (burst × every) of now.
/// Answers the new arrival time, or `None` when the key is over its burst (nothing
/// changed). One statement: concurrent requests on every server serialize on the row.
pub async fn throttle_take<'e>(
    db: impl Executor<'e>,
    key: &str,
    now_ms: i64,
    every_ms: i64,
    limit_ms: i64,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO throttles (key, tat) VALUES ($1, $2 + $3)
         ON CONFLICT (key) DO UPDATE SET tat = GREATEST(throttles.tat, $2) + $3
         WHERE GREATEST(throttles.tat, $2) + $3 - $2 <= $4
         RETURNING tat",
    )
    .bind(key)
    .bind(now_ms)
    .bind(every_ms)
    .bind(limit_ms)
    .fetch_optional(db)
    .await
}

/// The theoretical arrival time of throttle `key`, if it has one.
pub async fn throttle_tat<'e>(
    db: impl Executor<'e>,
    key: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT tat FROM throttles WHERE key = $1")
        .bind(key)
        .fetch_optional(db)
        .await
}

/// Forgets the throttles that have fully recovered by `now_ms` (a row whose arrival time
/// has passed counts exactly as no row); answers how many.
pub async fn sweep_throttles<'e>(db: impl Executor<'e>, now_ms: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM throttles WHERE tat < $1")
        .bind(now_ms)
        .execute(db)
        .await?
        .rows_affected())
}

/// The advisory-lock namespace of sign-in keys (the first of PostgreSQL's two 32-bit lock
/// keys; the one-key form that `Database::write` takes per workspace is a separate space).
const LOGIN_LOCK_SPACE: i64 = 0x4c47_4e31; // "LGN1"

/// Bounds how long a sign-in waits for another server's attempt on the same key (each
/// holds it for a few statements): past it the statement fails as busy (503), so a flood
/// of attempts on one account cannot hold the writers' connections for long.
pub async fn bound_lock_wait(conn: &mut Conn) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT set_config('lock_timeout', '2s', true)")
        .execute(conn)
        .await
        .map(|_| ())
}

/// Waits for, and holds until the transaction ends, the lock of the sign-in key whose
/// lock number is `lock` (a 32-bit hash of the key). Taken in ascending order of `lock`.
pub async fn lock_login_key(conn: &mut Conn, lock: i64) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(CAST($1 AS INTEGER), CAST($2 AS INTEGER))")
        .bind(LOGIN_LOCK_SPACE)
        .bind(lock)
        .execute(conn)
        .await
        .map(|_| ())
}

/// What counts against one sign-in key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct KeyCount {
    /// Failures that began after the window's start.
    pub failures: i64,
    /// Attempts still being checked that began recently enough to be alive.
    pub in_flight: i64,
    /// When the oldest of those failures began.
    pub oldest_failure: Option<i64>,
}

/// The failures of `key` that began after `failed_after` and its attempts in flight that
/// began after `in_flight_after` (Unix ms).
pub async fn count_attempts(
    conn: &mut Conn,
    key: &str,
    failed_after: i64,
    in_flight_after: i64,
) -> Result<KeyCount, sqlx::Error> {
    sqlx::query_as(
        "SELECT COUNT(*) FILTER (WHERE state = 'failed' AND at > $2) AS failures,
                COUNT(*) FILTER (WHERE state = 'in_flight' AND at > $3) AS in_flight,
                MIN(at) FILTER (WHERE state = 'failed' AND at > $2) AS oldest_failure
         FROM login_attempts WHERE key = $1 AND at > LEAST($2, $3)",
    )
    .bind(key)
    .bind(failed_after)
    .bind(in_flight_after)
    .fetch_one(conn)
    .await
}

/// Records an attempt in flight against `key`, begun at `at_ms`; answers its row's id.
pub async fn insert_in_flight(conn: &mut Conn, key: &str, at_ms: i64) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO login_attempts (key, at, state) VALUES ($1, $2, 'in_flight') RETURNING id",
    )
    .bind(key)
    .bind(at_ms)
    .fetch_one(conn)
    .await
}

/// The attempt row `id` failed: it counts as a failure from when it began.
pub async fn mark_failed(conn: &mut Conn, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE login_attempts SET state = 'failed' WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Deletes the attempt row `id` (a success).
pub async fn delete_attempt(conn: &mut Conn, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_attempts WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Deletes the attempt row `id` if it is still in flight (an attempt dropped unsettled;
/// a failure already recorded stays).
pub async fn delete_in_flight<'e>(db: impl Executor<'e>, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_attempts WHERE id = $1 AND state = 'in_flight'")
        .bind(id)
        .execute(db)
        .await
        .map(|_| ())
}

/// Forgets every failure of `key` (a success of its account at its address).
pub async fn clear_failures(conn: &mut Conn, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_attempts WHERE key = $1 AND state = 'failed'")
        .bind(key)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Forgets every attempt that began at or before `before_ms` (out of the window, or in
/// flight far longer than any check takes); answers how many.
pub async fn sweep_attempts<'e>(db: impl Executor<'e>, before_ms: i64) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM login_attempts WHERE at <= $1")
        .bind(before_ms)
        .execute(db)
        .await?
        .rows_affected())
}
