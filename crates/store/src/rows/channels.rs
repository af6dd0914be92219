//! Channels as both backends read them, alone or as part of their server.

use super::time;
use pingme_domain::community::Channel;
use pingme_domain::store::StoreError;
use pingme_domain::{AccountId, ChannelId, ServerId};

/// The columns every channel query returns, in [`ChannelRow`]'s order.
macro_rules! channel_columns {
    () => {
        "id, server_id, owner_id, name, description, created_at, updated_at"
    };
}
pub(crate) use channel_columns;

/// One channel by id.
pub(crate) const CHANNEL: &str = concat!(
    "SELECT ",
    channel_columns!(),
    " FROM channels WHERE id = $1 AND server_id IS NOT NULL"
);

#[derive(sqlx::FromRow)]
pub(crate) struct ChannelRow {
    id: i64,
    server_id: i64,
    owner_id: i64,
    name: String,
    description: Option<String>,
    created_at: i64,
    updated_at: i64,
}

crate::direct::sqlite_row!(ChannelRow {
    id,
    server_id,
    owner_id,
    name,
    description,
    created_at,
    updated_at,
});

impl TryFrom<ChannelRow> for Channel {
    type Error = StoreError;

    fn try_from(row: ChannelRow) -> Result<Self, StoreError> {
        Ok(Channel {
            id: ChannelId(row.id),
            server: ServerId(row.server_id),
            owner: AccountId(row.owner_id),
            name: row.name,
            description: row.description,
            created_at: time(row.created_at)?,
            updated_at: time(row.updated_at)?,
        })
    }
}
