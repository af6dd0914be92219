//! Uploaded images on their way in (pipeline, then media store) and out (`/media/…`, the
//! absolute URLs in API objects).

use crate::AppState;
use crate::error::{ApiError, Detail};
use crate::input::Upload;
use axum::extract::{Path, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS,
};
use axum::response::{IntoResponse, Response};
use pingme_domain::AccountId;
use pingme_domain::media::{MediaError, content_type, is_valid_key};
use pingme_media::{Processed, Purpose, Rejection, defaults};
use std::time::SystemTime;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(shared_file))
        .routes(routes!(owned_file))
}

/// Runs an uploaded file through the image pipeline on the blocking pool, a few at a time
/// (one per core: a large image can take hundreds of megabytes while it is worked on).
/// The error is the sentence to show under the file's field.
pub async fn process_upload(
    state: &AppState,
    upload: Upload,
    purpose: Purpose,
) -> Result<Processed, String> {
    let limit = state.config.max_upload_bytes;
    if upload.oversized {
        return Err(Rejection::TooLarge { limit }.to_string());
    }
    let Ok(_permit) = state.image_jobs.acquire().await else {
        return Err(Rejection::Unprocessable.to_string());
    };
    let job =
        tokio::task::spawn_blocking(move || pingme_media::process(&upload.bytes, purpose, limit));
    match job.await {
        Ok(processed) => processed.map_err(|rejection| rejection.to_string()),
        // A decoder that panics on some input is still a bad file, not a server error.
        Err(panicked) => {
            tracing::error!(error = %panicked, "image pipeline panicked");
            Err(Rejection::Unprocessable.to_string())
        }
    }
}

/// Stores a processed image under `<folder>/<content hash>.<ext>` and returns the key.
pub async fn store(state: &AppState, folder: &str, image: Processed) -> Result<String, ApiError> {
    let key = format!("{folder}/{}", image.file_name());
    state.media.put(&key, image.bytes).await?;
    Ok(key)
}

/// Arranges for the objects in an account's avatar folder that it no longer uses to be
/// deleted. Called before anything is written, so that even a request cut off half-way
/// leaves nothing behind for long.
pub fn sweep_avatars_later(state: &AppState, account: AccountId) {
    let state = state.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(state.config.media_sweep_delay).await;
            match sweep_avatars(&state, account).await {
                Ok(true) => return,
                Ok(false) => continue,
                Err(error) => {
                    tracing::warn!(%account, %error, "avatar sweep failed; files are kept");
                    return;
                }
            }
        }
    });
}

/// Deletes the account's avatar objects other than the current one, when they were last
/// written longer ago than the sweep delay: a younger one may belong to a request that has
/// not committed yet (keys are content-addressed, so two requests can share one). Answers
/// whether everything unused is gone.
async fn sweep_avatars(state: &AppState, account: AccountId) -> Result<bool, ApiError> {
    let current = state.store.account(account).await?.and_then(|a| a.image);
    let stored = state.media.list(&format!("avatars/{account}/")).await?;
    let cutoff = SystemTime::now() - state.config.media_sweep_delay;
    let mut done = true;
    for object in stored
        .into_iter()
        .filter(|o| current.as_ref() != Some(&o.key))
    {
        if object.modified <= cutoff {
            state.media.delete(&object.key).await?;
        } else {
            done = false;
        }
    }
    Ok(done)
}

/// The absolute URL of an image: the stored one, or the built-in default.
pub fn image_url(state: &AppState, key: Option<&str>, default: &str) -> String {
    match key {
        Some(key) => state.media.url(key),
        None => format!("{}/media/{default}", state.config.public_url),
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
        (status = 200, description = "The image", content_type = "image/*", body = Vec<u8>),
        (status = 404, body = Detail),
    )
)]
async fn shared_file(
    State(state): State<AppState>,
    Path((kind, name)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    serve(&state, &format!("{kind}/{name}")).await
}

/// An uploaded image, stored under its owner (`/media/avatars/42/<sha256>.jpg`). Served
/// here when media live in the local directory; with S3 the API's URLs point at the bucket.
#[utoipa::path(
    get, path = "/media/{kind}/{owner}/{name}", tag = "media", security(()),
    params(("kind" = String, Path), ("owner" = String, Path), ("name" = String, Path)),
    responses(
        (status = 200, description = "The image", content_type = "image/*", body = Vec<u8>),
        (status = 404, body = Detail),
    )
)]
async fn owned_file(
    State(state): State<AppState>,
    Path((kind, owner, name)): Path<(String, String, String)>,
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
