//! Messages as both backends read them, with their author.

use super::time;
use pingme_domain::messages::{
    Attachment, Author, EXCERPT_CHARS, Emoji, Excerpt, ExcerptAuthor, Message, MessageId, Page,
    PageVersion, Reaction, Reply, mentions,
};
use pingme_domain::store::{StoreError, StoreResult};
use pingme_domain::{AccountId, AttachmentId, ChannelId, ServerId};
use std::sync::Arc;

/// A message's columns after its channel's server, in [`MessageRow`]'s order; its author's
/// are NULL once the author is deleted, the excerpt's (`r`, `ra`: [`reply_joins!`]) once
/// the original or its author is.
macro_rules! message_columns {
    () => {
        "m.content, m.created_at, m.updated_at, \
         a.id AS author_id, a.login, a.display_name, a.location, a.content AS bio, a.image, \
         a.created_at AS author_created_at, a.updated_at AS author_updated_at, \
         m.pinned_at IS NOT NULL AS pinned, m.reply_to_id, r.id AS reply_id, \
         substr(r.content, 1, 100) AS reply_content, ra.id AS reply_author_id, \
         ra.display_name AS reply_author_name, ra.image AS reply_author_image "
    };
}

/// The original a reply answers (only in its channel) and its author, for
/// [`message_columns!`].
macro_rules! reply_joins {
    () => {
        "LEFT JOIN messages r ON r.id = m.reply_to_id AND r.channel_id = m.channel_id \
         LEFT JOIN accounts ra ON ra.id = r.author_id "
    };
}

/// A message with its channel's server and its author, in [`MessageRow`]'s order; a
/// `WHERE` clause follows.
macro_rules! message_select {
    () => {
        concat!(
            "SELECT m.id, m.channel_id, c.server_id, ",
            $crate::rows::messages::message_columns!(),
            "FROM messages m JOIN channels c ON c.id = m.channel_id \
             LEFT JOIN accounts a ON a.id = m.author_id ",
            $crate::rows::messages::reply_joins!()
        )
    };
}

/// The messages of one channel (`$1`), in [`MessageRow`]'s order: its server is read once
/// for the page, not joined to every row. A `WHERE` clause on `m.channel_id = $1` follows.
macro_rules! page_select {
    () => {
        concat!(
            "SELECT m.id, m.channel_id, (SELECT server_id FROM channels WHERE id = $1) AS server_id, ",
            message_columns!(),
            "FROM messages m LEFT JOIN accounts a ON a.id = m.author_id ",
            reply_joins!()
        )
    };
}
/// Whether account `a` counts a mention in channel `$channel` by `$author`: it may read the
/// channel (a member of its server, or one of the people of its direct message) and does not
/// block the author.
macro_rules! mentionable {
    ($channel:literal, $author:literal) => {
        concat!(
            "EXISTS (SELECT 1 FROM channels c WHERE c.id = ",
            $channel,
            " AND ",
            $crate::dialect::may_read!("a.id", "", ""),
            ") AND NOT EXISTS (SELECT 1 FROM blocks mb \
             WHERE mb.blocker_id = a.id AND mb.blocked_id = ",
            $author,
            ")"
        )
    };
}
pub(crate) use mentionable;
pub(crate) use message_columns;
pub(crate) use message_select;
pub(crate) use reply_joins;

#[derive(sqlx::FromRow)]
pub(crate) struct MessageRow {
    id: i64,
    channel_id: i64,
    server_id: Option<i64>,
    content: String,
    created_at: i64,
    updated_at: i64,
    author_id: Option<i64>,
    login: Option<String>,
    display_name: Option<String>,
    location: Option<String>,
    bio: Option<String>,
    image: Option<String>,
    author_created_at: Option<i64>,
    author_updated_at: Option<i64>,
    pinned: bool,
    reply_to_id: Option<i64>,
    reply_id: Option<i64>,
    reply_content: Option<String>,
    reply_author_id: Option<i64>,
    reply_author_name: Option<String>,
    reply_author_image: Option<String>,
}

/// `[account, channel, message, author]` for each mention in the rows' texts (migration
/// 0008; the author 0 once deleted).
pub(crate) fn mention_rows(rows: &[MessageRow]) -> Vec<[i64; 4]> {
    rows.iter()
        .flat_map(|row| {
            let author = row.author_id.unwrap_or(0);
            mentions(&row.content)
                .into_iter()
                .map(move |account| [account.0, row.channel_id, row.id, author])
        })
        .collect()
}

/// Each channel the rows are in, once, with its newest row's id, by channel id.
pub(crate) fn newest_by_channel(rows: &[MessageRow]) -> Vec<[i64; 2]> {
    let mut newest: Vec<[i64; 2]> = rows.iter().map(|r| [r.channel_id, r.id]).collect();
    newest.sort_unstable_by(|a, b| a[0].cmp(&b[0]).then(b[1].cmp(&a[1])));
    newest.dedup_by_key(|pair| pair[0]);
    newest
}

impl TryFrom<MessageRow> for Message {
    type Error = StoreError;

    fn try_from(row: MessageRow) -> Result<Self, StoreError> {
        let author = match (
            row.author_id,
            row.login,
            row.display_name,
            row.author_created_at,
            row.author_updated_at,
        ) {
            (Some(id), Some(login), Some(display_name), Some(created), Some(updated)) => {
                Some(Arc::new(Author {
                    id: AccountId(id),
                    login,
                    display_name,
                    location: row.location,
                    content: row.bio.unwrap_or_default(),
                    image: row.image,
                    created_at: time(created)?,
                    updated_at: time(updated)?,
                }))
            }
            _ => None,
        };
        let reply_to = reply(
            row.reply_to_id,
            row.reply_id.and(row.reply_content),
            row.reply_author_id.zip(row.reply_author_name),
            row.reply_author_image,
        );
        Ok(Message {
            id: MessageId(row.id),
            channel: ChannelId(row.channel_id),
            server: row.server_id.map(ServerId),
            author,
            content: row.content,
            created_at: time(row.created_at)?,
            updated_at: time(row.updated_at)?,
            reply_to,
            reactions: Vec::new(),
            pinned: row.pinned,
            attachments: Vec::new(),
        })
    }
}

/// An excerpt without a mention its end cut in two (`… <@12` of `<@123>`): what is left of
/// it would show as text.
fn without_cut_mention(mut excerpt: String) -> String {
    if excerpt.chars().count() < EXCERPT_CHARS {
        return excerpt;
    }
    if let Some(at) = excerpt.rfind("<@")
        && excerpt[at + 2..].bytes().all(|b| b.is_ascii_digit())
    {
        excerpt.truncate(at);
        let kept = excerpt.trim_end().len();
        excerpt.truncate(kept);
    }
    excerpt
}

/// What a reply answers, from its columns: the original's id, and while the original
/// exists its excerpt (`content`) and author (`(id, display name)`, and image).
pub(crate) fn reply(
    id: Option<i64>,
    content: Option<String>,
    author: Option<(i64, String)>,
    image: Option<String>,
) -> Option<Box<Reply>> {
    let excerpt = content.map(|content| Excerpt {
        content: without_cut_mention(content),
        author: author.map(|(id, display_name)| ExcerptAuthor {
            id: AccountId(id),
            display_name,
            image,
        }),
    });
    Some(Box::new(Reply {
        id: MessageId(id?),
        excerpt,
    }))
}

/// A page or batch of messages, in the rows' order.
pub(crate) fn all(rows: Vec<MessageRow>) -> StoreResult<Vec<Message>> {
    rows.into_iter().map(Message::try_from).collect()
}

/// The latest page of a channel: `$1` the channel, `$2` how many.
pub(crate) const LATEST: &str = concat!(
    page_select!(),
    "WHERE m.channel_id = $1 ORDER BY m.id DESC LIMIT $2"
);
/// The page before a message: `$1` the channel, `$2` the message, `$3` how many.
pub(crate) const BEFORE: &str = concat!(
    page_select!(),
    "WHERE m.channel_id = $1 AND m.id < $2 ORDER BY m.id DESC LIMIT $3"
);
/// The page after a message: `$1` the channel, `$2` the message, `$3` the message to stop
/// before (or NULL), `$4` how many.
pub(crate) const AFTER: &str = concat!(
    page_select!(),
    "WHERE m.channel_id = $1 AND m.id > $2 AND (CAST($3 AS BIGINT) IS NULL OR m.id < $3) ORDER BY m.id LIMIT $4"
);

/// A page's messages, given in its statement's order, oldest first ([`LATEST`] and
/// [`BEFORE`] read newest first, to take the last ones).
pub(crate) fn in_page_order(mut messages: Vec<Message>, page: Page) -> Vec<Message> {
    if !matches!(page, Page::After { .. }) {
        messages.reverse();
    }
    messages
}

/// A row of `Sql::page_version`.
#[derive(sqlx::FromRow)]
pub(crate) struct PageVersionRow {
    database: i64,
    messages: i64,
    profiles: i64,
}

crate::direct::sqlite_row!(MessageRow {
    id,
    channel_id,
    server_id,
    content,
    created_at,
    updated_at,
    author_id,
    login,
    display_name,
    location,
    bio,
    image,
    author_created_at,
    author_updated_at,
    pinned,
    reply_to_id,
    reply_id,
    reply_content,
    reply_author_id,
    reply_author_name,
    reply_author_image,
});

crate::direct::sqlite_row!(PageVersionRow {
    database,
    messages,
    profiles
});

impl From<PageVersionRow> for PageVersion {
    fn from(row: PageVersionRow) -> Self {
        Self {
            database: row.database,
            messages: row.messages,
            profiles: row.profiles,
        }
    }
}

/// Whether a message exists: when an edit or a delete changed nothing, this tells a refusal
/// (the message is there; the caller may not) from a message that is gone.
pub(crate) const MESSAGE_EXISTS: &str = "SELECT EXISTS (SELECT 1 FROM messages WHERE id = $1)";

/// A row of `Sql::reactions_of`: one emoji on one message.
#[derive(sqlx::FromRow)]
pub(crate) struct ReactionRow {
    message_id: i64,
    emoji: String,
    count: i64,
    mine: i64,
    #[allow(dead_code)]
    first_at: i64,
}

crate::direct::sqlite_row!(ReactionRow {
    message_id,
    emoji,
    count,
    mine,
    first_at,
});

/// Gives each message its reactions, from rows by message then first given.
pub(crate) fn attach_reactions(messages: &mut [Message], rows: Vec<ReactionRow>) {
    let mut rows = rows.into_iter().peekable();
    let mut by_id: Vec<&mut Message> = messages.iter_mut().collect();
    by_id.sort_unstable_by_key(|m| m.id);
    for message in by_id {
        while let Some(row) = rows.next_if(|r| r.message_id <= message.id.0) {
            if row.message_id == message.id.0 {
                message.reactions.push(Reaction {
                    emoji: Emoji::stored(row.emoji),
                    count: u32::try_from(row.count).unwrap_or(u32::MAX),
                    me: row.mine > 0,
                });
            }
        }
    }
}

/// A row of `Sql::attachments_of`.
#[derive(sqlx::FromRow)]
pub(crate) struct AttachmentRow {
    message_id: i64,
    id: i64,
    key: String,
    width: i64,
    height: i64,
    content_type: String,
}

crate::direct::sqlite_row!(AttachmentRow {
    message_id,
    id,
    key,
    width,
    height,
    content_type,
});

/// Gives each message its attachments, from rows by message then position.
pub(crate) fn attach_attachments(messages: &mut [Message], rows: Vec<AttachmentRow>) {
    for row in rows {
        if let Some(message) = messages.iter_mut().find(|m| m.id.0 == row.message_id) {
            message.attachments.push(Attachment {
                id: AttachmentId(row.id),
                key: row.key,
                width: u32::try_from(row.width).unwrap_or(0),
                height: u32::try_from(row.height).unwrap_or(0),
                content_type: row.content_type,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_is_as_long_as_the_domain_says() {
        let select = message_select!();
        assert!(
            select.contains(&format!("substr(r.content, 1, {EXCERPT_CHARS})")),
            "{select}"
        );
    }

    #[test]
    fn a_mention_cut_at_the_excerpts_end_is_left_out() {
        let cut = |text: &str| {
            let filled = format!("{}{text}", "x".repeat(EXCERPT_CHARS - text.chars().count()));
            let kept = without_cut_mention(filled);
            kept[kept.len().min(EXCERPT_CHARS - text.chars().count())..].to_owned()
        };
        assert_eq!(cut(" hi <@12"), " hi");
        assert_eq!(cut(" hi <@"), " hi");
        assert_eq!(cut(" hi <@12> you"), " hi <@12> you");
        assert_eq!(cut(" a <@x"), " a <@x");
        assert_eq!(
            without_cut_mention("short <@12".into()),
            "short <@12",
            "not cut: the text"
        );
    }
}
