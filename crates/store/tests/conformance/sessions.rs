//! Login sessions: started by a login, carried on by one-use refresh tokens, ended by a
//! logout, a second use of a token, a password change, expiry, or too many newer ones.

use crate::messages::account;
use pingme_domain::sessions::{
    Ending, MAX_SESSIONS, NewLoginSession, REPLACED_GRACE_SECS, RefreshGrant, Rotation, SessionId,
};
use pingme_domain::store::Store;
use pingme_domain::{AccountId, Timestamp};
use std::sync::Arc;

fn id(n: u32) -> SessionId {
    SessionId::parse(&format!("{n:032x}")).unwrap()
}

fn grant(jti: &str, lifetime: i64) -> RefreshGrant {
    let now = Timestamp::now().unix_micros() / 1_000_000;
    RefreshGrant {
        jti: jti.into(),
        expires_at: u64::try_from(now + lifetime).unwrap(),
    }
}

fn login(session: &SessionId, account: AccountId, jti: &str, at: Timestamp) -> NewLoginSession {
    NewLoginSession {
        id: session.clone(),
        account,
        token_version: 0,
        refresh: grant(jti, 3600),
        user_agent: "Firefox".into(),
        ip: "192.0.2.1".into(),
        at,
    }
}

async fn start(store: &Arc<dyn Store>, session: &SessionId, account: AccountId, jti: &str) {
    let ended = store
        .create_session(&login(session, account, jti, Timestamp::now()))
        .await
        .unwrap();
    assert!(ended.is_empty());
}

async fn listed(store: &Arc<dyn Store>, account: AccountId) -> Vec<SessionId> {
    let sessions = store.sessions(account).await.unwrap();
    sessions.into_iter().map(|s| s.id).collect()
}

async fn rotate(
    store: &Arc<dyn Store>,
    session: &SessionId,
    account: AccountId,
    jti: &str,
    next: &str,
) -> Rotation {
    rotate_at(store, (session, account), jti, next, Timestamp::now()).await
}

async fn rotate_at(
    store: &Arc<dyn Store>,
    (session, account): (&SessionId, AccountId),
    jti: &str,
    next: &str,
    at: Timestamp,
) -> Rotation {
    let next = grant(next, 3600);
    let rotation = store.rotate_session(session, account, jti, &next, at, "198.51.100.7");
    rotation.await.unwrap()
}

/// A login is listed with what it was started with; a refresh moves it on and records its
/// use; only its current token moves it on.
async fn a_session_lives_by_its_current_refresh_token(store: Arc<dyn Store>) {
    let ann = account(&store, "ann").await;
    let started = Timestamp::now();
    store
        .create_session(&login(&id(1), ann, "first", started))
        .await
        .unwrap();
    let sessions = store.sessions(ann).await.unwrap();
    assert_eq!(sessions.len(), 1);
    let one = &sessions[0];
    assert_eq!((&one.id, one.account), (&id(1), ann));
    assert_eq!((one.created_at, one.last_used_at), (started, started));
    assert_eq!(
        (one.user_agent.as_str(), one.ip.as_str()),
        ("Firefox", "192.0.2.1")
    );
    assert!(store.session_live(&id(1), ann).await.unwrap());

    assert_eq!(
        rotate(&store, &id(1), ann, "first", "second").await,
        Rotation::Rotated
    );
    let one = store.sessions(ann).await.unwrap().remove(0);
    assert!(one.last_used_at > started);
    assert_eq!(one.ip, "198.51.100.7");
    assert_eq!(
        rotate(&store, &id(1), ann, "second", "third").await,
        Rotation::Rotated
    );
    assert!(store.session_live(&id(1), ann).await.unwrap());
    // Another account's token cannot name it.
    let bob = account(&store, "bob").await;
    assert_eq!(
        rotate(&store, &id(1), bob, "third", "x").await,
        Rotation::Missing
    );
    assert!(store.session_live(&id(1), ann).await.unwrap());
    assert!(!store.session_live(&id(1), bob).await.unwrap());
}

/// A token used again ends the whole session, and it stays ended: the token just replaced
/// once its few seconds of grace are over, any earlier one at once.
async fn a_refresh_token_used_twice_ends_its_session(store: Arc<dyn Store>) {
    let ann = account(&store, "ann").await;
    start(&store, &id(1), ann, "first").await;
    start(&store, &id(2), ann, "other").await;
    assert_eq!(
        rotate(&store, &id(1), ann, "first", "second").await,
        Rotation::Rotated
    );
    let later = Timestamp::now().unix_micros() + (REPLACED_GRACE_SECS + 1) * 1_000_000;
    let later = Timestamp::from_unix_micros(later).unwrap();
    assert_eq!(
        rotate_at(&store, (&id(1), ann), "first", "stolen", later).await,
        Rotation::Ended
    );
    assert!(!store.session_live(&id(1), ann).await.unwrap());
    assert_eq!(
        rotate(&store, &id(1), ann, "second", "third").await,
        Rotation::Missing
    );
    assert_eq!(listed(&store, ann).await, vec![id(2)]);
}

/// Of refreshes racing with one token, exactly one moves the session on; the others find the
/// token just replaced and the session lives on. An earlier token still ends it.
async fn racing_refreshes_rotate_once(store: Arc<dyn Store>) {
    let ann = account(&store, "ann").await;
    start(&store, &id(1), ann, "first").await;
    let outcomes = futures_util::future::join_all((0..8).map(|n| {
        let store = store.clone();
        async move { rotate(&store, &id(1), ann, "first", &format!("next{n}")).await }
    }))
    .await;
    let rotated = outcomes.iter().filter(|o| **o == Rotation::Rotated).count();
    assert_eq!(rotated, 1, "{outcomes:?}");
    let replaced = outcomes
        .iter()
        .filter(|o| **o == Rotation::Replaced)
        .count();
    assert_eq!(replaced, 7, "{outcomes:?}");
    assert!(store.session_live(&id(1), ann).await.unwrap());
    // Moved on twice: the first token is no longer the one just replaced.
    let winner = outcomes
        .iter()
        .position(|o| *o == Rotation::Rotated)
        .unwrap();
    let winner = format!("next{winner}");
    assert_eq!(
        rotate(&store, &id(1), ann, &winner, "after").await,
        Rotation::Rotated
    );
    assert_eq!(
        rotate(&store, &id(1), ann, "first", "x").await,
        Rotation::Ended
    );
    assert!(!store.session_live(&id(1), ann).await.unwrap());
}

/// Ending one, or all but one, ends only the account's live sessions and says which.
async fn sessions_end_one_or_all_but_one(store: Arc<dyn Store>) {
    let (ann, bob) = (account(&store, "ann").await, account(&store, "bob").await);
    for n in 1..=4 {
        start(&store, &id(n), ann, &format!("t{n}")).await;
    }
    start(&store, &id(9), bob, "b").await;
    assert_eq!(
        store.end_sessions(ann, Ending::One(&id(2))).await.unwrap(),
        vec![id(2)]
    );
    assert!(
        store
            .end_sessions(ann, Ending::One(&id(2)))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .end_sessions(ann, Ending::One(&id(9)))
            .await
            .unwrap()
            .is_empty(),
        "bob's"
    );
    let mut ended = store
        .end_sessions(ann, Ending::AllBut(&id(3)))
        .await
        .unwrap();
    ended.sort();
    assert_eq!(ended, vec![id(1), id(4)]);
    assert_eq!(listed(&store, ann).await, vec![id(3)]);
    assert_eq!(listed(&store, bob).await, vec![id(9)]);
    let live = store
        .live_sessions(&[id(1), id(3), id(9), id(5)])
        .await
        .unwrap();
    assert_eq!(live.len(), 2);
    assert!(live.contains(&id(3)) && live.contains(&id(9)));
}

/// Expired sessions and those from before a password change are dead: never listed, never
/// live, never moved on.
async fn expired_sessions_and_older_passwords_are_dead(store: Arc<dyn Store>) {
    let ann = account(&store, "ann").await;
    let mut expired = login(&id(1), ann, "old", Timestamp::now());
    expired.refresh = grant("old", -1);
    store.create_session(&expired).await.unwrap();
    assert!(listed(&store, ann).await.is_empty());
    assert!(!store.session_live(&id(1), ann).await.unwrap());
    // The next login sweeps it away.
    start(&store, &id(2), ann, "current").await;
    assert_eq!(listed(&store, ann).await, vec![id(2)]);
    assert_eq!(
        rotate(&store, &id(1), ann, "old", "new").await,
        Rotation::Missing
    );

    assert!(store.set_password(ann, "$argon2id$y", None).await.unwrap());
    assert!(listed(&store, ann).await.is_empty());
    assert!(!store.session_live(&id(2), ann).await.unwrap());
    assert!(store.live_sessions(&[id(2)]).await.unwrap().is_empty());
    assert_ne!(
        rotate(&store, &id(2), ann, "current", "next").await,
        Rotation::Rotated
    );
    // A login under the new password lives.
    let mut fresh = login(&id(3), ann, "fresh", Timestamp::now());
    fresh.token_version = 1;
    store.create_session(&fresh).await.unwrap();
    assert_eq!(listed(&store, ann).await, vec![id(3)]);
}

/// Past the most sessions one account may hold, a login ends the least recently used.
async fn too_many_sessions_end_the_least_recently_used(store: Arc<dyn Store>) {
    let ann = account(&store, "ann").await;
    let base = Timestamp::now().unix_micros();
    for n in 0..MAX_SESSIONS {
        let at = Timestamp::from_unix_micros(base + i64::from(n)).unwrap();
        store
            .create_session(&login(&id(n), ann, "t", at))
            .await
            .unwrap();
    }
    // The oldest was used since: the second oldest goes.
    store
        .touch_session(
            &id(0),
            Timestamp::from_unix_micros(base + 1_000).unwrap(),
            "192.0.2.9",
        )
        .await
        .unwrap();
    let at = Timestamp::from_unix_micros(base + 2_000).unwrap();
    let ended = store
        .create_session(&login(&id(MAX_SESSIONS), ann, "t", at))
        .await
        .unwrap();
    assert_eq!(ended, vec![id(1)]);
    let listed = listed(&store, ann).await;
    assert_eq!(listed.len(), MAX_SESSIONS as usize);
    assert_eq!(listed[..2], [id(MAX_SESSIONS), id(0)]);
}

/// Deleting the account takes its sessions along.
async fn an_accounts_deletion_takes_its_sessions(store: Arc<dyn Store>) {
    let ann = account(&store, "ann").await;
    start(&store, &id(1), ann, "t").await;
    store.delete_account(ann).await.unwrap();
    assert!(store.live_sessions(&[id(1)]).await.unwrap().is_empty());
    let ann = account(&store, "ann").await;
    assert!(listed(&store, ann).await.is_empty());
}

mod run {
    crate::conformance!(
        a_session_lives_by_its_current_refresh_token,
        a_refresh_token_used_twice_ends_its_session,
        racing_refreshes_rotate_once,
        sessions_end_one_or_all_but_one,
        expired_sessions_and_older_passwords_are_dead,
        too_many_sessions_end_the_least_recently_used,
        an_accounts_deletion_takes_its_sessions,
    );
}
