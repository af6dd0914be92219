//! [`AccountStore`], for both dialects.

use super::{Conn, Db, people, retry_conflicts};
use crate::dialect::Dialect;
use crate::rows::accounts::{
    ACCOUNT, AccountRow, CREDENTIALS, CredentialsRow, account_columns, into_account,
};
use crate::store::SqlStore;
use async_trait::async_trait;
use pingme_domain::account::{
    Account, AccountQuery, Email, NewAccount, ProfileChanges, login_keys,
};
use pingme_domain::search::search_key;
use pingme_domain::store::{AccountStore, StoreResult};
use pingme_domain::{AccountId, ServerId, Timestamp};

#[async_trait]
impl AccountStore for SqlStore<Db> {
    async fn create_account(&self, new: &NewAccount) -> StoreResult<Account> {
        let mut tx = self.begin_write().await?;
        let account = insert_account(&mut tx, new).await?;
        tx.commit().await.map_err(Db::store_error)?;
        Ok(account)
    }

    async fn account(&self, id: AccountId) -> StoreResult<Option<Account>> {
        if let Some(direct) = &self.direct {
            return crate::sqlite::reads::account(direct, id);
        }
        let row = sqlx::query_as(ACCOUNT)
            .bind(id.0)
            .fetch_optional(&self.read)
            .await
            .map_err(Db::store_error)?;
        into_account(row)
    }

    async fn accounts(&self, ids: &[AccountId]) -> StoreResult<Vec<Account>> {
        let rows: Vec<AccountRow> = sqlx::query_as(Db::SQL.accounts)
            .bind(Db::ids(ids.iter().map(|id| id.0)))
            .fetch_all(&self.read)
            .await
            .map_err(Db::store_error)?;
        rows.into_iter().map(Account::try_from).collect()
    }

    async fn credentials(&self, login: &str) -> StoreResult<Option<(Account, String)>> {
        let [normalised, typed] = login_keys(login);
        let row: Option<CredentialsRow> = sqlx::query_as(CREDENTIALS)
            .bind(normalised)
            .bind(typed)
            .fetch_optional(&self.read)
            .await
            .map_err(Db::store_error)?;
        row.map(CredentialsRow::into_parts).transpose()
    }

    async fn account_by_email(&self, email: &Email) -> StoreResult<Option<Account>> {
        let row = sqlx::query_as(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE email_key = $1"
        ))
        .bind(email.key())
        .fetch_optional(&self.read)
        .await
        .map_err(Db::store_error)?;
        into_account(row)
    }

    async fn search_accounts(&self, query: &AccountQuery) -> StoreResult<Vec<Account>> {
        people::search_accounts(&self.read, query).await
    }

    async fn mark_verified(&self, id: AccountId) -> StoreResult<bool> {
        let now = Timestamp::now().unix_micros();
        let done = sqlx::query(
            "UPDATE accounts SET verified_at = COALESCE(verified_at, $2), \
             updated_at = CASE WHEN verified_at IS NULL THEN $2 ELSE updated_at END \
             WHERE id = $1",
        )
        .bind(id.0)
        .bind(now)
        .execute(&self.write)
        .await
        .map_err(Db::store_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn update_profile(
        &self,
        id: AccountId,
        changes: &ProfileChanges,
    ) -> StoreResult<Option<Account>> {
        let row = sqlx::query_as(concat!(
            "UPDATE accounts SET display_name = COALESCE($2, display_name), \
             display_key = COALESCE($9, display_key), \
             location = CASE WHEN $3 THEN $4 ELSE location END, \
             content = COALESCE($5, content), updated_at = $6, \
             image = CASE WHEN $7 THEN $8 ELSE image END \
             WHERE id = $1 RETURNING ",
            account_columns!()
        ))
        .bind(id.0)
        .bind(changes.display_name.as_ref().map(|n| n.as_str()))
        .bind(changes.location.is_some())
        .bind(
            changes
                .location
                .as_ref()
                .and_then(|l| l.as_ref().map(|l| l.as_str())),
        )
        .bind(changes.content.as_ref().map(|c| c.as_str()))
        .bind(Timestamp::now().unix_micros())
        .bind(changes.image.is_some())
        .bind(changes.image.as_ref().and_then(|i| i.as_deref()))
        .bind(
            changes
                .display_name
                .as_ref()
                .map(|n| search_key(n.as_str())),
        )
        .fetch_optional(&self.write)
        .await
        .map_err(Db::store_error)?;
        into_account(row)
    }

    /// One statement: Postgres re-checks the `WHERE` on the newest version of a row another
    /// transaction changed meanwhile, so of two uses of one reset link only the first
    /// finds the version it expects. (The `CAST` types `$4` for Postgres when it is NULL.)
    async fn set_password(
        &self,
        id: AccountId,
        password_hash: &str,
        expected_version: Option<i64>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE accounts SET password_hash = $2, token_version = token_version + 1, updated_at = $3 \
             WHERE id = $1 AND (CAST($4 AS BIGINT) IS NULL OR token_version = $4)",
        )
        .bind(id.0)
        .bind(password_hash)
        .bind(Timestamp::now().unix_micros())
        .bind(expected_version)
        .execute(&self.write)
        .await
        .map_err(Db::store_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_active(&self, id: AccountId, active: bool) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE accounts SET is_active = $2, updated_at = $3 WHERE id = $1")
            .bind(id.0)
            .bind(active)
            .bind(Timestamp::now().unix_micros())
            .execute(&self.write)
            .await
            .map_err(Db::store_error)?;
        Ok(done.rows_affected() == 1)
    }

    /// With row locks, locks the account first: servers or channels given to it meanwhile
    /// (their foreign keys lock the account row too) wait, then fail, instead of being left
    /// behind. Then the servers it owns, so their members stay put while an heir is chosen.
    /// A writer that locks the same rows the other way round (the account's own request, as
    /// it deletes) can deadlock with it: the database then aborts one of the two, and the
    /// deletion is run again.
    async fn delete_account(&self, id: AccountId) -> StoreResult<Option<Vec<ServerId>>> {
        retry_conflicts(|| self.delete_account_once(id)).await
    }
}

/// Inserts a new account and its login name's skeletons on an open transaction. The
/// account first: an exact duplicate is refused by its login key, never reported as only a
/// look-alike.
async fn insert_account(tx: &mut Conn, new: &NewAccount) -> StoreResult<Account> {
    let now = Timestamp::now().unix_micros();
    let row: AccountRow = sqlx::query_as(concat!(
        "INSERT INTO accounts (login, login_key, email, email_key, password_hash, \
         display_name, display_key, is_staff, verified_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $11, $7, $8, $9, $10) RETURNING ",
        account_columns!()
    ))
    .bind(new.login.as_str())
    .bind(new.login.key())
    .bind(new.email.as_str())
    .bind(new.email.key())
    .bind(&new.password_hash)
    .bind(new.login.as_str())
    .bind(new.is_staff)
    .bind(new.verified.then_some(now))
    .bind(now)
    .bind(now)
    .bind(search_key(new.login.as_str()))
    .fetch_one(&mut *tx)
    .await
    .map_err(Db::store_error)?;
    let account: Account = row.try_into()?;
    for skeleton in new.login.skeletons() {
        sqlx::query("INSERT INTO account_skeletons (skeleton, account_id) VALUES ($1, $2)")
            .bind(skeleton)
            .bind(account.id.0)
            .execute(&mut *tx)
            .await
            .map_err(Db::store_error)?;
    }
    Ok(account)
}
