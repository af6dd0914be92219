//! Request bodies in the three encodings the original accepted wherever a client may send
//! them — JSON, form-encoded and multipart — read into one shape: named values, plus the
//! uploaded files of a multipart body. Handlers then pull typed values out with
//! [`crate::fields::Fields`], whatever the encoding was.

use crate::AppState;
use crate::body_deadline::timed_out;
use crate::error::{ApiError, NON_FIELD};
use axum::body::Bytes;
use axum::extract::multipart::Field;
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use bytes::BytesMut;
use serde_json::{Map, Value};

/// One file part of a multipart body.
#[derive(Debug)]
pub struct Upload {
    pub field: String,
    pub file_name: String,
    /// Empty when the part was over the upload limit.
    pub bytes: Bytes,
    /// The part was larger than `PINGME_MAX_UPLOAD_BYTES`: the rest of it was read and
    /// dropped, never held in memory.
    pub oversized: bool,
}

/// A parsed request body. Form and multipart values arrive as JSON strings.
#[derive(Debug, Default)]
pub struct Input {
    pub values: Map<String, Value>,
    pub files: Vec<Upload>,
}

impl FromRequest<AppState> for Input {
    type Rejection = ApiError;

    /// The size limit itself is [`axum::extract::DefaultBodyLimit`], set on the router from
    /// the same configured value, so every extractor obeys it; here it names the figure.
    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let limit = state.config.max_body_bytes;
        let declared = request
            .headers()
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        // Refused before a byte of the body is read.
        if declared.is_some_and(|length| length > limit as u64) {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/json" => json(read(request, state, limit).await?),
            "application/x-www-form-urlencoded" => form(read(request, state, limit).await?),
            "multipart/form-data" => multipart(request, state).await,
            "" => {
                let body = read(request, state, limit).await?;
                if body.is_empty() {
                    Ok(Self::default())
                } else {
                    Err(ApiError::UnsupportedMediaType(String::new()))
                }
            }
            _ => Err(ApiError::UnsupportedMediaType(content_type)),
        }
    }
}

async fn read<S: Send + Sync>(
    request: Request,
    state: &S,
    limit: usize,
) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(limit)
            } else if timed_out(&rejection) {
                ApiError::RequestTimeout
            } else {
                ApiError::BadRequest(format!(
                    "Could not read the request body: {}",
                    rejection.body_text()
                ))
            }
        })
}

fn json(body: Bytes) -> Result<Input, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Input::default());
    }
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("JSON parse error - {e}")))?;
    match value {
        Value::Object(values) => Ok(Input {
            values,
            files: Vec::new(),
        }),
        other => Err(ApiError::field(
            NON_FIELD,
            format!(
                "Invalid data. Expected a dictionary, but got {}.",
                json_kind(&other)
            ),
        )),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

fn form(body: Bytes) -> Result<Input, ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|e| ApiError::BadRequest(format!("Form parse error - {e}")))?;
    let values = pairs
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    Ok(Input {
        values,
        files: Vec::new(),
    })
}

async fn multipart(request: Request, state: &AppState) -> Result<Input, ApiError> {
    let limit = state.config.max_body_bytes;
    let mut parts = Multipart::from_request(request, state).await.map_err(|e| {
        ApiError::BadRequest(format!("Multipart form parse error - {}", e.body_text()))
    })?;
    let mut input = Input::default();
    while let Some(part) = parts
        .next_field()
        .await
        .map_err(|e| multipart_error(e, limit))?
    {
        let field = part.name().unwrap_or_default().to_owned();
        match part.file_name().map(str::to_owned) {
            Some(file_name) => {
                let upload = read_file(part, field, file_name, state.config.max_upload_bytes)
                    .await
                    .map_err(|e| multipart_error(e, limit))?;
                // A browser sends an empty, nameless part for a file input left empty:
                // no file was chosen (Django drops these too).
                if !(upload.file_name.is_empty() && upload.bytes.is_empty() && !upload.oversized) {
                    input.files.push(upload);
                }
            }
            None => {
                let text = part.text().await.map_err(|e| multipart_error(e, limit))?;
                input.values.insert(field, Value::String(text));
            }
        }
    }
    Ok(input)
}

/// Reads a file part chunk by chunk, keeping at most `max` bytes: past that the part is
/// marked oversized and the rest is read and dropped, so the answer can still name the field.
async fn read_file(
    mut part: Field<'_>,
    field: String,
    file_name: String,
    max: usize,
) -> Result<Upload, MultipartError> {
    let mut kept = BytesMut::new();
    let mut oversized = false;
    while let Some(chunk) = part.chunk().await? {
        if oversized || kept.len() + chunk.len() > max {
            oversized = true;
            kept = BytesMut::new();
        } else {
            kept.extend_from_slice(&chunk);
        }
    }
    Ok(Upload {
        field,
        file_name,
        bytes: kept.freeze(),
        oversized,
    })
}

fn multipart_error(error: MultipartError, limit: usize) -> ApiError {
    if error.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::PayloadTooLarge(limit)
    } else if timed_out(&error) {
        ApiError::RequestTimeout
    } else {
        ApiError::BadRequest(format!(
            "Multipart form parse error - {}",
            error.body_text()
        ))
    }
}
