//! The storage ports. Each aggregate has a trait, methods ordered create, read, update,
//! delete; the SQLite and Postgres adapters implement them and one conformance suite
//! checks both. Every method that writes is one transaction.

use crate::account::{Account, AccountPage, AccountQuery, Email, NewAccount, ProfileChanges};
use crate::community::{
    Accepted, Ban, Banned, Category, CategoryChanges, CategoryName, Channel, ChannelChanges,
    DirectoryVersion, Invite, Joined, Left, NewCategory, NewChannel, NewInvite, NewServer, Server,
    ServerChanges, ServerQuery, Standing,
};
use crate::dms::{Dm, DmOpening, DmPeople, Home, LeftDm};
use crate::message_search::{Found, MessageQuery};
use crate::messages::{
    Attachment, Emoji, Message, MessageBody, MessageId, MessageWrite, NewAttachment, NewMessage,
    Outgoing, Page, PageVersion, Pinned, Reacted, ReadState, Sent, Unusable,
};
use crate::sessions::{Ending, LoginSession, NewLoginSession, RefreshGrant, Rotation, SessionId};
use crate::{AccountId, AttachmentId, CategoryId, ChannelId, ServerId, Timestamp};
use async_trait::async_trait;

/// A unique rule the database refused a write for. Adapters map their own constraint
/// names onto these in one place, so handlers never inspect driver messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unique {
    /// The login name is taken, in any case (`Alice` is `alice`).
    AccountLogin,
    /// The login name is free but looks like another account's: they share a confusable
    /// skeleton ([`crate::names::skeletons`]). Never reported for an exact duplicate.
    AccountLookalike,
    AccountEmail,
    CategoryName,
    InviteCode,
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unique rule {0:?} refused the write")]
    Conflict(Unique),
    /// The write names a row that does not exist (any more): a category deleted meanwhile.
    #[error("a referenced row does not exist")]
    MissingReference,
    /// The database could not be reached or timed out: worth retrying later (503).
    #[error("database unavailable")]
    Unavailable(#[source] BoxError),
    #[error("storage failure")]
    Other(#[source] BoxError),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait AccountStore: Send + Sync {
    /// The account and its login name's skeletons, in one transaction.
    async fn create_account(&self, new: &NewAccount) -> StoreResult<Account>;

    async fn account(&self, id: AccountId) -> StoreResult<Option<Account>>;
    /// The accounts of these ids that exist, in no particular order (one query).
    async fn accounts(&self, ids: &[AccountId]) -> StoreResult<Vec<Account>>;
    /// The account whose login name matches case-insensitively, with its password hash.
    /// The name is matched in its NFKC form (as names are stored since they are
    /// normalised) and as typed (for older accounts), preferring the latter: see
    /// [`crate::account::login_keys`].
    async fn credentials(&self, login: &str) -> StoreResult<Option<(Account, String)>>;
    async fn account_by_email(&self, email: &Email) -> StoreResult<Option<Account>>;
    /// The accounts a query selects, by id, whatever their state (inactive and unverified
    /// ones too): for staff.
    async fn search_accounts(&self, query: &AccountQuery) -> StoreResult<Vec<Account>>;

    /// Marks the e-mail verified; `false` when there is no such account.
    async fn mark_verified(&self, id: AccountId) -> StoreResult<bool>;
    async fn update_profile(
        &self,
        id: AccountId,
        changes: &ProfileChanges,
    ) -> StoreResult<Option<Account>>;
    /// Replaces the password hash and raises `token_version`, revoking every token issued
    /// before. With `expected_version`, only if the version still is that one (a reset link
    /// is single-use); `false` when nothing was changed.
    async fn set_password(
        &self,
        id: AccountId,
        password_hash: &str,
        expected_version: Option<i64>,
    ) -> StoreResult<bool>;

    /// Lets an account in or shuts it out (an administrator's decision); `false` when there
    /// is no such account.
    async fn set_active(&self, id: AccountId, active: bool) -> StoreResult<bool>;

    /// Deletes the account in one transaction. Each server it owns passes to the member who
    /// joined it first (a server with no other member is deleted), and the channels it made
    /// pass to their server's owner. Answers the servers deleted with it, or `None` when there
    /// was no such account.
    async fn delete_account(&self, id: AccountId) -> StoreResult<Option<Vec<ServerId>>>;
}

/// What deleting a category did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CategoryDeletion {
    Deleted,
    NotFound,
    /// Servers still use it; it is kept.
    InUse(i64),
}

#[async_trait]
pub trait CategoryStore: Send + Sync {
    async fn create_category(&self, new: &NewCategory) -> StoreResult<Category>;
    /// Creates these categories if this installation never had its defaults; `false` when
    /// it already had them (even if they were deleted since).
    async fn seed_categories(&self, names: &[CategoryName]) -> StoreResult<bool>;

    /// Every category, by name.
    async fn categories(&self) -> StoreResult<Vec<Category>>;
    async fn category(&self, id: CategoryId) -> StoreResult<Option<Category>>;
    async fn category_by_name(&self, name: &str) -> StoreResult<Option<Category>>;

    async fn update_category(
        &self,
        id: CategoryId,
        changes: &CategoryChanges,
    ) -> StoreResult<Option<Category>>;

    async fn delete_category(&self, id: CategoryId) -> StoreResult<CategoryDeletion>;
}

#[async_trait]
pub trait ServerStore: Send + Sync {
    /// The server, its owner's membership and its first channel, in one transaction.
    async fn create_server(&self, new: &NewServer) -> StoreResult<Server>;

    /// The servers a query selects, by id, with their channels and members, in a constant
    /// number of queries however many there are.
    async fn servers(&self, query: &ServerQuery) -> StoreResult<Vec<Server>>;
    /// Where the directory stands, by one key lookup.
    async fn directory_version(&self) -> StoreResult<DirectoryVersion>;
    async fn server(&self, id: ServerId) -> StoreResult<Option<Server>>;
    async fn standing(&self, server: ServerId, account: AccountId) -> StoreResult<Standing>;
    async fn bans(&self, server: ServerId) -> StoreResult<Vec<Ban>>;
    /// A page of the server's members by id, leaving out accounts shut out by an
    /// administrator (an unknown server has none).
    async fn members(&self, server: ServerId, page: AccountPage) -> StoreResult<Vec<Account>>;
    /// Whether the two accounts are members of a server in common.
    async fn share_a_server(&self, one: AccountId, other: AccountId) -> StoreResult<bool>;
    /// The ids of the servers the account is a member of.
    async fn memberships(&self, account: AccountId) -> StoreResult<Vec<ServerId>>;
    /// The servers the account is a member of that have at most `up_to` members, by id
    /// (each counted no further than `up_to` + 1).
    async fn small_servers_of(&self, account: AccountId, up_to: u32) -> StoreResult<Vec<ServerId>>;

    async fn update_server(
        &self,
        id: ServerId,
        changes: &ServerChanges,
    ) -> StoreResult<Option<Server>>;
    /// Adds a member to a public server unless banned; joining twice is harmless. Checked
    /// in the same transaction as the insert, so a server made private or a ban committed
    /// meanwhile is respected.
    async fn join(&self, server: ServerId, account: AccountId) -> StoreResult<Joined>;
    /// Removes a member, never the owner (checked in the same statement).
    async fn leave(&self, server: ServerId, account: AccountId) -> StoreResult<Left>;
    /// Hands the server to another member; `false` (nothing changed) when `to` is not one.
    async fn transfer_ownership(&self, server: ServerId, to: AccountId) -> StoreResult<bool>;
    /// Removes the member (if it is one) and bars it from coming back, in one transaction.
    /// Never the owner.
    async fn ban(&self, server: ServerId, account: AccountId) -> StoreResult<Banned>;
    async fn unban(&self, server: ServerId, account: AccountId) -> StoreResult<bool>;

    /// The server with its channels, memberships, bans and invites, in one transaction.
    async fn delete_server(&self, id: ServerId) -> StoreResult<bool>;
}

#[async_trait]
pub trait ChannelStore: Send + Sync {
    async fn create_channel(&self, new: &NewChannel) -> StoreResult<Channel>;

    /// Channels by id: of one server, or of every server the viewer may see.
    async fn channels(
        &self,
        viewer: Option<AccountId>,
        server: Option<ServerId>,
    ) -> StoreResult<Vec<Channel>>;
    async fn channel(&self, id: ChannelId) -> StoreResult<Option<Channel>>;

    async fn update_channel(
        &self,
        id: ChannelId,
        changes: &ChannelChanges,
    ) -> StoreResult<Option<Channel>>;

    async fn delete_channel(&self, id: ChannelId) -> StoreResult<bool>;
}

#[async_trait]
pub trait InviteStore: Send + Sync {
    async fn create_invite(&self, new: &NewInvite) -> StoreResult<Invite>;

    async fn invite(&self, code: &str) -> StoreResult<Option<Invite>>;
    async fn invites(&self, server: ServerId) -> StoreResult<Vec<Invite>>;

    /// Joins through the invite if it is usable and the account not banned, counting the
    /// use, in one transaction: two accounts racing for an invite's last use cannot both win.
    async fn accept_invite(&self, code: &str, account: AccountId) -> StoreResult<Accepted>;

    async fn revoke_invite(&self, code: &str) -> StoreResult<bool>;
}

/// A new message in the store's queue of messages to write: its place, and so the order of
/// its id among the messages queued after it, is taken; awaiting it gives its outcome.
pub type QueuedMessage =
    std::pin::Pin<Box<dyn std::future::Future<Output = StoreResult<MessageWrite<Message>>> + Send>>;

#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Queues a message to be stored if its author is a member of the channel's server —
    /// checked in the transaction that writes it, so a member removed meanwhile cannot slip
    /// one in. Returns once the message has its place in the queue (waiting for room when
    /// the queue is full): messages one caller queues one after another get ids in that
    /// order, so a sender can queue its next message before the previous one is written.
    async fn queue_message(&self, new: NewMessage) -> StoreResult<QueuedMessage>;

    /// Stores a message ([`Self::queue_message`], then its outcome): the message as stored,
    /// with its author.
    async fn create_message(&self, new: &NewMessage) -> StoreResult<MessageWrite<Message>> {
        self.queue_message(new.clone()).await?.await
    }

    /// Stores a message sent over REST, as [`Self::create_message`] does, in one
    /// transaction with its checks: with a nonce, unless its author sent one with the same
    /// nonce to the same channel at `since` or later (then that one, `new: false`; two such
    /// sends racing make one message); a reply only to a message of the same channel
    /// (otherwise nothing is written: `Err(Unusable)`).
    async fn send_message(
        &self,
        out: &Outgoing,
        since: Timestamp,
    ) -> StoreResult<MessageWrite<Result<Sent, Unusable>>>;

    /// A page of a channel's history, oldest first, read through the `(channel, id)` index;
    /// reactions' `me` for `reader` (none: all false).
    async fn messages(
        &self,
        channel: ChannelId,
        page: Page,
        reader: Option<AccountId>,
    ) -> StoreResult<Vec<Message>>;

    /// The pinned messages of a channel, the latest pinned first, as `reader` sees them.
    async fn pins(&self, channel: ChannelId, reader: AccountId) -> StoreResult<Vec<Message>>;

    /// Where the channel's history stands, by one key lookup; `None` if there is no such
    /// channel.
    async fn page_version(&self, channel: ChannelId) -> StoreResult<Option<PageVersion>>;
    async fn message(
        &self,
        id: MessageId,
        reader: Option<AccountId>,
    ) -> StoreResult<Option<Message>>;

    /// Adds `account`'s reaction with `emoji` to a message it may read (a member of the
    /// server), unless the message has [`MAX_REACTIONS`](crate::messages::MAX_REACTIONS) other emoji.
    async fn add_reaction(
        &self,
        id: MessageId,
        account: AccountId,
        emoji: &Emoji,
    ) -> StoreResult<MessageWrite<Reacted>>;

    /// The reactions `account` gave to the messages.
    async fn reactions_by(
        &self,
        account: AccountId,
        messages: &[MessageId],
    ) -> StoreResult<Vec<(MessageId, Emoji)>>;

    /// Takes `account`'s reaction with `emoji` off a message it may read.
    async fn remove_reaction(
        &self,
        id: MessageId,
        account: AccountId,
        emoji: &Emoji,
    ) -> StoreResult<MessageWrite<Reacted>>;

    /// Pins or unpins a message if `by` owns its server; at most [`MAX_PINS`](crate::messages::MAX_PINS) per channel.
    async fn set_pinned(
        &self,
        id: MessageId,
        by: AccountId,
        pinned: bool,
    ) -> StoreResult<MessageWrite<Pinned>>;

    /// Replaces a message's text if `editor` sent it and is still a member of its server.
    async fn update_message(
        &self,
        id: MessageId,
        editor: AccountId,
        body: &MessageBody,
    ) -> StoreResult<MessageWrite<Message>>;

    /// Deletes a message if `by` sent it and is still a member of its server, or owns the
    /// server. The channel it was in.
    async fn delete_message(
        &self,
        id: MessageId,
        by: AccountId,
    ) -> StoreResult<MessageWrite<ChannelId>>;

    /// The messages `query.viewer` may read that hold every word of the query, newest first,
    /// with the filters; the permission is part of the query, never applied after it.
    async fn search_messages(&self, query: &MessageQuery) -> StoreResult<Found>;
}

#[async_trait]
pub trait ReadStateStore: Send + Sync {
    /// Raises `account`'s read position in `channel` to `message` if it is a member of the
    /// channel's server: never past the channel's newest message, never back. The state
    /// after.
    async fn ack(
        &self,
        account: AccountId,
        channel: ChannelId,
        message: MessageId,
    ) -> StoreResult<MessageWrite<ReadState>>;

    /// `account`'s read state in every channel of every server it belongs to, by channel id,
    /// in one statement whatever their number.
    async fn read_states(&self, account: AccountId) -> StoreResult<Vec<ReadState>>;
}

/// Image attachments, from upload to the message that shows them (or the sweep).
#[async_trait]
pub trait AttachmentStore: Send + Sync {
    /// Records an uploaded image as its owner's, unless the owner already has `max_unused`
    /// not used yet and made at `since` or later (`None`); older unused ones are forgotten.
    async fn create_attachment(
        &self,
        new: &NewAttachment,
        max_unused: usize,
        since: Timestamp,
    ) -> StoreResult<Option<Attachment>>;
    /// Deletes one of `owner`'s attachments that no message uses; whether there was one.
    async fn delete_attachment(&self, id: AttachmentId, owner: AccountId) -> StoreResult<bool>;
    /// Forgets the attachments never used and made before `before`, whoever uploaded them;
    /// the files they named.
    async fn expire_attachments(&self, before: Timestamp) -> StoreResult<Vec<String>>;
    /// The files the attachments of `owner`'s folder name: used or waiting, whoever owns
    /// the row now (an account deleted leaves its messages' images).
    async fn attachment_keys(&self, folder: &str) -> StoreResult<Vec<String>>;
}

/// Login sessions. A session is live while its row exists, its refresh token has not expired
/// and its account's token version is the one it was started under (a password change
/// ends every session at once).
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Starts a session. The account's dead sessions go, and past [`crate::sessions::MAX_SESSIONS`]
    /// live ones its least recently used: the ids of the live ones ended.
    async fn create_session(&self, new: &NewLoginSession) -> StoreResult<Vec<SessionId>>;
    /// Presents refresh token `jti` of session `id` of `account`: the session moves on to
    /// `next` if it was the current one, and ends if it was not.
    async fn rotate_session(
        &self,
        id: &SessionId,
        account: AccountId,
        jti: &str,
        next: &RefreshGrant,
        at: Timestamp,
        ip: &str,
    ) -> StoreResult<Rotation>;
    /// Whether session `id` of `account` is live.
    async fn session_live(&self, id: &SessionId, account: AccountId) -> StoreResult<bool>;
    /// Which of the sessions `ids` are live.
    async fn live_sessions(&self, ids: &[SessionId]) -> StoreResult<Vec<SessionId>>;
    /// The account's live sessions, the most recently used first.
    async fn sessions(&self, account: AccountId) -> StoreResult<Vec<LoginSession>>;
    /// Records a use of the session (its time and address).
    async fn touch_session(&self, id: &SessionId, at: Timestamp, ip: &str) -> StoreResult<()>;
    /// Ends sessions of the account: the ids of the live ones ended.
    async fn end_sessions(
        &self,
        account: AccountId,
        which: Ending<'_>,
    ) -> StoreResult<Vec<SessionId>>;
}

/// Direct messages and blocks.
#[async_trait]
pub trait DmStore: Send + Sync {
    /// The direct message of these people, opened now if there is none: if every recipient
    /// is an active account sharing a server or a direct message with the opener, and no
    /// block stands between the opener and any of them. Anyone who had left it is back.
    async fn open_dm(&self, people: &DmPeople) -> StoreResult<DmOpening>;
    /// Where a channel belongs, if it exists.
    async fn channel_home(&self, channel: ChannelId) -> StoreResult<Option<Home>>;
    /// The direct message, if `account` is one of its people.
    async fn dm(&self, channel: ChannelId, account: AccountId) -> StoreResult<Option<Dm>>;
    /// The direct messages `account` is in, by id.
    async fn dms(&self, account: AccountId) -> StoreResult<Vec<Dm>>;
    /// Takes `account` out of a group direct message.
    async fn leave_dm(&self, channel: ChannelId, account: AccountId) -> StoreResult<LeftDm>;
    /// The people of the direct message who get `actor`'s events in it: all but those who
    /// blocked `actor`. Empty if there is no such direct message.
    async fn dm_audience(
        &self,
        channel: ChannelId,
        actor: AccountId,
    ) -> StoreResult<Vec<AccountId>>;

    /// `blocker` blocks `blocked`; false if `blocked` is no account. Blocking twice is one
    /// block.
    async fn block(&self, blocker: AccountId, blocked: AccountId) -> StoreResult<bool>;
    /// Whether there was a block to lift.
    async fn unblock(&self, blocker: AccountId, blocked: AccountId) -> StoreResult<bool>;
    /// The accounts `blocker` blocks, by id.
    async fn blocked(&self, blocker: AccountId) -> StoreResult<Vec<Account>>;
}

/// The whole storage of one installation.
#[async_trait]
pub trait Store:
    AccountStore
    + CategoryStore
    + ServerStore
    + ChannelStore
    + InviteStore
    + MessageStore
    + ReadStateStore
    + SessionStore
    + AttachmentStore
    + DmStore
{
    /// Answers when the database is reachable (readiness).
    async fn ping(&self) -> StoreResult<()>;
    /// Short name of the backend, for logs and `/readyz`.
    fn backend(&self) -> &'static str;
}
