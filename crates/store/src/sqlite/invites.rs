//! [`InviteStore`] on SQLite.

use super::servers::{add_member, standing};
use super::{SqliteStore, store_error};
use crate::rows::invites::{InviteRow, invite_columns};
use async_trait::async_trait;
use pingme_domain::community::{Accepted, Invite, NewInvite, Standing};
use pingme_domain::store::{InviteStore, StoreResult};
use pingme_domain::{AccountId, ServerId, Timestamp};

#[async_trait]
impl InviteStore for SqliteStore {
    async fn create_invite(&self, new: &NewInvite) -> StoreResult<Invite> {
        let sql = concat!(
            "INSERT INTO invites (code, server_id, created_by, max_uses, expires_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING ",
            invite_columns!()
        );
        let row: InviteRow = sqlx::query_as(sql)
            .bind(&new.code)
            .bind(new.server.0)
            .bind(new.created_by.0)
            .bind(new.max_uses)
            .bind(new.expires_at.map(Timestamp::unix_micros))
            .bind(Timestamp::now().unix_micros())
            .fetch_one(&self.write)
            .await
            .map_err(store_error)?;
        row.try_into()
    }

    async fn invite(&self, code: &str) -> StoreResult<Option<Invite>> {
        let row: Option<InviteRow> = sqlx::query_as(concat!(
            "SELECT ",
            invite_columns!(),
            " FROM invites WHERE code = $1"
        ))
        .bind(code)
        .fetch_optional(&self.read)
        .await
        .map_err(store_error)?;
        row.map(Invite::try_from).transpose()
    }

    async fn invites(&self, server: ServerId) -> StoreResult<Vec<Invite>> {
        let rows: Vec<InviteRow> = sqlx::query_as(concat!(
            "SELECT ",
            invite_columns!(),
            " FROM invites WHERE server_id = $1 ORDER BY created_at, code"
        ))
        .bind(server.0)
        .fetch_all(&self.read)
        .await
        .map_err(store_error)?;
        rows.into_iter().map(Invite::try_from).collect()
    }

    async fn accept_invite(&self, code: &str, account: AccountId) -> StoreResult<Accepted> {
        let mut tx = self.write_tx().await?;
        let row: Option<InviteRow> = sqlx::query_as(concat!(
            "SELECT ",
            invite_columns!(),
            " FROM invites WHERE code = $1"
        ))
        .bind(code)
        .fetch_optional(&mut *tx)
        .await
        .map_err(store_error)?;
        let Some(invite) = row.map(Invite::try_from).transpose()? else {
            return Ok(Accepted::Unusable);
        };
        // An invite that no longer works answers the same to everyone.
        if !invite.is_usable(Timestamp::now()) {
            return Ok(Accepted::Unusable);
        }
        let accepted = match standing(&mut tx, invite.server, account).await? {
            Standing::Banned => Accepted::Banned,
            Standing::Member => Accepted::AlreadyMember(invite.server),
            Standing::Outsider => {
                add_member(&mut tx, invite.server, account).await?;
                sqlx::query("UPDATE invites SET uses = uses + 1 WHERE code = $1")
                    .bind(code)
                    .execute(&mut *tx)
                    .await
                    .map_err(store_error)?;
                Accepted::Joined(invite.server)
            }
        };
        tx.commit().await.map_err(store_error)?;
        Ok(accepted)
    }

    async fn revoke_invite(&self, code: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM invites WHERE code = $1")
            .bind(code)
            .execute(&self.write)
            .await
            .map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }
}
