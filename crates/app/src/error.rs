//! What a use case refuses or fails with, in terms of the request rather than of HTTP. The
//! API renders each variant in the contract's shapes; the CLI prints it.

use pingme_domain::media::MediaError;
use pingme_domain::permissions::Denied;
use pingme_domain::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The use case needs a signed-in caller.
    #[error("authentication credentials were not provided")]
    NotAuthenticated,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    /// One field of the request is refused, with the sentence to show under it.
    #[error("{field}: {message}")]
    Field {
        field: &'static str,
        message: String,
    },
    /// The request as a whole is refused.
    #[error("{0}")]
    BadRequest(String),
    /// The request collides with the state of things (a category still in use).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn field(field: &'static str, message: impl Into<String>) -> Self {
        Self::Field {
            field,
            message: message.into(),
        }
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(error.into())
    }
}

impl From<Denied> for AppError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::Unauthenticated => Self::NotAuthenticated,
            Denied::Forbidden(reason) => Self::Forbidden(reason.into()),
        }
    }
}
