//! Messages: posting (from the chat socket), typing, reading a channel's history, editing
//! and deleting. Every change reaches each socket of the channel, on every node, as a frame
//! rendered once, here, where it happened.

use crate::App;
use crate::attachments::owner_of;
use crate::error::{AppError, AppResult};
use crate::media::MediaOwner;
use crate::pages::KeptPage;
use bytes::Bytes;
use pingme_domain::account::Account;
use pingme_domain::community::{Channel, Server};
use pingme_domain::dms::{DmView, Home};
use pingme_domain::events::{Audience, Event};
use pingme_domain::message_search::{Found, MessageQuery};
use pingme_domain::messages::{
    Emoji, Message, MessageBody, MessageId, MessageWrite, NewMessage, Nonce, Outgoing, Page,
    PageVersion, ReadState, Sent, Unusable,
};
use pingme_domain::store::QueuedMessage;
use pingme_domain::{AccountId, AttachmentId, ChannelId, ServerId, Timestamp};
use tracing::instrument;

/// How chat looks on the wire: the frames of the contract's sockets and its pages of
/// history, rendered by the API, which owns the wire format.
pub trait ChatFrames: Send + Sync {
    /// A page of history, as the JSON array `GET /api/messages/` answers.
    fn history(&self, messages: &[Message]) -> Vec<u8>;
    fn new_message(&self, message: &Message, nonce: Option<&str>) -> String;
    fn message_update(&self, message: &Message) -> String;
    fn message_delete(&self, id: MessageId) -> String;
    fn typing(&self, account: AccountId, channel: ChannelId) -> String;

    /// The gateway's data (`d`) for `message_create` (`created`) and `message_update`.
    fn message_data(&self, message: &Message, nonce: Option<&str>, created: bool) -> String;
    /// For `message_delete`.
    fn message_deleted_data(&self, message: &Message) -> String;
    /// For `reaction_add` and `reaction_remove`: `account` gave or took back `emoji`, which
    /// `count` people have given now.
    fn reaction_data(
        &self,
        message: &Message,
        account: AccountId,
        emoji: &Emoji,
        count: u32,
    ) -> String;
    /// For `typing_start`.
    /// `server` is `None` in a direct message.
    fn typing_data(
        &self,
        account: AccountId,
        channel: ChannelId,
        server: Option<ServerId>,
    ) -> String;
    /// For `read_state_update`.
    fn read_state_data(&self, state: &ReadState) -> String;
    /// For `member_add`.
    fn member_added_data(&self, server: ServerId, account: &Account) -> String;
    /// For `member_remove`.
    fn member_removed_data(&self, server: ServerId, account: AccountId) -> String;
    /// For `channel_create` and `channel_update`: the Channel object.
    fn channel_data(&self, channel: &Channel) -> String;
    /// For `server_update`: the Server object.
    fn server_data(&self, server: &Server) -> String;
    /// For `server_delete` (`server` is `None`) and `channel_delete`.
    fn deleted_data(&self, id: i64, server: Option<ServerId>) -> String;
    /// For `account_update`: the Account object others see.
    fn account_data(&self, account: &Account) -> String;
    /// For `dm_create` and `dm_update`: the direct message as one of its people sees it.
    fn dm_data(&self, dm: &DmView) -> String;
    /// For `channel_delete` to someone who left a direct message.
    fn dm_left_data(&self, channel: ChannelId) -> String;
    /// For `presence_update`.
    fn presence_data(&self, account: AccountId, status: &'static str) -> String;
}

impl App {
    /// Queues a message to be stored if its author still belongs to the channel's server
    /// (checked in the transaction that writes it; `Refused` and `Missing` say why nothing was
    /// stored). It takes its place in the store's queue at once, so a sender (the chat socket)
    /// may queue its next message before this one is written: messages queued one after
    /// another get ids in that order. Once the outcome is in, [`Self::announce`] must be
    /// called with it, in the same order.
    #[instrument(level = "debug", skip_all, fields(account = %author, %channel))]
    pub async fn queue_message(
        &self,
        author: AccountId,
        channel: ChannelId,
        body: MessageBody,
    ) -> AppResult<QueuedMessage> {
        let new = NewMessage {
            channel,
            author,
            body,
        };
        Ok(self.store.queue_message(new).await?)
    }

    /// A queued message's outcome ([`Self::queue_message`]): a stored message goes to its
    /// channel's sockets.
    pub fn announce(&self, written: &MessageWrite<Message>, nonce: Option<&str>) {
        if let MessageWrite::Done(message) = written {
            self.posted(message, nonce);
        }
    }

    /// A new message of a server's channel goes to its channel's sockets and its server's
    /// gateway sessions.
    fn posted(&self, message: &Message, nonce: Option<&str>) {
        let frame = self.frames.new_message(message, nonce);
        self.broadcast(message.channel, frame, None);
        if let Some(server) = message.server {
            let audience = Audience::Server(server);
            self.dispatch_message("message_create", message, nonce, audience);
        }
    }

    /// Posts a message over REST: once stored, it goes to its channel's sockets as one sent
    /// there would. With a nonce, a send the author already made with that nonce in that
    /// channel within [`Nonce::WINDOW`] answers with the message it made (`new: false`, and
    /// nothing goes out again). A reply answers a message of the same channel.
    #[instrument(skip_all, fields(account = %caller.id, %channel))]
    pub async fn send_message(
        &self,
        caller: &Account,
        channel: ChannelId,
        body: MessageBody,
        nonce: Option<Nonce>,
        reply_to: Option<MessageId>,
        attachments: Vec<AttachmentId>,
    ) -> AppResult<Sent> {
        let home = self.channel_home(channel).await?;
        self.postable(home, channel, caller).await?;
        let new = NewMessage {
            channel,
            author: caller.id,
            body,
        };
        let echo = nonce.clone();
        let written = match (nonce, reply_to) {
            // Direct messages are not written by the group commit, whose batches check
            // servers' memberships only.
            (None, None) if attachments.is_empty() && home != Home::Dm => {
                match self.store.create_message(&new).await? {
                    MessageWrite::Done(message) => {
                        MessageWrite::Done(Ok(Sent { message, new: true }))
                    }
                    MessageWrite::Refused => MessageWrite::Refused,
                    MessageWrite::Missing => MessageWrite::Missing,
                }
            }
            (nonce, reply_to) => {
                let since = Timestamp::now().minus(Nonce::WINDOW);
                let out = Outgoing {
                    new,
                    nonce,
                    reply_to,
                    attachments,
                };
                self.store.send_message(&out, since).await?
            }
        };
        let sent = match written {
            MessageWrite::Done(Ok(sent)) => sent,
            MessageWrite::Done(Err(unusable)) => return Err(unusable_reference(unusable)),
            MessageWrite::Refused if home == Home::Dm => return Err(crate::dms::blocked()),
            MessageWrite::Refused => return Err(not_a_member_to_post()),
            MessageWrite::Missing => return Err(AppError::NotFound),
        };
        if sent.new {
            let nonce = echo.as_ref().map(Nonce::as_str);
            let frame = self.frames.new_message(&sent.message, nonce);
            self.broadcast(sent.message.channel, frame, None);
            let audience = self.audience(&sent.message, caller.id).await;
            self.dispatch_message("message_create", &sent.message, nonce, audience);
        }
        Ok(sent)
    }

    /// Tells the channel's other sockets, and the server's gateway sessions but the typist's,
    /// that `account` is typing.
    #[instrument(level = "debug", skip_all, fields(%account, %channel))]
    pub fn typing(&self, account: AccountId, server: ServerId, channel: ChannelId) {
        let frame = self.frames.typing(account, channel);
        self.broadcast(channel, frame, Some(account));
        self.dispatch_typing(account, Some(server), channel, Audience::Server(server));
    }

    /// The caller is typing in a channel it may read (the gateway's `typing`).
    pub async fn typing_in(&self, caller: &Account, channel: ChannelId) -> AppResult<()> {
        match self.channel_home(channel).await? {
            Home::Server(server) => {
                self.readable(Home::Server(server), channel, caller).await?;
                self.typing(caller.id, server, channel);
            }
            Home::Dm => {
                self.readable(Home::Dm, channel, caller).await?;
                let audience = self.dm_audience(channel, caller.id).await;
                self.dispatch_typing(caller.id, None, channel, audience);
            }
        }
        Ok(())
    }

    /// A page of the channel's history, for its server's members, rendered
    /// ([`ChatFrames::history`]). A latest page comes from the [`PageCache`](crate::PageCache)
    /// while the channel's version stands.
    #[instrument(level = "debug", skip_all, fields(account = %caller.id, %channel))]
    pub async fn history(
        &self,
        caller: &Account,
        channel: ChannelId,
        page: Page,
    ) -> AppResult<Bytes> {
        let home = self.channel_home(channel).await?;
        self.readable(home, channel, caller).await?;
        let Page::Latest { limit } = page else {
            return self.read_page(channel, page, Some(caller.id)).await;
        };
        let version = self.version(channel).await?;
        let read = self.read_kept_page(channel, page);
        let kept = self
            .pages
            .answer((channel, limit), async { Ok(version) }, read)
            .await?;
        let Some(messages) = kept.messages.as_ref() else {
            return Ok(kept.body);
        };
        let reacted: Vec<MessageId> = messages
            .iter()
            .filter(|m| !m.reactions.is_empty())
            .map(|m| m.id)
            .collect();
        // Kept as a reader who gave none of its reactions sees it. The reader's own are read
        // after it: if anything changed meanwhile, the page is read afresh for them.
        let mine = self.store.reactions_by(caller.id, &reacted).await?;
        if self.version(channel).await? != version {
            return self.read_page(channel, page, Some(caller.id)).await;
        }
        if mine.is_empty() {
            return Ok(kept.body);
        }
        let mut seen: Vec<Message> = messages.to_vec();
        for message in seen.iter_mut().filter(|m| !m.reactions.is_empty()) {
            for reaction in &mut message.reactions {
                reaction.me = mine
                    .iter()
                    .any(|(id, e)| *id == message.id && *e == reaction.emoji);
            }
        }
        Ok(Bytes::from(self.frames.history(&seen)))
    }

    /// Where the channel's history stands; missing when the channel is.
    async fn version(&self, channel: ChannelId) -> AppResult<PageVersion> {
        self.store
            .page_version(channel)
            .await?
            .ok_or(AppError::NotFound)
    }

    async fn read_page(
        &self,
        channel: ChannelId,
        page: Page,
        reader: Option<AccountId>,
    ) -> AppResult<Bytes> {
        let messages = self.store.messages(channel, page, reader).await?;
        Ok(Bytes::from(self.frames.history(&messages)))
    }

    /// A page as the [`PageCache`](crate::PageCache) keeps it.
    async fn read_kept_page(&self, channel: ChannelId, page: Page) -> AppResult<KeptPage> {
        let messages = self.store.messages(channel, page, None).await?;
        let reacted = messages.iter().any(|m| !m.reactions.is_empty());
        Ok(KeptPage {
            body: Bytes::from(self.frames.history(&messages)),
            messages: reacted.then(|| messages.into()),
        })
    }

    /// One message, for its server's members.
    #[instrument(level = "debug", skip_all, fields(account = %caller.id, message = %id.0))]
    pub async fn message(&self, caller: &Account, id: MessageId) -> AppResult<Message> {
        let message = self
            .store
            .message(id, Some(caller.id))
            .await?
            .ok_or(AppError::NotFound)?;
        self.readable(home_of(&message), message.channel, caller)
            .await?;
        Ok(message)
    }

    /// The message, once the caller is known to be its sender: what an edit starts from.
    #[instrument(level = "debug", skip_all, fields(account = %caller.id, message = %id.0))]
    pub async fn own_message(&self, caller: &Account, id: MessageId) -> AppResult<Message> {
        let message = self.message(caller, id).await?;
        if message.author.as_ref().map(|a| a.id) != Some(caller.id) {
            return Err(not_the_sender());
        }
        Ok(message)
    }

    /// Replaces the text of a message the caller sent ([`Self::own_message`]).
    #[instrument(skip_all, fields(account = %caller.id, message = %message.id.0))]
    pub async fn edit_message(
        &self,
        caller: &Account,
        message: Message,
        body: MessageBody,
    ) -> AppResult<Message> {
        // The checks before give clear answers; the write checks again, in its transaction.
        let edited = match self
            .store
            .update_message(message.id, caller.id, &body)
            .await?
        {
            MessageWrite::Done(edited) => edited,
            MessageWrite::Refused if message.server.is_none() => return Err(crate::dms::blocked()),
            MessageWrite::Refused => return Err(not_the_sender()),
            MessageWrite::Missing => return Err(AppError::NotFound),
        };
        self.broadcast(edited.channel, self.frames.message_update(&edited), None);
        let audience = self.audience(&edited, caller.id).await;
        self.dispatch_message("message_update", &edited, None, audience);
        Ok(edited)
    }

    /// Deletes a message: its sender, or the owner of its server.
    #[instrument(skip_all, fields(account = %caller.id, message = %id.0))]
    pub async fn delete_message(&self, caller: &Account, id: MessageId) -> AppResult<()> {
        let message = self.message(caller, id).await?;
        match self.store.delete_message(message.id, caller.id).await? {
            MessageWrite::Done(channel) => {
                self.broadcast(channel, self.frames.message_delete(message.id), None);
                let audience = self.audience(&message, caller.id).await;
                self.dispatch_message_deleted(&message, audience);
                // The images' files, in their uploader's folder (whoever the author is now).
                if let Some(owner) = message.attachments.first().and_then(|a| owner_of(&a.key)) {
                    self.sweep_later(MediaOwner::Attachments(owner));
                }
                Ok(())
            }
            MessageWrite::Refused => Err(AppError::Forbidden(
                "Only the sender or the server's owner can delete a message.".into(),
            )),
            MessageWrite::Missing => Err(AppError::NotFound),
        }
    }

    async fn postable(&self, home: Home, channel: ChannelId, caller: &Account) -> AppResult<()> {
        match home {
            Home::Server(server) => match self.is_member(server, caller.id).await? {
                true => Ok(()),
                false => Err(not_a_member_to_post()),
            },
            Home::Dm => self.readable(home, channel, caller).await,
        }
    }

    /// Whether the caller may read the channel: a member of its server, or one of the
    /// people of its direct message.
    pub(crate) async fn readable(
        &self,
        home: Home,
        channel: ChannelId,
        caller: &Account,
    ) -> AppResult<()> {
        let reads = match home {
            Home::Server(server) => self.is_member(server, caller.id).await?,
            Home::Dm => self.store.dm(channel, caller.id).await?.is_some(),
        };
        match reads {
            true => Ok(()),
            false if home == Home::Dm => Err(AppError::NotFound),
            false => Err(not_a_reader()),
        }
    }

    /// The messages the caller may read that hold every word of the query, newest first,
    /// and how many there are (the store applies the permission inside the query).
    #[instrument(level = "debug", skip_all, fields(account = %query.viewer))]
    pub async fn search_messages(&self, query: &MessageQuery) -> AppResult<Found> {
        Ok(self.store.search_messages(query).await?)
    }

    /// Sends a rendered frame to every socket of a channel (on every node).
    fn broadcast(&self, channel: ChannelId, frame: String, except: Option<AccountId>) {
        self.publish(Event::ChannelFrame {
            channel,
            frame: frame.into(),
            except,
        });
    }
}

pub(crate) fn not_a_reader() -> AppError {
    AppError::Forbidden("Only members of this channel's server can read its messages.".into())
}

/// Where a message is.
pub(crate) fn home_of(message: &Message) -> Home {
    message.server.map_or(Home::Dm, Home::Server)
}

fn not_a_member_to_post() -> AppError {
    AppError::Forbidden("Only members of this channel's server can post to it.".into())
}

fn unusable_reference(unusable: Unusable) -> AppError {
    let (field, problem) = match unusable {
        Unusable::ReplyTo => ("reply_to", "Not a message of this channel."),
        Unusable::Attachments => ("attachments", "Not an attachment of yours to use."),
    };
    AppError::field(field, problem)
}

fn not_the_sender() -> AppError {
    AppError::Forbidden("Only the sender can edit a message.".into())
}
