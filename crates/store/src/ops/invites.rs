//! [`InviteStore`], for both dialects.

use super::Conn;
use super::Db;
use super::select::{add_member, lock, standing};
use crate::dialect::Dialect;
use crate::rows::invites::{InviteRow, invite_columns};
use crate::store::SqlStore;
use async_trait::async_trait;
use pingme_domain::community::{Accepted, Invite, NewInvite, Standing};
use pingme_domain::store::{InviteStore, StoreResult};
use pingme_domain::{AccountId, ServerId, Timestamp};

#[async_trait]
impl InviteStore for SqlStore<Db> {
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
            .map_err(Db::store_error)?;
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
        .map_err(Db::store_error)?;
        row.map(Invite::try_from).transpose()
    }

    /// Ties (invites made in the same microsecond) by code, byte by byte, whatever the
    /// database's locale.
    async fn invites(&self, server: ServerId) -> StoreResult<Vec<Invite>> {
        let rows: Vec<InviteRow> = sqlx::query_as(Db::SQL.invites)
            .bind(server.0)
            .fetch_all(&self.read)
            .await
            .map_err(Db::store_error)?;
        rows.into_iter().map(Invite::try_from).collect()
    }

    /// With row locks, holds the invite's server as a join does (shared), so a ban or a
    /// handover waits for it or is seen by it. The use is counted by one statement that checks the invite
    /// still is usable, after the membership is in: of two accounts racing for its last use
    /// only one gets in, and an account accepting twice at once spends one use.
    async fn accept_invite(&self, code: &str, account: AccountId) -> StoreResult<Accepted> {
        let mut tx = self.begin_write().await?;
        let row: Option<InviteRow> = sqlx::query_as(concat!(
            "SELECT ",
            invite_columns!(),
            " FROM invites WHERE code = $1"
        ))
        .bind(code)
        .fetch_optional(&mut *tx)
        .await
        .map_err(Db::store_error)?;
        let Some(invite) = row.map(Invite::try_from).transpose()? else {
            return Ok(Accepted::Unusable);
        };
        // An invite that no longer works answers the same to everyone.
        if !invite.is_usable(Timestamp::now()) {
            return Ok(Accepted::Unusable);
        }
        // Gone meanwhile (its invites went with it).
        if Db::ROW_LOCKS
            && lock(&mut tx, invite.server, Db::SQL.server_shared)
                .await?
                .is_none()
        {
            return Ok(Accepted::Unusable);
        }
        let accepted = match standing(&mut tx, invite.server, account).await? {
            Standing::Banned => Accepted::Banned,
            Standing::Member => Accepted::AlreadyMember(invite.server),
            // An accept of the same account beside this one may have got in first.
            Standing::Outsider if !add_member(&mut tx, invite.server, account).await? => {
                Accepted::AlreadyMember(invite.server)
            }
            // Used up, expired or revoked meanwhile: the membership is rolled back.
            Standing::Outsider if !count_use(&mut tx, code).await? => {
                return Ok(Accepted::Unusable);
            }
            Standing::Outsider => Accepted::Joined(invite.server),
        };
        tx.commit().await.map_err(Db::store_error)?;
        Ok(accepted)
    }

    async fn revoke_invite(&self, code: &str) -> StoreResult<bool> {
        let done = sqlx::query("DELETE FROM invites WHERE code = $1")
            .bind(code)
            .execute(&self.write)
            .await
            .map_err(Db::store_error)?;
        Ok(done.rows_affected() == 1)
    }
}

/// Counts one use if the invite still is usable now (not revoked, expired or used up
/// meanwhile); `false` when it no longer is.
async fn count_use(tx: &mut Conn, code: &str) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE invites SET uses = uses + 1 WHERE code = $1 \
         AND (max_uses IS NULL OR uses < max_uses) AND (expires_at IS NULL OR expires_at > $2)",
    )
    .bind(code)
    .bind(Timestamp::now().unix_micros())
    .execute(&mut *tx)
    .await
    .map_err(Db::store_error)?;
    Ok(done.rows_affected() == 1)
}
