//! The protocol, from the client's side: REST calls with a Bearer token, chat sockets at
//! `ws://<host>/<server>/<channel>?token=<access>`, and gateway sessions at `/api/gateway/`.

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

#[derive(Clone)]
pub struct Api {
    base: String,
    http: reqwest::Client,
}

impl Api {
    pub fn new(base: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1024)
            .tcp_nodelay(true)
            .build()?;
        Ok(Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
        })
    }

    /// An access token for these credentials.
    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let body = serde_json::json!({"username": username, "password": password});
        let answer = self
            .call(Method::POST, "/api/token/", None, Some(body))
            .await?;
        let access = answer["access"]
            .as_str()
            .context("no access token in the answer")?;
        Ok(access.to_owned())
    }

    /// A request whose answer must be a success; its JSON body (`null` for none).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("{method} {path}: {status} {text}");
        }
        if status == StatusCode::NO_CONTENT || text.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&text).with_context(|| format!("{method} {path}: not JSON"))
    }

    /// A GET whose body is read and dropped; whether it answered 200.
    pub async fn probe(&self, path: &str, token: &str) -> bool {
        let request = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(token);
        match request.send().await {
            Ok(response) => response.status() == StatusCode::OK && response.bytes().await.is_ok(),
            Err(_) => false,
        }
    }

    /// A gateway socket, before its `hello`.
    pub async fn gateway_socket(&self) -> anyhow::Result<Socket> {
        let url = format!("{}/api/gateway/", self.base.replacen("http", "ws", 1));
        let (socket, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
            .await
            .context("opening a gateway socket")?;
        Ok(socket)
    }

    /// A gateway session identified with `token`, past its `ready`.
    pub async fn gateway(&self, token: &str) -> anyhow::Result<Socket> {
        let mut socket = self.gateway_socket().await?;
        identify(&mut socket, token).await?;
        Ok(socket)
    }

    pub async fn socket(&self, server: i64, channel: i64, token: &str) -> anyhow::Result<Socket> {
        let base = self.base.replacen("http", "ws", 1);
        let url = format!("{base}/{server}/{channel}?token={token}");
        // No Nagle delay for small frames.
        let (socket, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
            .await
            .with_context(|| format!("opening the socket of channel {channel}"))?;
        Ok(socket)
    }
}

/// Identifies a gateway socket with `token`: its `ready` frame (frames before it, the
/// `hello` too, are skipped).
pub async fn identify(socket: &mut Socket, token: &str) -> anyhow::Result<String> {
    let identify = serde_json::json!({"op": "identify", "d": {"token": token}});
    socket.send(Message::text(identify.to_string())).await?;
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text)))
                if text.starts_with(r#"{"op":"dispatch","t":"ready""#) =>
            {
                return Ok(text.to_string());
            }
            Some(Ok(Message::Text(_) | Message::Ping(_) | Message::Pong(_))) => {}
            other => bail!("the gateway ended before ready: {other:?}"),
        }
    }
}

/// The `content` of a new message, in a chat socket's frame or a gateway's `message_create`,
/// found without parsing the whole frame (the contents this tool sends hold no quotes or
/// escapes; the message's `content` follows its author's object, which may have a `content`
/// of its own). `None` for other frames.
pub fn content_of(frame: &str) -> Option<&str> {
    const KEY: &str = "},\"content\":\"";
    let new_message = frame.starts_with("{\"message\"")
        || frame.starts_with("{\"op\":\"dispatch\",\"t\":\"message_create\"");
    if !new_message {
        return None;
    }
    let start = frame.find(KEY)? + KEY.len();
    let end = frame[start..].find('"')?;
    Some(&frame[start..start + end])
}

/// Whether a frame is an error frame (`{"event":"error",…}`): a refused message.
pub fn is_error(frame: &str) -> bool {
    frame.starts_with("{\"event\":\"error\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_are_found_in_message_frames_only() {
        let frame = r#"{"message":{"id":1,"user":{"id":2,"username":"a","image_url":"x"},"content":"b:1:2:3","timestamp_created":"t"}}"#;
        assert_eq!(content_of(frame), Some("b:1:2:3"));
        let dispatch = r#"{"op":"dispatch","t":"message_create","s":2,"d":{"id":1,"user":{"id":2,"content":"a bio","image_url":"x"},"content":"b:1:2:3","channel_id":1}}"#;
        assert_eq!(content_of(dispatch), Some("b:1:2:3"));
        let update = r#"{"event":"message_update","data":{"id":1,"content":"b:1:2:3"}}"#;
        assert_eq!(content_of(update), None);
        assert_eq!(content_of(r#"{"event":"typing","data":{}}"#), None);
        assert!(is_error(
            r#"{"event":"error","data":{"code":"rate_limited"}}"#
        ));
        assert!(!is_error(frame));
    }
}
