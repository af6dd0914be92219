//! `/api/channels/`: text channels, made by a server's owner, read by whoever may see the
//! server, changed by their maker or the server's owner, never moved between servers. The
//! writes are the use cases of [`pingme_app::community`].

use super::views::ChannelView;
use super::{access, allowed, missing};
use crate::AppState;
use crate::auth::{AuthUser, MaybeAuthUser};
use crate::error::{ApiError, AuthErrorBody, Detail, FieldErrorsSchema};
use crate::extract::{Id, PathParam, QueryParams};
use crate::fields::Fields;
use crate::input::Input;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingme_app::AppError;
use pingme_domain::account::Account;
use pingme_domain::community::{ChannelChanges, ChannelName, Description, TEXT_CHANNEL};
use pingme_domain::permissions::see_server;
use pingme_domain::{ChannelId, ServerId};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(retrieve, replace, update, delete))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only the channels of this server.
    #[param(value_type = Option<i64>)]
    server: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ChannelRequest {
    /// Stored lowercase; at most 100 characters.
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    /// Server id; cannot change after creation.
    server: i64,
    /// Only `text`.
    #[schema(rename = "type", nullable = false, pattern = "^text$")]
    kind: Option<String>,
    /// At most 255 characters; `null` clears it.
    #[schema(max_length = 255)]
    description: Option<String>,
}

/// Channels, by id, of every server the caller may see (or of one, with `?server=`).
#[utoipa::path(
    get, path = "/api/channels/", tag = "channels", security((), ("jwt" = [])),
    params(ListQuery),
    responses(
        (status = 200, body = Vec<ChannelView>),
        (status = 400, description = "A non-numeric server id", body = FieldErrorsSchema),
        (status = 401, description = "An invalid token", body = AuthErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    MaybeAuthUser(caller): MaybeAuthUser,
    QueryParams(params): QueryParams<ListQuery>,
) -> Result<Json<Vec<ChannelView>>, ApiError> {
    let server = params
        .server
        .as_deref()
        .map(|v| {
            Id::parse(v.trim())
                .map(ServerId)
                .ok_or_else(|| ApiError::field("server", "A valid integer is required."))
        })
        .transpose()?;
    let channels = state.store.channels(caller.map(|a| a.id), server).await?;
    Ok(Json(channels.iter().map(ChannelView::from).collect()))
}

/// One channel, if the caller may see its server.
#[utoipa::path(
    get, path = "/api/channels/{id}/", tag = "channels", security((), ("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    responses(
        (status = 200, body = ChannelView),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "A private server's channel, and not a member", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn retrieve(
    State(state): State<AppState>,
    MaybeAuthUser(caller): MaybeAuthUser,
    PathParam(Id(id)): PathParam<Id>,
) -> Result<Json<ChannelView>, ApiError> {
    let channel = state
        .store
        .channel(ChannelId(id))
        .await?
        .ok_or(ApiError::NotFound)?;
    let access = access(&state, channel.server, caller.as_ref()).await?;
    allowed(see_server(access.server.is_private, access.relation))?;
    Ok(Json(ChannelView::from(&channel)))
}

/// The `type` field: absent or `text`.
fn check_type(form: &mut Fields) {
    if let Some(kind) = form.optional("type", |t| Ok(t.to_owned()))
        && kind != TEXT_CHANNEL
    {
        form.reject("type", format!("\"{kind}\" is not a valid choice."));
    }
}

/// Create a channel in a server you own.
#[utoipa::path(
    post, path = "/api/channels/", tag = "channels", security(("jwt" = [])),
    request_body(content(
        (ChannelRequest = "application/json"),
        (ChannelRequest = "application/x-www-form-urlencoded"),
        (ChannelRequest = "multipart/form-data"),
    )),
    responses(
        (status = 201, body = ChannelView),
        (status = 400, description = "Invalid fields, unknown server, a type other than text", body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not the server's owner", body = Detail),
    )
)]
async fn create(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    input: Input,
) -> Result<(StatusCode, Json<ChannelView>), ApiError> {
    let mut form = Fields::new(input);
    let name = form.required("name", ChannelName::parse);
    let server = form.integer("server", true);
    let description = form.nullable("description", Description::parse).flatten();
    check_type(&mut form);
    let (name, server) = form.finish((name, server))?;
    // An unknown server is a field error here, not a 404: it is named in the body.
    let owned = match state.app.owned_server(&caller, ServerId(server)).await {
        Err(AppError::NotFound) => return Err(ApiError::field("server", missing(server))),
        other => other?,
    };
    let channel = state.app.create_channel(&owned, name, description).await?;
    Ok((StatusCode::CREATED, Json(ChannelView::from(&channel))))
}

/// Replace a channel's fields (its maker or the server's owner): `name` and `server` are
/// required, and `server` must stay the same.
#[utoipa::path(
    put, path = "/api/channels/{id}/", tag = "channels", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    request_body(content(
        (ChannelRequest = "application/json"),
        (ChannelRequest = "application/x-www-form-urlencoded"),
        (ChannelRequest = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = ChannelView),
        (status = 400, description = "Invalid fields, or an attempt to move the channel", body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Neither the channel's maker nor the server's owner", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn replace(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
    input: Input,
) -> Result<Json<ChannelView>, ApiError> {
    change(&state, &caller, ChannelId(id), input, true).await
}

/// Change a channel's name or description (its maker or the server's owner).
#[utoipa::path(
    patch, path = "/api/channels/{id}/", tag = "channels", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    request_body(content(
        (ChannelRequest = "application/json"),
        (ChannelRequest = "application/x-www-form-urlencoded"),
        (ChannelRequest = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = ChannelView),
        (status = 400, description = "Invalid fields, or an attempt to move the channel", body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Neither the channel's maker nor the server's owner", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn update(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
    input: Input,
) -> Result<Json<ChannelView>, ApiError> {
    change(&state, &caller, ChannelId(id), input, false).await
}

async fn change(
    state: &AppState,
    caller: &Account,
    id: ChannelId,
    input: Input,
    whole: bool,
) -> Result<Json<ChannelView>, ApiError> {
    let managed = state.app.managed_channel(caller, id).await?;
    let mut form = Fields::new(input);
    let name = if whole {
        form.required("name", ChannelName::parse)
    } else {
        form.optional("name", ChannelName::parse)
    };
    if let Some(server) = form.integer("server", whole)
        && server != managed.channel().server.0
    {
        form.reject("server", "A channel cannot be moved to another server.");
    }
    let description = form.nullable("description", Description::parse);
    check_type(&mut form);
    form.check()?;
    let changes = ChannelChanges { name, description };
    let channel = state.app.update_channel(&managed, changes).await?;
    Ok(Json(ChannelView::from(&channel)))
}

/// Delete a channel (its maker or the server's owner). Its sockets close.
#[utoipa::path(
    delete, path = "/api/channels/{id}/", tag = "channels", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Neither the channel's maker nor the server's owner", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn delete(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
) -> Result<StatusCode, ApiError> {
    let managed = state.app.managed_channel(&caller, ChannelId(id)).await?;
    state.app.delete_channel(managed).await?;
    Ok(StatusCode::NO_CONTENT)
}
