//! Read states as both backends read them (`Sql::read_states`).

use pingme_domain::ChannelId;
use pingme_domain::messages::{MessageId, ReadState};

#[derive(sqlx::FromRow)]
pub(crate) struct ReadStateRow {
    channel_id: i64,
    last_message_id: i64,
    last_read_id: i64,
    unread_count: i64,
    mention_count: i64,
}

impl From<ReadStateRow> for ReadState {
    fn from(row: ReadStateRow) -> Self {
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        Self {
            channel: ChannelId(row.channel_id),
            last_message_id: MessageId(row.last_message_id),
            last_read_id: MessageId(row.last_read_id),
            unread_count: count(row.unread_count),
            mention_count: count(row.mention_count),
        }
    }
}
