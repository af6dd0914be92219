//! The chat socket, `GET /<server>/<channel>?token=<access>`: checked at the handshake
//! (origin, token, channel, membership), then one reader (this task, `reader.rs`) and one
//! writer task (`writer.rs`).

use super::reader::{self, Inbox, Seat};
use super::writer::{self, Outbox, Pings};
use crate::AppState;
use crate::auth::tokens::TokenType;
use crate::auth::{current_account_uncached, grant_of};
use crate::error::{ApiError, Detail};
use crate::extract::{Id, PathParam, QueryParams};
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};
use axum::response::Response;
use futures_util::StreamExt;
use pingme_domain::community::Standing;
use pingme_domain::{AccountId, ChannelId, ServerId};
use pingme_realtime::{Close, Connection};
use serde::Deserialize;
use std::sync::Arc;
use tokio::sync::mpsc;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Incoming frames over this size close the socket (1009).
pub const MAX_FRAME_BYTES: usize = 16 * 1024;
/// The writer's queue of pongs to flush: at most one waits at a time (`Pings::queue_pong`).
/// The socket's own error frames go in its queue of frames, behind what the hub delivered
/// before them; a client that keeps sending bad frames without reading is closed as too
/// slow once that queue is full.
const REPLY_QUEUE: usize = 1;
/// The socket library's buffers, far below its 128 KiB defaults. The read buffer is
/// allocated up front for every socket, so the default alone cost 128 KiB per idle socket;
/// chat frames are small, and a larger one (up to 16 KiB) is simply read in several pieces.
/// A batch of outgoing frames is written in 8 KiB pieces and flushed at its end.
pub(crate) const READ_BUFFER: usize = 2 * 1024;
pub(crate) const WRITE_BUFFER: usize = 8 * 1024;
/// Everything the socket library may hold for a client that does not read: the frames of a
/// batch on their way out and the answers to its pings (pongs, and the close frame). Without
/// a bound, a client sending pings and never reading grew this buffer by a pong per ping,
/// hundreds of MiB a second. Above the write buffer plus the largest frame (16 KiB of text,
/// which JSON escaping can blow up to a few times that), so that it is only ever reached by
/// a client that has stopped reading.
const MAX_WRITE_BUFFER: usize = 128 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(connect))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SocketQuery {
    /// An access token (the socket cannot send headers from a browser). Without one, the
    /// handshake is refused with 403.
    #[param(required = true)]
    token: Option<String>,
}

/// Open the chat socket of a channel. The protocol (frames, close codes) is in docs/api.md.
#[utoipa::path(
    get, path = "/{server}/{channel}", tag = "chat", security(()),
    params(("server" = i64, Path, example = 1), ("channel" = i64, Path, example = 1), SocketQuery),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket handshake", body = Detail),
        (status = 403, description = "A missing or invalid token, a foreign origin, or not a member", body = Detail),
        (status = 404, description = "No such channel in that server", body = Detail),
    )
)]
async fn connect(
    State(state): State<AppState>,
    PathParam((server, channel)): PathParam<(Id, Id)>,
    QueryParams(query): QueryParams<SocketQuery>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    check_origin(&state, &headers)?;
    let forbidden = |_| ApiError::Forbidden("A valid access token is needed (`?token=`).".into());
    let token = query
        .token
        .as_deref()
        .filter(|t| !t.is_empty())
        .ok_or(())
        .map_err(forbidden)?;
    let claims = state
        .tokens
        .decode(token, TokenType::Access)
        .map_err(|_| forbidden(()))?;
    let (server, channel) = (ServerId(server.0), ChannelId(channel.0));
    // Registered before anything is looked up: a removal or a sign-out committed after the
    // checks below then finds this socket and closes it. Registered before the handshake is
    // answered, so that everything broadcast once the client holds an open socket reaches
    // it. Dropping the connection (a refusal here, or an upgrade that never completes)
    // unregisters it.
    let account = AccountId(claims.user_id);
    let seat = (account, grant_of(&claims));
    let connection = state
        .hub
        .join((server, channel), seat, state.config.chat.socket_queue);
    // Read from the database, not the read cache: a socket lasts, and a removal whose event
    // this node missed must not let one in (the cache's TTL bounds only short reads).
    let account = current_account_uncached(&state, &claims)
        .await
        .map_err(|error| match error {
            ApiError::TokenNotValid(_) => forbidden(()),
            other => other,
        })?;
    let found = state
        .store
        .channel(channel)
        .await?
        .filter(|c| c.server == server);
    found.ok_or(ApiError::NotFound)?;
    if state.store.standing(server, account.id).await? != Standing::Member {
        return Err(ApiError::Forbidden(
            "Only members of this server can join its channels.".into(),
        ));
    }
    let upgrade = upgrade.map_err(|_| {
        ApiError::BadRequest("This address takes WebSocket connections only.".into())
    })?;
    let seat = Seat {
        account,
        server,
        channel,
    };
    Ok(upgrade
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .on_upgrade(move |socket| session(state, socket, seat, connection)))
}

/// Browsers send `Origin`; when client origins are configured, only they may connect, and
/// pages of this server itself (an `Origin` naming the `Host` the request was sent to),
/// whatever name or address the browser reached it by. Other clients send none and are let
/// in.
pub(crate) fn check_origin(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    let allowed = &state.config.cors_origins;
    let Some(origin) = headers.get(ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or_default().trim_end_matches('/');
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    if allowed.is_empty() || allowed.iter().any(|a| a == origin) || same_host(origin, host) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "This origin may not open chat sockets.".into(),
        ))
    }
}

/// Whether `origin` (`http://chat.example.com:8000`) names the host the request went to.
fn same_host(origin: &str, host: Option<&str>) -> bool {
    let authority = origin.split_once("://").map(|(_, rest)| rest);
    matches!((authority, host), (Some(a), Some(h)) if !a.is_empty() && a.eq_ignore_ascii_case(h))
}

async fn session(state: AppState, socket: WebSocket, seat: Seat, connection: Connection) {
    let closing = connection.handle();
    let own_frames = connection.own_frames();
    let (sink, stream) = socket.split();
    let (replies, replies_rx) = mpsc::channel(REPLY_QUEUE);
    let pings = Arc::new(Pings::default());
    let outbox = Outbox {
        connection,
        replies: replies_rx,
        pings: pings.clone(),
    };
    let writer = tokio::spawn(writer::write(sink, outbox, state.config.chat));
    let inbox = Inbox {
        closing: &closing,
        own_frames: &own_frames,
        replies: &replies,
        pings: &pings,
    };
    let mut stream = stream;
    let ended = reader::read(&state, &mut stream, &seat, &inbox).await;
    // However reading ended, the writer stops too (a no-op if a close is already asked for).
    closing.close(Close {
        code: 1000,
        reason: "",
    });
    // The socket leaves the hub once the writer is done, and so not before the reader has
    // announced every message it had in flight: the hub's drain at shutdown waits for them.
    // Meanwhile the reader goes on reading, so the client gets the close frame.
    let leave = async { drop(writer.await) };
    tokio::join!(leave, reader::linger(&state, stream, ended));
}

#[cfg(test)]
mod tests {
    use super::same_host;

    #[test]
    fn pages_of_this_server_are_of_its_own_host() {
        assert!(same_host(
            "http://chat.example.com:8000",
            Some("chat.example.com:8000")
        ));
        assert!(same_host(
            "https://Chat.Example.com",
            Some("chat.example.com")
        ));
        assert!(!same_host("http://evil.example", Some("chat.example.com")));
        assert!(!same_host(
            "http://chat.example.com:8001",
            Some("chat.example.com:8000")
        ));
        assert!(!same_host("null", Some("chat.example.com")));
        assert!(!same_host("http://chat.example.com", None));
    }
}
