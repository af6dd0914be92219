//! Messages as clients see them: with the full Account object over REST, with a short user
//! over sockets. A message whose author deleted their account shows a placeholder.

use crate::AppState;
use crate::account::AccountView;
use crate::chat::attachments::AttachmentView;
use crate::media::{Urls, image_url};
use crate::openapi::null_only;
use pingme_domain::messages::{Author, Message, mentions};
use pingme_domain::{AccountId, Timestamp};
use pingme_media::defaults;
use serde::Serialize;
use utoipa::ToSchema;

const DELETED_USER: &str = "Deleted User";

/// Who wrote a message: an Account object, or the placeholder of a deleted account (the
/// same keys; `id`, `owner` and the times `null`, `username` "Deleted User").
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum MessageAuthor {
    Account(AccountView),
    Deleted(DeletedAccount),
}

/// The author of a message whose account was deleted: the Account object's keys, with `id`,
/// `owner`, `location` and the times always `null`, and `username` "Deleted User".
// Typed `null` (not "nullable"), so that an Account object never matches this too: the
// document's `oneOf` needs exactly one to match.
#[derive(Serialize, ToSchema)]
pub struct DeletedAccount {
    #[schema(schema_with = null_only, required = true)]
    id: Option<i64>,
    #[schema(schema_with = null_only, required = true)]
    owner: Option<String>,
    #[schema(schema_with = null_only, required = true)]
    created_at: Option<Timestamp>,
    #[schema(schema_with = null_only, required = true)]
    updated_at: Option<Timestamp>,
    /// "Deleted User".
    username: &'static str,
    #[schema(schema_with = null_only, required = true)]
    location: Option<String>,
    content: &'static str,
    image_url: String,
}

/// A message over REST.
#[derive(Serialize, ToSchema)]
pub struct MessageView {
    pub id: i64,
    pub user: MessageAuthor,
    pub content: String,
    #[schema(value_type = String, format = DateTime)]
    pub timestamp_created: Timestamp,
    /// Equal to `timestamp_created` until the message is edited.
    #[schema(value_type = String, format = DateTime)]
    pub timestamp_updated: Timestamp,
    pub channel_id: i64,
    /// The accounts the text mentions as `<@id>`, each once, in the order they first appear
    /// (at most 100): read from the text, whether or not such an account exists.
    pub mentions: Vec<i64>,
    /// Whether the message was edited since it was sent.
    pub edited: bool,
    /// What the message answers: its start and author. `null` when it is no reply, and
    /// once the original is deleted (`reply_to_id` still names it).
    pub reply_to: Option<ReplyView>,
    /// The id of the message this one answers, also after it was deleted; `null` when it
    /// is no reply.
    pub reply_to_id: Option<i64>,
    /// Each emoji once, in the order first given, with how many gave it and whether the
    /// reader did. Left out of the gateway's `message_create` and `message_update`, whose
    /// one rendering serves every reader: reactions change by `reaction_add` and
    /// `reaction_remove` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reactions: Option<Vec<ReactionView>>,
    /// Whether the server's owner pinned it.
    pub pinned: bool,
    /// Its images, in the order sent, with their sizes.
    pub attachments: Vec<AttachmentView>,
}

/// The start of the message a reply answers.
#[derive(Serialize, ToSchema)]
pub struct ReplyView {
    pub id: i64,
    /// Its author as socket frames show people (`id` `null` once the account is deleted).
    pub user: SocketUser,
    /// Its first 100 characters.
    pub content: String,
}

/// One emoji on a message.
#[derive(Serialize, ToSchema)]
pub struct ReactionView {
    pub emoji: String,
    pub count: u32,
    /// Whether the reader gave it.
    pub me: bool,
}

/// How an image's key becomes its URL, with the default to use without one.
type ImageUrl<'a> = &'a dyn Fn(Option<&str>, &str) -> String;

impl MessageView {
    pub fn new(message: &Message, state: &AppState) -> Self {
        let image = |key: Option<&str>, default: &str| image_url(state, key, default);
        let mut view = Self::by(
            message,
            MessageAuthor::new(message.author.as_deref(), state),
            &image,
        );
        view.reactions = Some(reactions(message));
        view
    }

    /// A gateway dispatch's: with the URLs made by `urls` (where no request's state is at
    /// hand), without reactions.
    pub fn dispatched(message: &Message, urls: &Urls) -> Self {
        let image = |key: Option<&str>, default: &str| urls.image(key, default);
        Self::by(
            message,
            MessageAuthor::with_urls(message.author.as_deref(), urls),
            &image,
        )
    }

    fn by(message: &Message, user: MessageAuthor, image: ImageUrl<'_>) -> Self {
        Self {
            id: message.id.0,
            user,
            content: message.content.clone(),
            timestamp_created: message.created_at,
            timestamp_updated: message.updated_at,
            channel_id: message.channel.0,
            mentions: mention_ids(&message.content),
            edited: message.edited(),
            reply_to: reply_view(message, image),
            reply_to_id: message.reply_to.as_ref().map(|r| r.id.0),
            reactions: None,
            pinned: message.pinned,
            attachments: attachment_views(message, image),
        }
    }

    /// A page of messages as the JSON array of their views, byte for byte what serialising
    /// `Vec<MessageView>` gives, with each author's object rendered once per page rather
    /// than once per message (a page is mostly a few people talking) and nothing copied.
    pub fn page_json(messages: &[Message], urls: &Urls) -> Vec<u8> {
        let image = |key: Option<&str>, default: &str| urls.image(key, default);
        render_page(
            messages,
            |author| MessageAuthor::with_urls(author, urls),
            &image,
        )
    }
}

fn reply_view(message: &Message, image: ImageUrl<'_>) -> Option<ReplyView> {
    let reply = message.reply_to.as_ref()?;
    let excerpt = reply.excerpt.as_ref()?;
    let author = excerpt.author.as_ref();
    Some(ReplyView {
        id: reply.id.0,
        user: SocketUser {
            id: author.map(|a| a.id.0),
            username: author.map_or(DELETED_USER.into(), |a| a.display_name.clone()),
            image_url: image(author.and_then(|a| a.image.as_deref()), defaults::AVATAR),
        },
        content: excerpt.content.clone(),
    })
}

fn attachment_views(message: &Message, image: ImageUrl<'_>) -> Vec<AttachmentView> {
    message
        .attachments
        .iter()
        .map(|a| AttachmentView::new(a, image(Some(&a.key), defaults::AVATAR)))
        .collect()
}

fn reactions(message: &Message) -> Vec<ReactionView> {
    message
        .reactions
        .iter()
        .map(|r| ReactionView {
            emoji: r.emoji.as_str().to_owned(),
            count: r.count,
            me: r.me,
        })
        .collect()
}

/// [`MessageView::page_json`], with the authors' views made by `author`.
fn render_page(
    messages: &[Message],
    author: impl Fn(Option<&Author>) -> MessageAuthor,
    image: ImageUrl<'_>,
) -> Vec<u8> {
    let mut authors: Vec<(Option<AccountId>, Vec<u8>)> = Vec::new();
    let mut out = Vec::with_capacity(256 + messages.len() * 360);
    out.push(b'[');
    for (n, message) in messages.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        let id = message.author.as_deref().map(|a| a.id);
        let user = match authors.iter().position(|(known, _)| *known == id) {
            Some(at) => at,
            None => {
                let view = author(message.author.as_deref());
                authors.push((id, serde_json::to_vec(&view).unwrap_or_default()));
                authors.len() - 1
            }
        };
        // Writing into a Vec cannot fail, nor can a number, a string or a timestamp.
        out.extend_from_slice(b"{\"id\":");
        let _ = serde_json::to_writer(&mut out, &message.id.0);
        out.extend_from_slice(b",\"user\":");
        out.extend_from_slice(&authors[user].1);
        out.extend_from_slice(b",\"content\":");
        let _ = serde_json::to_writer(&mut out, &message.content);
        out.extend_from_slice(b",\"timestamp_created\":");
        let _ = serde_json::to_writer(&mut out, &message.created_at);
        out.extend_from_slice(b",\"timestamp_updated\":");
        let _ = serde_json::to_writer(&mut out, &message.updated_at);
        out.extend_from_slice(b",\"channel_id\":");
        let _ = serde_json::to_writer(&mut out, &message.channel.0);
        out.extend_from_slice(b",\"mentions\":");
        let _ = serde_json::to_writer(&mut out, &mention_ids(&message.content));
        out.extend_from_slice(match message.edited() {
            true => b",\"edited\":true",
            false => b",\"edited\":false",
        });
        out.extend_from_slice(b",\"reply_to\":");
        let _ = serde_json::to_writer(&mut out, &reply_view(message, image));
        out.extend_from_slice(b",\"reply_to_id\":");
        let _ = serde_json::to_writer(&mut out, &message.reply_to.as_ref().map(|r| r.id.0));
        out.extend_from_slice(b",\"reactions\":");
        let _ = serde_json::to_writer(&mut out, &reactions(message));
        out.extend_from_slice(match message.pinned {
            true => b",\"pinned\":true",
            false => b",\"pinned\":false",
        });
        out.extend_from_slice(b",\"attachments\":");
        let _ = serde_json::to_writer(&mut out, &attachment_views(message, image));
        out.push(b'}');
    }
    out.push(b']');
    out
}

fn mention_ids(content: &str) -> Vec<i64> {
    mentions(content).into_iter().map(|id| id.0).collect()
}

impl MessageAuthor {
    fn new(author: Option<&Author>, state: &AppState) -> Self {
        let image = author.and_then(|a| a.image.as_deref());
        Self::with_image(author, image_url(state, image, defaults::AVATAR))
    }

    fn with_urls(author: Option<&Author>, urls: &Urls) -> Self {
        let image = author.and_then(|a| a.image.as_deref());
        Self::with_image(author, urls.image(image, defaults::AVATAR))
    }

    /// The author's object, or the placeholder of a deleted account, with this avatar URL.
    fn with_image(author: Option<&Author>, image_url: String) -> Self {
        match author {
            Some(author) => MessageAuthor::Account(AccountView {
                id: author.id.0,
                owner: author.login.clone(),
                created_at: author.created_at,
                updated_at: author.updated_at,
                username: author.display_name.clone(),
                location: author.location.clone(),
                content: author.content.clone(),
                image_url,
            }),
            None => MessageAuthor::Deleted(DeletedAccount {
                id: None,
                owner: None,
                created_at: None,
                updated_at: None,
                username: DELETED_USER,
                location: None,
                content: "",
                image_url,
            }),
        }
    }
}

/// The short user of socket frames.
#[derive(Serialize, ToSchema)]
pub struct SocketUser {
    /// `null` once the account is deleted.
    pub id: Option<i64>,
    /// Display name.
    pub username: String,
    pub image_url: String,
}

/// A message in socket frames.
#[derive(Serialize, ToSchema)]
pub struct SocketMessage {
    pub id: i64,
    pub user: SocketUser,
    pub content: String,
    #[schema(value_type = String, format = DateTime)]
    pub timestamp_created: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub timestamp_updated: Timestamp,
}

impl SocketMessage {
    pub fn new(message: &Message, urls: &Urls) -> Self {
        let user = match &message.author {
            Some(author) => SocketUser {
                id: Some(author.id.0),
                username: author.display_name.clone(),
                image_url: urls.image(author.image.as_deref(), defaults::AVATAR),
            },
            None => SocketUser {
                id: None,
                username: DELETED_USER.into(),
                image_url: urls.image(None, defaults::AVATAR),
            },
        };
        Self {
            id: message.id.0,
            user,
            content: message.content.clone(),
            timestamp_created: message.created_at,
            timestamp_updated: message.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pingme_domain::AttachmentId;
    use pingme_domain::messages::{
        Attachment, Emoji, Excerpt, ExcerptAuthor, MessageId, Reaction, Reply,
    };
    use pingme_domain::{ChannelId, ServerId};
    use std::sync::Arc;

    fn at(micros: i64) -> Timestamp {
        Timestamp::from_unix_micros(micros).unwrap()
    }

    fn author(id: i64) -> Arc<Author> {
        Arc::new(Author {
            id: AccountId(id),
            login: format!("user{id}"),
            display_name: format!("Ünïcode \"{id}\""),
            location: (id == 1).then(|| "Paris".to_owned()),
            content: "bio\nline".into(),
            image: None,
            created_at: at(1_700_000_000_123_456),
            updated_at: at(1_700_000_100_000_000),
        })
    }

    fn image(key: Option<&str>, default: &str) -> String {
        format!("http://x.test/media/{}", key.unwrap_or(default))
    }

    fn view_of(author: Option<&Author>) -> MessageAuthor {
        MessageAuthor::with_image(author, "http://x.test/media/a.png".to_owned())
    }

    #[test]
    fn a_rendered_page_is_byte_for_byte_the_serialised_views() {
        let authors = [
            Some(author(1)),
            Some(author(2)),
            None,
            Some(author(1)),
            None,
        ];
        let messages: Vec<Message> = authors
            .into_iter()
            .enumerate()
            .map(|(n, author)| Message {
                id: MessageId(10 + n as i64),
                channel: ChannelId(3),
                server: Some(ServerId(4)),
                author,
                content: format!("say \"{n}\" \\ \u{1F600} </script>\t <@{n}> <@2>"),
                created_at: at(1_700_000_000_000_000 + n as i64),
                // Some edited, some not.
                updated_at: at(1_700_000_000_000_000 + n as i64 + n as i64 % 2),
                // Replies to a message that is there, with or without its author, to one
                // deleted, and none.
                reply_to: match n % 4 {
                    0 => None,
                    1 => Some(Box::new(Reply {
                        id: MessageId(3),
                        excerpt: None,
                    })),
                    k => Some(Box::new(Reply {
                        id: MessageId(4),
                        excerpt: Some(Excerpt {
                            author: (k == 2).then(|| ExcerptAuthor {
                                id: AccountId(2),
                                display_name: "Bö \"b\"".into(),
                                image: Some("avatars/b.png".into()),
                            }),
                            content: "quote \u{1F600}".into(),
                        }),
                    })),
                },
                reactions: (0..n % 3)
                    .map(|k| Reaction {
                        emoji: Emoji::parse(["👍", "❤️", "🇫🇷"][k]).unwrap(),
                        count: k as u32 + 1,
                        me: k == 1,
                    })
                    .collect(),
                pinned: n == 3,
                attachments: (0..n % 2)
                    .map(|k| Attachment {
                        id: AttachmentId(k as i64 + 1),
                        key: format!("attachments/1/{k}.webp"),
                        width: 640,
                        height: 480,
                        content_type: "image/webp".into(),
                    })
                    .collect(),
            })
            .collect();
        let views: Vec<MessageView> = messages
            .iter()
            .map(|m| MessageView {
                reactions: Some(reactions(m)),
                ..MessageView::by(m, view_of(m.author.as_deref()), &image)
            })
            .collect();
        let expected = serde_json::to_string(&views).unwrap();
        assert!(
            expected.contains(r#""mentions":[1,2],"edited":true,"reply_to":null,"reply_to_id":3,"#)
        );
        assert!(expected.contains(r#""edited":false,"reply_to":{"id":4,"user":{"id":2,"#));
        assert!(expected.contains(r#""reply_to":null,"reply_to_id":null,"reactions":[],"#));
        assert!(
            expected.contains(
                r#"{"emoji":"❤️","count":2,"me":true}],"pinned":false,"attachments":[]}"#
            )
        );
        assert!(expected.contains(r#""user":{"id":null,"username":"Deleted User","#));
        assert!(expected.contains(r#""pinned":false,"attachments":[{"id":1,"url":"http://x.test/media/attachments/1/0.webp","width":640,"height":480,"content_type":"image/webp"}]}"#));
        let rendered = String::from_utf8(render_page(&messages, view_of, &image)).unwrap();
        assert_eq!(rendered, expected);
        assert_eq!(render_page(&[], view_of, &image), b"[]");
    }
}
