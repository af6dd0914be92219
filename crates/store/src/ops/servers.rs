//! [`ServerStore`], for both dialects. A listing's three queries (see `select`) run in one
//! snapshot, so they agree with each other: on Postgres a `REPEATABLE READ` transaction, as
//! under its default `READ COMMITTED` each query would read its own.
//!
//! Where the dialect locks rows, writes that decide on a server's state hold its row first
//! (shared for joins and leaves, exclusive for bans and handovers); SQLite's one writer holds
//! everything already.

use super::select::{add_member, lock, one, select, standing};
use super::{Db, people};
use crate::dialect::Dialect;
use crate::rows::servers::{BANS, BanRow, DirectoryVersionRow};
use crate::store::SqlStore;
use async_trait::async_trait;
use pingme_domain::account::{Account, AccountPage};
use pingme_domain::community::{
    Ban, Banned, DirectoryVersion, FIRST_CHANNEL, Joined, Left, NewServer, Server, ServerChanges,
    ServerQuery, Standing,
};
use pingme_domain::search::search_key;
use pingme_domain::store::{ServerStore, StoreError, StoreResult};
use pingme_domain::{AccountId, ServerId, Timestamp};

#[async_trait]
impl ServerStore for SqlStore<Db> {
    async fn create_server(&self, new: &NewServer) -> StoreResult<Server> {
        let now = Timestamp::now().unix_micros();
        let mut tx = self.begin_write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO servers (name, name_key, description, owner_id, category_id, is_private, created_at, updated_at) \
             VALUES ($1, $7, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(new.name.as_str())
        .bind(new.description.as_ref().map(|d| d.as_str()))
        .bind(new.owner.0)
        .bind(new.category.0)
        .bind(new.is_private)
        .bind(now)
        .bind(search_key(new.name.as_str()))
        .fetch_one(&mut *tx)
        .await
        .map_err(Db::store_error)?;
        sqlx::query(
            "INSERT INTO memberships (server_id, account_id, joined_at) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(new.owner.0)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(Db::store_error)?;
        let (name, description) = FIRST_CHANNEL;
        sqlx::query(
            "INSERT INTO channels (server_id, owner_id, name, description, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(id)
        .bind(new.owner.0)
        .bind(name)
        .bind(description)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(Db::store_error)?;
        let created = one(&mut tx, ServerId(id)).await?;
        tx.commit().await.map_err(Db::store_error)?;
        created.ok_or_else(|| StoreError::Other("the new server vanished".into()))
    }

    async fn servers(&self, query: &ServerQuery) -> StoreResult<Vec<Server>> {
        // A search by name scans the servers' names: it stays on sqlx.
        if let Some(direct) = self.direct.as_ref().filter(|_| query.name.is_none()) {
            return crate::sqlite::reads::servers(direct, query);
        }
        let mut tx = Db::begin_snapshot(&self.read).await?;
        let found = select(&mut tx, query, false).await?;
        tx.commit().await.map_err(Db::store_error)?;
        Ok(found)
    }

    async fn directory_version(&self) -> StoreResult<DirectoryVersion> {
        if let Some(direct) = &self.direct {
            return crate::sqlite::reads::directory_version(direct);
        }
        let row: DirectoryVersionRow = sqlx::query_as(Db::SQL.directory_version)
            .fetch_one(&self.read)
            .await
            .map_err(Db::store_error)?;
        Ok(row.into())
    }

    async fn server(&self, id: ServerId) -> StoreResult<Option<Server>> {
        let mut tx = Db::begin_snapshot(&self.read).await?;
        let found = one(&mut tx, id).await?;
        tx.commit().await.map_err(Db::store_error)?;
        Ok(found)
    }

    async fn standing(&self, server: ServerId, account: AccountId) -> StoreResult<Standing> {
        if let Some(direct) = &self.direct {
            return crate::sqlite::reads::standing(direct, server, account);
        }
        let mut conn = self.read.acquire().await.map_err(Db::store_error)?;
        standing(&mut conn, server, account).await
    }

    async fn members(&self, server: ServerId, page: AccountPage) -> StoreResult<Vec<Account>> {
        people::members(&self.read, server, page).await
    }

    async fn share_a_server(&self, one: AccountId, other: AccountId) -> StoreResult<bool> {
        people::share_a_server(&self.read, one, other).await
    }

    async fn memberships(&self, account: AccountId) -> StoreResult<Vec<ServerId>> {
        people::memberships(&self.read, account).await
    }

    async fn small_servers_of(&self, account: AccountId, up_to: u32) -> StoreResult<Vec<ServerId>> {
        people::small_servers_of(&self.read, account, up_to).await
    }

    async fn bans(&self, server: ServerId) -> StoreResult<Vec<Ban>> {
        let rows: Vec<BanRow> = sqlx::query_as(BANS)
            .bind(server.0)
            .fetch_all(&self.read)
            .await
            .map_err(Db::store_error)?;
        rows.into_iter().map(Ban::try_from).collect()
    }

    /// The `UPDATE` locks the row itself (as an exclusive hold does), so a join waiting on
    /// it sees the server private once this commits.
    async fn update_server(
        &self,
        id: ServerId,
        changes: &ServerChanges,
    ) -> StoreResult<Option<Server>> {
        let mut tx = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE servers SET name = COALESCE($2, name), name_key = COALESCE($12, name_key), \
             description = CASE WHEN $3 THEN $4 ELSE description END, \
             category_id = COALESCE($5, category_id), is_private = COALESCE($6, is_private), \
             icon = CASE WHEN $7 THEN $8 ELSE icon END, banner = CASE WHEN $9 THEN $10 ELSE banner END, \
             updated_at = $11 WHERE id = $1",
        )
        .bind(id.0)
        .bind(changes.name.as_ref().map(|n| n.as_str()))
        .bind(changes.description.is_some())
        .bind(changes.description.as_ref().and_then(|d| d.as_ref().map(|d| d.as_str())))
        .bind(changes.category.map(|c| c.0))
        .bind(changes.is_private)
        .bind(changes.icon.is_some())
        .bind(changes.icon.as_ref().and_then(|i| i.as_deref()))
        .bind(changes.banner.is_some())
        .bind(changes.banner.as_ref().and_then(|b| b.as_deref()))
        .bind(Timestamp::now().unix_micros())
        .bind(changes.name.as_ref().map(|n| search_key(n.as_str())))
        .execute(&mut *tx)
        .await
        .map_err(Db::store_error)?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let updated = one(&mut tx, id).await?;
        tx.commit().await.map_err(Db::store_error)?;
        Ok(updated)
    }

    async fn join(&self, server: ServerId, account: AccountId) -> StoreResult<Joined> {
        let mut tx = self.begin_write().await?;
        let Some(locked) = lock(&mut tx, server, Db::SQL.server_shared).await? else {
            return Ok(Joined::NoSuchServer);
        };
        let joined = match standing(&mut tx, server, account).await? {
            Standing::Banned => Joined::Banned,
            Standing::Member => Joined::AlreadyMember,
            Standing::Outsider if locked.is_private => Joined::Private,
            // A join of the same account beside this one may have got in first.
            Standing::Outsider => match add_member(&mut tx, server, account).await? {
                true => Joined::Joined,
                false => Joined::AlreadyMember,
            },
        };
        tx.commit().await.map_err(Db::store_error)?;
        Ok(joined)
    }

    async fn leave(&self, server: ServerId, account: AccountId) -> StoreResult<Left> {
        let mut tx = self.begin_write().await?;
        let locked = lock(&mut tx, server, Db::SQL.server_shared).await?;
        if locked.is_some_and(|s| s.owner_id == account.0) {
            return Ok(Left::Owner);
        }
        let done = sqlx::query("DELETE FROM memberships WHERE server_id = $1 AND account_id = $2")
            .bind(server.0)
            .bind(account.0)
            .execute(&mut *tx)
            .await
            .map_err(Db::store_error)?;
        tx.commit().await.map_err(Db::store_error)?;
        Ok(if done.rows_affected() == 1 {
            Left::Left
        } else {
            Left::NotMember
        })
    }

    /// With row locks, the membership is checked after the lock, not in the `UPDATE` alone:
    /// an `UPDATE` that waited for a `leave` would still judge by the snapshot it started
    /// with. Without, the one statement is the whole transaction.
    async fn transfer_ownership(&self, server: ServerId, to: AccountId) -> StoreResult<bool> {
        let update = sqlx::query(
            "UPDATE servers SET owner_id = $2, updated_at = $3 WHERE id = $1 AND EXISTS \
             (SELECT 1 FROM memberships m WHERE m.server_id = $1 AND m.account_id = $2)",
        )
        .bind(server.0)
        .bind(to.0)
        .bind(Timestamp::now().unix_micros());
        if !Db::ROW_LOCKS {
            let done = update.execute(&self.write).await.map_err(Db::store_error)?;
            return Ok(done.rows_affected() == 1);
        }
        let mut tx = self.begin_write().await?;
        if lock(&mut tx, server, Db::SQL.server_exclusive)
            .await?
            .is_none()
        {
            return Ok(false);
        }
        let done = update.execute(&mut *tx).await.map_err(Db::store_error)?;
        tx.commit().await.map_err(Db::store_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn ban(&self, server: ServerId, account: AccountId) -> StoreResult<Banned> {
        let mut tx = self.begin_write().await?;
        // No such server: the ban's insert below fails on its foreign key.
        let locked = lock(&mut tx, server, Db::SQL.server_exclusive).await?;
        if locked.is_some_and(|s| s.owner_id == account.0) {
            return Ok(Banned::Owner);
        }
        let removed =
            sqlx::query("DELETE FROM memberships WHERE server_id = $1 AND account_id = $2")
                .bind(server.0)
                .bind(account.0)
                .execute(&mut *tx)
                .await
                .map_err(Db::store_error)?;
        sqlx::query("INSERT INTO bans (server_id, account_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(server.0)
            .bind(account.0)
            .bind(Timestamp::now().unix_micros())
            .execute(&mut *tx)
            .await
            .map_err(Db::store_error)?;
        tx.commit().await.map_err(Db::store_error)?;
        Ok(Banned::Banned {
            was_member: removed.rows_affected() == 1,
        })
    }

    /// One statement and no lock: it decides nothing but whether the ban was there. A ban
    /// committed while it runs is simply kept, as if it had come after.
    async fn unban(&self, server: ServerId, account: AccountId) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM bans WHERE server_id = $1 AND account_id = $2")
            .bind(server.0)
            .bind(account.0)
            .execute(&self.write)
            .await
            .map_err(Db::store_error)?;
        Ok(done.rows_affected() == 1)
    }

    /// The `DELETE` locks the row before its cascades run, so it waits for a join or ban
    /// holding it and the cascades remove what they committed; an insert that comes after
    /// fails on its foreign key. With row locks, the channels first, in id order, as a batch
    /// of new messages locks them: the cascade would otherwise take the memberships before
    /// the channels, the opposite order, and a busy server's deletion could deadlock with
    /// its messages.
    async fn delete_server(&self, id: ServerId) -> StoreResult<bool> {
        // Channels, memberships, bans and invites go with it (ON DELETE CASCADE).
        let delete = sqlx::query("DELETE FROM servers WHERE id = $1").bind(id.0);
        if !Db::ROW_LOCKS {
            let done = delete.execute(&self.write).await.map_err(Db::store_error)?;
            return Ok(done.rows_affected() == 1);
        }
        let mut tx = self.begin_write().await?;
        sqlx::query(Db::SQL.lock_channels)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(Db::store_error)?;
        let done = delete.execute(&mut *tx).await.map_err(Db::store_error)?;
        tx.commit().await.map_err(Db::store_error)?;
        Ok(done.rows_affected() == 1)
    }
}
