//! The OpenAPI document and the Swagger UI that reads it, both served from the binary
//! (`/api/docs/schema/`, `/api/docs/schema/ui/`). The UI's files are compiled in, so the
//! page works on a machine with no internet.

mod ui;

use crate::AppState;
use crate::error::{ApiError, FieldErrorsSchema};
use crate::extract::QueryParams;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::{ACCEPT, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Where the UI fetches the document from.
const SCHEMA_JSON_URL: &str = "/api/docs/schema/?format=json";

/// drf-spectacular's media types, as the original served them.
const YAML: &str = "application/vnd.oai.openapi; charset=utf-8";
const JSON: &str = "application/vnd.oai.openapi+json";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(schema))
        .routes(routes!(ui::ui_page))
        .routes(routes!(ui::ui_file))
}

/// The document rendered once in both formats, and the UI's files.
pub struct ApiDocs {
    yaml: Bytes,
    json: Bytes,
    ui: ui::UiFiles,
}

impl ApiDocs {
    pub fn new(document: &utoipa::openapi::OpenApi) -> anyhow::Result<Self> {
        Ok(Self {
            yaml: document.to_yaml()?.into(),
            json: document.to_pretty_json()?.into(),
            ui: ui::UiFiles::new(SCHEMA_JSON_URL)?,
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
    let headers = [
        (CONTENT_TYPE, content_type),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
    ];
    Ok((headers, body).into_response())
}

/// `Accept` names JSON (`application/json`, or the OpenAPI flavour of it) and not YAML;
/// a type with `q=0` is one the client refuses.
fn accepts_json(headers: &HeaderMap) -> bool {
    let accepted = crate::negotiate::accepted(headers, ACCEPT);
    let json = accepted
        .iter()
        .any(|t| t == "application/json" || t == "application/vnd.oai.openapi+json");
    let yaml = accepted
        .iter()
        .any(|t| t == "application/vnd.oai.openapi" || t.ends_with("yaml"));
    json && !yaml
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

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
        assert!(!accepts_json(&headers("application/json;q=0")));
        assert!(!accepts_json(&headers("*/*")));
        assert!(!accepts_json(&headers(
            "application/yaml, application/json"
        )));
        assert!(!accepts_json(&HeaderMap::new()));
    }
}
