//! [`SessionStore`], for both dialects: login sessions and their one-use refresh tokens.
//!
//! A session is live while its row exists, its refresh token has not expired and its
//! account's token version is the one it started under (`live!`). Dead rows are never shown;
//! an account's go at its next login.

use super::{Conn, Db};
use crate::dialect::Dialect;
use crate::rows::time;
use crate::store::SqlStore;
use async_trait::async_trait;
use pingme_domain::sessions::{
    Ending, LoginSession, MAX_SESSIONS, NewLoginSession, RefreshGrant, Rotation, SessionId,
};
use pingme_domain::store::{SessionStore, StoreError, StoreResult};
use pingme_domain::{AccountId, Timestamp};

/// Live sessions `s` (at the Unix second `$2`) of account `$1`, joined with it as `a`, the
/// most recently used first; `$3` one of them (`ONE`), all but it (`ALL_BUT`) or none (`ALL`,
/// where `$3` is the empty text).
macro_rules! live_ids {
    ($filter:literal) => {
        concat!(
            "SELECT s.id FROM sessions s JOIN accounts a ON a.id = s.account_id \
             WHERE s.account_id = $1 AND s.expires_at > $2 AND s.token_version = a.token_version",
            $filter,
            " ORDER BY s.last_used_at DESC, s.id"
        )
    };
}

/// The condition that a session `s` of account `a` is live at the Unix second `$n`.
macro_rules! live {
    ($n:literal) => {
        concat!(
            "s.expires_at > $",
            $n,
            " AND s.token_version = a.token_version"
        )
    };
}

/// At most this many ids in one statement's list.
const CHUNK: usize = 500;

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: String,
    account_id: i64,
    created_at: i64,
    last_used_at: i64,
    user_agent: String,
    ip: String,
}

impl TryFrom<SessionRow> for LoginSession {
    type Error = StoreError;

    fn try_from(row: SessionRow) -> StoreResult<Self> {
        Ok(Self {
            id: session_id(&row.id)?,
            account: AccountId(row.account_id),
            created_at: time(row.created_at)?,
            last_used_at: time(row.last_used_at)?,
            user_agent: row.user_agent,
            ip: row.ip,
        })
    }
}

fn session_id(text: &str) -> StoreResult<SessionId> {
    SessionId::parse(text).ok_or_else(|| StoreError::Other(format!("session id {text:?}").into()))
}

fn seconds(at: Timestamp) -> i64 {
    at.unix_micros().div_euclid(1_000_000)
}

fn expiry(grant: &RefreshGrant) -> i64 {
    i64::try_from(grant.expires_at).unwrap_or(i64::MAX)
}

/// `$first, $first+1, …` for `n` values: the only text a statement is built from at run time.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The ids of account's live sessions, all of them or as `which` says.
async fn live_ids(
    conn: &mut Conn,
    account: AccountId,
    which: Option<Ending<'_>>,
) -> StoreResult<Vec<SessionId>> {
    let (sql, id) = match which {
        None => (live_ids!(" AND $3 = ''"), ""),
        Some(Ending::One(id)) => (live_ids!(" AND s.id = $3"), id.as_str()),
        Some(Ending::AllBut(id)) => (live_ids!(" AND s.id <> $3"), id.as_str()),
    };
    let ids: Vec<String> = sqlx::query_scalar(sql)
        .bind(account.0)
        .bind(seconds(Timestamp::now()))
        .bind(id)
        .fetch_all(&mut *conn)
        .await
        .map_err(Db::store_error)?;
    ids.iter().map(|id| session_id(id)).collect()
}

async fn delete(conn: &mut Conn, ids: &[SessionId]) -> StoreResult<()> {
    for chunk in ids.chunks(CHUNK) {
        let sql = format!(
            "DELETE FROM sessions WHERE id IN ({})",
            placeholders(1, chunk.len())
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id.as_str());
        }
        query.execute(&mut *conn).await.map_err(Db::store_error)?;
    }
    Ok(())
}

#[async_trait]
impl SessionStore for SqlStore<Db> {
    async fn create_session(&self, new: &NewLoginSession) -> StoreResult<Vec<SessionId>> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "DELETE FROM sessions WHERE account_id = $1 AND (expires_at <= $2 OR token_version <> $3)",
        )
        .bind(new.account.0)
        .bind(seconds(new.at))
        .bind(new.token_version)
        .execute(&mut *tx)
        .await
        .map_err(Db::store_error)?;
        sqlx::query(
            "INSERT INTO sessions (id, account_id, token_version, refresh_jti, expires_at, \
             created_at, last_used_at, user_agent, ip) VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8)",
        )
        .bind(new.id.as_str())
        .bind(new.account.0)
        .bind(new.token_version)
        .bind(&new.refresh.jti)
        .bind(expiry(&new.refresh))
        .bind(new.at.unix_micros())
        .bind(&new.user_agent)
        .bind(&new.ip)
        .execute(&mut *tx)
        .await
        .map_err(Db::store_error)?;
        let live = live_ids(&mut tx, new.account, None).await?;
        let over: Vec<SessionId> = live.into_iter().skip(MAX_SESSIONS as usize).collect();
        delete(&mut tx, &over).await?;
        tx.commit().await.map_err(Db::store_error)?;
        Ok(over)
    }

    /// One statement moves the session on if `jti` is its current token: of two refreshes
    /// with one token, Postgres re-checks the second's `WHERE` on the row the first changed,
    /// so only one rotates, and the other ends the session.
    async fn rotate_session(
        &self,
        id: &SessionId,
        account: AccountId,
        jti: &str,
        next: &RefreshGrant,
        at: Timestamp,
        ip: &str,
    ) -> StoreResult<Rotation> {
        let mut tx = self.begin_write().await?;
        let rotated = sqlx::query(
            "UPDATE sessions SET refresh_jti = $4, expires_at = $5, last_used_at = $6, ip = $7 \
             WHERE id = $1 AND account_id = $2 AND refresh_jti = $3 AND expires_at > $8 \
             AND token_version = (SELECT token_version FROM accounts WHERE id = $2)",
        )
        .bind(id.as_str())
        .bind(account.0)
        .bind(jti)
        .bind(&next.jti)
        .bind(expiry(next))
        .bind(at.unix_micros())
        .bind(ip)
        .bind(seconds(at))
        .execute(&mut *tx)
        .await
        .map_err(Db::store_error)?
        .rows_affected()
            == 1;
        let outcome = if rotated {
            Rotation::Rotated
        } else {
            let ended = sqlx::query("DELETE FROM sessions WHERE id = $1 AND account_id = $2")
                .bind(id.as_str())
                .bind(account.0)
                .execute(&mut *tx)
                .await
                .map_err(Db::store_error)?
                .rows_affected();
            if ended == 0 {
                Rotation::Missing
            } else {
                Rotation::Ended
            }
        };
        tx.commit().await.map_err(Db::store_error)?;
        Ok(outcome)
    }

    async fn session_live(&self, id: &SessionId, account: AccountId) -> StoreResult<bool> {
        const SQL: &str = concat!(
            "SELECT s.id FROM sessions s JOIN accounts a ON a.id = s.account_id \
             WHERE s.id = $1 AND s.account_id = $2 AND ",
            live!(3)
        );
        let found: Option<String> = sqlx::query_scalar(SQL)
            .bind(id.as_str())
            .bind(account.0)
            .bind(seconds(Timestamp::now()))
            .fetch_optional(&self.read)
            .await
            .map_err(Db::store_error)?;
        Ok(found.is_some())
    }

    async fn live_sessions(&self, ids: &[SessionId]) -> StoreResult<Vec<SessionId>> {
        let mut live = Vec::new();
        let now = seconds(Timestamp::now());
        for chunk in ids.chunks(CHUNK) {
            let sql = format!(
                "SELECT s.id FROM sessions s JOIN accounts a ON a.id = s.account_id \
                 WHERE {} AND s.id IN ({})",
                live!(1),
                placeholders(2, chunk.len())
            );
            let mut query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(sql)).bind(now);
            for id in chunk {
                query = query.bind(id.as_str());
            }
            for id in query.fetch_all(&self.read).await.map_err(Db::store_error)? {
                live.push(session_id(&id)?);
            }
        }
        Ok(live)
    }

    async fn sessions(&self, account: AccountId) -> StoreResult<Vec<LoginSession>> {
        const SQL: &str = concat!(
            "SELECT s.id, s.account_id, s.created_at, s.last_used_at, s.user_agent, s.ip \
             FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.account_id = $1 AND ",
            live!(2),
            " ORDER BY s.last_used_at DESC, s.id"
        );
        let rows: Vec<SessionRow> = sqlx::query_as(SQL)
            .bind(account.0)
            .bind(seconds(Timestamp::now()))
            .fetch_all(&self.read)
            .await
            .map_err(Db::store_error)?;
        rows.into_iter().map(LoginSession::try_from).collect()
    }

    async fn touch_session(&self, id: &SessionId, at: Timestamp, ip: &str) -> StoreResult<()> {
        sqlx::query(
            "UPDATE sessions SET last_used_at = $2, ip = $3 WHERE id = $1 AND last_used_at < $2",
        )
        .bind(id.as_str())
        .bind(at.unix_micros())
        .bind(ip)
        .execute(&self.write)
        .await
        .map_err(Db::store_error)?;
        Ok(())
    }

    async fn end_sessions(
        &self,
        account: AccountId,
        which: Ending<'_>,
    ) -> StoreResult<Vec<SessionId>> {
        let mut tx = self.begin_write().await?;
        let ended = live_ids(&mut tx, account, Some(which)).await?;
        let (sql, id) = match which {
            Ending::One(id) => ("DELETE FROM sessions WHERE account_id = $1 AND id = $2", id),
            Ending::AllBut(id) => (
                "DELETE FROM sessions WHERE account_id = $1 AND id <> $2",
                id,
            ),
        };
        sqlx::query(sql)
            .bind(account.0)
            .bind(id.as_str())
            .execute(&mut *tx)
            .await
            .map_err(Db::store_error)?;
        tx.commit().await.map_err(Db::store_error)?;
        Ok(ended)
    }
}
