//! The storage conformance suite: the behaviour every backend must show, written once
//! against the traits and run against each backend.

mod accounts;
mod attachments;
mod communities;
mod deadlocks;
mod dms;
mod marks;
mod message_search;
mod messages;
mod names;
mod read_states;
mod search;
mod sending;
mod sessions;

use pingme_domain::store::Store;
use pingme_store::scratch::ScratchDatabase;
use std::future::Future;
use std::sync::Arc;

/// A fresh, migrated SQLite store in its own temporary directory, kept alive with it.
async fn sqlite() -> (Arc<dyn Store>, tempfile::TempDir) {
    let (url, dir) = sqlite_url();
    let store = pingme_store::open(&url).await.expect("open sqlite store");
    (store, dir)
}

/// The URL of an SQLite database yet to be made, in a temporary directory of its own.
fn sqlite_url() -> (String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!(
        "sqlite:{}",
        dir.path().join("conformance.sqlite3").display()
    );
    (url, dir)
}

/// A fresh database of its own on the Postgres server `PINGME_TEST_POSTGRES_URL` names,
/// dropped when the returned guard is.
async fn postgres(admin_url: &str) -> (Arc<dyn Store>, ScratchDatabase) {
    let database = ScratchDatabase::create(admin_url, "pingme_conformance")
        .await
        .expect("the test Postgres server makes a database");
    let store = pingme_store::open(&database.url)
        .await
        .expect("open the postgres store");
    (store, database)
}

/// The Postgres server the Postgres half of the suite makes its databases on. Those tests
/// are `#[ignore]`d (a plain `cargo test` lists them as ignored); run without the variable,
/// they fail rather than skip.
fn postgres_url() -> String {
    std::env::var("PINGME_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .expect("the Postgres conformance checks need PINGME_TEST_POSTGRES_URL")
}

/// Runs one conformance check on a fresh SQLite store.
async fn on_sqlite<F, Fut>(check: F)
where
    F: Fn(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    let (store, _dir) = sqlite().await;
    check(store).await;
}

/// Runs one conformance check on a fresh Postgres database, dropped after.
async fn on_postgres<F, Fut>(check: F)
where
    F: Fn(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    let (store, database) = postgres(&postgres_url()).await;
    check(store.clone()).await;
    drop(store);
    drop(database);
}

/// Runs a check that opens stores itself (to see what happens at start-up) on an empty
/// SQLite database, given its URL.
async fn on_empty_sqlite<F, Fut>(check: F)
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let (url, _dir) = sqlite_url();
    check(url).await;
}

/// The same on an empty Postgres database.
async fn on_empty_postgres<F, Fut>(check: F)
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let database = ScratchDatabase::create(&postgres_url(), "pingme_conformance")
        .await
        .expect("the test Postgres server makes a database");
    check(database.url.clone()).await;
}

/// Declares, for each conformance check, a `#[tokio::test]` on SQLite and one on Postgres
/// (in the module `postgres`, ignored without the database).
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                crate::on_sqlite(super::$name).await;
            }
        )*

        mod postgres {
            $(
                #[tokio::test]
                #[ignore = "needs Postgres: PINGME_TEST_POSTGRES_URL (.ci/run sets it)"]
                async fn $name() {
                    crate::on_postgres(super::super::$name).await;
                }
            )*
        }
    };
}
pub(crate) use conformance;
