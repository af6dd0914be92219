//! `/api/dms/`: direct messages (channels without a server, whose messages go through
//! `/api/messages/` as any channel's), and `/api/account/blocks/`: the people the caller
//! blocks.

use crate::AppState;
use crate::account::AccountView;
use crate::auth::AuthUser;
use crate::error::{ApiError, AuthErrorBody, Detail, FieldErrorsSchema};
use crate::extract::{Id, PathParam};
use crate::fields::Fields;
use crate::input::Input;
use crate::media::Urls;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pingme_domain::dms::{DmView, MAX_DM_RECIPIENTS};
use pingme_domain::{AccountId, ChannelId};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(open, list))
        .routes(routes!(one, leave))
        .routes(routes!(blocked))
        .routes(routes!(block, unblock))
}

/// A direct message as the caller sees it: `recipients` are the others in it (an account
/// deleted since is no longer among them; its messages stay, as "Deleted User").
#[derive(Serialize, ToSchema)]
pub struct DmChannelView {
    pub id: i64,
    /// Always `dm`.
    #[serde(rename = "type")]
    #[schema(example = "dm")]
    pub kind: &'static str,
    /// Opened between three people or more: one may leave it.
    pub group: bool,
    pub recipients: Vec<AccountView>,
}

impl DmChannelView {
    pub fn new(dm: &DmView, urls: &Urls) -> Self {
        Self {
            id: dm.id.0,
            kind: "dm",
            group: dm.group,
            recipients: dm
                .recipients
                .iter()
                .map(|a| AccountView::with_urls(a, urls))
                .collect(),
        }
    }
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct OpenRequest {
    /// The others' account ids: 1 to 9, each once, people you share a server or a direct
    /// message with. One makes a conversation between two; more, a group.
    #[schema(example = json!([2]))]
    recipients: Vec<i64>,
}

/// Open a direct message with people you share a server or a direct message with, or find
/// the one you already have: the same people always get the same channel (anyone who left
/// that group is back in it). Everyone it is new to gets `dm_create`. Send to it with
/// `POST /api/messages/`.
#[utoipa::path(
    post, path = "/api/dms/", tag = "direct messages", security(("jwt" = [])),
    request_body = OpenRequest,
    responses(
        (status = 200, description = "These people's direct message, already there", body = DmChannelView),
        (status = 201, description = "Made now", body = DmChannelView),
        (status = 400, description = "No recipients, more than 9, yourself among them, or no such account (field errors)", body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Someone you share neither a server nor a direct message with, or a block stands between you and one of them", body = Detail),
        (status = 429, description = "Too many changes; see `Retry-After`", body = Detail),
    )
)]
async fn open(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    input: Input,
) -> Result<(StatusCode, Json<DmChannelView>), ApiError> {
    state
        .limits
        .mark(caller.id)
        .map_err(ApiError::RateLimited)?;
    let mut form = Fields::new(input);
    let recipients = form.ids("recipients", MAX_DM_RECIPIENTS);
    form.check()?;
    let recipients: Vec<AccountId> = recipients.into_iter().map(AccountId).collect();
    let opened = state.app.open_dm(&caller, &recipients).await?;
    let status = match opened.created {
        true => StatusCode::CREATED,
        false => StatusCode::OK,
    };
    Ok((
        status,
        Json(DmChannelView::new(&opened.dm, &Urls::of(&state))),
    ))
}

/// Your direct messages, by id.
#[utoipa::path(
    get, path = "/api/dms/", tag = "direct messages", security(("jwt" = [])),
    responses(
        (status = 200, body = Vec<DmChannelView>),
        (status = 401, body = AuthErrorBody),
    )
)]
async fn list(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
) -> Result<Json<Vec<DmChannelView>>, ApiError> {
    let dms = state.app.dms(&caller).await?;
    let urls = Urls::of(&state);
    Ok(Json(
        dms.iter().map(|d| DmChannelView::new(d, &urls)).collect(),
    ))
}

/// One of your direct messages.
#[utoipa::path(
    get, path = "/api/dms/{id}/", tag = "direct messages", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    responses(
        (status = 200, body = DmChannelView),
        (status = 401, body = AuthErrorBody),
        (status = 404, description = "None of yours with this id", body = Detail),
    )
)]
async fn one(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
) -> Result<Json<DmChannelView>, ApiError> {
    let dm = state.app.dm(&caller, ChannelId(id)).await?;
    Ok(Json(DmChannelView::new(&dm, &Urls::of(&state))))
}

/// Leave a group direct message: your sessions get `channel_delete`, the others
/// `dm_update`. A conversation between two is not left.
#[utoipa::path(
    delete, path = "/api/dms/{id}/", tag = "direct messages", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    responses(
        (status = 204, description = "Left"),
        (status = 400, description = "A conversation between two", body = Detail),
        (status = 401, body = AuthErrorBody),
        (status = 404, description = "None of yours with this id", body = Detail),
        (status = 429, description = "Too many changes; see `Retry-After`", body = Detail),
    )
)]
async fn leave(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
) -> Result<StatusCode, ApiError> {
    state
        .limits
        .mark(caller.id)
        .map_err(ApiError::RateLimited)?;
    state.app.leave_dm(&caller, ChannelId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The people you block, by id.
#[utoipa::path(
    get, path = "/api/account/blocks/", tag = "direct messages", security(("jwt" = [])),
    responses(
        (status = 200, body = Vec<AccountView>),
        (status = 401, body = AuthErrorBody),
    )
)]
async fn blocked(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
) -> Result<Json<Vec<AccountView>>, ApiError> {
    let blocked = state.app.blocked(&caller).await?;
    let urls = Urls::of(&state);
    Ok(Json(
        blocked
            .iter()
            .map(|a| AccountView::with_urls(a, &urls))
            .collect(),
    ))
}

/// Block someone: they cannot open a direct message with you nor post to yours between
/// two, their mentions of you count for nothing, and their events in direct messages no
/// longer reach you. Blocking twice is one block.
#[utoipa::path(
    put, path = "/api/account/blocks/{id}/", tag = "direct messages", security(("jwt" = [])),
    params(("id" = i64, Path, example = 2)),
    responses(
        (status = 204, description = "Blocked"),
        (status = 400, description = "Yourself", body = Detail),
        (status = 401, body = AuthErrorBody),
        (status = 404, description = "No such account", body = Detail),
        (status = 429, description = "Too many changes; see `Retry-After`", body = Detail),
    )
)]
async fn block(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
) -> Result<StatusCode, ApiError> {
    state
        .limits
        .mark(caller.id)
        .map_err(ApiError::RateLimited)?;
    state.app.block(&caller, AccountId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lift a block; lifting one that is not there changes nothing.
#[utoipa::path(
    delete, path = "/api/account/blocks/{id}/", tag = "direct messages", security(("jwt" = [])),
    params(("id" = i64, Path, example = 2)),
    responses(
        (status = 204, description = "Not blocked"),
        (status = 401, body = AuthErrorBody),
        (status = 429, description = "Too many changes; see `Retry-After`", body = Detail),
    )
)]
async fn unblock(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
) -> Result<StatusCode, ApiError> {
    state
        .limits
        .mark(caller.id)
        .map_err(ApiError::RateLimited)?;
    state.app.unblock(&caller, AccountId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
