//! The skeletons of login names made before the store kept them (migration 0004): filled in
//! at start-up, oldest account first, one transaction per batch. SQL cannot compute a TR39
//! skeleton, so this is Rust, the same for both backends: [`backfill`] drives any
//! [`SkeletonBackfill`], which `ops` implements once for both.
//!
//! Start-up never fails here: an account whose name looks like an older one's is left
//! without that skeleton (the older keeps it) and a warning names both; a database error
//! is logged, and the next start carries on.

use async_trait::async_trait;
use pingme_domain::names::skeletons;
use pingme_domain::store::StoreResult;

/// Accounts read and written per transaction.
pub(crate) const BATCH: i64 = 500;

/// Accounts after `$1` (an id) that have no skeleton yet, oldest first, at most `$2`.
pub(crate) const PENDING: &str = "SELECT id, login FROM accounts \
     WHERE id > $1 AND NOT EXISTS (SELECT 1 FROM account_skeletons s WHERE s.account_id = accounts.id) \
     ORDER BY id LIMIT $2";

/// Gives skeleton `$1` to account `$2` unless an account has it already.
pub(crate) const CLAIM: &str = "INSERT INTO account_skeletons (skeleton, account_id) VALUES ($1, $2) \
     ON CONFLICT (skeleton) DO NOTHING";

/// Which account has skeleton `$1`.
pub(crate) const HOLDER: &str = "SELECT account_id FROM account_skeletons WHERE skeleton = $1";

/// A skeleton an account could not have: `holder` had it already.
#[derive(Debug)]
pub(crate) struct Taken {
    pub account: i64,
    pub holder: i64,
}

/// What each backend does for the backfill: read a batch, write one in a transaction.
#[async_trait]
pub(crate) trait SkeletonBackfill: Send + Sync {
    /// [`PENDING`]: `(id, login)` pairs.
    async fn pending(&self, after: i64) -> StoreResult<Vec<(i64, String)>>;
    /// [`CLAIM`]s every skeleton in one transaction, in order, and answers those another
    /// account held (found with [`HOLDER`]).
    async fn claim(&self, skeletons: &[(i64, String)]) -> StoreResult<Vec<Taken>>;
}

/// Fills in every account's missing skeletons.
pub(crate) async fn backfill(store: &dyn SkeletonBackfill) {
    if let Err(error) = run(store).await {
        tracing::warn!(%error, "could not fill in the skeletons of older login names; the next start tries again");
    }
}

async fn run(store: &dyn SkeletonBackfill) -> StoreResult<()> {
    let (mut after, mut filled) = (0, 0);
    loop {
        let accounts = store.pending(after).await?;
        let Some((last, _)) = accounts.last() else {
            break;
        };
        after = *last;
        filled += accounts.len();
        let wanted: Vec<(i64, String)> = accounts
            .iter()
            .flat_map(|(id, login)| skeletons(login).into_iter().map(|s| (*id, s)))
            .collect();
        for taken in store.claim(&wanted).await? {
            // The holder is older unless it registered (on a node of the new version) after
            // this account did (on one of the old, during a rolling upgrade).
            let holder = if taken.holder < taken.account {
                "an older"
            } else {
                "a newer"
            };
            tracing::warn!(
                account = taken.account,
                holder = taken.holder,
                "login name looks like {holder} account's; it keeps its name, but a name \
                 that looks like it is not refused for this likeness"
            );
        }
    }
    if filled > 0 {
        tracing::info!(
            accounts = filled,
            "filled in the skeletons of older login names"
        );
    }
    Ok(())
}
