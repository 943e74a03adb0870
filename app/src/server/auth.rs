//! Passwords, session tokens, the signed-in session, and the login rate limiter.

use crate::domain::permissions::PermissionSet;
use crate::error::AppError;
use crate::server::db::{Conn, Pool};
use crate::server::limit_repo;
use argon2::password_hash::{
    rand_core::OsRng, rand_core::RngCore, PasswordHash, PasswordHasher, PasswordVerifier,
    SaltString,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::Mutex;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "baton_session";

/// How long a session lives without signing in again: 14 days.
pub const SESSION_TTL_MS: i64 = 14 * 86_400_000;

/// How long an invite link stays valid: 7 days.
pub const INVITE_TTL_MS: i64 = 7 * 86_400_000;

fn argon() -> argon2::Argon2<'static> {
    // OWASP's argon2id parameters: m = 19 MiB, t = 2, p = 1.
    let params = argon2::Params::new(19 * 1024, 2, 1, None).expect("valid argon2 parameters");
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
}

/// An argon2id PHC string for `password`, with a fresh random salt.
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    argon()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing cannot fail with valid parameters")
        .to_string()
}

/// Whether `password` matches `hash`. With no hash it still does the work of one check,
/// so an unknown email takes as long to refuse as a wrong password.
pub fn verify_password(hash: Option<&str>, password: &str) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("not a real password"));
    let (hash, real) = match hash {
        Some(h) => (h, true),
        None => (dummy.as_str(), false),
    };
    let Ok(parsed) = PasswordHash::new(hash) else {
        return false;
    };
    argon()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok()
        && real
}

/// A new random token (256 bits, hex).
pub fn new_token() -> String {
    let mut bytes = [0_u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The stored form of a token: its SHA-256, hex.
pub fn hash_token(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The `Set-Cookie` value that stores `token` in the browser.
pub fn session_cookie(token: &str, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        SESSION_TTL_MS / 1000,
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie(secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie_value<'a>(cookie_header: &'a str, name: &str) -> Option<&'a str> {
    cookie_header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// The signed-in user of a request, loaded from the session cookie by the server's
/// session layer and read by server functions through [`super::context::caller`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Hash of the session token (the `sessions` row).
    pub token_hash: String,
    /// The user.
    pub user_id: i64,
    /// The user's workspace: every query of the request is scoped to it.
    pub workspace_id: i64,
    /// The user's display name.
    pub name: String,
    /// The user's email.
    pub email: String,
    /// The user's role's name.
    pub role_name: String,
    /// What the role allows.
    pub permissions: PermissionSet,
    /// The workspace's time zone and week start, read with the session on every request,
    /// so a change of them holds for everyone's next request.
    pub calendar: super::calendar::WorkspaceCalendar,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    user_id: i64,
    workspace_id: i64,
    name: String,
    email: String,
    role_id: i64,
    role_name: String,
    time_zone: String,
    week_start: i64,
}

/// The permissions granted to role `role_id` of the workspace.
pub async fn role_permissions(
    pool: &Pool,
    workspace_id: i64,
    role_id: i64,
) -> Result<PermissionSet, sqlx::Error> {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT permission FROM role_permissions WHERE role_id = $1 AND workspace_id = $2",
    )
    .bind(role_id)
    .bind(workspace_id)
    .fetch_all(pool)
    .await?;
    Ok(PermissionSet::from_names(names.iter().map(String::as_str)))
}

/// The live session for `token` at `now_ms`: unexpired, and its user active.
pub async fn load_session(
    pool: &Pool,
    token: &str,
    now_ms: i64,
) -> Result<Option<Session>, sqlx::Error> {
    session_by_hash(pool, hash_token(token), now_ms).await
}

/// The live session whose token hashes to `token_hash`, as [`load_session`] answers it:
/// `None` once it was signed out, expired, or its user deactivated.
pub async fn session_by_hash(
    pool: &Pool,
    token_hash: String,
    now_ms: i64,
) -> Result<Option<Session>, sqlx::Error> {
    let row: Option<SessionRow> = sqlx::query_as(
        "SELECT u.id AS user_id, u.workspace_id, u.name, u.email, r.id AS role_id, r.name AS role_name,
                w.time_zone, w.week_start
         FROM sessions s
         JOIN users u ON u.id = s.user_id AND u.workspace_id = s.workspace_id
         JOIN roles r ON r.id = u.role_id AND r.workspace_id = u.workspace_id
         JOIN workspaces w ON w.id = u.workspace_id
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = 1",
    )
    .bind(&token_hash)
    .bind(now_ms)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    Ok(Some(Session {
        token_hash,
        permissions: role_permissions(pool, row.workspace_id, row.role_id).await?,
        user_id: row.user_id,
        workspace_id: row.workspace_id,
        name: row.name,
        email: row.email,
        role_name: row.role_name,
        calendar: super::calendar::WorkspaceCalendar::stored(&row.time_zone, row.week_start),
    }))
}

/// Starts a session for a user; returns the token for the cookie.
pub async fn create_session(
    conn: &mut Conn,
    user_id: i64,
    workspace_id: i64,
    now_ms: i64,
) -> Result<String, sqlx::Error> {
    let token = new_token();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, workspace_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash_token(&token))
    .bind(user_id)
    .bind(workspace_id)
    .bind(now_ms)
    .bind(now_ms + SESSION_TTL_MS)
    .execute(conn)
    .await?;
    Ok(token)
}

/// Ends the session with this token hash.
pub async fn delete_session(conn: &mut Conn, token_hash: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(conn)
        .await?;
    Ok(())
}

/// A password job for the workers: hash a new password, or check one against a hash.
enum PasswordJob {
    Hash {
        password: String,
        done: tokio::sync::oneshot::Sender<String>,
    },
    Verify {
        hash: Option<String>,
        password: String,
        done: tokio::sync::oneshot::Sender<bool>,
    },
}

/// A fixed number of threads that run argon2 (19 MiB and tens of milliseconds per
/// password, by design), fed through a bounded queue. However many sign-ins arrive at
/// once, at most `threads` hashes run and at most `threads` × 19 MiB is in use; when the
/// queue is full the request is refused at once with 503 instead of piling up.
#[derive(Debug)]
pub struct PasswordWorkers {
    queue: SyncSender<PasswordJob>,
    /// Worker threads.
    pub threads: usize,
    /// Jobs that may wait for a worker.
    pub queue_len: usize,
}

impl std::fmt::Debug for PasswordJob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordJob")
    }
}

impl PasswordWorkers {
    /// One worker per core.
    pub fn default_threads() -> usize {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    }

    /// `threads` workers with a queue of 64 per worker (at ~50 ms a hash, a full queue
    /// clears in under two seconds on two cores).
    pub fn new(threads: usize) -> Self {
        Self::with_queue(threads, 64 * threads.max(1))
    }

    /// `threads` workers and a queue of `queue_len` waiting jobs.
    pub fn with_queue(threads: usize, queue_len: usize) -> Self {
        let threads = threads.max(1);
        let (queue, jobs) = sync_channel::<PasswordJob>(queue_len);
        let jobs = std::sync::Arc::new(Mutex::new(jobs));
        for i in 0..threads {
            let jobs = jobs.clone();
            std::thread::Builder::new()
                .name(format!("baton-passwords-{i}"))
                .spawn(move || loop {
                    let job = {
                        let receiver = jobs.lock().unwrap_or_else(|e| e.into_inner());
                        receiver.recv()
                    };
                    match job {
                        Ok(PasswordJob::Hash { password, done }) => {
                            let _ = done.send(hash_password(&password));
                        }
                        Ok(PasswordJob::Verify {
                            hash,
                            password,
                            done,
                        }) => {
                            let _ = done.send(verify_password(hash.as_deref(), &password));
                        }
                        Err(_) => return,
                    }
                })
                .expect("spawning a password worker");
        }
        Self {
            queue,
            threads,
            queue_len,
        }
    }

    fn submit(&self, job: PasswordJob) -> Result<(), AppError> {
        match self.queue.try_send(job) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(_)) => {
                tracing::warn!("password queue full: a sign-in was refused with 503");
                Err(AppError::Unavailable)
            }
            Err(TrySendError::Disconnected(_)) => Err(AppError::Internal),
        }
    }

    /// An argon2id hash of `password`, when a worker is free.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let (done, answer) = tokio::sync::oneshot::channel();
        self.submit(PasswordJob::Hash { password, done })?;
        answer.await.map_err(|_| AppError::Internal)
    }

    /// Whether `password` matches `hash` (see [`verify_password`]), when a worker is free.
    pub async fn verify(&self, hash: Option<String>, password: String) -> Result<bool, AppError> {
        let (done, answer) = tokio::sync::oneshot::channel();
        self.submit(PasswordJob::Verify {
            hash,
            password,
            done,
        })?;
        answer.await.map_err(|_| AppError::Internal)
    }
}

/// Counts failed sign-ins in a sliding window and refuses further attempts once a key has
/// too many. Kept in this process's memory (one server, SQLite: [`LoginLimiter::default`])
/// or in the database's `login_attempts` table, where every server on it sees the same
/// counts (PostgreSQL: [`LoginLimiter::shared`]); the rules are the same.
///
/// Two keys per attempt ([`LoginLimiter::keys`]), so neither can be turned against
/// someone else:
/// - the **account at this address** (`pair:`): 5 failures lock out only this address's
///   attempts at this account — someone who knows a colleague's email cannot lock the
///   colleague out from their own desk;
/// - the **account** (`account:`): 50 failures from anywhere — guessing spread over
///   many addresses still stops.
///
/// The address alone is only throttled (`super::limits::Throttles`), never locked out:
/// an office shares one. A success forgets the pair's failures, never the account's.
///
/// Attempts still being checked count against the limit too: a key admits a new attempt
/// only while its failures plus its attempts in flight are under the limit, decided in one
/// step under one lock — so a burst of simultaneous wrong passwords cannot race past it.
/// In memory the lock is a mutex; shared, it is a transaction holding each key's advisory
/// lock (taken in a fixed order), so the burst may arrive through every server at once.
/// A shared attempt in flight stops counting after [`IN_FLIGHT_MS`] (a server that died
/// while checking a password leaves its rows behind).
#[derive(Debug)]
pub struct LoginLimiter {
    keys: Mutex<HashMap<String, KeyState>>,
    /// The database keeping the counts for every server; `None`: this process's memory.
    shared: Option<Pool>,
    /// Failures allowed per account at one address within the window.
    pub max_failures: usize,
    /// Failures allowed per account from all addresses within the window.
    pub max_failures_per_account: usize,
    /// The window, in milliseconds.
    pub window_ms: i64,
    /// When the map (or the shared table) may next be swept for expired failures.
    next_trim_ms: std::sync::atomic::AtomicI64,
}

/// How long a shared attempt in flight counts against its keys: far longer than checking
/// a password takes (the password queue clears in seconds).
pub const IN_FLIGHT_MS: i64 = 60_000;

#[derive(Debug, Default)]
struct KeyState {
    failures: Vec<i64>,
    in_flight: usize,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self {
            keys: Mutex::new(HashMap::new()),
            shared: None,
            max_failures: 5,
            max_failures_per_account: 50,
            window_ms: 15 * 60_000,
            next_trim_ms: std::sync::atomic::AtomicI64::new(0),
        }
    }
}

/// The answer to an attempt refused for `secs` seconds.
fn rate_limited(retry_after_secs: i64) -> AppError {
    AppError::RateLimited { retry_after_secs }
}

/// A sign-in attempt admitted by [`LoginLimiter::begin_attempt`]: it counts against its
/// keys until it is settled; dropped unsettled (the request was cancelled, or the server
/// was too busy to check the password) it counts as nothing.
#[derive(Debug)]
pub struct Attempt {
    limiter: std::sync::Arc<LoginLimiter>,
    keys: Vec<String>,
    now_ms: i64,
    settled: bool,
    /// Shared: its `login_attempts` rows, one per key in the order of `keys`.
    rows: Vec<i64>,
}

impl Attempt {
    /// The password was right: the account-at-this-address failures are forgotten (the
    /// account's own count is not: a success elsewhere must not reset a guesser).
    pub async fn succeeded(mut self) -> Result<(), AppError> {
        self.settle_with(true).await
    }

    /// The password was wrong: a failure is recorded against every key.
    pub async fn failed(mut self) -> Result<(), AppError> {
        self.settle_with(false).await
    }

    async fn settle_with(&mut self, succeeded: bool) -> Result<(), AppError> {
        let Some(pool) = self.limiter.shared.clone() else {
            self.settle(Some(succeeded));
            return Ok(());
        };
        // One transaction: every key settles, or none does (then the rows are still in
        // flight and the drop deletes them).
        let mut tx = pool.begin().await?;
        for (key, &row) in self.keys.iter().zip(&self.rows) {
            if succeeded {
                limit_repo::delete_attempt(&mut tx, row).await?;
                if key.starts_with("pair:") {
                    limit_repo::clear_failures(&mut tx, key).await?;
                }
            } else {
                limit_repo::mark_failed(&mut tx, row).await?;
            }
        }
        tx.commit().await?;
        self.settled = true;
        Ok(())
    }

    fn settle(&mut self, outcome: Option<bool>) {
        if self.settled {
            return;
        }
        self.settled = true;
        let mut map = self.limiter.lock();
        for key in &self.keys {
            let state = map.entry(key.clone()).or_default();
            state.in_flight = state.in_flight.saturating_sub(1);
            match outcome {
                Some(true) if key.starts_with("pair:") => state.failures.clear(),
                Some(true) => {}
                Some(false) => state.failures.push(self.now_ms),
                None => {}
            }
            if state.failures.is_empty() && state.in_flight == 0 {
                map.remove(key);
            }
        }
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        let Some(pool) = self.limiter.shared.clone() else {
            self.settle(None);
            return;
        };
        if self.settled {
            return;
        }
        // Shared and unsettled: its rows still in flight are deleted in the background
        // (a drop cannot wait). Without a runtime they stop counting after IN_FLIGHT_MS.
        let rows = std::mem::take(&mut self.rows);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                for row in rows {
                    if let Err(err) = limit_repo::delete_in_flight(&pool, row).await {
                        tracing::warn!(error = %err, "could not forget a sign-in attempt");
                    }
                }
            });
        }
    }
}

impl LoginLimiter {
    /// The default limits, with the counts kept in the database behind `pool` (the
    /// `login_attempts` table, PostgreSQL), shared by every server on it.
    pub fn shared(pool: Pool) -> Self {
        Self {
            shared: Some(pool),
            ..Self::default()
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, KeyState>> {
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn limit(&self, key: &str) -> usize {
        if key.starts_with("account:") {
            self.max_failures_per_account
        } else {
            self.max_failures
        }
    }

    /// The keys a sign-in of `email` from `address` counts against.
    pub fn keys(email: &str, address: &str) -> Vec<String> {
        vec![
            format!("account:{email}"),
            format!("pair:{email}|{address}"),
        ]
    }

    /// The seconds a key with `failures` (the oldest at `oldest`) and `in_flight`
    /// attempts must wait at `now_ms`, or `None` when it admits another attempt: until
    /// the oldest failure leaves the window when it is locked out, one second when it only
    /// has too many attempts in flight.
    fn wait_secs(
        &self,
        key: &str,
        failures: usize,
        oldest: Option<i64>,
        in_flight: usize,
        now_ms: i64,
    ) -> Option<i64> {
        let limit = self.limit(key);
        if failures >= limit {
            let oldest = oldest.unwrap_or(now_ms);
            Some(((oldest + self.window_ms - now_ms) / 1000).max(1))
        } else if failures + in_flight >= limit {
            Some(1)
        } else {
            None
        }
    }

    /// Admits a sign-in attempt for all of `keys`, or answers `RateLimited` with the
    /// seconds to wait: until the oldest failure leaves the window when a key is locked
    /// out, one second when it only has too many attempts in flight. Shared counts that
    /// cannot be read answer the database's error (503 when it is busy): never admitted
    /// unchecked.
    pub async fn begin_attempt(
        self: &std::sync::Arc<Self>,
        keys: Vec<String>,
        now_ms: i64,
    ) -> Result<Attempt, AppError> {
        match &self.shared {
            None => self.begin_in_memory(keys, now_ms).map_err(rate_limited),
            Some(pool) => self.begin_shared(pool, keys, now_ms).await,
        }
    }

    fn begin_in_memory(
        self: &std::sync::Arc<Self>,
        keys: Vec<String>,
        now_ms: i64,
    ) -> Result<Attempt, i64> {
        let mut map = self.lock();
        let mut wait: Option<i64> = None;
        for key in &keys {
            if let Some(state) = map.get_mut(key) {
                state.failures.retain(|at| now_ms - at < self.window_ms);
                let oldest = state.failures.iter().copied().min();
                let secs =
                    self.wait_secs(key, state.failures.len(), oldest, state.in_flight, now_ms);
                if let Some(secs) = secs {
                    wait = Some(wait.map_or(secs, |w| w.max(secs)));
                }
            }
        }
        if let Some(secs) = wait {
            return Err(secs);
        }
        let trim_due = now_ms >= self.next_trim_ms.load(std::sync::atomic::Ordering::Relaxed);
        if map.len() > 100_000 && trim_due {
            // At most one sweep every ten seconds.
            self.next_trim_ms
                .store(now_ms + 10_000, std::sync::atomic::Ordering::Relaxed);
            // Bound memory: forget failures that left the window, and keys with nothing
            // left. Failures still inside the window are never forgotten (a flood of new
            // keys must not reset anyone's count); the map is bounded by the rate new
            // keys can be made (addresses are throttled) times the window.
            let window_ms = self.window_ms;
            map.retain(|_, s| {
                s.failures.retain(|at| now_ms - at < window_ms);
                s.in_flight > 0 || !s.failures.is_empty()
            });
        }
        for key in &keys {
            map.entry(key.clone()).or_default().in_flight += 1;
        }
        Ok(Attempt {
            limiter: self.clone(),
            keys,
            now_ms,
            settled: false,
            rows: Vec::new(),
        })
    }

    /// [`LoginLimiter::begin_attempt`] on the shared counts: one transaction takes every
    /// key's advisory lock (in ascending order of lock number, so two attempts never wait
    /// for each other in a cycle), counts, and records the attempt in flight against every
    /// key before it commits and the locks are released.
    async fn begin_shared(
        self: &std::sync::Arc<Self>,
        pool: &Pool,
        keys: Vec<String>,
        now_ms: i64,
    ) -> Result<Attempt, AppError> {
        self.sweep_shared(pool, now_ms).await;
        let mut locks: Vec<i64> = keys.iter().map(|key| login_lock(key)).collect();
        locks.sort_unstable();
        locks.dedup();
        let mut tx = pool.begin().await?;
        limit_repo::bound_lock_wait(&mut tx).await?;
        for lock in locks {
            limit_repo::lock_login_key(&mut tx, lock).await?;
        }
        let mut wait: Option<i64> = None;
        for key in &keys {
            let count = limit_repo::count_attempts(
                &mut tx,
                key,
                now_ms - self.window_ms,
                now_ms - IN_FLIGHT_MS,
            )
            .await?;
            let secs = self.wait_secs(
                key,
                usize::try_from(count.failures).unwrap_or(usize::MAX),
                count.oldest_failure,
                usize::try_from(count.in_flight).unwrap_or(usize::MAX),
                now_ms,
            );
            if let Some(secs) = secs {
                wait = Some(wait.map_or(secs, |w| w.max(secs)));
            }
        }
        if let Some(secs) = wait {
            tx.rollback().await?;
            return Err(rate_limited(secs));
        }
        let mut rows = Vec::with_capacity(keys.len());
        for key in &keys {
            rows.push(limit_repo::insert_in_flight(&mut tx, key, now_ms).await?);
        }
        tx.commit().await?;
        Ok(Attempt {
            limiter: self.clone(),
            keys,
            now_ms,
            settled: false,
            rows,
        })
    }

    /// Deletes the shared attempts that no longer count (begun a window ago or more), at
    /// most once a minute per server. A failure is only logged: the rows wait for the
    /// next sweep and, out of the window, count for nothing meanwhile.
    async fn sweep_shared(&self, pool: &Pool, now_ms: i64) {
        use std::sync::atomic::Ordering;
        let due = self.next_trim_ms.load(Ordering::Relaxed);
        if now_ms < due
            || self
                .next_trim_ms
                .compare_exchange(due, now_ms + 60_000, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let before = now_ms - self.window_ms.max(IN_FLIGHT_MS);
        if let Err(err) = limit_repo::sweep_attempts(pool, before).await {
            tracing::warn!(error = %err, "could not delete expired sign-in attempts");
        }
    }
}

/// The advisory-lock number of sign-in key `key`: 32 bits of its SHA-256.
fn login_lock(key: &str) -> i64 {
    let digest = Sha256::digest(key.as_bytes());
    i64::from(i32::from_be_bytes([
        digest[0], digest[1], digest[2], digest[3],
    ]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse");
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify_password(Some(&hash), "correct horse"));
        assert!(!verify_password(Some(&hash), "wrong horse"));
        assert!(!verify_password(None, "not a real password"));
        assert!(!verify_password(Some("garbage"), "x"));
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let a = new_token();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_token());
        assert_eq!(hash_token(&a).len(), 64);
        assert_ne!(hash_token(&a), a);
    }

    #[test]
    fn cookies_are_http_only_and_same_site() {
        let c = session_cookie("abc", true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Lax") && c.ends_with("; Secure"));
        assert!(!session_cookie("abc", false).contains("Secure"));
        assert_eq!(
            cookie_value("a=1; baton_session=xyz; b=2", SESSION_COOKIE),
            Some("xyz")
        );
        assert_eq!(cookie_value("a=1", SESSION_COOKIE), None);
    }

    /// The seconds a refused attempt is asked to wait.
    fn wait(answer: Result<Attempt, AppError>) -> i64 {
        match answer {
            Err(AppError::RateLimited { retry_after_secs }) => retry_after_secs,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    /// A limiter whose counts are shared through a new PostgreSQL database, when
    /// `BATON_TEST_POSTGRES` names a server; `None` (the test is skipped) without.
    async fn shared_limiter() -> Option<(tempfile::TempDir, std::sync::Arc<LoginLimiter>)> {
        let (dir, pool) = crate::server::limits::shared_test_pool().await?;
        Some((dir, std::sync::Arc::new(LoginLimiter::shared(pool))))
    }

    /// Waits until the attempts of `key` dropped unsettled are forgotten (shared: in the
    /// background).
    async fn forgotten(limiter: &LoginLimiter, key: &str, now_ms: i64) {
        let Some(pool) = &limiter.shared else {
            return;
        };
        let mut conn = pool.acquire().await.unwrap();
        for _ in 0..500 {
            let count = limit_repo::count_attempts(&mut conn, key, 0, now_ms - IN_FLIGHT_MS)
                .await
                .unwrap();
            if count.in_flight == 0 {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the dropped attempt of {key} is still in flight");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_burst_of_attempts_cannot_race_past_the_limit() {
        a_burst_cannot_race_past_the_limit(std::sync::Arc::new(LoginLimiter::default())).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_burst_of_attempts_cannot_race_past_the_shared_limit() {
        if let Some((_dir, limiter)) = shared_limiter().await {
            a_burst_cannot_race_past_the_limit(limiter).await;
        }
    }

    async fn a_burst_cannot_race_past_the_limit(limiter: std::sync::Arc<LoginLimiter>) {
        let keys = LoginLimiter::keys("a@b.test", "1.2.3.4");
        // 64 attempts at once: only as many as the pair may still fail are admitted.
        let tasks: Vec<_> = (0..64)
            .map(|_| {
                let limiter = limiter.clone();
                let keys = keys.clone();
                tokio::spawn(async move { limiter.begin_attempt(keys, 1_000).await.ok() })
            })
            .collect();
        let mut admitted: Vec<Attempt> = Vec::new();
        for task in tasks {
            admitted.extend(task.await.unwrap());
        }
        assert_eq!(admitted.len(), limiter.max_failures);
        assert_eq!(wait(limiter.begin_attempt(keys.clone(), 1_000).await), 1);
        for attempt in admitted {
            attempt.failed().await.unwrap();
        }
        // Locked out for the window now, not just busy.
        assert!(wait(limiter.begin_attempt(keys.clone(), 2_000).await) > 800);
        // The same account from another address may still try: the guesser cannot lock
        // its owner out.
        let owner = LoginLimiter::keys("a@b.test", "10.9.8.7");
        let attempt = limiter.begin_attempt(owner, 2_000).await.unwrap();
        attempt.succeeded().await.unwrap();
        // Another account from the guesser's address may still try.
        let other = LoginLimiter::keys("c@d.test", "1.2.3.4");
        let attempt = limiter.begin_attempt(other.clone(), 2_000).await.unwrap();
        attempt.succeeded().await.unwrap();
        // An attempt dropped unsettled (never checked) counts as nothing.
        drop(limiter.begin_attempt(other.clone(), 2_000).await.unwrap());
        forgotten(&limiter, &other[1], 2_000).await;
        for _ in 0..4 {
            let attempt = limiter.begin_attempt(other.clone(), 2_000).await.unwrap();
            attempt.failed().await.unwrap();
        }
        assert!(limiter.begin_attempt(other.clone(), 2_000).await.is_ok());
    }

    #[tokio::test]
    async fn guessing_one_account_from_many_addresses_stops_and_a_success_does_not_reset_it() {
        guessing_from_many_addresses_stops(std::sync::Arc::new(LoginLimiter::default())).await;
    }

    #[tokio::test]
    async fn guessing_one_account_from_many_addresses_stops_on_the_shared_limit() {
        if let Some((_dir, limiter)) = shared_limiter().await {
            guessing_from_many_addresses_stops(limiter).await;
        }
    }

    async fn guessing_from_many_addresses_stops(limiter: std::sync::Arc<LoginLimiter>) {
        for i in 0..limiter.max_failures_per_account {
            let keys =
                LoginLimiter::keys("victim@b.test", &format!("10.0.{}.{}", i / 200, i % 200));
            let attempt = limiter.begin_attempt(keys, 1_000).await.unwrap();
            attempt.failed().await.unwrap();
        }
        // The owner signing in does not clear the account's count...
        let owner = LoginLimiter::keys("victim@b.test", "192.0.2.1");
        assert!(limiter.begin_attempt(owner, 1_000).await.is_err());
        // ...and it expires with the window.
        let owner = LoginLimiter::keys("victim@b.test", "192.0.2.1");
        assert!(limiter
            .begin_attempt(owner, 1_000 + limiter.window_ms)
            .await
            .is_ok());
    }

    #[tokio::test]
    async fn a_flood_of_new_keys_does_not_wipe_anyones_failures() {
        let limiter = std::sync::Arc::new(LoginLimiter::default());
        for i in 0..limiter.max_failures_per_account {
            let keys =
                LoginLimiter::keys("victim@b.test", &format!("10.1.{}.{}", i / 200, i % 200));
            let attempt = limiter.begin_attempt(keys, 1_000).await.unwrap();
            attempt.failed().await.unwrap();
        }
        // 60,000 made-up accounts failing once each: 120,000 keys, past the trim.
        for i in 0..60_000 {
            let keys = LoginLimiter::keys(&format!("made-up-{i}@b.test"), "192.0.2.9");
            let attempt = limiter.begin_attempt(keys, 2_000).await.unwrap();
            attempt.failed().await.unwrap();
        }
        let owner = LoginLimiter::keys("victim@b.test", "198.51.100.1");
        assert!(
            limiter.begin_attempt(owner, 3_000).await.is_err(),
            "still counted"
        );
        // Once the window has passed, the trim frees them.
        let later = 2_000 + limiter.window_ms + 1;
        let keys = LoginLimiter::keys("someone@b.test", "192.0.2.10");
        let attempt = limiter.begin_attempt(keys, later).await.unwrap();
        attempt.succeeded().await.unwrap();
        assert!(limiter.lock().len() < 10, "{}", limiter.lock().len());
    }

    #[tokio::test]
    async fn an_office_signing_in_at_once_is_not_locked_out() {
        an_office_is_not_locked_out(std::sync::Arc::new(LoginLimiter::default())).await;
    }

    #[tokio::test]
    async fn an_office_signing_in_at_once_is_not_locked_out_on_the_shared_limit() {
        if let Some((_dir, limiter)) = shared_limiter().await {
            an_office_is_not_locked_out(limiter).await;
        }
    }

    async fn an_office_is_not_locked_out(limiter: std::sync::Arc<LoginLimiter>) {
        let mut attempts: Vec<Attempt> = Vec::new();
        for i in 0..64 {
            let keys = LoginLimiter::keys(&format!("{i}@office.test"), "10.0.0.1");
            attempts.push(limiter.begin_attempt(keys, 1_000).await.unwrap());
        }
        for a in attempts {
            a.failed().await.unwrap();
        }
        // Everyone failed once from one address: nobody is locked out.
        for i in 0..64 {
            assert!(limiter
                .begin_attempt(
                    LoginLimiter::keys(&format!("{i}@office.test"), "10.0.0.1"),
                    2_000
                )
                .await
                .is_ok());
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn servers_sharing_a_database_count_every_attempt_together() {
        let Some((_dir, one)) = shared_limiter().await else {
            return;
        };
        let pool = one.shared.clone().unwrap();
        let two = std::sync::Arc::new(LoginLimiter::shared(pool.clone()));
        let keys = LoginLimiter::keys("a@b.test", "1.2.3.4");
        // Forty attempts at once, half through each server: five are admitted in all.
        let tasks: Vec<_> = (0..40)
            .map(|i| {
                let limiter = if i % 2 == 0 { one.clone() } else { two.clone() };
                let keys = keys.clone();
                tokio::spawn(async move { limiter.begin_attempt(keys, 1_000).await.ok() })
            })
            .collect();
        let mut admitted: Vec<Attempt> = Vec::new();
        for task in tasks {
            admitted.extend(task.await.unwrap());
        }
        assert_eq!(admitted.len(), 5);
        // Three fail on one server, two on the other: locked out on both, for the window
        // from the oldest failure.
        for attempt in admitted {
            attempt.failed().await.unwrap();
        }
        assert_eq!(wait(one.begin_attempt(keys.clone(), 61_000).await), 840);
        assert_eq!(wait(two.begin_attempt(keys.clone(), 61_000).await), 840);
        // A success through one server forgets the pair's failures on both; the
        // account's count stays.
        let desk = LoginLimiter::keys("a@b.test", "5.6.7.8");
        for _ in 0..4 {
            let attempt = one.begin_attempt(desk.clone(), 62_000).await.unwrap();
            attempt.failed().await.unwrap();
        }
        let attempt = two.begin_attempt(desk.clone(), 62_000).await.unwrap();
        attempt.succeeded().await.unwrap();
        for _ in 0..5 {
            let attempt = one.begin_attempt(desk.clone(), 63_000).await.unwrap();
            attempt.failed().await.unwrap();
        }
        assert!(two.begin_attempt(desk.clone(), 63_000).await.is_err());
        let mut conn = pool.acquire().await.unwrap();
        let account = limit_repo::count_attempts(&mut conn, &keys[0], 0, 0)
            .await
            .unwrap();
        assert_eq!((account.failures, account.in_flight), (14, 0));
        drop(conn);
        // Attempts on a server that died mid-check stop counting after a minute.
        let other = LoginLimiter::keys("x@y.test", "1.2.3.4");
        for _ in 0..5 {
            std::mem::forget(one.begin_attempt(other.clone(), 100_000).await.unwrap());
        }
        assert_eq!(wait(two.begin_attempt(other.clone(), 100_000).await), 1);
        let attempt = two
            .begin_attempt(other.clone(), 100_001 + IN_FLIGHT_MS)
            .await
            .unwrap();
        attempt.failed().await.unwrap();
    }

    #[tokio::test]
    async fn password_workers_run_a_fixed_few_and_refuse_past_the_queue() {
        let workers = PasswordWorkers::with_queue(1, 2);
        let hash = workers.hash("correct horse".into()).await.unwrap();
        assert!(workers
            .verify(Some(hash.clone()), "correct horse".into())
            .await
            .unwrap());
        assert!(!workers
            .verify(Some(hash.clone()), "wrong".into())
            .await
            .unwrap());
        // Ten checks at once with one worker and two places in the queue: some are
        // refused as busy at once, every one that was taken answers.
        let answers = futures_join_all(
            (0..10)
                .map(|_| workers.verify(Some(hash.clone()), "correct horse".into()))
                .collect(),
        )
        .await;
        let refused = answers
            .iter()
            .filter(|a| **a == Err(AppError::Unavailable))
            .count();
        let checked = answers.iter().filter(|a| **a == Ok(true)).count();
        assert!(refused >= 1, "{answers:?}");
        assert_eq!(refused + checked, 10, "{answers:?}");
    }

    async fn futures_join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
        let mut out = Vec::new();
        let pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
        // Submit all first (each future submits on its first poll), then await in turn.
        let mut started = Vec::new();
        for mut f in pinned {
            let waker = std::task::Waker::noop();
            let mut cx = std::task::Context::from_waker(waker);
            match f.as_mut().poll(&mut cx) {
                std::task::Poll::Ready(v) => out.push(Some(v)),
                std::task::Poll::Pending => {
                    out.push(None);
                    started.push((out.len() - 1, f));
                }
            }
        }
        for (i, f) in started {
            out[i] = Some(f.await);
        }
        out.into_iter().map(Option::unwrap).collect()
    }
}
