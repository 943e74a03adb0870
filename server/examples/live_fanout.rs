//! Fan-out benchmark: opens N live connections (`/api/live`) to a running Baton, moves a
//! deal R times, and reports how long each event took to reach the last connection, plus
//! the server's memory.
//!
//! ```text
//! ulimit -n 8192
//! cargo run --profile server-release -p baton --example live_fanout -- 127.0.0.1:3055 1000 20 [server-pid]
//! ```
//! Sends traffic to the given loopback address only.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{watch, Mutex};

async fn request(addr: &str, raw: String) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(raw.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.expect("read");
    String::from_utf8_lossy(&out).into_owned()
}

fn post(addr: &str, path: &str, cookie: &str, body: &str) -> String {
    format!(
        "POST {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\nCookie: {cookie}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let addr = args
        .first()
        .cloned()
        .unwrap_or_else(|| "127.0.0.1:3055".into());
    assert!(
        addr.starts_with("127.") || addr.starts_with("localhost"),
        "loopback only"
    );
    let connections: usize = args.get(1).and_then(|v| v.parse().ok()).unwrap_or(1000);
    let rounds: usize = args.get(2).and_then(|v| v.parse().ok()).unwrap_or(20);
    let pid = args.get(3).cloned();

    // Sign in once; every connection uses the session.
    let login = request(
        &addr,
        post(
            &addr,
            "/api/login",
            "",
            "email=am%40northwind.test&password=baton-demo",
        ),
    )
    .await;
    let cookie = login
        .lines()
        .find_map(|l| {
            l.strip_prefix("set-cookie: ")
                .or_else(|| l.strip_prefix("Set-Cookie: "))
        })
        .and_then(|c| c.split(';').next())
        .expect("signed in")
        .to_string();
    let rss_before = pid.as_deref().and_then(rss_kib);

    // The round being waited for; each connection reports when it saw that round's move.
    let (round_tx, round_rx) = watch::channel(0_usize);
    let arrivals: Arc<Mutex<Vec<Vec<Instant>>>> =
        Arc::new(Mutex::new(vec![Vec::new(); rounds + 1]));
    let ready = Arc::new(AtomicUsize::new(0));
    for _ in 0..connections {
        let (addr, cookie, arrivals, ready, mut round_rx) = (
            addr.clone(),
            cookie.clone(),
            arrivals.clone(),
            ready.clone(),
            round_rx.clone(),
        );
        tokio::spawn(async move {
            let mut stream = TcpStream::connect(&addr).await.expect("connect");
            let head = format!("GET /api/live HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n");
            stream.write_all(head.as_bytes()).await.expect("write");
            let mut buf = vec![0_u8; 64 * 1024];
            let mut counted = false;
            loop {
                let n = match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if !counted {
                    counted = true;
                    ready.fetch_add(1, Ordering::SeqCst);
                }
                let chunk = String::from_utf8_lossy(&buf[..n]);
                if chunk.contains("{\"Deal\"") {
                    let round = *round_rx.borrow_and_update();
                    arrivals.lock().await[round].push(Instant::now());
                }
            }
        });
    }
    let started = Instant::now();
    while ready.load(Ordering::SeqCst) < connections {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "connections did not open"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Let the presence announcements of the joins settle.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_connected = pid.as_deref().and_then(rss_kib);

    let deal_line = request(&addr, post(&addr, "/api/list_board", &cookie, "")).await;
    // HTTP/1.0: the body is the JSON, unchunked.
    let body = deal_line.split("\r\n\r\n").nth(1).unwrap_or_default();
    let board: serde_json::Value = serde_json::from_str(body).expect("board json");
    let columns = board["columns"].as_array().expect("columns");
    let stage_id = |name: &str| {
        columns
            .iter()
            .find(|c| c["stage"]["name"] == name)
            .and_then(|c| c["stage"]["id"].as_i64())
            .unwrap()
    };
    let (lead, qualified) = (stage_id("Lead"), stage_id("Qualified"));
    let card = &columns
        .iter()
        .find(|c| c["stage"]["name"] == "Lead")
        .unwrap()["cards"][0];
    let deal_id = card["id"].as_i64().unwrap();
    let first_version = card["version"].as_i64().unwrap();

    let mut last_arrival_ms = Vec::new();
    for round in 1..=rounds {
        // Each move bumps the deal's version by one.
        let version = first_version + round as i64 - 1;
        round_tx.send(round).unwrap();
        let target = if round % 2 == 1 { qualified } else { lead };
        let sent = Instant::now();
        let answer = request(
            &addr,
            post(
                &addr,
                "/api/move_deal",
                &cookie,
                &format!("deal_id={deal_id}&stage_id={target}&version={version}"),
            ),
        )
        .await;
        assert!(
            answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200"),
            "{answer}"
        );
        let wait = Instant::now();
        loop {
            if arrivals.lock().await[round].len() >= connections
                || wait.elapsed() > Duration::from_secs(10)
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let got = arrivals.lock().await[round].clone();
        let last = got.iter().max().copied().unwrap_or(sent);
        last_arrival_ms.push((last - sent).as_secs_f64() * 1000.0);
        println!(
            "round {round}: {} of {connections} received; last after {:.2} ms (from sending the move)",
            got.len(),
            (last - sent).as_secs_f64() * 1000.0
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last_arrival_ms.sort_by(f64::total_cmp);
    println!(
        "connections={connections} rounds={rounds} last-arrival p50={:.2} ms p99={:.2} ms max={:.2} ms",
        percentile(&last_arrival_ms, 0.5),
        percentile(&last_arrival_ms, 0.99),
        last_arrival_ms.last().unwrap()
    );
    if let (Some(before), Some(connected)) = (rss_before, rss_connected) {
        println!(
            "server RSS: {:.1} MiB before, {:.1} MiB with {connections} connections",
            before as f64 / 1024.0,
            connected as f64 / 1024.0
        );
    }
}
