//! The storage conformance suite: the behaviour every backend must show, written once
//! against the traits and run against each backend.

mod accounts;
mod communities;
mod deadlocks;
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

/// A fresh database of its own on the Postgres server `PINGME_TEST_POSTGRES_URL` names,
/// dropped when the returned guard is.
async fn postgres(admin_url: &str) -> (Arc<dyn Store>, TestDatabase) {
    let admin = sqlx::PgPool::connect(admin_url)
        .await
        .expect("the test Postgres server answers");
    let name = format!(
        "pingme_conformance_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&admin)
    .await
    .expect("drop a leftover database");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await
        .expect("create the test database");
    let store = pingme_store::open(&database_url(admin_url, &name))
        .await
        .expect("open the postgres store");
    admin.close().await;
    let admin_url = admin_url.to_owned();
    (store, TestDatabase { admin_url, name })
}

/// The URL with its database name replaced: `postgres://u@h:5432/postgres?x` → `…/name?x`.
fn database_url(url: &str, name: &str) -> String {
    let (url, query) = url
        .split_once('?')
        .map_or((url, None), |(u, q)| (u, Some(q)));
    let authority = url.find("://").map_or(0, |i| i + 3);
    let base = match url[authority..].find('/') {
        Some(slash) => &url[..authority + slash],
        None => url,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Drops its database (closing whatever connections are left) when the check is over.
struct TestDatabase {
    /// The server's URL: the drop connects anew, on a runtime of its own.
    admin_url: String,
    name: String,
}

impl Drop for TestDatabase {
    /// Runs even when a check panicked, on a thread and runtime of its own.
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), std::mem::take(&mut self.name));
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let admin = sqlx::PgPool::connect(&admin_url).await?;
                let statement = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                sqlx::query(sqlx::AssertSqlSafe(statement))
                    .execute(&admin)
                    .await?;
                admin.close().await;
                Ok::<(), sqlx::Error>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(_))) {
            eprintln!("could not drop a conformance database");
        }
    }
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
