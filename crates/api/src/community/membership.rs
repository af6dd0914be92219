//! Joining and leaving servers, and handing ownership on, over the use cases of
//! [`pingme_app::community`].

use super::views::{ServerView, Status};
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, AuthErrorBody, Detail, FieldErrorsSchema};
use crate::extract::{Id, PathParam};
use crate::fields::Fields;
use crate::input::Input;
use axum::Json;
use axum::extract::State;
use pingme_domain::{AccountId, ServerId};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(add_member))
        .routes(routes!(remove_member))
        .routes(routes!(transfer_ownership))
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct JoinRequest {
    /// An invite code, needed to join a private server.
    #[schema(nullable = false)]
    invite: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AccountRequest {
    /// Account id.
    account: i64,
}

/// Join a server: a public one freely, a private one with an `invite` code. Joining twice
/// is harmless; a banned account cannot join.
#[utoipa::path(
    post, path = "/api/servers/{id}/add_member/", tag = "servers", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    request_body(content(
        (JoinRequest = "application/json"),
        (JoinRequest = "application/x-www-form-urlencoded"),
        (JoinRequest = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = Status, example = json!({"status": "member added"})),
        (status = 400, body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Banned, or a private server without a valid invite", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn add_member(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
    input: Input,
) -> Result<Json<Status>, ApiError> {
    let mut form = Fields::new(input);
    let invite = form.optional("invite", |code| Ok(code.to_owned()));
    form.check()?;
    state
        .app
        .join_server(&caller, ServerId(id), invite.as_deref())
        .await?;
    Ok(Json(Status {
        status: "member added",
    }))
}

/// Leave a server. Leaving one you are not in is harmless; the owner cannot leave.
#[utoipa::path(
    post, path = "/api/servers/{id}/remove_member/", tag = "servers", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    responses(
        (status = 200, body = Status, example = json!({"status": "member removed"})),
        (status = 400, description = "The owner cannot leave", body = Detail),
        (status = 401, body = AuthErrorBody),
        (status = 404, body = Detail),
    )
)]
async fn remove_member(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
) -> Result<Json<Status>, ApiError> {
    state.app.leave_server(&caller, ServerId(id)).await?;
    Ok(Json(Status {
        status: "member removed",
    }))
}

/// Hand the server to another member (owner only).
#[utoipa::path(
    post, path = "/api/servers/{id}/transfer_ownership/", tag = "servers", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    request_body(content(
        (AccountRequest = "application/json"),
        (AccountRequest = "application/x-www-form-urlencoded"),
        (AccountRequest = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = ServerView),
        (status = 400, description = "Not a member, or already the owner", body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not the owner", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn transfer_ownership(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
    input: Input,
) -> Result<Json<ServerView>, ApiError> {
    let owned = state.app.owned_server(&caller, ServerId(id)).await?;
    let server = state
        .app
        .transfer_ownership(&owned, target_account(input)?)
        .await?;
    Ok(Json(ServerView::new(&server, &state, false)))
}

/// The `account` field of a moderation or transfer request.
pub(super) fn target_account(input: Input) -> Result<AccountId, ApiError> {
    let mut form = Fields::new(input);
    let account = form.integer("account", true);
    let (account,) = form.finish((account,))?;
    Ok(AccountId(account))
}
