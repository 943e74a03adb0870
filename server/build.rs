//! Embeds the built site (`target/site`: the WebAssembly bundle, its JavaScript, the
//! stylesheet and the public files) into release builds of the server, so the `baton`
//! binary serves its site from itself.
//!
//! Release builds (`cargo leptos build --release --precompress`, which builds the
//! site before the server) embed every file with the `.br` and `.gz` copies cargo-leptos
//! wrote beside it, and name the bundle's directory after a hash of its contents
//! (`/pkg/<version>/…`), so its files can be cached for good. Debug builds embed nothing
//! and serve `target/site` from disk (`/pkg/dev/…`), so a rebuilt bundle is picked up
//! without rebuilding the server. `BATON_EMBED_SITE=0|1` overrides the choice;
//! `BATON_SITE_DIR` names another site directory.

use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-env-changed=BATON_EMBED_SITE");
    println!("cargo:rerun-if-env-changed=BATON_SITE_DIR");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let release = std::env::var("PROFILE").as_deref() == Ok("release");
    let embed = match std::env::var("BATON_EMBED_SITE").as_deref() {
        Ok("1") => true,
        Ok("0") => false,
        _ => release,
    };
    let site = std::env::var("BATON_SITE_DIR").map_or_else(
        |_| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/site"),
        PathBuf::from,
    );
    let code = if embed {
        println!("cargo:rerun-if-changed={}", site.display());
        embedded(&site)
    } else {
        None
    };
    let code = code.unwrap_or_else(|| {
        "pub const EMBEDDED: bool = false;\n\
         pub const PKG_VERSION: &str = \"dev\";\n\
         pub static FILES: &[EmbeddedFile] = &[];\n"
            .to_string()
    });
    std::fs::write(out.join("site.rs"), code).expect("write site.rs");
}

/// The Rust source of the embedded site, or `None` (with a warning) when there is none.
fn embedded(site: &Path) -> Option<String> {
    let mut files = Vec::new();
    collect(site, site, &mut files);
    files.sort();
    if !files.iter().any(|f| f == "pkg/baton.wasm") {
        println!(
            "cargo:warning=no site at {} to embed: this server will serve target/site from \
             disk (build with `cargo leptos build --release --precompress`)",
            site.display()
        );
        return None;
    }
    let mut version = Sha256::new();
    let mut entries = String::new();
    for name in &files {
        let path = site.join(name);
        let raw = std::fs::read(&path).expect("read a site file");
        let digest = Sha256::digest(&raw);
        if name.starts_with("pkg/") {
            version.update(name.as_bytes());
            version.update([0]);
            version.update(digest);
        }
        let etag = hex(&digest[..12]);
        let encoded = |suffix: &str| {
            let copy = site.join(format!("{name}.{suffix}"));
            match std::fs::metadata(&copy) {
                // Only a copy that is smaller is worth sending.
                Ok(meta) if (meta.len() as usize) < raw.len() => {
                    format!("Some(include_bytes!({:?}))", copy.display().to_string())
                }
                _ => "None".to_string(),
            }
        };
        let _ = writeln!(
            entries,
            "    EmbeddedFile {{ path: {name:?}, etag: {etag:?}, raw: include_bytes!({:?}), \
             br: {}, gzip: {} }},",
            path.display().to_string(),
            encoded("br"),
            encoded("gz"),
        );
    }
    let version = hex(&version.finalize()[..8]);
    Some(format!(
        "pub const EMBEDDED: bool = true;\n\
         pub const PKG_VERSION: &str = {version:?};\n\
         pub static FILES: &[EmbeddedFile] = &[\n{entries}];\n"
    ))
}

/// Every file under `dir` (relative to `root`, `/`-separated), but the compressed copies
/// and the TypeScript declarations.
fn collect(root: &Path, dir: &Path, files: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, files);
            continue;
        }
        let name = path
            .strip_prefix(root)
            .expect("under the root")
            .to_string_lossy()
            .replace('\\', "/");
        if name.ends_with(".br") || name.ends_with(".gz") || name.ends_with(".d.ts") {
            continue;
        }
        files.push(name);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
