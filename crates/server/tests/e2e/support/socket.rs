//! A chat socket client for tests: connects to `/<server>/<channel>?token=…`, sends frames,
//! and reads them back with timeouts.

use super::{TestApp, User};
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub struct Socket {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl TestApp {
    pub fn socket_url(&self, server: i64, channel: i64, token: &str) -> String {
        format!(
            "{}/{server}/{channel}?token={token}",
            self.url.replacen("http://", "ws://", 1)
        )
    }

    /// Opens a socket as `user`, which must succeed.
    pub async fn socket(&self, server: i64, channel: i64, user: &User) -> Socket {
        self.try_socket(&self.socket_url(server, channel, &user.access), None)
            .await
            .unwrap_or_else(|status| panic!("handshake refused: {status}"))
    }

    /// Opens a socket at `url` (with an `Origin` if given); the HTTP status when refused.
    pub async fn try_socket(&self, url: &str, origin: Option<&str>) -> Result<Socket, u16> {
        let mut request = url.into_client_request().expect("request");
        if let Some(origin) = origin {
            request
                .headers_mut()
                .insert("origin", origin.parse().expect("origin"));
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok((stream, _)) => Ok(Socket { stream }),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                Err(response.status().as_u16())
            }
            Err(other) => panic!("connecting: {other}"),
        }
    }
}

/// The sending half of a split socket.
pub struct SocketWriter(
    futures_util::stream::SplitSink<WebSocketStream<MaybeTlsStream<TcpStream>>, Message>,
);
/// The reading half of a split socket.
pub struct SocketReader(
    futures_util::stream::SplitStream<WebSocketStream<MaybeTlsStream<TcpStream>>>,
);

impl SocketWriter {
    pub async fn send(&mut self, frame: Value) {
        self.0
            .send(Message::text(frame.to_string()))
            .await
            .expect("send");
    }
}

impl SocketReader {
    /// The next frame of any kind; `None` when the socket ended.
    pub async fn next(&mut self) -> Option<Message> {
        tokio::time::timeout(Duration::from_secs(60), self.0.next())
            .await
            .expect("a frame in time")?
            .ok()
    }
}

impl Socket {
    /// Separate halves, to send and read from different tasks.
    pub fn split(self) -> (SocketWriter, SocketReader) {
        let (write, read) = self.stream.split();
        (SocketWriter(write), SocketReader(read))
    }

    pub async fn send(&mut self, frame: Value) {
        self.stream
            .send(Message::text(frame.to_string()))
            .await
            .expect("send");
    }

    pub async fn send_raw(&mut self, message: Message) {
        self.stream.send(message).await.expect("send");
    }

    /// The next text frame, as JSON; panics on a close or after ten seconds.
    pub async fn next(&mut self) -> Value {
        match self.next_or_close().await {
            Ok(frame) => frame,
            Err(close) => panic!("closed instead: {close:?}"),
        }
    }

    /// The next text frame, or the close (code, reason) that came instead.
    pub async fn next_or_close(&mut self) -> Result<Value, (u16, String)> {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(10), self.stream.next())
                .await
                .expect("a frame within ten seconds");
            match message {
                Some(Ok(Message::Text(text))) => {
                    return Ok(serde_json::from_str(text.as_str()).expect("JSON frame"));
                }
                Some(Ok(Message::Close(frame))) => {
                    return Err(frame
                        .map(|f| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or((1005, String::new())));
                }
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Err((1006, error.to_string())),
                None => return Err((1006, "ended".into())),
            }
        }
    }

    /// Reads until the close frame and returns its code and reason.
    pub async fn closed(&mut self) -> (u16, String) {
        loop {
            if let Err(close) = self.next_or_close().await {
                return close;
            }
        }
    }

    /// Whether no text frame arrives within `wait` (one that does is returned). Pings are
    /// read (and so answered) meanwhile.
    pub async fn silent_for(&mut self, wait: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.next()).await {
                Err(_) => return None,
                Ok(Some(Ok(Message::Text(text)))) => {
                    return Some(serde_json::from_str(text.as_str()).expect("JSON"));
                }
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
                Ok(other) => panic!("unexpected {other:?}"),
            }
        }
    }
}
