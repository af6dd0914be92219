//! The one error type handlers return, rendered in the contract's shapes:
//! `{"detail": ...}` for whole-request errors, `{"<field>": [...]}` for validation, and
//! `{"error": ...}` for bad e-mailed links. 5xx bodies are generic; the cause chain is
//! logged, never sent.

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use pingme_app::AppError;
use pingme_domain::store::{StoreError, Unique};
use serde::Serialize;
use serde_json::json;
use std::time::Duration;
use utoipa::ToSchema;

/// The key DRF uses for errors about the object as a whole.
pub const NON_FIELD: &str = "non_field_errors";

/// Field validation errors in the order they were found, rendered as
/// `{"<field>": ["<sentence>", ...], ...}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldErrors(Vec<(String, Vec<String>)>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        let message = message.into();
        match self.0.iter_mut().find(|(name, _)| name == field) {
            Some((_, messages)) => messages.push(message),
            None => self.0.push((field.to_owned(), vec![message])),
        }
    }

    pub fn one(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.add(field, message);
        errors
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for FieldErrors {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid fields")]
    Fields(FieldErrors),
    /// A verification or reset link that is malformed, expired, forged or already used.
    #[error("invalid or expired link token")]
    BadLink,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("authentication credentials were not provided")]
    NotAuthenticated,
    /// Wrong credentials at login.
    #[error("authentication failed: {0}")]
    AuthenticationFailed(&'static str),
    /// A token that is malformed, expired, of the wrong type or revoked.
    #[error("token not valid: {0}")]
    TokenNotValid(&'static str),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("method {0} not allowed")]
    MethodNotAllowed(Method),
    #[error("request body over {0} bytes")]
    PayloadTooLarge(usize),
    /// The body did not arrive within the body timeout; the connection is closed.
    #[error("request body timed out")]
    RequestTimeout,
    #[error("unsupported media type {0:?}")]
    UnsupportedMediaType(String),
    #[error("rate limited")]
    RateLimited(Duration),
    #[error("service unavailable")]
    Unavailable(#[source] anyhow::Error),
    /// The memory for request bodies is taken for the moment (503, try again shortly).
    #[error("too busy for this body now")]
    Busy,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

/// `{"detail": "..."}`, the body of every error that is not about particular fields.
#[derive(Serialize, ToSchema)]
pub struct Detail {
    pub detail: String,
}

/// A 401: `{"detail": "..."}`, with `"code": "token_not_valid"` when a token was refused.
#[derive(Serialize, ToSchema)]
pub struct AuthErrorBody {
    pub detail: String,
    /// `token_not_valid` when a token was refused; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, pattern = "^token_not_valid$")]
    pub code: Option<String>,
}

/// `{"error": "Invalid or expired token."}`, for e-mailed links.
#[derive(Serialize, ToSchema)]
pub struct LinkErrorBody {
    pub error: String,
}

/// `{"<field>": ["<sentence>", ...]}`; `non_field_errors` for the request as a whole.
#[derive(Serialize, ToSchema)]
#[schema(as = FieldErrors, example = json!({"username": ["This field is required."]}))]
pub struct FieldErrorsSchema(std::collections::HashMap<String, Vec<String>>);

/// A 400 that is either field errors or a bad e-mailed link.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum FieldOrLinkError {
    Fields(FieldErrorsSchema),
    Link(LinkErrorBody),
}

impl ApiError {
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::Fields(FieldErrors::one(field, message))
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(error.into())
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::Fields(_) | Self::BadLink | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::NotAuthenticated | Self::AuthenticationFailed(_) | Self::TokenNotValid(_) => {
                StatusCode::UNAUTHORIZED
            }
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) | Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn body(&self) -> serde_json::Value {
        let detail = |text: String| json!({ "detail": text });
        match self {
            Self::Fields(errors) => json!(errors),
            Self::BadLink => json!({ "error": "Invalid or expired token." }),
            Self::BadRequest(text) | Self::Forbidden(text) | Self::Conflict(text) => {
                detail(text.clone())
            }
            Self::NotAuthenticated => {
                detail("Authentication credentials were not provided.".into())
            }
            Self::AuthenticationFailed(text) => detail((*text).into()),
            Self::TokenNotValid(text) => json!({ "detail": text, "code": "token_not_valid" }),
            Self::NotFound => detail("Not found.".into()),
            Self::MethodNotAllowed(method) => detail(format!("Method \"{method}\" not allowed.")),
            Self::PayloadTooLarge(limit) => detail(format!(
                "Request body is too large; the limit is {limit} bytes."
            )),
            Self::RequestTimeout => detail("The request body took too long to arrive.".into()),
            Self::UnsupportedMediaType(kind) => {
                detail(format!("Unsupported media type \"{kind}\" in request."))
            }
            Self::RateLimited(wait) => detail(format!(
                "Request was throttled. Expected available in {} seconds.",
                retry_after_seconds(*wait)
            )),
            Self::Unavailable(_) => {
                detail("The service is temporarily unavailable; try again shortly.".into())
            }
            Self::Busy => {
                detail("The server is busy reading other requests; try again shortly.".into())
            }
            Self::Internal(_) => detail("A server error occurred.".into()),
        }
    }
}

fn retry_after_seconds(wait: Duration) -> u64 {
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        match &self {
            Self::Internal(cause) => tracing::error!(error = ?cause, "request failed"),
            Self::Unavailable(cause) => tracing::warn!(error = ?cause, "dependency unavailable"),
            _ => {}
        }
        let mut response = (status, Json(self.body())).into_response();
        let headers = response.headers_mut();
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"api\""),
            );
        }
        let retry_after = match &self {
            Self::RateLimited(wait) => Some(retry_after_seconds(*wait)),
            Self::Unavailable(_) => Some(5),
            Self::Busy => Some(2),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        // What is left of the body cannot be told from the next request.
        if status == StatusCode::REQUEST_TIMEOUT {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        match error {
            AppError::NotAuthenticated => Self::NotAuthenticated,
            AppError::Forbidden(reason) => Self::Forbidden(reason),
            AppError::NotFound => Self::NotFound,
            AppError::Field { field, message } => Self::field(field, message),
            AppError::BadRequest(reason) => Self::BadRequest(reason),
            AppError::Conflict(reason) => Self::Conflict(reason),
            AppError::Store(error) => error.into(),
            AppError::Media(error) => error.into(),
            AppError::Internal(error) => Self::Internal(error),
        }
    }
}

impl From<StoreError> for ApiError {
    /// The single mapping from broken unique rules to the client's field errors.
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(Unique::AccountLogin) => {
                Self::field("username", "A user with that username already exists.")
            }
            StoreError::Conflict(Unique::AccountLookalike) => {
                Self::field("username", "A user with a similar username already exists.")
            }
            StoreError::Conflict(Unique::AccountEmail) => {
                Self::field(NON_FIELD, "Email already registered.")
            }
            StoreError::Conflict(Unique::CategoryName) => {
                Self::field("name", "A category with that name already exists.")
            }
            // Codes are drawn from 62^10 values; `App::create_invite` retries a collision.
            StoreError::Conflict(Unique::InviteCode) => {
                Self::internal(anyhow::anyhow!("invite code collision"))
            }
            StoreError::MissingReference => Self::Conflict(
                "Something this refers to was removed meanwhile; reload and try again.".into(),
            ),
            StoreError::Unavailable(cause) => Self::Unavailable(anyhow::anyhow!(cause)),
            StoreError::Other(cause) => Self::Internal(anyhow::anyhow!(cause)),
        }
    }
}

impl From<jsonwebtoken::errors::Error> for ApiError {
    fn from(error: jsonwebtoken::errors::Error) -> Self {
        Self::internal(error)
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::BadRequest(format!("Invalid query string: {}", rejection.body_text()))
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        Self::NotFound
    }
}
