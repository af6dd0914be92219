//! Login sessions: what a login starts and its refresh tokens carry on (contract Level 4,
//! "Sessions"). Each refresh token is used once: refreshing rotates it, and a token used a
//! second time ends its whole session (the usual sign that it was stolen).

use crate::{AccountId, Timestamp};
use std::fmt;
use std::sync::Arc;

/// Sessions one account may hold at once; a login past it ends the least recently used.
pub const MAX_SESSIONS: u32 = 100;
/// For this many seconds after a refresh, the refresh token it replaced is refused without
/// ending the session: two tabs refreshing at once, or a client that read its storage just
/// before another tab wrote the new token, not a thief.
pub const REPLACED_GRACE_SECS: i64 = 10;
/// What is kept of a client's `User-Agent`, in characters.
pub const USER_AGENT_CHARS: usize = 256;

/// A login session's id: 32 lowercase hex digits, random, opaque to clients.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionId(Arc<str>);

impl SessionId {
    /// The id `text` names, if it has an id's form (anything else names no session).
    pub fn parse(text: &str) -> Option<Self> {
        let well_formed = text.len() == 32
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        well_formed.then(|| Self(text.into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn shared(&self) -> Arc<str> {
        self.0.clone()
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The refresh token a session holds now: its `jti` and when it expires (Unix seconds, as the
/// token says).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefreshGrant {
    pub jti: String,
    pub expires_at: u64,
}

/// A session as its owner sees it listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginSession {
    pub id: SessionId,
    pub account: AccountId,
    pub created_at: Timestamp,
    pub last_used_at: Timestamp,
    pub user_agent: String,
    pub ip: String,
}

/// What a login starts.
#[derive(Clone, Debug)]
pub struct NewLoginSession {
    pub id: SessionId,
    pub account: AccountId,
    /// The account's token version: a password change (which raises it) ends the session.
    pub token_version: i64,
    pub refresh: RefreshGrant,
    pub user_agent: String,
    pub ip: String,
    pub at: Timestamp,
}

/// What presenting a refresh token did to its session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rotation {
    /// It was the session's current token: the session now holds the next one.
    Rotated,
    /// It was the token the current one replaced, within [`REPLACED_GRACE_SECS`]: refused,
    /// the session lives on (the client should use the newer token it has been given).
    Replaced,
    /// It was an earlier token of the session (or the session had expired, or its password
    /// changed): the session is ended.
    Ended,
    /// No such session (ended before).
    Missing,
}

/// Which of an account's sessions to end.
#[derive(Clone, Copy, Debug)]
pub enum Ending<'a> {
    One(&'a SessionId),
    AllBut(&'a SessionId),
}

/// The user agent as kept: trimmed, at most [`USER_AGENT_CHARS`] characters, no control
/// characters.
pub fn user_agent(raw: &str) -> String {
    raw.trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(USER_AGENT_CHARS)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_32_hex_digits_and_nothing_else_parses() {
        let id = SessionId::parse("0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!(id.as_str(), "0123456789abcdef0123456789abcdef");
        for bad in [
            "",
            "abc",
            "0123456789ABCDEF0123456789abcdef",
            "0123456789abcdef0123456789abcdeg",
        ] {
            assert_eq!(SessionId::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn user_agents_are_trimmed_bounded_and_printable() {
        assert_eq!(user_agent("  Firefox\n\u{7}x "), "Firefoxx");
        assert_eq!(
            user_agent(&"é".repeat(300)).chars().count(),
            USER_AGENT_CHARS
        );
    }
}
