//! Login sessions (contract Level 4, "Sessions"): started at login, carried on by one-use
//! refresh tokens, listed and ended by their owner. Every ending is published, so each
//! node closes the sockets opened with the session's tokens and forgets it in its cache.
//!
//! The tokens themselves are signed by the HTTP adapter; this layer keeps what a session is.

use crate::{App, AppError, AppResult};
use pingme_domain::AccountId;
use pingme_domain::Timestamp;
use pingme_domain::events::Event;
use pingme_domain::sessions::{
    Ending, LoginSession, NewLoginSession, RefreshGrant, Rotation, SessionId, user_agent,
};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A session's last use is written at most this often from one node.
const TOUCH_EVERY: Duration = Duration::from_secs(300);
/// Sessions whose last write is remembered; past it the memory starts over.
const TOUCHES_KEPT: usize = 100_000;

/// A fresh session id from the operating system's randomness.
pub fn new_session_id() -> AppResult<SessionId> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| AppError::internal(anyhow::anyhow!("no randomness: {e}")))?;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    SessionId::parse(&hex).ok_or_else(|| AppError::internal(anyhow::anyhow!("session id")))
}

/// Where a request came from, as a session records it.
#[derive(Clone, Copy, Debug)]
pub struct Client<'a> {
    pub user_agent: &'a str,
    pub ip: &'a str,
}

/// When each session's use was last written from this node.
#[derive(Default)]
pub struct Touches(Mutex<HashMap<SessionId, Instant>>);

impl Touches {
    /// Whether a use of `session` now is worth writing (and, if so, it counts as written).
    fn due(&self, session: &SessionId) -> bool {
        let mut touched = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if touched
            .get(session)
            .is_some_and(|last| now.duration_since(*last) < TOUCH_EVERY)
        {
            return false;
        }
        if touched.len() >= TOUCHES_KEPT {
            touched.retain(|_, last| now.duration_since(*last) < TOUCH_EVERY);
            if touched.len() >= TOUCHES_KEPT {
                // All recent: writing some of them again early costs less than growing.
                touched.clear();
            }
        }
        touched.insert(session.clone(), now);
        true
    }
}

impl App {
    /// Starts session `id` for a login of `account` (at `token_version`) whose refresh
    /// token is `refresh`. Sessions it pushed out (too many) are ended everywhere.
    pub async fn start_session(
        &self,
        id: SessionId,
        (account, token_version): (AccountId, i64),
        refresh: RefreshGrant,
        client: Client<'_>,
    ) -> AppResult<()> {
        let new = NewLoginSession {
            id,
            account,
            token_version,
            refresh,
            user_agent: user_agent(client.user_agent),
            ip: client.ip.to_owned(),
            at: Timestamp::now(),
        };
        let ended = self.store.create_session(&new).await?;
        self.sessions_ended(account, ended);
        Ok(())
    }

    /// Presents refresh token `jti` of the session, which moves on to `next` if it was the
    /// current one. A token used again ends its session (the usual sign that it was stolen),
    /// but for the one just replaced, within a few seconds (two tabs racing).
    pub async fn refresh_session(
        &self,
        (account, session): (AccountId, &SessionId),
        jti: &str,
        next: &RefreshGrant,
        ip: &str,
    ) -> AppResult<Rotation> {
        let rotation = self
            .store
            .rotate_session(session, account, jti, next, Timestamp::now(), ip)
            .await?;
        if rotation == Rotation::Ended {
            tracing::warn!(
                account = account.0,
                "a replaced refresh token was used again (or the session had expired): \
                 the session is ended"
            );
            self.sessions_ended(account, vec![session.clone()]);
        }
        Ok(rotation)
    }

    /// Whether the session is live, through the read cache; a use of it is recorded now and
    /// then.
    pub async fn session_live(
        &self,
        (account, session): (AccountId, &SessionId),
        ip: &str,
    ) -> AppResult<bool> {
        let ticket = self.cache.check(self.events.status());
        if self.cache.session(ticket, session) != Some(account) {
            if !self.store.session_live(session, account).await? {
                return Ok(false);
            }
            self.cache.keep_session(ticket, session, account);
        }
        if self.touches.due(session) {
            // Not waited for: the request needs no answer from it.
            let (store, session, ip) = (self.store.clone(), session.clone(), ip.to_owned());
            tokio::spawn(async move {
                if let Err(error) = store.touch_session(&session, Timestamp::now(), &ip).await {
                    tracing::warn!(%error, "a session's use could not be recorded");
                }
            });
        }
        Ok(true)
    }

    /// The caller's live sessions, the most recently used first.
    pub async fn sessions(&self, account: AccountId) -> AppResult<Vec<LoginSession>> {
        Ok(self.store.sessions(account).await?)
    }

    /// Logs one of the account's sessions out; not found if it is not one of its live ones.
    pub async fn end_session(&self, account: AccountId, session: &SessionId) -> AppResult<()> {
        let ended = self
            .store
            .end_sessions(account, Ending::One(session))
            .await?;
        if ended.is_empty() {
            return Err(AppError::NotFound);
        }
        self.sessions_ended(account, ended);
        Ok(())
    }

    /// Logs every session of the account out but `keep`: how many were.
    pub async fn end_other_sessions(
        &self,
        account: AccountId,
        keep: &SessionId,
    ) -> AppResult<usize> {
        let ended = self
            .store
            .end_sessions(account, Ending::AllBut(keep))
            .await?;
        let count = ended.len();
        self.sessions_ended(account, ended);
        Ok(count)
    }

    fn sessions_ended(&self, account: AccountId, ended: Vec<SessionId>) {
        if ended.is_empty() {
            return;
        }
        self.publish(Event::SessionsEnded {
            account,
            sessions: ended.iter().map(|s| s.as_str().to_owned()).collect(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_use_is_written_once_per_interval() {
        let touches = Touches::default();
        let one = new_session_id().unwrap();
        assert!(touches.due(&one));
        assert!(!touches.due(&one));
        assert!(touches.due(&new_session_id().unwrap()));
    }
}
