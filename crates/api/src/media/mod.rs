//! Uploaded images on their way in (pipeline, then media store) and out (`/media/…`, the
//! absolute URLs in API objects), and the sweeps that delete what nothing uses any more.

mod jobs;
mod uploads;

pub use jobs::ImageJobs;
pub use uploads::{ImageChange, image_field, refuse_other_files};

use crate::AppState;
use crate::error::{ApiError, Detail};
use crate::extract::PathParam;
use crate::openapi::FileBytes;
use axum::extract::State;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS,
};
use axum::response::{IntoResponse, Response};
use pingme_domain::media::{MediaError, MediaStore, content_type, is_valid_key};
use pingme_media::defaults;
use std::sync::Arc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(shared_file))
        .routes(routes!(owned_file))
}

/// The absolute URL of an image: the stored one, or the built-in default.
pub fn image_url(state: &AppState, key: Option<&str>, default: &str) -> String {
    absolute(state.media.as_ref(), &state.config.public_url, key, default)
}

/// Where images are, for what renders them away from a request (socket frames).
#[derive(Clone)]
pub struct Urls {
    pub media: Arc<dyn MediaStore>,
    pub public_url: String,
}

impl Urls {
    /// A request's.
    pub fn of(state: &AppState) -> Self {
        Self {
            media: state.media.clone(),
            public_url: state.config.public_url.clone(),
        }
    }

    /// [`image_url`].
    pub fn image(&self, key: Option<&str>, default: &str) -> String {
        absolute(self.media.as_ref(), &self.public_url, key, default)
    }
}

fn absolute(media: &dyn MediaStore, public_url: &str, key: Option<&str>, default: &str) -> String {
    match key {
        Some(key) => media.url(key),
        None => format!("{public_url}/media/{default}"),
    }
}

impl From<MediaError> for ApiError {
    fn from(error: MediaError) -> Self {
        match error {
            MediaError::Unavailable(cause) => Self::Unavailable(anyhow::anyhow!(cause)),
            MediaError::Other(cause) => Self::Internal(anyhow::anyhow!(cause)),
        }
    }
}

/// A built-in default image (`/media/defaults/avatar.svg`, …).
#[utoipa::path(
    get, path = "/media/{kind}/{name}", tag = "media", security(()),
    params(("kind" = String, Path, description = "`defaults`"), ("name" = String, Path)),
    responses(
        (status = 200, description = "The image", content_type = "image/*", body = FileBytes),
        (status = 404, body = Detail),
    )
)]
async fn shared_file(
    State(state): State<AppState>,
    PathParam((kind, name)): PathParam<(String, String)>,
) -> Result<Response, ApiError> {
    serve(&state, &format!("{kind}/{name}")).await
}

/// An uploaded image, stored under its owner (`/media/avatars/42/<sha256>.jpg`). Served
/// here when media live in the local directory; with S3 the API's URLs point at the bucket.
#[utoipa::path(
    get, path = "/media/{kind}/{owner}/{name}", tag = "media", security(()),
    params(("kind" = String, Path), ("owner" = String, Path), ("name" = String, Path)),
    responses(
        (status = 200, description = "The image", content_type = "image/*", body = FileBytes),
        (status = 404, body = Detail),
    )
)]
async fn owned_file(
    State(state): State<AppState>,
    PathParam((kind, owner, name)): PathParam<(String, String, String)>,
) -> Result<Response, ApiError> {
    serve(&state, &format!("{kind}/{owner}/{name}")).await
}

async fn serve(state: &AppState, key: &str) -> Result<Response, ApiError> {
    let kind = content_type(key).ok_or(ApiError::NotFound)?;
    let (bytes, cache) = match defaults::get(key) {
        // Stable names whose content may change between releases.
        Some(bytes) => (bytes.to_vec(), "public, max-age=86400"),
        None if is_valid_key(key) => {
            let bytes = state.media.get(key).await?.ok_or(ApiError::NotFound)?;
            // Content-addressed: a name always means the same bytes.
            (bytes, "public, max-age=31536000, immutable")
        }
        None => return Err(ApiError::NotFound),
    };
    let headers = [
        (CONTENT_TYPE, kind),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (CACHE_CONTROL, cache),
        // Images only: nothing inside one (an SVG's script) may run or load anything.
        (
            CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        ),
    ];
    Ok((headers, bytes).into_response())
}
