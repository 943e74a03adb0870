//! `baton`: serve the app, or seed a database.
//!
//! ```text
//! baton                                   serve (DATABASE_URL, BATON_ADDR, RUST_LOG)
//! baton seed [--people N] [--deals N] [--db PATH]
//!                                         write the demo agency at a chosen size
//! ```

use app::server::db::{Database, PoolLimits};
use app::server::{context, db, seed, state::AppState};
use baton::config::Config;
use leptos::config::get_configuration;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

/// Rust's allocations (rows, JSON, rendered HTML) go to mimalloc: on a large workspace
/// glibc's allocator spent 30–40 % of a board load in `malloc`/`free`, most of it on
/// blocks allocated on a database thread and freed on a request thread.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // SQLite allocates through glibc: a fixed threshold maps its large blocks directly and
    // gives them back on free, instead of glibc's adaptive threshold soon serving them
    // from per-thread heaps that keep the memory.
    // SAFETY: called once at start, before any other thread allocates.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(worker_threads())
        .thread_name("baton-worker")
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("baton: could not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run())
}

/// Threads that run requests: `BATON_WORKER_THREADS`, or twice the cores. Rendering a big
/// page is CPU work that holds its thread until done; with only one thread per core, a
/// write transaction waking up behind two such renders would wait for both while it holds
/// the writer. A few more threads than cores let the kernel share the cores instead.
fn worker_threads() -> usize {
    std::env::var("BATON_WORKER_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|n| (1..=256).contains(n))
        .unwrap_or_else(|| 2 * std::thread::available_parallelism().map_or(2, |n| n.get()))
}

async fn run() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None | Some("serve") => serve().await,
        Some("seed") => seed_command(&args[1..]).await,
        Some("-h" | "--help" | "help") => {
            println!(
                "usage: baton [serve]\n       baton seed [--people N] [--deals N] [--db PATH]"
            );
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`; try `baton --help`")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("baton: {message}");
            ExitCode::FAILURE
        }
    }
}

/// How long in-flight requests get to finish after `SIGTERM` before the server exits
/// anyway.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

async fn serve() -> Result<(), String> {
    let config = Config::from_env()?;
    let db = Database::open(&config.database_url, PoolLimits::default())
        .await
        .map_err(|e| {
            format!(
                "DATABASE_URL {}: {e}",
                app::server::db::redact(&config.database_url)
            )
        })?;
    if config.seed_demo
        && seed::seed_demo_if_empty(db.writer(), context::now_ms())
            .await
            .map_err(|e| format!("seeding the demo: {e}"))?
    {
        tracing::info!("seeded the demo agency");
    }
    let mut leptos_options = get_configuration(None)
        .map_err(|e| format!("leptos configuration: {e}"))?
        .leptos_options;
    leptos_options.site_addr = config.addr;
    let mut state = AppState::new(leptos_options, db.clone(), config.https);
    state.trusted_proxies = std::sync::Arc::new(config.trusted_proxies.clone());
    // On PostgreSQL: relay live events, presence and changes of access between servers.
    let _relay = baton::relay::start(&state).await?;
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| format!("BATON_ADDR {}: {e}", config.addr))?;
    print_banner(&config);
    let live = state.live.clone();
    let app = baton::router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let (stopping_tx, stopping) = tokio::sync::oneshot::channel::<()>();
    // On SIGTERM or Ctrl-C: stop accepting, end every live stream (browsers reconnect to
    // the next server), let in-flight requests finish.
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: no new connections, ending live streams");
        live.shut_down();
        let _ = stopping_tx.send(());
    });
    let deadline = async move {
        if stopping.await.is_ok() {
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        result = server => result.map_err(|e| format!("server: {e}"))?,
        () = deadline => tracing::warn!("requests still running after {SHUTDOWN_GRACE:?}; exiting"),
    }
    // Every write was committed (and fsynced) before it was acknowledged; closing
    // checkpoints the WAL into the database file.
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

fn print_banner(config: &Config) {
    println!();
    println!("  Baton is running at http://{}/", config.addr);
    println!(
        "  database: {}",
        app::server::db::redact(&config.database_url)
    );
    println!();
    println!("  Demo logins (password: {}):", seed::DEMO_PASSWORD);
    for login in seed::DEMO_LOGINS {
        println!("    {:<26} {}", login.email, login.role.name());
    }
    println!(
        "    {:<26} {} (Bluebird Creative, the second workspace)",
        seed::BLUEBIRD_ADMIN.email,
        seed::BLUEBIRD_ADMIN.role.name()
    );
    println!();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

async fn seed_command(args: &[String]) -> Result<(), String> {
    let mut size = seed::SeedSize::DEMO;
    let mut database_url = Config::from_env()?.database_url;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag.as_str() {
            "--people" => {
                size.people = parse_count("--people", &value("--people")?, 5, 100_000)?;
            }
            "--deals" => {
                size.deals = parse_count("--deals", &value("--deals")?, 1, 1_000_000)?;
            }
            "--db" => database_url = format!("sqlite://{}", value("--db")?),
            other => return Err(format!("unknown option `{other}` for `baton seed`")),
        }
    }
    let shown = db::redact(&database_url);
    let pool = db::connect_and_migrate(&database_url)
        .await
        .map_err(|e| format!("{shown}: {e}"))?;
    // `seed_demo` writes in one transaction that takes the write lock first.
    let existing = app::server::workspace_repo::count(&pool)
        .await
        .map_err(|e| e.to_string())?;
    if existing > 0 {
        return Err(format!(
            "{shown} already holds data; seed an empty database"
        ));
    }
    let started = std::time::Instant::now();
    let report = seed::seed_demo(&pool, size, context::now_ms())
        .await
        .map_err(|e| format!("seeding: {e}"))?;
    println!(
        "seeded {shown} in {:.1}s: {} people, {} users, {} clients, {} deals, {} projects, {} allocations, {} time entries, {} events",
        started.elapsed().as_secs_f64(),
        report.people,
        report.users,
        report.clients,
        report.deals,
        report.projects,
        report.allocations,
        report.time_entries,
        report.events
    );
    Ok(())
}

fn parse_count(flag: &str, text: &str, min: usize, max: usize) -> Result<usize, String> {
    text.parse::<usize>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| format!("{flag}: `{text}` is not a whole number from {min} to {max}"))
}
