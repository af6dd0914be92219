//! The bus between nodes: Redis pub/sub on one channel.
//!
//! An event is carried out on this node's own sockets at once (through the [`LocalBus`]),
//! then handed to a publisher task that sends it to Redis. Each node holds exactly two Redis
//! connections, one publishing and one subscribed, whatever its number of sockets; an event
//! that comes back from Redis is carried out locally unless this node sent it (every event
//! travels with its origin node's id).
//!
//! Redis going away never stops the node: local deliveries go on, the loss is logged (once
//! per connection, at most once a minute), both connections come back by themselves (retried
//! every [`MAX_BACKOFF`] at most), and [`EventBus::status`] says the bus is down meanwhile.
//! Both connections ping Redis every [`HEARTBEAT`] when idle, so a connection that died
//! without closing is noticed within a few seconds, not at the next event. Events published while Redis cannot
//! take them are dropped rather than kept: the outgoing queue is bounded ([`QUEUE`]) and
//! emptied while the publisher waits to reconnect, so memory stays flat however long the
//! outage. Only the batch whose sending failed is sent once more on the next connection (so
//! an event published just as an idle connection turns out dead is not lost; after a long
//! outage it arrives late). Messages are in the database either way; other nodes' clients
//! find them in the history.

use crate::{GatewayHub, LocalBus, Relay};
use futures_util::StreamExt;
use pingme_domain::events::{BusStatus, Event, EventBus};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// Events waiting for the publisher; beyond that they are dropped (and counted).
pub const QUEUE: usize = 8192;
/// The longest wait between two attempts to reach Redis.
pub const MAX_BACKOFF: Duration = Duration::from_secs(1);
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// How long a connection attempt or a command may take.
const TIMEOUT: Duration = Duration::from_secs(2);
/// How often an idle connection is pinged, so that a dead one is noticed.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// Events sent in one pipeline at most.
const BATCH: usize = 256;
/// The least time between two warnings about an unreachable Redis.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// What travels on the Redis channel.
#[derive(Serialize, Deserialize)]
struct Envelope {
    origin: String,
    event: Event,
}

#[derive(Default)]
struct Health {
    publishing: AtomicBool,
    subscribed: AtomicBool,
    /// Subscriptions made so far: each new one may follow missed events.
    epoch: AtomicU64,
    dropped: AtomicU64,
}

#[derive(Clone)]
pub struct RedisBus {
    local: LocalBus,
    /// Held across carrying an event out here and queueing it for the others, so that every
    /// node sees this node's events in the same order.
    order: Arc<std::sync::Mutex<()>>,
    node: Arc<str>,
    /// Gateway dispatches go through it, not the channel (`relay` module).
    relay: Option<Arc<Relay>>,
    outgoing: mpsc::Sender<String>,
    health: Arc<Health>,
    /// Dropped with the last handle: the subscriber stops (the publisher stops when the queue
    /// closes).
    _stop: Arc<watch::Sender<()>>,
}

impl RedisBus {
    /// Starts the two connections' tasks on the current runtime. Fails only on a malformed
    /// URL: an unreachable Redis is retried in the background.
    pub fn start(url: &str, channel: &str, local: LocalBus) -> redis::RedisResult<Self> {
        let client = redis::Client::open(url)?;
        let node: Arc<str> = node_id().into();
        let health = Arc::new(Health::default());
        let (outgoing, queue) = mpsc::channel(QUEUE);
        let (stop, stopped) = watch::channel(());
        let channel: Arc<str> = channel.into();
        tokio::spawn(publish(
            client.clone(),
            channel.clone(),
            queue,
            health.clone(),
        ));
        tokio::spawn(subscribe(
            client,
            channel,
            node.clone(),
            local.clone(),
            health.clone(),
            stopped,
        ));
        Ok(Self {
            local,
            order: Arc::default(),
            node,
            relay: None,
            outgoing,
            health,
            _stop: Arc::new(stop),
        })
    }

    /// This node's id on the bus.
    pub fn node(&self) -> &str {
        &self.node
    }

    /// Starts the gateway's relay between nodes (keys under `prefix`), through which this
    /// bus then sends gateway dispatches.
    pub fn start_relay(
        &mut self,
        url: &str,
        prefix: &str,
        hub: Arc<GatewayHub>,
    ) -> redis::RedisResult<Arc<Relay>> {
        let relay = Relay::start(url, prefix, self.node.clone(), hub)?;
        self.relay = Some(relay.clone());
        Ok(relay)
    }

    /// Events dropped so far because Redis could not take them.
    pub fn dropped(&self) -> u64 {
        self.health.dropped.load(Ordering::Relaxed)
    }
}

impl EventBus for RedisBus {
    fn publish(&self, event: Event) {
        if let (Event::Dispatch(dispatch), Some(relay)) = (&event, &self.relay) {
            relay.publish(dispatch);
            return;
        }
        let envelope = Envelope {
            origin: self.node.to_string(),
            event,
        };
        let payload = serde_json::to_string(&envelope).unwrap_or_default();
        let _in_order = self.order.lock().unwrap_or_else(|e| e.into_inner());
        self.local.publish(envelope.event);
        if self.outgoing.try_send(payload).is_err() {
            self.health.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn status(&self) -> BusStatus {
        BusStatus {
            backend: "redis",
            connected: self.health.publishing.load(Ordering::Relaxed)
                && self.health.subscribed.load(Ordering::Relaxed)
                && self.relay.as_ref().is_none_or(|relay| relay.is_reading()),
            epoch: self.health.epoch.load(Ordering::Acquire),
        }
    }
}

/// Sends events to every node from a process that holds no sockets (the operator's CLI),
/// and answers once Redis has taken them — unlike a node's bus, it waits and it fails —
/// with the most nodes any of them reached (subscribers of the channel).
pub async fn publish_once(url: &str, channel: &str, events: Vec<Event>) -> redis::RedisResult<u64> {
    let client = redis::Client::open(url)?;
    let timed_out = || redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::TimedOut));
    let mut conn = tokio::time::timeout(TIMEOUT, client.get_multiplexed_async_connection())
        .await
        .map_err(|_| timed_out())??;
    // Gateway dispatches go to the nodes' streams, the rest on the channel.
    tokio::time::timeout(
        TIMEOUT,
        crate::relay::route_once(&mut conn, channel, &events),
    )
    .await
    .map_err(|_| timed_out())??;
    let origin = format!("operator-{}", node_id());
    let mut pipe = redis::pipe();
    for event in events
        .into_iter()
        .filter(|e| !matches!(e, Event::Dispatch(_)))
    {
        let envelope = Envelope {
            origin: origin.clone(),
            event,
        };
        pipe.publish(
            channel,
            serde_json::to_string(&envelope).unwrap_or_default(),
        );
    }
    let reached: Vec<u64> = tokio::time::timeout(TIMEOUT, pipe.query_async(&mut conn))
        .await
        .map_err(|_| timed_out())??;
    Ok(reached.into_iter().max().unwrap_or(0))
}

/// Random enough that two nodes never share one.
fn node_id() -> String {
    crate::random::random_hex::<8>()
}

/// A connection's state, logged on changes only, and a warning at most once a minute however
/// often a Redis that keeps refusing makes it flap.
struct Link {
    name: &'static str,
    up: bool,
    warned: Option<tokio::time::Instant>,
}

impl Link {
    fn new(name: &'static str) -> Self {
        Self {
            name,
            up: false,
            warned: None,
        }
    }

    /// After a command went through on a fresh connection.
    fn connected(&mut self, flag: &AtomicBool) {
        if !self.up && self.warned.is_some() {
            tracing::info!(
                link = self.name,
                "Redis is back; events reach the other nodes again"
            );
        }
        self.up = true;
        flag.store(true, Ordering::Relaxed);
    }

    fn lost(&mut self, flag: &AtomicBool, error: &dyn std::fmt::Display) {
        flag.store(false, Ordering::Relaxed);
        let quiet = self.warned.is_some_and(|at| at.elapsed() < WARN_EVERY);
        if self.up && !quiet || self.warned.is_none() {
            tracing::warn!(link = self.name, error = %error,
                "Redis unreachable: events reach this node's sockets only; retrying");
            self.warned = Some(tokio::time::Instant::now());
        }
        self.up = false;
    }
}

async fn connection(
    client: &redis::Client,
) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(TIMEOUT)
        .set_response_timeout(TIMEOUT);
    client
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

/// Sends queued events, in batches of whatever is waiting, while connected; pings when idle
/// so that a dead connection is noticed before the next event needs it. A batch that fails is
/// sent once more on the next connection, then dropped; while disconnected, new events are
/// dropped as they come.
async fn publish(
    client: redis::Client,
    channel: Arc<str>,
    mut queue: mpsc::Receiver<String>,
    health: Arc<Health>,
) {
    let mut link = Link::new("publish");
    let mut backoff = FIRST_BACKOFF;
    let mut retry: Vec<String> = Vec::new();
    loop {
        let ended = match connection(&client).await {
            Ok(mut conn) => {
                let session = Session {
                    channel: &channel,
                    health: &health,
                    link: &mut link,
                    backoff: &mut backoff,
                };
                session.run(&mut conn, &mut queue, &mut retry).await
            }
            Err(error) => Ended::Lost(error),
        };
        match ended {
            Ended::Closed => return,
            Ended::Lost(error) => link.lost(&health.publishing, &error),
        }
        if !drop_while_waiting(&mut queue, backoff, &health).await {
            return;
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

enum Ended {
    /// The bus is gone: nothing more to send.
    Closed,
    Lost(redis::RedisError),
}

/// One publishing connection's life.
struct Session<'a> {
    channel: &'a str,
    health: &'a Health,
    link: &'a mut Link,
    backoff: &'a mut Duration,
}

impl Session<'_> {
    async fn run(
        self,
        conn: &mut redis::aio::MultiplexedConnection,
        queue: &mut mpsc::Receiver<String>,
        retry: &mut Vec<String>,
    ) -> Ended {
        let mut batch = std::mem::take(retry);
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        loop {
            if batch.is_empty() {
                tokio::select! {
                    received = queue.recv_many(&mut batch, BATCH) => if received == 0 {
                        return Ended::Closed;
                    },
                    _ = heartbeat.tick() => {
                        let ping: redis::RedisResult<String> =
                            redis::cmd("PING").query_async(conn).await;
                        if let Err(error) = ping {
                            return Ended::Lost(error);
                        }
                    }
                }
            }
            if !batch.is_empty() {
                let mut pipe = redis::pipe();
                for payload in &batch {
                    pipe.publish(self.channel, payload).ignore();
                }
                let sent: redis::RedisResult<()> = pipe.query_async(conn).await;
                if let Err(error) = sent {
                    *retry = batch;
                    return Ended::Lost(error);
                }
                batch.clear();
                heartbeat.reset();
            }
            // Up once a command went through (not merely connected), so that a Redis that
            // accepts connections and refuses commands does not look healthy.
            self.link.connected(&self.health.publishing);
            *self.backoff = FIRST_BACKOFF;
        }
    }
}

/// Waits `wait`, dropping whatever is published meanwhile; false once the bus is gone.
async fn drop_while_waiting(
    queue: &mut mpsc::Receiver<String>,
    wait: Duration,
    health: &Health,
) -> bool {
    let until = tokio::time::sleep(wait);
    tokio::pin!(until);
    loop {
        tokio::select! {
            _ = &mut until => return true,
            event = queue.recv() => match event {
                Some(_) => {
                    health.dropped.fetch_add(1, Ordering::Relaxed);
                }
                None => return false,
            },
        }
    }
}

/// Holds the one subscription; carries out the other nodes' events on this node, and pings
/// through it so that a connection that died without closing is noticed.
async fn subscribe(
    client: redis::Client,
    channel: Arc<str>,
    node: Arc<str>,
    local: LocalBus,
    health: Arc<Health>,
    mut stopped: watch::Receiver<()>,
) {
    let mut link = Link::new("subscribe");
    let mut backoff = FIRST_BACKOFF;
    loop {
        let session = async {
            let pubsub = tokio::time::timeout(TIMEOUT, client.get_async_pubsub())
                .await
                .map_err(|_| timed_out())??;
            let (mut sink, mut messages) = pubsub.split();
            tokio::time::timeout(TIMEOUT, sink.subscribe(&*channel))
                .await
                .map_err(|_| timed_out())??;
            health.epoch.fetch_add(1, Ordering::AcqRel);
            link.connected(&health.subscribed);
            backoff = FIRST_BACKOFF;
            let mut heartbeat = tokio::time::interval(HEARTBEAT);
            loop {
                tokio::select! {
                    message = messages.next() => match message {
                        Some(message) => receive(&message, &node, &local),
                        None => return Err(closed()),
                    },
                    _ = heartbeat.tick() => {
                        let pong = tokio::time::timeout(TIMEOUT, sink.ping::<redis::Value>()).await;
                        pong.map_err(|_| timed_out())??;
                    }
                }
            }
        };
        let ended: redis::RedisResult<()> = tokio::select! {
            _ = stopped.changed() => return,
            ended = session => ended,
        };
        if let Err(error) = ended {
            link.lost(&health.subscribed, &error);
        }
        tokio::select! {
            _ = stopped.changed() => return,
            _ = tokio::time::sleep(backoff) => {}
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

fn timed_out() -> redis::RedisError {
    redis::RedisError::from(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        "Redis did not answer in time",
    ))
}

fn closed() -> redis::RedisError {
    redis::RedisError::from(std::io::Error::new(
        std::io::ErrorKind::ConnectionAborted,
        "the subscription connection closed",
    ))
}

fn receive(message: &redis::Msg, node: &str, local: &LocalBus) {
    let envelope = message
        .get_payload::<String>()
        .ok()
        .and_then(|payload| serde_json::from_str::<Envelope>(&payload).ok());
    match envelope {
        // Gateway dispatches travel in the nodes' streams, never on the channel.
        Some(envelope) if matches!(envelope.event, Event::Dispatch(_)) => {}
        Some(envelope) if envelope.origin != node => local.publish(envelope.event),
        Some(_) => {}
        None => tracing::warn!("an unreadable event on the Redis channel was ignored"),
    }
}
