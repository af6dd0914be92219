//! Messages in text channels.

use crate::text::{Refusal, too_long};
use crate::{AccountId, AttachmentId, ChannelId, ServerId, Timestamp};
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

    /// The text of a message that shows images only.
    pub fn blank() -> Self {
        Self(String::new())
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
    /// `None` for a direct message.
    pub server: Option<ServerId>,
    /// `None` once the author's account is deleted: the message stays. Messages read
    /// together may share their author's one copy.
    pub author: Option<Arc<Author>>,
    pub content: String,
    pub created_at: Timestamp,
    /// Later than `created_at` once the message was edited, and only then.
    pub updated_at: Timestamp,
    /// The message of the same channel this one answers, if it is a reply.
    pub reply_to: Option<Box<Reply>>,
    /// Its reactions, each emoji once, in the order they were first given.
    pub reactions: Vec<Reaction>,
    pub pinned: bool,
    /// Its images, in the order they were sent.
    pub attachments: Vec<Attachment>,
}

impl Message {
    pub fn edited(&self) -> bool {
        self.updated_at > self.created_at
    }
}

/// An image shown in a message, or uploaded to be ([`MAX_UNUSED_ATTACHMENTS`] at most
/// waiting per person).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub id: AttachmentId,
    /// Its file in the media store.
    pub key: String,
    pub width: u32,
    pub height: u32,
    pub content_type: String,
}

/// An image just processed, to be recorded as its uploader's.
#[derive(Clone, Debug)]
pub struct NewAttachment {
    pub owner: AccountId,
    pub key: String,
    pub width: u32,
    pub height: u32,
    pub content_type: String,
}

/// The most images one message shows.
pub const MAX_ATTACHMENTS: usize = 4;
/// The most images one person may have uploaded and not used yet.
pub const MAX_UNUSED_ATTACHMENTS: usize = 20;

/// What a reply answers: the original's id, and while the original exists, an excerpt of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub id: MessageId,
    /// `None` once the original is deleted.
    pub excerpt: Option<Excerpt>,
}

/// The start of the message a reply answers, and who wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Excerpt {
    /// `None` once the author's account is deleted.
    pub author: Option<ExcerptAuthor>,
    /// At most [`EXCERPT_CHARS`] characters of the original's text.
    pub content: String,
}

/// The author of an excerpt, as socket frames show people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExcerptAuthor {
    pub id: AccountId,
    pub display_name: String,
    pub image: Option<String>,
}

/// The characters of the original's text an excerpt holds.
pub const EXCERPT_CHARS: usize = 100;

/// One emoji on one message: how many people gave it, and whether the reader is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reaction {
    pub emoji: Emoji,
    pub count: u32,
    pub me: bool,
}

/// The most distinct emoji one message carries.
pub const MAX_REACTIONS: usize = 20;

/// What adding or removing a reaction did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reacted {
    /// How many people gave the emoji after the change.
    Changed(u32),
    /// The person had given that emoji already (adding), or had not (removing).
    Unchanged,
    /// The message has [`MAX_REACTIONS`] other emoji already.
    TooMany,
}

/// What pinning or unpinning a message did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pinned {
    /// The message as it is now.
    Changed(Box<Message>),
    Unchanged,
    /// Its channel has [`MAX_PINS`] pinned messages already.
    TooMany,
}

/// The most messages one channel keeps pinned.
pub const MAX_PINS: usize = 50;

/// One emoji of Unicode's emoji set (its fully qualified form, with any skin tone): a
/// reaction. Any other string, even one that looks like an emoji, is refused.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Emoji(String);

impl Emoji {
    /// An emoji as typed: minimally qualified and unqualified forms (`❤` for `❤️`) are the
    /// same emoji, kept in the fully qualified form.
    pub fn parse(raw: &str) -> Result<Self, Refusal> {
        match emojis::get(raw) {
            Some(emoji) => Ok(Self(emoji.as_str().to_owned())),
            None => Err("Not an emoji.".into()),
        }
    }

    /// An emoji read back from storage, where only parsed ones are written.
    pub fn stored(text: String) -> Self {
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Every emoji of the set in Unicode's order, in its default skin tone (each also
    /// takes the five others), with its name and its group's.
    pub fn all() -> impl Iterator<Item = (&'static str, &'static str, &'static str)> {
        emojis::iter().map(|e| (e.as_str(), e.name(), group_name(e.group())))
    }
}

fn group_name(group: emojis::Group) -> &'static str {
    use emojis::Group::*;
    match group {
        SmileysAndEmotion => "Smileys & Emotion",
        PeopleAndBody => "People & Body",
        AnimalsAndNature => "Animals & Nature",
        FoodAndDrink => "Food & Drink",
        TravelAndPlaces => "Travel & Places",
        Activities => "Activities",
        Objects => "Objects",
        Symbols => "Symbols",
        Flags => "Flags",
    }
}

/// A message's reference that a send may not use: the message it replies to is not one of
/// the channel's, or an attachment is not the sender's to use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unusable {
    ReplyTo,
    Attachments,
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

/// A client's name for one message it sends over REST (`POST /api/messages/`'s `nonce`): the
/// same nonce from the same author in the same channel within [`Nonce::WINDOW`] is the same
/// message, so a client may retry a send whose answer it never got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nonce(String);

impl Nonce {
    /// As the chat socket's nonce, which it echoes.
    pub const MAX_CHARS: usize = 100;
    /// How long a nonce names its message.
    pub const WINDOW: std::time::Duration = std::time::Duration::from_secs(10 * 60);

    pub fn parse(raw: &str) -> Result<Self, Refusal> {
        if raw.is_empty() {
            return Err("This field may not be blank.".into());
        }
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(too_long(Self::MAX_CHARS));
        }
        if raw.contains('\0') {
            return Err("Null characters are not allowed.".into());
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A message sent with a [`Nonce`]: made now, or found, made by an earlier send with the
/// same nonce.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    pub message: Message,
    pub new: bool,
}

/// The accounts a message's text mentions (`<@id>`), each once, in the order they first
/// appear; at most [`MAX_MENTIONS`].
pub fn mentions(content: &str) -> Vec<AccountId> {
    let mut found = Vec::new();
    let mut rest = content;
    while let Some(at) = rest.find("<@") {
        rest = &rest[at + 2..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        // `<@007>` is not a mention: an id is written without leading zeros.
        if digits == 0 || rest.starts_with('0') || rest.as_bytes().get(digits) != Some(&b'>') {
            continue;
        }
        let id = rest[..digits].parse::<i64>().ok().filter(|id| *id > 0);
        rest = &rest[digits + 1..];
        if let Some(id) = id.map(AccountId)
            && !found.contains(&id)
        {
            found.push(id);
            if found.len() == MAX_MENTIONS {
                break;
            }
        }
    }
    found
}

/// Where one person stands in one channel: the newest message stored there, the newest they
/// have read, and how many since are unread (others' messages, at most [`MAX_UNREAD`]) and
/// mention them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadState {
    pub channel: ChannelId,
    /// 0 while the channel has had no message; it may name a message deleted since.
    pub last_message_id: MessageId,
    /// 0 until they read anything; from their joining on, what came before counts as read.
    pub last_read_id: MessageId,
    pub unread_count: u32,
    pub mention_count: u32,
}

/// The most unread messages counted in one channel: a client shows "999+" past it.
pub const MAX_UNREAD: u32 = 1000;

/// The most mentions one message counts: more people than that are not mentioned one by one.
pub const MAX_MENTIONS: usize = 100;

#[derive(Clone, Debug)]
pub struct NewMessage {
    pub channel: ChannelId,
    pub author: AccountId,
    pub body: MessageBody,
}

/// A message sent over REST: with what only that way of sending carries.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub new: NewMessage,
    pub nonce: Option<Nonce>,
    /// A message of the same channel.
    pub reply_to: Option<MessageId>,
    /// Images its author uploaded and has not used yet, in the order to show them.
    pub attachments: Vec<AttachmentId>,
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

    #[test]
    fn emoji_are_one_of_the_set_in_their_full_form() {
        assert_eq!(Emoji::parse("👍").unwrap().as_str(), "👍");
        assert_eq!(Emoji::parse("👍🏽").unwrap().as_str(), "👍🏽");
        assert_eq!(Emoji::parse("🇫🇷").unwrap().as_str(), "🇫🇷");
        assert_eq!(Emoji::parse("❤").unwrap(), Emoji::parse("❤️").unwrap());
        for bad in [
            "", "a", ":+1:", "👍👍", "👍 ", "<script>", "U+1F44D", "\u{FE0F}",
        ] {
            assert!(Emoji::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn every_emoji_of_the_set_is_taken_as_it_is_listed() {
        let all: Vec<_> = Emoji::all().collect();
        assert!(all.len() > 1800, "{}", all.len());
        for (emoji, name, group) in all {
            assert_eq!(Emoji::parse(emoji).unwrap().as_str(), emoji, "{name}");
            assert!(!name.is_empty() && !group.is_empty());
        }
    }

    #[test]
    fn nonces_are_bounded_and_kept_as_sent() {
        assert_eq!(Nonce::parse(" a ").unwrap().as_str(), " a ");
        assert!(Nonce::parse("").is_err());
        assert!(Nonce::parse(&"n".repeat(100)).is_ok());
        assert!(Nonce::parse(&"n".repeat(101)).is_err());
        assert!(Nonce::parse("a\0").is_err());
    }

    #[test]
    fn mentions_are_read_from_the_text_once_each_in_order() {
        let ids = |text: &str| mentions(text).into_iter().map(|a| a.0).collect::<Vec<_>>();
        assert_eq!(ids("hi <@7> and <@3>, <@7>!"), [7, 3]);
        assert_eq!(
            ids("<@<@12>> <@@4> <@ 5> <@6 > <@-2> <@+9> <@0> <@x>"),
            [12]
        );
        assert_eq!(ids("<@99999999999999999999> <@1>"), [1]);
        assert_eq!(ids("<@5"), Vec::<i64>::new());
        assert_eq!(ids("é<@8>é"), [8]);
        let many: String = (1..=150).map(|n| format!("<@{n}>")).collect();
        assert_eq!(ids(&many), (1..=100).collect::<Vec<_>>());
    }
}
