//! The storage conformance suite: the behaviour every backend must show, written once
//! against the traits and run against each backend.

mod accounts;
mod communities;
mod deadlocks;
mod messages;
mod names;

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

/// Runs one conformance check against every backend available: SQLite always, Postgres when
/// `PINGME_TEST_POSTGRES_URL` is set.
async fn on_every_backend<F, Fut>(check: F)
where
    F: Fn(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    let (store, _dir) = sqlite().await;
    check(store).await;
    match std::env::var("PINGME_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => {
            let (store, database) = postgres(&url).await;
            check(store.clone()).await;
            drop(store);
            drop(database);
        }
        _ => eprintln!("skipped on Postgres: PINGME_TEST_POSTGRES_URL is not set"),
    }
}

/// Runs a check that opens stores itself (to see what happens at start-up) on an empty
/// database of every backend available, given its URL.
async fn on_every_database<F, Fut>(check: F)
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = ()>,
{
    let (url, _dir) = sqlite_url();
    check(url).await;
    match std::env::var("PINGME_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => {
            let database = ScratchDatabase::create(&url, "pingme_conformance")
                .await
                .expect("the test Postgres server makes a database");
            check(database.url.clone()).await;
        }
        _ => eprintln!("skipped on Postgres: PINGME_TEST_POSTGRES_URL is not set"),
    }
}

/// Declares `#[tokio::test]`s that run conformance checks on every backend.
macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                crate::on_every_backend(super::$name).await;
            }
        )*
    };
}
pub(crate) use conformance;
