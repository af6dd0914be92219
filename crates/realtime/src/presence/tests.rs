//! The same behaviour in memory and in Redis (the Redis runs need `PINGME_TEST_REDIS_URL`).

use super::{Backend, Presence, Told, local, redis};
use pingme_domain::AccountId;
use pingme_domain::presence::{Change, Status};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc::Receiver;

const GRACE: Duration = Duration::from_millis(200);
const ALICE: AccountId = AccountId(1);
const BOB: AccountId = AccountId(2);

fn local() -> (Arc<Presence>, Receiver<Told>) {
    Presence::with(
        Backend::Local(local::Sessions::default()),
        "n1".into(),
        GRACE,
    )
}

/// A node of its own on a fresh prefix of the test Redis.
fn on_redis(prefix: &str, node: &str) -> (Arc<Presence>, Receiver<Told>) {
    let url = std::env::var("PINGME_TEST_REDIS_URL").expect("PINGME_TEST_REDIS_URL");
    let store = redis::Store::open(&url, prefix).expect("a Redis URL");
    Presence::with(Backend::Redis(store), node.into(), GRACE)
}

fn prefix() -> String {
    format!("test-presence-{}", crate::random::random_hex::<8>())
}

/// Deletes the keys a test made.
async fn forget(presence: &Presence, prefix: &str) {
    let mut conn = redis::tests_conn(presence).await;
    let keys: Vec<String> = ::redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    if !keys.is_empty() {
        let _: () = ::redis::cmd("DEL")
            .arg(keys)
            .query_async(&mut conn)
            .await
            .unwrap();
    }
}

fn change(account: AccountId, before: Option<Status>, after: Option<Status>) -> Change {
    Change::of(account, before, after).expect("a change")
}

async fn next(changes: &mut Receiver<Told>) -> Change {
    tokio::time::timeout(Duration::from_secs(5), changes.recv())
        .await
        .expect("a change in time")
        .expect("the presence is alive")
        .0
}

fn nothing(changes: &mut Receiver<Told>) {
    assert_eq!(changes.try_recv().ok().map(|(change, _)| change), None);
}

/// Sessions come and go; a person's status is the strongest of theirs; a socket's end
/// counts only after the grace, and not at all if the session was taken up again.
async fn sessions_make_a_status(presence: Arc<Presence>, mut changes: Receiver<Told>) {
    use Status::*;
    let one = presence.connect(ALICE, "s1".into(), None).await;
    assert_eq!(next(&mut changes).await, change(ALICE, None, Some(Online)));
    let two = presence.connect(ALICE, "s2".into(), None).await;
    nothing(&mut changes);
    presence.set(&two, Dnd).await;
    assert_eq!(
        next(&mut changes).await,
        change(ALICE, Some(Online), Some(Dnd))
    );
    presence.set(&one, Idle).await;
    nothing(&mut changes);
    assert_eq!(presence.statuses(&[ALICE, BOB]).await, vec![(ALICE, Dnd)]);

    // The socket of s2 ends; the session is taken up on another socket within the grace,
    // with the status it had: nothing changes, then or after the grace.
    drop(two);
    tokio::time::sleep(GRACE / 4).await;
    let again = presence.connect(ALICE, "s2".into(), None).await;
    tokio::time::sleep(GRACE * 2).await;
    nothing(&mut changes);
    assert_eq!(presence.statuses(&[ALICE]).await, vec![(ALICE, Dnd)]);

    // Gone for good: after the grace, the status is what the other session makes.
    drop(again);
    tokio::time::sleep(GRACE / 4).await;
    nothing(&mut changes);
    assert_eq!(
        next(&mut changes).await,
        change(ALICE, Some(Dnd), Some(Idle))
    );
    presence.set(&one, Invisible).await;
    assert_eq!(
        next(&mut changes).await,
        change(ALICE, Some(Idle), Some(Invisible))
    );
    drop(one);
    assert_eq!(
        next(&mut changes).await,
        change(ALICE, Some(Invisible), None)
    );
    assert_eq!(presence.statuses(&[ALICE]).await, vec![]);

    // Resumed long after its grace: the session keeps the status it had. A new session
    // may say which it starts with.
    let back = presence.connect(ALICE, "s1".into(), None).await;
    assert_eq!(
        next(&mut changes).await,
        change(ALICE, None, Some(Invisible))
    );
    drop(back);
    next(&mut changes).await;
    let _new = presence.connect(BOB, "s9".into(), Some(Dnd)).await;
    assert_eq!(next(&mut changes).await, change(BOB, None, Some(Dnd)));
}

#[tokio::test]
async fn in_memory_sessions_make_a_status() {
    let (presence, changes) = local();
    sessions_make_a_status(presence, changes).await;
}

#[tokio::test]
#[ignore = "needs Redis: PINGME_TEST_REDIS_URL (.ci/run sets it)"]
async fn in_redis_sessions_make_a_status() {
    let prefix = prefix();
    let (presence, changes) = on_redis(&prefix, "n1");
    sessions_make_a_status(presence.clone(), changes).await;
    forget(&presence, &prefix).await;
}

/// One node's session resumed on another: the old socket's end changes nothing.
#[tokio::test]
#[ignore = "needs Redis: PINGME_TEST_REDIS_URL (.ci/run sets it)"]
async fn a_session_resumed_on_another_node_stays() {
    let prefix = prefix();
    let (one, mut told_one) = on_redis(&prefix, "n1");
    let (two, mut told_two) = on_redis(&prefix, "n2");
    let here = one.connect(BOB, "s".into(), None).await;
    assert_eq!(
        next(&mut told_one).await,
        change(BOB, None, Some(Status::Online))
    );
    one.set(&here, Status::Dnd).await;
    next(&mut told_one).await;
    let there = two.connect(BOB, "s".into(), None).await;
    drop(here);
    tokio::time::sleep(GRACE * 2).await;
    nothing(&mut told_one);
    nothing(&mut told_two);
    assert_eq!(two.statuses(&[BOB]).await, vec![(BOB, Status::Dnd)]);
    drop(there);
    assert_eq!(
        next(&mut told_two).await,
        change(BOB, Some(Status::Dnd), None)
    );
    forget(&one, &prefix).await;
}

/// A node that stops beating has its sessions swept away by another; if it was only slow,
/// its next beat writes them again.
#[tokio::test]
#[ignore = "needs Redis: PINGME_TEST_REDIS_URL (.ci/run sets it)"]
async fn a_silent_nodes_sessions_are_swept_away_and_come_back_if_it_was_alive() {
    let prefix = prefix();
    let (one, mut told_one) = on_redis(&prefix, "n1");
    let (two, mut told_two) = on_redis(&prefix, "n2");
    let _alice = one.connect(ALICE, "a".into(), None).await;
    let _bob = two.connect(BOB, "b".into(), None).await;
    next(&mut told_one).await;
    next(&mut told_two).await;
    one.tend().await.expect("a beat");
    two.tend().await.expect("a beat");

    // n1 last beat long ago, as far as Redis can tell.
    let mut conn = redis::tests_conn(&one).await;
    let _: () = ::redis::cmd("ZADD")
        .arg(format!("{prefix}:pr:nodes"))
        .arg(0)
        .arg("n1")
        .query_async(&mut conn)
        .await
        .unwrap();
    two.tend().await.expect("a sweep");
    assert_eq!(
        next(&mut told_two).await,
        change(ALICE, Some(Status::Online), None)
    );
    assert_eq!(
        two.statuses(&[ALICE, BOB]).await,
        vec![(BOB, Status::Online)]
    );

    // n1 was alive after all: its beat finds it was taken for gone, and writes its
    // sessions again.
    one.tend().await.expect("a beat");
    assert_eq!(
        next(&mut told_one).await,
        change(ALICE, None, Some(Status::Online))
    );
    assert_eq!(
        two.statuses(&[ALICE, BOB]).await,
        vec![(ALICE, Status::Online), (BOB, Status::Online)]
    );
    forget(&one, &prefix).await;
}

/// A node that could not write (or whose store lost what it wrote) writes its sockets again
/// as they stand, and takes away what it holds no more.
#[tokio::test]
#[ignore = "needs Redis: PINGME_TEST_REDIS_URL (.ci/run sets it)"]
async fn a_node_repairs_what_the_store_holds_of_it() {
    let prefix = prefix();
    let (one, mut told) = on_redis(&prefix, "n1");
    let alice = one.connect(ALICE, "a".into(), None).await;
    next(&mut told).await;
    one.set(&alice, Status::Idle).await;
    next(&mut told).await;
    one.tend().await.expect("a beat");
    // Behind its back: Alice's entry lost, and one of Bob's that no socket of n1 holds.
    let mut conn = redis::tests_conn(&one).await;
    let _: () = ::redis::pipe()
        .cmd("DEL")
        .arg(format!("{prefix}:pr:a:{}", ALICE.0))
        .cmd("HSET")
        .arg(format!("{prefix}:pr:a:{}", BOB.0))
        .arg("gone")
        .arg("online|n1|999")
        .cmd("SADD")
        .arg(format!("{prefix}:pr:n:n1"))
        .arg(BOB.0)
        .cmd("HSET")
        .arg(format!("{prefix}:pr:shown"))
        .arg(BOB.0)
        .arg(2)
        .query_async(&mut conn)
        .await
        .unwrap();
    one.failures
        .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    one.tend().await.expect("a repair");
    let mut repaired = vec![next(&mut told).await, next(&mut told).await];
    repaired.sort_by_key(|c| c.account);
    assert_eq!(
        repaired,
        vec![
            change(ALICE, None, Some(Status::Idle)),
            change(BOB, Some(Status::Online), None)
        ]
    );
    assert_eq!(
        one.statuses(&[ALICE, BOB]).await,
        vec![(ALICE, Status::Idle)]
    );
    forget(&one, &prefix).await;
}

/// A node that stops is swept away once the grace of its sockets is over, not 30 s later.
#[tokio::test]
#[ignore = "needs Redis: PINGME_TEST_REDIS_URL (.ci/run sets it)"]
async fn a_stopping_nodes_people_go_once_their_grace_is_over() {
    let prefix = prefix();
    let (one, mut told_one) = on_redis(&prefix, "n1");
    let (two, mut told_two) = on_redis(&prefix, "n2");
    let _alice = one.connect(ALICE, "a".into(), None).await;
    next(&mut told_one).await;
    one.tend().await.expect("a beat");
    one.stop().await;
    two.tend().await.expect("a sweep");
    assert_eq!(
        two.statuses(&[ALICE]).await,
        vec![(ALICE, Status::Online)],
        "not before the grace"
    );
    tokio::time::sleep(GRACE * 2).await;
    two.tend().await.expect("a sweep");
    assert_eq!(
        next(&mut told_two).await,
        change(ALICE, Some(Status::Online), None)
    );
    forget(&one, &prefix).await;
}
