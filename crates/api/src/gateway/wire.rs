//! The gateway's WebSocket connection, upgraded here rather than through axum's `WebSocket`,
//! so that the server's own frames are written from a buffer this module owns.
//!
//! Why: the WebSocket library keeps its write buffer at the capacity of the largest message
//! it ever sent, for the life of the socket, and offers no way to give it back. A gateway
//! socket's largest message is its `ready` (10 KiB for a person in one busy server, hundreds
//! of KiB for a person in a hundred), so every idle session held that much. Here the buffer
//! is let go once written whenever it grew past [`KEEP`].
//!
//! Reading stays the library's (masking, fragments, UTF-8, size limits, pings). What it
//! writes itself (pongs, the reply to a client's close) is not sent by it: its side of the
//! connection writes into [`Replies`], which the [`Writer`] sends before its own next frames,
//! so every byte reaches the socket from one place, whole frames only.

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, Version};
use axum::response::Response;
use base64::Engine;
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio_tungstenite::WebSocketStream;
use tungstenite::protocol::{Role, WebSocketConfig};

/// Write buffer capacity kept between writes; a larger one is let go once written.
const KEEP: usize = 4 * 1024;

/// The connection, shared by the library's reading side and the [`Writer`]. They are used by
/// one task, one after the other, and each poll holds the lock only for itself.
#[derive(Clone)]
struct Shared(Arc<Mutex<TokioIo<Upgraded>>>);

impl Shared {
    fn with<T>(&self, poll: impl FnOnce(Pin<&mut TokioIo<Upgraded>>) -> T) -> T {
        let mut io = self.0.lock().unwrap_or_else(|p| p.into_inner());
        poll(Pin::new(&mut *io))
    }
}

impl AsyncWrite for Shared {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.with(|io| io.poll_write(cx, buf))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.with(|io| io.poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.with(|io| io.poll_shutdown(cx))
    }
}

/// The library's side of the connection: it reads frames, and what it writes is kept for the
/// [`Writer`].
pub(super) type Reader = WebSocketStream<LibrarySide>;

/// A WebSocket handshake (HTTP/1.1) to be answered.
pub(super) struct Upgrade {
    on_upgrade: OnUpgrade,
    key: HeaderValue,
}

/// Not a WebSocket handshake this server takes.
pub(super) struct NotWebSocket;

impl axum::response::IntoResponse for NotWebSocket {
    fn into_response(self) -> Response {
        let refusal = "This address takes WebSocket connections only.";
        crate::error::ApiError::BadRequest(refusal.into()).into_response()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Upgrade {
    type Rejection = NotWebSocket;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, NotWebSocket> {
        let headers = &parts.headers;
        let handshake = parts.version == Version::HTTP_11
            && parts.method == Method::GET
            && has_token(headers, header::CONNECTION, "upgrade")
            && has_token(headers, header::UPGRADE, "websocket")
            && headers
                .get(header::SEC_WEBSOCKET_VERSION)
                .is_some_and(|v| v.as_bytes() == b"13");
        let key = headers
            .get(header::SEC_WEBSOCKET_KEY)
            .filter(|key| valid_key(key.as_bytes()))
            .cloned();
        let on_upgrade = parts.extensions.remove::<OnUpgrade>();
        match (handshake, key, on_upgrade) {
            (true, Some(key), Some(on_upgrade)) => Ok(Self { on_upgrade, key }),
            _ => Err(NotWebSocket),
        }
    }
}

impl Upgrade {
    /// Answers 101, and runs `serve` on the connection once it is upgraded.
    pub(super) fn on_upgrade<F, Fut>(self, config: WebSocketConfig, serve: F) -> Response
    where
        F: FnOnce(Reader, Writer) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let accept = accept_key(self.key.as_bytes());
        let on_upgrade = self.on_upgrade;
        tokio::spawn(async move {
            let Ok(upgraded) = on_upgrade.await else {
                return;
            };
            let io = Shared(Arc::new(Mutex::new(TokioIo::new(upgraded))));
            let replies = Replies::default();
            let library = LibrarySide {
                io: io.clone(),
                replies: replies.clone(),
            };
            let reader =
                WebSocketStream::from_raw_socket(library, Role::Server, Some(config)).await;
            serve(reader, Writer::new(io, replies)).await;
        });
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        response
    }
}

/// Whether a comma-separated header holds `token` (any case).
fn has_token(headers: &HeaderMap, name: HeaderName, token: &str) -> bool {
    headers.get_all(name).iter().any(|value| {
        value
            .to_str()
            .is_ok_and(|v| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    })
}

/// A `Sec-WebSocket-Key`: 16 bytes in base64 (RFC 6455, 4.2.1).
fn valid_key(key: &[u8]) -> bool {
    base64::engine::general_purpose::STANDARD
        .decode(key)
        .is_ok_and(|bytes| bytes.len() == 16)
}

/// `Sec-WebSocket-Accept` for a key (RFC 6455, 4.2.2).
fn accept_key(key: &[u8]) -> HeaderValue {
    let accept = tungstenite::handshake::derive_accept_key(key);
    HeaderValue::from_str(&accept).expect("base64 is a valid header value")
}

/// At most this much of what the library writes waits for the [`Writer`]; past it, its
/// writes are dropped whole (a client sending pings without reading gets no more pongs).
const REPLIES_MAX: usize = 16 * 1024;

/// What the library wrote (pongs), waiting for the [`Writer`].
#[derive(Clone, Default)]
pub(super) struct Replies(Arc<Mutex<Held>>);

#[derive(Default)]
struct Held {
    bytes: Vec<u8>,
    /// The server's close is on its way: nothing the library writes goes out any more.
    closed: bool,
}

impl Replies {
    fn lock(&self) -> std::sync::MutexGuard<'_, Held> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What the library wrote since the last call.
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut self.lock().bytes)
    }

    /// Takes the library's word whole, or drops it whole (never part of a frame).
    fn keep(&self, bytes: &[u8]) {
        let mut held = self.lock();
        if !held.closed && held.bytes.len() + bytes.len() <= REPLIES_MAX {
            held.bytes.extend_from_slice(bytes);
        }
    }

    fn close(&self) {
        let mut held = self.lock();
        held.closed = true;
        held.bytes = Vec::new();
    }
}

/// The connection as the library sees it: the reading half, and a writing side that keeps
/// what it is given for the [`Writer`] (always whole frames: the library hands over its whole
/// buffer, and every write is taken in full).
pub(super) struct LibrarySide {
    io: Shared,
    replies: Replies,
}

impl AsyncRead for LibrarySide {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.io.with(|io| io.poll_read(cx, buf))
    }
}

impl AsyncWrite for LibrarySide {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.replies.keep(buf);
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// The server's frames out: text frames and a close, queued then written with one flush.
/// A flush cut short (its time ran out) goes on where it stopped at the next one: what
/// reaches the connection is always whole frames, in order.
pub(super) struct Writer {
    write: Shared,
    replies: Replies,
    /// Frames queued, the first `sent` bytes of them written.
    out: Vec<u8>,
    sent: usize,
    /// The close frame is queued: nothing more is.
    closed: bool,
}

impl Writer {
    fn new(write: Shared, replies: Replies) -> Self {
        Self {
            write,
            replies,
            out: Vec::new(),
            sent: 0,
            closed: false,
        }
    }

    /// Queues a text frame.
    pub(super) fn queue(&mut self, text: &str) {
        if !self.closed {
            encode(&mut self.out, OPCODE_TEXT, text.as_bytes());
        }
    }

    /// Writes what is queued and what the library wrote, then lets a large buffer go.
    pub(super) async fn flush(&mut self) -> io::Result<()> {
        if !self.closed {
            self.out.extend_from_slice(&self.replies.take());
        }
        while self.sent < self.out.len() {
            let written = self.write.write(&self.out[self.sent..]).await?;
            if written == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            self.sent += written;
        }
        self.out.clear();
        self.sent = 0;
        if self.out.capacity() > KEEP {
            self.out = Vec::new();
        }
        self.write.flush().await
    }

    /// Queues a text frame and writes it.
    pub(super) async fn send(&mut self, text: &str) -> io::Result<()> {
        self.queue(text);
        self.flush().await
    }

    /// Writes a close frame, the last frame sent (after the rest of one cut short, if any).
    /// The library's own close reply, and any pong after, are not sent.
    pub(super) async fn close(&mut self, code: u16, reason: &str) -> io::Result<()> {
        if !self.closed {
            self.replies.close();
            let mut payload = Vec::with_capacity(2 + reason.len());
            payload.extend_from_slice(&code.to_be_bytes());
            // At most 123 bytes of reason fit a control frame.
            payload.extend_from_slice(truncate(reason, 123).as_bytes());
            encode(&mut self.out, OPCODE_CLOSE, &payload);
            self.closed = true;
        }
        self.flush().await
    }
}

const OPCODE_TEXT: u8 = 0x1;
const OPCODE_CLOSE: u8 = 0x8;

/// One final, unmasked frame (a server's, RFC 6455 5.2) appended to `out`.
fn encode(out: &mut Vec<u8>, opcode: u8, payload: &[u8]) {
    out.push(0x80 | opcode);
    match payload.len() {
        len @ 0..=125 => out.push(len as u8),
        len @ 126..=0xFFFF => {
            out.push(126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    out.extend_from_slice(payload);
}

/// At most `max` bytes of `text`, cut at a character boundary.
fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use tungstenite::protocol::frame::FrameHeader;

    /// What the library (as a client would) reads back from `bytes`: opcode, final, payload.
    fn parse(bytes: &[u8]) -> (u8, bool, Vec<u8>) {
        let mut cursor = io::Cursor::new(bytes);
        let (header, length) = FrameHeader::parse(&mut cursor).unwrap().unwrap();
        let start = cursor.position() as usize;
        let payload = bytes[start..start + length as usize].to_vec();
        assert_eq!(
            start + length as usize,
            bytes.len(),
            "one frame, nothing after it"
        );
        assert!(header.mask.is_none(), "a server's frames are not masked");
        (u8::from(header.opcode), header.is_final, payload)
    }

    #[test]
    fn frames_of_every_length_form_read_back_whole() {
        for len in [0, 1, 125, 126, 127, 65_535, 65_536, 300_000] {
            let text = "x".repeat(len);
            let mut out = Vec::new();
            encode(&mut out, OPCODE_TEXT, text.as_bytes());
            assert_eq!(parse(&out), (OPCODE_TEXT, true, text.into_bytes()), "{len}");
        }
    }

    #[test]
    fn a_close_carries_its_code_and_a_reason_cut_to_fit() {
        let reason = "é".repeat(100);
        let cut = truncate(&reason, 123);
        assert_eq!(cut.len(), 122);
        let mut payload = 4004u16.to_be_bytes().to_vec();
        payload.extend_from_slice(cut.as_bytes());
        let mut out = Vec::new();
        encode(&mut out, OPCODE_CLOSE, &payload);
        assert_eq!(parse(&out), (OPCODE_CLOSE, true, payload));
    }

    #[test]
    fn only_well_formed_keys_are_taken() {
        assert!(valid_key(b"dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(!valid_key(b"short"));
        assert!(!valid_key(b""));
        // RFC 6455's example.
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }
}
