//! Invites as both backends read them.

use super::time;
use pingme_domain::ServerId;
use pingme_domain::community::Invite;
use pingme_domain::store::StoreError;

/// The columns every invite query returns, in [`InviteRow`]'s order.
macro_rules! invite_columns {
    () => {
        "code, server_id, uses, max_uses, expires_at, created_at"
    };
}
pub(crate) use invite_columns;

#[derive(sqlx::FromRow)]
pub(crate) struct InviteRow {
    code: String,
    server_id: i64,
    uses: i64,
    max_uses: Option<i64>,
    expires_at: Option<i64>,
    created_at: i64,
}

impl TryFrom<InviteRow> for Invite {
    type Error = StoreError;

    fn try_from(row: InviteRow) -> Result<Self, StoreError> {
        Ok(Invite {
            code: row.code,
            server: ServerId(row.server_id),
            uses: row.uses,
            max_uses: row.max_uses,
            expires_at: row.expires_at.map(time).transpose()?,
            created_at: time(row.created_at)?,
        })
    }
}
