//! Adapters that implement pingme's storage ports ([`pingme_domain::store`]).
//!
//! SQLite is the embedded default; Postgres joins it for deployments of several nodes.
//! Nothing here knows about HTTP: handlers see only the traits.
//!
//! Each port is written once (`ops`, compiled once per dialect) over one [`SqlStore`];
//! `sqlite` and `postgres` hold only how each database is opened, its side of the message
//! batches, and its answers to `dialect::Dialect`.
//!
//! One function holds `unsafe`: SQLite's message batch borrows the raw handle of the write
//! connection that sqlx has locked out for it (`sqlite/batch.rs`).
#![deny(unsafe_code)]

mod dialect;
mod direct;
mod group_commit;
mod postgres;
mod rows;
#[cfg(feature = "scratch")]
pub mod scratch;
mod skeletons;
mod sqlite;
mod store;

pub use postgres::{PgSettings, PgStore};
pub use sqlite::SqliteStore;
pub use store::SqlStore;

use pingme_domain::store::Store;
use std::sync::Arc;

/// Opens the store a database URL names and applies pending migrations.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, sqlx::Error> {
    open_with(url, PgSettings::default()).await
}

/// [`open`], with the pool's settings for Postgres (SQLite has one writer and a few readers
/// whatever they say).
pub async fn open_with(url: &str, settings: PgSettings) -> Result<Arc<dyn Store>, sqlx::Error> {
    if url.starts_with("sqlite:") {
        let store = SqliteStore::open(url).await?;
        store.migrate().await?;
        return Ok(Arc::new(store));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let store = PgStore::open(url, settings)?;
        store.migrate().await?;
        return Ok(Arc::new(store));
    }
    let scheme = url.split(':').next().unwrap_or_default();
    Err(sqlx::Error::Configuration(
        format!(
            "DATABASE_URL scheme `{scheme}:` is not supported; use sqlite:<path> or postgres://…"
        )
        .into(),
    ))
}
