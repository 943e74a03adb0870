//! Who a request comes from, and how fast one address may knock.
//!
//! **The client's address.** Behind a TLS proxy every request arrives from the proxy, so
//! limits keyed on the peer address would put a whole company in one bucket. The proxy
//! says who it forwarded in `X-Forwarded-For`, but anyone can send that header: it is
//! believed only from the proxies the operator lists in `BATON_TRUSTED_PROXIES`
//! (addresses or networks). The client is the right-most address of the chain that is
//! not a trusted proxy (each proxy appends the address it received from).
//!
//! **Throttles** ([`Throttles`]) are rate limits per client address from `governor`
//! (GCRA): a burst, then a steady rate. They slow one address down and never lock it out
//! for long, so one person's mistakes cannot shut out an office that shares an address.
//! Lockouts for wrong passwords are per account and per account-and-address
//! ([`super::auth::LoginLimiter`]).

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

/// Rate limits per client address.
#[derive(Debug)]
pub struct Throttles {
    sign_in: DefaultKeyedRateLimiter<IpAddr>,
    share: DefaultKeyedRateLimiter<IpAddr>,
    calls: std::sync::atomic::AtomicU64,
}

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

impl Throttles {
    /// Throttles with the given bursts and rates.
    pub fn new(
        sign_in_burst: u32,
        sign_in_every: Duration,
        share_burst: u32,
        share_every: Duration,
    ) -> Self {
        Self {
            sign_in: RateLimiter::keyed(quota(sign_in_burst, sign_in_every)),
            share: RateLimiter::keyed(quota(share_burst, share_every)),
            calls: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Counts a sign-in attempt from `address`; `Err(seconds)` to wait when it has
    /// used its burst.
    pub fn sign_in(&self, address: IpAddr) -> Result<(), i64> {
        self.trim();
        self.sign_in
            .check_key(&rate_key(address))
            .map_err(wait_secs)
    }

    /// Counts an unknown share-link token tried from `address`; `Err(seconds)` to wait
    /// when it has used its burst. Links that exist are never counted.
    pub fn unknown_share_token(&self, address: IpAddr) -> Result<(), i64> {
        self.trim();
        self.share.check_key(&rate_key(address)).map_err(wait_secs)
    }

    /// Forgets addresses whose limits have fully recovered, once the maps grow large
    /// (looked at once every 1,024 calls: the sweep walks the whole map).
    fn trim(&self) {
        let n = self
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if !n.is_multiple_of(1024) {
            return;
        }
        if self.sign_in.len() > 10_000 {
            self.sign_in.retain_recent();
        }
        if self.share.len() > 10_000 {
            self.share.retain_recent();
        }
    }
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

    #[test]
    fn ipv6_is_counted_by_its_64_network() {
        assert_eq!(rate_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(rate_key(ip("2001:db8:1:2:ffff::9")), ip("2001:db8:1:2::"));
        assert_eq!(rate_key(ip("198.51.100.4")), ip("198.51.100.4"));
        let throttles = Throttles::new(2, Duration::from_secs(60), 2, Duration::from_secs(60));
        assert!(throttles.sign_in(ip("2001:db8::1")).is_ok());
        assert!(throttles.sign_in(ip("2001:db8::2")).is_ok());
        assert!(
            throttles.sign_in(ip("2001:db8::3")).is_err(),
            "same /64, same bucket"
        );
        assert!(throttles.sign_in(ip("2001:db9::1")).is_ok());
    }

    #[test]
    fn an_address_is_slowed_after_its_burst_and_others_are_not() {
        let throttles = Throttles::new(3, Duration::from_secs(60), 2, Duration::from_secs(60));
        for _ in 0..3 {
            assert!(throttles.sign_in(ip("192.0.2.1")).is_ok());
        }
        let wait = throttles.sign_in(ip("192.0.2.1")).unwrap_err();
        assert!((1..=60).contains(&wait), "{wait}");
        assert!(throttles.sign_in(ip("192.0.2.2")).is_ok());
        assert!(throttles.unknown_share_token(ip("192.0.2.1")).is_ok());
        assert!(throttles.unknown_share_token(ip("192.0.2.1")).is_ok());
        assert!(throttles.unknown_share_token(ip("192.0.2.1")).is_err());
    }
}
