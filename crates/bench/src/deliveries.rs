//! Messages through channels, measured: some sockets of each channel send messages stamped
//! with their sender, sequence number and send time; every socket of the channel reads them
//! and checks that each sender's messages come once each, in order, none missing.

use crate::Pace;
use crate::client::{Api, Socket, content_of};
use crate::measure::{Counters, Window, histogram, micros};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt, TryStreamExt, stream};
use hdrhistogram::Histogram;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

/// How long receivers wait, once sending stopped, for what is still on its way.
const DRAIN: Duration = Duration::from_secs(15);

/// A channel under load: its sockets, the first `senders` of which also send.
pub struct Group {
    pub sockets: Vec<Socket>,
    pub senders: usize,
}

/// What the receivers saw.
#[derive(Default)]
pub struct Outcome {
    /// Frames received during the measured window, by every socket.
    pub delivered: u64,
    /// Messages sent during the measured window.
    pub sent: u64,
    /// Messages sent in all.
    pub sent_total: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub errors: u64,
    /// Send→receive, for messages sent during the measured window.
    pub latency: Option<Histogram<u64>>,
}

/// Opens one socket per `(server, channel, token)`, a few at a time.
pub async fn open(api: &Api, specs: Vec<(i64, i64, String)>) -> anyhow::Result<Vec<Socket>> {
    eprintln!("opening {} sockets", specs.len());
    let started = Instant::now();
    let sockets = stream::iter(specs)
        .map(|(server, channel, token)| async move { api.socket(server, channel, &token).await })
        .buffered(64)
        .try_collect::<Vec<_>>()
        .await?;
    eprintln!("opened in {:.1} s", started.elapsed().as_secs_f64());
    Ok(sockets)
}

/// Identifies one gateway session per token, a few at a time.
pub async fn identify(api: &Api, tokens: Vec<String>) -> anyhow::Result<Vec<Socket>> {
    let sessions = identify_seeing(api, tokens).await?;
    Ok(sessions.into_iter().map(|(socket, _)| socket).collect())
}

/// The same, with the last number each session saw (its `ready`'s is 1).
pub async fn identify_seeing(api: &Api, tokens: Vec<String>) -> anyhow::Result<Vec<(Socket, u64)>> {
    eprintln!("identifying {} gateway sessions", tokens.len());
    let started = Instant::now();
    let sockets = stream::iter(tokens)
        .map(|token| async move { api.gateway(&token).await })
        .buffered(64)
        .try_collect::<Vec<_>>()
        .await?;
    eprintln!("identified in {:.1} s", started.elapsed().as_secs_f64());
    let sockets = settle(sockets).await;
    Ok(sockets)
}

/// Reads what the sessions were sent while others were being identified (each person coming
/// online is told to the others) until each has been quiet for a second: the run measures
/// messages, not that. Each socket comes with the last number it saw.
async fn settle(sockets: Vec<Socket>) -> Vec<(Socket, u64)> {
    const QUIET: Duration = Duration::from_secs(1);
    let started = Instant::now();
    let read = stream::iter(sockets)
        .map(|mut socket| async move {
            let (mut frames, mut seen) = (0_u64, 1);
            while let Ok(Some(Ok(frame))) = tokio::time::timeout(QUIET, socket.next()).await {
                frames += 1;
                if let Some(seq) = frame.to_text().ok().and_then(seq_of) {
                    seen = seq;
                }
            }
            ((socket, seen), frames)
        })
        .buffer_unordered(4096)
        .collect::<Vec<_>>()
        .await;
    let frames: u64 = read.iter().map(|(_, n)| n).sum();
    eprintln!(
        "read {frames} presence frames in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    read.into_iter().map(|(session, _)| session).collect()
}

/// The `s` of a dispatch frame, found without parsing the whole frame (the server writes
/// `{"op":"dispatch","t":…,"s":N,"d":…}`).
pub fn seq_of(frame: &str) -> Option<u64> {
    let rest = frame.strip_prefix(r#"{"op":"dispatch","t":""#)?;
    let after = &rest[rest.find(r#"","s":"#)? + 6..];
    let digits = after.find(|c: char| !c.is_ascii_digit())?;
    after[..digits].parse().ok()
}

/// Shared by the tasks of a run.
struct Shared {
    window: Window,
    counters: Arc<Counters>,
    /// Messages each sender sent, final once `stopped` is set.
    sent_by: Vec<AtomicU64>,
    stopped: AtomicBool,
    /// Wakes the readers once the senders are done.
    stop: tokio::sync::Notify,
    sent_in_window: AtomicU64,
    pad: String,
}

/// Runs the load until the window is over, then waits for the deliveries still on their way.
pub async fn run(
    groups: Vec<Group>,
    pace: Pace,
    window: Window,
    counters: Arc<Counters>,
) -> anyhow::Result<Outcome> {
    let senders: usize = groups.iter().map(|g| g.senders).sum();
    let shared = Arc::new(Shared {
        window,
        counters,
        sent_by: (0..senders).map(|_| AtomicU64::new(0)).collect(),
        stopped: AtomicBool::new(false),
        stop: tokio::sync::Notify::new(),
        sent_in_window: AtomicU64::new(0),
        pad: "x".repeat(pace.size),
    });
    let per_sender_rate = pace.rate.map(|rate| rate as f64 / senders.max(1) as f64);
    // At a rate, the senders take turns: sender `i` is `i / rate` seconds behind the first,
    // so that messages go out evenly spaced, as the floor's `latclient` asks for its
    // broadcasts, instead of all senders' at the same instant.
    let started = Instant::now();
    let offset = |id: usize| match pace.rate {
        Some(rate) => Duration::from_secs_f64(id as f64 / rate.max(1) as f64),
        None => Duration::ZERO,
    };
    let (mut writers, mut readers) = (tokio::task::JoinSet::new(), tokio::task::JoinSet::new());
    let mut first = 0;
    for group in groups {
        let range = first..first + group.senders;
        for (index, socket) in group.sockets.into_iter().enumerate() {
            let reader = Reader {
                senders: range.clone(),
                own: None,
                shared: shared.clone(),
            };
            if index >= group.senders {
                // Only read: no need to split the socket.
                readers.spawn(reader.run(socket));
                continue;
            }
            let id = first + index;
            let (write, read) = socket.split();
            let permits = Arc::new(Semaphore::new(pace.window.max(1)));
            writers.spawn(send(
                write,
                (id, started + offset(id)),
                per_sender_rate,
                permits.clone(),
                shared.clone(),
            ));
            readers.spawn(
                Reader {
                    own: Some((id, permits)),
                    ..reader
                }
                .run(read),
            );
        }
        first += group.senders;
    }
    // The senders' write halves are kept until the readers are done: dropping both halves
    // closes a socket.
    let mut quiet = Vec::new();
    while let Some(write) = writers.join_next().await {
        quiet.push(write?);
    }
    shared.stopped.store(true, Ordering::Release);
    shared.stop.notify_waiters();
    let mut outcome = Outcome::default();
    let mut merged = histogram();
    while let Some(seen) = readers.join_next().await {
        let seen = seen?;
        outcome.delivered += seen.delivered;
        outcome.lost += seen.lost;
        outcome.duplicated += seen.duplicated;
        outcome.errors += seen.errors;
        merged.add(&seen.latency).ok();
    }
    outcome.sent = shared.sent_in_window.load(Ordering::Relaxed);
    outcome.sent_total = shared
        .sent_by
        .iter()
        .map(|s| s.load(Ordering::Relaxed))
        .sum();
    outcome.latency = Some(merged);
    drop(quiet);
    Ok(outcome)
}

/// Sends `b:<sender>:<seq>:<send time>:<padding>` until the window is over: at the given
/// rate from `started` on, or whenever a message of the window came back.
async fn send(
    mut write: SplitSink<Socket, Message>,
    (id, started): (usize, Instant),
    rate: Option<f64>,
    permits: Arc<Semaphore>,
    shared: Arc<Shared>,
) -> SplitSink<Socket, Message> {
    let mut seq: u64 = 0;
    while !shared.window.over() {
        // At a rate, a message is stamped with the time it was due, not the time it went:
        // a client that falls behind then shows as latency instead of hiding it.
        let now = match rate {
            Some(rate) => {
                let due = started + Duration::from_secs_f64(seq as f64 / rate);
                tokio::time::sleep_until(due.into()).await;
                if shared.window.over() {
                    break;
                }
                due
            }
            None => match tokio::time::timeout(Duration::from_millis(200), permits.acquire()).await
            {
                Ok(Ok(permit)) => {
                    permit.forget();
                    Instant::now()
                }
                Ok(Err(_)) => break,
                Err(_) => continue,
            },
        };
        let text = format!("b:{id}:{seq}:{}:{}", shared.window.stamp(now), shared.pad);
        if write
            .send(Message::text(json!({"message": text}).to_string()))
            .await
            .is_err()
        {
            Counters::add(&shared.counters.errors, 1);
            break;
        }
        seq += 1;
        shared.sent_by[id].store(seq, Ordering::Release);
        Counters::add(&shared.counters.sent, 1);
        if shared.window.contains(now) {
            shared.sent_in_window.fetch_add(1, Ordering::Relaxed);
        }
    }
    write
}

/// What one socket saw.
struct Seen {
    delivered: u64,
    lost: u64,
    duplicated: u64,
    errors: u64,
    latency: Histogram<u64>,
}

/// Reads one socket of a group.
struct Reader {
    /// The group's senders.
    senders: std::ops::Range<usize>,
    /// When the socket also sends: its sender id, and the window to give back to.
    own: Option<(usize, Arc<Semaphore>)>,
    shared: Arc<Shared>,
}

impl Reader {
    /// Reads until the sending stopped and every sender's last message arrived (or the
    /// drain time ran out), checking order and completeness per sender.
    async fn run<S>(self, mut read: S) -> Seen
    where
        S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
            + Unpin,
    {
        let shared = &self.shared;
        let mut next = vec![0u64; self.senders.len()];
        let mut seen = Seen {
            delivered: 0,
            lost: 0,
            duplicated: 0,
            errors: 0,
            latency: histogram(),
        };
        let stopping = shared.stop.notified();
        let drained = tokio::time::sleep(Duration::MAX / 4);
        tokio::pin!(stopping, drained);
        let mut stopped = false;
        loop {
            // (A reader first run after the senders stopped has missed the notification.)
            if !stopped && shared.stopped.load(Ordering::Acquire) {
                stopped = true;
                drained.as_mut().reset(tokio::time::Instant::now() + DRAIN);
            }
            if stopped && self.complete(&next) {
                break;
            }
            let frame = tokio::select! {
                biased;
                frame = read.next() => frame,
                _ = &mut stopping, if !stopped => {
                    stopped = true;
                    drained.as_mut().reset(tokio::time::Instant::now() + DRAIN);
                    continue;
                }
                _ = &mut drained => break,
            };
            let text = match frame {
                Some(Ok(Message::Text(text))) => text,
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                    seen.errors += 1;
                    Counters::add(&shared.counters.errors, 1);
                    break;
                }
                Some(Ok(_)) => continue,
            };
            self.take(&text, &mut next, &mut seen);
        }
        for (s, n) in self.senders.clone().zip(&next) {
            seen.lost += shared.sent_by[s].load(Ordering::Acquire).saturating_sub(*n);
        }
        seen
    }

    /// Whether every sender's last message has come.
    fn complete(&self, next: &[u64]) -> bool {
        self.senders
            .clone()
            .zip(next)
            .all(|(s, n)| self.shared.sent_by[s].load(Ordering::Acquire) == *n)
    }

    /// Counts one frame.
    fn take(&self, frame: &str, next: &mut [u64], seen: &mut Seen) {
        let shared = &self.shared;
        let received = Instant::now();
        if crate::client::is_error(frame) {
            // One of this socket's own messages was refused: an error, and (as it will
            // never come back) its place in the window is free again.
            seen.errors += 1;
            Counters::add(&shared.counters.errors, 1);
            if let Some((_, permits)) = &self.own {
                permits.add_permits(1);
            }
            return;
        }
        let Some((sender, seq, stamp)) = content_of(frame).and_then(parse) else {
            return;
        };
        let Some(slot) = sender
            .checked_sub(self.senders.start)
            .and_then(|i| next.get_mut(i))
        else {
            return;
        };
        if seq < *slot {
            seen.duplicated += 1;
            return;
        }
        seen.lost += seq - *slot;
        *slot = seq + 1;
        Counters::add(&shared.counters.done, 1);
        if shared.window.contains(received) {
            seen.delivered += 1;
        }
        let sent_at = shared.window.instant(stamp);
        if shared.window.contains(sent_at) {
            seen.latency.record(micros(received - sent_at)).ok();
        }
        if let Some((_, permits)) = self.own.as_ref().filter(|(id, _)| *id == sender) {
            permits.add_permits(1);
        }
    }
}

/// `(sender, seq, stamp)` of `b:<sender>:<seq>:<stamp>:<padding>`.
pub fn parse(content: &str) -> Option<(usize, u64, u64)> {
    let mut parts = content.strip_prefix("b:")?.split(':');
    Some((
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamped_contents_read_back() {
        assert_eq!(parse("b:3:17:123456:xxxx"), Some((3, 17, 123456)));
        assert_eq!(parse("f:3:17"), None);
        assert_eq!(parse("b:3:x:1:"), None);
    }

    #[test]
    fn a_dispatch_frames_number_is_read() {
        let frame = r#"{"op":"dispatch","t":"presence_update","s":42,"d":{"s":1}}"#;
        assert_eq!(seq_of(frame), Some(42));
        assert_eq!(seq_of(r#"{"op":"heartbeat_ack","d":null}"#), None);
    }
}
