//! The end of a group-commit batch, the same on both dialects once the messages are in:
//! each queued message paired with its row, why the others were not stored, the commit.

use super::{Db, Tx};
use crate::dialect::Dialect;
use crate::group_commit::{outcomes, pair, unstored_channels};
use crate::rows::messages::{MessageRow, all};
use pingme_domain::messages::{Message, MessageWrite, NewMessage};
use pingme_domain::store::StoreResult;
use std::collections::HashSet;

/// Commits the batch whose stored rows (in id order) are `stored`, answering each message.
pub(crate) async fn settle(
    mut tx: Tx,
    messages: &[NewMessage],
    stored: Vec<MessageRow>,
) -> StoreResult<Vec<MessageWrite<Message>>> {
    let paired = pair(messages, all(stored)?)?;
    let unstored = unstored_channels(&paired);
    let existing: HashSet<i64> = match unstored.is_empty() {
        true => HashSet::new(),
        false => sqlx::query_scalar::<_, i64>(Db::SQL.existing_channels)
            .bind(Db::ids(unstored))
            .fetch_all(&mut *tx)
            .await
            .map_err(Db::store_error)?
            .into_iter()
            .collect(),
    };
    tx.commit().await.map_err(Db::store_error)?;
    Ok(outcomes(paired, &existing))
}
