//! Postgres only: an account's deletion that deadlocks with a writer locking the same rows
//! the other way round is aborted by Postgres, and run again by the store instead of
//! failing with `Unavailable` (a 503 for the client); an edit locks its channel before its
//! message, as a server's deletion does; an account's deletion and a message batch lock
//! channels, accounts and memberships in the same order.

use crate::communities::{account, category, server};
use pingme_domain::store::{Store, StoreResult};
use pingme_domain::{AccountId, ServerId};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, Postgres};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
#[ignore = "needs Postgres: PINGME_TEST_POSTGRES_URL (.ci/run sets it)"]
async fn a_deletion_aborted_to_break_a_deadlock_is_run_again() {
    let url = crate::postgres_url();
    let (store, database) = crate::postgres(&url).await;
    let owner = account(&store, "doomed").await;
    let category = category(&store, "general").await;
    let server = server(&store, owner, category, false).await;

    let url = &database.url;
    // This side never looks for deadlocks: the deletion's side finds it (after its own
    // one-second `deadlock_timeout`) and is the one Postgres aborts.
    let mut other = other_side(url, "60s").await;
    sqlx::query("SELECT id FROM servers WHERE id = $1 FOR UPDATE")
        .bind(server.0)
        .execute(&mut *other)
        .await
        .unwrap();
    let deleting = delete(&store, owner);
    waits_for_a_lock(url).await;
    // The other way round: the account's row, which the deletion holds. This returns once
    // the deletion's first attempt has been aborted.
    sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
        .bind(owner.0)
        .execute(&mut *other)
        .await
        .unwrap();
    other.rollback().await.unwrap();

    let deleted = tokio::time::timeout(Duration::from_secs(30), deleting)
        .await
        .expect("the deletion finishes")
        .unwrap();
    assert_eq!(deleted.unwrap(), Some(vec![server]));
    assert!(store.account(owner).await.unwrap().is_none());
}

/// A server's deletion locks its channels, then deletes their messages (the cascade); an
/// edit, which raises its channel's version (migration 0006), must take the channel before
/// the message too, or the two deadlock and Postgres aborts one of them.
#[tokio::test]
#[ignore = "needs Postgres: PINGME_TEST_POSTGRES_URL (.ci/run sets it)"]
async fn an_edit_and_a_servers_deletion_lock_in_the_same_order() {
    use pingme_domain::messages::{MessageBody, MessageWrite, NewMessage};
    let url = crate::postgres_url();
    let (store, database) = crate::postgres(&url).await;
    let owner = account(&store, "owner").await;
    let category = category(&store, "general").await;
    let server = server(&store, owner, category, false).await;
    let channel = store.server(server).await.unwrap().unwrap().channels[0].id;
    let new = NewMessage {
        channel,
        author: owner,
        body: MessageBody::parse("hello", 100).unwrap(),
    };
    let MessageWrite::Done(message) = store.create_message(&new).await.unwrap() else {
        panic!("stored");
    };

    let url = &database.url;
    let mut other = PgConnection::connect(url).await.unwrap();
    let mut other = other.begin().await.unwrap();
    // As `delete_server` begins: the server's channels, in id order.
    sqlx::query("SELECT id FROM channels WHERE server_id = $1 ORDER BY id FOR NO KEY UPDATE")
        .bind(server.0)
        .execute(&mut *other)
        .await
        .unwrap();
    let editing = tokio::spawn({
        let store = store.clone();
        async move {
            let body = MessageBody::parse("edited", 100).unwrap();
            store.update_message(message.id, owner, &body).await
        }
    });
    waits_for_a_lock(url).await;
    // The server's deletion goes on to the messages: it would wait for the edit forever
    // had the edit taken the message's row first.
    sqlx::query("DELETE FROM servers WHERE id = $1")
        .bind(server.0)
        .execute(&mut *other)
        .await
        .expect("no deadlock");
    other.commit().await.unwrap();
    let edited = tokio::time::timeout(Duration::from_secs(30), editing)
        .await
        .expect("the edit finishes")
        .unwrap();
    assert_eq!(
        edited.unwrap(),
        MessageWrite::Missing,
        "the message went with its server"
    );
}

/// A message batch locks its channels, then its authors' rows (`FOR KEY SHARE`, as the
/// foreign key does), then their memberships. An account's deletion locks the account's row
/// and then the channels it owns (handing them over): it must not lock the row in a way a
/// key-share lock waits for, or a batch holding the channel and a deletion holding the
/// account wait for each other. Here the batch's side, run by hand, is the one that would
/// notice the deadlock (a short `deadlock_timeout`), so nothing retries it away.
#[tokio::test]
#[ignore = "needs Postgres: PINGME_TEST_POSTGRES_URL (.ci/run sets it)"]
async fn an_accounts_deletion_and_a_message_batch_lock_in_the_same_order() {
    let url = crate::postgres_url();
    let (store, database) = crate::postgres(&url).await;
    let owner = account(&store, "leaving").await;
    let heir = account(&store, "heir").await;
    let category = category(&store, "general").await;
    let server = server(&store, owner, category, false).await;
    store.join(server, heir).await.unwrap();
    let channel = store.server(server).await.unwrap().unwrap().channels[0].id;

    let url = &database.url;
    let mut batch = other_side(url, "50ms").await;
    sqlx::query("SELECT id FROM channels WHERE id = $1 FOR NO KEY UPDATE")
        .bind(channel.0)
        .execute(&mut *batch)
        .await
        .unwrap();
    let deleting = delete(&store, owner);
    // The deletion holds the account's row and waits for the channel, which it hands over.
    waits_for_a_lock(url).await;
    sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR KEY SHARE")
        .bind(owner.0)
        .execute(&mut *batch)
        .await
        .expect("the author's row is not held against the batch");
    sqlx::query("SELECT account_id FROM memberships WHERE account_id = $1 FOR SHARE")
        .bind(owner.0)
        .execute(&mut *batch)
        .await
        .expect("nor are the memberships");
    batch.commit().await.unwrap();
    let deleted = tokio::time::timeout(Duration::from_secs(30), deleting)
        .await
        .expect("the deletion finishes")
        .unwrap();
    assert_eq!(
        deleted.unwrap(),
        Some(vec![]),
        "the server went to its heir"
    );
    assert!(store.account(owner).await.unwrap().is_none());
}

/// A transaction of its own, the other side of a race for locks; of the two, the one with
/// the shorter `deadlock_timeout` notices a deadlock and is aborted.
async fn other_side(url: &str, deadlock_timeout: &str) -> sqlx::Transaction<'static, Postgres> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(url)
        .await
        .unwrap();
    let mut other = pool.begin().await.unwrap();
    sqlx::query("SELECT set_config('deadlock_timeout', $1, true)")
        .bind(deadlock_timeout)
        .execute(&mut *other)
        .await
        .unwrap();
    other
}

fn delete(
    store: &Arc<dyn Store>,
    account: AccountId,
) -> tokio::task::JoinHandle<StoreResult<Option<Vec<ServerId>>>> {
    let store = store.clone();
    tokio::spawn(async move { store.delete_account(account).await })
}

/// Returns once a session of the database waits for a row lock (the deletion, for the
/// server's row).
async fn waits_for_a_lock(url: &str) {
    let mut watcher = PgConnection::connect(url).await.unwrap();
    let waiting = async {
        loop {
            let count: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(&mut watcher)
            .await
            .unwrap();
            if count > 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the deletion waits for the server's row");
}
