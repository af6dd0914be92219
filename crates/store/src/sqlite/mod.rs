//! The SQLite adapter: one file in WAL mode, foreign keys on.
//!
//! Writes go through a pool of exactly one connection, so they queue in the process instead
//! of fighting over SQLite's file lock (no `SQLITE_BUSY` under load); reads use a separate
//! pool of read-only connections that WAL lets run beside the writer.

mod batch;
mod checkpoint;
pub(crate) mod reads;
// The operations shared with Postgres, compiled here for SQLite (see `ops/mod.rs`).
#[path = "../ops/mod.rs"]
#[allow(clippy::duplicate_mod)]
mod ops;

use crate::dialect::{Dialect, Sql, statements};
use crate::store::SqlStore;
use pingme_domain::message_search::Words;
use pingme_domain::store::{StoreError, StoreResult, Unique};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

type Db = sqlx::Sqlite;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

const READERS: u32 = 8;

pub type SqliteStore = SqlStore<Db>;

impl SqlStore<Db> {
    /// Opens (creating if needed) the database a `sqlite:` URL names.
    pub async fn open(url: &str) -> Result<Self, sqlx::Error> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable across application crashes in WAL mode; only a power loss
            // can take back the last transactions. FULL would fsync every commit.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(
                options
                    .clone()
                    .pragma(
                        "wal_autocheckpoint",
                        checkpoint::WRITER_THRESHOLD.to_string(),
                    )
                    // 8 MiB of pages (SQLite's default is 2): new messages touch the
                    // ends of three B-trees per channel and author. Bounded, as it fills
                    // up the process grows by this much and then stays flat.
                    .pragma("cache_size", "-8192")
                    // The log file is cut back to 64 MiB when it starts over.
                    .pragma("journal_size_limit", (64 * 1024 * 1024).to_string()),
            )
            .await?;
        // An in-memory database exists once per connection: readers would see another one.
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let (read, direct, checkpointer) = if in_memory {
            (write.clone(), None, None)
        } else {
            let read = SqlitePoolOptions::new()
                .max_connections(READERS)
                .connect_with(options.clone().read_only(true))
                .await?;
            let direct = crate::direct::Readers::open(options.get_filename())
                .map_err(|e| sqlx::Error::Configuration(e.into()))?;
            let checkpointer = checkpoint::start(options);
            (read, Some(Arc::new(direct)), Some(Arc::new(checkpointer)))
        };
        let messages = crate::group_commit::MessageWriter::start_on_own_thread(batch::SqliteBatch(
            write.clone(),
        ))
        .map_err(sqlx::Error::Io)?;
        Ok(Self {
            write,
            read,
            messages,
            direct,
            _background: checkpointer,
        })
    }

    /// Applies pending migrations, then fills in what they could not (the skeletons of
    /// older login names, the search keys of older names).
    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        MIGRATOR.run(&self.write).await?;
        crate::skeletons::backfill(self).await;
        self.fill_search_keys().await;
        Ok(())
    }
}

impl Dialect for Db {
    const BACKEND: &'static str = "sqlite";
    const ROW_LOCKS: bool = false;
    const AFTER_MESSAGE_INSERT: Option<&'static str> = Some(
        "UPDATE channels SET version = version + 1, \
         last_message_id = max(last_message_id, $2) WHERE id = $1",
    );
    const SQL: Sql = statements! {
        in_ids: "IN (SELECT value FROM json_each($1))",
        byte_order: "",
        for_update: "",
        for_share: "",
        for_no_key_update: "",
        share_members: "",
        share_dm: "",
        share_server: "",
        for_key_share: "",
        greatest: "max",
        least: "min",
        // One file, never failed over.
        database_start: "0",
        // The index drives, newest first (FTS5 walks its rowids backwards), and the page
        // stops at its limit: a common word costs 25 rows, not every match sorted.
        search_from: "messages_fts f JOIN messages m ON m.id = f.rowid",
        text_match: "messages_fts MATCH $2",
        search_order: "f.rowid",
    };

    /// FTS5's query: each word as typed, a quoted string (a word is letters and digits only,
    /// so nothing in it needs escaping; the tokenizer that read the messages folds its case),
    /// all of them required.
    fn text_query(words: &Words) -> String {
        let quoted: Vec<String> = words
            .as_slice()
            .iter()
            .map(|w| format!("\"{w}\""))
            .collect();
        quoted.join(" ")
    }

    /// A JSON array, as `json_each` reads it.
    type Ids = String;
    fn ids(ids: impl IntoIterator<Item = i64>) -> String {
        let ids: Vec<String> = ids.into_iter().map(|id| id.to_string()).collect();
        format!("[{}]", ids.join(","))
    }

    fn store_error(error: sqlx::Error) -> StoreError {
        store_error(error)
    }

    /// The one writer never deadlocks; a busy file is for the client to retry.
    fn is_conflict(_: &StoreError) -> bool {
        false
    }

    /// Takes the file's write lock at once (`BEGIN IMMEDIATE`): a deferred transaction
    /// could fail half-way if another process (an admin command) wrote meanwhile.
    async fn begin_write(pool: &SqlitePool) -> StoreResult<sqlx::Transaction<'static, Db>> {
        pool.begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)
    }

    /// WAL gives every read transaction one snapshot.
    async fn begin_snapshot(pool: &SqlitePool) -> StoreResult<sqlx::Transaction<'static, Db>> {
        pool.begin().await.map_err(store_error)
    }
}

/// The one place SQLite errors become domain errors. SQLite names the columns of a broken
/// unique rule in its message (`UNIQUE constraint failed: accounts.login_key`), not the
/// constraint, so the column list is what identifies the rule.
fn store_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            let message = db.message();
            let rule = [
                ("accounts.login_key", Unique::AccountLogin),
                ("accounts.email_key", Unique::AccountEmail),
                ("account_skeletons.skeleton", Unique::AccountLookalike),
                ("categories.name", Unique::CategoryName),
                ("invites.code", Unique::InviteCode),
            ]
            .into_iter()
            .find(|(columns, _)| message.contains(columns));
            match rule {
                Some((_, rule)) => StoreError::Conflict(rule),
                None => StoreError::Other(error.into()),
            }
        }
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::MissingReference,
        sqlx::Error::Database(db) if is_busy(db.code().as_deref()) => {
            StoreError::Unavailable(error.into())
        }
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            StoreError::Unavailable(error.into())
        }
        _ => StoreError::Other(error.into()),
    }
}

/// `SQLITE_BUSY` or `SQLITE_LOCKED`, in any extended form: another process (an admin
/// command, a backup) held the file longer than the busy timeout. Worth a retry, not a 500.
fn is_busy(code: Option<&str>) -> bool {
    const SQLITE_BUSY: i32 = 5;
    const SQLITE_LOCKED: i32 = 6;
    let primary = code.and_then(|c| c.parse::<i32>().ok()).map(|c| c & 0xff);
    matches!(primary, Some(SQLITE_BUSY | SQLITE_LOCKED))
}

#[cfg(test)]
mod tests {
    #[test]
    fn busy_and_locked_are_recognised_in_extended_forms() {
        for code in ["5", "6", "261", "517", "262"] {
            assert!(super::is_busy(Some(code)), "{code}");
        }
        for code in ["19", "2067", "x"] {
            assert!(!super::is_busy(Some(code)), "{code}");
        }
        assert!(!super::is_busy(None));
    }
}
