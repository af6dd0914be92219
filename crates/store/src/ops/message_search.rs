//! Message search, for both dialects: one statement for the page and one for the total,
//! from one snapshot, each matching the words through the database's full-text index
//! (migration 0013) with the reader's permission inside the statement.

use super::Db;
use crate::dialect::Dialect;
use crate::rows::messages::{MessageRow, all};
use crate::store::SqlStore;
use pingme_domain::message_search::{Found, MAX_TOTAL, MessageQuery};
use pingme_domain::store::StoreResult;

impl SqlStore<Db> {
    pub(super) async fn search(&self, query: &MessageQuery) -> StoreResult<Found> {
        let mut tx = Db::begin_snapshot(&self.read).await?;
        let text = Db::text_query(&query.words);
        // The same parameters for both statements, but the limit.
        macro_rules! bound {
            ($query:expr, $limit:expr) => {
                $query
                    .bind(query.viewer.0)
                    .bind(&text)
                    .bind(query.server.map(|s| s.0))
                    .bind(query.channel.map(|c| c.0))
                    .bind(query.author.map(|a| a.0))
                    .bind(query.before.map(|b| b.0))
                    .bind(i64::from($limit))
            };
        }
        let rows: Vec<MessageRow> = bound!(sqlx::query_as(Db::SQL.search_messages), query.limit)
            .fetch_all(&mut *tx)
            .await
            .map_err(Db::store_error)?;
        let total: i64 = bound!(sqlx::query_scalar(Db::SQL.count_matches), MAX_TOTAL)
            .fetch_one(&mut *tx)
            .await
            .map_err(Db::store_error)?;
        let mut messages = all(rows)?;
        super::messages::with_extras(&mut tx, &mut messages, Some(query.viewer)).await?;
        tx.commit().await.map_err(Db::store_error)?;
        Ok(Found {
            total: u32::try_from(total).unwrap_or(MAX_TOTAL),
            messages,
        })
    }
}
