//! [`ServerStore`] on Postgres. A listing takes three queries whatever its size — the
//! servers, then all their channels, then all their members — in one `REPEATABLE READ`
//! transaction: under Postgres's default `READ COMMITTED` each query would read its own
//! snapshot and the three could disagree.
//!
//! Writes run beside each other here, so those that decide on a server's state lock its row
//! first (see [`Lock`]), and read what they decide on in statements after the lock: under
//! `READ COMMITTED` each statement sees everything committed before it started, including
//! whatever the lock waited for.

use super::{PgStore, store_error};
use crate::rows::channels::{ChannelRow, channel_columns};
use crate::rows::servers::{BANS, BanRow, MemberRow, ServerRow, assemble};
use async_trait::async_trait;
use pingme_domain::community::{
    Ban, Banned, FIRST_CHANNEL, Joined, Left, NewServer, Server, ServerChanges, ServerQuery,
    Standing,
};
use pingme_domain::store::{ServerStore, StoreError, StoreResult};
use pingme_domain::{AccountId, ServerId, Timestamp};
use sqlx::PgConnection;

/// `$1` category name, `$2` server id, `$3` a member, `$4` another member, `$5` the viewer,
/// `$6` whether private servers count regardless of the viewer, `$7` how many (`LIMIT NULL`
/// is no limit).
const SELECT: &str = "SELECT s.id, s.name, s.description, s.owner_id, a.login AS owner_login, \
     s.category_id, c.name AS category_name, s.is_private, s.icon, s.banner, s.created_at, s.updated_at \
     FROM servers s JOIN accounts a ON a.id = s.owner_id JOIN categories c ON c.id = s.category_id \
     WHERE ($1 IS NULL OR c.name = $1) AND ($2 IS NULL OR s.id = $2) \
     AND ($3 IS NULL OR EXISTS (SELECT 1 FROM memberships m WHERE m.server_id = s.id AND m.account_id = $3)) \
     AND ($4 IS NULL OR EXISTS (SELECT 1 FROM memberships m WHERE m.server_id = s.id AND m.account_id = $4)) \
     AND ($6 OR NOT s.is_private OR EXISTS \
         (SELECT 1 FROM memberships m WHERE m.server_id = s.id AND m.account_id = $5)) \
     ORDER BY s.id LIMIT $7";

/// Reads of several statements that must agree with each other.
const BEGIN_SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

/// Selects servers, with everything each one shows, in three queries.
async fn select(
    conn: &mut PgConnection,
    query: &ServerQuery,
    all_private: bool,
) -> StoreResult<Vec<Server>> {
    let rows: Vec<ServerRow> = sqlx::query_as(SELECT)
        .bind(query.category.as_deref())
        .bind(query.id.map(|s| s.0))
        .bind(query.member.map(|a| a.0))
        .bind(query.shared_with.map(|a| a.0))
        .bind(query.viewer.map(|a| a.0))
        .bind(all_private)
        .bind(query.limit.map(i64::from))
        .fetch_all(&mut *conn)
        .await
        .map_err(store_error)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let channel_rows: Vec<ChannelRow> = sqlx::query_as(concat!(
        "SELECT ",
        channel_columns!(),
        " FROM channels WHERE server_id = ANY($1) ORDER BY id"
    ))
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(store_error)?;
    let member_rows: Vec<MemberRow> = sqlx::query_as(
        "SELECT server_id, account_id FROM memberships \
         WHERE server_id = ANY($1) ORDER BY server_id, account_id",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(store_error)?;
    assemble(rows, channel_rows, member_rows)
}

#[async_trait]
impl ServerStore for PgStore {
    async fn create_server(&self, new: &NewServer) -> StoreResult<Server> {
        let now = Timestamp::now().unix_micros();
        let mut tx = self.begin().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO servers (name, description, owner_id, category_id, is_private, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
        )
        .bind(new.name.as_str())
        .bind(new.description.as_ref().map(|d| d.as_str()))
        .bind(new.owner.0)
        .bind(new.category.0)
        .bind(new.is_private)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .map_err(store_error)?;
        sqlx::query(
            "INSERT INTO memberships (server_id, account_id, joined_at) VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(new.owner.0)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
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
        .map_err(store_error)?;
        let created = one(&mut tx, ServerId(id)).await?;
        tx.commit().await.map_err(store_error)?;
        created.ok_or_else(|| StoreError::Other("the new server vanished".into()))
    }

    async fn servers(&self, query: &ServerQuery) -> StoreResult<Vec<Server>> {
        let mut tx = self.snapshot().await?;
        let found = select(&mut tx, query, false).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(found)
    }

    async fn server(&self, id: ServerId) -> StoreResult<Option<Server>> {
        let mut tx = self.snapshot().await?;
        let found = one(&mut tx, id).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(found)
    }

    async fn standing(&self, server: ServerId, account: AccountId) -> StoreResult<Standing> {
        standing(
            &mut *self.pool.acquire().await.map_err(store_error)?,
            server,
            account,
        )
        .await
    }

    async fn bans(&self, server: ServerId) -> StoreResult<Vec<Ban>> {
        let rows: Vec<BanRow> = sqlx::query_as(BANS)
            .bind(server.0)
            .fetch_all(&self.pool)
            .await
            .map_err(store_error)?;
        rows.into_iter().map(Ban::try_from).collect()
    }

    /// The `UPDATE` locks the row itself (as [`Lock::Exclusive`] does), so a join waiting on
    /// it sees the server private once this commits.
    async fn update_server(
        &self,
        id: ServerId,
        changes: &ServerChanges,
    ) -> StoreResult<Option<Server>> {
        let mut tx = self.begin().await?;
        let done = sqlx::query(
            "UPDATE servers SET name = COALESCE($2, name), \
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
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        let updated = one(&mut tx, id).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(updated)
    }

    async fn join(&self, server: ServerId, account: AccountId) -> StoreResult<Joined> {
        let mut tx = self.begin().await?;
        let Some(locked) = lock(&mut tx, server, Lock::Shared).await? else {
            return Ok(Joined::NoSuchServer);
        };
        let joined = match standing(&mut tx, server, account).await? {
            Standing::Banned => Joined::Banned,
            Standing::Member => Joined::AlreadyMember,
            Standing::Outsider if locked.is_private => Joined::Private,
            Standing::Outsider => {
                // A join of the same account beside this one may have got in first.
                if add_member(&mut tx, server, account).await? {
                    Joined::Joined
                } else {
                    Joined::AlreadyMember
                }
            }
        };
        tx.commit().await.map_err(store_error)?;
        Ok(joined)
    }

    async fn leave(&self, server: ServerId, account: AccountId) -> StoreResult<Left> {
        let mut tx = self.begin().await?;
        let locked = lock(&mut tx, server, Lock::Shared).await?;
        if locked.is_some_and(|s| s.owner_id == account.0) {
            return Ok(Left::Owner);
        }
        let done = sqlx::query("DELETE FROM memberships WHERE server_id = $1 AND account_id = $2")
            .bind(server.0)
            .bind(account.0)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(if done.rows_affected() == 1 {
            Left::Left
        } else {
            Left::NotMember
        })
    }

    /// The membership is checked after the lock, not in the `UPDATE` alone: an `UPDATE`
    /// that waited for a `leave` would still judge by the snapshot it started with.
    async fn transfer_ownership(&self, server: ServerId, to: AccountId) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        if lock(&mut tx, server, Lock::Exclusive).await?.is_none() {
            return Ok(false);
        }
        let done = sqlx::query(
            "UPDATE servers SET owner_id = $2, updated_at = $3 WHERE id = $1 AND EXISTS \
             (SELECT 1 FROM memberships m WHERE m.server_id = $1 AND m.account_id = $2)",
        )
        .bind(server.0)
        .bind(to.0)
        .bind(Timestamp::now().unix_micros())
        .execute(&mut *tx)
        .await
        .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn ban(&self, server: ServerId, account: AccountId) -> StoreResult<Banned> {
        let mut tx = self.begin().await?;
        // No such server: the ban's insert below fails on its foreign key, as on SQLite.
        let locked = lock(&mut tx, server, Lock::Exclusive).await?;
        if locked.is_some_and(|s| s.owner_id == account.0) {
            return Ok(Banned::Owner);
        }
        let removed =
            sqlx::query("DELETE FROM memberships WHERE server_id = $1 AND account_id = $2")
                .bind(server.0)
                .bind(account.0)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        sqlx::query("INSERT INTO bans (server_id, account_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(server.0)
            .bind(account.0)
            .bind(Timestamp::now().unix_micros())
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
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
            .execute(&self.pool)
            .await
            .map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }

    /// One statement: the `DELETE` locks the row before its cascades run, so it waits for a
    /// join or ban holding it and the cascades remove what they committed; an insert that
    /// comes after fails on its foreign key.
    async fn delete_server(&self, id: ServerId) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        // The channels first, in id order, as a batch of new messages locks them: the cascade
        // below would otherwise take the memberships before the channels, the opposite order,
        // and a busy server's deletion could deadlock with its messages.
        sqlx::query("SELECT id FROM channels WHERE server_id = $1 ORDER BY id FOR UPDATE")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        // Channels, memberships, bans and invites go with it (ON DELETE CASCADE).
        let done = sqlx::query("DELETE FROM servers WHERE id = $1")
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }
}

impl PgStore {
    /// A read-only transaction whose statements all read the same snapshot.
    async fn snapshot(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Postgres>> {
        self.pool
            .begin_with(BEGIN_SNAPSHOT)
            .await
            .map_err(store_error)
    }
}

/// How a write holds a server's row until it commits.
#[derive(Clone, Copy)]
enum Lock {
    /// Joining and leaving: they may run beside each other, not beside an exclusive holder.
    Shared,
    /// Banning and handing the server on: they change who may be a member or who owns it,
    /// so they wait for the joins and leaves under way, and those wait for them. Leaves the
    /// row's key alone, so inserts referencing the server are not held up.
    Exclusive,
}

/// What writes decide on, read under the lock.
#[derive(sqlx::FromRow)]
struct Locked {
    owner_id: i64,
    is_private: bool,
}

/// Locks the server's row for the rest of the transaction; `None` when there is no such
/// server.
async fn lock(
    conn: &mut PgConnection,
    server: ServerId,
    lock: Lock,
) -> StoreResult<Option<Locked>> {
    let sql = match lock {
        Lock::Shared => "SELECT owner_id, is_private FROM servers WHERE id = $1 FOR SHARE",
        Lock::Exclusive => {
            "SELECT owner_id, is_private FROM servers WHERE id = $1 FOR NO KEY UPDATE"
        }
    };
    sqlx::query_as(sql)
        .bind(server.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(store_error)
}

/// One server, private or not, read on the given connection.
async fn one(conn: &mut PgConnection, id: ServerId) -> StoreResult<Option<Server>> {
    let query = ServerQuery {
        id: Some(id),
        ..ServerQuery::default()
    };
    Ok(select(conn, &query, true).await?.pop())
}

pub(super) async fn standing(
    conn: &mut PgConnection,
    server: ServerId,
    account: AccountId,
) -> StoreResult<Standing> {
    let (member, banned): (bool, bool) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM memberships WHERE server_id = $1 AND account_id = $2), \
         EXISTS (SELECT 1 FROM bans WHERE server_id = $1 AND account_id = $2)",
    )
    .bind(server.0)
    .bind(account.0)
    .fetch_one(&mut *conn)
    .await
    .map_err(store_error)?;
    Ok(if banned {
        Standing::Banned
    } else if member {
        Standing::Member
    } else {
        Standing::Outsider
    })
}

/// Adds the membership; `false` when it was already there (a join beside this one won).
pub(super) async fn add_member(
    conn: &mut PgConnection,
    server: ServerId,
    account: AccountId,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO memberships (server_id, account_id, joined_at) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(server.0)
    .bind(account.0)
    .bind(Timestamp::now().unix_micros())
    .execute(&mut *conn)
    .await
    .map_err(store_error)?;
    Ok(done.rows_affected() == 1)
}
