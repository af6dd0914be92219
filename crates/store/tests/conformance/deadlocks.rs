//! Postgres only: an account's deletion that deadlocks with a writer locking the same rows
//! the other way round is aborted by Postgres, and run again by the store instead of
//! failing with `Unavailable` (a 503 for the client).

use crate::communities::{account, category, server};
use sqlx::{Connection, PgConnection};
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
    let mut other = PgConnection::connect(url).await.unwrap();
    let mut other = other.begin().await.unwrap();
    // This side never looks for deadlocks: the deletion's side finds it (after its own
    // one-second `deadlock_timeout`) and is the one Postgres aborts.
    sqlx::query("SET LOCAL deadlock_timeout = '60s'")
        .execute(&mut *other)
        .await
        .unwrap();
    sqlx::query("SELECT id FROM servers WHERE id = $1 FOR UPDATE")
        .bind(server.0)
        .execute(&mut *other)
        .await
        .unwrap();
    let deleting = tokio::spawn({
        let store = store.clone();
        async move { store.delete_account(owner).await }
    });
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
