//! The chat socket, `GET /<server>/<channel>?token=<access>`: checked at the handshake
//! (origin, token, channel, membership), then one reader (this task) and one writer task.
//! The writer sends what the hub queued, this socket's own error frames, pings, and the close
//! frame when the hub asks for one; the reader stores messages before they are broadcast, in
//! the order they came.

use super::commands::{self, Command};
use super::views::SocketMessage;
use super::{broadcast, frames, is_member};
use crate::AppState;
use crate::auth::current_account;
use crate::auth::tokens::TokenType;
use crate::config::ChatConfig;
use crate::error::{ApiError, Detail};
use crate::extract::{Id, PathParam, QueryParams};
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};
use axum::response::Response;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use pingme_domain::account::Account;
use pingme_domain::messages::{MessageBody, MessageWrite, NewMessage};
use pingme_domain::{AccountId, ChannelId, ServerId};
use pingme_realtime::{Close, CloseHandle, Connection, close_codes};
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, mpsc};
use tokio::time::error::Elapsed;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Incoming frames over this size close the socket (1009).
pub const MAX_FRAME_BYTES: usize = 16 * 1024;
/// This socket's own error frames waiting to be sent; a client that keeps sending bad
/// frames without reading the answers is closed as too slow.
const REPLY_QUEUE: usize = 64;
/// The socket library's buffers, far below its 128 KiB defaults. The read buffer is
/// allocated up front for every socket, so the default alone cost 128 KiB per idle socket;
/// chat frames are small, and a larger one (up to 16 KiB) is simply read in several pieces.
/// A batch of outgoing frames is written in 8 KiB pieces and flushed at its end.
const READ_BUFFER: usize = 2 * 1024;
const WRITE_BUFFER: usize = 8 * 1024;
/// Everything the socket library may hold for a client that does not read: the frames of a
/// batch on their way out and the answers to its pings (pongs, and the close frame). Without
/// a bound, a client sending pings and never reading grew this buffer by a pong per ping,
/// hundreds of MiB a second. Above the write buffer plus the largest frame (16 KiB of text,
/// which JSON escaping can blow up to a few times that), so that it is only ever reached by
/// a client that has stopped reading.
const MAX_WRITE_BUFFER: usize = 128 * 1024;
/// Queued frames the writer sends before flushing.
const BATCH: usize = 64;

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
    let seat = (account, claims.ver);
    let connection = state
        .hub
        .join((server, channel), seat, state.config.chat.socket_queue);
    let account = current_account(&state, &claims)
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
    if !is_member(&state, server, account.id).await? {
        return Err(ApiError::Forbidden(
            "Only members of this server can join its channels.".into(),
        ));
    }
    let upgrade = upgrade.map_err(|_| {
        ApiError::BadRequest("This address takes WebSocket connections only.".into())
    })?;
    let seat = Seat { account, channel };
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
fn check_origin(state: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
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

/// Who a socket is, and where.
struct Seat {
    account: Account,
    channel: ChannelId,
}

async fn session(state: AppState, socket: WebSocket, seat: Seat, connection: Connection) {
    let closing = connection.handle();
    let (sink, stream) = socket.split();
    let (replies, replies_rx) = mpsc::channel(REPLY_QUEUE);
    let pongs = Arc::new(Notify::new());
    let outgoing = Outbox {
        connection,
        replies: replies_rx,
        pongs: pongs.clone(),
    };
    let writer = tokio::spawn(write(sink, outgoing, state.config.chat));
    let inbox = Inbox {
        closing: &closing,
        replies: &replies,
        pongs: &pongs,
    };
    read(&state, stream, &seat, &inbox).await;
    // However reading ended, the writer stops too (a no-op if a close is already asked for).
    closing.close(Close {
        code: 1000,
        reason: "",
    });
    let _ = writer.await;
}

/// What the writer sends: the hub's frames, this socket's own error frames, and the pongs
/// the socket library owes the client.
struct Outbox {
    connection: Connection,
    replies: mpsc::Receiver<String>,
    /// Signalled by the reader for every ping: the pong is written and flushed here, under
    /// the same deadline as everything else the server writes.
    pongs: Arc<Notify>,
}

/// What the reader shares with the writer.
struct Inbox<'a> {
    closing: &'a CloseHandle,
    replies: &'a mpsc::Sender<String>,
    pongs: &'a Notify,
}

async fn write(mut sink: SplitSink<WebSocket, Message>, mut outbox: Outbox, chat: ChatConfig) {
    let ping_every = chat.ping_interval;
    let closing = outbox.connection.handle();
    // Made once: a close future per loop turn would register and unregister with the
    // close signal on every frame.
    let closed = closing.closed();
    tokio::pin!(closed);
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        // Pings, pongs and this socket's own error frames go before the channel's frames,
        // so that a busy channel cannot hold them back.
        let outgoing = tokio::select! {
            biased;
            close = &mut closed => return send_close(&mut sink, close, chat.close_grace).await,
            _ = ping.tick() => Outgoing::One(Message::Ping(Bytes::new())),
            () = outbox.pongs.notified() => Outgoing::Pongs,
            Some(reply) = outbox.replies.recv() => Outgoing::One(Message::Text(reply.into())),
            Some(frame) = outbox.connection.frames.recv() => Outgoing::Frames(frame),
        };
        // A client that stops reading blocks the send; a close asked for meanwhile (4008
        // when its queue overflows) still goes out as soon as the client reads again.
        let send = send(&mut sink, &mut outbox.connection, outgoing);
        let sent = tokio::select! {
            biased;
            close = &mut closed => return send_close(&mut sink, close, chat.close_grace).await,
            sent = tokio::time::timeout(chat.send_timeout, send) => sent,
        };
        let Some(close) = must_close(sent) else {
            continue;
        };
        closing.close(close.clone());
        // 1006 is never sent: there is no connection to send it on.
        if close.code != 1006 {
            send_close(&mut sink, close, chat.close_grace).await;
        }
        return;
    }
}

/// Why the socket must close after a send, if it must.
fn must_close(sent: Result<Result<(), axum::Error>, Elapsed>) -> Option<Close> {
    let not_reading = Close {
        code: close_codes::TOO_SLOW,
        reason: "too slow: the client is not reading",
    };
    match sent {
        Ok(Ok(())) => None,
        // Nothing could leave within the deadline, or the bounded buffer is full: the client
        // has stopped reading, and what it is owed stays bounded until the socket goes.
        Err(_) => Some(not_reading),
        Ok(Err(error)) if is_write_buffer_full(&error) => Some(not_reading),
        // The connection is gone: the reader stops too.
        Ok(Err(_)) => Some(Close {
            code: 1006,
            reason: "connection lost",
        }),
    }
}

fn is_write_buffer_full(error: &axum::Error) -> bool {
    std::error::Error::source(error)
        .and_then(|source| source.downcast_ref::<tungstenite::Error>())
        .is_some_and(|e| matches!(e, tungstenite::Error::WriteBufferFull(_)))
}

enum Outgoing {
    Frames(Utf8Bytes),
    One(Message),
    /// Flush what the socket library queued by itself (pongs).
    Pongs,
}

async fn send(
    sink: &mut SplitSink<WebSocket, Message>,
    connection: &mut Connection,
    outgoing: Outgoing,
) -> Result<(), axum::Error> {
    match outgoing {
        Outgoing::Frames(first) => send_batch(sink, connection, first).await,
        Outgoing::One(message) => sink.send(message).await,
        Outgoing::Pongs => sink.flush().await,
    }
}

/// Sends the close frame, giving a client that is behind some time to take it.
async fn send_close(sink: &mut SplitSink<WebSocket, Message>, close: Close, grace: Duration) {
    let frame = CloseFrame {
        code: close.code,
        reason: Utf8Bytes::from_static(close.reason),
    };
    let _ = tokio::time::timeout(grace, sink.send(Message::Close(Some(frame)))).await;
}

/// Sends a frame and whatever else is already queued, then flushes once.
async fn send_batch(
    sink: &mut SplitSink<WebSocket, Message>,
    connection: &mut Connection,
    first: Utf8Bytes,
) -> Result<(), axum::Error> {
    sink.feed(Message::Text(first)).await?;
    for _ in 1..BATCH {
        let Ok(frame) = connection.frames.try_recv() else {
            break;
        };
        sink.feed(Message::Text(frame)).await?;
    }
    sink.flush().await
}

/// Reads until the client leaves or a close is asked for; in the second case, goes on
/// reading (and dropping) a little longer, so the client gets the close frame before the
/// connection goes instead of a reset.
async fn read(
    state: &AppState,
    mut stream: SplitStream<WebSocket>,
    seat: &Seat,
    inbox: &Inbox<'_>,
) {
    if receive(state, &mut stream, seat, inbox).await == Ended::ByServer {
        let _ = tokio::time::timeout(state.config.chat.close_grace, async {
            while let Some(Ok(message)) = stream.next().await {
                if matches!(message, Message::Close(_)) {
                    break;
                }
            }
        })
        .await;
    }
}

#[derive(PartialEq, Eq)]
enum Ended {
    ByClient,
    ByServer,
}

async fn receive(
    state: &AppState,
    stream: &mut SplitStream<WebSocket>,
    seat: &Seat,
    inbox: &Inbox<'_>,
) -> Ended {
    let closing = inbox.closing;
    let idle = state.config.chat.idle_timeout;
    let server_closes = |close: Close| {
        closing.close(close);
        Ended::ByServer
    };
    let closed = closing.closed();
    let silence = tokio::time::sleep(idle);
    tokio::pin!(closed, silence);
    loop {
        let next = tokio::select! {
            _ = &mut closed => return Ended::ByServer,
            _ = &mut silence => return server_closes(Close { code: 1000, reason: "silent for too long" }),
            next = stream.next() => next,
        };
        let message = match next {
            None | Some(Ok(Message::Close(_))) => return Ended::ByClient,
            Some(Err(error)) => return server_closes(read_error(error)),
            Some(Ok(message)) => message,
        };
        // A sign of life is a frame of the protocol or an answer to the server's ping. A
        // client's own pings are not: they cost the server a pong each and prove nothing
        // about the client reading, so a socket sending only pings still goes silent.
        if !matches!(message, Message::Ping(_)) {
            silence.as_mut().reset(tokio::time::Instant::now() + idle);
        }
        let reply = match message {
            Message::Text(text) => match handle(state, seat, closing, text.as_str()).await {
                Ok(()) if closing.is_closing() => return Ended::ByServer,
                Ok(()) => continue,
                Err(reply) => reply,
            },
            Message::Binary(_) => problem("binary_not_supported", "Frames are JSON text."),
            // The library queued the pong; the writer sends it, under its deadline.
            Message::Ping(_) => {
                inbox.pongs.notify_one();
                continue;
            }
            _ => continue,
        };
        if inbox.replies.try_send(reply).is_err() {
            return server_closes(Close {
                code: close_codes::TOO_SLOW,
                reason: "too slow reading error frames",
            });
        }
    }
}

fn read_error(error: axum::Error) -> Close {
    let too_big = error
        .into_inner()
        .downcast::<tungstenite::Error>()
        .is_ok_and(|e| matches!(*e, tungstenite::Error::Capacity(_)));
    if too_big {
        Close {
            code: close_codes::TOO_BIG,
            reason: "frame over 16 KiB",
        }
    } else {
        Close {
            code: 1002,
            reason: "protocol error",
        }
    }
}

/// An error frame for this socket only.
fn problem(code: &str, detail: &str) -> String {
    frames::error(frames::ErrorData {
        code,
        detail,
        retry_after_ms: None,
    })
}

/// Carries out one client frame; an error frame to send back otherwise.
async fn handle(
    state: &AppState,
    seat: &Seat,
    closing: &CloseHandle,
    text: &str,
) -> Result<(), String> {
    let max = state.config.chat.max_message_chars;
    match commands::parse(text, max).map_err(|r| problem(r.code, &r.detail))? {
        Command::Typing => {
            if state.limits.typing(seat.account.id, seat.channel) {
                broadcast(
                    state,
                    seat.channel,
                    frames::typing(seat.account.id.0, seat.channel.0),
                    Some(seat.account.id),
                );
            }
            Ok(())
        }
        Command::Message { body, nonce } => post(state, seat, closing, body, nonce).await,
    }
}

async fn post(
    state: &AppState,
    seat: &Seat,
    closing: &CloseHandle,
    body: MessageBody,
    nonce: Option<String>,
) -> Result<(), String> {
    if let Err(wait) = state.limits.message(seat.account.id, seat.channel) {
        let retry_after_ms = Some(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX));
        let detail = "Too many messages; wait before sending more.";
        return Err(frames::error(frames::ErrorData {
            code: "rate_limited",
            detail,
            retry_after_ms,
        }));
    }
    let new = NewMessage {
        channel: seat.channel,
        author: seat.account.id,
        body,
    };
    let gone = |code, reason| {
        closing.close(Close { code, reason });
        Ok(())
    };
    match state.store.create_message(&new).await {
        Ok(MessageWrite::Done(message)) => {
            let view = SocketMessage::new(&message, state);
            let frame = frames::new_message(&view, nonce.as_deref());
            broadcast(state, seat.channel, frame, None);
            Ok(())
        }
        // Removed meanwhile (the removal's own close may be on its way): nothing was stored.
        Ok(MessageWrite::Refused) => {
            gone(close_codes::FORBIDDEN, "no longer a member of this server")
        }
        Ok(MessageWrite::Missing) => gone(close_codes::GONE, "the channel was deleted"),
        Err(error) => {
            tracing::error!(channel = %seat.channel, error = %error, "message not stored");
            Err(problem(
                "unavailable",
                "The message could not be stored; try again.",
            ))
        }
    }
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
