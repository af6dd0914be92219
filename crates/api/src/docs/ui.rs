//! Swagger UI, from files compiled into the binary (utoipa-swagger-ui's vendored copy): the
//! page and what it loads, prepared once at start-up, each with an `ETag`, so browsers
//! revalidate cheaply and never mix files of two versions.

use crate::AppState;
use crate::error::{ApiError, Detail};
use crate::extract::PathParam;
use crate::openapi::FileBytes;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, X_CONTENT_TYPE_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use utoipa_swagger_ui::Config;

/// The page and what it loads. Swagger UI's other files (other bundles, the OAuth redirect
/// page) are not used by this page and are not served.
const FILES: [&str; 8] = [
    "index.html",
    "index.css",
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js",
    "swagger-initializer.js",
    "favicon-32x32.png",
    "favicon-16x16.png",
];

/// Swagger UI's bundle sets styles inline and draws icons from `data:` URLs; everything
/// else comes from this server.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'self'; \
    frame-ancestors 'none'";

/// The page names its files relative to itself; opened as `/api/docs/schema/ui` (which the
/// router also answers) they would be looked for one level up.
const BASE: &str = "<head>\n    <base href=\"/api/docs/schema/ui/\">";

/// The UI's files, ready to send.
pub struct UiFiles(HashMap<&'static str, UiFile>);

struct UiFile {
    bytes: Bytes,
    content_type: &'static str,
    etag: HeaderValue,
}

impl UiFiles {
    /// The files of a UI that reads the document at `document_url`.
    pub fn new(document_url: &str) -> anyhow::Result<Self> {
        let config = Config::new([document_url])
            // A token typed into "Authorize" lasts as long as the page, out of storage.
            .persist_authorization(false)
            // The default sends the document's address to validator.swagger.io.
            .validator_url("none");
        let config = Arc::new(config);
        let mut files = HashMap::new();
        for name in FILES {
            let found = utoipa_swagger_ui::serve(name, config.clone())
                .map_err(|e| anyhow::anyhow!("swagger ui: {e}"))?
                .ok_or_else(|| anyhow::anyhow!("swagger ui has no {name}"))?;
            anyhow::ensure!(!found.gzpipped, "{name} is compressed; it is served as is");
            let mut bytes = found.bytes.into_owned();
            if name == "index.html" {
                bytes = String::from_utf8_lossy(&bytes)
                    .replacen("<head>", BASE, 1)
                    .into_bytes();
            }
            files.insert(name, UiFile::new(name, bytes)?);
        }
        Ok(Self(files))
    }

    #[cfg(test)]
    fn text(&self, name: &str) -> String {
        String::from_utf8_lossy(&self.0[name].bytes).into_owned()
    }
}

impl UiFile {
    fn new(name: &str, bytes: Vec<u8>) -> anyhow::Result<Self> {
        let content_type = match name.rsplit('.').next() {
            Some("html") => "text/html; charset=utf-8",
            Some("css") => "text/css; charset=utf-8",
            Some("js") => "text/javascript; charset=utf-8",
            _ => "image/png",
        };
        let mut hasher = DefaultHasher::new();
        bytes.hash(&mut hasher);
        let etag = HeaderValue::from_str(&format!("\"{:016x}\"", hasher.finish()))?;
        Ok(Self {
            bytes: Bytes::from(bytes),
            content_type,
            etag,
        })
    }

    fn response(&self, request: &HeaderMap) -> Response {
        let etag = self.etag.to_str().unwrap_or_default();
        let unchanged = crate::negotiate::unchanged(request, etag);
        let mut response = if unchanged {
            StatusCode::NOT_MODIFIED.into_response()
        } else {
            self.bytes.clone().into_response()
        };
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(POLICY));
        headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        // Names do not change with versions: always revalidate, which the tag makes cheap.
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.insert(ETAG, self.etag.clone());
        response
    }
}

/// Swagger UI, showing this document. "Authorize" takes an access token from
/// `POST /api/token/`.
#[utoipa::path(
    get, path = "/api/docs/schema/ui/", tag = "documentation", security(()),
    responses(
        (status = 200, description = "The Swagger UI page", content_type = "text/html", body = String),
        (status = 304, description = "Not modified since the `ETag` given in `If-None-Match`"),
    )
)]
pub(super) async fn ui_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    state.docs.ui.0["index.html"].response(&headers)
}

/// The files the Swagger UI page loads.
#[utoipa::path(
    get, path = "/api/docs/schema/ui/{file}/", tag = "documentation", security(()),
    params(("file" = String, Path, description = "One of the page's files",
        example = "swagger-ui.css", pattern = r"^(index\.css|swagger-ui\.css|swagger-ui-bundle\.js|swagger-ui-standalone-preset\.js|swagger-initializer\.js|favicon-32x32\.png|favicon-16x16\.png)$")),
    responses(
        (status = 200, description = "The file", content(
            (String = "text/css"), (String = "text/javascript"), (FileBytes = "image/png"),
        )),
        (status = 304, description = "Not modified since the `ETag` given in `If-None-Match`"),
        (status = 404, body = Detail),
    )
)]
pub(super) async fn ui_file(
    State(state): State<AppState>,
    PathParam(file): PathParam<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    // The page itself is served at `ui/` only.
    match state.docs.ui.0.get(file.as_str()) {
        Some(found) if file != "index.html" => Ok(found.response(&headers)),
        _ => Err(ApiError::NotFound),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header::IF_NONE_MATCH;

    #[test]
    fn the_page_loads_only_files_that_are_served_and_reads_the_given_document() {
        let files = UiFiles::new("/api/docs/schema/?format=json").unwrap();
        let page = files.text("index.html");
        for name in FILES.iter().filter(|n| **n != "index.html") {
            assert!(page.contains(name), "index.html no longer loads {name}");
            assert!(!files.0[name].bytes.is_empty(), "{name}");
        }
        assert!(page.contains(BASE), "{page}");
        let init = files.text("swagger-initializer.js");
        assert!(init.contains("/api/docs/schema/?format=json"), "{init}");
        assert!(init.contains("\"validatorUrl\": \"none\""), "{init}");
    }

    #[test]
    fn the_document_names_exactly_the_files_served() {
        let doc = serde_json::to_value(crate::openapi()).unwrap();
        let file = &doc["paths"]["/api/docs/schema/ui/{file}/"]["get"]["parameters"][0];
        let pattern = file["schema"]["pattern"].as_str().unwrap();
        let listed = pattern.trim_start_matches("^(").trim_end_matches(")$");
        let mut documented: Vec<String> =
            listed.split('|').map(|f| f.replace(r"\.", ".")).collect();
        documented.sort();
        let mut served: Vec<&str> = FILES.into_iter().filter(|f| *f != "index.html").collect();
        served.sort();
        assert_eq!(documented, served);
    }

    #[test]
    fn a_file_the_browser_has_is_not_sent_again() {
        let files = UiFiles::new("/doc.json").unwrap();
        let css = &files.0["swagger-ui.css"];
        let fresh = css.response(&HeaderMap::new());
        assert_eq!(fresh.status(), StatusCode::OK);
        let mut cached = HeaderMap::new();
        cached.insert(IF_NONE_MATCH, fresh.headers()[ETAG].clone());
        assert_eq!(css.response(&cached).status(), StatusCode::NOT_MODIFIED);
        let mut stale = HeaderMap::new();
        stale.insert(IF_NONE_MATCH, HeaderValue::from_static("\"0\""));
        assert_eq!(css.response(&stale).status(), StatusCode::OK);
    }
}
