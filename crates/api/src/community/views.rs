//! Servers, channels, categories, invites and bans as clients see them, keys in the
//! contract's order.

use crate::AppState;
use crate::media::{Urls, image_url};
use pingme_domain::Timestamp;
use pingme_domain::community::{Ban, Category, Channel, Invite, Server, TEXT_CHANNEL};
use pingme_media::defaults;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Serialize, ToSchema)]
pub struct ChannelView {
    pub id: i64,
    /// Lowercase.
    pub name: String,
    /// Always `text`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[schema(required = true)]
    pub description: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    /// Account id of the channel's owner.
    pub owner: i64,
    /// Id of the server it belongs to.
    pub server: i64,
}

impl From<&Channel> for ChannelView {
    fn from(channel: &Channel) -> Self {
        Self {
            id: channel.id.0,
            name: channel.name.clone(),
            kind: TEXT_CHANNEL,
            description: channel.description.clone(),
            created_at: channel.created_at,
            updated_at: channel.updated_at,
            owner: channel.owner.0,
            server: channel.server.0,
        }
    }
}

/// Absolute URLs of a server's images; built-in defaults until some are uploaded.
#[derive(Serialize, ToSchema)]
pub struct ServerImageUrls {
    pub server_icon_url: String,
    pub banner_image_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct ServerView {
    pub id: i64,
    /// Only with `?with_num_members=true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub num_members: Option<usize>,
    /// The server's channels, by id.
    pub channel_server: Vec<ChannelView>,
    pub owner_id: i64,
    /// The owner's login name.
    pub owner: String,
    pub category_name: String,
    /// Account ids of the members, ascending.
    pub members: Vec<i64>,
    pub server_image_urls: ServerImageUrls,
    pub name: String,
    #[schema(required = true)]
    pub description: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
    pub is_private: bool,
    /// Category id.
    pub category: i64,
}

impl ServerView {
    pub fn new(server: &Server, state: &AppState, with_num_members: bool) -> Self {
        let image = |key: Option<&String>, default: &str| {
            image_url(state, key.map(String::as_str), default)
        };
        Self::with_images(server, with_num_members, image)
    }

    /// With the images' URLs made by `urls` (where no request's state is at hand).
    pub fn with_urls(server: &Server, urls: &Urls, with_num_members: bool) -> Self {
        let image =
            |key: Option<&String>, default: &str| urls.image(key.map(String::as_str), default);
        Self::with_images(server, with_num_members, image)
    }

    fn with_images(
        server: &Server,
        with_num_members: bool,
        image: impl Fn(Option<&String>, &str) -> String,
    ) -> Self {
        Self {
            id: server.id.0,
            num_members: with_num_members.then_some(server.members.len()),
            channel_server: server.channels.iter().map(ChannelView::from).collect(),
            owner_id: server.owner.0,
            owner: server.owner_login.clone(),
            category_name: server.category_name.clone(),
            members: server.members.iter().map(|m| m.0).collect(),
            server_image_urls: ServerImageUrls {
                server_icon_url: image(server.icon.as_ref(), defaults::SERVER_ICON),
                banner_image_url: image(server.banner.as_ref(), defaults::BANNER),
            },
            name: server.name.clone(),
            description: server.description.clone(),
            created_at: server.created_at,
            updated_at: server.updated_at,
            is_private: server.is_private,
            category: server.category.0,
        }
    }

    pub fn list(servers: &[Server], state: &AppState, with_num_members: bool) -> Vec<Self> {
        servers
            .iter()
            .map(|s| Self::new(s, state, with_num_members))
            .collect()
    }
}

#[derive(Serialize, ToSchema)]
pub struct CategoryView {
    pub id: i64,
    /// Lowercase.
    pub name: String,
    #[schema(required = true)]
    pub description: Option<String>,
    pub category_icon_url: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: Timestamp,
}

impl CategoryView {
    pub fn new(category: &Category, state: &AppState) -> Self {
        Self {
            id: category.id.0,
            name: category.name.clone(),
            description: category.description.clone(),
            category_icon_url: image_url(state, category.icon.as_deref(), defaults::CATEGORY_ICON),
            created_at: category.created_at,
            updated_at: category.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct InviteView {
    pub code: String,
    /// Server id.
    pub server: i64,
    pub uses: i64,
    /// `null`: unlimited.
    #[schema(required = true)]
    pub max_uses: Option<i64>,
    /// `null`: never.
    #[schema(required = true, value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<&Invite> for InviteView {
    fn from(invite: &Invite) -> Self {
        Self {
            code: invite.code.clone(),
            server: invite.server.0,
            uses: invite.uses,
            max_uses: invite.max_uses,
            expires_at: invite.expires_at,
            created_at: invite.created_at,
        }
    }
}

/// What anyone holding an invite link may see before accepting it.
#[derive(Serialize, ToSchema)]
pub struct InvitePreview {
    pub code: String,
    /// Server id.
    pub server: i64,
    pub server_name: String,
    pub server_icon_url: String,
    pub num_members: usize,
    #[schema(required = true, value_type = Option<String>, format = DateTime)]
    pub expires_at: Option<Timestamp>,
}

impl InvitePreview {
    pub fn new(invite: &Invite, server: &Server, state: &AppState) -> Self {
        Self {
            code: invite.code.clone(),
            server: server.id.0,
            server_name: server.name.clone(),
            server_icon_url: image_url(state, server.icon.as_deref(), defaults::SERVER_ICON),
            num_members: server.members.len(),
            expires_at: invite.expires_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct BanView {
    /// Account id.
    pub account: i64,
    /// The account's login name.
    pub username: String,
    #[schema(value_type = String, format = DateTime)]
    pub created_at: Timestamp,
}

impl From<&Ban> for BanView {
    fn from(ban: &Ban) -> Self {
        Self {
            account: ban.account.0,
            username: ban.login.clone(),
            created_at: ban.created_at,
        }
    }
}

/// `{"status": "..."}`
#[derive(Serialize, ToSchema)]
pub struct Status {
    pub status: &'static str,
}
