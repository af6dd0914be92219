//! The reads servers' writes decide on, on an open connection or transaction: a listing of
//! servers (three queries whatever its size: the servers, then all their channels, then all
//! their members), an account's standing, the server row a write holds, a new membership.

use super::{Conn, Db};
use crate::dialect::Dialect;
use crate::rows::channels::ChannelRow;
use crate::rows::servers::{Listing, MemberRow, Param, STANDING, ServerRow, assemble, standing_of};
use pingme_domain::community::{Server, ServerQuery, Standing};
use pingme_domain::store::StoreResult;
use pingme_domain::{AccountId, ServerId, Timestamp};

/// Selects servers, with everything each one shows, in three queries.
pub(super) async fn select(
    conn: &mut Conn,
    query: &ServerQuery,
    all_private: bool,
) -> StoreResult<Vec<Server>> {
    let listing = Listing::new(query, all_private);
    // Built from fixed fragments only; every value the caller gave is a bound parameter.
    let sql = sqlx::AssertSqlSafe(listing.sql.as_str());
    let mut statement = sqlx::query_as::<_, ServerRow>(sql);
    for param in &listing.params {
        statement = match param {
            Param::Int(value) => statement.bind(*value),
            Param::Text(value) => statement.bind(value.as_str()),
        };
    }
    let rows = statement
        .fetch_all(&mut *conn)
        .await
        .map_err(Db::store_error)?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids = Db::ids(rows.iter().map(|r| r.id));
    let channel_rows: Vec<ChannelRow> = sqlx::query_as(Db::SQL.server_channels)
        .bind(&ids)
        .fetch_all(&mut *conn)
        .await
        .map_err(Db::store_error)?;
    let member_rows: Vec<MemberRow> = sqlx::query_as(Db::SQL.server_members)
        .bind(&ids)
        .fetch_all(&mut *conn)
        .await
        .map_err(Db::store_error)?;
    assemble(rows, channel_rows, member_rows)
}

/// One server, private or not, read on the given connection.
pub(super) async fn one(conn: &mut Conn, id: ServerId) -> StoreResult<Option<Server>> {
    let query = ServerQuery {
        id: Some(id),
        ..ServerQuery::default()
    };
    Ok(select(conn, &query, true).await?.pop())
}

pub(super) async fn standing(
    conn: &mut Conn,
    server: ServerId,
    account: AccountId,
) -> StoreResult<Standing> {
    let (member, banned): (bool, bool) = sqlx::query_as(STANDING)
        .bind(server.0)
        .bind(account.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(Db::store_error)?;
    Ok(standing_of(member, banned))
}

/// What writes decide on, read under the server's lock.
#[derive(sqlx::FromRow)]
pub(super) struct Locked {
    pub(super) owner_id: i64,
    pub(super) is_private: bool,
}

/// Reads the server's row with `statement` ([`Sql::server_shared`] or
/// [`Sql::server_exclusive`]), which holds it for the rest of the transaction where the
/// dialect locks rows; `None` when there is no such server. Decisions are read after the
/// lock: under Postgres' `READ COMMITTED` each statement sees everything committed before it
/// started, including whatever the lock waited for.
///
/// [`Sql::server_shared`]: crate::dialect::Sql::server_shared
/// [`Sql::server_exclusive`]: crate::dialect::Sql::server_exclusive
pub(super) async fn lock(
    conn: &mut Conn,
    server: ServerId,
    statement: &'static str,
) -> StoreResult<Option<Locked>> {
    sqlx::query_as(statement)
        .bind(server.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(Db::store_error)
}

/// Adds the membership, reading from the newest message on (migration 0008); `false` when
/// it was already there (a join beside this one won).
pub(super) async fn add_member(
    conn: &mut Conn,
    server: ServerId,
    account: AccountId,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "INSERT INTO memberships (server_id, account_id, joined_at, read_floor) \
         VALUES ($1, $2, $3, (SELECT COALESCE(max(id), 0) FROM messages)) \
         ON CONFLICT DO NOTHING",
    )
    .bind(server.0)
    .bind(account.0)
    .bind(Timestamp::now().unix_micros())
    .execute(&mut *conn)
    .await
    .map_err(Db::store_error)?;
    Ok(done.rows_affected() == 1)
}
