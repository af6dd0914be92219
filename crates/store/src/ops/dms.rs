//! [`DmStore`], for both dialects: direct messages (channels without a server, migration
//! 0012) and blocks. Each write is one transaction.

use super::{Conn, Db, Tx};
use crate::dialect::Dialect;
use crate::rows::accounts::{AccountRow, account_columns};
use crate::rows::time;
use crate::store::SqlStore;
use async_trait::async_trait;
use pingme_domain::account::Account;
use pingme_domain::dms::{Dm, DmOpening, DmPeople, Home, LeftDm, key_is_group};
use pingme_domain::store::{DmStore, StoreResult};
use pingme_domain::{AccountId, ChannelId, ServerId, Timestamp};

/// What stands between the opener (`$1`) and one recipient (`$2`): whether the recipient is
/// an active account, shares a server or a direct message with the opener, and whether a
/// block stands between them, either way. No row: no such account.
const STANDING: &str = "SELECT a.is_active, \
     (EXISTS (SELECT 1 FROM memberships x JOIN memberships y ON y.server_id = x.server_id \
     WHERE x.account_id = $1 AND y.account_id = a.id) \
     OR EXISTS (SELECT 1 FROM dm_members x JOIN dm_members y ON y.channel_id = x.channel_id \
     WHERE x.account_id = $1 AND y.account_id = a.id)) AS known, \
     EXISTS (SELECT 1 FROM blocks b WHERE (b.blocker_id = $1 AND b.blocked_id = a.id) \
     OR (b.blocker_id = a.id AND b.blocked_id = $1)) AS blocked \
     FROM accounts a WHERE a.id = $2";

/// `(channel, key, created_at, member)` for each person of each direct message of `$1`, by
/// channel, then person.
const DMS_OF: &str = "SELECT c.id, c.dm_key, c.created_at, m.account_id \
     FROM dm_members mine JOIN channels c ON c.id = mine.channel_id \
     JOIN dm_members m ON m.channel_id = c.id \
     WHERE mine.account_id = $1 ORDER BY c.id, m.account_id";

/// As [`DMS_OF`], of the one direct message `$2`.
const DM_OF: &str = "SELECT c.id, c.dm_key, c.created_at, m.account_id \
     FROM dm_members mine JOIN channels c ON c.id = mine.channel_id \
     JOIN dm_members m ON m.channel_id = c.id \
     WHERE mine.account_id = $1 AND c.id = $2 ORDER BY c.id, m.account_id";

type DmRow = (i64, Option<String>, i64, i64);

/// Direct messages from their rows ([`DMS_OF`]).
fn assemble(rows: Vec<DmRow>) -> StoreResult<Vec<Dm>> {
    let mut dms: Vec<Dm> = Vec::new();
    for (id, key, created_at, member) in rows {
        match dms.last_mut() {
            Some(dm) if dm.id.0 == id => dm.members.push(AccountId(member)),
            _ => dms.push(Dm {
                id: ChannelId(id),
                members: vec![AccountId(member)],
                group: key.as_deref().is_some_and(key_is_group),
                created_at: time(created_at)?,
            }),
        }
    }
    Ok(dms)
}

async fn dm_of(conn: &mut Conn, channel: ChannelId, account: AccountId) -> StoreResult<Option<Dm>> {
    let rows: Vec<DmRow> = sqlx::query_as(DM_OF)
        .bind(account.0)
        .bind(channel.0)
        .fetch_all(conn)
        .await
        .map_err(Db::store_error)?;
    Ok(assemble(rows)?.pop())
}

/// Why these people cannot have a direct message, if anything stands in the way.
async fn hindrance(tx: &mut Tx, people: &DmPeople) -> StoreResult<Option<DmOpening>> {
    let (mut unknown, mut strangers, mut blocked) = (Vec::new(), Vec::new(), Vec::new());
    for recipient in &people.recipients {
        let row: Option<(bool, bool, bool)> = sqlx::query_as(STANDING)
            .bind(people.opener.0)
            .bind(recipient.0)
            .fetch_optional(&mut **tx)
            .await
            .map_err(Db::store_error)?;
        match row {
            None | Some((false, _, _)) => unknown.push(*recipient),
            Some((true, _, true)) => blocked.push(*recipient),
            Some((true, false, false)) => strangers.push(*recipient),
            Some((true, true, false)) => {}
        }
    }
    Ok(if !unknown.is_empty() {
        Some(DmOpening::Unknown(unknown))
    } else if !blocked.is_empty() {
        Some(DmOpening::Blocked(blocked))
    } else if !strangers.is_empty() {
        Some(DmOpening::Strangers(strangers))
    } else {
        None
    })
}

/// The channel of these people, made if there is none; whether it was made now.
async fn channel_of(tx: &mut Tx, people: &DmPeople, now: i64) -> StoreResult<(i64, bool)> {
    let key = people.key();
    let made: Option<i64> = sqlx::query_scalar(
        "INSERT INTO channels (server_id, owner_id, name, description, created_at, updated_at, \
         dm_key) VALUES (NULL, NULL, '', NULL, $1, $1, $2) \
         ON CONFLICT (dm_key) DO NOTHING RETURNING id",
    )
    .bind(now)
    .bind(&key)
    .fetch_optional(&mut **tx)
    .await
    .map_err(Db::store_error)?;
    if let Some(id) = made {
        return Ok((id, true));
    }
    let id: i64 = sqlx::query_scalar("SELECT id FROM channels WHERE dm_key = $1")
        .bind(&key)
        .fetch_one(&mut **tx)
        .await
        .map_err(Db::store_error)?;
    Ok((id, false))
}

#[async_trait]
impl DmStore for SqlStore<Db> {
    async fn open_dm(&self, people: &DmPeople) -> StoreResult<DmOpening> {
        let mut tx = self.begin_write().await?;
        // The rows the new ones' foreign keys lock, in id order, before anything is read.
        super::messages::share_accounts(&mut tx, people.everyone()).await?;
        if let Some(hindrance) = hindrance(&mut tx, people).await? {
            return Ok(hindrance);
        }
        let now = Timestamp::now().unix_micros();
        let (channel, created) = channel_of(&mut tx, people, now).await?;
        let mut joined = Vec::new();
        for person in people.everyone() {
            let done = sqlx::query(
                "INSERT INTO dm_members (channel_id, account_id, joined_at) VALUES ($1, $2, $3) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(channel)
            .bind(person.0)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(Db::store_error)?;
            if done.rows_affected() == 1 {
                joined.push(person);
            }
        }
        let dm = dm_of(&mut tx, ChannelId(channel), people.opener).await?;
        tx.commit().await.map_err(Db::store_error)?;
        let dm = dm.ok_or_else(|| {
            pingme_domain::store::StoreError::Other("a direct message just opened is gone".into())
        })?;
        Ok(DmOpening::Opened {
            dm,
            created,
            joined,
        })
    }

    async fn channel_home(&self, channel: ChannelId) -> StoreResult<Option<Home>> {
        let row: Option<Option<i64>> =
            sqlx::query_scalar("SELECT server_id FROM channels WHERE id = $1")
                .bind(channel.0)
                .fetch_optional(&self.read)
                .await
                .map_err(Db::store_error)?;
        Ok(row.map(|server| server.map_or(Home::Dm, |s| Home::Server(ServerId(s)))))
    }

    async fn dm(&self, channel: ChannelId, account: AccountId) -> StoreResult<Option<Dm>> {
        let mut conn = self.read.acquire().await.map_err(Db::store_error)?;
        dm_of(&mut conn, channel, account).await
    }

    async fn dms(&self, account: AccountId) -> StoreResult<Vec<Dm>> {
        let rows: Vec<DmRow> = sqlx::query_as(DMS_OF)
            .bind(account.0)
            .fetch_all(&self.read)
            .await
            .map_err(Db::store_error)?;
        assemble(rows)
    }

    async fn leave_dm(&self, channel: ChannelId, account: AccountId) -> StoreResult<LeftDm> {
        let mut tx = self.begin_write().await?;
        if Db::ROW_LOCKS {
            // The channel first, as its message writers lock it: two last people leaving at
            // once take turns (the second one empties it), and a send cannot deadlock with it.
            sqlx::query("SELECT id FROM channels WHERE id = $1 AND server_id IS NULL FOR UPDATE")
                .bind(channel.0)
                .execute(&mut *tx)
                .await
                .map_err(Db::store_error)?;
        }
        let Some(dm) = dm_of(&mut tx, channel, account).await? else {
            return Ok(LeftDm::NotIn);
        };
        if !dm.group {
            return Ok(LeftDm::NotAGroup);
        }
        sqlx::query("DELETE FROM dm_members WHERE channel_id = $1 AND account_id = $2")
            .bind(channel.0)
            .bind(account.0)
            .execute(&mut *tx)
            .await
            .map_err(Db::store_error)?;
        let emptied = dm.members.len() == 1;
        if emptied {
            sqlx::query("DELETE FROM channels WHERE id = $1 AND server_id IS NULL")
                .bind(channel.0)
                .execute(&mut *tx)
                .await
                .map_err(Db::store_error)?;
        }
        tx.commit().await.map_err(Db::store_error)?;
        Ok(LeftDm::Left { emptied })
    }

    async fn dm_audience(
        &self,
        channel: ChannelId,
        actor: AccountId,
    ) -> StoreResult<Vec<AccountId>> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT d.account_id FROM dm_members d WHERE d.channel_id = $1 AND NOT EXISTS \
             (SELECT 1 FROM blocks b WHERE b.blocker_id = d.account_id AND b.blocked_id = $2) \
             ORDER BY d.account_id",
        )
        .bind(channel.0)
        .bind(actor.0)
        .fetch_all(&self.read)
        .await
        .map_err(Db::store_error)?;
        Ok(ids.into_iter().map(AccountId).collect())
    }

    async fn block(&self, blocker: AccountId, blocked: AccountId) -> StoreResult<bool> {
        let mut tx = self.begin_write().await?;
        super::messages::share_accounts(&mut tx, sorted([blocker, blocked])).await?;
        let done = sqlx::query(
            "INSERT INTO blocks (blocker_id, blocked_id, created_at) \
             SELECT $1, id, $3 FROM accounts WHERE id = $2 ON CONFLICT DO NOTHING",
        )
        .bind(blocker.0)
        .bind(blocked.0)
        .bind(Timestamp::now().unix_micros())
        .execute(&mut *tx)
        .await
        .map_err(Db::store_error)?;
        let exists = done.rows_affected() == 1
            || sqlx::query_scalar::<_, bool>(
                "SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)",
            )
            .bind(blocked.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(Db::store_error)?;
        tx.commit().await.map_err(Db::store_error)?;
        Ok(exists)
    }

    async fn unblock(&self, blocker: AccountId, blocked: AccountId) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2")
            .bind(blocker.0)
            .bind(blocked.0)
            .execute(&self.write)
            .await
            .map_err(Db::store_error)?;
        Ok(done.rows_affected() == 1)
    }

    async fn blocked(&self, blocker: AccountId) -> StoreResult<Vec<Account>> {
        let rows: Vec<AccountRow> = sqlx::query_as(concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE id IN (SELECT blocked_id FROM blocks WHERE blocker_id = $1) \
             ORDER BY id"
        ))
        .bind(blocker.0)
        .fetch_all(&self.read)
        .await
        .map_err(Db::store_error)?;
        rows.into_iter().map(Account::try_from).collect()
    }
}

fn sorted(mut accounts: [AccountId; 2]) -> [AccountId; 2] {
    accounts.sort_unstable();
    accounts
}
