//! `/api/messages/`: a channel's history for its server's members, posting (with a nonce
//! that makes a retry safe), edits by the sender, deletion by the sender or the server's
//! owner.

use super::views::MessageView;
use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, AuthErrorBody, Detail, FieldErrorsSchema};
use crate::extract::{Id, PathParam, QueryParams};
use crate::fields::{Fields, parse_bool};
use crate::input::Input;
use crate::paging::{self, PageSizes, number};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use pingme_app::AppError;
use pingme_domain::AttachmentId;
use pingme_domain::ChannelId;
use pingme_domain::account::Account;
use pingme_domain::messages::{Emoji, MAX_ATTACHMENTS, MessageBody, MessageId, Nonce, Page};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Messages in a history page when `limit` is not given, and the most it may ask for.
pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 100;
const SIZES: PageSizes = PageSizes {
    default: DEFAULT_PAGE,
    max: MAX_PAGE,
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(retrieve, update, delete))
        .routes(routes!(react, unreact))
        .routes(routes!(pin, unpin))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct HistoryQuery {
    /// The channel; absent or not a number: an empty list.
    #[param(value_type = Option<i64>)]
    channel_id: Option<String>,
    /// At most this many (default 50, at most 100).
    #[param(value_type = Option<u32>, minimum = 1)]
    limit: Option<String>,
    /// Only messages older than this id (the page just before it).
    #[param(value_type = Option<i64>)]
    before: Option<String>,
    /// Only messages newer than this id (the page just after it).
    #[param(value_type = Option<i64>)]
    after: Option<String>,
    /// `true`: the channel's pinned messages instead (at most 50), the latest pinned
    /// first; `limit`, `before` and `after` do not apply.
    #[param(value_type = Option<bool>)]
    pinned: Option<String>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SendRequest {
    #[schema(example = 1)]
    channel_id: i64,
    /// Trimmed; at most `PINGME_MAX_MESSAGE_CHARS` (4000) characters. Required and not
    /// blank, unless the message has `attachments`.
    #[schema(nullable = false)]
    content: Option<String>,
    /// The client's name for this send, 1–100 characters (surrounding whitespace ignored):
    /// the same nonce from the same sender in the same channel within 10 minutes answers
    /// 200 with the message the first send made, and makes no other.
    #[schema(min_length = 1, max_length = 100, nullable)]
    nonce: Option<String>,
    /// A message of the same channel this one answers.
    #[schema(value_type = Option<i64>, nullable)]
    reply_to: Option<i64>,
    /// At most 4 distinct images the sender uploaded (`POST /api/attachments/`) and has not
    /// used yet, in the order to show them; with them, `content` may be blank or left out.
    #[schema(value_type = Option<Vec<i64>>, nullable, max_items = 4)]
    attachments: Option<Vec<i64>>,
}

#[derive(ToSchema)]
#[allow(dead_code)]
pub struct EditRequest {
    /// Trimmed; not blank; at most `PINGME_MAX_MESSAGE_CHARS` (4000) characters.
    #[schema(min_length = 1)]
    content: String,
}

/// The page a history query asks for.
fn page(query: &HistoryQuery) -> Result<Page, ApiError> {
    let limit = paging::limit(&query.limit, SIZES)?;
    let before = number("before", &query.before, Id::parse)?.map(MessageId);
    Ok(
        match (
            number("after", &query.after, Id::parse)?.map(MessageId),
            before,
        ) {
            (Some(after), before) => Page::After {
                after,
                before,
                limit,
            },
            (None, Some(id)) => Page::Before { id, limit },
            (None, None) => Page::Latest { limit },
        },
    )
}

/// Whether the query asks for the pinned messages.
fn pinned(query: &HistoryQuery) -> Result<bool, ApiError> {
    match query.pinned.as_deref().map(str::trim) {
        None | Some("") => Ok(false),
        Some(text) => parse_bool(text)
            .ok_or_else(|| ApiError::from(AppError::field("pinned", "Must be a valid boolean."))),
    }
}

/// A page of a channel's messages, oldest first: by default the latest 50 (at most 100);
/// `before`/`after` an id for the pages around it. Members of the channel's server only.
#[utoipa::path(
    get, path = "/api/messages/", tag = "messages", security(("jwt" = [])),
    params(HistoryQuery),
    responses(
        (status = 200, body = Vec<MessageView>),
        (status = 400, description = "A limit, before or after that is not a positive number", body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not a member of the channel's server", body = Detail),
        (status = 404, description = "No such channel", body = Detail),
    )
)]
async fn list(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    QueryParams(query): QueryParams<HistoryQuery>,
) -> Result<Response, ApiError> {
    // The original answered [] to a missing or non-numeric channel: so does pingme (and
    // an id is digits, as in a path: `+1` is not one).
    let Some(channel) = query
        .channel_id
        .as_deref()
        .and_then(|c| Id::parse(c.trim()))
        .map(ChannelId)
    else {
        return Ok(Json(Vec::<MessageView>::new()).into_response());
    };
    if pinned(&query)? {
        let pins = state.app.pins(&caller, channel).await?;
        let views: Vec<MessageView> = pins.iter().map(|m| MessageView::new(m, &state)).collect();
        return Ok(Json(views).into_response());
    }
    let page = page(&query)?;
    let body = state.app.history(&caller, channel, page).await?;
    Ok(([(CONTENT_TYPE, "application/json")], body).into_response())
}

/// Send a message (members of the channel's server): every socket of the channel gets it,
/// as one sent over the chat socket. With a `nonce`, a retry of the same send within 10
/// minutes answers 200 with the message already made, whatever its `content`. With
/// `reply_to`, it answers a message of the same channel (400 otherwise).
#[utoipa::path(
    post, path = "/api/messages/", tag = "messages", security(("jwt" = [])),
    request_body(content(
        (SendRequest = "application/json"),
        (SendRequest = "application/x-www-form-urlencoded"),
        (SendRequest = "multipart/form-data"),
    )),
    responses(
        (status = 201, description = "Sent", body = MessageView),
        (status = 200, description = "Sent earlier with this nonce", body = MessageView),
        (status = 400, description = "Invalid fields", body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not a member of the channel's server", body = Detail),
        (status = 404, description = "No such channel", body = Detail),
        (status = 429, description = "Too many messages into this channel; see `Retry-After`", body = Detail),
    )
)]
async fn create(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    input: Input,
) -> Result<(StatusCode, Json<MessageView>), ApiError> {
    let max = state.config.chat.max_message_chars;
    let mut form = Fields::new(input);
    let channel = form.integer("channel_id", true);
    let attachments: Vec<AttachmentId> = form
        .ids("attachments", MAX_ATTACHMENTS)
        .into_iter()
        .map(AttachmentId)
        .collect();
    // With images, the text may be left out, null or blank.
    let body = match attachments.is_empty() {
        true => form.required("content", |text| MessageBody::parse(text, max)),
        false => {
            let text = form.nullable("content", |text| match text.is_empty() {
                true => Ok(MessageBody::blank()),
                false => MessageBody::parse(text, max),
            });
            // A refused text (too long, not UTF-8) is an error of the form already.
            Some(text.flatten().unwrap_or_else(MessageBody::blank))
        }
    };
    let nonce = form.nullable("nonce", Nonce::parse).flatten();
    let reply_to = form.nullable_integer("reply_to").map(MessageId);
    let (channel, body) = form.finish((channel, body))?;
    let channel = ChannelId(channel);
    state
        .limits
        .message(caller.id, channel)
        .map_err(ApiError::RateLimited)?;
    let sent = state
        .app
        .send_message(&caller, channel, body, nonce, reply_to, attachments)
        .await?;
    let status = match sent.new {
        true => StatusCode::CREATED,
        false => StatusCode::OK,
    };
    Ok((status, Json(MessageView::new(&sent.message, &state))))
}

/// One message (members of its server).
#[utoipa::path(
    get, path = "/api/messages/{id}/", tag = "messages", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    responses(
        (status = 200, body = MessageView),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not a member of its server", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn retrieve(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
) -> Result<Json<MessageView>, ApiError> {
    let message = state.app.message(&caller, MessageId(id)).await?;
    Ok(Json(MessageView::new(&message, &state)))
}

/// Edit your message; every socket of its channel gets `message_update`. Without
/// `content`, nothing changes.
#[utoipa::path(
    patch, path = "/api/messages/{id}/", tag = "messages", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    request_body(content(
        (EditRequest = "application/json"),
        (EditRequest = "application/x-www-form-urlencoded"),
        (EditRequest = "multipart/form-data"),
    )),
    responses(
        (status = 200, body = MessageView),
        (status = 400, description = "Blank or too long", body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not the sender", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn update(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
    input: Input,
) -> Result<Json<MessageView>, ApiError> {
    let message = state.app.own_message(&caller, MessageId(id)).await?;
    let max = state.config.chat.max_message_chars;
    let mut form = Fields::new(input);
    let body = form.optional("content", |text| MessageBody::parse(text, max));
    form.check()?;
    // A partial update that changes nothing, as in the original's `partial_update`.
    let Some(body) = body else {
        return Ok(Json(MessageView::new(&message, &state)));
    };
    let edited = state.app.edit_message(&caller, message, body).await?;
    Ok(Json(MessageView::new(&edited, &state)))
}

/// Delete a message: its sender, or the owner of its server. Every socket of its channel
/// gets `message_delete`.
#[utoipa::path(
    delete, path = "/api/messages/{id}/", tag = "messages", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Neither the sender nor the server's owner", body = Detail),
        (status = 404, body = Detail),
    )
)]
async fn delete(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
) -> Result<StatusCode, ApiError> {
    state.app.delete_message(&caller, MessageId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An emoji in a path, as reactions take it.
fn emoji(text: &str) -> Result<Emoji, ApiError> {
    Emoji::parse(text).map_err(|refusal| AppError::field("emoji", refusal.to_string()).into())
}

/// React to a message you can read with one emoji (Unicode's emoji set, percent-encoded in
/// the path; a message has at most 20 different ones). Again with the same emoji: nothing
/// changes. The server's gateway sessions get `reaction_add`.
#[utoipa::path(
    put, path = "/api/messages/{id}/reactions/{emoji}/", tag = "messages", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1), ("emoji" = String, Path, example = "👍")),
    responses(
        (status = 204, description = "Given"),
        (status = 400, description = "Not an emoji (field errors), or the message has 20 others (`detail`)", body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not a member of its server", body = Detail),
        (status = 404, body = Detail),
        (status = 429, description = "Too many reactions and pins; see `Retry-After`", body = Detail),
    )
)]
async fn react(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(path): PathParam<(Id, String)>,
) -> Result<StatusCode, ApiError> {
    reaction(&state, &caller, path, true).await
}

/// Take back your reaction. One you never gave: nothing changes. The server's gateway
/// sessions get `reaction_remove`.
#[utoipa::path(
    delete, path = "/api/messages/{id}/reactions/{emoji}/", tag = "messages", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1), ("emoji" = String, Path, example = "👍")),
    responses(
        (status = 204, description = "Taken back"),
        (status = 400, description = "Not an emoji", body = FieldErrorsSchema),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not a member of its server", body = Detail),
        (status = 404, body = Detail),
        (status = 429, description = "Too many reactions and pins; see `Retry-After`", body = Detail),
    )
)]
async fn unreact(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(path): PathParam<(Id, String)>,
) -> Result<StatusCode, ApiError> {
    reaction(&state, &caller, path, false).await
}

/// Pin a message: the server's owner (at most 50 per channel). The server's gateway
/// sessions get `message_update` with `pinned` true.
#[utoipa::path(
    put, path = "/api/messages/{id}/pin/", tag = "messages", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    responses(
        (status = 204, description = "Pinned"),
        (status = 400, description = "The channel has 50 pinned messages", body = Detail),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not the server's owner", body = Detail),
        (status = 404, body = Detail),
        (status = 429, description = "Too many reactions and pins; see `Retry-After`", body = Detail),
    )
)]
async fn pin(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
) -> Result<StatusCode, ApiError> {
    set_pin(&state, &caller, MessageId(id), true).await
}

/// Unpin a message: the server's owner.
#[utoipa::path(
    delete, path = "/api/messages/{id}/pin/", tag = "messages", security(("jwt" = [])),
    params(("id" = i64, Path, example = 1)),
    responses(
        (status = 204, description = "Unpinned"),
        (status = 401, body = AuthErrorBody),
        (status = 403, description = "Not the server's owner", body = Detail),
        (status = 404, body = Detail),
        (status = 429, description = "Too many reactions and pins; see `Retry-After`", body = Detail),
    )
)]
async fn unpin(
    State(state): State<AppState>,
    AuthUser(caller): AuthUser,
    PathParam(Id(id)): PathParam<Id>,
) -> Result<StatusCode, ApiError> {
    set_pin(&state, &caller, MessageId(id), false).await
}

/// Gives (`add`) or takes back the caller's reaction named by the path.
async fn reaction(
    state: &AppState,
    caller: &Account,
    (Id(id), text): (Id, String),
    add: bool,
) -> Result<StatusCode, ApiError> {
    let emoji = emoji(&text)?;
    state
        .limits
        .mark(caller.id)
        .map_err(ApiError::RateLimited)?;
    match add {
        true => state.app.react(caller, MessageId(id), emoji).await?,
        false => state.app.unreact(caller, MessageId(id), emoji).await?,
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Pins or unpins a message for the caller.
async fn set_pin(
    state: &AppState,
    caller: &Account,
    id: MessageId,
    pin: bool,
) -> Result<StatusCode, ApiError> {
    state
        .limits
        .mark(caller.id)
        .map_err(ApiError::RateLimited)?;
    state.app.pin(caller, id, pin).await?;
    Ok(StatusCode::NO_CONTENT)
}
