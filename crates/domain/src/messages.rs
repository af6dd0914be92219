//! Messages in text channels.

use crate::text::{Refusal, too_long};
use crate::{AccountId, ChannelId, ServerId, Timestamp};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::sync::Arc;

/// A message's id: ids increase with time within an installation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageId(pub i64);

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A message's text: trimmed, not empty, at most `max` characters (`PINGME_MAX_MESSAGE_CHARS`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageBody(String);

impl MessageBody {
    pub fn parse(raw: &str, max_chars: usize) -> Result<Self, Refusal> {
        let text = raw.trim();
        if text.is_empty() {
            return Err("This field may not be blank.".into());
        }
        if text.chars().count() > max_chars {
            return Err(too_long(max_chars));
        }
        if text.contains('\0') {
            return Err("Null characters are not allowed.".into());
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who wrote a message, as messages show them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Author {
    pub id: AccountId,
    pub login: String,
    pub display_name: String,
    pub location: Option<String>,
    pub content: String,
    pub image: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub id: MessageId,
    pub channel: ChannelId,
    pub server: ServerId,
    /// `None` once the author's account is deleted: the message stays. Messages read
    /// together may share their author's one copy.
    pub author: Option<Arc<Author>>,
    pub content: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What became of a write on a message; decided in the write's own transaction, so no
/// check made beforehand can be outdated by the time it counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageWrite<T> {
    Done(T),
    /// The caller may not: not a member of the server (any longer), or neither the sender
    /// nor, for a delete, the server's owner.
    Refused,
    /// The message does not exist, or for a new one its channel.
    Missing,
}

#[derive(Clone, Debug)]
pub struct NewMessage {
    pub channel: ChannelId,
    pub author: AccountId,
    pub body: MessageBody,
}

/// Which messages of a channel a history page holds; always returned oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Page {
    /// The last `limit` messages.
    Latest { limit: u32 },
    /// The last `limit` messages older than `id`.
    Before { id: MessageId, limit: u32 },
    /// The first `limit` messages newer than `after` (and older than `before`, if given).
    After {
        after: MessageId,
        before: Option<MessageId>,
        limit: u32,
    },
}

/// Where a channel's history stands: raised, in the transaction of the write, by every
/// message written, edited or deleted in the channel (`messages`) and by any change to how
/// authors show (`profiles`: any account's profile changed or an account deleted). A page
/// read after a version was read is right for as long as the version reads the same.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PageVersion {
    /// Which run of the database server answered (Postgres: when it started; a failover or
    /// a restore changes it), so that counts read before one never match counts after it.
    pub database: i64,
    pub messages: i64,
    pub profiles: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_trimmed_and_bounded() {
        assert_eq!(MessageBody::parse("  hi  ", 10).unwrap().as_str(), "hi");
        assert_eq!(
            MessageBody::parse(" \n ", 10).unwrap_err(),
            "This field may not be blank."
        );
        assert!(MessageBody::parse(&"é".repeat(10), 10).is_ok());
        assert_eq!(
            MessageBody::parse(&"é".repeat(11), 10).unwrap_err(),
            "Ensure this field has no more than 10 characters."
        );
        assert!(MessageBody::parse("a\0b", 10).is_err());
    }
}
