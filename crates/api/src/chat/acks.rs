//! `POST /api/channels/<id>/ack/`: marking a channel read up to a message, as the gateway's
//! `ack` does.

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, AuthErrorBody, Detail, FieldErrorsSchema};
use crate::extract::{Id, PathParam};
use crate::fields::Fields;
use crate::input::Input;
use axum::extract::State;
use axum::http::StatusCode;
use pingme_domain::ChannelId;
use pingme_domain::messages::MessageId;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(ack))
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AckRequest {
    /// The newest message read: a positive id. Later than the channel's newest message counts
    /// as that one; one older than what was already read changes nothing.
    #[schema(example = 1, minimum = 1)]
    message_id: i64,
}

/// Mark the channel read up to a message (members of its server). Read positions only move
/// forward.
#[utoipa::path(
    post, path = "/api/channels/{id}/ack/", tag = "channels", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    request_body(content(
        (AckRequest = "application/json"),
        (AckRequest = "application/x-www-form-urlencoded"),
        (AckRequest = "multipart/form-data"),
    )),
    responses(
        (status = 204, description = "Read up to there"),
        (status = 400, description = "`message_id` missing or not a positive integer", body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not a member of the channel's server", body = Detail),
        (status = 404, description = "No such channel", body = Detail),
    )
)]
async fn ack(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(channel)): PathParam<Id>,
    input: Input,
) -> Result<StatusCode, ApiError> {
    let mut form = Fields::new(input);
    let message = form.integer("message_id", true);
    if message.is_some_and(|id| id < 1) {
        form.reject(
            "message_id",
            "Ensure this value is greater than or equal to 1.",
        );
    }
    let (message,) = form.finish((message,))?;
    state
        .app
        .ack(&caller, ChannelId(channel), MessageId(message), None)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
