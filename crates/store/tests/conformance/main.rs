//! The storage conformance suite: the behaviour every backend must show, written once
//! against the traits and run against each backend.

mod accounts;
mod communities;
mod messages;

use pingme_domain::store::Store;
use std::future::Future;
use std::sync::Arc;

/// A fresh, migrated SQLite store in its own temporary directory, kept alive with it.
async fn sqlite() -> (Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = format!(
        "sqlite:{}",
        dir.path().join("conformance.sqlite3").display()
    );
    let store = pingme_store::open(&url).await.expect("open sqlite store");
    (store, dir)
}

/// Runs one conformance check against every backend available.
async fn on_every_backend<F, Fut>(check: F)
where
    F: Fn(Arc<dyn Store>) -> Fut,
    Fut: Future<Output = ()>,
{
    let (store, _dir) = sqlite().await;
    check(store).await;
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
