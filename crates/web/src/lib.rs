//! pingme's web client as the server holds it: the served files of `web/` (compiled into the
//! binary, or read from a directory while developing), each with its media type, a gzip copy
//! when that is smaller, and an ETag; all of them under one fingerprint, the first hex digits
//! of a hash over every file, so that their URLs (`/assets/<fingerprint>/app/main.js`) can be
//! cached for a year and change with any file. HTTP itself is the API crate's business.
#![forbid(unsafe_code)]

use bytes::Bytes;
use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write as _;
use std::path::Path;

include!("select.rs");

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/files.rs"));
}

/// Where the page's references to the other files point; replaced by `/assets/<fingerprint>`.
const ASSETS_PLACEHOLDER: &str = "{{assets}}";

/// One file, ready to send.
#[derive(Clone)]
pub struct Asset {
    pub body: Bytes,
    /// The body gzipped, when that is smaller.
    pub gzip: Option<Bytes>,
    /// A strong ETag, quoted: the hash of the body.
    pub etag: String,
    pub content_type: &'static str,
}

/// The whole client.
pub struct WebClient {
    fingerprint: String,
    index: Asset,
    files: HashMap<String, Asset>,
}

impl std::fmt::Debug for WebClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebClient")
            .field("fingerprint", &self.fingerprint)
            .field("files", &self.files.len())
            .finish()
    }
}

impl WebClient {
    /// The files compiled into this binary.
    pub fn embedded() -> Self {
        Self::new(
            embedded::FILES
                .iter()
                .map(|(name, body)| (name.to_string(), Bytes::from_static(body))),
        )
    }

    /// The files of a `web/` directory, read once (`PINGME_WEB_DIR`, for working on the client
    /// without rebuilding the server).
    pub fn from_dir(root: &Path) -> std::io::Result<Self> {
        let mut files = Vec::new();
        for (name, path) in served_files(root)? {
            files.push((name, Bytes::from(std::fs::read(path)?)));
        }
        if !files.iter().any(|(name, _)| name == "index.html") {
            let missing = format!("{} has no index.html", root.display());
            return Err(std::io::Error::new(std::io::ErrorKind::NotFound, missing));
        }
        Ok(Self::new(files.into_iter()))
    }

    fn new(files: impl Iterator<Item = (String, Bytes)>) -> Self {
        let mut files: Vec<(String, Bytes)> = files.collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        let fingerprint = fingerprint(&files);
        let prefix = format!("/assets/{fingerprint}");
        let mut index = None;
        let mut assets = HashMap::new();
        for (name, body) in files {
            if name == "index.html" {
                let page = String::from_utf8_lossy(&body).replace(ASSETS_PLACEHOLDER, &prefix);
                index = Some(asset(&name, Bytes::from(page)));
            } else {
                assets.insert(name.clone(), asset(&name, body));
            }
        }
        Self {
            fingerprint,
            index: index.unwrap_or_else(|| asset("index.html", Bytes::from_static(b""))),
            files: assets,
        }
    }

    /// The page every client route loads.
    pub fn index(&self) -> &Asset {
        &self.index
    }

    /// The file at `rest` of `/assets/<rest>`: `<fingerprint>/<name>`. Another fingerprint
    /// finds nothing: a page of an older version must not cache this version's files under
    /// its own, immutable, URLs.
    pub fn asset(&self, rest: &str) -> Option<&Asset> {
        let (fingerprint, name) = rest.split_once('/')?;
        if fingerprint != self.fingerprint {
            return None;
        }
        self.files.get(name)
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// What a browser downloads for the whole client, compressed where it would be.
    pub fn transfer_size(&self) -> usize {
        std::iter::once(&self.index)
            .chain(self.files.values())
            .map(|a| a.gzip.as_ref().unwrap_or(&a.body).len())
            .sum()
    }
}

fn fingerprint(files: &[(String, Bytes)]) -> String {
    let mut hash = Sha256::new();
    for (name, body) in files {
        hash.update((name.len() as u64).to_le_bytes());
        hash.update(name.as_bytes());
        hash.update((body.len() as u64).to_le_bytes());
        hash.update(body);
    }
    hex(&hash.finalize()[..6])
}

fn asset(name: &str, body: Bytes) -> Asset {
    let content_type = content_type(name);
    let etag = format!("\"{}\"", hex(&Sha256::digest(&body)[..12]));
    let gzip = if content_type.starts_with("image/png") {
        None
    } else {
        gzip(&body).filter(|packed| packed.len() < body.len())
    };
    Asset {
        body,
        gzip,
        etag,
        content_type,
    }
}

fn gzip(body: &[u8]) -> Option<Bytes> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(body).ok()?;
    encoder.finish().ok().map(Bytes::from)
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "webmanifest" => "application/manifest+json",
        _ => "application/octet-stream",
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_points_at_the_fingerprinted_files() {
        let client = WebClient::embedded();
        let page = String::from_utf8_lossy(&client.index().body).into_owned();
        let prefix = format!("/assets/{}/", client.fingerprint());
        assert!(page.contains(&prefix), "{page}");
        assert!(!page.contains(ASSETS_PLACEHOLDER));
        let main = format!("{}/app/main.js", client.fingerprint());
        assert!(client.asset(&main).is_some());
        assert!(client.asset("000000000000/app/main.js").is_none());
    }

    #[test]
    fn only_what_the_browser_loads_is_embedded() {
        let client = WebClient::embedded();
        for name in client.files.keys() {
            assert!(
                !name.starts_with("test/") && !name.ends_with(".d.mts") && !name.ends_with(".json"),
                "{name} is served"
            );
        }
    }

    /// The budget: the whole client under 150 KB compressed.
    #[test]
    fn the_whole_client_is_under_150_kb_compressed() {
        let size = WebClient::embedded().transfer_size();
        assert!(size < 150_000, "the client is {size} bytes compressed");
    }

    #[test]
    fn reading_the_directory_gives_the_embedded_client() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
        let read = WebClient::from_dir(&root).expect("web/");
        assert_eq!(read.fingerprint(), WebClient::embedded().fingerprint());
    }

    #[test]
    fn a_directory_without_a_page_is_refused() {
        let empty = std::env::temp_dir();
        let dir = empty.join(format!("pingme-web-empty-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a directory");
        assert!(WebClient::from_dir(&dir).is_err());
        let _ = std::fs::remove_dir(&dir);
    }
}
