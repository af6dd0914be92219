//! The data (`d`) of the gateway's dispatches, rendered once where the event happened
//! (docs/api.md, "The gateway").

use crate::account::AccountView;
use crate::chat::views::MessageView;
use crate::community::views::{ChannelView, ServerView};
use crate::dms::DmChannelView;
use crate::media::Urls;
use pingme_domain::account::Account;
use pingme_domain::community::{Channel, Server};
use pingme_domain::dms::DmView;
use pingme_domain::messages::{Message, ReadState};
use serde::Serialize;

fn render(data: &impl Serialize) -> String {
    // Plain structs of strings and numbers always serialise.
    serde_json::to_string(data).unwrap_or_default()
}

/// `message_create` and `message_update`: the message object of REST, with the nonce its
/// sender gave (so the sender's client can match its pending message). A new message's
/// `reactions` are `[]`, right for every reader; an update leaves them out (`me` is each
/// reader's own, and an update does not change them).
pub fn message(message: &Message, nonce: Option<&str>, created: bool, urls: &Urls) -> String {
    #[derive(Serialize)]
    struct WithNonce<'a> {
        #[serde(flatten)]
        message: MessageView,
        #[serde(skip_serializing_if = "Option::is_none")]
        nonce: Option<&'a str>,
    }
    let mut view = MessageView::dispatched(message, urls);
    if created {
        view.reactions = Some(Vec::new());
    }
    render(&WithNonce {
        message: view,
        nonce,
    })
}

/// `message_delete`.
pub fn message_deleted(message: &Message) -> String {
    #[derive(Serialize)]
    struct Deleted {
        id: i64,
        channel_id: i64,
        /// `null` in a direct message.
        server_id: Option<i64>,
    }
    render(&Deleted {
        id: message.id.0,
        channel_id: message.channel.0,
        server_id: message.server.map(|s| s.0),
    })
}

/// `reaction_add` and `reaction_remove`: `user_id` gave or took back `emoji`, which `count`
/// people have given now (a client sets the count rather than adding or taking one).
pub fn reaction(message: &Message, user_id: i64, emoji: &str, count: u32) -> String {
    #[derive(Serialize)]
    struct ReactionData<'a> {
        message_id: i64,
        channel_id: i64,
        server_id: Option<i64>,
        user_id: i64,
        emoji: &'a str,
        count: u32,
    }
    render(&ReactionData {
        message_id: message.id.0,
        channel_id: message.channel.0,
        server_id: message.server.map(|s| s.0),
        user_id,
        emoji,
        count,
    })
}

/// `typing_start`.
pub fn typing(user_id: i64, channel_id: i64, server_id: Option<i64>) -> String {
    #[derive(Serialize)]
    struct Typing {
        user_id: i64,
        channel_id: i64,
        server_id: Option<i64>,
    }
    render(&Typing {
        user_id,
        channel_id,
        server_id,
    })
}

/// `dm_create` and `dm_update`: the DM channel object, as the person it goes to sees it.
pub fn dm(dm: &DmView, urls: &Urls) -> String {
    render(&DmChannelView::new(dm, urls))
}

/// `channel_delete` to someone who left a direct message: `server_id` is `null`.
pub fn dm_left(channel: i64) -> String {
    #[derive(Serialize)]
    struct Left {
        id: i64,
        server_id: Option<i64>,
    }
    render(&Left {
        id: channel,
        server_id: None,
    })
}

/// A channel's read state: `read_state_update`, and each channel of `ready`.
#[derive(Serialize)]
pub struct ReadStateView {
    pub last_read_id: i64,
    /// Others' messages after `last_read_id`, at most 1000.
    pub unread_count: u32,
    pub mention_count: u32,
}

impl From<&ReadState> for ReadStateView {
    fn from(state: &ReadState) -> Self {
        Self {
            last_read_id: state.last_read_id.0,
            unread_count: state.unread_count,
            mention_count: state.mention_count,
        }
    }
}

/// `read_state_update`.
pub fn read_state(state: &ReadState) -> String {
    #[derive(Serialize)]
    struct Update {
        channel_id: i64,
        last_message_id: i64,
        #[serde(flatten)]
        state: ReadStateView,
    }
    render(&Update {
        channel_id: state.channel.0,
        last_message_id: state.last_message_id.0,
        state: ReadStateView::from(state),
    })
}

/// `member_add`: who joined, as an Account object.
pub fn member_added(server_id: i64, account: &Account, urls: &Urls) -> String {
    #[derive(Serialize)]
    struct Added {
        server_id: i64,
        user: AccountView,
    }
    render(&Added {
        server_id,
        user: AccountView::with_urls(account, urls),
    })
}

/// `account_update`: the Account object, as members of its servers see it.
pub fn account(account: &Account, urls: &Urls) -> String {
    render(&AccountView::with_urls(account, urls))
}

/// `presence_update`, and each of `ready`'s presences.
#[derive(Serialize)]
pub struct PresenceView {
    pub user_id: i64,
    /// `online`, `idle`, `dnd` or `offline` (and `invisible`, to the person's own sessions).
    pub status: &'static str,
}

pub fn presence(user_id: i64, status: &'static str) -> String {
    render(&PresenceView { user_id, status })
}

/// `member_remove`.
pub fn member_removed(server_id: i64, user_id: i64) -> String {
    #[derive(Serialize)]
    struct Removed {
        server_id: i64,
        user_id: i64,
    }
    render(&Removed { server_id, user_id })
}

/// `channel_create` and `channel_update`: the Channel object of REST.
pub fn channel(channel: &Channel) -> String {
    render(&ChannelView::from(channel))
}

/// `server_update`: the Server object of REST.
pub fn server(server: &Server, urls: &Urls) -> String {
    render(&ServerView::with_urls(server, urls, false))
}

/// `server_delete` (no `server_id`) and `channel_delete`.
pub fn deleted(id: i64, server_id: Option<i64>) -> String {
    #[derive(Serialize)]
    struct Deleted {
        id: i64,
        #[serde(skip_serializing_if = "Option::is_none")]
        server_id: Option<i64>,
    }
    render(&Deleted { id, server_id })
}
