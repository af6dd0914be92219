//! The chat socket's reader: it carries out the client's frames one after another (messages
//! are stored before they are broadcast, in the order they came), answers bad ones with
//! error frames, and watches that the client reads — only an answer to one of the server's
//! pings proves that, so a socket that answers none for `PINGME_WS_IDLE` is closed.

use super::commands::{self, Command};
use super::frames;
use super::writer::{Pings, Reply};
use crate::AppState;
use axum::extract::ws::{Message, WebSocket};
use futures_util::StreamExt;
use futures_util::stream::SplitStream;
use pingme_domain::ChannelId;
use pingme_domain::account::Account;
use pingme_domain::messages::{MessageBody, MessageWrite};
use pingme_realtime::{Close, CloseHandle, close_codes};
use tokio::sync::mpsc;

/// Who a socket is, and where.
pub struct Seat {
    pub account: Account,
    pub channel: ChannelId,
}

/// What the reader shares with the writer.
pub struct Inbox<'a> {
    pub closing: &'a CloseHandle,
    pub replies: &'a mpsc::Sender<Reply>,
    pub pings: &'a Pings,
}

/// Reads until the client leaves or a close is asked for; in the second case, goes on
/// reading (and dropping) a little longer, so the client gets the close frame before the
/// connection goes instead of a reset.
pub async fn read(
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
    // Whether the client sent frames since it last answered a ping.
    let mut spoke = false;
    loop {
        let next = tokio::select! {
            _ = &mut closed => return Ended::ByServer,
            _ = &mut silence => return server_closes(unanswered(spoke)),
            next = stream.next() => next,
        };
        let message = match next {
            None | Some(Ok(Message::Close(_))) => return Ended::ByClient,
            Some(Err(error)) => return server_closes(read_error(error)),
            Some(Ok(message)) => message,
        };
        let reply = match message {
            // The one sign that the client reads. Its own pings, or pongs nobody asked
            // for, prove nothing: they only cost the server.
            Message::Pong(payload) => {
                if inbox.pings.answered(&payload) {
                    silence.as_mut().reset(tokio::time::Instant::now() + idle);
                    spoke = false;
                }
                continue;
            }
            // The library queued the pong; the writer sends it, under its deadline.
            Message::Ping(_) => {
                if inbox.pings.queue_pong() && inbox.replies.try_send(Reply::Pong).is_err() {
                    // Full of error frames, which flush the pong as they go out.
                    inbox.pings.pong_taken();
                }
                continue;
            }
            Message::Text(text) => {
                spoke = true;
                match handle(state, seat, closing, text.as_str()).await {
                    Ok(()) if closing.is_closing() => return Ended::ByServer,
                    Ok(()) => continue,
                    Err(reply) => reply,
                }
            }
            Message::Binary(_) => {
                spoke = true;
                problem("binary_not_supported", "Frames are JSON text.")
            }
            Message::Close(_) => return Ended::ByClient,
        };
        if inbox.replies.try_send(Reply::Frame(reply)).is_err() {
            return server_closes(Close {
                code: close_codes::TOO_SLOW,
                reason: "too slow reading error frames",
            });
        }
    }
}

/// Why a socket that answered no ping for `PINGME_WS_IDLE` is closed: it went silent, or it
/// kept sending without reading.
fn unanswered(spoke: bool) -> Close {
    if spoke {
        Close {
            code: close_codes::TOO_SLOW,
            reason: "too slow: the client answers no ping, it is not reading",
        }
    } else {
        Close {
            code: 1000,
            reason: "silent for too long",
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
        Command::Typing(_) => {
            if state.limits.typing(seat.account.id, seat.channel) {
                state.app.typing(seat.account.id, seat.channel);
            }
            Ok(())
        }
        Command::Message(message) => post(state, seat, closing, message.body, message.nonce).await,
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
    let gone = |code, reason| {
        closing.close(Close { code, reason });
        Ok(())
    };
    // Boxed: its state would otherwise sit in every socket's reader, idle or not.
    let posted = Box::pin(state.app.post_message(
        seat.account.id,
        seat.channel,
        body,
        nonce.as_deref(),
    ))
    .await;
    match posted {
        Ok(MessageWrite::Done(_)) => Ok(()),
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
