//! Accounts made before login names had skeletons (rows inserted straight into `accounts`,
//! as such accounts are) get them at the next start; of two that look alike, the older.

use super::create;
use pingme_domain::store::{Store, StoreError, Unique};

/// Raw SQL on the database behind a store, to make and inspect rows the store would not.
enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

const INSERT_LEGACY: &str = "INSERT INTO accounts (login, login_key, email, email_key, \
     password_hash, display_name, created_at, updated_at) \
     VALUES ($1, $2, $3, $3, 'x', $1, 0, 0) RETURNING id";

const SKELETONS_OF: &str = "SELECT COUNT(*) FROM account_skeletons WHERE account_id = $1";

const COUNT_ACCOUNTS: &str = "SELECT COUNT(*) FROM accounts WHERE id > $1";

/// Runs `$body` with `$pool` bound to whichever pool `$raw` holds.
macro_rules! on_pool {
    ($raw:expr, $pool:ident => $body:expr) => {
        match $raw {
            Raw::Sqlite($pool) => $body,
            Raw::Postgres($pool) => $body,
        }
    };
}

impl Raw {
    async fn connect(url: &str) -> Self {
        if url.starts_with("sqlite:") {
            Self::Sqlite(sqlx::SqlitePool::connect(url).await.unwrap())
        } else {
            Self::Postgres(sqlx::PgPool::connect(url).await.unwrap())
        }
    }

    /// An account as stored before names were normalised: the login as typed, its key
    /// merely lowercased, no skeletons.
    async fn insert_legacy(&self, login: &str) -> i64 {
        let email = format!("legacy{}@example.com", self.count(COUNT_ACCOUNTS, 0).await);
        let key = login.to_lowercase();
        on_pool!(self, pool => {
            let query = sqlx::query_scalar(INSERT_LEGACY).bind(login);
            query.bind(&key).bind(&email).fetch_one(pool).await
        })
        .unwrap()
    }

    async fn count(&self, sql: &'static str, id: i64) -> i64 {
        on_pool!(self, pool => sqlx::query_scalar(sql).bind(id).fetch_one(pool).await).unwrap()
    }

    async fn skeletons_of(&self, id: i64) -> i64 {
        self.count(SKELETONS_OF, id).await
    }
}

async fn older_accounts_get_skeletons_at_start_up(url: String) {
    let store = pingme_store::open(&url).await.unwrap();
    let raw = Raw::connect(&url).await;
    let bob = raw.insert_legacy("bob").await;
    let wide_bob = raw.insert_legacy("ｂｏｂ").await;
    let alice = raw.insert_legacy("alice").await;
    let cyrillic_alice = raw.insert_legacy("аlice").await;
    assert_eq!(raw.skeletons_of(bob).await, 0);

    drop(store);
    let store = pingme_store::open(&url).await.unwrap();
    assert!(raw.skeletons_of(bob).await > 0);
    assert!(raw.skeletons_of(alice).await > 0);
    // The later of two look-alikes goes without: the older keeps the skeletons.
    assert_eq!(raw.skeletons_of(wide_bob).await, 0);
    assert_eq!(raw.skeletons_of(cyrillic_alice).await, 0);
    refused_as_look_alike(&*store, "alicе").await;
    refused_as_look_alike(&*store, "b0b").await;

    // Each still logs in under the name it has; the fullwidth one typed as it was stored.
    let login_of = |typed: &'static str| {
        let store = store.clone();
        async move { store.credentials(typed).await.unwrap().unwrap().0.id.0 }
    };
    assert_eq!(login_of("bob").await, bob);
    assert_eq!(login_of("ｂｏｂ").await, wide_bob);
    assert_eq!(login_of("аlice").await, cyrillic_alice);

    // A second start has nothing more to do, and changes nothing.
    drop(store);
    let store = pingme_store::open(&url).await.unwrap();
    assert_eq!(raw.skeletons_of(wide_bob).await, 0);
    refused_as_look_alike(&*store, "alicе").await;
}

async fn refused_as_look_alike(store: &dyn Store, login: &str) {
    let result = create(store, login).await;
    assert!(
        matches!(result, Err(StoreError::Conflict(Unique::AccountLookalike))),
        "{login}: {result:?}"
    );
}

#[tokio::test]
async fn older_accounts_get_skeletons_at_start_up_on_sqlite() {
    crate::on_empty_sqlite(older_accounts_get_skeletons_at_start_up).await;
}

#[tokio::test]
#[ignore = "needs Postgres: PINGME_TEST_POSTGRES_URL (.ci/run sets it)"]
async fn older_accounts_get_skeletons_at_start_up_on_postgres() {
    crate::on_empty_postgres(older_accounts_get_skeletons_at_start_up).await;
}
