//! Invites: made, listed and revoked by a server's owner, accepted by anyone with the code
//! to join (private servers included), previewed by anyone at all.

use crate::App;
use crate::access::OwnedServer;
use crate::error::{AppError, AppResult};
use pingme_domain::account::Account;
use pingme_domain::community::{Accepted, Invite, NewInvite, Server};
use pingme_domain::permissions::BANNED;
use pingme_domain::store::{StoreError, Unique};
use pingme_domain::{ServerId, Timestamp};
use tracing::instrument;

const CODE_LENGTH: usize = 10;
const CODE_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Ten characters of 62 (about 59 bits), from the operating system's randomness.
fn new_code() -> AppResult<String> {
    let mut bytes = [0u8; CODE_LENGTH];
    getrandom::fill(&mut bytes)
        .map_err(|e| AppError::internal(anyhow::anyhow!("no randomness: {e}")))?;
    // 256 is not a multiple of 62: a tiny bias, irrelevant at this length.
    Ok(bytes
        .iter()
        .map(|b| char::from(CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()]))
        .collect())
}

impl App {
    /// Makes an invite to the owned server, good for `max_uses` joins (unlimited when
    /// `None`) during `expires_in` seconds (forever when `None`). The adapter has bounded
    /// both.
    #[instrument(skip_all, fields(account = %owned.0.owner, server = %owned.0.id))]
    pub async fn create_invite(
        &self,
        owned: &OwnedServer,
        max_uses: Option<i64>,
        expires_in: Option<i64>,
    ) -> AppResult<Invite> {
        let expires_at = expires_in
            .map(|seconds| {
                Timestamp::from_unix_micros(Timestamp::now().unix_micros() + seconds * 1_000_000)
            })
            .transpose()
            .map_err(AppError::internal)?;
        // A collision among 62^10 codes is all but impossible; try again if it happens.
        for _ in 0..3 {
            let new = NewInvite {
                code: new_code()?,
                server: owned.0.id,
                created_by: owned.0.owner,
                max_uses,
                expires_at,
            };
            match self.store.create_invite(&new).await {
                Ok(invite) => return Ok(invite),
                Err(StoreError::Conflict(Unique::InviteCode)) => continue,
                Err(other) => return Err(other.into()),
            }
        }
        Err(AppError::internal(anyhow::anyhow!(
            "three invite code collisions in a row"
        )))
    }

    /// The owned server's invites.
    #[instrument(skip_all, fields(account = %owned.0.owner, server = %owned.0.id))]
    pub async fn invites(&self, owned: &OwnedServer) -> AppResult<Vec<Invite>> {
        Ok(self.store.invites(owned.0.id).await?)
    }

    /// The invite under `code` if it still lets people in (expired, used-up and revoked
    /// ones are not found), with the server it leads to.
    #[instrument(skip_all)]
    pub async fn invite_preview(&self, code: &str) -> AppResult<(Invite, Server)> {
        let invite = self.usable_invite(code).await?.ok_or(AppError::NotFound)?;
        let server = self
            .store
            .server(invite.server)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok((invite, server))
    }

    /// Joins the server the invite leads to and answers it; accepting an invite to a
    /// server one is already in is harmless.
    #[instrument(skip_all, fields(account = %caller.id, server = tracing::field::Empty))]
    pub async fn accept_invite(&self, caller: &Account, code: &str) -> AppResult<Server> {
        let server = match self.store.accept_invite(code, caller.id).await? {
            Accepted::Joined(server) => {
                self.member_joined(server, caller).await;
                server
            }
            Accepted::AlreadyMember(server) => server,
            Accepted::Banned => return Err(AppError::Forbidden(BANNED.into())),
            Accepted::Unusable => return Err(AppError::NotFound),
        };
        tracing::Span::current().record("server", tracing::field::display(server));
        self.store.server(server).await?.ok_or(AppError::NotFound)
    }

    /// Revokes an invite to a server the caller owns.
    #[instrument(skip_all, fields(account = %caller.id, server = tracing::field::Empty))]
    pub async fn revoke_invite(&self, caller: &Account, code: &str) -> AppResult<()> {
        let invite = self.store.invite(code).await?.ok_or(AppError::NotFound)?;
        tracing::Span::current().record("server", tracing::field::display(invite.server));
        self.owned_server(caller, invite.server).await?;
        self.store.revoke_invite(code).await?;
        Ok(())
    }

    /// The invite under `code` if it lets people in now.
    pub(crate) async fn usable_invite(&self, code: &str) -> AppResult<Option<Invite>> {
        let invite = self.store.invite(code).await?;
        Ok(invite.filter(|i| i.is_usable(Timestamp::now())))
    }

    /// Whether `code` is an invite that lets people into `server` now.
    pub(crate) async fn holds_invite(&self, server: ServerId, code: &str) -> AppResult<bool> {
        let invite = self.usable_invite(code).await?;
        Ok(invite.is_some_and(|i| i.server == server))
    }
}
