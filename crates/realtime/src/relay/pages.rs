//! Pages of nodes' streams read for replays, kept a few seconds: in a resume storm every
//! session of a node replays the same stretch of its stream, which is then read from Redis
//! (and decoded) once rather than once per session. Only pages between two fixed entries are
//! kept — entries never change there (trimming, from the stream's head, is minutes away).

use super::entry::{Entry, StreamId};
use super::lock;
use super::parse;
use super::resume::PAGE;
use redis::aio::MultiplexedConnection;
use redis::streams::StreamRangeReply;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long a page is kept.
const KEEP: Duration = Duration::from_secs(10);
/// The most pages kept (a page is at most [`PAGE`] entries).
const MOST: usize = 256;

pub(super) type Page = Arc<Vec<(StreamId, Option<Entry>)>>;
/// A stream, and the two places a page lies between.
type Span = (String, StreamId, StreamId);

#[derive(Default)]
pub(super) struct Pages {
    kept: Mutex<HashMap<Span, (Instant, Page)>>,
}

impl Pages {
    /// The entries of `stream` after `at` up to `until` (included), at most [`PAGE`]; `None`
    /// if the stream no longer holds `at` (what followed it may have been trimmed).
    pub(super) async fn read(
        &self,
        conn: &mut MultiplexedConnection,
        stream: &str,
        at: StreamId,
        until: StreamId,
    ) -> redis::RedisResult<Option<Page>> {
        let key = (stream.to_owned(), at, until);
        if let Some((when, page)) = lock(&self.kept).get(&key)
            && when.elapsed() < KEEP
        {
            return Ok(Some(page.clone()));
        }
        // From `at` included, in one read: if it is not the first entry, it was trimmed.
        let read: StreamRangeReply = redis::cmd("XRANGE")
            .arg(stream)
            .arg(at.to_string())
            .arg(until.to_string())
            .arg("COUNT")
            .arg(PAGE + 1)
            .query_async(conn)
            .await?;
        let mut entries = read.ids.into_iter().map(parse);
        if entries.next().map(|(id, _)| id) != Some(at) {
            return Ok(None);
        }
        let page: Page = Arc::new(entries.collect());
        let mut kept = lock(&self.kept);
        if kept.len() >= MOST {
            kept.retain(|_, (when, _)| when.elapsed() < KEEP);
            if kept.len() >= MOST {
                kept.clear();
            }
        }
        kept.insert(key, (Instant::now(), page.clone()));
        Ok(Some(page))
    }
}
