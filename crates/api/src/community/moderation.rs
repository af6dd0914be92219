//! Kicking, banning and unbanning (a server's owner). Removing someone publishes
//! `MemberRemoved`, which closes their open sockets in the server.

use super::membership::target_account;
use super::views::{BanView, Status};
use super::{access, allowed, missing};
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, AuthErrorBody, Detail, FieldErrorsSchema};
use crate::extract::{Id, PathParam};
use crate::input::Input;
use axum::Json;
use axum::extract::State;
use pingme_domain::account::Account;
use pingme_domain::community::{Banned, Left, Server};
use pingme_domain::events::Event;
use pingme_domain::permissions::manage_server;
use pingme_domain::{AccountId, ServerId};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(kick))
        .routes(routes!(ban))
        .routes(routes!(unban))
        .routes(routes!(bans))
}

/// The server, once the caller is known to own it.
async fn owned(state: &AppState, caller: &Account, id: i64) -> Result<Server, ApiError> {
    let access = access(state, ServerId(id), Some(caller)).await?;
    allowed(manage_server(access.relation))?;
    Ok(access.server)
}

/// The account a moderation request names: an existing one other than the owner.
async fn target(state: &AppState, server: &Server, input: Input) -> Result<AccountId, ApiError> {
    let account = target_account(input)?;
    if account == server.owner {
        return Err(ApiError::BadRequest(
            "The owner cannot be removed from their own server.".into(),
        ));
    }
    if state.store.account(account).await?.is_none() {
        return Err(ApiError::field("account", missing(account.0)));
    }
    Ok(account)
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
    let server = owned(&state, &caller, id).await?;
    let account = target(&state, &server, input).await?;
    match state.store.leave(server.id, account).await? {
        Left::Left => state.events.publish(Event::MemberRemoved {
            server: server.id,
            account,
        }),
        Left::NotMember => {
            return Err(ApiError::field(
                "account",
                "That account is not a member of this server.",
            ));
        }
        Left::Owner => return Err(owner_targeted()),
    }
    Ok(Json(Status {
        status: "member kicked",
    }))
}

fn owner_targeted() -> ApiError {
    ApiError::BadRequest("The owner cannot be removed from their own server.".into())
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
    let server = owned(&state, &caller, id).await?;
    let account = target(&state, &server, input).await?;
    match state.store.ban(server.id, account).await? {
        Banned::Banned { was_member: true } => state.events.publish(Event::MemberRemoved {
            server: server.id,
            account,
        }),
        Banned::Banned { was_member: false } => {}
        Banned::Owner => return Err(owner_targeted()),
    }
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
    let server = owned(&state, &caller, id).await?;
    let account = target_account(input)?;
    state.store.unban(server.id, account).await?;
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
    let server = owned(&state, &caller, id).await?;
    let bans = state.store.bans(server.id).await?;
    Ok(Json(bans.iter().map(BanView::from).collect()))
}
