//! The search keys of names written before the store kept them (migration 0005), filled in
//! at start-up, oldest row first, one transaction per batch. Lowercasing is Rust's
//! ([`search_key`]), the same for both backends, so it cannot be an `UPDATE … lower()`.
//!
//! Start-up never fails here: a database error is logged, and the next start carries on.

use super::Db;
use crate::dialect::Dialect;
use crate::store::SqlStore;
use pingme_domain::search::search_key;
use pingme_domain::store::StoreResult;

/// Rows read and written per transaction.
const BATCH: i64 = 500;

/// A searchable name and its key column: the rows after `$1` without a key (at most `$2`),
/// and the statement giving row `$1` the key `$2` of the name `$3` it was computed from,
/// unless a write gave it a key meanwhile or renamed it (an older node, which sets no key,
/// during a rolling upgrade: the row keeps its NULL key for the next start).
struct Keyed {
    what: &'static str,
    pending: &'static str,
    fill: &'static str,
}

const KEYED: [Keyed; 2] = [
    Keyed {
        what: "server names",
        pending: "SELECT id, name FROM servers WHERE name_key IS NULL AND id > $1 \
                  ORDER BY id LIMIT $2",
        fill: "UPDATE servers SET name_key = $2 WHERE id = $1 AND name_key IS NULL AND name = $3",
    },
    Keyed {
        what: "display names",
        pending: "SELECT id, display_name FROM accounts WHERE display_key IS NULL AND id > $1 \
                  ORDER BY id LIMIT $2",
        fill: "UPDATE accounts SET display_key = $2 WHERE id = $1 AND display_key IS NULL \
              AND display_name = $3",
    },
];

impl SqlStore<Db> {
    /// Gives every older name its search key.
    pub(crate) async fn fill_search_keys(&self) {
        for keyed in &KEYED {
            match self.fill_keys(keyed).await {
                Ok(0) => {}
                Ok(filled) => tracing::info!(filled, "filled in the search keys of {}", keyed.what),
                Err(error) => tracing::warn!(
                    %error,
                    "could not fill in the search keys of {}; the next start tries again",
                    keyed.what
                ),
            }
        }
    }

    async fn fill_keys(&self, keyed: &Keyed) -> StoreResult<usize> {
        let (mut after, mut filled) = (0, 0);
        loop {
            // From the writer: the batch it just wrote must be seen by the next read.
            let rows: Vec<(i64, String)> = sqlx::query_as(keyed.pending)
                .bind(after)
                .bind(BATCH)
                .fetch_all(&self.write)
                .await
                .map_err(Db::store_error)?;
            let Some((last, _)) = rows.last() else {
                return Ok(filled);
            };
            after = *last;
            filled += rows.len();
            let mut tx = self.begin_write().await?;
            for (id, name) in &rows {
                sqlx::query(keyed.fill)
                    .bind(id)
                    .bind(search_key(name))
                    .bind(name)
                    .execute(&mut *tx)
                    .await
                    .map_err(Db::store_error)?;
            }
            tx.commit().await.map_err(Db::store_error)?;
        }
    }
}
