//! The OpenAPI document and the Swagger UI that reads it, both served from the binary
//! (`/api/docs/schema/`, `/api/docs/schema/ui/`). The UI's files are compiled in, so the
//! page works on a machine with no internet.

use crate::AppState;
use crate::error::{ApiError, Detail, FieldErrorsSchema};
use crate::extract::{PathParam, QueryParams};
use crate::openapi::FileBytes;
use axum::extract::State;
use axum::http::header::{ACCEPT, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::sync::Arc;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::Config;

/// Where the UI fetches the document from.
const SCHEMA_JSON_URL: &str = "/api/docs/schema/?format=json";

/// drf-spectacular's media types, as the original served them.
const YAML: &str = "application/vnd.oai.openapi; charset=utf-8";
const JSON: &str = "application/vnd.oai.openapi+json";

/// The UI's page and what it loads. Swagger UI's other files (other bundles, the OAuth
/// redirect page) are not used by this page and are not served.
const UI_FILES: [&str; 7] = [
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
const UI_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'self'; \
    frame-ancestors 'none'";

/// The page names its files relative to itself; opened as `/api/docs/schema/ui` (which the
/// router also answers) they would be looked for one level up.
const UI_BASE: &str = "<head>\n    <base href=\"/api/docs/schema/ui/\">";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(schema))
        .routes(routes!(ui_page))
        .routes(routes!(ui_file))
}

/// The document rendered once, in both formats, and the UI's settings.
pub struct ApiDocs {
    yaml: String,
    json: String,
    ui: Arc<Config<'static>>,
}

impl ApiDocs {
    pub fn new(document: &utoipa::openapi::OpenApi) -> anyhow::Result<Self> {
        // Kept out of the browser's storage: a token typed into "Authorize" lasts as long
        // as the page.
        let ui = Config::new([SCHEMA_JSON_URL]).persist_authorization(false);
        Ok(Self {
            yaml: document.to_yaml()?,
            json: document.to_pretty_json()?,
            ui: Arc::new(ui),
        })
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SchemaQuery {
    /// `yaml` (the default) or `json`. Without it, `Accept: application/json` also
    /// selects JSON.
    #[param(pattern = "^(json|yaml)$")]
    format: Option<String>,
}

/// This document: YAML, or JSON with `?format=json` or `Accept: application/json`.
#[utoipa::path(
    get, path = "/api/docs/schema/", tag = "documentation", security(()),
    params(SchemaQuery),
    responses(
        (status = 200, description = "The OpenAPI document", content(
            (serde_json::Value = "application/vnd.oai.openapi"),
            (serde_json::Value = "application/vnd.oai.openapi+json"),
        )),
        (status = 400, description = "A `format` other than `json` or `yaml`", body = FieldErrorsSchema),
    )
)]
async fn schema(
    State(state): State<AppState>,
    QueryParams(query): QueryParams<SchemaQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let json = match query.format.as_deref() {
        Some("json") => true,
        Some("yaml") => false,
        Some(other) => {
            let sentence = format!("\"{other}\" is not a valid choice.");
            return Err(ApiError::field("format", sentence));
        }
        None => accepts_json(&headers),
    };
    let docs = &state.docs;
    let (body, content_type) = if json {
        (docs.json.clone(), JSON)
    } else {
        (docs.yaml.clone(), YAML)
    };
    Ok(([(CONTENT_TYPE, content_type)], body).into_response())
}

/// `Accept` names JSON (`application/json`, or the OpenAPI flavour of it) and not YAML.
fn accepts_json(headers: &HeaderMap) -> bool {
    let accept = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .collect::<Vec<_>>();
    let json = accept
        .iter()
        .any(|t| t == "application/json" || t == "application/vnd.oai.openapi+json");
    let yaml = accept
        .iter()
        .any(|t| t == "application/vnd.oai.openapi" || t.ends_with("yaml"));
    json && !yaml
}

/// Swagger UI, showing this document. "Authorize" takes an access token from
/// `POST /api/token/`.
#[utoipa::path(
    get, path = "/api/docs/schema/ui/", tag = "documentation", security(()),
    responses((status = 200, description = "The Swagger UI page", content_type = "text/html", body = String))
)]
async fn ui_page(State(state): State<AppState>) -> Result<Response, ApiError> {
    ui_response(&state, "index.html")
}

/// The files the Swagger UI page loads.
#[utoipa::path(
    get, path = "/api/docs/schema/ui/{file}/", tag = "documentation", security(()),
    params(("file" = String, Path, description = "One of the page's files",
        example = "swagger-ui.css", pattern = r"^(index\.css|swagger-ui\.css|swagger-ui-bundle\.js|swagger-ui-standalone-preset\.js|swagger-initializer\.js|favicon-(16x16|32x32)\.png)$")),
    responses(
        (status = 200, description = "The file", content(
            (String = "text/css"), (String = "text/javascript"), (FileBytes = "image/png"),
        )),
        (status = 404, body = Detail),
    )
)]
async fn ui_file(
    State(state): State<AppState>,
    PathParam(file): PathParam<String>,
) -> Result<Response, ApiError> {
    if !UI_FILES.contains(&file.as_str()) {
        return Err(ApiError::NotFound);
    }
    ui_response(&state, &file)
}

fn ui_response(state: &AppState, file: &str) -> Result<Response, ApiError> {
    let found = utoipa_swagger_ui::serve(file, state.docs.ui.clone())
        .map_err(|error| ApiError::internal(anyhow::anyhow!("swagger ui: {error}")))?
        .ok_or(ApiError::NotFound)?;
    let content_type = match file.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        _ => "image/png",
    };
    let mut bytes = found.bytes.into_owned();
    if file == "index.html" {
        bytes = String::from_utf8_lossy(&bytes)
            .replacen("<head>", UI_BASE, 1)
            .into_bytes();
    }
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(UI_POLICY));
    // The files change only with the binary; the page itself is cheap to fetch again.
    let cache = if file == "index.html" || file == "swagger-initializer.js" {
        "no-cache"
    } else {
        "public, max-age=3600"
    };
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(accept: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_str(accept).unwrap());
        headers
    }

    #[test]
    fn json_is_chosen_only_when_asked_for_without_yaml() {
        assert!(accepts_json(&headers("application/json")));
        assert!(accepts_json(&headers(
            "application/vnd.oai.openapi+json;q=0.9"
        )));
        assert!(!accepts_json(&headers("*/*")));
        assert!(!accepts_json(&headers(
            "application/yaml, application/json"
        )));
        assert!(!accepts_json(&HeaderMap::new()));
    }

    #[test]
    fn every_file_the_page_loads_is_compiled_in() {
        let docs = ApiDocs::new(&crate::openapi()).unwrap();
        for file in UI_FILES.iter().chain(&["index.html"]) {
            let found = utoipa_swagger_ui::serve(file, docs.ui.clone()).unwrap();
            assert!(found.is_some_and(|f| !f.bytes.is_empty()), "{file}");
        }
        let page = utoipa_swagger_ui::serve("index.html", docs.ui.clone())
            .unwrap()
            .unwrap();
        let page = String::from_utf8(page.bytes.into_owned()).unwrap();
        for file in UI_FILES {
            assert!(page.contains(file), "index.html no longer loads {file}");
        }
    }

    #[test]
    fn the_ui_reads_the_served_document() {
        let docs = ApiDocs::new(&crate::openapi()).unwrap();
        let init = utoipa_swagger_ui::serve("swagger-initializer.js", docs.ui.clone())
            .unwrap()
            .unwrap();
        let init = String::from_utf8(init.bytes.into_owned()).unwrap();
        assert!(init.contains(SCHEMA_JSON_URL), "{init}");
    }
}
