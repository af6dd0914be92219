//! Messages as clients see them: with the full Account object over REST, with a short user
//! over sockets. A message whose author deleted their account shows a placeholder.

use crate::AppState;
use crate::account::AccountView;
use crate::media::{Urls, image_url};
use crate::openapi::null_only;
use pingme_domain::Timestamp;
use pingme_domain::messages::{Author, Message};
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
    #[schema(value_type = String, format = DateTime)]
    pub timestamp_updated: Timestamp,
}

impl MessageView {
    pub fn new(message: &Message, state: &AppState) -> Self {
        let user = match &message.author {
            Some(author) => MessageAuthor::Account(account_view(author, state)),
            None => MessageAuthor::Deleted(DeletedAccount {
                id: None,
                owner: None,
                created_at: None,
                updated_at: None,
                username: DELETED_USER,
                location: None,
                content: "",
                image_url: image_url(state, None, defaults::AVATAR),
            }),
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

fn account_view(author: &Author, state: &AppState) -> AccountView {
    AccountView {
        id: author.id.0,
        owner: author.login.clone(),
        created_at: author.created_at,
        updated_at: author.updated_at,
        username: author.display_name.clone(),
        location: author.location.clone(),
        content: author.content.clone(),
        image_url: image_url(state, author.image.as_deref(), defaults::AVATAR),
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
