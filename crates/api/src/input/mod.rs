//! Request bodies in the three encodings the original accepted wherever a client may send
//! them — JSON, form-encoded and multipart — read into one shape: named values, plus the
//! uploaded files of a multipart body. Handlers then pull typed values out with
//! [`crate::fields::Fields`], whatever the encoding was.

use crate::AppState;
use crate::body_budget::Share;
use crate::body_deadline::timed_out;
use crate::client_ip::ClientIp;
use crate::error::{ApiError, NON_FIELD};
use axum::body::Bytes;
use axum::extract::multipart::Field;
use axum::extract::multipart::MultipartError;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use bytes::BytesMut;
use futures_util::StreamExt;
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::sync::Arc;

mod shallow;

/// Fields a body may have at most (Django's `DATA_UPLOAD_MAX_NUMBER_FIELDS`): every field
/// costs memory beyond its bytes once parsed.
pub const MAX_FIELDS: usize = 1000;

fn too_many_fields() -> ApiError {
    ApiError::BadRequest(format!(
        "Too many fields: at most {MAX_FIELDS} are accepted."
    ))
}
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
    /// The body's share of the memory for bodies, held while the upload is.
    pub(crate) memory: Option<Arc<Share>>,
}

/// A parsed request body. Form and multipart values arrive as JSON strings.
#[derive(Debug, Default)]
pub struct Input {
    pub values: Map<String, Value>,
    pub files: Vec<Upload>,
    /// Form or multipart fields whose text was not valid UTF-8. They are kept out of
    /// `values`, so nothing reads a mangled value, and [`crate::fields::Fields`] says why.
    pub undecodable: BTreeSet<String>,
    /// The body's share of the memory for bodies (`PINGME_BODY_MEMORY`), held as long as
    /// this input or any upload taken from it.
    pub(crate) memory: Option<Arc<Share>>,
}

impl Input {
    /// Keeps the body's share of memory for as long as the input and its uploads live.
    fn holding(mut self, share: Share) -> Self {
        let share = Arc::new(share);
        for upload in &mut self.files {
            upload.memory = Some(share.clone());
        }
        self.memory = Some(share);
        self
    }

    /// Records a text field of a form or multipart body; of several of one name, the last
    /// counts (as Django's `QueryDict` answers).
    fn set_text(&mut self, name: String, bytes: Vec<u8>) {
        match String::from_utf8(bytes) {
            Ok(text) => {
                self.undecodable.remove(&name);
                self.values.insert(name, Value::String(text));
            }
            Err(_) => {
                self.values.remove(&name);
                self.undecodable.insert(name);
            }
        }
    }
}

impl FromRequest<AppState> for Input {
    type Rejection = ApiError;

    /// Every body is held against the memory for bodies, under the client's address.
    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let (mut parts, body) = request.into_parts();
        let Ok(ClientIp(client)) = ClientIp::from_request_parts(&mut parts, state).await;
        let mut share = state.bodies.share(crate::client_key(client));
        let input = parse(Request::from_parts(parts, body), state, &mut share).await?;
        Ok(input.holding(share))
    }
}

/// Reads and parses a body, holding what it reads against `share`. Its size is checked
/// here (413 from `Content-Length`, before any of it is read, or once it outgrows
/// `PINGME_MAX_BODY_BYTES`); multipart bodies are held to the same figure by
/// [`axum::extract::DefaultBodyLimit`], set on the router.
async fn parse(request: Request, state: &AppState, share: &mut Share) -> Result<Input, ApiError> {
    let limit = state.config.max_body_bytes;
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
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
        "application/json" => json(read(request, limit, share).await?),
        "application/x-www-form-urlencoded" => form(read(request, limit, share).await?),
        "multipart/form-data" => multipart(request, state, share).await,
        "" => match read(request, limit, share).await?.is_empty() {
            true => Ok(Input::default()),
            false => Err(ApiError::UnsupportedMediaType(String::new())),
        },
        _ => Err(ApiError::UnsupportedMediaType(content_type)),
    }
}

/// The whole body, at most `limit` bytes, its memory taken from `share` before it is used
/// (all the buffer holds, not only what the body filled of it).
async fn read(request: Request, limit: usize, share: &mut Share) -> Result<Bytes, ApiError> {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let mut chunks = request.into_body().into_data_stream();
    let expected = declared.unwrap_or(0).min(limit);
    share.take(expected)?;
    let mut body = BytesMut::with_capacity(expected);
    let mut charged = expected;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|error| {
            if timed_out(&error) {
                ApiError::RequestTimeout
            } else {
                ApiError::BadRequest(format!("Could not read the request body: {error}"))
            }
        })?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(limit));
        }
        // The buffer grows first, and what it grew by is taken before anything fills it.
        body.reserve(chunk.len());
        share.take(body.capacity().saturating_sub(charged))?;
        charged = charged.max(body.capacity());
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn json(body: Bytes) -> Result<Input, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Input::default());
    }
    let parsed = shallow::parse(&body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => too_many_fields(),
        _ => ApiError::BadRequest(format!("JSON parse error - {e}")),
    })?;
    match parsed {
        shallow::Body::Object(values) => Ok(Input {
            values,
            ..Input::default()
        }),
        shallow::Body::Other(kind) => Err(ApiError::field(
            NON_FIELD,
            format!("Invalid data. Expected a dictionary, but got {kind}."),
        )),
    }
}

/// An `application/x-www-form-urlencoded` body, read as the WHATWG URL standard says
/// (`+` is a space, `%XX` a byte, a malformed `%` itself) but strictly: a value whose bytes
/// are not UTF-8 is recorded as such, where the usual decoders replace them unseen.
fn form(body: Bytes) -> Result<Input, ApiError> {
    let mut input = Input::default();
    for pair in body.split(|&b| b == b'&').filter(|pair| !pair.is_empty()) {
        if input.values.len() + input.undecodable.len() >= MAX_FIELDS {
            return Err(too_many_fields());
        }
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        // No field of pingme's has a name outside ASCII: a mangled one matches nothing.
        let name = String::from_utf8_lossy(&percent_decode(name)).into_owned();
        input.set_text(name, percent_decode(value));
    }
    Ok(input)
}

fn percent_decode(encoded: &[u8]) -> Vec<u8> {
    let digit = |at: usize| encoded.get(at).and_then(|&b| (b as char).to_digit(16));
    let mut decoded = Vec::with_capacity(encoded.len());
    let mut i = 0;
    while i < encoded.len() {
        let byte = match encoded[i] {
            b'+' => b' ',
            b'%' => match (digit(i + 1), digit(i + 2)) {
                (Some(high), Some(low)) => {
                    i += 2;
                    (high * 16 + low) as u8
                }
                _ => b'%',
            },
            other => other,
        };
        decoded.push(byte);
        i += 1;
    }
    decoded
}

async fn multipart(
    request: Request,
    state: &AppState,
    share: &mut Share,
) -> Result<Input, ApiError> {
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
        if input.values.len() + input.undecodable.len() + input.files.len() >= MAX_FIELDS {
            return Err(too_many_fields());
        }
        let field = part.name().unwrap_or_default().to_owned();
        match part.file_name().map(str::to_owned) {
            Some(file_name) => {
                let max = state.config.max_upload_bytes;
                let upload = read_file(part, (field, file_name), max, share, limit).await?;
                // A browser sends an empty, nameless part for a file input left empty:
                // no file was chosen (Django drops these too).
                if !(upload.file_name.is_empty() && upload.bytes.is_empty() && !upload.oversized) {
                    input.files.push(upload);
                }
            }
            None => {
                let bytes = read_text(part, share, limit).await?;
                // Text parts are UTF-8, as Django reads them whatever a part declares; a
                // leading byte-order mark is dropped, as it always was.
                let text = bytes.strip_prefix("\u{FEFF}".as_bytes()).unwrap_or(&bytes);
                input.set_text(field, text.to_vec());
            }
        }
    }
    Ok(input)
}

/// Reads a file part chunk by chunk, keeping at most `max` bytes: past that the part is
/// marked oversized and the rest is read and dropped, so the answer can still name the field.
/// What is kept is taken from `share`.
async fn read_file(
    mut part: Field<'_>,
    (field, file_name): (String, String),
    max: usize,
    share: &mut Share,
    limit: usize,
) -> Result<Upload, ApiError> {
    let mut kept = BytesMut::new();
    let mut oversized = false;
    while let Some(chunk) = part.chunk().await.map_err(|e| multipart_error(e, limit))? {
        if oversized || kept.len() + chunk.len() > max {
            oversized = true;
            kept = BytesMut::new();
        } else {
            share.take(chunk.len())?;
            kept.extend_from_slice(&chunk);
        }
    }
    Ok(Upload {
        field,
        file_name,
        bytes: kept.freeze(),
        oversized,
        memory: None,
    })
}

/// A text part's bytes, taken from `share` as they come.
async fn read_text(
    mut part: Field<'_>,
    share: &mut Share,
    limit: usize,
) -> Result<Vec<u8>, ApiError> {
    let mut text = Vec::new();
    while let Some(chunk) = part.chunk().await.map_err(|e| multipart_error(e, limit))? {
        share.take(chunk.len())?;
        text.extend_from_slice(&chunk);
    }
    Ok(text)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_and_json_bodies_have_at_most_a_thousand_fields() {
        let pairs: Vec<String> = (0..=MAX_FIELDS).map(|n| format!("f{n}=")).collect();
        let too_many = form(Bytes::from(pairs.join("&")));
        assert!(matches!(too_many, Err(ApiError::BadRequest(d)) if d.contains("Too many fields")));
        let fields: Vec<String> = (0..=MAX_FIELDS).map(|n| format!("\"f{n}\": 0")).collect();
        let too_many = json(Bytes::from(format!("{{{}}}", fields.join(","))));
        assert!(matches!(too_many, Err(ApiError::BadRequest(d)) if d.contains("Too many fields")));
        let list = json(Bytes::from_static(b"[1, 2]"));
        assert!(matches!(list, Err(ApiError::Fields(_))));
    }

    #[test]
    fn forms_are_decoded_as_browsers_encode_them() {
        let input = form(Bytes::from_static(
            b"a=1+2%21&b=%E2%82%AC&c&d=%zz%4&a=x%20y",
        ))
        .expect("a form");
        let text = |name: &str| input.values[name].as_str().unwrap().to_owned();
        assert_eq!(text("a"), "x y", "the last of two counts");
        assert_eq!(text("b"), "€");
        assert_eq!(text("c"), "");
        assert_eq!(text("d"), "%zz%4");
        assert!(input.undecodable.is_empty());
    }

    #[test]
    fn form_values_that_are_not_utf8_are_recorded_as_such() {
        let input =
            form(Bytes::from_static(b"username=ab%FFc&email=%C3%A9&x=%C3")).expect("a form");
        assert!(!input.values.contains_key("username"));
        assert_eq!(input.values["email"], "é");
        let undecodable: Vec<&str> = input.undecodable.iter().map(String::as_str).collect();
        assert_eq!(undecodable, ["username", "x"]);
        let input = form(Bytes::from_static(b"username=%FF&username=ok")).expect("a form");
        assert_eq!(
            input.values["username"], "ok",
            "a later valid value replaces it"
        );
        assert!(input.undecodable.is_empty());
    }
}
