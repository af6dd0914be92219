//! Kicking, banning and unbanning, by a server's owner. Removing someone publishes
//! `MemberRemoved`, which closes their open sockets in the server on every node.

use crate::App;
use crate::access::OwnedServer;
use crate::error::{AppError, AppResult};
use pingme_domain::AccountId;
use pingme_domain::community::{Ban, Banned, Left};
use tracing::instrument;

const OWNER_TARGETED: &str = "The owner cannot be removed from their own server.";

impl App {
    /// Removes a member; they may join again.
    #[instrument(skip_all, fields(account = %owned.0.owner, server = %owned.0.id, target = %account))]
    pub async fn kick(&self, owned: &OwnedServer, account: AccountId) -> AppResult<()> {
        self.target(owned, account).await?;
        match self.store.leave(owned.0.id, account).await? {
            Left::Left => {
                self.member_removed(owned, account);
                Ok(())
            }
            Left::NotMember => Err(AppError::field(
                "account",
                "That account is not a member of this server.",
            )),
            Left::Owner => Err(AppError::BadRequest(OWNER_TARGETED.into())),
        }
    }

    /// Removes a member, or keeps out someone who is not one yet, until unbanned.
    #[instrument(skip_all, fields(account = %owned.0.owner, server = %owned.0.id, target = %account))]
    pub async fn ban(&self, owned: &OwnedServer, account: AccountId) -> AppResult<()> {
        self.target(owned, account).await?;
        match self.store.ban(owned.0.id, account).await? {
            Banned::Banned { was_member } => {
                if was_member {
                    self.member_removed(owned, account);
                }
                Ok(())
            }
            Banned::Owner => Err(AppError::BadRequest(OWNER_TARGETED.into())),
        }
    }

    /// Lifts a ban; unbanning someone not banned is harmless.
    #[instrument(skip_all, fields(account = %owned.0.owner, server = %owned.0.id, target = %account))]
    pub async fn unban(&self, owned: &OwnedServer, account: AccountId) -> AppResult<()> {
        self.store.unban(owned.0.id, account).await?;
        Ok(())
    }

    /// Who is banned, oldest ban first.
    #[instrument(skip_all, fields(account = %owned.0.owner, server = %owned.0.id))]
    pub async fn bans(&self, owned: &OwnedServer) -> AppResult<Vec<Ban>> {
        Ok(self.store.bans(owned.0.id).await?)
    }

    /// Refuses a target that is the owner or no account at all.
    async fn target(&self, owned: &OwnedServer, account: AccountId) -> AppResult<()> {
        if account == owned.0.owner {
            return Err(AppError::BadRequest(OWNER_TARGETED.into()));
        }
        if self.store.account(account).await?.is_none() {
            return Err(AppError::field(
                "account",
                format!("Invalid pk \"{}\" - object does not exist.", account.0),
            ));
        }
        Ok(())
    }

    fn member_removed(&self, owned: &OwnedServer, account: AccountId) {
        self.member_left(owned.0.id, account);
    }
}
