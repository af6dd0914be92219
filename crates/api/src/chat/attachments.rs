//! `/api/attachments/`: images uploaded for messages, through the image pipeline, each its
//! uploader's until one message uses it (`POST /api/messages/` `attachments`).

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, AuthErrorBody, Detail, FieldErrorsSchema};
use crate::extract::{Id, PathParam};
use crate::fields::Fields;
use crate::input::Input;
use crate::media::{self, image_url};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingme_domain::AttachmentId;
use pingme_domain::messages::Attachment;
use pingme_media::Purpose;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upload))
        .routes(routes!(remove))
}

/// An image of a message, or uploaded for one: its size, so that a client can hold its
/// place before it loads.
#[derive(Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    pub url: String,
    pub width: u32,
    pub height: u32,
    #[schema(example = "image/webp")]
    pub content_type: String,
}

impl AttachmentView {
    pub fn new(attachment: &Attachment, url: String) -> Self {
        Self {
            id: attachment.id.0,
            url,
            width: attachment.width,
            height: attachment.height,
            content_type: attachment.content_type.clone(),
        }
    }
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadRequest {
    /// JPEG, PNG, GIF or WebP, as profile images: at most `PINGME_MAX_UPLOAD_BYTES`,
    /// decoded within the pixel limits, re-encoded without metadata, at most 1920 on a side.
    #[schema(value_type = String, format = Binary)]
    image: Vec<u8>,
}

/// Upload an image to send in a message: answers its id for the message's `attachments`.
/// It is yours until one message uses it; one not used within `PINGME_ATTACHMENT_TTL` (an
/// hour) is deleted. At most 20 wait at once.
#[utoipa::path(
    post, path = "/api/attachments/", tag = "messages", security(("jwt" = [])),
    request_body(content((UploadRequest = "multipart/form-data"))),
    responses(
        (status = 201, description = "Stored", body = AttachmentView),
        (status = 400, description = "No image, not an image or too large (field errors); 20 waiting already, or an unreadable body (`detail`)", body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 413, description = "The body is larger than `PINGME_MAX_BODY_BYTES`", body = Detail),
        (status = 429, description = "Too many uploads; see `Retry-After`", body = Detail),
    )
)]
async fn upload(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    mut input: Input,
) -> Result<(StatusCode, Json<AttachmentView>), ApiError> {
    state
        .limits
        .upload(caller.id)
        .map_err(ApiError::RateLimited)?;
    let mut files = std::mem::take(&mut input.files);
    let mut form = Fields::new(input);
    if !files.iter().any(|f| f.field == "image") {
        form.reject("image", "No file was submitted.");
        form.check()?;
    }
    let image = media::image_field(&state, &mut form, &mut files, "image", Purpose::Banner).await;
    media::refuse_other_files(&mut form, files, "`image`");
    form.check()?;
    let media::ImageChange::Replace(image) = image else {
        return Err(ApiError::field("image", "No file was submitted."));
    };
    let attachment = state.app.upload_attachment(&caller, image).await?;
    let url = image_url(&state, Some(&attachment.key), "");
    Ok((
        StatusCode::CREATED,
        Json(AttachmentView::new(&attachment, url)),
    ))
}

/// Take back an image you uploaded and have not sent (one a message uses stays with it).
#[utoipa::path(
    delete, path = "/api/attachments/{id}/", tag = "messages", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = AuthErrorBody),
        (status = 404, description = "None of yours waiting with this id", body = Detail),
    )
)]
async fn remove(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .remove_attachment(&caller, AttachmentId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
