//! Configuration from the environment, with defaults that run the demo.

use std::net::SocketAddr;

/// Everything the server reads from its environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `DATABASE_URL`: the SQLite file (`sqlite://PATH`, the default) or the PostgreSQL
    /// database (`postgres://USER:PASSWORD@HOST:PORT/DATABASE`) Baton serves from.
    pub database_url: String,
    /// `BATON_ADDR`: the address to listen on.
    pub addr: SocketAddr,
    /// `BATON_SEED_DEMO`: seed the demo agency into an empty database (default true).
    pub seed_demo: bool,
    /// `BATON_HTTPS`: served over HTTPS (behind a TLS proxy): `Secure` cookies and HSTS.
    pub https: bool,
    /// `BATON_TRUSTED_PROXIES`: comma-separated addresses or networks of the proxies in
    /// front of Baton; only their `X-Forwarded-For` names the client (default: none).
    pub trusted_proxies: app::server::limits::TrustedProxies,
}

/// The default database: a file under `data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/baton.db";

impl Config {
    /// Reads the configuration through `var` (the process environment in production).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let addr_text = var("BATON_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
        let addr = addr_text.parse().map_err(|_| {
            format!("BATON_ADDR: `{addr_text}` is not an address like 127.0.0.1:3000")
        })?;
        let flag = |name: &str, default: bool| match var(name).as_deref() {
            None => Ok(default),
            Some("1" | "true" | "yes") => Ok(true),
            Some("0" | "false" | "no") => Ok(false),
            Some(other) => Err(format!("{name}: `{other}` is not true or false")),
        };
        let seed_demo = flag("BATON_SEED_DEMO", true)?;
        let https = flag("BATON_HTTPS", false)?;
        let trusted_proxies = app::server::limits::TrustedProxies::parse(
            &var("BATON_TRUSTED_PROXIES").unwrap_or_default(),
        )
        .map_err(|e| format!("BATON_TRUSTED_PROXIES: {e}"))?;
        let database_url = var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        check_database_url(&database_url)?;
        Ok(Self {
            database_url,
            addr,
            seed_demo,
            https,
            trusted_proxies,
        })
    }

    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, String> {
        Self::from_lookup(|key| std::env::var(key).ok().filter(|v| !v.is_empty()))
    }
}

/// Refuses a `DATABASE_URL` Baton cannot serve from, before anything is created: a URL of
/// another database, or a malformed one, would otherwise be taken for a file path.
fn check_database_url(url: &str) -> Result<(), String> {
    app::server::db::Backend::of_url(url).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_run_the_demo() {
        let config = Config::from_lookup(|_| None).unwrap();
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(config.addr.to_string(), "127.0.0.1:3000");
        assert!(config.seed_demo);
        assert!(!config.https);
    }

    #[test]
    fn bad_values_name_their_variable() {
        let err =
            Config::from_lookup(|k| (k == "BATON_ADDR").then(|| "nowhere".into())).unwrap_err();
        assert!(err.starts_with("BATON_ADDR"), "{err}");
        let err =
            Config::from_lookup(|k| (k == "BATON_SEED_DEMO").then(|| "maybe".into())).unwrap_err();
        assert!(err.starts_with("BATON_SEED_DEMO"), "{err}");
        let err =
            Config::from_lookup(|k| (k == "BATON_TRUSTED_PROXIES").then(|| "10.0.0.1, lan".into()))
                .unwrap_err();
        assert!(
            err.starts_with("BATON_TRUSTED_PROXIES") && err.contains("lan"),
            "{err}"
        );
        let config = Config::from_lookup(|k| {
            (k == "BATON_TRUSTED_PROXIES").then(|| "10.0.0.0/8, ::1".into())
        })
        .unwrap();
        assert!(config.trusted_proxies.trusts("10.1.2.3".parse().unwrap()));
    }

    #[test]
    fn a_database_url_baton_cannot_use_stops_the_start() {
        let with = |url: &'static str| {
            Config::from_lookup(move |k| (k == "DATABASE_URL").then(|| url.into()))
        };
        assert!(with("sqlite://data/baton.db").is_ok());
        assert!(with("sqlite::memory:").is_ok());
        assert!(with("SQLITE:///tmp/x.db").is_ok());
        assert!(with("postgres://postgres@127.0.0.1:5432/baton").is_ok());
        assert!(with("postgresql://baton:secret@db.internal/baton?sslmode=require").is_ok());
        for bad in [
            "postgres:",
            "postgres:///baton",
            "postgres://",
            "postgres://db.internal:notaport/baton",
            "mysql://localhost/baton",
            "data/baton.db",
            "sqlite:",
            "",
        ] {
            let err = with(bad).unwrap_err();
            assert!(err.starts_with("DATABASE_URL: "), "{bad}: {err}");
        }
    }
}
