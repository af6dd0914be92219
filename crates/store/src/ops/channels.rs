//! [`ChannelStore`], for both dialects. Each method is one statement: a channel's server
//! deleted meanwhile makes the insert's foreign key fail ([`StoreError::MissingReference`])
//! rather than leave an orphan, so nothing here needs a lock of its own.
//!
//! [`StoreError::MissingReference`]: pingme_domain::store::StoreError::MissingReference

use super::Db;
use crate::dialect::Dialect;
use crate::rows::channels::{CHANNEL, ChannelRow, channel_columns};
use crate::store::SqlStore;
use async_trait::async_trait;
use pingme_domain::community::{Channel, ChannelChanges, NewChannel};
use pingme_domain::store::{ChannelStore, StoreResult};
use pingme_domain::{AccountId, ChannelId, ServerId, Timestamp};

#[async_trait]
impl ChannelStore for SqlStore<Db> {
    async fn create_channel(&self, new: &NewChannel) -> StoreResult<Channel> {
        let sql = concat!(
            "INSERT INTO channels (server_id, owner_id, name, description, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING ",
            channel_columns!()
        );
        let row: ChannelRow = sqlx::query_as(sql)
            .bind(new.server.0)
            .bind(new.owner.0)
            .bind(new.name.as_str())
            .bind(new.description.as_ref().map(|d| d.as_str()))
            .bind(Timestamp::now().unix_micros())
            .fetch_one(&self.write)
            .await
            .map_err(Db::store_error)?;
        row.try_into()
    }

    async fn channels(
        &self,
        viewer: Option<AccountId>,
        server: Option<ServerId>,
    ) -> StoreResult<Vec<Channel>> {
        let sql = "SELECT c.id, c.server_id, c.owner_id, c.name, c.description, c.created_at, c.updated_at \
             FROM channels c JOIN servers s ON s.id = c.server_id \
             WHERE ($1 IS NULL OR c.server_id = $1) AND (NOT s.is_private OR EXISTS \
             (SELECT 1 FROM memberships m WHERE m.server_id = s.id AND m.account_id = $2)) \
             ORDER BY c.id";
        let rows: Vec<ChannelRow> = sqlx::query_as(sql)
            .bind(server.map(|s| s.0))
            .bind(viewer.map(|v| v.0))
            .fetch_all(&self.read)
            .await
            .map_err(Db::store_error)?;
        rows.into_iter().map(Channel::try_from).collect()
    }

    async fn channel(&self, id: ChannelId) -> StoreResult<Option<Channel>> {
        if let Some(direct) = &self.direct {
            return crate::sqlite::reads::channel(direct, id);
        }
        let row: Option<ChannelRow> = sqlx::query_as(CHANNEL)
            .bind(id.0)
            .fetch_optional(&self.read)
            .await
            .map_err(Db::store_error)?;
        row.map(Channel::try_from).transpose()
    }

    async fn update_channel(
        &self,
        id: ChannelId,
        changes: &ChannelChanges,
    ) -> StoreResult<Option<Channel>> {
        let sql = concat!(
            "UPDATE channels SET name = COALESCE($2, name), \
             description = CASE WHEN $3 THEN $4 ELSE description END, updated_at = $5 \
             WHERE id = $1 AND server_id IS NOT NULL RETURNING ",
            channel_columns!()
        );
        let row: Option<ChannelRow> = sqlx::query_as(sql)
            .bind(id.0)
            .bind(changes.name.as_ref().map(|n| n.as_str()))
            .bind(changes.description.is_some())
            .bind(
                changes
                    .description
                    .as_ref()
                    .and_then(|d| d.as_ref().map(|d| d.as_str())),
            )
            .bind(Timestamp::now().unix_micros())
            .fetch_optional(&self.write)
            .await
            .map_err(Db::store_error)?;
        row.map(Channel::try_from).transpose()
    }

    async fn delete_channel(&self, id: ChannelId) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM channels WHERE id = $1 AND server_id IS NOT NULL")
            .bind(id.0)
            .execute(&self.write)
            .await
            .map_err(Db::store_error)?;
        Ok(done.rows_affected() == 1)
    }
}
