//! Deleting an account, for both dialects: the servers it owns handed to their first
//! members (or deleted with it when nobody else is in them), its channels to their servers'
//! owners, its direct messages with nobody else in them deleted.

use super::{Conn, Db};
use crate::dialect::Dialect;
use crate::store::SqlStore;
use pingme_domain::store::StoreResult;
use pingme_domain::{AccountId, ServerId};

impl SqlStore<Db> {
    pub(super) async fn delete_account_once(
        &self,
        id: AccountId,
    ) -> StoreResult<Option<Vec<ServerId>>> {
        let mut tx = self.begin_write().await?;
        if Db::ROW_LOCKS {
            let found: Option<i64> = sqlx::query_scalar(Db::SQL.lock_account)
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Db::store_error)?;
            if found.is_none() {
                return Ok(None);
            }
        }
        let owned: Vec<i64> = sqlx::query_scalar(Db::SQL.owned_servers)
            .bind(id.0)
            .fetch_all(&mut *tx)
            .await
            .map_err(Db::store_error)?;
        let mut deleted = Vec::new();
        for server in owned {
            if pass_on(&mut tx, server, id.0).await? {
                deleted.push(ServerId(server));
            }
        }
        sqlx::query(
            "UPDATE channels SET owner_id = (SELECT owner_id FROM servers WHERE servers.id = channels.server_id) \
             WHERE owner_id = $1",
        )
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(Db::store_error)?;
        // Its direct messages with nobody else left in them go; the others stay, its
        // messages there shown as "Deleted User".
        sqlx::query(
            "DELETE FROM channels WHERE server_id IS NULL \
             AND id IN (SELECT channel_id FROM dm_members WHERE account_id = $1) \
             AND NOT EXISTS (SELECT 1 FROM dm_members o \
             WHERE o.channel_id = channels.id AND o.account_id <> $1)",
        )
        .bind(id.0)
        .execute(&mut *tx)
        .await
        .map_err(Db::store_error)?;
        let done = sqlx::query("DELETE FROM accounts WHERE id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(Db::store_error)?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        tx.commit().await.map_err(Db::store_error)?;
        Ok(Some(deleted))
    }
}

/// Hands one server of a departing owner to the member who joined it first, or deletes it
/// when nobody else is in it; `true` when it was deleted. The caller holds the server (its
/// row lock, or the whole database), so no member can leave or be banned between the choice
/// and the update.
async fn pass_on(tx: &mut Conn, server: i64, owner: i64) -> StoreResult<bool> {
    let heir: Option<i64> = sqlx::query_scalar(
        "SELECT account_id FROM memberships WHERE server_id = $1 AND account_id <> $2 \
         ORDER BY joined_at, account_id LIMIT 1",
    )
    .bind(server)
    .bind(owner)
    .fetch_optional(&mut *tx)
    .await
    .map_err(Db::store_error)?;
    let query = match heir {
        Some(heir) => sqlx::query("UPDATE servers SET owner_id = $2 WHERE id = $1")
            .bind(server)
            .bind(heir),
        // Channels, memberships, bans and invites go with it (ON DELETE CASCADE).
        None => sqlx::query("DELETE FROM servers WHERE id = $1").bind(server),
    };
    query.execute(&mut *tx).await.map_err(Db::store_error)?;
    Ok(heir.is_none())
}
