//! Reads of accounts by their relations: a server's members, whether two people share a
//! server, and staff's search of every account. Each is one statement on the read pool.

use super::Db;
use crate::dialect::Dialect;
use crate::rows::accounts::{AccountRow, account_columns};
use pingme_domain::account::{Account, AccountPage, AccountQuery};
use pingme_domain::store::StoreResult;
use pingme_domain::{AccountId, ServerId};

type Pool = sqlx::Pool<Db>;

/// `$1` the server, `$2` the last id of the previous page, `$3` how many. The server's
/// members come from the membership's primary key (server, account); the accounts are then
/// walked by their own key, from `$2` on.
const MEMBERS: &str = concat!(
    "SELECT ",
    account_columns!(),
    " FROM accounts WHERE id IN (SELECT account_id FROM memberships WHERE server_id = $1) \
     AND is_active AND id > $2 ORDER BY id LIMIT $3"
);

/// `$1` the last id of the previous page, `$2` a `LIKE` pattern (escaped with `\`) the login,
/// display or e-mail key must match, or NULL for every account, `$3` how many.
const SEARCH: &str = concat!(
    "SELECT ",
    account_columns!(),
    " FROM accounts WHERE id > $1 AND ($2 IS NULL OR login_key LIKE $2 ESCAPE '\\' \
     OR display_key LIKE $2 ESCAPE '\\' OR email_key LIKE $2 ESCAPE '\\') \
     ORDER BY id LIMIT $3"
);

pub(super) async fn members(
    pool: &Pool,
    server: ServerId,
    page: AccountPage,
) -> StoreResult<Vec<Account>> {
    let rows: Vec<AccountRow> = sqlx::query_as(MEMBERS)
        .bind(server.0)
        .bind(after(page))
        .bind(i64::from(page.limit))
        .fetch_all(pool)
        .await
        .map_err(Db::store_error)?;
    rows.into_iter().map(Account::try_from).collect()
}

pub(super) async fn share_a_server(
    pool: &Pool,
    one: AccountId,
    other: AccountId,
) -> StoreResult<bool> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM memberships a JOIN memberships b \
         ON b.server_id = a.server_id WHERE a.account_id = $1 AND b.account_id = $2)",
    )
    .bind(one.0)
    .bind(other.0)
    .fetch_one(pool)
    .await
    .map_err(Db::store_error)
}

pub(super) async fn memberships(pool: &Pool, account: AccountId) -> StoreResult<Vec<ServerId>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT server_id FROM memberships WHERE account_id = $1 ORDER BY server_id",
    )
    .bind(account.0)
    .fetch_all(pool)
    .await
    .map_err(Db::store_error)?;
    Ok(ids.into_iter().map(ServerId).collect())
}

/// Reads past `up_to` members of each server at most: whether there is one more.
pub(super) async fn small_servers_of(
    pool: &Pool,
    account: AccountId,
    up_to: u32,
) -> StoreResult<Vec<ServerId>> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT a.server_id FROM memberships a WHERE a.account_id = $1 AND NOT EXISTS \
         (SELECT 1 FROM memberships b WHERE b.server_id = a.server_id \
          ORDER BY b.account_id LIMIT 1 OFFSET $2) ORDER BY a.server_id",
    )
    .bind(account.0)
    .bind(i64::from(up_to))
    .fetch_all(pool)
    .await
    .map_err(Db::store_error)?;
    Ok(ids.into_iter().map(ServerId).collect())
}

pub(super) async fn search_accounts(
    pool: &Pool,
    query: &AccountQuery,
) -> StoreResult<Vec<Account>> {
    let rows: Vec<AccountRow> = sqlx::query_as(SEARCH)
        .bind(after(query.page))
        .bind(query.search.as_ref().map(|s| s.contains_pattern()))
        .bind(i64::from(query.page.limit))
        .fetch_all(pool)
        .await
        .map_err(Db::store_error)?;
    rows.into_iter().map(Account::try_from).collect()
}

/// The id a page starts after; ids start at 1.
fn after(page: AccountPage) -> i64 {
    page.after.map_or(0, |id| id.0)
}
