//! [`ReadStateStore`], for both dialects: acknowledgements and the read states `ready` shows.

use super::{Conn, Db};
use crate::dialect::Dialect;
use crate::rows::read_states::ReadStateRow;
use crate::store::SqlStore;
use async_trait::async_trait;
use pingme_domain::messages::{MessageId, MessageWrite, ReadState};
use pingme_domain::store::{ReadStateStore, StoreResult};
use pingme_domain::{AccountId, ChannelId};

/// The account's read state in the channel, read through `conn`.
async fn read_state(
    conn: &mut Conn,
    account: AccountId,
    channel: ChannelId,
) -> StoreResult<Option<ReadState>> {
    let row: Option<ReadStateRow> = sqlx::query_as(Db::SQL.read_state)
        .bind(account.0)
        .bind(channel.0)
        .fetch_optional(conn)
        .await
        .map_err(Db::store_error)?;
    Ok(row.map(ReadState::from))
}

#[async_trait]
impl ReadStateStore for SqlStore<Db> {
    async fn ack(
        &self,
        account: AccountId,
        channel: ChannelId,
        message: MessageId,
    ) -> StoreResult<MessageWrite<ReadState>> {
        let mut tx = self.begin_write().await?;
        if Db::ROW_LOCKS {
            // The rows the foreign keys lock, taken before the membership the statement
            // checks, in the order every writer takes them (channel, account, membership): an
            // account's or a channel's deletion then cannot deadlock with this, and one that
            // won is seen as a missing row rather than a broken key.
            sqlx::query("SELECT id FROM channels WHERE id = $1 FOR KEY SHARE")
                .bind(channel.0)
                .execute(&mut *tx)
                .await
                .map_err(Db::store_error)?;
            super::messages::share_accounts(&mut tx, [account]).await?;
        }
        let acked: Option<i64> = sqlx::query_scalar(Db::SQL.ack)
            .bind(account.0)
            .bind(channel.0)
            .bind(message.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(Db::store_error)?;
        let outcome = match acked {
            Some(_) => read_state(&mut tx, account, channel)
                .await?
                .map_or(MessageWrite::Missing, MessageWrite::Done),
            None => super::messages::not_inserted(&mut tx, channel).await?,
        };
        tx.commit().await.map_err(Db::store_error)?;
        Ok(outcome)
    }

    async fn read_states(&self, account: AccountId) -> StoreResult<Vec<ReadState>> {
        let rows: Vec<ReadStateRow> = sqlx::query_as(Db::SQL.read_states)
            .bind(account.0)
            .fetch_all(&self.read)
            .await
            .map_err(Db::store_error)?;
        Ok(rows.into_iter().map(ReadState::from).collect())
    }
}
