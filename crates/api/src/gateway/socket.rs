//! The gateway socket, `GET /api/gateway/`: hello, then `identify` (→ `ready`) or `resume`
//! (→ the missed dispatches, then `resumed`) within 10 s, then the session's dispatches and
//! the client's ops until either side closes. One task per socket: it sends what the session
//! is given and reads what the client sends, every send bounded by the send timeout.

use super::ops::{self, Op, heartbeat_ack};
use super::ready;
use super::wire::{NotWebSocket, Reader, Upgrade, Writer};
use crate::AppState;
use crate::auth::tokens::{Claims, TokenType};
use crate::auth::{current_account_uncached, grant_of};
use crate::chat::socket::{WRITE_BUFFER, check_origin};
use crate::error::{ApiError, Detail};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use futures_util::StreamExt;
use pingme_app::read_states::FirstScreen;
use pingme_domain::account::Account;
use pingme_domain::community::Server;
use pingme_domain::presence::Status;
use pingme_domain::{AccountId, ServerId};
use pingme_realtime::{
    Attached, Close, Grant, Numbered, PresenceConn, dispatch_frame, gateway_close_codes as codes,
};
use serde_json::json;
use std::time::Duration;
use tokio::time::Instant;
use tungstenite::Message;
use tungstenite::protocol::WebSocketConfig;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Client frames over this size close the socket (1009): the largest op is a `resume`.
pub const MAX_FRAME_BYTES: usize = 4 * 1024;
/// What the socket library reads into, held for the socket's life (it grows for a larger
/// frame): clients send a few small ops a minute, an identify or a resume of a few hundred
/// bytes being the largest.
const READ_BUFFER: usize = 512;
/// How long a client has to identify or resume.
pub const IDENTIFY_WITHIN: Duration = Duration::from_secs(10);
/// Dispatches written with one flush at most.
const BATCH: usize = 64;
/// Frames a client may send per window; more are refused (`rate_limited`).
const FRAMES_PER_WINDOW: u32 = 120;
const FRAME_WINDOW: Duration = Duration::from_secs(10);
/// Malformed or refused frames in a row before the socket is closed (4002).
const STRIKES: u32 = 10;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(connect))
}

/// Open the gateway: one socket for everything the person may see. No token in the URL:
/// the client identifies in its first frame. The protocol is in docs/api.md ("The gateway").
#[utoipa::path(
    get, path = "/api/gateway/", tag = "gateway", security(()),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket handshake", body = Detail),
        (status = 403, description = "A foreign origin", body = Detail),
    )
)]
async fn connect(
    State(state): State<AppState>,
    headers: HeaderMap,
    upgrade: Result<Upgrade, NotWebSocket>,
) -> Result<Response, ApiError> {
    check_origin(&state, &headers)?;
    let upgrade = upgrade.map_err(|_| {
        ApiError::BadRequest("This address takes WebSocket connections only.".into())
    })?;
    // The library writes only pongs and a close reply (see `wire`): a small buffer.
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_FRAME_BYTES))
        .max_frame_size(Some(MAX_FRAME_BYTES))
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_write_buffer_size(WRITE_BUFFER);
    Ok(upgrade.on_upgrade(config, move |reader, writer| run(state, reader, writer)))
}

/// Why the socket ends, and with which close.
type End = Close;

/// What woke a serving socket up.
enum Step {
    End(End),
    Dispatch(Vec<Numbered>),
    Read(Option<Result<Message, tungstenite::Error>>),
}

/// The socket's whole life. Not an `async fn`, nor one taking the `Link` by value: an async
/// fn's future keeps its arguments twice (as given, and moved into the body), for the
/// socket's life; an async block uses what it captured in place.
fn run(state: AppState, stream: Reader, sink: Writer) -> impl Future<Output = ()> + Send {
    let mut link = Link {
        state,
        sink,
        stream,
        strikes: 0,
        budget: Budget::default(),
    };
    async move { link.run().await }
}

impl Link {
    async fn run(&mut self) {
        // Opening (an identify reads and renders everything), ops and closing are boxed:
        // their futures take memory only while they run, not in every idle socket's task for
        // its life (a task is as large as its largest await: 5.8 KiB with them inline).
        // Served in place (a session moved out of the result would be kept twice).
        let mut opened = Box::pin(self.open()).await;
        let end = match &mut opened {
            Ok(session) => {
                let end = self.serve(session).await;
                // A client too slow for its socket is too slow for its session: not resumed.
                if end.code == codes::TOO_SLOW {
                    self.state
                        .gateway
                        .end_session(&session.attached.session, end.clone());
                }
                end
            }
            Err(end) => end.clone(),
        };
        drop(opened);
        Box::pin(self.close(end)).await;
    }
}

/// One socket: the state, both halves, and the client's strikes.
struct Link {
    state: AppState,
    sink: Writer,
    stream: Reader,
    strikes: u32,
    /// Frames the client may still send in this window.
    budget: Budget,
}

/// Frames a client may send: [`FRAMES_PER_WINDOW`] per [`FRAME_WINDOW`] (heartbeats, acks
/// and typing come to a few a minute; a burst of channel switches to a few dozen).
#[derive(Default)]
struct Budget {
    since: Option<Instant>,
    used: u32,
}

impl Budget {
    fn take(&mut self, now: Instant) -> bool {
        let since = *self.since.get_or_insert(now);
        if now.duration_since(since) >= FRAME_WINDOW {
            (self.since, self.used) = (Some(now), 0);
        }
        self.used += 1;
        self.used <= FRAMES_PER_WINDOW
    }
}

/// A session being served: the hub's side, who it is, and its presence (which ends, after
/// its grace, when this is dropped).
struct Session {
    attached: Attached,
    account: Account,
    presence: PresenceConn,
}

impl Link {
    /// Hello, then an identify or a resume in time.
    async fn open(&mut self) -> Result<Session, End> {
        let interval = self.state.config.chat.ping_interval.as_millis() as u64;
        self.send(op_frame(
            "hello",
            json!({"heartbeat_interval_ms": interval}),
        ))
        .await?;
        let deadline = Instant::now() + IDENTIFY_WITHIN;
        loop {
            let text = match tokio::time::timeout_at(deadline, self.next_text()).await {
                Err(_) => return Err(close(codes::NOT_IDENTIFIED, "not identified in time")),
                Ok(text) => text?,
            };
            if !self.budget.take(Instant::now()) {
                self.strike("rate_limited", "Too many frames; slow down.")
                    .await?;
                continue;
            }
            match ops::parse(&text) {
                Ok(Op::Identify { token, status }) => {
                    if let Some(session) = self.identify(&token, status).await? {
                        return Ok(session);
                    }
                }
                Ok(Op::Resume {
                    token,
                    session_id,
                    seq,
                }) => match self.resume(&token, &session_id, seq).await? {
                    Some(session) => return Ok(session),
                    None => self.send(invalid_session()).await?,
                },
                Ok(Op::Heartbeat { .. }) => {
                    self.strikes = 0;
                    self.send(heartbeat_ack()).await?
                }
                Ok(_) => {
                    self.strike("not_identified", "Identify or resume first.")
                        .await?
                }
                Err(refusal) => self.strike(refusal.code, &refusal.detail).await?,
            }
        }
    }

    /// Registers the session under the servers the person is in (their ids only), then checks
    /// the token again and reads everything: a revocation, a join or a leave committed
    /// meanwhile is either in that reading or reaches the registered session as an event
    /// (which a reading older than it does not undo).
    async fn identify(
        &mut self,
        token: &str,
        status: Option<Status>,
    ) -> Result<Option<Session>, End> {
        let (account, grant) = self.account(token).await?;
        if let Err(wait) = self.state.limits.identify(account.id) {
            // Rounded up: a client waiting this long is let in.
            let wait = u64::try_from(wait.as_millis() + 1).unwrap_or(u64::MAX);
            let detail = "Too many identifies for this account; wait, then try again.";
            self.strikes += 1;
            self.send(op_frame(
                "error",
                json!({"code": "rate_limited", "detail": detail, "retry_after_ms": wait}),
            ))
            .await?;
            return Ok(None);
        }
        let ids = self
            .state
            .app
            .memberships(&account)
            .await
            .map_err(|_| unavailable())?;
        let registered = ids.clone();
        let attached = self
            .state
            .gateway
            .open(account.id, grant, ids)
            .await
            .map_err(|_| unavailable())?;
        let id = attached.session.clone();
        match self.welcome(attached, token, status, &registered).await {
            Ok(session) => Ok(Some(session)),
            Err(end) => {
                // The client never had its `ready`: the session is ended, not left to be
                // forgotten two minutes later.
                self.state.gateway.end_session(&id, end.clone());
                Err(end)
            }
        }
    }

    /// A session just opened, checked again and read: its `ready` sent.
    async fn welcome(
        &mut self,
        attached: Attached,
        token: &str,
        status: Option<Status>,
        registered: &[ServerId],
    ) -> Result<Session, End> {
        let (account, _) = self.account(token).await?;
        let mut screen = self.first_screen(&account).await?;
        if screen.servers.iter().any(|s| !registered.contains(&s.id)) {
            // Joined meanwhile: registered under the new server first, then read again, so
            // that nothing of it between the reading and the registration is missed.
            self.settle_servers(&attached.session, account.id, &screen.servers)
                .await?;
            screen = self.first_screen(&account).await?;
        }
        self.settle_servers(&attached.session, account.id, &screen.servers)
            .await?;
        let servers = &screen.servers;
        let presence = self
            .state
            .presence
            .connect(account.id, attached.session.clone(), status)
            .await;
        let presences = ready::presences(&self.state, &account, servers).await;
        let ready = ready::render(
            &self.state,
            &attached.session,
            &account,
            &screen,
            &presences,
        );
        let session = Session {
            attached,
            account,
            presence,
        };
        self.send(ready).await?;
        Ok(session)
    }

    /// The session's servers are these.
    async fn settle_servers(
        &self,
        session: &str,
        account: AccountId,
        servers: &[Server],
    ) -> Result<(), End> {
        let ids: Vec<_> = servers.iter().map(|s| s.id).collect();
        self.state
            .gateway
            .set_servers(session, account, &ids)
            .await
            .map_err(|_| unavailable())
    }

    async fn first_screen(&self, account: &Account) -> Result<FirstScreen, End> {
        self.state
            .app
            .first_screen(account)
            .await
            .map_err(|_| unavailable())
    }

    /// The session taken over, or `None` when it cannot be resumed.
    async fn resume(
        &mut self,
        token: &str,
        session: &str,
        seq: u64,
    ) -> Result<Option<Session>, End> {
        let (account, grant) = self.account(token).await?;
        let Ok(attached) = self
            .state
            .gateway
            .resume(session, account.id, grant, seq)
            .await
        else {
            return Ok(None);
        };
        // Checked again once taken over: a revocation or logout committed meanwhile is seen
        // here, or its event reaches the session now held (as for an identify).
        if let Err(end) = self.account(token).await {
            let revoked = Close {
                code: codes::REVOKED,
                reason: "the token was revoked",
            };
            self.state.gateway.end_session(&attached.session, revoked);
            return Err(end);
        }
        let Some(missed) = attached.missed() else {
            // Ended or taken over again meanwhile: its close says why.
            return Err(attached.handle().closed().await);
        };
        let last = attached.resumed_at;
        let presence = self
            .state
            .presence
            .connect(account.id, attached.session.clone(), None)
            .await;
        let session = Session {
            attached,
            account,
            presence,
        };
        let replayed = async {
            for numbered in &missed {
                self.send(frame(numbered)).await?;
            }
            self.send(resumed(last)).await
        };
        replayed.await?;
        Ok(Some(session))
    }

    /// The account a token names and what it grants, if it may still be used: 4003 for a
    /// token that is no access token of this server (or expired), 4004 for one revoked since
    /// (its password changed, its session logged out).
    async fn account(&self, token: &str) -> Result<(Account, Grant), End> {
        let claims: Claims = self
            .state
            .tokens
            .decode(token, TokenType::Access)
            .map_err(|_| close(codes::BAD_TOKEN, "a valid access token is needed"))?;
        match current_account_uncached(&self.state, &claims).await {
            Ok(account) => Ok((account, grant_of(&claims))),
            Err(ApiError::TokenNotValid(_)) => Err(close(codes::REVOKED, "the token was revoked")),
            Err(_) => Err(unavailable()),
        }
    }

    /// Dispatches out, ops in, heartbeats watched, until a close.
    async fn serve(&mut self, session: &mut Session) -> End {
        let closing = session.attached.handle();
        let idle = self.state.config.chat.idle_timeout;
        let silence = tokio::time::sleep(idle);
        let closed = closing.closed();
        tokio::pin!(silence, closed);
        loop {
            let step = tokio::select! {
                biased;
                close = &mut closed => Step::End(close),
                _ = &mut silence => Step::End(close(codes::HEARTBEAT_MISSED, "no heartbeat in time")),
                // Before the dispatches: a steady flow of them must not keep the client's
                // heartbeats unread.
                message = self.stream.next() => Step::Read(message),
                batch = session.attached.next(BATCH) => Step::Dispatch(batch),
            };
            let done = match step {
                Step::End(end) => Err(end),
                Step::Dispatch(batch) => self.send_batch(&batch).await,
                Step::Read(Some(Ok(Message::Text(text)))) => {
                    silence.as_mut().reset(Instant::now() + idle);
                    Box::pin(self.carry_out(session, text.as_str())).await
                }
                Step::Read(message) => Box::pin(self.other(message)).await,
            };
            if let Err(end) = done {
                return end;
            }
        }
    }

    /// One client op of an identified session.
    async fn carry_out(&mut self, session: &Session, text: &str) -> Result<(), End> {
        if !self.budget.take(Instant::now()) {
            let detail = "Too many frames; slow down.";
            return self.strike("rate_limited", detail).await;
        }
        let op = match ops::parse(text) {
            Ok(op) => op,
            Err(refusal) => return self.strike(refusal.code, &refusal.detail).await,
        };
        let Session {
            account,
            attached,
            presence,
        } = session;
        if let Op::Heartbeat { seq: Some(seq) } = op {
            // What the client has need not be kept for a resume any more.
            attached.acknowledge(seq);
        }
        match ops::carry_out(&self.state, account, &attached.session, presence, op).await {
            Ok(Some(reply)) => {
                self.strikes = 0;
                self.send(reply).await
            }
            Ok(None) => {
                self.strikes = 0;
                Ok(())
            }
            Err(refusal) => self.strike(refusal.code, &refusal.detail).await,
        }
    }

    /// An error frame; the socket is closed (4002) once the client has had too many.
    async fn strike(&mut self, code: &str, detail: &str) -> Result<(), End> {
        self.strikes += 1;
        if self.strikes >= STRIKES {
            return Err(close(
                codes::MALFORMED,
                "too many malformed or refused frames",
            ));
        }
        self.send(op_frame("error", json!({"code": code, "detail": detail})))
            .await
    }

    /// The next text frame; pings and pongs are the library's, binary frames strike.
    async fn next_text(&mut self) -> Result<String, End> {
        loop {
            match self.stream.next().await {
                Some(Ok(Message::Text(text))) => return Ok(text.to_string()),
                other => self.other(other).await?,
            }
        }
    }

    /// What a frame that is no text means: nothing (pings, pongs), a strike (binary), or
    /// the end.
    async fn other(
        &mut self,
        message: Option<Result<Message, tungstenite::Error>>,
    ) -> Result<(), End> {
        match message {
            None => Err(close(1000, "")),
            // Answered with the client's own code when it may be sent back (RFC 6455 7.4.1),
            // else as a protocol error.
            Some(Ok(Message::Close(frame))) => Err(close(echoed(frame.as_ref()), "")),
            Some(Err(_)) => Err(close(1009, "frame over 4 KiB, or a protocol error")),
            Some(Ok(Message::Binary(_))) => {
                self.strike("binary_not_supported", "Frames are JSON text.")
                    .await
            }
            // A ping: counted as any frame; the library's pong, handed to the writer when the
            // library is flushed, goes out at once.
            Some(Ok(Message::Ping(_))) => {
                if !self.budget.take(Instant::now()) {
                    return self
                        .strike("rate_limited", "Too many frames; slow down.")
                        .await;
                }
                if futures_util::SinkExt::flush(&mut self.stream)
                    .await
                    .is_err()
                {
                    return Err(close(1000, ""));
                }
                self.flush().await
            }
            Some(Ok(_)) => Ok(()),
        }
    }

    /// Sends one frame within the send timeout; a client that does not read is too slow.
    async fn send(&mut self, text: String) -> Result<(), End> {
        let timeout = self.state.config.chat.send_timeout;
        sent(tokio::time::timeout(timeout, self.sink.send(&text)).await)
    }

    /// Writes what the library has to say (a pong), within the send timeout.
    async fn flush(&mut self) -> Result<(), End> {
        let timeout = self.state.config.chat.send_timeout;
        sent(tokio::time::timeout(timeout, self.sink.flush()).await)
    }

    /// Sends dispatches (up to [`BATCH`]) with one flush: one write for a burst instead of
    /// one per frame.
    async fn send_batch(&mut self, batch: &[Numbered]) -> Result<(), End> {
        let timeout = self.state.config.chat.send_timeout;
        let sink = &mut self.sink;
        for numbered in batch {
            sink.queue(&frame(numbered));
        }
        let written = tokio::time::timeout(timeout, sink.flush()).await;
        sent(written)
    }

    async fn close(&mut self, end: End) {
        let timeout = self.state.config.chat.send_timeout;
        let _ = tokio::time::timeout(timeout, self.sink.close(end.code, end.reason)).await;
        // Read on a little, so that the client gets the close frame rather than a reset.
        let grace = self.state.config.chat.close_grace;
        let _ = tokio::time::timeout(grace, async {
            while let Some(Ok(message)) = self.stream.next().await {
                if matches!(message, Message::Close(_)) {
                    break;
                }
            }
        })
        .await;
    }
}

/// The code to close with after a client's close: its own when that may be sent, 1000 for
/// none, 1002 for one no endpoint may send.
fn echoed(frame: Option<&tungstenite::protocol::CloseFrame>) -> u16 {
    match frame {
        None => 1000,
        Some(frame) if frame.code.is_allowed() => u16::from(frame.code),
        Some(_) => 1002,
    }
}

fn close(code: u16, reason: &'static str) -> Close {
    Close { code, reason }
}

fn unavailable() -> Close {
    close(1011, "the database cannot be reached; try again")
}

fn frame(numbered: &Numbered) -> String {
    dispatch_frame(&numbered.dispatch, numbered.seq)
}

/// A frame that is no dispatch, its keys in the order of all frames (`op` first).
fn op_frame(op: &str, data: serde_json::Value) -> String {
    format!(r#"{{"op":"{op}","d":{data}}}"#)
}

fn invalid_session() -> String {
    op_frame("invalid_session", json!({"resumable": false}))
}

/// What a write under the send timeout came to: done, the client gone, or too slow.
fn sent<E>(written: Result<Result<(), E>, tokio::time::error::Elapsed>) -> Result<(), End> {
    match written {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(close(1000, "")),
        Err(_) => Err(close(codes::TOO_SLOW, "too slow: the client does not read")),
    }
}

/// `resumed` tells that the replay is over; it takes no number of its own: its `s` is the
/// last one the session gave.
fn resumed(seq: u64) -> String {
    format!(r#"{{"op":"dispatch","t":"resumed","s":{seq},"d":{{}}}}"#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_may_send_so_many_frames_per_window() {
        let mut budget = Budget::default();
        let start = Instant::now();
        for _ in 0..FRAMES_PER_WINDOW {
            assert!(budget.take(start));
        }
        assert!(!budget.take(start + FRAME_WINDOW / 2));
        assert!(budget.take(start + FRAME_WINDOW), "a new window");
    }
}
