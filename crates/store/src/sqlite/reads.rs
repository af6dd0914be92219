//! The reads every request makes, on SQLite's direct readers ([`crate::direct`]): the same
//! statements as the shared operations run through sqlx, bound the same way.

use super::Db;
use crate::dialect::Dialect;
use crate::direct::{Readers, store_error};
use crate::rows::accounts::{ACCOUNT, AccountRow, into_account};
use crate::rows::channels::{CHANNEL, ChannelRow};
use crate::rows::messages::{
    AFTER, AttachmentRow, BEFORE, LATEST, PageVersionRow, ReactionRow, attach_attachments,
    attach_reactions, in_page_order, reply,
};
use crate::rows::servers::{
    DirectoryVersionRow, Listing, MemberRow, STANDING, ServerRow, StandingRow, assemble,
};
use crate::rows::time;
use pingme_domain::account::Account;
use pingme_domain::community::{Channel, DirectoryVersion, Server, ServerQuery, Standing};
use pingme_domain::messages::{Author, Message, MessageId, Page, PageVersion};
use pingme_domain::store::StoreResult;
use pingme_domain::{AccountId, ChannelId, ServerId};
use rusqlite::ToSql;
use std::sync::Arc;

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

pub(crate) fn page_version(
    readers: &Readers,
    channel: ChannelId,
) -> StoreResult<Option<PageVersion>> {
    let row: Option<PageVersionRow> = readers.optional(Db::SQL.page_version, &[&channel.0])?;
    Ok(row.map(PageVersion::from))
}

pub(crate) fn messages(
    readers: &Readers,
    channel: ChannelId,
    page: Page,
    reader: Option<AccountId>,
) -> StoreResult<Vec<Message>> {
    readers.read(|snapshot| {
        let mut rows = PageRows::default();
        let mut push = |row: &rusqlite::Row<'_>| rows.push(row);
        match page {
            Page::Latest { limit } => {
                snapshot.each(LATEST, &[&channel.0, &i64::from(limit)], &mut push)?
            }
            Page::Before { id, limit } => {
                snapshot.each(BEFORE, &[&channel.0, &id.0, &i64::from(limit)], &mut push)?
            }
            Page::After {
                after,
                before,
                limit,
            } => snapshot.each(
                AFTER,
                &[
                    &channel.0,
                    &after.0,
                    &before.map(|b| b.0),
                    &i64::from(limit),
                ],
                &mut push,
            )?,
        };
        let mut messages = rows.messages;
        if !messages.is_empty() {
            let ids = Db::ids(messages.iter().map(|m| m.id.0));
            let reactions: Vec<ReactionRow> =
                snapshot.all(Db::SQL.reactions_of, &[&ids, &reader.map(|r| r.0)])?;
            attach_reactions(&mut messages, reactions);
            let attachments: Vec<AttachmentRow> = snapshot.all(Db::SQL.attachments_of, &[&ids])?;
            attach_attachments(&mut messages, attachments);
        }
        Ok(in_page_order(messages, page))
    })
}

/// Rows of a listing's channels or members read on the calling thread; more are read off
/// the runtime (a few hundred microseconds' worth).
const INLINE_ROWS: usize = 4_096;

pub(crate) fn directory_version(readers: &Readers) -> StoreResult<DirectoryVersion> {
    let row: Option<DirectoryVersionRow> = readers.optional(Db::SQL.directory_version, &[])?;
    row.map(DirectoryVersion::from)
        .ok_or_else(|| pingme_domain::store::StoreError::Other("no directory version".into()))
}

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

/// A page's messages decoded straight from SQLite's rows (the direct path), in
/// the column order of `MessageRow`: an author met earlier in the page is shared, not read
/// and copied again (a page of 50 messages has a handful of authors).
#[derive(Default)]
struct PageRows {
    authors: Vec<Arc<Author>>,
    messages: Vec<Message>,
}

impl PageRows {
    fn push(&mut self, row: &rusqlite::Row<'_>) -> StoreResult<()> {
        if self.messages.is_empty() {
            debug_assert_eq!(
                row.as_ref().column_names(),
                MESSAGE_ROW_COLUMNS,
                "a page's columns"
            );
        }
        let author = match row.get::<_, Option<i64>>(6).map_err(store_error)? {
            None => None,
            Some(id) => Some(self.author(AccountId(id), row)?),
        };
        self.messages.push(Message {
            id: MessageId(row.get(0).map_err(store_error)?),
            channel: ChannelId(row.get(1).map_err(store_error)?),
            server: row
                .get::<_, Option<i64>>(2)
                .map_err(store_error)?
                .map(ServerId),
            author,
            content: row.get(3).map_err(store_error)?,
            created_at: time(row.get(4).map_err(store_error)?)?,
            updated_at: time(row.get(5).map_err(store_error)?)?,
            pinned: row.get(14).map_err(store_error)?,
            reply_to: reply(
                row.get(15).map_err(store_error)?,
                row.get::<_, Option<i64>>(16)
                    .map_err(store_error)?
                    .and(row.get(17).map_err(store_error)?),
                row.get::<_, Option<i64>>(18)
                    .map_err(store_error)?
                    .zip(row.get(19).map_err(store_error)?),
                row.get(20).map_err(store_error)?,
            ),
            reactions: Vec::new(),
            attachments: Vec::new(),
        });
        Ok(())
    }

    fn author(&mut self, id: AccountId, row: &rusqlite::Row<'_>) -> StoreResult<Arc<Author>> {
        if let Some(known) = self.authors.iter().find(|a| a.id == id) {
            return Ok(known.clone());
        }
        let author = Arc::new(Author {
            id,
            login: row.get(7).map_err(store_error)?,
            display_name: row.get(8).map_err(store_error)?,
            location: row.get(9).map_err(store_error)?,
            content: row
                .get::<_, Option<String>>(10)
                .map_err(store_error)?
                .unwrap_or_default(),
            image: row.get(11).map_err(store_error)?,
            created_at: time(row.get(12).map_err(store_error)?)?,
            updated_at: time(row.get(13).map_err(store_error)?)?,
        });
        self.authors.push(author.clone());
        Ok(author)
    }
}

/// The columns of a page's statement (`MessageRow`'s), as [`PageRows`] reads them by
/// position.
const MESSAGE_ROW_COLUMNS: [&str; 21] = [
    "id",
    "channel_id",
    "server_id",
    "content",
    "created_at",
    "updated_at",
    "author_id",
    "login",
    "display_name",
    "location",
    "bio",
    "image",
    "author_created_at",
    "author_updated_at",
    "pinned",
    "reply_to_id",
    "reply_id",
    "reply_content",
    "reply_author_id",
    "reply_author_name",
    "reply_author_image",
];
