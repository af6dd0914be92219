//! Adapters that implement pingme's storage ports ([`pingme_domain::store`]).
//!
//! SQLite is the embedded default; Postgres joins it for deployments of several nodes.
//! Nothing here knows about HTTP: handlers see only the traits.
#![forbid(unsafe_code)]

mod sqlite;

pub use sqlite::SqliteStore;

use pingme_domain::store::Store;
use std::sync::Arc;

/// Opens the store a database URL names and applies pending migrations.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, sqlx::Error> {
    if url.starts_with("sqlite:") {
        let store = SqliteStore::open(url).await?;
        store.migrate().await?;
        return Ok(Arc::new(store));
    }
    let scheme = url.split(':').next().unwrap_or_default();
    Err(sqlx::Error::Configuration(
        format!("DATABASE_URL scheme `{scheme}:` is not supported; use sqlite:<path>").into(),
    ))
}
