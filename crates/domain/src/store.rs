//! The storage ports. Each aggregate has a trait, methods ordered create, read, update,
//! delete; the SQLite and Postgres adapters implement them and one conformance suite
//! checks both. Every method that writes is one transaction.

use crate::AccountId;
use crate::account::{Account, Email, NewAccount, ProfileChanges};
use async_trait::async_trait;

/// A unique rule the database refused a write for. Adapters map their own constraint
/// names onto these in one place, so handlers never inspect driver messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unique {
    AccountLogin,
    AccountEmail,
}

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unique rule {0:?} refused the write")]
    Conflict(Unique),
    /// The database could not be reached or timed out: worth retrying later (503).
    #[error("database unavailable")]
    Unavailable(#[source] BoxError),
    #[error("storage failure")]
    Other(#[source] BoxError),
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn create_account(&self, new: &NewAccount) -> StoreResult<Account>;

    async fn account(&self, id: AccountId) -> StoreResult<Option<Account>>;
    /// The account whose login name matches case-insensitively, with its password hash.
    async fn credentials(&self, login: &str) -> StoreResult<Option<(Account, String)>>;
    async fn account_by_email(&self, email: &Email) -> StoreResult<Option<Account>>;

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

    async fn delete_account(&self, id: AccountId) -> StoreResult<bool>;
}

/// The whole storage of one installation.
#[async_trait]
pub trait Store: AccountStore {
    /// Answers when the database is reachable (readiness).
    async fn ping(&self) -> StoreResult<()>;
    /// Short name of the backend, for logs and `/readyz`.
    fn backend(&self) -> &'static str;
}
