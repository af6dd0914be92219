//! The one store type both dialects fill in: a write pool, a read pool and the group-commit
//! writer of new messages.

use crate::group_commit::MessageWriter;
use std::sync::Arc;
use tokio::sync::oneshot;

/// The storage of one installation on the database `DB`; the ports are implemented in
/// `ops`, once for every dialect. Writes go through `write`, reads through `read`: SQLite
/// has a pool of one writer and a separate pool of readers, Postgres one pool for both.
#[derive(Debug)]
pub struct SqlStore<DB: sqlx::Database> {
    pub(crate) write: sqlx::Pool<DB>,
    pub(crate) read: sqlx::Pool<DB>,
    pub(crate) messages: MessageWriter,
    /// SQLite's hot reads without sqlx's hand-offs (see `crate::direct`); `None` on Postgres
    /// and for an in-memory SQLite database.
    pub(crate) direct: Option<Arc<crate::direct::Readers>>,
    /// A task of the dialect's own (SQLite's checkpoints), stopped with the last clone.
    pub(crate) _background: Option<Arc<Stop>>,
}

// Written out: a derive would ask for `DB: Clone`, which the pools do not need.
impl<DB: sqlx::Database> Clone for SqlStore<DB> {
    fn clone(&self) -> Self {
        Self {
            write: self.write.clone(),
            read: self.read.clone(),
            messages: self.messages.clone(),
            direct: self.direct.clone(),
            _background: self._background.clone(),
        }
    }
}

/// Stops a background task when dropped.
#[derive(Debug)]
pub(crate) struct Stop {
    _stop: oneshot::Sender<()>,
}

impl Stop {
    /// A guard, and what the task waits on to stop.
    pub(crate) fn new() -> (Self, oneshot::Receiver<()>) {
        let (stop, stopped) = oneshot::channel();
        (Self { _stop: stop }, stopped)
    }
}
