//! The site's files: the bundle under its versioned directory (`/pkg/dev/` for a build
//! that serves from disk, as these tests do), revalidated with an `ETag`; any other
//! version's address a 404 that is not kept; public files under their own names. (That a
//! page names its chunk for preloading is checked on a real split bundle:
//! end2end/tests/first-load.spec.ts.)

use crate::common::{fixture, fixture_with_state, Fixture};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// A fixture whose site (its temp directory) holds a small split bundle.
async fn with_bundle() -> Fixture {
    fixture_with_state(false, Default::default(), |state| {
        let pkg = std::path::Path::new(&*state.leptos_options.site_root).join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join("baton.js"), "export default function init() {}\n").unwrap();
        std::fs::write(pkg.join("baton.css"), "body { margin: 0 }\n").unwrap();
        std::fs::write(pkg.join("split_Capacity.wasm"), b"\0asm\x01\0\0\0").unwrap();
        std::fs::write(
            std::path::Path::new(&*state.leptos_options.site_root).join("favicon.svg"),
            "<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
        )
        .unwrap();
        state
    })
    .await
}

async fn get(
    f: &Fixture,
    path: &str,
    headers: &[(&str, &str)],
) -> (StatusCode, axum::http::HeaderMap, Vec<u8>) {
    let mut request = Request::get(path);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = f
        .router
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes()
        .to_vec();
    (status, headers, body)
}

#[tokio::test]
async fn pages_name_the_bundle_under_its_version() {
    let f = fixture().await;
    let cookie = f.login("am@northwind.test").await;
    let page = f.get("/pipeline", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains(r#"href="/pkg/dev/baton.css""#),
        "stylesheet"
    );
    assert!(page.body.contains("/pkg/dev/baton.js"), "script");
    assert!(page.body.contains("/pkg/dev/baton.wasm"), "wasm");
    assert!(
        !page.body.contains(r#""/pkg/baton"#),
        "an unversioned address"
    );
    assert_eq!(
        page.headers[header::CACHE_CONTROL],
        "no-store",
        "pages are never kept"
    );
}

#[tokio::test]
async fn the_bundle_is_revalidated_and_other_versions_are_gone() {
    let f = with_bundle().await;
    let (status, headers, body) = get(&f, "/pkg/dev/baton.js", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"export default function init() {}\n");
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let etag = headers[header::ETAG].to_str().unwrap().to_string();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");

    let (status, headers, body) = get(&f, "/pkg/dev/baton.js", &[("if-none-match", &etag)]).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(headers[header::ETAG], etag.as_str());

    let (_, headers, _) = get(&f, "/pkg/dev/split_Capacity.wasm", &[]).await;
    assert_eq!(headers[header::CONTENT_TYPE], "application/wasm");

    for path in [
        "/pkg/0123456789abcdef/baton.js",
        "/pkg/baton.js",
        "/pkg/dev/nothing.js",
        "/pkg/dev/../Cargo.toml",
        "/pkg/dev/baton.js.br",
    ] {
        let (status, headers, _) = get(&f, path, &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store", "{path}");
    }
}

#[tokio::test]
async fn public_files_keep_their_names_and_are_revalidated() {
    let f = with_bundle().await;
    let (status, headers, body) = get(&f, "/favicon.svg", &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.starts_with(b"<svg"));
    assert_eq!(headers[header::CONTENT_TYPE], "image/svg+xml");
    assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
    assert!(headers.contains_key(header::ETAG));
    // Anything else is the app's own 404 page.
    let cookie = f.login("am@northwind.test").await;
    let (status, headers, body) = get(&f, "/no-such-page", &[("cookie", &cookie)]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(headers[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(String::from_utf8_lossy(&body).contains("/pkg/dev/baton.js"));
}
