//! What happens in one place and must reach every node's open sockets. The use cases
//! (`pingme-app`) publish events after the change is committed; the real-time hub (and,
//! between nodes, the bus) carries them to the sockets concerned.

use crate::{AccountId, ChannelId, ServerId};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Serialised (as JSON, tagged by `kind`) when it travels between nodes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A frame for every socket of a channel, except the `except` account's, already
    /// encoded: it is rendered once, where it happened, however many receive it.
    ChannelFrame {
        channel: ChannelId,
        frame: Arc<str>,
        except: Option<AccountId>,
    },
    /// The account left the server, or was kicked or banned from it: its sockets in that
    /// server's channels close at once.
    MemberRemoved {
        server: ServerId,
        account: AccountId,
    },
    /// Every socket of that channel closes.
    ChannelDeleted {
        server: ServerId,
        channel: ChannelId,
    },
    /// Every socket of that server closes.
    ServerDeleted { server: ServerId },
    /// Every socket of that account closes.
    AccountDeleted { account: AccountId },
    /// The account's tokens were revoked (its password was reset, or it was shut out): its
    /// sockets, opened with those tokens, close.
    AccountSignedOut { account: AccountId },
    /// Login sessions of the account were ended (logged out, or a refresh token was used
    /// twice): the sockets opened with their tokens close.
    SessionsEnded {
        account: AccountId,
        sessions: Vec<String>,
    },
    /// Something of the account changed that tokens are checked against or that it reads
    /// back (its profile, its verification, its reactivation): every node's read cache
    /// forgets it. Nothing closes.
    AccountChanged { account: AccountId },
    /// A dispatch for the gateway sessions of its audience, on every node.
    Dispatch(Arc<Dispatch>),
}

/// Who may see a gateway dispatch.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Audience {
    /// Every session of every member of the server.
    Server(ServerId),
    /// Every session of one account.
    Account(AccountId),
    /// Every session of the account and of everyone sharing one of these servers with it
    /// (its servers), each once.
    People(AccountId, Arc<[ServerId]>),
    /// Every session of each of these accounts (the people of a direct message).
    Accounts(Arc<[AccountId]>),
}

/// A change of what gateway sessions see, carried by the dispatch that tells of it: the
/// first of that server's dispatches the account gets (`Join`), or the last (`Leave`, and
/// `Gone` for everyone when the server is deleted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    Join(AccountId, ServerId),
    Leave(AccountId, ServerId),
    Gone(ServerId),
}

/// One event for gateway sessions, rendered once where it happened: its name (`t`) and its
/// data (`d`) as JSON; each session adds its own number (`s`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispatch {
    pub event: String,
    pub data: Arc<str>,
    pub audience: Audience,
    /// Not to this account's sessions (`typing_start` is not sent to the typist).
    pub except_account: Option<AccountId>,
    /// Not to this session (a `read_state_update` goes to the person's other sessions).
    pub except_session: Option<Arc<str>>,
    pub reach: Option<Reach>,
}

impl Dispatch {
    /// A dispatch for everyone in the audience, changing nobody's reach.
    pub fn to(audience: Audience, event: &str, data: String) -> Self {
        Self {
            event: event.to_owned(),
            data: data.into(),
            audience,
            except_account: None,
            except_session: None,
            reach: None,
        }
    }
}

/// What events are carried out on, on every node (this node's sockets, its read cache).
pub trait EventSink: Send + Sync {
    fn apply(&self, event: &Event);
}

/// Where events are published. Publishing never waits and never fails the request: the
/// database already holds the change.
pub trait EventBus: Send + Sync {
    fn publish(&self, event: Event);

    /// Which bus this is and whether it reaches the other nodes, for `/readyz`.
    fn status(&self) -> BusStatus {
        BusStatus {
            backend: "local",
            connected: true,
            epoch: 0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BusStatus {
    pub backend: &'static str,
    /// False while events cannot reach the other nodes (this node's own sockets still get
    /// them).
    pub connected: bool,
    /// Raised each time the bus connects again: events of the time between may have been
    /// missed, so what was derived from their absence is forgotten.
    pub epoch: u64,
}
