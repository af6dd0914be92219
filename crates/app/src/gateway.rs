//! What the use cases tell the gateway's sessions: each dispatch is rendered once here
//! ([`ChatFrames`](crate::ChatFrames)' `*_data`) and published for every node, after the write
//! it tells of is committed.

use crate::App;
use pingme_domain::account::Account;
use pingme_domain::community::{Channel, Server};
use pingme_domain::events::{Audience, Dispatch, Event, Reach};
use pingme_domain::messages::{Emoji, Message, ReadState};
use pingme_domain::presence::{self, Change};
use pingme_domain::{AccountId, ChannelId, ServerId};
use std::sync::Arc;

impl App {
    fn dispatch(&self, dispatch: Dispatch) {
        self.publish(Event::Dispatch(Arc::new(dispatch)));
    }

    /// Who sees `actor`'s event about the message: its server's members, or the people of
    /// its direct message who have not blocked `actor`.
    pub(crate) async fn audience(&self, message: &Message, actor: AccountId) -> Audience {
        match message.server {
            Some(server) => Audience::Server(server),
            None => self.dm_audience(message.channel, actor).await,
        }
    }

    /// The people of the direct message who get `actor`'s events in it. Read after the
    /// write is committed: if the database cannot say, the event goes to nobody (the write
    /// stands, and clients find it in the history).
    pub(crate) async fn dm_audience(&self, channel: ChannelId, actor: AccountId) -> Audience {
        match self.store.dm_audience(channel, actor).await {
            Ok(accounts) => Audience::Accounts(accounts.into()),
            Err(error) => {
                tracing::warn!(%channel, error = %error, "a direct message's event reached nobody");
                Audience::Accounts(Arc::new([]))
            }
        }
    }

    pub(crate) fn dispatch_message(
        &self,
        event: &str,
        message: &Message,
        nonce: Option<&str>,
        audience: Audience,
    ) {
        let data = self
            .frames
            .message_data(message, nonce, event == "message_create");
        self.dispatch(Dispatch::to(audience, event, data));
    }

    /// `reaction_add` or `reaction_remove`, to the sessions that see the message.
    pub(crate) fn dispatch_reaction(
        &self,
        event: &str,
        message: &Message,
        by: &Account,
        (emoji, count): (&Emoji, u32),
        audience: Audience,
    ) {
        let data = self.frames.reaction_data(message, by.id, emoji, count);
        self.dispatch(Dispatch::to(audience, event, data));
    }

    pub(crate) fn dispatch_message_deleted(&self, message: &Message, audience: Audience) {
        let data = self.frames.message_deleted_data(message);
        self.dispatch(Dispatch::to(audience, "message_delete", data));
    }

    pub(crate) fn dispatch_typing(
        &self,
        account: AccountId,
        server: Option<ServerId>,
        channel: ChannelId,
        audience: Audience,
    ) {
        let data = self.frames.typing_data(account, channel, server);
        self.dispatch(Dispatch {
            except_account: Some(account),
            ..Dispatch::to(audience, "typing_start", data)
        });
    }

    /// To the account's sessions but `session` (the one that acknowledged, if one did).
    pub(crate) fn dispatch_read_state(
        &self,
        account: AccountId,
        state: &ReadState,
        session: Option<Arc<str>>,
    ) {
        let data = self.frames.read_state_data(state);
        self.dispatch(Dispatch {
            except_session: session,
            ..Dispatch::to(Audience::Account(account), "read_state_update", data)
        });
    }

    /// The account joined the server: its sessions see the server from this dispatch on,
    /// then the statuses of its members (and they the joiner's) where presence is shared.
    pub(crate) async fn member_joined(&self, server: ServerId, account: &Account) {
        let data = self.frames.member_added_data(server, account);
        self.dispatch(Dispatch {
            reach: Some(Reach::Join(account.id, server)),
            ..Dispatch::to(Audience::Server(server), "member_add", data)
        });
        self.exchange_presences(server, account.id).await;
    }

    /// A joiner and the server's members learn each other's statuses (the joiner's `ready`
    /// and theirs did not have them). The join is made: a failure here fails nothing.
    async fn exchange_presences(&self, server: ServerId, joiner: AccountId) {
        let Some(presence) = self.presence.get() else {
            return;
        };
        let members = match self.store.server(server).await {
            Ok(Some(server)) => server.members,
            Ok(None) => return,
            Err(error) => {
                tracing::warn!(%error, %server, "the members' statuses could not be read for a joiner");
                return;
            }
        };
        if !presence::shared_in(members.len()) {
            return;
        }
        for (person, status) in presence.statuses(&members).await {
            let shown = presence::shown(Some(status));
            if shown == "offline" {
                continue;
            }
            let data = self.frames.presence_data(person, shown);
            let audience = if person == joiner {
                Audience::Server(server)
            } else {
                Audience::Account(joiner)
            };
            self.dispatch(Dispatch {
                except_account: Some(joiner).filter(|_| person == joiner),
                ..Dispatch::to(audience, "presence_update", data)
            });
        }
    }

    /// The account left, or was kicked or banned: its chat sockets in the server close, and
    /// its gateway sessions get this dispatch about themselves, then nothing more of it.
    pub(crate) fn member_left(&self, server: ServerId, account: AccountId) {
        self.publish(Event::MemberRemoved { server, account });
        let data = self.frames.member_removed_data(server, account);
        self.dispatch(Dispatch {
            reach: Some(Reach::Leave(account, server)),
            ..Dispatch::to(Audience::Server(server), "member_remove", data)
        });
    }

    /// The account's profile changed: its sessions and everyone sharing a server with it
    /// see the new Account object.
    pub(crate) fn dispatch_account_updated(&self, account: &Account, servers: Vec<ServerId>) {
        let data = self.frames.account_data(account);
        let audience = Audience::People(account.id, servers.into());
        self.dispatch(Dispatch::to(audience, "account_update", data));
    }

    /// A person's status changed: their own sessions see it as it is and, when others see a
    /// difference, so does everyone sharing with them a server where presence is shared
    /// ([`presence::shared_in`]). The session that made the change, if one did, knows.
    pub async fn presence_changed(&self, change: Change, by: Option<Arc<str>>) {
        let account = change.account;
        let own = self
            .frames
            .presence_data(account, presence::own(change.after));
        self.dispatch(Dispatch {
            except_session: by,
            ..Dispatch::to(Audience::Account(account), "presence_update", own)
        });
        if !change.shown_to_others() {
            return;
        }
        let up_to = presence::SHARED_IN_SERVERS_UP_TO;
        let shared = match self.store.small_servers_of(account, up_to).await {
            Ok(servers) => servers,
            Err(error) => {
                tracing::warn!(%error, %account, "whom to tell of a presence could not be read");
                return;
            }
        };
        if shared.is_empty() {
            return;
        }
        let data = self
            .frames
            .presence_data(account, presence::shown(change.after));
        self.dispatch(Dispatch {
            except_account: Some(account),
            ..Dispatch::to(
                Audience::People(account, shared.into()),
                "presence_update",
                data,
            )
        });
    }

    /// `channel_create` and `channel_update`.
    pub(crate) fn dispatch_channel(&self, event: &str, channel: &Channel) {
        let data = self.frames.channel_data(channel);
        self.dispatch(Dispatch::to(Audience::Server(channel.server), event, data));
    }

    pub(crate) fn dispatch_server_updated(&self, server: &Server) {
        let data = self.frames.server_data(server);
        self.dispatch(Dispatch::to(
            Audience::Server(server.id),
            "server_update",
            data,
        ));
    }

    pub(crate) fn dispatch_channel_deleted(&self, server: ServerId, channel: ChannelId) {
        let data = self.frames.deleted_data(channel.0, Some(server));
        self.dispatch(Dispatch::to(
            Audience::Server(server),
            "channel_delete",
            data,
        ));
    }

    /// The server's members' sessions get this dispatch, then nothing more of it.
    pub(crate) fn dispatch_server_deleted(&self, server: ServerId) {
        let data = self.frames.deleted_data(server.0, None);
        self.dispatch(Dispatch {
            reach: Some(Reach::Gone(server)),
            ..Dispatch::to(Audience::Server(server), "server_delete", data)
        });
    }
}
