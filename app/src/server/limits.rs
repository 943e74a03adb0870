//! Who a request comes from, and how fast one address may knock.
//!
//! **The client's address.** Behind a TLS proxy every request arrives from the proxy, so
//! limits keyed on the peer address would put a whole company in one bucket. The proxy
//! says who it forwarded in `X-Forwarded-For`, but anyone can send that header: it is
//! believed only from the proxies the operator lists in `BATON_TRUSTED_PROXIES`
//! (addresses or networks). The client is the right-most address of the chain that is
//! not a trusted proxy (each proxy appends the address it received from).
//!
//! **Throttles** ([`Throttles`]) are rate limits per client address (GCRA): a burst, then
//! a steady rate. They slow one address down and never lock it out for long, so one
//! person's mistakes cannot shut out an office that shares an address. One server
//! (SQLite) keeps them in memory with `governor`; several servers on one PostgreSQL
//! database keep them in its `throttles` table, one row per address and limit updated in
//! one statement, so an address counts the same whichever server it reaches.
//! Lockouts for wrong passwords are per account and per account-and-address
//! ([`super::auth::LoginLimiter`]).

use super::db::Pool;
use super::limit_repo;
use crate::error::AppError;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses a comma-separated list of addresses (`10.0.0.5`, `::1`) and networks
    /// (`10.0.0.0/8`); empty means none. The error names the first entry it cannot read.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for entry in text.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let net = entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("`{entry}` is not an address or network like 10.0.0.0/8"))?;
            nets.push(net);
        }
        Ok(Self(nets))
    }

    /// Whether `address` is one of the trusted proxies.
    pub fn trusts(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client behind `peer` (the address the connection came from), given the
    /// request's `X-Forwarded-For` header values in order.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        let mut client = canonical(peer);
        if !self.trusts(client) {
            return client;
        }
        let chain: Vec<&str> = forwarded_for
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        for hop in chain.iter().rev() {
            // Some proxies write `1.2.3.4:5678` or `[2001:db8::1]:5678`.
            let parsed = hop
                .parse::<IpAddr>()
                .or_else(|_| hop.parse::<std::net::SocketAddr>().map(|a| a.ip()));
            match parsed {
                Ok(address) => {
                    client = canonical(address);
                    if !self.trusts(client) {
                        return client;
                    }
                }
                // Garbage in the chain: stop at the last address a trusted proxy gave.
                Err(_) => return client,
            }
        }
        client
    }
}

/// The address a rate limit counts: IPv4 as it is, IPv6 by its /64 (one subscriber's
/// network hands out 2^64 addresses; counting each alone would give each its own burst).
pub fn rate_key(address: IpAddr) -> IpAddr {
    match canonical(address) {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

/// IPv4 addresses written as IPv6 (`::ffff:1.2.3.4`) as plain IPv4.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// Sign-in attempts one address may make at once before being slowed down.
pub const SIGN_IN_BURST: u32 = 100;
/// After the burst: one sign-in attempt per this long, per address.
pub const SIGN_IN_EVERY: Duration = Duration::from_secs(1);
/// Unknown share-link tokens one address may try before being slowed down.
pub const SHARE_BURST: u32 = 20;
/// After the burst: one unknown token per this long, per address.
pub const SHARE_EVERY: Duration = Duration::from_secs(30);

/// Rate limits per client address, with the same quotas wherever they are kept: in this
/// process's memory (`governor`; one server, SQLite) or in the database's `throttles`
/// table, shared by every server on it (PostgreSQL; [`Throttles::shared`]).
#[derive(Debug)]
pub struct Throttles {
    store: Store,
    calls: std::sync::atomic::AtomicU64,
}

#[derive(Debug)]
enum Store {
    /// One process's counts.
    Memory {
        sign_in: DefaultKeyedRateLimiter<IpAddr>,
        share: DefaultKeyedRateLimiter<IpAddr>,
    },
    /// Every server's counts, one row per key in `throttles`.
    Shared {
        pool: Pool,
        sign_in: Gcra,
        share: Gcra,
        /// When this server may next delete the rows that have recovered (Unix ms).
        next_sweep_ms: std::sync::atomic::AtomicI64,
    },
}

/// One quota as the shared store applies it (the same algorithm as `governor`'s): a key's
/// theoretical arrival time moves on by `every_ms` per request, and a request is let
/// through while that stays within `limit_ms` (burst × every) of now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Gcra {
    every_ms: i64,
    limit_ms: i64,
}

impl Gcra {
    fn new(burst: u32, every: Duration) -> Self {
        let every_ms = (every.as_millis() as i64).max(1);
        Self {
            every_ms,
            limit_ms: every_ms * i64::from(burst.max(1)),
        }
    }

    /// Whole seconds until a key refused at `now_ms` with arrival time `tat` may try again
    /// (when `tat + every - now` falls back to the limit), at least one.
    fn wait_secs(&self, tat: i64, now_ms: i64) -> i64 {
        let wait_ms = tat + self.every_ms - self.limit_ms - now_ms;
        ((wait_ms + 999) / 1000).max(1)
    }
}

/// How often one server deletes the shared throttles that have recovered.
const SWEEP_EVERY_MS: i64 = 60_000;

impl Default for Throttles {
    fn default() -> Self {
        Self::new(SIGN_IN_BURST, SIGN_IN_EVERY, SHARE_BURST, SHARE_EVERY)
    }
}

fn quota(burst: u32, every: Duration) -> Quota {
    Quota::with_period(every)
        .expect("a period above zero")
        .allow_burst(NonZeroU32::new(burst.max(1)).expect("at least one"))
}

/// Whole seconds until a refused key may try again, at least one.
fn wait_secs(not_until: governor::NotUntil<governor::clock::QuantaInstant>) -> i64 {
    use governor::clock::Clock;
    let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
    (wait.as_secs_f64().ceil() as i64).max(1)
}

fn refused(retry_after_secs: i64) -> AppError {
    AppError::RateLimited { retry_after_secs }
}

/// The two limits.
#[derive(Debug, Clone, Copy)]
enum Limit {
    SignIn,
    Share,
}

impl Throttles {
    /// Throttles with the given bursts and rates, kept in this process's memory.
    pub fn new(
        sign_in_burst: u32,
        sign_in_every: Duration,
        share_burst: u32,
        share_every: Duration,
    ) -> Self {
        Self {
            store: Store::Memory {
                sign_in: RateLimiter::keyed(quota(sign_in_burst, sign_in_every)),
                share: RateLimiter::keyed(quota(share_burst, share_every)),
            },
            calls: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The default throttles, kept in the database behind `pool` (the `throttles` table,
    /// PostgreSQL) so that every server on it counts each address together.
    pub fn shared(pool: Pool) -> Self {
        Self::shared_with(pool, SIGN_IN_BURST, SIGN_IN_EVERY, SHARE_BURST, SHARE_EVERY)
    }

    /// Throttles with the given bursts and rates, kept in the database behind `pool`.
    pub fn shared_with(
        pool: Pool,
        sign_in_burst: u32,
        sign_in_every: Duration,
        share_burst: u32,
        share_every: Duration,
    ) -> Self {
        Self {
            store: Store::Shared {
                pool,
                sign_in: Gcra::new(sign_in_burst, sign_in_every),
                share: Gcra::new(share_burst, share_every),
                next_sweep_ms: std::sync::atomic::AtomicI64::new(0),
            },
            calls: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Counts a sign-in attempt from `address`; `RateLimited` with the seconds to wait
    /// when it has used its burst.
    pub async fn sign_in(&self, address: IpAddr) -> Result<(), AppError> {
        self.check(Limit::SignIn, address).await
    }

    /// Counts an unknown share-link token tried from `address`; `RateLimited` with the
    /// seconds to wait when it has used its burst. Links that exist are never counted.
    pub async fn unknown_share_token(&self, address: IpAddr) -> Result<(), AppError> {
        self.check(Limit::Share, address).await
    }

    async fn check(&self, limit: Limit, address: IpAddr) -> Result<(), AppError> {
        match &self.store {
            Store::Memory { sign_in, share } => {
                self.trim(sign_in, share);
                let limiter = match limit {
                    Limit::SignIn => sign_in,
                    Limit::Share => share,
                };
                limiter
                    .check_key(&rate_key(address))
                    .map_err(|not_until| refused(wait_secs(not_until)))
            }
            Store::Shared {
                pool,
                sign_in,
                share,
                next_sweep_ms,
            } => {
                let (gcra, prefix) = match limit {
                    Limit::SignIn => (sign_in, "sign_in"),
                    Limit::Share => (share, "share"),
                };
                let key = format!("{prefix}:{}", rate_key(address));
                // The system's clock, as the servers share it (not a test's clock: the
                // in-memory store runs on the real clock too).
                let now_ms = super::clock::system_now_ms();
                sweep_shared(pool, next_sweep_ms, now_ms).await;
                let taken =
                    limit_repo::throttle_take(pool, &key, now_ms, gcra.every_ms, gcra.limit_ms)
                        .await?;
                if taken.is_some() {
                    return Ok(());
                }
                // Refused: the key's arrival time says how long until it may try again.
                let tat = limit_repo::throttle_tat(pool, &key)
                    .await?
                    .unwrap_or(now_ms);
                Err(refused(gcra.wait_secs(tat, now_ms)))
            }
        }
    }

    /// Forgets addresses whose limits have fully recovered, once the maps grow large
    /// (looked at once every 1,024 calls: the sweep walks the whole map).
    fn trim(
        &self,
        sign_in: &DefaultKeyedRateLimiter<IpAddr>,
        share: &DefaultKeyedRateLimiter<IpAddr>,
    ) {
        let n = self
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if !n.is_multiple_of(1024) {
            return;
        }
        if sign_in.len() > 10_000 {
            sign_in.retain_recent();
        }
        if share.len() > 10_000 {
            share.retain_recent();
        }
    }
}

/// Deletes the shared throttles that have recovered, at most once a minute per server
/// (the first caller past the time does it). A failure is only logged: the rows stay
/// until the next sweep, and a row that has recovered counts exactly as no row.
async fn sweep_shared(pool: &Pool, next_sweep_ms: &std::sync::atomic::AtomicI64, now_ms: i64) {
    use std::sync::atomic::Ordering;
    let due = next_sweep_ms.load(Ordering::Relaxed);
    if now_ms < due
        || next_sweep_ms
            .compare_exchange(
                due,
                now_ms + SWEEP_EVERY_MS,
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_err()
    {
        return;
    }
    if let Err(err) = limit_repo::sweep_throttles(pool, now_ms).await {
        tracing::warn!(error = %err, "could not delete recovered throttles");
    }
}

/// A pool on a new PostgreSQL database when `BATON_TEST_POSTGRES` names a server
/// (the shared stores need PostgreSQL); `None`, and the test is skipped, without.
#[cfg(test)]
pub(crate) async fn shared_test_pool() -> Option<(tempfile::TempDir, Pool)> {
    use crate::server::db;
    let dir = tempfile::tempdir().unwrap();
    let url = db::scratch_database(dir.path()).await;
    if db::Backend::of_url(&url) != Ok(db::Backend::Postgres) {
        eprintln!(
            "skipped: the shared limits need PostgreSQL ({} names none)",
            db::TEST_POSTGRES_VAR
        );
        return None;
    }
    let pool = db::connect_and_migrate(&url).await.unwrap();
    Some((dir, pool))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_proxies() {
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("10.0.0.5"), &["6.6.6.6"]), ip("10.0.0.5"));
        let proxies = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1").unwrap();
        // From the proxy: the client it names.
        assert_eq!(
            proxies.client(ip("10.0.0.5"), &["203.0.113.7"]),
            ip("203.0.113.7")
        );
        // A client that sends its own header gets it prepended, not believed.
        assert_eq!(
            proxies.client(ip("10.0.0.5"), &["6.6.6.6, 203.0.113.7"]),
            ip("203.0.113.7")
        );
        // Two trusted hops.
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &["198.51.100.2", "10.1.2.3"]),
            ip("198.51.100.2")
        );
        // Not from a proxy: the header is ignored.
        assert_eq!(
            proxies.client(ip("203.0.113.9"), &["1.2.3.4"]),
            ip("203.0.113.9")
        );
        // Garbage in the chain stops at the last trusted answer.
        assert_eq!(proxies.client(ip("10.0.0.5"), &["junk"]), ip("10.0.0.5"));
        // Mapped IPv4 counts as IPv4.
        assert_eq!(
            proxies.client(ip("::ffff:10.0.0.5"), &["203.0.113.7"]),
            ip("203.0.113.7")
        );
        assert!(TrustedProxies::parse("10.0.0.0/33")
            .unwrap_err()
            .contains("10.0.0.0/33"));
        assert!(TrustedProxies::parse("").unwrap().0.is_empty());
        // Ports written by some proxies are not garbage.
        assert_eq!(
            proxies.client(ip("10.0.0.5"), &["203.0.113.7:5123"]),
            ip("203.0.113.7")
        );
        assert_eq!(
            proxies.client(ip("10.0.0.5"), &["[2001:db8::7]:443"]),
            ip("2001:db8::7")
        );
    }

    #[tokio::test]
    async fn ipv6_is_counted_by_its_64_network() {
        assert_eq!(rate_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(rate_key(ip("2001:db8:1:2:ffff::9")), ip("2001:db8:1:2::"));
        assert_eq!(rate_key(ip("198.51.100.4")), ip("198.51.100.4"));
        let throttles = Throttles::new(2, Duration::from_secs(60), 2, Duration::from_secs(60));
        one_64_is_one_bucket(&throttles).await;
    }

    async fn one_64_is_one_bucket(throttles: &Throttles) {
        assert!(throttles.sign_in(ip("2001:db8::1")).await.is_ok());
        assert!(throttles.sign_in(ip("2001:db8::2")).await.is_ok());
        assert!(
            throttles.sign_in(ip("2001:db8::3")).await.is_err(),
            "same /64, same bucket"
        );
        assert!(throttles.sign_in(ip("2001:db9::1")).await.is_ok());
    }

    #[tokio::test]
    async fn an_address_is_slowed_after_its_burst_and_others_are_not() {
        let throttles = Throttles::new(3, Duration::from_secs(60), 2, Duration::from_secs(60));
        slowed_after_its_burst(&throttles).await;
    }

    /// The seconds a refusal asks to wait.
    fn wait(answer: Result<(), AppError>) -> i64 {
        match answer {
            Err(AppError::RateLimited { retry_after_secs }) => retry_after_secs,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    async fn slowed_after_its_burst(throttles: &Throttles) {
        for _ in 0..3 {
            assert!(throttles.sign_in(ip("192.0.2.1")).await.is_ok());
        }
        let wait = wait(throttles.sign_in(ip("192.0.2.1")).await);
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(throttles.sign_in(ip("192.0.2.2")).await.is_ok());
        assert!(throttles.unknown_share_token(ip("192.0.2.1")).await.is_ok());
        assert!(throttles.unknown_share_token(ip("192.0.2.1")).await.is_ok());
        assert!(throttles
            .unknown_share_token(ip("192.0.2.1"))
            .await
            .is_err());
    }

    #[test]
    fn the_shared_quota_lets_the_burst_through_then_one_per_period() {
        // The shared store's arithmetic, as its statement applies it: a fresh key starts
        // at now + every; each request moves it on by every while it stays within
        // burst × every of now.
        let gcra = Gcra::new(3, Duration::from_secs(60));
        let now = 1_000_000;
        let mut tat: Option<i64> = None;
        let mut admitted = 0;
        for _ in 0..10 {
            let next = tat.map_or(now, |t| t.max(now)) + gcra.every_ms;
            if tat.is_none() || next - now <= gcra.limit_ms {
                tat = Some(next);
                admitted += 1;
            }
        }
        assert_eq!(admitted, 3, "the burst, as governor lets through");
        // Refused now: the next request fits once a period has passed.
        assert_eq!(gcra.wait_secs(tat.unwrap(), now), 60);
        assert_eq!(gcra.wait_secs(tat.unwrap(), now + 59_500), 1);
        assert_eq!(gcra.wait_secs(tat.unwrap(), now + 30_001), 30);
    }

    #[tokio::test]
    async fn shared_throttles_count_every_server_together() {
        let Some((_dir, pool)) = super::shared_test_pool().await else {
            return;
        };
        let minute = Duration::from_secs(60);
        // The same behaviour as in memory...
        one_64_is_one_bucket(&Throttles::shared_with(pool.clone(), 2, minute, 2, minute)).await;
        slowed_after_its_burst(&Throttles::shared_with(pool.clone(), 3, minute, 2, minute)).await;
        // ...and two servers share each address's burst.
        let one = Throttles::shared_with(pool.clone(), 3, minute, 3, minute);
        let two = Throttles::shared_with(pool.clone(), 3, minute, 3, minute);
        assert!(one.sign_in(ip("203.0.113.5")).await.is_ok());
        assert!(two.sign_in(ip("203.0.113.5")).await.is_ok());
        assert!(one.sign_in(ip("203.0.113.5")).await.is_ok());
        let wait = wait(two.sign_in(ip("203.0.113.5")).await);
        assert!((59..=60).contains(&wait), "{wait}");
        assert!(one.sign_in(ip("203.0.113.5")).await.is_err());
        // The share-link limit is its own.
        assert!(two.unknown_share_token(ip("203.0.113.5")).await.is_ok());
        // Forty requests at once on two servers: exactly the burst gets through.
        let admitted: Vec<bool> = {
            let one = std::sync::Arc::new(one);
            let two = std::sync::Arc::new(two);
            let tasks: Vec<_> = (0..40)
                .map(|i| {
                    let server = if i % 2 == 0 { one.clone() } else { two.clone() };
                    tokio::spawn(async move { server.sign_in(ip("203.0.113.6")).await.is_ok() })
                })
                .collect();
            let mut out = Vec::new();
            for task in tasks {
                out.push(task.await.unwrap());
            }
            out
        };
        assert_eq!(admitted.iter().filter(|a| **a).count(), 3);
        // Rows that have recovered are deleted; the others stay.
        let far = super::super::clock::system_now_ms() + 3_600_000;
        assert!(limit_repo::sweep_throttles(&pool, 0).await.unwrap() == 0);
        assert_eq!(limit_repo::sweep_throttles(&pool, far).await.unwrap(), 8);
        assert_eq!(limit_repo::sweep_throttles(&pool, far).await.unwrap(), 0);
    }
}
