//! The chat socket's reader: it carries out the client's frames in the order they came
//! (messages are queued for the store without waiting for the previous one's commit, and
//! broadcast once stored, in that order: [`super::in_flight`]), answers bad ones with error
//! frames in their turn, and watches that the client reads — only an answer to one of the server's
//! pings proves that, so a socket that answers none for `PINGME_WS_IDLE` is closed.

use super::commands::{self, Command};
use super::frames;
use super::in_flight::{InFlight, Settled};
use super::writer::{Pings, Reply};
use crate::AppState;
use axum::extract::ws::{Message, WebSocket};
use futures_util::StreamExt;
use futures_util::stream::SplitStream;
use pingme_domain::account::Account;
use pingme_domain::messages::{MessageBody, MessageWrite};
use pingme_domain::store::QueuedMessage;
use pingme_domain::{ChannelId, ServerId};
use pingme_realtime::{Close, CloseHandle, Frame, close_codes};
use tokio::sync::mpsc;

/// Who a socket is, and where.
pub struct Seat {
    pub account: Account,
    pub server: ServerId,
    pub channel: ChannelId,
}

/// What the reader shares with the writer.
pub struct Inbox<'a> {
    pub closing: &'a CloseHandle,
    /// The socket's queue of frames, for its error frames: behind every frame the hub put
    /// there before, such as the broadcast of this socket's previous message.
    pub own_frames: &'a mpsc::Sender<Frame>,
    pub replies: &'a mpsc::Sender<Reply>,
    pub pings: &'a Pings,
}

/// Reads until the client leaves or a close is asked for, then settles what it had in
/// flight: every message queued is stored or refused, and the stored ones still go to the
/// channel. Says who ended it.
pub async fn read(
    state: &AppState,
    stream: &mut SplitStream<WebSocket>,
    seat: &Seat,
    inbox: &Inbox<'_>,
) -> Ended {
    let mut in_flight = InFlight::default();
    let ended = receive(state, stream, seat, inbox, &mut in_flight).await;
    while let Some(settled) = in_flight.next().await {
        if let Settled::Posted {
            written: Ok(written),
            nonce,
        } = settled
        {
            state.app.announce(&written, nonce.as_deref());
        }
    }
    ended
}

/// After a close the server asked for, goes on reading (and dropping) a little longer, so
/// the client gets the close frame before the connection goes instead of a reset.
pub async fn linger(state: &AppState, mut stream: SplitStream<WebSocket>, ended: Ended) {
    if ended == Ended::ByServer {
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
pub enum Ended {
    ByClient,
    ByServer,
}

async fn receive(
    state: &AppState,
    stream: &mut SplitStream<WebSocket>,
    seat: &Seat,
    inbox: &Inbox<'_>,
    in_flight: &mut InFlight,
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
            biased;
            _ = &mut closed => return Ended::ByServer,
            _ = &mut silence => return server_closes(unanswered(spoke)),
            Some(done) = in_flight.next(), if !in_flight.is_empty() => {
                let reply = settle(state, seat, closing, done);
                if closing.is_closing() {
                    return Ended::ByServer;
                }
                if reply.is_some_and(|reply| !send_own(inbox, reply)) {
                    return server_closes(too_slow());
                }
                continue;
            }
            next = stream.next(), if !in_flight.is_full() => next,
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
                    // The writer is gone.
                    inbox.pings.pong_taken();
                }
                continue;
            }
            Message::Text(text) => {
                spoke = true;
                match handle(state, seat, text.as_str(), in_flight).await {
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
        let Some(reply) = in_flight.reply(reply) else {
            continue;
        };
        if !send_own(inbox, reply) {
            return server_closes(too_slow());
        }
    }
}

/// Queues an error frame for this socket; `false` when its queue is full.
fn send_own(inbox: &Inbox<'_>, frame: String) -> bool {
    match inbox.own_frames.try_send(Frame::from(frame)) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(_)) => false,
        // The writer is gone: the socket is closing anyway.
        Err(mpsc::error::TrySendError::Closed(_)) => true,
    }
}

fn too_slow() -> Close {
    Close {
        code: close_codes::TOO_SLOW,
        reason: "too slow: the server's queue for this socket is full",
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

/// Carries out one client frame (a message is queued, [`settle`] finishes it); an error
/// frame to send back otherwise.
async fn handle(
    state: &AppState,
    seat: &Seat,
    text: &str,
    in_flight: &mut InFlight,
) -> Result<(), String> {
    let max = state.config.chat.max_message_chars;
    match commands::parse(text, max).map_err(|r| problem(r.code, &r.detail))? {
        Command::Typing(_) => {
            if state.limits.typing(seat.account.id, seat.channel) && in_flight.typing() {
                state.app.typing(seat.account.id, seat.server, seat.channel);
            }
            Ok(())
        }
        Command::Message(message) => {
            let queued = queue(state, seat, message.body).await?;
            in_flight.post(queued, message.nonce);
            Ok(())
        }
    }
}

async fn queue(state: &AppState, seat: &Seat, body: MessageBody) -> Result<QueuedMessage, String> {
    if let Err(wait) = state.limits.message(seat.account.id, seat.channel) {
        let retry_after_ms = Some(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX));
        let detail = "Too many messages; wait before sending more.";
        return Err(frames::error(frames::ErrorData {
            code: "rate_limited",
            detail,
            retry_after_ms,
        }));
    }
    // Boxed: its state would otherwise sit in every socket's reader, idle or not.
    Box::pin(state.app.queue_message(seat.account.id, seat.channel, body))
        .await
        .map_err(|error| unavailable(seat, &error))
}

/// Finishes what was in flight: a stored message goes to the channel, as does a typing
/// notice; a refusal closes the socket; an error frame for this socket is handed back to be
/// sent.
fn settle(state: &AppState, seat: &Seat, closing: &CloseHandle, done: Settled) -> Option<String> {
    let (written, nonce) = match done {
        Settled::Reply(frame) => return Some(frame),
        Settled::Typing => {
            state.app.typing(seat.account.id, seat.server, seat.channel);
            return None;
        }
        Settled::Posted { written, nonce } => (written, nonce),
    };
    let gone = |code, reason| {
        closing.close(Close { code, reason });
        None
    };
    match written {
        Ok(written) => {
            state.app.announce(&written, nonce.as_deref());
            match written {
                MessageWrite::Done(_) => None,
                // Removed meanwhile (the removal's own close may be on its way): nothing
                // was stored.
                MessageWrite::Refused => {
                    gone(close_codes::FORBIDDEN, "no longer a member of this server")
                }
                MessageWrite::Missing => gone(close_codes::GONE, "the channel was deleted"),
            }
        }
        Err(error) => Some(unavailable(seat, &error)),
    }
}

fn unavailable(seat: &Seat, error: &dyn std::fmt::Display) -> String {
    tracing::error!(channel = %seat.channel, error = %error, "message not stored");
    problem("unavailable", "The message could not be stored; try again.")
}
