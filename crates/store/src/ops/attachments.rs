//! [`AttachmentStore`], for both dialects: images uploaded for messages, each its
//! uploader's until one message uses it (see `messages::claim_attachments`).

use super::Db;
use crate::dialect::Dialect;
use crate::store::SqlStore;
use async_trait::async_trait;
use pingme_domain::messages::{Attachment, NewAttachment};
use pingme_domain::store::{AttachmentStore, StoreResult};
use pingme_domain::{AccountId, AttachmentId, Timestamp};

#[async_trait]
impl AttachmentStore for SqlStore<Db> {
    async fn create_attachment(
        &self,
        new: &NewAttachment,
        max_unused: usize,
        since: Timestamp,
    ) -> StoreResult<Option<Attachment>> {
        let mut tx = self.begin_write().await?;
        // One upload of an account at a time decides against its count (where rows lock).
        if Db::ROW_LOCKS {
            sqlx::query(Db::SQL.lock_account)
                .bind(new.owner.0)
                .execute(&mut *tx)
                .await
                .map_err(Db::store_error)?;
        }
        // What expired does not count, whether or not a sweep has run since.
        sqlx::query(
            "DELETE FROM attachments WHERE owner_id = $1 AND message_id IS NULL AND created_at < $2",
        )
        .bind(new.owner.0)
        .bind(since.unix_micros())
        .execute(&mut *tx)
        .await
        .map_err(Db::store_error)?;
        let unused: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM attachments WHERE owner_id = $1 AND message_id IS NULL",
        )
        .bind(new.owner.0)
        .fetch_one(&mut *tx)
        .await
        .map_err(Db::store_error)?;
        if unused >= max_unused as i64 {
            tx.commit().await.map_err(Db::store_error)?;
            return Ok(None);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO attachments (owner_id, key, width, height, content_type, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(new.owner.0)
        .bind(&new.key)
        .bind(i64::from(new.width))
        .bind(i64::from(new.height))
        .bind(&new.content_type)
        .bind(Timestamp::now().unix_micros())
        .fetch_one(&mut *tx)
        .await
        .map_err(Db::store_error)?;
        tx.commit().await.map_err(Db::store_error)?;
        Ok(Some(Attachment {
            id: AttachmentId(id),
            key: new.key.clone(),
            width: new.width,
            height: new.height,
            content_type: new.content_type.clone(),
        }))
    }

    async fn delete_attachment(&self, id: AttachmentId, owner: AccountId) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        let gone = sqlx::query(
            "DELETE FROM attachments WHERE id = $1 AND owner_id = $2 AND message_id IS NULL",
        )
        .bind(id.0)
        .bind(owner.0)
        .execute(&mut *tx)
        .await
        .map_err(Db::store_error)?
        .rows_affected();
        tx.commit().await.map_err(Db::store_error)?;
        Ok(gone > 0)
    }

    async fn expire_attachments(&self, before: Timestamp) -> StoreResult<Vec<String>> {
        let mut tx = self.begin_write().await?;
        let keys: Vec<String> = sqlx::query_scalar(
            "DELETE FROM attachments WHERE message_id IS NULL AND created_at < $1 RETURNING key",
        )
        .bind(before.unix_micros())
        .fetch_all(&mut *tx)
        .await
        .map_err(Db::store_error)?;
        tx.commit().await.map_err(Db::store_error)?;
        Ok(keys)
    }

    async fn attachment_keys(&self, folder: &str) -> StoreResult<Vec<String>> {
        // The keys under `folder/`: from `folder/` up to, not including, `folder0` ('0'
        // follows '/').
        let start = format!("{}/", folder.trim_end_matches('/'));
        let end = format!("{}0", folder.trim_end_matches('/'));
        sqlx::query_scalar(Db::SQL.attachment_keys)
            .bind(start)
            .bind(end)
            .fetch_all(&self.write)
            .await
            .map_err(Db::store_error)
    }
}
