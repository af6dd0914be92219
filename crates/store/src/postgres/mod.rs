//! The PostgreSQL adapter, for installations of several nodes: the same tables, the same
//! behaviour the conformance suite checks on SQLite.
//!
//! A pool of `PINGME_DB_POOL` connections; every statement is cut off after
//! `PINGME_DB_TIMEOUT` (the server's `statement_timeout`), so a stuck query answers 503 instead
//! of holding a request forever. Writes that must see a consistent state run in one
//! transaction and lock the rows they decide on.

mod batch;
// The operations shared with SQLite, compiled here for Postgres (see `ops/mod.rs`).
#[path = "../ops/mod.rs"]
#[allow(clippy::duplicate_mod)]
mod ops;

use crate::dialect::{Dialect, Sql, statements};
use crate::store::SqlStore;
use pingme_domain::message_search::Words;
use pingme_domain::store::{StoreError, StoreResult, Unique};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

type Db = sqlx::Postgres;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Message batches written at once, each on its own connection, for channels apart
/// (`group_commit`): one batch keeps one Postgres backend busy while the others wait, so
/// a second lane lets Postgres use a second core (`ingest`, docs/benchmarks.md).
const WRITER_LANES: usize = 2;

/// The pool's size and how long a statement may run.
#[derive(Clone, Copy, Debug)]
pub struct PgSettings {
    pub pool: u32,
    pub statement_timeout: Duration,
}

impl Default for PgSettings {
    fn default() -> Self {
        Self {
            pool: 10,
            statement_timeout: Duration::from_secs(5),
        }
    }
}

/// Reads and writes share the one pool.
pub type PgStore = SqlStore<Db>;

impl SqlStore<Db> {
    /// Connects lazily: a node whose database is down at start still starts, answers 503
    /// and `/readyz` fails until the database is there.
    pub fn open(url: &str, settings: PgSettings) -> Result<Self, sqlx::Error> {
        let timeout = settings.statement_timeout.as_millis().to_string();
        let options =
            PgConnectOptions::from_str(url)?.options([("statement_timeout", timeout.as_str())]);
        let pool = PgPoolOptions::new()
            .max_connections(settings.pool.max(1))
            .acquire_timeout(settings.statement_timeout)
            .connect_lazy_with(options);
        let messages =
            crate::group_commit::MessageWriter::start(WRITER_LANES, batch::PgBatch(pool.clone()));
        Ok(Self {
            write: pool.clone(),
            read: pool,
            messages,
            direct: None,
            _background: None,
        })
    }

    /// Applies pending migrations without the statement timeout: a node may wait for another
    /// node's migrations (sqlx holds an advisory lock), and a migration may take long. Then
    /// fills in what they could not (the skeletons of older login names, the search keys of
    /// older names); nodes starting together may do so at once, which the skeletons'
    /// `ON CONFLICT DO NOTHING` and the keys' `WHERE … IS NULL` allow.
    pub async fn migrate(&self) -> Result<(), sqlx::Error> {
        let mut conn = self.write.acquire().await?;
        sqlx::query("SET statement_timeout = 0")
            .execute(&mut *conn)
            .await?;
        let migrated = MIGRATOR.run(&mut *conn).await;
        sqlx::query("RESET statement_timeout")
            .execute(&mut *conn)
            .await?;
        migrated?;
        // Back to the pool: the fills below take connections of their own.
        drop(conn);
        crate::skeletons::backfill(self).await;
        self.fill_search_keys().await;
        Ok(())
    }
}

/// Reads of several statements that must agree with each other.
const BEGIN_SNAPSHOT: &str = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

impl Dialect for Db {
    const BACKEND: &'static str = "postgres";
    const ROW_LOCKS: bool = true;
    const AFTER_MESSAGE_INSERT: Option<&'static str> = None;
    const SQL: Sql = statements! {
        in_ids: "= ANY($1)",
        // Byte by byte, as SQLite orders, whatever the database's locale.
        byte_order: " COLLATE \"C\"",
        for_update: " FOR UPDATE",
        for_share: " FOR SHARE",
        // Leaves the row's key alone, so inserts referencing it are not held up.
        for_no_key_update: " FOR NO KEY UPDATE",
        share_members: " FOR SHARE OF ms",
        share_dm: " FOR SHARE OF d",
        share_server: " FOR SHARE OF s",
        // The foreign key's own lock: it lets an account's deletion take its first lock.
        for_key_share: " FOR KEY SHARE",
        greatest: "GREATEST",
        least: "LEAST",
        // A failover or a restore starts another server: versions read before it could
        // repeat after it with other rows, so they never match.
        database_start: "CAST(EXTRACT(EPOCH FROM pg_postmaster_start_time()) * 1000000 AS BIGINT)",
        search_from: "messages m",
        text_match: "m.search @@ plainto_tsquery('simple', $2)",
        search_order: "m.id",
    };

    /// `plainto_tsquery`'s text: the query as typed, read by the parser that read the
    /// messages (so `3.14` or `example.com`, one term to it, is found whole); every term is
    /// required.
    fn text_query(words: &Words) -> String {
        words.text().to_owned()
    }

    type Ids = Vec<i64>;
    fn ids(ids: impl IntoIterator<Item = i64>) -> Vec<i64> {
        ids.into_iter().collect()
    }

    fn store_error(error: sqlx::Error) -> StoreError {
        store_error(error)
    }

    /// A deadlock (40P01) or serialization failure (40001).
    fn is_conflict(error: &StoreError) -> bool {
        let StoreError::Unavailable(cause) = error else {
            return false;
        };
        cause
            .downcast_ref::<sqlx::Error>()
            .and_then(|e| e.as_database_error())
            .and_then(|db| db.code())
            .is_some_and(|code| code == "40P01" || code == "40001")
    }

    async fn begin_write(pool: &PgPool) -> StoreResult<sqlx::Transaction<'static, Db>> {
        pool.begin().await.map_err(store_error)
    }

    async fn begin_snapshot(pool: &PgPool) -> StoreResult<sqlx::Transaction<'static, Db>> {
        pool.begin_with(BEGIN_SNAPSHOT).await.map_err(store_error)
    }
}

/// The one place Postgres errors become domain errors. Postgres names the broken
/// constraint, and the migrations name every unique one.
fn store_error(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            let rule = match db.constraint() {
                Some("accounts_login_key") => Some(Unique::AccountLogin),
                Some("accounts_email_key") => Some(Unique::AccountEmail),
                Some("account_skeletons_pkey") => Some(Unique::AccountLookalike),
                Some("categories_name_key") => Some(Unique::CategoryName),
                Some("invites_code_key") => Some(Unique::InviteCode),
                _ => None,
            };
            match rule {
                Some(rule) => StoreError::Conflict(rule),
                None => StoreError::Other(error.into()),
            }
        }
        sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::MissingReference,
        sqlx::Error::Database(db) if db.code().as_deref().is_some_and(retryable) => {
            StoreError::Unavailable(error.into())
        }
        // The connection itself failed (reset, closed mid-answer, refused): the database
        // went away, and the pool reconnects once it is back.
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(error.into()),
        _ => StoreError::Other(error.into()),
    }
}

/// SQLSTATEs worth a retry (503 with `Retry-After`), not a server error: connection
/// exceptions (class 08), a deadlock or serialization failure (40P01, 40001), the statement
/// timeout (57014), a shutting-down or starting server (57P01–57P03), too many connections or
/// other resource shortages (class 53), and a read-only server after a failover (25006).
fn retryable(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("53")
        || matches!(
            code,
            "40P01" | "40001" | "57014" | "57P01" | "57P02" | "57P03" | "25006"
        )
}
