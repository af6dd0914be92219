//! The reads every request makes, on SQLite's direct readers ([`crate::direct`]): the same
//! statements as the shared operations run through sqlx, bound the same way.

use super::Db;
use crate::dialect::Dialect;
use crate::direct::Readers;
use crate::rows::accounts::{ACCOUNT, AccountRow, into_account};
use crate::rows::channels::{CHANNEL, ChannelRow};
use crate::rows::messages::{AFTER, BEFORE, LATEST, MessageRow, page_of};
use crate::rows::servers::{Listing, MemberRow, STANDING, ServerRow, StandingRow, assemble};
use pingme_domain::account::Account;
use pingme_domain::community::{Channel, Server, ServerQuery, Standing};
use pingme_domain::messages::{Message, Page};
use pingme_domain::store::StoreResult;
use pingme_domain::{AccountId, ChannelId, ServerId};
use rusqlite::ToSql;

pub(crate) fn account(readers: &Readers, id: AccountId) -> StoreResult<Option<Account>> {
    into_account(readers.optional::<AccountRow>(ACCOUNT, &[&id.0])?)
}

pub(crate) fn channel(readers: &Readers, id: ChannelId) -> StoreResult<Option<Channel>> {
    readers
        .optional::<ChannelRow>(CHANNEL, &[&id.0])?
        .map(Channel::try_from)
        .transpose()
}

pub(crate) fn standing(
    readers: &Readers,
    server: ServerId,
    account: AccountId,
) -> StoreResult<Standing> {
    let row: Option<StandingRow> = readers.optional(STANDING, &[&server.0, &account.0])?;
    Ok(row.map_or(Standing::Outsider, StandingRow::standing))
}

pub(crate) fn messages(
    readers: &Readers,
    channel: ChannelId,
    page: Page,
) -> StoreResult<Vec<Message>> {
    let rows: Vec<MessageRow> = match page {
        Page::Latest { limit } => readers.all(LATEST, &[&channel.0, &i64::from(limit)])?,
        Page::Before { id, limit } => {
            readers.all(BEFORE, &[&channel.0, &id.0, &i64::from(limit)])?
        }
        Page::After {
            after,
            before,
            limit,
        } => readers.all(
            AFTER,
            &[
                &channel.0,
                &after.0,
                &before.map(|b| b.0),
                &i64::from(limit),
            ],
        )?,
    };
    page_of(rows, page)
}

/// Rows of a listing's channels or members read on the calling thread; more are read off
/// the runtime (a few hundred microseconds' worth).
const INLINE_ROWS: usize = 4_096;

/// A listing's three queries, in one snapshot.
pub(crate) fn servers(readers: &Readers, query: &ServerQuery) -> StoreResult<Vec<Server>> {
    let listing = Listing::new(query, false);
    let params: Vec<&dyn ToSql> = listing.params.iter().map(|p| p as &dyn ToSql).collect();
    readers.read(|reader| {
        let rows: Vec<ServerRow> = reader.all(&listing.sql, &params)?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids = Db::ids(rows.iter().map(|r| r.id));
        let channels: Vec<ChannelRow> =
            reader.all_bounded(Db::SQL.server_channels, &[&ids], INLINE_ROWS)?;
        let members: Vec<MemberRow> =
            reader.all_bounded(Db::SQL.server_members, &[&ids], INLINE_ROWS)?;
        assemble(rows, channels, members)
    })
}
