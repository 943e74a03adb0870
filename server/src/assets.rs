//! The site's files: the WebAssembly bundle, its JavaScript, the stylesheet (`/pkg/…`) and
//! the public files (`/favicon.svg`, `/noscript.css`, …).
//!
//! A release build carries them inside the binary (`build.rs`): the bundle is served under
//! `/pkg/<version>/`, where the version is a hash of the whole bundle, so its files never
//! change under one address and are cached for a year (`immutable`); they are sent as
//! compressed at build time (brotli, else gzip, else as they are). A debug build reads
//! `target/site` from disk under `/pkg/dev/`, and the browser asks again each time
//! (`no-cache` with an `ETag`). Public files keep their names and are always revalidated.
//! Any other address under `/pkg/` — an older version's, after a deploy — is a 404 that is
//! not cached. Pages themselves are never cached (`security::headers`).

use axum::body::Body;
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::path::PathBuf;

/// One file of the site embedded in the binary, with its compressed copies when they are
/// smaller.
#[derive(Debug)]
pub struct EmbeddedFile {
    /// Relative to the site root, `/`-separated: `pkg/baton.wasm`, `favicon.svg`.
    pub path: &'static str,
    /// A hash of the content.
    pub etag: &'static str,
    pub raw: &'static [u8],
    pub br: Option<&'static [u8]>,
    pub gzip: Option<&'static [u8]>,
}

mod embedded {
    use super::EmbeddedFile;
    include!(concat!(env!("OUT_DIR"), "/site.rs"));
}

/// How long a bundle file may be kept: its address changes whenever it does.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Files whose address stays the same: keep, but ask each time.
pub const REVALIDATE: &str = "no-cache";

/// Where the site's files come from.
#[derive(Debug, Clone)]
pub enum Site {
    /// Inside the binary (release builds).
    Embedded {
        version: &'static str,
        files: &'static [EmbeddedFile],
    },
    /// A directory on disk, usually `target/site` (debug builds, tests).
    Disk { root: PathBuf },
}

/// A file found, with what it takes to answer for it.
struct Found {
    etag: String,
    raw: Bytes,
    br: Option<Bytes>,
    gzip: Option<Bytes>,
}

impl Site {
    /// The site this binary serves: its own, or `site_root` on disk when it has none.
    pub fn for_root(site_root: &str) -> Site {
        if embedded::EMBEDDED {
            Site::Embedded {
                version: embedded::PKG_VERSION,
                files: embedded::FILES,
            }
        } else {
            Site::Disk {
                root: PathBuf::from(site_root),
            }
        }
    }

    /// Whether the files are inside the binary.
    pub fn is_embedded(&self) -> bool {
        matches!(self, Site::Embedded { .. })
    }

    /// The bundle's version, the directory its files are served under.
    pub fn version(&self) -> &str {
        match self {
            Site::Embedded { version, .. } => version,
            Site::Disk { .. } => "dev",
        }
    }

    /// The bundle's directory as pages name it (`pkg/<version>`), for `LeptosOptions`.
    pub fn pkg_dir(&self) -> String {
        format!("pkg/{}", self.version())
    }

    /// The caching a bundle file may have.
    fn bundle_caching(&self) -> &'static str {
        match self {
            Site::Embedded { .. } => IMMUTABLE,
            Site::Disk { .. } => REVALIDATE,
        }
    }

    /// The code-splitting manifest (`__wasm_split_manifest.json`: which chunk files each
    /// lazily loaded part needs), when the bundle was split.
    pub fn split_manifest(&self) -> Option<HashMap<String, Vec<String>>> {
        let text = match self {
            Site::Embedded { files, .. } => files
                .iter()
                .find(|f| f.path == "pkg/__wasm_split_manifest.json")
                .map(|f| String::from_utf8_lossy(f.raw).into_owned())?,
            Site::Disk { root } => {
                std::fs::read_to_string(root.join("pkg/__wasm_split_manifest.json")).ok()?
            }
        };
        match serde_json::from_str(&text) {
            Ok(manifest) => Some(manifest),
            Err(err) => {
                tracing::error!(error = %err, "unreadable code-splitting manifest");
                None
            }
        }
    }

    /// The file at `path` (relative to the site root), if there is one.
    async fn find(&self, path: &str) -> Option<Found> {
        if path
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
            || path.ends_with(".br")
            || path.ends_with(".gz")
        {
            return None;
        }
        match self {
            Site::Embedded { files, .. } => {
                let file = files.iter().find(|f| f.path == path)?;
                Some(Found {
                    etag: file.etag.to_string(),
                    raw: Bytes::from_static(file.raw),
                    br: file.br.map(Bytes::from_static),
                    gzip: file.gzip.map(Bytes::from_static),
                })
            }
            Site::Disk { root } => {
                let full = root.join(path);
                let meta = tokio::fs::metadata(&full).await.ok()?;
                if !meta.is_file() {
                    return None;
                }
                let raw = Bytes::from(tokio::fs::read(&full).await.ok()?);
                let modified = meta
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                let copy = |suffix: &'static str| {
                    let path = PathBuf::from(format!("{}.{suffix}", full.display()));
                    let size = raw.len();
                    async move {
                        let bytes = tokio::fs::read(&path).await.ok()?;
                        (bytes.len() < size).then(|| Bytes::from(bytes))
                    }
                };
                Some(Found {
                    etag: format!("{:x}-{modified:x}", raw.len()),
                    br: copy("br").await,
                    gzip: copy("gz").await,
                    raw,
                })
            }
        }
    }
}

/// `GET /pkg/<version>/<file>`: a file of the bundle, if `version` is this server's.
pub async fn bundle(site: Site, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let Some(rest) = path.strip_prefix("/pkg/") else {
        return not_found();
    };
    let Some((version, file)) = rest.split_once('/') else {
        return not_found();
    };
    if version != site.version() {
        return not_found();
    }
    match site.find(&format!("pkg/{file}")).await {
        Some(found) => answer(
            found,
            &path,
            site.bundle_caching(),
            request.method(),
            request.headers(),
        ),
        None => not_found(),
    }
}

/// A public file of the site at `path` (`/favicon.svg`), when there is one and the request
/// may have it; `None` for everything else.
pub async fn public_file(
    site: &Site,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
) -> Option<Response> {
    if !matches!(*method, Method::GET | Method::HEAD) {
        return None;
    }
    let relative = path.strip_prefix('/')?;
    if relative.is_empty() || relative.starts_with("pkg/") {
        return None;
    }
    let found = site.find(relative).await?;
    Some(answer(found, path, REVALIDATE, method, headers))
}

/// A 404 for a file that is not (or no longer) here; never cached, so the address works
/// again once the file exists.
pub fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
        ],
        "Not found",
    )
        .into_response()
}

/// The answer for `found`: 304 when the browser has it already, else its bytes in the
/// best encoding the browser accepts.
fn answer(
    found: Found,
    path: &str,
    caching: &'static str,
    method: &Method,
    headers: &HeaderMap,
) -> Response {
    let etag = format!("\"{}\"", found.etag);
    let compressed = found.br.is_some() || found.gzip.is_some();
    let mut response = if if_none_match(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let (encoding, body) = match choose_encoding(headers, &found) {
            Encoding::Brotli => (Some("br"), found.br.expect("chosen only when present")),
            Encoding::Gzip => (Some("gzip"), found.gzip.expect("chosen only when present")),
            Encoding::Identity => (None, found.raw),
        };
        let length = body.len();
        let body = if *method == Method::HEAD {
            Body::empty()
        } else {
            Body::from(body)
        };
        let mut response = Response::new(body);
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, content_type(path));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
        if let Some(encoding) = encoding {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        response
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(caching));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, etag);
    }
    if compressed {
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// Whether `If-None-Match` names `etag` (or is `*`).
fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*")
}

#[derive(Debug, PartialEq, Eq)]
enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

/// The encoding to send `found` in: the one the browser prefers (by q-value; brotli on a
/// tie) among the copies there are.
fn choose_encoding(headers: &HeaderMap, found: &Found) -> Encoding {
    let mut best = (Encoding::Identity, 0.0f32);
    for value in headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
    {
        for item in value.split(',') {
            let mut parts = item.split(';');
            let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| p.trim().strip_prefix("q="))
                .find_map(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let candidate = match name.as_str() {
                "br" if found.br.is_some() => Encoding::Brotli,
                "gzip" if found.gzip.is_some() => Encoding::Gzip,
                _ => continue,
            };
            let better = q > best.1 || (q == best.1 && q > 0.0 && candidate == Encoding::Brotli);
            if q > 0.0 && better {
                best = (candidate, q);
            }
        }
    }
    best.0
}

/// The `Content-Type` for a file, by its extension.
fn content_type(path: &str) -> HeaderValue {
    let extension = path.rsplit_once('.').map_or("", |(_, e)| e);
    HeaderValue::from_static(match extension {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "ico" => "image/x-icon",
        "png" => "image/png",
        "txt" => "text/plain; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(br: bool, gzip: bool) -> Found {
        Found {
            etag: "e".into(),
            raw: Bytes::from_static(b"raw"),
            br: br.then(|| Bytes::from_static(b"b")),
            gzip: gzip.then(|| Bytes::from_static(b"g")),
        }
    }

    fn accepting(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT_ENCODING, value.parse().unwrap());
        headers
    }

    #[test]
    fn the_browser_gets_the_best_copy_it_accepts() {
        let both = found(true, true);
        assert_eq!(
            choose_encoding(&accepting("gzip, deflate, br"), &both),
            Encoding::Brotli
        );
        assert_eq!(
            choose_encoding(&accepting("br;q=0.5, gzip"), &both),
            Encoding::Gzip
        );
        assert_eq!(choose_encoding(&accepting("gzip"), &both), Encoding::Gzip);
        assert_eq!(
            choose_encoding(&accepting("br;q=0, gzip;q=0"), &both),
            Encoding::Identity
        );
        assert_eq!(
            choose_encoding(&accepting("identity"), &both),
            Encoding::Identity
        );
        assert_eq!(
            choose_encoding(&HeaderMap::new(), &both),
            Encoding::Identity
        );
        assert_eq!(
            choose_encoding(&accepting("br"), &found(false, true)),
            Encoding::Identity
        );
        assert_eq!(
            choose_encoding(&accepting("br, gzip"), &found(false, true)),
            Encoding::Gzip
        );
    }

    #[test]
    fn a_known_etag_is_not_sent_again() {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, "\"a\", W/\"b\"".parse().unwrap());
        assert!(if_none_match(&headers, "\"b\""));
        assert!(!if_none_match(&headers, "\"c\""));
    }

    #[tokio::test]
    async fn no_path_leaves_the_site() {
        let site = Site::Disk {
            root: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
        };
        for path in [
            "../Cargo.toml",
            "pkg/../Cargo.toml",
            "/etc/passwd",
            "src//lib.rs",
            "Cargo.toml.gz",
        ] {
            assert!(site.find(path).await.is_none(), "{path}");
        }
        assert!(site.find("Cargo.toml").await.is_some());
    }
}
