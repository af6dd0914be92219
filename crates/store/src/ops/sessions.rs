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
    Ending, LoginSession, MAX_SESSIONS, NewLoginSession, REPLACED_GRACE_SECS, RefreshGrant,
    Rotation, SessionId,
};
use pingme_domain::store::{SessionStore, StoreError, StoreResult};
use pingme_domain::{AccountId, Timestamp};

/// The ids of the live sessions of account `$1` at the Unix second `$2`, the most recently
/// used first.
const LIVE_IDS: &str = "SELECT s.id FROM sessions s JOIN accounts a ON a.id = s.account_id \
     WHERE s.account_id = $1 AND s.expires_at > $2 AND s.token_version = a.token_version \
     ORDER BY s.last_used_at DESC, s.id";

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

/// The ids of the account's live sessions, the most recently used first.
async fn live_ids(conn: &mut Conn, account: AccountId) -> StoreResult<Vec<SessionId>> {
    let ids: Vec<String> = sqlx::query_scalar(LIVE_IDS)
        .bind(account.0)
        .bind(seconds(Timestamp::now()))
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

/// Moves session `id` of `account` on to `next` if `jti` is its current token and it lives.
async fn rotate(
    conn: &mut Conn,
    (id, account): (&SessionId, AccountId),
    jti: &str,
    next: &RefreshGrant,
    (at, ip): (Timestamp, &str),
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE sessions SET previous_jti = refresh_jti, rotated_at = $8, refresh_jti = $4, \
         expires_at = $5, last_used_at = $6, ip = $7 \
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
    .execute(&mut *conn)
    .await
    .map_err(Db::store_error)?;
    Ok(done.rows_affected() == 1)
}

/// Whether `jti` is the token the live session's current one replaced, within the grace.
async fn just_replaced(
    conn: &mut Conn,
    (id, account): (&SessionId, AccountId),
    jti: &str,
    at: Timestamp,
) -> StoreResult<bool> {
    const SQL: &str = concat!(
        "SELECT s.id FROM sessions s JOIN accounts a ON a.id = s.account_id \
         WHERE s.id = $1 AND s.account_id = $2 AND s.previous_jti = $4 AND s.rotated_at >= $5 AND ",
        live!(3)
    );
    let found: Option<String> = sqlx::query_scalar(SQL)
        .bind(id.as_str())
        .bind(account.0)
        .bind(seconds(at))
        .bind(jti)
        .bind(seconds(at) - REPLACED_GRACE_SECS)
        .fetch_optional(&mut *conn)
        .await
        .map_err(Db::store_error)?;
    Ok(found.is_some())
}

#[derive(sqlx::FromRow)]
struct Deleted {
    id: String,
    expires_at: i64,
    token_version: i64,
}

impl SqlStore<Db> {
    async fn create_session_once(&self, new: &NewLoginSession) -> StoreResult<Vec<SessionId>> {
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
        let live = live_ids(&mut tx, new.account).await?;
        let over: Vec<SessionId> = live.into_iter().skip(MAX_SESSIONS as usize).collect();
        delete(&mut tx, &over).await?;
        tx.commit().await.map_err(Db::store_error)?;
        Ok(over)
    }

    /// Deletes the sessions and answers those of them that were live: exactly the rows this
    /// statement deleted, so a login committed meanwhile is either kept or reported.
    async fn end_sessions_once(
        &self,
        account: AccountId,
        which: Ending<'_>,
    ) -> StoreResult<Vec<SessionId>> {
        let mut tx = self.begin_write().await?;
        let (sql, id) = match which {
            Ending::One(id) => (
                "DELETE FROM sessions WHERE account_id = $1 AND id = $2 \
                 RETURNING id, expires_at, token_version",
                id,
            ),
            Ending::AllBut(id) => (
                "DELETE FROM sessions WHERE account_id = $1 AND id <> $2 \
                 RETURNING id, expires_at, token_version",
                id,
            ),
        };
        let deleted: Vec<Deleted> = sqlx::query_as(sql)
            .bind(account.0)
            .bind(id.as_str())
            .fetch_all(&mut *tx)
            .await
            .map_err(Db::store_error)?;
        let version: Option<i64> =
            sqlx::query_scalar("SELECT token_version FROM accounts WHERE id = $1")
                .bind(account.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(Db::store_error)?;
        tx.commit().await.map_err(Db::store_error)?;
        let now = seconds(Timestamp::now());
        deleted
            .iter()
            .filter(|d| d.expires_at > now && Some(d.token_version) == version)
            .map(|d| session_id(&d.id))
            .collect()
    }
}

#[async_trait]
impl SessionStore for SqlStore<Db> {
    /// Run again if Postgres aborts it for a deadlock (with an ending of the same account's
    /// sessions, which deletes rows in another order).
    async fn create_session(&self, new: &NewLoginSession) -> StoreResult<Vec<SessionId>> {
        super::retry_conflicts(|| self.create_session_once(new)).await
    }

    /// One statement moves the session on if `jti` is its current token: of two refreshes
    /// with one token, Postgres re-checks the second's `WHERE` on the row the first changed,
    /// so only one rotates, and the other finds `jti` as the token just replaced.
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
        let outcome = if rotate(&mut tx, (id, account), jti, next, (at, ip)).await? {
            Rotation::Rotated
        } else if just_replaced(&mut tx, (id, account), jti, at).await? {
            Rotation::Replaced
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

    /// Run again if Postgres aborts it for a deadlock (see `create_session`).
    async fn end_sessions(
        &self,
        account: AccountId,
        which: Ending<'_>,
    ) -> StoreResult<Vec<SessionId>> {
        super::retry_conflicts(|| self.end_sessions_once(account, which)).await
    }
}
