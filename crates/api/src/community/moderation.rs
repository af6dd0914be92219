//! Kicking, banning and unbanning (a server's owner), over the use cases of
//! [`pingme_app::moderation`].

use super::membership::target_account;
use super::views::{BanView, Status};
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, AuthErrorBody, Detail, FieldErrorsSchema};
use crate::extract::{Id, PathParam};
use crate::input::Input;
use axum::Json;
use axum::extract::State;
use pingme_domain::ServerId;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(kick))
        .routes(routes!(ban))
        .routes(routes!(unban))
        .routes(routes!(bans))
}

/// Remove a member (owner only); they may join again.
#[utoipa::path(
    post, path = "/api/servers/{id}/kick/", tag = "moderation", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    request_body(content(
        (super::membership::AccountRequest = "application/json"),
        (super::membership::AccountRequest = "application/x-www-form-urlencoded"),
        (super::membership::AccountRequest = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = Status, example = json!({"status": "member kicked"})),
        (status = 400, description = "Not a member, or the owner", body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not the owner", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn kick(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
    input: Input,
) -> Result<Json<Status>, ApiError> {
    let owned = state.app.owned_server(&caller, ServerId(id)).await?;
    state.app.kick(&owned, target_account(input)?).await?;
    Ok(Json(Status {
        status: "member kicked",
    }))
}

/// Remove a member, or keep out someone who is not one yet, until unbanned (owner only).
#[utoipa::path(
    post, path = "/api/servers/{id}/ban/", tag = "moderation", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    request_body(content(
        (super::membership::AccountRequest = "application/json"),
        (super::membership::AccountRequest = "application/x-www-form-urlencoded"),
        (super::membership::AccountRequest = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = Status, example = json!({"status": "member banned"})),
        (status = 400, description = "Unknown account, or the owner", body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not the owner", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn ban(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
    input: Input,
) -> Result<Json<Status>, ApiError> {
    let owned = state.app.owned_server(&caller, ServerId(id)).await?;
    state.app.ban(&owned, target_account(input)?).await?;
    Ok(Json(Status {
        status: "member banned",
    }))
}

/// Lift a ban (owner only); unbanning someone not banned is harmless.
#[utoipa::path(
    post, path = "/api/servers/{id}/unban/", tag = "moderation", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    request_body(content(
        (super::membership::AccountRequest = "application/json"),
        (super::membership::AccountRequest = "application/x-www-form-urlencoded"),
        (super::membership::AccountRequest = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = Status, example = json!({"status": "member unbanned"})),
        (status = 400, body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not the owner", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn unban(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
    input: Input,
) -> Result<Json<Status>, ApiError> {
    let owned = state.app.owned_server(&caller, ServerId(id)).await?;
    state.app.unban(&owned, target_account(input)?).await?;
    Ok(Json(Status {
        status: "member unbanned",
    }))
}

/// Who is banned from a server you own, oldest ban first.
#[utoipa::path(
    get, path = "/api/servers/{id}/bans/", tag = "moderation", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    responses(
        (status = 200, body = Vec<BanView>),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not the owner", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn bans(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
) -> Result<Json<Vec<BanView>>, ApiError> {
    let owned = state.app.owned_server(&caller, ServerId(id)).await?;
    let bans = state.app.bans(&owned).await?;
    Ok(Json(bans.iter().map(BanView::from).collect()))
}
