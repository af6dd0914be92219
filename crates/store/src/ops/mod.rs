//! The storage ports, written once and compiled once per dialect: `sqlite/mod.rs` and
//! `postgres/mod.rs` each include this module (`#[path]`) beside a `Db` naming their
//! database, and every operation here runs on `SqlStore<Db>`; what the two do differently
//! is asked of [`Dialect`].
//!
//! Why included twice rather than generic over `D: Dialect`: sqlx wants a bound for every
//! type bound or read (`i64: Encode<D> + Type<D>`, `(i64,): FromRow<D::Row>`, `&mut
//! D::Connection: Executor`, `usize: ColumnIndex<D::Row>`, …), and Rust does not carry
//! bounds from a trait's `where` clause to its users (rust-lang/rust#20671), so each generic
//! impl and helper would repeat some twenty of them. Compiled per dialect, this stays plain
//! sqlx on a concrete database, the very code generics would monomorphise to.

mod accounts;
mod attachments;
mod categories;
mod channels;
mod dms;
mod handover;
mod invites;
mod message_search;
mod messages;
mod people;
mod read_states;
mod search_keys;
mod select;
mod servers;
mod sessions;

use super::Db;
use crate::dialect::Dialect;
use crate::skeletons::{BATCH, CLAIM, HOLDER, PENDING, SkeletonBackfill, Taken};
use crate::store::SqlStore;
use async_trait::async_trait;
use pingme_domain::store::{Store, StoreError, StoreResult};

type Tx = sqlx::Transaction<'static, Db>;
type Conn = <Db as sqlx::Database>::Connection;

impl SqlStore<Db> {
    async fn begin_write(&self) -> StoreResult<Tx> {
        Db::begin_write(&self.write).await
    }
}

#[async_trait]
impl Store for SqlStore<Db> {
    async fn ping(&self) -> StoreResult<()> {
        if !self.messages.is_running() {
            return Err(StoreError::Unavailable(
                "the message writer has stopped".into(),
            ));
        }
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map_err(Db::store_error)?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        Db::BACKEND
    }
}

#[async_trait]
impl SkeletonBackfill for SqlStore<Db> {
    // From the writer: the batches it writes must be seen by the next read at once.
    async fn pending(&self, after: i64) -> StoreResult<Vec<(i64, String)>> {
        sqlx::query_as(PENDING)
            .bind(after)
            .bind(BATCH)
            .fetch_all(&self.write)
            .await
            .map_err(Db::store_error)
    }

    async fn claim(&self, skeletons: &[(i64, String)]) -> StoreResult<Vec<Taken>> {
        let mut tx = self.begin_write().await?;
        let mut taken = Vec::new();
        for (account, skeleton) in skeletons {
            let done = sqlx::query(CLAIM)
                .bind(skeleton)
                .bind(account)
                .execute(&mut *tx)
                .await
                .map_err(Db::store_error)?;
            if done.rows_affected() == 1 {
                continue;
            }
            // Another node starting at the same time may have given it to this very
            // account: only another holder is a look-alike.
            let holder: Option<i64> = sqlx::query_scalar(HOLDER)
                .bind(skeleton)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Db::store_error)?;
            if let Some(holder) = holder.filter(|holder| holder != account) {
                let account = *account;
                taken.push(Taken { account, holder });
            }
        }
        tx.commit().await.map_err(Db::store_error)?;
        Ok(taken)
    }
}

/// Runs a transaction again (three attempts in all) when the database aborted it to break
/// a deadlock or a serialization conflict: the other transaction has gone on, so this one
/// can too, where the client would otherwise get a 503 and have to send it again.
async fn retry_conflicts<T, F, Fut>(mut run: F) -> StoreResult<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = StoreResult<T>>,
{
    let mut attempt = 1;
    loop {
        match run().await {
            Err(error) if attempt < 3 && Db::is_conflict(&error) => {
                tracing::info!(%error, attempt, "transaction aborted by a conflict; running it again");
                attempt += 1;
            }
            done => return done,
        }
    }
}
