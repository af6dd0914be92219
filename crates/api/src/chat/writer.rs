//! The chat socket's writer task: it sends what the hub queued (this socket's own error
//! frames among it, in their turn), the server's pings and the pongs the socket library owes
//! the client, and the close frame. Everything it writes is held to one deadline (`PINGME_WS_SEND_TIMEOUT`): a
//! client that does not read is closed (4008), and what the server holds for it stays within
//! the socket library's bounded write buffer, whatever the client sends.

use crate::config::ChatConfig;
use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use pingme_realtime::{Close, Connection, Frame, close_codes};
use std::future::Future;
use std::sync::Mutex;
use std::task::Poll;
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::time::error::Elapsed;

/// Queued frames the writer sends before flushing.
const BATCH: usize = 64;

type Sink = SplitSink<WebSocket, Message>;

/// What the writer sends: the hub's frames (this socket's own error frames among them), and
/// the pongs the socket library owes the client.
pub struct Outbox {
    pub connection: Connection,
    pub replies: mpsc::Receiver<Reply>,
    pub pings: std::sync::Arc<Pings>,
}

/// What the reader asks the writer to flush, ahead of the channel's frames.
pub enum Reply {
    /// The client pinged: the socket library queued the pong, to be flushed here under the
    /// same deadline as everything else the server writes. At most one waits at a time
    /// ([`Pings::queue_pong`]); it flushes every pong queued until then.
    Pong,
}

/// The server's pings, each carrying a payload the client cannot guess (a keyed hash of its
/// number, the key random per socket), so that only a pong echoing one of the last two shows
/// that the client reads: pongs nobody asked for, or made up, or an old one replayed, prove
/// nothing. Pings travel in the socket's one stream with the frames, so echoing a recent one
/// means everything before it was read.
pub struct Pings {
    key: std::hash::RandomState,
    sent: Mutex<(u64, [Option<u64>; 2])>,
    /// Whether a [`Reply::Pong`] waits in the writer's queue: one is enough, however many
    /// pings the client sends meanwhile.
    pong_queued: std::sync::atomic::AtomicBool,
}

impl Default for Pings {
    fn default() -> Self {
        Self {
            key: std::hash::RandomState::new(),
            sent: Mutex::new((0, [None, None])),
            pong_queued: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

impl Pings {
    /// Whether the client's ping needs a [`Reply::Pong`] queued (none is waiting yet).
    pub fn queue_pong(&self) -> bool {
        !self
            .pong_queued
            .swap(true, std::sync::atomic::Ordering::AcqRel)
    }

    pub fn pong_taken(&self) {
        self.pong_queued
            .store(false, std::sync::atomic::Ordering::Release);
    }

    fn next(&self) -> Bytes {
        use std::hash::BuildHasher;
        let mut sent = self.sent();
        sent.0 += 1;
        let payload = self.key.hash_one(sent.0);
        sent.1 = [Some(payload), sent.1[0]];
        Bytes::copy_from_slice(&payload.to_be_bytes())
    }

    /// Whether `payload` answers one of the last two pings this socket was sent.
    pub fn answered(&self, payload: &[u8]) -> bool {
        let Ok(payload) = <[u8; 8]>::try_from(payload).map(u64::from_be_bytes) else {
            return false;
        };
        self.sent().1.contains(&Some(payload))
    }

    fn sent(&self) -> std::sync::MutexGuard<'_, (u64, [Option<u64>; 2])> {
        self.sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Writes until the socket closes, then gives the connection back: the socket stays
/// registered in the hub (and counted by its drain at shutdown) until the session drops it,
/// after its reader has announced every message it had in flight.
pub async fn write(sink: Sink, mut outbox: Outbox, chat: ChatConfig) -> Connection {
    write_until_closed(sink, &mut outbox, chat).await;
    outbox.connection
}

async fn write_until_closed(mut sink: Sink, outbox: &mut Outbox, chat: ChatConfig) {
    let ping_every = chat.ping_interval;
    let closing = outbox.connection.handle();
    // Made once: a close future per loop turn would register and unregister with the
    // close signal on every frame.
    let closed = closing.closed();
    tokio::pin!(closed);
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        // Pings and pongs go before the channel's frames, so that a busy channel cannot
        // hold them back.
        let outgoing = tokio::select! {
            biased;
            close = &mut closed => return send_close(&mut sink, close, chat.close_grace).await,
            _ = ping.tick() => Outgoing::One(Message::Ping(outbox.pings.next())),
            Some(reply) = outbox.replies.recv() => match reply {
                Reply::Pong => {
                    outbox.pings.pong_taken();
                    Outgoing::Pongs
                }
            },
            Some(frame) = outbox.connection.frames.recv() => Outgoing::Frames(frame),
        };
        // A client that stops reading blocks the send; a close asked for meanwhile (4008
        // when its queue overflows) still goes out as soon as the client reads again.
        // Most sends finish at once (the socket has room): they need no deadline (a clock
        // read and a timer entry made and dropped) nor a look at the close signal.
        let sent = {
            let send = send(&mut sink, &mut outbox.connection, outgoing);
            tokio::pin!(send);
            match std::future::poll_fn(|cx| Poll::Ready(send.as_mut().poll(cx))).await {
                Poll::Ready(sent) => Ok(Ok(sent)),
                Poll::Pending => tokio::select! {
                    biased;
                    close = &mut closed => Err(close),
                    sent = tokio::time::timeout(chat.send_timeout, send) => Ok(sent),
                },
            }
        };
        let sent = match sent {
            Ok(sent) => sent,
            Err(close) => return send_close(&mut sink, close, chat.close_grace).await,
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
    Frames(Frame),
    One(Message),
    /// Flush what the socket library queued by itself (pongs).
    Pongs,
}

async fn send(
    sink: &mut Sink,
    connection: &mut Connection,
    outgoing: Outgoing,
) -> Result<(), axum::Error> {
    match outgoing {
        Outgoing::Frames(first) => send_batch(sink, connection, first).await,
        Outgoing::One(message) => sink.send(message).await,
        Outgoing::Pongs => sink.flush().await,
    }
}

/// Sends the close frame, giving a client that is behind `grace` to take it. What is
/// already buffered goes first: the socket library drops a close frame that does not fit
/// in its full buffer (a client that flooded pings and stopped reading fills it with
/// pongs), and a client that reads again within the grace then gets the close frame.
async fn send_close(sink: &mut Sink, close: Close, grace: Duration) {
    let frame = CloseFrame {
        code: close.code,
        reason: Utf8Bytes::from_static(close.reason),
    };
    let _ = tokio::time::timeout(grace, async {
        sink.flush().await?;
        sink.send(Message::Close(Some(frame))).await
    })
    .await;
}

/// Sends a frame and whatever else is already queued, then flushes once.
async fn send_batch(
    sink: &mut Sink,
    connection: &mut Connection,
    first: Frame,
) -> Result<(), axum::Error> {
    sink.feed(text(first)).await?;
    for _ in 1..BATCH {
        let Ok(frame) = connection.frames.try_recv() else {
            break;
        };
        sink.feed(text(frame)).await?;
    }
    sink.flush().await
}

/// A frame of the hub as a text message: its shared buffer, not a copy (checked to be
/// UTF-8, as the socket library's text wants, which it is by construction).
fn text(frame: Frame) -> Message {
    let text = Utf8Bytes::try_from(Bytes::from(frame)).expect("a frame is made of a string");
    Message::Text(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_pongs_echoing_one_of_the_last_two_pings_count() {
        let pings = Pings::default();
        assert!(!pings.answered(&[]), "an unsolicited, empty pong");
        assert!(!pings.answered(&1u64.to_be_bytes()), "a made-up one");
        let first = pings.next();
        assert!(pings.answered(&first));
        assert!(
            !pings.answered(&1u64.to_be_bytes()),
            "the number is not the payload"
        );
        assert!(!pings.answered(b"still here"));
        let second = pings.next();
        assert!(
            pings.answered(&first) && pings.answered(&second),
            "a late answer"
        );
        pings.next();
        assert!(!pings.answered(&first), "too old: replayed");
        assert!(pings.answered(&second));
        let other = Pings::default();
        assert!(!other.answered(&other.next().iter().rev().copied().collect::<Vec<_>>()));
        assert!(!other.answered(&second), "another socket's");
    }
}
