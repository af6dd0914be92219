//! SQLite's hot reads, run directly on the calling thread.
//!
//! sqlx runs every SQLite connection on a thread of its own and hands each statement, and
//! each row of its answer, across to it and back; for the reads every request makes (the
//! latest page of a channel, a listing of servers, the account a token names), those
//! hand-offs cost many times the query itself (profiles in docs/benchmarks.md). Here the
//! same statements run through rusqlite on the task's own thread, on read-only connections
//! kept in a pool: nothing in between, rows decoded straight into the row types (or, for
//! a page of messages, into the messages).
//!
//! Only index-backed reads of a bounded page come here (a row by key, at most 100
//! messages), which take microseconds: holding a runtime thread for that costs less than
//! handing it to another. A listing page (at most 100 servers, but with every member of
//! each) comes here too: past its first few thousand member rows, the rest is read
//! [`off_the_runtime`], so that a page of large servers does not hold a runtime thread's
//! other tasks ([`Reader::all_bounded`]). Everything else (writes, searches by name,
//! a whole server with all its members, anything that scans) stays on sqlx. A connection is never held across an `.await`, so the pool holds at most one per
//! thread that reads.
//!
//! The SQL is the same text sqlx runs (with `$n` parameters, bound by number as sqlx binds
//! them on SQLite), and the conformance suite runs on a database file, so it covers this
//! path.

use pingme_domain::store::{StoreError, StoreResult};
use rusqlite::config::DbConfig;
use rusqlite::{CachedStatement, Connection, OpenFlags, Row, ToSql};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

/// How long a read waits for a lock it cannot get (only while SQLite recovers the log after
/// a crash, or an outside process holds the file exclusively): short, as it holds a thread.
const BUSY_TIMEOUT: Duration = Duration::from_millis(250);

/// Runs a read whose size the caller does not bound on the calling thread, with the
/// runtime told to move this thread's other tasks elsewhere meanwhile (on a runtime of
/// several threads; a single-threaded one, as in tests, just runs it).
pub(crate) fn off_the_runtime<T>(read: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current().map(|handle| handle.runtime_flavor()) {
        Ok(RuntimeFlavor::MultiThread) => tokio::task::block_in_place(read),
        _ => read(),
    }
}

/// A row type read back from a rusqlite row, its fields in the order of the query's
/// columns (see [`sqlite_row!`]).
pub(crate) trait FromSqlite: Sized {
    fn from_sqlite(row: &Row<'_>) -> rusqlite::Result<Self>;
}

/// Implements [`FromSqlite`] for a row struct whose fields are listed in the order of its
/// query's columns; debug builds (the tests) check each column's name against the field's.
macro_rules! sqlite_row {
    ($type:ident { $($field:ident),+ $(,)? }) => {
        impl $crate::direct::FromSqlite for $type {
            #[allow(unused_assignments)]
            fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
                let mut column = 0usize;
                Ok(Self {
                    $($field: {
                        debug_assert_eq!(
                            row.as_ref().column_name(column).ok(),
                            Some(stringify!($field)),
                            "column {} of {}", column, stringify!($type),
                        );
                        let value = row.get(column)?;
                        column += 1;
                        value
                    }),+
                })
            }
        }
    };
}
pub(crate) use sqlite_row;

/// Read-only connections to one database file.
#[derive(Debug)]
pub struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    /// Opens the first connection now, so that a file that cannot be read fails at start.
    pub(crate) fn open(path: &Path) -> StoreResult<Self> {
        let readers = Self {
            path: path.to_owned(),
            idle: Mutex::new(Vec::new()),
        };
        let first = readers.connect()?;
        readers.put(first);
        Ok(readers)
    }

    fn connect(&self) -> StoreResult<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let connection = Connection::open_with_flags(&self.path, flags).map_err(store_error)?;
        connection.busy_timeout(BUSY_TIMEOUT).map_err(store_error)?;
        // Plans that do not depend on the values bound: otherwise SQLite marks a statement
        // whose `LIMIT` is a parameter (every page) as stale whenever a new limit is bound,
        // and compiles it again on each run (a fifth of `history`'s CPU, measured). The
        // price: a bound `LIKE` pattern no longer uses an index, and statistics (none are
        // gathered) would not be looked at; neither applies to the reads made here (name
        // searches stay on sqlx).
        connection
            .set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
            .map_err(store_error)?;
        Ok(connection)
    }

    fn take(&self) -> StoreResult<Connection> {
        let idle = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
        match idle {
            Some(connection) => Ok(connection),
            None => self.connect(),
        }
    }

    fn put(&self, connection: Connection) {
        self.idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(connection);
    }

    /// Runs `read` on a connection of the pool, in one read transaction (one snapshot of
    /// the database for all its statements).
    pub(crate) fn read<T>(
        &self,
        read: impl FnOnce(&Reader<'_>) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let connection = self.take()?;
        let result = (|| {
            let tx = connection.unchecked_transaction().map_err(store_error)?;
            let value = read(&Reader(&tx))?;
            tx.finish().map_err(store_error)?;
            Ok(value)
        })();
        // A connection whose transaction could not be closed is dropped, not reused.
        if connection.is_autocommit() {
            self.put(connection);
        }
        result
    }

    /// Runs `read` on a connection of the pool with no transaction around it: for one
    /// statement, which sees one snapshot by itself (a `BEGIN` and its end would cost more
    /// to parse than the statement to run).
    fn single<T>(&self, read: impl FnOnce(&Reader<'_>) -> StoreResult<T>) -> StoreResult<T> {
        let connection = self.take()?;
        let result = read(&Reader(&connection));
        self.put(connection);
        result
    }

    /// The first row of one statement, if any.
    pub(crate) fn optional<T: FromSqlite>(
        &self,
        sql: &str,
        params: &[&dyn ToSql],
    ) -> StoreResult<Option<T>> {
        self.single(|reader| reader.optional(sql, params))
    }
}

/// A connection of the pool, inside [`Readers::read`]'s transaction or alone for one
/// statement.
pub(crate) struct Reader<'c>(&'c Connection);

impl<'c> Reader<'c> {
    /// Statements on a connection of someone else's (the message batch's borrowed writer).
    pub(crate) fn on(connection: &'c Connection) -> Self {
        Self(connection)
    }

    /// Runs a statement that returns no rows; how many rows it changed.
    pub(crate) fn execute(&self, sql: &str, params: &[&dyn ToSql]) -> StoreResult<usize> {
        self.statement(sql, params)?
            .raw_execute()
            .map_err(store_error)
    }

    pub(crate) fn all<T: FromSqlite>(
        &self,
        sql: &str,
        params: &[&dyn ToSql],
    ) -> StoreResult<Vec<T>> {
        self.rows(sql, params, usize::MAX)
    }

    pub(crate) fn optional<T: FromSqlite>(
        &self,
        sql: &str,
        params: &[&dyn ToSql],
    ) -> StoreResult<Option<T>> {
        Ok(self.rows(sql, params, 1)?.pop())
    }

    /// Hands each of the statement's rows to `each`, in order.
    pub(crate) fn each(
        &self,
        sql: &str,
        params: &[&dyn ToSql],
        mut each: impl FnMut(&Row<'_>) -> StoreResult<()>,
    ) -> StoreResult<()> {
        self.query(sql, params, |rows| {
            while let Some(row) = rows.next().map_err(store_error)? {
                each(row)?;
            }
            Ok(())
        })
    }

    /// Every row of one statement whose size the caller does not bound: the first `inline`
    /// rows are read here, the rest (if any) [`off_the_runtime`].
    pub(crate) fn all_bounded<T: FromSqlite>(
        &self,
        sql: &str,
        params: &[&dyn ToSql],
        inline: usize,
    ) -> StoreResult<Vec<T>> {
        self.query(sql, params, |rows| {
            let mut found = Vec::new();
            if take(rows, &mut found, inline)? {
                off_the_runtime(|| take(rows, &mut found, usize::MAX))?;
            }
            Ok(found)
        })
    }

    /// The statement's first `at_most` rows.
    fn rows<T: FromSqlite>(
        &self,
        sql: &str,
        params: &[&dyn ToSql],
        at_most: usize,
    ) -> StoreResult<Vec<T>> {
        self.query(sql, params, |rows| {
            let mut found = Vec::new();
            take(rows, &mut found, at_most)?;
            Ok(found)
        })
    }

    /// Runs the statement and hands its rows to `read`.
    fn query<R>(
        &self,
        sql: &str,
        params: &[&dyn ToSql],
        read: impl FnOnce(&mut rusqlite::Rows<'_>) -> StoreResult<R>,
    ) -> StoreResult<R> {
        let mut statement = self.statement(sql, params)?;
        read(&mut statement.raw_query())
    }

    /// The statement (prepared once per rusqlite connection: once per reader connection of
    /// the pool, once per batch on the borrowed writer), with `params[n - 1]` bound to every
    /// `$n`, as sqlx binds them on SQLite.
    fn statement(&self, sql: &str, params: &[&dyn ToSql]) -> StoreResult<CachedStatement<'_>> {
        // As sqlx logs its statements (target `sqlx::query`), for diagnostics and for the
        // test that counts a listing's statements.
        tracing::debug!(target: "pingme_store::direct", statement = sql);
        let mut statement = self.0.prepare_cached(sql).map_err(store_error)?;
        for index in 1..=statement.parameter_count() {
            let name = statement.parameter_name(index).unwrap_or_default();
            let number = name
                .strip_prefix('$')
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| (1..=params.len()).contains(n))
                .ok_or_else(|| {
                    StoreError::Other(format!("unbound parameter {name:?} in {sql}").into())
                })?;
            statement
                .raw_bind_parameter(index, params[number - 1])
                .map_err(store_error)?;
        }
        Ok(statement)
    }
}

/// Reads rows into `found` until it holds `until`; whether rows may be left.
fn take<T: FromSqlite>(
    rows: &mut rusqlite::Rows<'_>,
    found: &mut Vec<T>,
    until: usize,
) -> StoreResult<bool> {
    while found.len() < until {
        let Some(row) = rows.next().map_err(store_error)? else {
            return Ok(false);
        };
        found.push(T::from_sqlite(row).map_err(store_error)?);
    }
    Ok(true)
}

/// SQLite's busy and locked states are worth a retry (503); anything else is a fault.
pub(crate) fn store_error(error: rusqlite::Error) -> StoreError {
    match error.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            StoreError::Unavailable(error.into())
        }
        _ => StoreError::Other(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Number {
        n: i64,
    }
    sqlite_row!(Number { n });

    fn numbers(count: i64) -> (tempfile::TempDir, Readers) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("numbers.sqlite3");
        let connection = Connection::open(&path).unwrap();
        connection
            .execute_batch(&format!(
                "CREATE TABLE t (n INTEGER PRIMARY KEY); \
                 WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {count}) \
                 INSERT INTO t SELECT n FROM c;"
            ))
            .unwrap();
        drop(connection);
        let readers = Readers::open(&path).unwrap();
        (dir, readers)
    }

    fn read_all(readers: &Readers, inline: usize) -> Vec<i64> {
        readers
            .read(|reader| reader.all_bounded::<Number>("SELECT n FROM t ORDER BY n", &[], inline))
            .unwrap()
            .into_iter()
            .map(|row| row.n)
            .collect()
    }

    #[test]
    fn a_statement_is_compiled_once_whatever_its_limit() {
        let (_dir, readers) = numbers(100);
        let sql = "SELECT n FROM t WHERE n > $1 ORDER BY n LIMIT $2";
        for limit in [1_i64, 50, 7, 50, 100] {
            let mut rows = 0;
            readers
                .single(|reader| {
                    reader.each(sql, &[&0_i64, &limit], |_| {
                        rows += 1;
                        Ok(())
                    })
                })
                .unwrap();
            assert_eq!(rows, limit);
        }
        let reprepared = readers
            .single(|reader| {
                let statement = reader.0.prepare_cached(sql).map_err(store_error)?;
                Ok(statement.get_status(rusqlite::StatementStatus::RePrepare))
            })
            .unwrap();
        assert_eq!(reprepared, 0, "a new limit recompiled the statement");
    }

    #[test]
    fn rows_past_the_inline_ones_are_all_read_on_either_runtime() {
        let (_dir, readers) = numbers(5_000);
        let expected: Vec<i64> = (1..=5_000).collect();
        assert_eq!(read_all(&readers, 5_000), expected, "all inline");
        assert_eq!(
            read_all(&readers, 100),
            expected,
            "no runtime: inline after all"
        );
        let multi = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        let readers = std::sync::Arc::new(readers);
        let on_worker = readers.clone();
        let read = multi.block_on(async move {
            tokio::spawn(async move { read_all(&on_worker, 100) })
                .await
                .unwrap()
        });
        assert_eq!(read, expected, "the rest through block_in_place");
        let single = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        assert_eq!(single.block_on(async { read_all(&readers, 100) }), expected);
    }
}
