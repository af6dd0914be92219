//! Accounts as both backends read them.

use super::time;
use pingme_domain::AccountId;
use pingme_domain::account::Account;
use pingme_domain::store::{StoreError, StoreResult};

/// The columns every account query returns, in [`AccountRow`]'s order.
macro_rules! account_columns {
    () => {
        "id, login, email, display_name, location, content, image, is_staff, is_active, \
         verified_at, token_version, created_at, updated_at"
    };
}
pub(crate) use account_columns;

/// One account by id.
pub(crate) const ACCOUNT: &str = concat!(
    "SELECT ",
    account_columns!(),
    " FROM accounts WHERE id = $1"
);

/// The account stored under either key (`$1` the NFKC form's, `$2` the typed form's),
/// the typed form's first: an account registered before names were normalised under a
/// name whose NFKC form is another account's is still the one its owner types.
pub(crate) const CREDENTIALS: &str = concat!(
    "SELECT ",
    account_columns!(),
    ", password_hash FROM accounts WHERE login_key IN ($1, $2) \
     ORDER BY login_key = $2 DESC LIMIT 1"
);

#[derive(sqlx::FromRow)]
pub(crate) struct AccountRow {
    id: i64,
    login: String,
    email: String,
    display_name: String,
    location: Option<String>,
    content: String,
    image: Option<String>,
    is_staff: bool,
    is_active: bool,
    verified_at: Option<i64>,
    token_version: i64,
    created_at: i64,
    updated_at: i64,
}

crate::direct::sqlite_row!(AccountRow {
    id,
    login,
    email,
    display_name,
    location,
    content,
    image,
    is_staff,
    is_active,
    verified_at,
    token_version,
    created_at,
    updated_at,
});

impl TryFrom<AccountRow> for Account {
    type Error = StoreError;

    fn try_from(row: AccountRow) -> Result<Self, StoreError> {
        Ok(Account {
            id: AccountId(row.id),
            login: row.login,
            email: row.email,
            display_name: row.display_name,
            location: row.location,
            content: row.content,
            image: row.image,
            is_staff: row.is_staff,
            is_active: row.is_active,
            verified: row.verified_at.is_some(),
            token_version: row.token_version,
            created_at: time(row.created_at)?,
            updated_at: time(row.updated_at)?,
        })
    }
}

/// An account with its password hash, for signing in: [`account_columns!`], then
/// `password_hash`.
#[derive(sqlx::FromRow)]
pub(crate) struct CredentialsRow {
    #[sqlx(flatten)]
    account: AccountRow,
    password_hash: String,
}

impl CredentialsRow {
    /// The account and the hash to check a password against.
    pub(crate) fn into_parts(self) -> StoreResult<(Account, String)> {
        Ok((self.account.try_into()?, self.password_hash))
    }
}

/// An account a lookup may not have found.
pub(crate) fn into_account(row: Option<AccountRow>) -> StoreResult<Option<Account>> {
    row.map(Account::try_from).transpose()
}
