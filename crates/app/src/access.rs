//! Who is acting, and what they may touch. A use case that changes something takes a proof
//! of permission ([`OwnedServer`], [`ManagedChannel`], [`CategoryAdmin`], [`StaffMember`])
//! that only the
//! checks here hand out: a caller cannot reach the write without the check. Adapters ask for
//! it before they read the request's fields where the contract answers 403 before 400 (a
//! stranger learns nothing from them).

use crate::App;
use crate::error::{AppError, AppResult};
use pingme_domain::account::Account;
use pingme_domain::community::{Channel, Server, Standing};
use pingme_domain::dms::Home;
use pingme_domain::permissions::{
    Decision, Relation, manage_accounts, manage_categories, manage_channel, manage_server,
};
use pingme_domain::{AccountId, ChannelId, ServerId};
use std::fmt;
use tracing::instrument;

/// Who a use case acts for: a signed-in account, or the operator at the command line (who
/// may do what staff may).
#[derive(Clone, Copy, Debug)]
pub enum Actor<'a> {
    Account(&'a Account),
    Operator,
}

impl Actor<'_> {
    pub fn account_id(&self) -> Option<AccountId> {
        match self {
            Self::Account(account) => Some(account.id),
            Self::Operator => None,
        }
    }

    /// Whether the actor may do what staff may (the operator always may).
    pub fn is_staff(&self) -> bool {
        match self {
            Self::Account(account) => account.is_staff,
            Self::Operator => true,
        }
    }
}

/// A server and how the caller stands to it.
pub struct Access {
    pub server: Server,
    pub relation: Relation,
}

/// A server its owner is acting on.
pub struct OwnedServer(pub(crate) Server);

/// A channel its maker or its server's owner (`by`) is acting on.
pub struct ManagedChannel {
    pub(crate) channel: Channel,
    pub(crate) by: AccountId,
}

/// Staff, or the operator (`by` is `None`), managing categories.
pub struct CategoryAdmin {
    by: Option<AccountId>,
}

/// Staff, or the operator (`by` is `None`), managing accounts.
pub struct StaffMember {
    pub(crate) by: Option<AccountId>,
}

/// For spans: `account:42` or `operator`.
fn display_actor(by: Option<AccountId>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match by {
        Some(account) => write!(f, "account:{account}"),
        None => f.write_str("operator"),
    }
}

impl fmt::Display for CategoryAdmin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display_actor(self.by, f)
    }
}

impl fmt::Display for StaffMember {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        display_actor(self.by, f)
    }
}

impl OwnedServer {
    pub fn server(&self) -> &Server {
        &self.0
    }
}

impl ManagedChannel {
    pub fn channel(&self) -> &Channel {
        &self.channel
    }
}

/// A permission decision as a use case's answer.
pub fn allowed(decision: Decision) -> AppResult<()> {
    decision.map_err(AppError::from)
}

impl App {
    /// The account a token names, as it is now (give or take the read cache's bounds): what
    /// every authenticated request and socket starts from.
    #[instrument(level = "debug", skip_all, fields(account = %id))]
    pub async fn token_account(&self, id: AccountId) -> AppResult<Option<Account>> {
        let ticket = self.cache.check(self.events.status());
        if let Some(account) = self.cache.account(ticket, id) {
            return Ok(Some(account));
        }
        let account = self.store.account(id).await?;
        if let Some(account) = &account {
            self.cache.keep_account(ticket, account);
        }
        Ok(account)
    }

    /// Where a channel belongs (its server, or none: a direct message); not found when there
    /// is no such channel. A server channel's is kept in the read cache.
    pub(crate) async fn channel_home(&self, id: ChannelId) -> AppResult<Home> {
        let ticket = self.cache.check(self.events.status());
        if let Some(server) = self.cache.channel_server(ticket, id) {
            return Ok(Home::Server(server));
        }
        let home = self
            .store
            .channel_home(id)
            .await?
            .ok_or(AppError::NotFound)?;
        if let Home::Server(server) = home {
            self.cache.keep_channel_server(ticket, id, server);
        }
        Ok(home)
    }

    /// Whether the account belongs to the server; reading and writing a channel's messages
    /// takes that, public server or not.
    #[instrument(level = "debug", skip_all, fields(%account, %server))]
    pub async fn is_member(&self, server: ServerId, account: AccountId) -> AppResult<bool> {
        let ticket = self.cache.check(self.events.status());
        if self.cache.is_member(ticket, server, account) {
            return Ok(true);
        }
        let member = self.store.standing(server, account).await? == Standing::Member;
        if member {
            self.cache.keep_member(ticket, server, account);
        }
        Ok(member)
    }

    /// Loads a server (not found when there is none) and the caller's relation to it.
    #[instrument(level = "debug", skip_all, fields(account = caller.map(|c| c.id.0), server = %id))]
    pub async fn access(&self, id: ServerId, caller: Option<&Account>) -> AppResult<Access> {
        let server = self.store.server(id).await?.ok_or(AppError::NotFound)?;
        let standing = match caller.map(|a| a.id) {
            Some(account) if server.has_member(account) => Standing::Member,
            // Only outsiders may be banned: a member never is.
            Some(account) if account != server.owner => {
                self.store.standing(server.id, account).await?
            }
            _ => Standing::Outsider,
        };
        let relation = Relation::of(caller.map(|a| a.id), &server, standing);
        Ok(Access { server, relation })
    }

    /// The server, once the caller is known to own it.
    #[instrument(level = "debug", skip_all, fields(account = %caller.id, server = %id))]
    pub async fn owned_server(&self, caller: &Account, id: ServerId) -> AppResult<OwnedServer> {
        let access = self.access(id, Some(caller)).await?;
        allowed(manage_server(access.relation))?;
        Ok(OwnedServer(access.server))
    }

    /// The channel, once the caller is known to be its maker or its server's owner.
    #[instrument(level = "debug", skip_all, fields(account = %caller.id, channel = %id))]
    pub async fn managed_channel(
        &self,
        caller: &Account,
        id: ChannelId,
    ) -> AppResult<ManagedChannel> {
        let channel = self.store.channel(id).await?.ok_or(AppError::NotFound)?;
        let access = self.access(channel.server, Some(caller)).await?;
        allowed(manage_channel(access.relation, channel.owner == caller.id))?;
        Ok(ManagedChannel {
            channel,
            by: caller.id,
        })
    }

    /// Leave to manage categories: staff and the operator.
    pub fn category_admin(&self, actor: Actor<'_>) -> AppResult<CategoryAdmin> {
        allowed(manage_categories(Some(actor.is_staff())))?;
        Ok(CategoryAdmin {
            by: actor.account_id(),
        })
    }

    /// Leave to manage accounts: staff and the operator.
    pub fn staff_member(&self, actor: Actor<'_>) -> AppResult<StaffMember> {
        allowed(manage_accounts(Some(actor.is_staff())))?;
        Ok(StaffMember {
            by: actor.account_id(),
        })
    }
}
