//! WAL checkpoints off the writer's path. SQLite copies the write-ahead log back into the
//! database file when a commit finds the log long (`wal_autocheckpoint`), and that commit
//! waits for the copy; under a stream of messages every few batches would stall. A task
//! checkpoints from a connection of its own a few times a second instead, so commits only
//! append to the log. The writer keeps a far larger automatic threshold as a safety net in
//! case the task falls behind.

use crate::store::Stop;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use std::time::Duration;
use tokio::sync::oneshot;

/// How often the log is copied back.
const EVERY: Duration = Duration::from_millis(100);
/// Log pages (4 KiB each) past which the log is made to start over.
const RESTART_PAGES: i64 = 4_096;
/// Log pages at which a commit checkpoints by itself (SQLite's default is 1,000).
pub(super) const WRITER_THRESHOLD: u32 = 20_000;

/// Starts the task; it stops when the returned guard is dropped, with the last handle on
/// the store.
pub(super) fn start(options: SqliteConnectOptions) -> Stop {
    let (stop, stopped) = Stop::new();
    tokio::spawn(run(options, stopped));
    stop
}

async fn run(options: SqliteConnectOptions, mut stopped: oneshot::Receiver<()>) {
    // A checkpoint that would have to wait for readers gives up at once and tries again on
    // the next tick: RESTART holds the writer back while it waits.
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_lazy_with(options.busy_timeout(Duration::from_millis(10)));
    let mut failing = false;
    let mut every = tokio::time::interval(EVERY);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            _ = every.tick() => {}
        }
        match checkpoint(&pool).await {
            Ok(()) => failing = false,
            // Once per run of failures, not ten times a second.
            Err(error) if !failing => {
                failing = true;
                tracing::warn!(error = %error, "WAL checkpoints are failing");
            }
            Err(_) => {}
        }
    }
    pool.close().await;
}

/// PASSIVE copies what it can without waiting for anyone. The log only starts over once a
/// checkpoint has copied all of it and no reader still needs it, which a steady stream of
/// commits may never leave room for; so a log grown past `RESTART_PAGES` is copied with
/// RESTART, which holds the writer back while it copies the rest (most of it is copied
/// already) and waits, at most the connection's 10 ms busy timeout, for readers of the old
/// log; the writer then writes from the log's start again. A RESTART that could not finish
/// (`busy`) is simply tried again on the next tick.
async fn checkpoint(pool: &sqlx::SqlitePool) -> Result<(), sqlx::Error> {
    let (_busy, log, _copied): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(pool)
        .await?;
    if log > RESTART_PAGES {
        sqlx::query("PRAGMA wal_checkpoint(RESTART)")
            .execute(pool)
            .await?;
    }
    Ok(())
}
