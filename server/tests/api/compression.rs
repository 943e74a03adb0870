//! Compressed answers: brotli when the browser accepts it, else gzip, else as they are;
//! never the live stream, and server function errors keep their status.

use crate::common::{call_request, fixture, read_until, Fixture, NOBODY};
use app::error::AppError;
use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use std::io::Read;
use tower::ServiceExt;

/// An answer with its body decoded as its `Content-Encoding` says.
struct Decoded {
    status: StatusCode,
    headers: HeaderMap,
    encoding: Option<String>,
    body: Vec<u8>,
}

impl Decoded {
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("the decoded body is text")
    }

    /// Whether the answer says it depends on `Accept-Encoding`.
    fn varies_on_encoding(&self) -> bool {
        self.headers
            .get_all(header::VARY)
            .iter()
            .any(|v| v.to_str().unwrap().eq_ignore_ascii_case("accept-encoding"))
    }
}

/// Sends `request` with `Accept-Encoding: accept` (none when empty) and decodes the answer.
async fn send(f: &Fixture, mut request: Request<Body>, accept: &str) -> Decoded {
    if !accept.is_empty() {
        request
            .headers_mut()
            .insert(header::ACCEPT_ENCODING, accept.parse().unwrap());
    }
    let response = f.router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let raw = response.into_body().collect().await.unwrap().to_bytes();
    let encoding = headers
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap().to_string());
    Decoded {
        status,
        headers,
        body: decode(encoding.as_deref(), &raw),
        encoding,
    }
}

/// `raw` decoded from `encoding`.
fn decode(encoding: Option<&str>, raw: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    match encoding {
        None => body.extend_from_slice(raw),
        Some("br") => {
            brotli::Decompressor::new(raw, 4096)
                .read_to_end(&mut body)
                .expect("valid brotli");
        }
        Some("gzip") => {
            flate2::read::GzDecoder::new(raw)
                .read_to_end(&mut body)
                .expect("valid gzip");
        }
        Some(other) => panic!("unexpected encoding {other}"),
    }
    body
}

fn page(path: &str, cookie: &str) -> Request<Body> {
    Request::get(path)
        .header(header::COOKIE, cookie)
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn pages_come_in_brotli_else_gzip_else_as_they_are() {
    let f = fixture().await;
    let cookie = f.login("am@northwind.test").await;
    for (accept, expected) in [
        ("gzip, deflate, br, zstd", Some("br")),
        ("br", Some("br")),
        ("gzip", Some("gzip")),
        ("br;q=0, gzip", Some("gzip")),
        ("identity", None),
        ("", None),
    ] {
        let answer = send(&f, page("/pipeline", &cookie), accept).await;
        assert_eq!(answer.status, StatusCode::OK, "{accept}");
        assert_eq!(answer.encoding.as_deref(), expected, "{accept}");
        assert!(answer.varies_on_encoding(), "{accept}: no Vary");
        let text = answer.text();
        assert!(text.starts_with("<!DOCTYPE html>"), "{accept}: {text}");
        assert!(text.contains("Northwind Studio"), "{accept}");
        // The whole page: the document, then the data the browser picks up on hydration.
        assert!(text.contains("</html>"), "{accept}: the page is cut short");
        assert!(
            text.ends_with("</script>"),
            "{accept}: the page is cut short"
        );
        // Still private: compression changes no caching.
        assert_eq!(
            answer.headers[header::CACHE_CONTROL],
            "no-store",
            "{accept}"
        );
        assert!(answer.headers.contains_key("content-security-policy"));
    }
}

#[tokio::test]
async fn server_function_answers_are_compressed() {
    let f = fixture().await;
    let cookie = f.login("am@northwind.test").await;
    let plain = f.call("list_board", "", Some(&cookie)).await;
    let answer = send(&f, call_request("list_board", "", Some(&cookie)), "br").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.encoding.as_deref(), Some("br"));
    let board: app::api::board::Board = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(board.workspace_name, "Northwind Studio");
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&answer.body).unwrap(),
        serde_json::from_str::<serde_json::Value>(&plain.body).unwrap(),
        "the same answer as uncompressed"
    );
}

#[tokio::test]
async fn server_function_errors_keep_their_status_when_compressed() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    // A field error, long enough to be compressed: still 422, with its field.
    let invalid = send(&f, call_request("create_client", "name=", Some(&am)), "br").await;
    assert_eq!(
        invalid.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        invalid.text()
    );
    assert_eq!(
        invalid.encoding.as_deref(),
        Some("br"),
        "the error was compressed"
    );
    match serde_json::from_slice::<AppError>(&invalid.body).unwrap() {
        AppError::Invalid { field, .. } => assert_eq!(field, "name"),
        other => panic!("{other:?}"),
    }
    // A refusal: still 403.
    let nobody = f.login(NOBODY).await;
    let refused = send(
        &f,
        call_request("create_client", "name=Globex", Some(&nobody)),
        "br, gzip",
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.text());
    assert!(matches!(
        serde_json::from_slice::<AppError>(&refused.body).unwrap(),
        AppError::Forbidden
    ));
}

#[tokio::test]
async fn the_live_stream_is_never_compressed() {
    let f = fixture().await;
    let am = f.login("am@northwind.test").await;
    let mut request = page("/api/live", &am);
    request
        .headers_mut()
        .insert(header::ACCEPT_ENCODING, "br, gzip".parse().unwrap());
    let stream = f.router.clone().oneshot(request).await.unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    assert_eq!(stream.headers()[header::CONTENT_TYPE], "text/event-stream");
    assert!(!stream.headers().contains_key(header::CONTENT_ENCODING));
    // The first event (who is here) arrives at once, as plain text.
    let events = read_until(stream.into_body(), |events| !events.is_empty()).await;
    assert!(!events.is_empty(), "no event arrived");
}

#[tokio::test]
async fn static_files_are_compressed_and_keep_their_headers() {
    let f = fixture().await;
    let pkg = f.dir.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let script = "export function hydrate() { console.log('Baton is ready'); }\n".repeat(50);
    std::fs::write(pkg.join("baton.js"), &script).unwrap();
    for (accept, expected) in [("br", Some("br")), ("gzip", Some("gzip")), ("", None)] {
        let request = Request::get("/pkg/dev/baton.js")
            .body(Body::empty())
            .unwrap();
        let answer = send(&f, request, accept).await;
        assert_eq!(answer.status, StatusCode::OK, "{accept}");
        assert_eq!(answer.encoding.as_deref(), expected, "{accept}");
        assert!(answer.varies_on_encoding(), "{accept}: no Vary");
        assert_eq!(answer.text(), script, "{accept}");
        assert!(
            answer.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .contains("javascript"),
            "{accept}"
        );
        assert!(answer.headers.contains_key(header::ETAG));
        assert_eq!(
            answer.headers[header::CACHE_CONTROL],
            "no-cache",
            "{accept}: a debug build's bundle is revalidated"
        );
    }

    // A file built already compressed is sent as it is, and still varies.
    let wasm = b"\0asm\x01\0\0\0".repeat(100);
    let mut precompressed = Vec::new();
    brotli::BrotliCompress(
        &mut &wasm[..],
        &mut precompressed,
        &brotli::enc::BrotliEncoderParams::default(),
    )
    .unwrap();
    std::fs::write(pkg.join("baton.wasm"), &wasm).unwrap();
    std::fs::write(pkg.join("baton.wasm.br"), &precompressed).unwrap();
    let request = Request::get("/pkg/dev/baton.wasm")
        .body(Body::empty())
        .unwrap();
    let answer = send(&f, request, "br").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.encoding.as_deref(), Some("br"));
    assert!(
        answer.varies_on_encoding(),
        "no Vary on a precompressed file"
    );
    assert_eq!(answer.body, wasm, "compressed once, not twice");
    assert_eq!(answer.headers[header::CONTENT_TYPE], "application/wasm");

    // Images are already compressed: sent as they are.
    let icon = vec![0x89u8; 600];
    std::fs::write(f.dir.path().join("favicon.png"), &icon).unwrap();
    let request = Request::get("/favicon.png")
        .header(header::COOKIE, f.login("am@northwind.test").await)
        .body(Body::empty())
        .unwrap();
    let answer = send(&f, request, "br, gzip").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.encoding, None);
    assert_eq!(answer.body, icon);
}

/// Sizes as sent: each file of the built bundle (`target/site/pkg`, or `BATON_SITE_PKG`)
/// and two pages of the demo, raw, gzip and brotli, through the router. Needs a built
/// site, so it runs only when asked:
/// `cargo test -p baton --test api compression::sizes -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "needs a built site (cargo leptos build); prints a size table"]
async fn sizes_of_the_bundle_and_pages_as_sent() {
    let dir = std::env::var("BATON_SITE_PKG").map_or_else(
        |_| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site/pkg"),
        std::path::PathBuf::from,
    );
    let f = fixture().await;
    let pkg = f.dir.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            !name.ends_with(".br") && !name.ends_with(".gz") && !name.ends_with(".d.ts")
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    let cookie = f.login("am@northwind.test").await;
    let mut rows = Vec::new();
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::copy(file, pkg.join(&name)).unwrap();
        rows.push((format!("/pkg/{name}"), format!("/pkg/dev/{name}")));
    }
    for path in ["/pipeline", "/"] {
        rows.push((format!("page {path}"), path.to_string()));
    }
    println!("| file | raw | gzip | brotli |\n|---|---:|---:|---:|");
    for (label, path) in rows {
        let mut sizes = Vec::new();
        let mut decoded = Vec::new();
        for accept in ["", "gzip", "br"] {
            let mut request = page(&path, &cookie);
            if !accept.is_empty() {
                request
                    .headers_mut()
                    .insert(header::ACCEPT_ENCODING, accept.parse().unwrap());
            }
            let response = f.router.clone().oneshot(request).await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let encoding = response
                .headers()
                .get(header::CONTENT_ENCODING)
                .map(|v| v.to_str().unwrap().to_string());
            assert_eq!(encoding.as_deref(), (!accept.is_empty()).then_some(accept));
            let raw = response.into_body().collect().await.unwrap().to_bytes();
            sizes.push(raw.len());
            decoded.push(decode(encoding.as_deref(), &raw).len());
        }
        if path.starts_with("/pkg/") {
            assert!(
                decoded.iter().all(|&n| n == decoded[0]),
                "{path}: {decoded:?}"
            );
        }
        assert!(
            sizes[1] < sizes[0] && sizes[2] < sizes[0],
            "{path}: {sizes:?}"
        );
        let kib = |n: usize| format!("{:.1} KiB", n as f64 / 1024.0);
        let share = |n: usize| format!("{} ({:.0} %)", kib(n), 100.0 * n as f64 / sizes[0] as f64);
        println!(
            "| {label} | {} | {} | {} |",
            kib(sizes[0]),
            share(sizes[1]),
            share(sizes[2])
        );
    }
}
