//! The frames sockets receive, each rendered once. Only a new message uses the key
//! `message` (the original client appends every frame that has it); everything else is
//! `{"event": ..., "data": ...}`.

use super::views::{MessageView, SocketMessage};
use crate::gateway::data;
use crate::media::Urls;
use pingme_app::ChatFrames;
use pingme_domain::account::Account;
use pingme_domain::community::{Channel, Server};
use pingme_domain::dms::DmView;
use pingme_domain::media::MediaStore;
use pingme_domain::messages::{Emoji, Message, MessageId, ReadState};
use pingme_domain::{AccountId, ChannelId, ServerId};
use serde::Serialize;
use std::sync::Arc;

/// The chat frames the use cases publish, in the contract's shapes.
pub struct SocketFrames {
    urls: Urls,
}

impl SocketFrames {
    pub fn new(media: Arc<dyn MediaStore>, public_url: String) -> Self {
        Self {
            urls: Urls { media, public_url },
        }
    }
}

impl ChatFrames for SocketFrames {
    fn history(&self, messages: &[Message]) -> Vec<u8> {
        MessageView::page_json(messages, &self.urls)
    }

    fn new_message(&self, message: &Message, nonce: Option<&str>) -> String {
        new_message(&SocketMessage::new(message, &self.urls), nonce)
    }

    fn message_update(&self, message: &Message) -> String {
        message_update(&SocketMessage::new(message, &self.urls))
    }

    fn message_delete(&self, id: MessageId) -> String {
        message_delete(id.0)
    }

    fn typing(&self, account: AccountId, channel: ChannelId) -> String {
        typing(account.0, channel.0)
    }

    fn message_data(&self, message: &Message, nonce: Option<&str>, created: bool) -> String {
        data::message(message, nonce, created, &self.urls)
    }

    fn message_deleted_data(&self, message: &Message) -> String {
        data::message_deleted(message)
    }

    fn reaction_data(
        &self,
        message: &Message,
        account: AccountId,
        emoji: &Emoji,
        count: u32,
    ) -> String {
        data::reaction(message, account.0, emoji.as_str(), count)
    }

    fn typing_data(
        &self,
        account: AccountId,
        channel: ChannelId,
        server: Option<ServerId>,
    ) -> String {
        data::typing(account.0, channel.0, server.map(|s| s.0))
    }

    fn dm_data(&self, dm: &DmView) -> String {
        data::dm(dm, &self.urls)
    }

    fn dm_left_data(&self, channel: ChannelId) -> String {
        data::dm_left(channel.0)
    }

    fn read_state_data(&self, state: &ReadState) -> String {
        data::read_state(state)
    }

    fn member_added_data(&self, server: ServerId, account: &Account) -> String {
        data::member_added(server.0, account, &self.urls)
    }

    fn member_removed_data(&self, server: ServerId, account: AccountId) -> String {
        data::member_removed(server.0, account.0)
    }

    fn channel_data(&self, channel: &Channel) -> String {
        data::channel(channel)
    }

    fn server_data(&self, server: &Server) -> String {
        data::server(server, &self.urls)
    }

    fn deleted_data(&self, id: i64, server: Option<ServerId>) -> String {
        data::deleted(id, server.map(|s| s.0))
    }

    fn account_data(&self, account: &Account) -> String {
        data::account(account, &self.urls)
    }

    fn presence_data(&self, account: AccountId, status: &'static str) -> String {
        data::presence(account.0, status)
    }
}

#[derive(Serialize)]
struct NewMessage<'a> {
    message: &'a SocketMessage,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
}

#[derive(Serialize)]
struct EventFrame<'a, T: Serialize> {
    event: &'a str,
    data: T,
}

#[derive(Serialize)]
struct Deleted {
    id: i64,
}

#[derive(Serialize)]
struct Typing {
    user_id: i64,
    channel_id: i64,
}

/// What an error frame says.
#[derive(Serialize)]
pub struct ErrorData<'a> {
    pub code: &'a str,
    pub detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

fn render(frame: &impl Serialize) -> String {
    // Plain structs of strings and numbers always serialise.
    serde_json::to_string(frame).unwrap_or_default()
}

pub fn new_message(message: &SocketMessage, nonce: Option<&str>) -> String {
    render(&NewMessage { message, nonce })
}

pub fn message_update(message: &SocketMessage) -> String {
    render(&EventFrame {
        event: "message_update",
        data: message,
    })
}

pub fn message_delete(id: i64) -> String {
    render(&EventFrame {
        event: "message_delete",
        data: Deleted { id },
    })
}

pub fn typing(user_id: i64, channel_id: i64) -> String {
    render(&EventFrame {
        event: "typing",
        data: Typing {
            user_id,
            channel_id,
        },
    })
}

pub fn error(data: ErrorData<'_>) -> String {
    render(&EventFrame {
        event: "error",
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn parsed(frame: &str) -> Value {
        serde_json::from_str(frame).unwrap()
    }

    #[test]
    fn only_new_messages_use_the_message_key() {
        assert_eq!(
            parsed(&message_delete(7)),
            json!({"event": "message_delete", "data": {"id": 7}})
        );
        assert_eq!(
            parsed(&typing(1, 2)),
            json!({"event": "typing", "data": {"user_id": 1, "channel_id": 2}})
        );
        let error = error(ErrorData {
            code: "rate_limited",
            detail: "slow down",
            retry_after_ms: Some(1500),
        });
        assert_eq!(
            parsed(&error),
            json!({"event": "error", "data": {"code": "rate_limited", "detail": "slow down", "retry_after_ms": 1500}})
        );
        for frame in [message_delete(1), typing(1, 2), error] {
            assert!(parsed(&frame).get("message").is_none());
        }
    }
}
