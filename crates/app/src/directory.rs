//! Who sees whom: a server's member list and another person's profile, the reads pingme's
//! web client draws its member lists and profile cards from. Read-only, but the rules of who
//! may read them live here, beside the writes', rather than in each adapter.

use crate::App;
use crate::error::{AppError, AppResult};
use pingme_domain::account::{Account, AccountPage};
use pingme_domain::permissions::{ProfileViewer, see_members, see_profile};
use pingme_domain::{AccountId, ServerId};
use tracing::instrument;

impl App {
    /// A page of the server's members, by id, for its members: the list holds profiles,
    /// which are for people who share a server (404 without a server, 403 for anyone else,
    /// also when the server is public).
    #[instrument(level = "debug", skip_all, fields(account = %caller.id, server = %server))]
    pub async fn members(
        &self,
        caller: &Account,
        server: ServerId,
        page: AccountPage,
    ) -> AppResult<Vec<Account>> {
        let access = self.access(server, Some(caller)).await?;
        crate::access::allowed(see_members(access.relation))?;
        Ok(self.store.members(server, page).await?)
    }

    /// Another person's account, if the caller may see it: their own, one they share a
    /// server with, or any for staff. Otherwise, and for accounts that cannot sign in
    /// (shut out, not verified, deleted), not found: a stranger cannot tell who exists.
    #[instrument(level = "debug", skip_all, fields(account = %caller.id, target = %id))]
    pub async fn profile(&self, caller: &Account, id: AccountId) -> AppResult<Account> {
        let account = self
            .store
            .account(id)
            .await?
            .filter(Account::can_authenticate)
            .ok_or(AppError::NotFound)?;
        let is_self = caller.id == id;
        let viewer = ProfileViewer {
            is_self,
            is_staff: caller.is_staff,
            // Asked only when nothing else decides.
            shares_a_server: !is_self
                && !caller.is_staff
                && self.store.share_a_server(caller.id, id).await?,
        };
        if !see_profile(viewer) {
            return Err(AppError::NotFound);
        }
        Ok(account)
    }
}
