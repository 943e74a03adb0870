//! Passwords, session tokens, the signed-in session, and the login rate limiter.

use crate::domain::permissions::PermissionSet;
use crate::error::AppError;
use crate::server::db::{Conn, Pool};
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
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    user_id: i64,
    workspace_id: i64,
    name: String,
    email: String,
    role_id: i64,
    role_name: String,
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
        "SELECT u.id AS user_id, u.workspace_id, u.name, u.email, r.id AS role_id, r.name AS role_name
         FROM sessions s
         JOIN users u ON u.id = s.user_id AND u.workspace_id = s.workspace_id
         JOIN roles r ON r.id = u.role_id AND r.workspace_id = u.workspace_id
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
/// too many. In memory: one server's view.
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
#[derive(Debug)]
pub struct LoginLimiter {
    keys: Mutex<HashMap<String, KeyState>>,
    /// Failures allowed per account at one address within the window.
    pub max_failures: usize,
    /// Failures allowed per account from all addresses within the window.
    pub max_failures_per_account: usize,
    /// The window, in milliseconds.
    pub window_ms: i64,
    /// When the map may next be swept for expired failures (a sweep walks it whole).
    next_trim_ms: std::sync::atomic::AtomicI64,
}

#[derive(Debug, Default)]
struct KeyState {
    failures: Vec<i64>,
    in_flight: usize,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self {
            keys: Mutex::new(HashMap::new()),
            max_failures: 5,
            max_failures_per_account: 50,
            window_ms: 15 * 60_000,
            next_trim_ms: std::sync::atomic::AtomicI64::new(0),
        }
    }
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
}

impl Attempt {
    /// The password was right: the account-at-this-address failures are forgotten (the
    /// account's own count is not: a success elsewhere must not reset a guesser).
    pub fn succeeded(mut self) {
        self.settle(Some(true));
    }

    /// The password was wrong: a failure is recorded against every key.
    pub fn failed(mut self) {
        self.settle(Some(false));
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
        self.settle(None);
    }
}

impl LoginLimiter {
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

    /// Admits a sign-in attempt for all of `keys`, or answers the seconds to wait: until
    /// the oldest failure leaves the window when a key is locked out, one second when it
    /// only has too many attempts in flight.
    pub fn begin_attempt(
        self: &std::sync::Arc<Self>,
        keys: Vec<String>,
        now_ms: i64,
    ) -> Result<Attempt, i64> {
        let mut map = self.lock();
        let mut wait: Option<i64> = None;
        for key in &keys {
            let limit = self.limit(key);
            if let Some(state) = map.get_mut(key) {
                state.failures.retain(|at| now_ms - at < self.window_ms);
                let secs = if state.failures.len() >= limit {
                    let oldest = state.failures.iter().copied().min().unwrap_or(now_ms);
                    Some(((oldest + self.window_ms - now_ms) / 1000).max(1))
                } else if state.failures.len() + state.in_flight >= limit {
                    Some(1)
                } else {
                    None
                };
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
        })
    }
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

    #[test]
    fn a_burst_of_attempts_cannot_race_past_the_limit() {
        let limiter = std::sync::Arc::new(LoginLimiter::default());
        let keys = LoginLimiter::keys("a@b.test", "1.2.3.4");
        // 64 attempts at once: only as many as the pair may still fail are admitted.
        let admitted: Vec<Attempt> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..64)
                .map(|_| {
                    let limiter = limiter.clone();
                    let keys = keys.clone();
                    scope.spawn(move || limiter.begin_attempt(keys, 1_000).ok())
                })
                .collect();
            handles
                .into_iter()
                .filter_map(|h| h.join().unwrap())
                .collect()
        });
        assert_eq!(admitted.len(), limiter.max_failures);
        assert_eq!(limiter.begin_attempt(keys.clone(), 1_000).unwrap_err(), 1);
        for attempt in admitted {
            attempt.failed();
        }
        // Locked out for the window now, not just busy.
        assert!(limiter.begin_attempt(keys.clone(), 2_000).unwrap_err() > 800);
        // The same account from another address may still try: the guesser cannot lock
        // its owner out.
        let owner = LoginLimiter::keys("a@b.test", "10.9.8.7");
        limiter.begin_attempt(owner, 2_000).unwrap().succeeded();
        // Another account from the guesser's address may still try.
        let other = LoginLimiter::keys("c@d.test", "1.2.3.4");
        limiter
            .begin_attempt(other.clone(), 2_000)
            .unwrap()
            .succeeded();
        // An attempt dropped unsettled (never checked) counts as nothing.
        drop(limiter.begin_attempt(other.clone(), 2_000).unwrap());
        for _ in 0..4 {
            limiter
                .begin_attempt(other.clone(), 2_000)
                .unwrap()
                .failed();
        }
        assert!(limiter.begin_attempt(other.clone(), 2_000).is_ok());
    }

    #[test]
    fn guessing_one_account_from_many_addresses_stops_and_a_success_does_not_reset_it() {
        let limiter = std::sync::Arc::new(LoginLimiter::default());
        for i in 0..limiter.max_failures_per_account {
            let keys =
                LoginLimiter::keys("victim@b.test", &format!("10.0.{}.{}", i / 200, i % 200));
            limiter.begin_attempt(keys, 1_000).unwrap().failed();
        }
        // The owner signing in does not clear the account's count...
        let owner = LoginLimiter::keys("victim@b.test", "192.0.2.1");
        assert!(limiter.begin_attempt(owner, 1_000).is_err());
        // ...and it expires with the window.
        let owner = LoginLimiter::keys("victim@b.test", "192.0.2.1");
        assert!(limiter
            .begin_attempt(owner, 1_000 + limiter.window_ms)
            .is_ok());
    }

    #[test]
    fn a_flood_of_new_keys_does_not_wipe_anyones_failures() {
        let limiter = std::sync::Arc::new(LoginLimiter::default());
        for i in 0..limiter.max_failures_per_account {
            let keys =
                LoginLimiter::keys("victim@b.test", &format!("10.1.{}.{}", i / 200, i % 200));
            limiter.begin_attempt(keys, 1_000).unwrap().failed();
        }
        // 60,000 made-up accounts failing once each: 120,000 keys, past the trim.
        for i in 0..60_000 {
            let keys = LoginLimiter::keys(&format!("made-up-{i}@b.test"), "192.0.2.9");
            limiter.begin_attempt(keys, 2_000).unwrap().failed();
        }
        let owner = LoginLimiter::keys("victim@b.test", "198.51.100.1");
        assert!(
            limiter.begin_attempt(owner, 3_000).is_err(),
            "still counted"
        );
        // Once the window has passed, the trim frees them.
        let later = 2_000 + limiter.window_ms + 1;
        let keys = LoginLimiter::keys("someone@b.test", "192.0.2.10");
        limiter.begin_attempt(keys, later).unwrap().succeeded();
        assert!(limiter.lock().len() < 10, "{}", limiter.lock().len());
    }

    #[test]
    fn an_office_signing_in_at_once_is_not_locked_out() {
        let limiter = std::sync::Arc::new(LoginLimiter::default());
        let attempts: Vec<Attempt> = (0..64)
            .map(|i| {
                limiter
                    .begin_attempt(
                        LoginLimiter::keys(&format!("{i}@office.test"), "10.0.0.1"),
                        1_000,
                    )
                    .unwrap()
            })
            .collect();
        for a in attempts {
            a.failed();
        }
        // Everyone failed once from one address: nobody is locked out.
        for i in 0..64 {
            assert!(limiter
                .begin_attempt(
                    LoginLimiter::keys(&format!("{i}@office.test"), "10.0.0.1"),
                    2_000
                )
                .is_ok());
        }
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
