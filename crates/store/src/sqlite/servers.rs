//! [`ServerStore`] on SQLite. A listing takes three queries whatever its size — the
//! servers, then all their channels, then all their members — inside one read transaction,
//! so the three agree with each other.

use super::{SqliteStore, json_ids, store_error};
use crate::rows::channels::{ChannelRow, channel_columns};
use crate::rows::servers::{BANS, BanRow, MemberRow, ServerRow, assemble};
use async_trait::async_trait;
use pingme_domain::community::{
    Ban, Banned, FIRST_CHANNEL, Joined, Left, NewServer, Server, ServerChanges, ServerQuery,
    Standing,
};
use pingme_domain::store::{ServerStore, StoreError, StoreResult};
use pingme_domain::{AccountId, ServerId, Timestamp};
use sqlx::SqliteConnection;

/// `$1` category name, `$2` server id, `$3` a member, `$4` another member, `$5` the viewer,
/// `$6` whether private servers count regardless of the viewer, `$7` how many.
const SELECT: &str = "SELECT s.id, s.name, s.description, s.owner_id, a.login AS owner_login, \
     s.category_id, c.name AS category_name, s.is_private, s.icon, s.banner, s.created_at, s.updated_at \
     FROM servers s JOIN accounts a ON a.id = s.owner_id JOIN categories c ON c.id = s.category_id \
     WHERE ($1 IS NULL OR c.name = $1) AND ($2 IS NULL OR s.id = $2) \
     AND ($3 IS NULL OR EXISTS (SELECT 1 FROM memberships m WHERE m.server_id = s.id AND m.account_id = $3)) \
     AND ($4 IS NULL OR EXISTS (SELECT 1 FROM memberships m WHERE m.server_id = s.id AND m.account_id = $4)) \
     AND ($6 OR s.is_private = 0 OR EXISTS \
         (SELECT 1 FROM memberships m WHERE m.server_id = s.id AND m.account_id = $5)) \
     ORDER BY s.id LIMIT COALESCE($7, -1)";

/// Selects servers, with everything each one shows, in three queries.
async fn select(
    conn: &mut SqliteConnection,
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
    let ids = json_ids(rows.iter().map(|r| r.id));
    let channel_rows: Vec<ChannelRow> = sqlx::query_as(concat!(
        "SELECT ",
        channel_columns!(),
        " FROM channels WHERE server_id IN (SELECT value FROM json_each($1)) ORDER BY id"
    ))
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(store_error)?;
    let member_rows: Vec<MemberRow> = sqlx::query_as(
        "SELECT server_id, account_id FROM memberships \
         WHERE server_id IN (SELECT value FROM json_each($1)) ORDER BY server_id, account_id",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await
    .map_err(store_error)?;
    assemble(rows, channel_rows, member_rows)
}

#[async_trait]
impl ServerStore for SqliteStore {
    async fn create_server(&self, new: &NewServer) -> StoreResult<Server> {
        let now = Timestamp::now().unix_micros();
        let mut tx = self.write_tx().await?;
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
        let mut tx = self.read.begin().await.map_err(store_error)?;
        let found = select(&mut tx, query, false).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(found)
    }

    async fn server(&self, id: ServerId) -> StoreResult<Option<Server>> {
        let mut tx = self.read.begin().await.map_err(store_error)?;
        let found = one(&mut tx, id).await?;
        tx.commit().await.map_err(store_error)?;
        Ok(found)
    }

    async fn standing(&self, server: ServerId, account: AccountId) -> StoreResult<Standing> {
        standing(
            &mut *self.read.acquire().await.map_err(store_error)?,
            server,
            account,
        )
        .await
    }

    async fn bans(&self, server: ServerId) -> StoreResult<Vec<Ban>> {
        let rows: Vec<BanRow> = sqlx::query_as(BANS)
            .bind(server.0)
            .fetch_all(&self.read)
            .await
            .map_err(store_error)?;
        rows.into_iter().map(Ban::try_from).collect()
    }

    async fn update_server(
        &self,
        id: ServerId,
        changes: &ServerChanges,
    ) -> StoreResult<Option<Server>> {
        let mut tx = self.write_tx().await?;
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
        let mut tx = self.write_tx().await?;
        let private: Option<bool> =
            sqlx::query_scalar("SELECT is_private FROM servers WHERE id = $1")
                .bind(server.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(store_error)?;
        let Some(private) = private else {
            return Ok(Joined::NoSuchServer);
        };
        let joined = match standing(&mut tx, server, account).await? {
            Standing::Banned => Joined::Banned,
            Standing::Member => Joined::AlreadyMember,
            Standing::Outsider if private => Joined::Private,
            Standing::Outsider => {
                add_member(&mut tx, server, account).await?;
                Joined::Joined
            }
        };
        tx.commit().await.map_err(store_error)?;
        Ok(joined)
    }

    async fn leave(&self, server: ServerId, account: AccountId) -> StoreResult<Left> {
        let mut tx = self.write_tx().await?;
        if owns(&mut tx, server, account).await? {
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

    async fn transfer_ownership(&self, server: ServerId, to: AccountId) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE servers SET owner_id = $2, updated_at = $3 WHERE id = $1 AND EXISTS \
             (SELECT 1 FROM memberships m WHERE m.server_id = $1 AND m.account_id = $2)",
        )
        .bind(server.0)
        .bind(to.0)
        .bind(Timestamp::now().unix_micros())
        .execute(&self.write)
        .await
        .map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn ban(&self, server: ServerId, account: AccountId) -> StoreResult<Banned> {
        let mut tx = self.write_tx().await?;
        if owns(&mut tx, server, account).await? {
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

    async fn unban(&self, server: ServerId, account: AccountId) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM bans WHERE server_id = $1 AND account_id = $2")
            .bind(server.0)
            .bind(account.0)
            .execute(&self.write)
            .await
            .map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn delete_server(&self, id: ServerId) -> StoreResult<bool> {
        // Channels, memberships, bans and invites go with it (ON DELETE CASCADE).
        let done = sqlx::query("DELETE FROM servers WHERE id = $1")
            .bind(id.0)
            .execute(&self.write)
            .await
            .map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }
}

/// One server, private or not, read on the given connection.
async fn one(conn: &mut SqliteConnection, id: ServerId) -> StoreResult<Option<Server>> {
    let query = ServerQuery {
        id: Some(id),
        ..ServerQuery::default()
    };
    Ok(select(conn, &query, true).await?.pop())
}

pub(super) async fn standing(
    conn: &mut SqliteConnection,
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

async fn owns(
    conn: &mut SqliteConnection,
    server: ServerId,
    account: AccountId,
) -> StoreResult<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM servers WHERE id = $1 AND owner_id = $2)")
        .bind(server.0)
        .bind(account.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(store_error)
}

pub(super) async fn add_member(
    conn: &mut SqliteConnection,
    server: ServerId,
    account: AccountId,
) -> StoreResult<()> {
    sqlx::query("INSERT INTO memberships (server_id, account_id, joined_at) VALUES ($1, $2, $3)")
        .bind(server.0)
        .bind(account.0)
        .bind(Timestamp::now().unix_micros())
        .execute(&mut *conn)
        .await
        .map_err(store_error)?;
    Ok(())
}
