//! Open sockets and gateway sessions re-checked against the database, every ping interval: a
//! socket whose account was deleted, deactivated or unverified, whose token was revoked, or
//! whose login session was logged out, is closed (4403; a gateway session is ended with
//! 4004), however that happened — from the API (which also closes them at once through the
//! bus), from `pingme admin deactivate-user` in another process, or on another node while
//! the bus was down. One query per 500 accounts, and one per 500 login sessions, with open
//! sockets on this node.

use crate::AppState;
use pingme_domain::AccountId;
use pingme_domain::sessions::SessionId;
use pingme_domain::store::StoreError;
use pingme_realtime::{Close, Grant, gateway_close_codes};
use std::collections::{HashMap, HashSet};
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
    let mut grants: HashMap<AccountId, Vec<Grant>> = HashMap::new();
    for (account, grant) in seated {
        grants.entry(account).or_default().push(grant);
    }
    let live = live_logins(state, grants.values().flatten()).await?;
    let ids: Vec<AccountId> = grants.keys().copied().collect();
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
                    let stale = grants[account].iter().filter(|grant| {
                        grant.version != version
                            || grant.login.as_ref().is_some_and(|l| !live.contains(&**l))
                    });
                    for grant in stale {
                        sign_out(state, *account, Some(grant));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Which of the grants' login sessions are live.
async fn live_logins<'a>(
    state: &AppState,
    grants: impl Iterator<Item = &'a Grant>,
) -> Result<HashSet<String>, StoreError> {
    let mut logins: Vec<SessionId> = grants
        .filter_map(|g| g.login.as_deref().and_then(SessionId::parse))
        .collect();
    logins.sort_unstable();
    logins.dedup();
    let mut live = HashSet::new();
    for batch in logins.chunks(BATCH) {
        let found = state.store.live_sessions(batch).await?;
        live.extend(found.into_iter().map(|s| s.to_string()));
    }
    Ok(live)
}

/// Closes the account's chat sockets and ends its gateway sessions opened with `grant`
/// (whatever their grant with `None`).
fn sign_out(state: &AppState, account: AccountId, grant: Option<&Grant>) {
    state.hub.sign_out(account, grant);
    let revoked = Close {
        code: gateway_close_codes::REVOKED,
        reason: "signed out: the account may no longer use this token",
    };
    state.gateway.hub().end_account(account, grant, revoked);
}
