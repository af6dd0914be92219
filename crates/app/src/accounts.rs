//! Accounts: creating them (registration, the operator's CLI), verifying, changing the
//! profile, resetting the password, listing them for staff, shutting them out and deleting
//! them. Whatever revokes an account's tokens also closes its open sockets on every node.

use crate::App;
use crate::access::{Actor, StaffMember};
use crate::error::{AppError, AppResult};
use crate::media::{ImageChange, MediaOwner};
use pingme_domain::AccountId;
use pingme_domain::account::{Account, AccountQuery, NewAccount, ProfileChanges};
use pingme_domain::events::Event;
use tracing::instrument;

impl App {
    /// Creates an account whose password is already hashed ([`crate::passwords::hash`]).
    /// The database's unique rules decide "name taken" and "e-mail registered", also
    /// between creations racing each other.
    #[instrument(skip_all)]
    pub async fn create_account(&self, new: &NewAccount) -> AppResult<Account> {
        let account = self.store.create_account(new).await?;
        tracing::debug!(account = %account.id, "account created");
        Ok(account)
    }

    /// Marks the e-mail address verified; `false` when there is no such account.
    #[instrument(skip_all, fields(account = %id))]
    pub async fn mark_verified(&self, id: AccountId) -> AppResult<bool> {
        let verified = self.store.mark_verified(id).await?;
        if verified {
            self.publish(Event::AccountChanged { account: id });
        }
        Ok(verified)
    }

    /// Changes what `changes` names and the picture `image` replaces or clears. `None` when
    /// the account was deleted meanwhile.
    #[instrument(skip_all, fields(account = %account.id))]
    pub async fn update_profile(
        &self,
        account: Account,
        changes: ProfileChanges,
        image: ImageChange,
    ) -> AppResult<Option<Account>> {
        let changes = ProfileChanges {
            image: self
                .store_image(MediaOwner::Account(account.id), image)
                .await?,
            ..changes
        };
        if changes.is_empty() {
            return Ok(Some(account));
        }
        let updated = self.store.update_profile(account.id, &changes).await?;
        self.publish(Event::AccountChanged {
            account: account.id,
        });
        if let Some(updated) = &updated {
            // The change is made: a failure to read whom to tell fails nothing.
            match self.servers_of(updated.id).await {
                Ok(servers) => self.dispatch_account_updated(updated, servers),
                Err(error) => tracing::warn!(%error, "account_update not sent"),
            }
        }
        Ok(updated)
    }

    /// The servers the account is a member of, by id.
    async fn servers_of(&self, account: AccountId) -> AppResult<Vec<pingme_domain::ServerId>> {
        let servers = self.store.servers(&member_of(account)).await?;
        Ok(servers.iter().map(|s| s.id).collect())
    }

    /// Sets a new password (already checked, not yet hashed) if the account's token version
    /// still is `version` — a reset link is single-use — revoking every token and closing
    /// every socket of the account. `false` when the version moved on.
    #[instrument(skip_all, fields(account = %id))]
    pub async fn reset_password(
        &self,
        id: AccountId,
        password: String,
        version: i64,
    ) -> AppResult<bool> {
        let hash = crate::passwords::hash(password).await?;
        // Compare-and-set on the version: of two uses of one link racing, one wins.
        if !self.store.set_password(id, &hash, Some(version)).await? {
            return Ok(false);
        }
        self.publish(Event::AccountSignedOut { account: id });
        Ok(true)
    }

    /// Shuts the account named `login` out (it cannot log in, its tokens are refused and
    /// its sockets close) or lets it back in. An operator's decision: `pingme admin
    /// deactivate-user` and `activate-user`.
    #[instrument(skip_all, fields(actor = "operator", active = active))]
    pub async fn set_active(&self, login: &str, active: bool) -> AppResult<Account> {
        let (account, _) = self
            .store
            .credentials(login)
            .await?
            .ok_or(AppError::NotFound)?;
        let operator = self.staff_member(Actor::Operator)?;
        self.set_account_active(&operator, account.id, active).await
    }

    /// Shuts the account `id` out or lets it back in, as [`App::set_active`] does for the
    /// operator: the one path both the CLI and staff's API take, so a deactivation always
    /// closes the account's sockets on every node. Staff cannot shut themselves out (there
    /// might be nobody left to let them back in). The account as it is now.
    #[instrument(skip_all, fields(actor = %staff, target = %id, active = active))]
    pub async fn set_account_active(
        &self,
        staff: &StaffMember,
        id: AccountId,
        active: bool,
    ) -> AppResult<Account> {
        if !active && staff.by == Some(id) {
            return Err(AppError::BadRequest(
                "You cannot deactivate your own account.".into(),
            ));
        }
        if !self.store.set_active(id, active).await? {
            return Err(AppError::NotFound);
        }
        self.publish(if active {
            Event::AccountChanged { account: id }
        } else {
            Event::AccountSignedOut { account: id }
        });
        // Deleted in the moment since: as if it had been before.
        self.store.account(id).await?.ok_or(AppError::NotFound)
    }

    /// A page of every account, or of those whose login name, display name or e-mail
    /// address contains the query's text: staff's view.
    #[instrument(skip_all, fields(actor = %staff))]
    pub async fn accounts(
        &self,
        staff: &StaffMember,
        query: &AccountQuery,
    ) -> AppResult<Vec<Account>> {
        Ok(self.store.search_accounts(query).await?)
    }

    /// Deletes the account: its tokens stop working and its sockets close at once. Each
    /// server it owned passes to its longest member or, with none, goes with it. `false`
    /// when it was deleted already.
    #[instrument(skip_all, fields(account = %id))]
    pub async fn delete_account(&self, id: AccountId) -> AppResult<bool> {
        // Its servers as they were: the members of each are told it left, and those of the
        // ones it owned who the owner is now.
        let servers = self.store.servers(&member_of(id)).await?;
        let Some(deleted_servers) = self.store.delete_account(id).await? else {
            return Ok(false);
        };
        self.publish(Event::AccountDeleted { account: id });
        self.sweep_later(MediaOwner::Account(id));
        for server in &deleted_servers {
            self.server_deleted(*server);
        }
        for server in servers.iter().filter(|s| !deleted_servers.contains(&s.id)) {
            self.member_left(server.id, id);
            if server.owner == id {
                // The deletion is made: a failure to read the new owner fails nothing.
                match self.store.server(server.id).await {
                    Ok(Some(handed_over)) => self.dispatch_server_updated(&handed_over),
                    Ok(None) => {}
                    Err(error) => tracing::warn!(%error, "server_update not sent"),
                }
            }
        }
        Ok(true)
    }
}

/// Every server the account is a member of.
fn member_of(account: AccountId) -> pingme_domain::community::ServerQuery {
    pingme_domain::community::ServerQuery {
        member: Some(account),
        ..Default::default()
    }
}
