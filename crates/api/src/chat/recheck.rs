//! Open sockets and gateway sessions re-checked against the database, every ping interval: a
//! socket whose account was deleted, deactivated or unverified, or whose token was revoked, is
//! closed (4403; a gateway session is ended with 4004),
//! however that happened — from the API (which also closes them at once through the bus),
//! from `pingme admin deactivate-user` in another process, or on another node while the bus
//! was down. One query per 500 accounts with open sockets on this node.

use crate::AppState;
use pingme_domain::AccountId;
use pingme_domain::store::StoreError;
use pingme_realtime::{Close, gateway_close_codes};
use std::collections::HashMap;
use std::time::Duration;

const BATCH: usize = 500;

/// Re-checks this node's sockets every `every`, for as long as the process runs.
pub async fn recheck_every(state: AppState, every: Duration) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(error) = recheck(&state).await {
            tracing::warn!(%error, "sockets could not be re-checked; trying again later");
        }
    }
}

/// Closes the sockets of this node that their accounts may no longer hold.
pub async fn recheck(state: &AppState) -> Result<(), StoreError> {
    let mut seated = state.hub.seated();
    seated.extend(state.gateway.hub().seated());
    let mut versions: HashMap<AccountId, Vec<i64>> = HashMap::new();
    for (account, version) in seated {
        versions.entry(account).or_default().push(version);
    }
    let ids: Vec<AccountId> = versions.keys().copied().collect();
    for batch in ids.chunks(BATCH) {
        let current: HashMap<AccountId, Option<i64>> = state
            .store
            .accounts(batch)
            .await?
            .into_iter()
            .map(|a| (a.id, a.can_authenticate().then_some(a.token_version)))
            .collect();
        for account in batch {
            match current.get(account).copied().flatten() {
                // Gone, deactivated or unverified: every socket of the account.
                None => sign_out(state, *account, None),
                Some(version) => {
                    for stale in versions[account].iter().filter(|&&v| v != version) {
                        sign_out(state, *account, Some(*stale));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Closes the account's chat sockets and ends its gateway sessions opened with a token of
/// `version` (whatever their version with `None`).
fn sign_out(state: &AppState, account: AccountId, version: Option<i64>) {
    state.hub.sign_out(account, version);
    let revoked = Close {
        code: gateway_close_codes::REVOKED,
        reason: "signed out: the account may no longer use this token",
    };
    state.gateway.hub().end_account(account, version, revoked);
}
