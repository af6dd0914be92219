//! The Redis bus against real Redis servers: events cross between two nodes' hubs, a node
//! never delivers its own event twice, and a Redis that stops and comes back (a private
//! `redis-server` started by the test) stops only the crossing, which resumes by itself.
//! Needs `PINGME_TEST_REDIS_URL`: a plain `cargo test` lists these tests as ignored, and
//! `.ci/run` runs them (`--include-ignored`), failing if Redis is not there.

use pingme_domain::events::{Event, EventBus};
use pingme_domain::{AccountId, ChannelId, ServerId};
use pingme_realtime::{Connection, Hub, LocalBus, RedisBus};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn redis_url() -> String {
    std::env::var("PINGME_TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .expect("the Redis bus tests need PINGME_TEST_REDIS_URL")
}

/// A node: its hub, its bus, and one socket in channel 1.
struct Node {
    bus: RedisBus,
    socket: Connection,
}

fn node(url: &str, channel: &str) -> Node {
    let hub = Arc::new(Hub::default());
    let bus = RedisBus::start(url, channel, LocalBus::new(hub.clone())).expect("a Redis URL");
    let socket = hub.join((ServerId(1), ChannelId(1)), (AccountId(1), 0), 64);
    Node { bus, socket }
}

/// A channel name of this test run only, so parallel runs never hear each other.
fn unique_channel(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("pingme-test:{name}:{}:{nanos}", std::process::id())
}

fn frame(text: &str) -> Event {
    Event::ChannelFrame {
        channel: ChannelId(1),
        frame: text.into(),
        except: None,
    }
}

/// The next frame the socket gets within `wait`.
async fn next_frame(socket: &mut Connection, wait: Duration) -> Option<String> {
    tokio::time::timeout(wait, socket.frames.recv())
        .await
        .ok()
        .flatten()
        .map(|f| f.as_str().to_owned())
}

async fn until_connected(nodes: &[&Node], within: Duration) {
    let deadline = Instant::now() + within;
    while !nodes.iter().all(|n| n.bus.status().connected) {
        assert!(
            Instant::now() < deadline,
            "the buses did not connect in time"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
#[ignore = "needs Redis: PINGME_TEST_REDIS_URL (.ci/run sets it)"]
async fn events_cross_nodes_once() {
    let url = redis_url();
    let channel = unique_channel("cross");
    let (mut a, mut b) = (node(&url, &channel), node(&url, &channel));
    assert_ne!(a.bus.node(), b.bus.node());
    until_connected(&[&a, &b], Duration::from_secs(5)).await;
    a.bus.publish(frame("from a"));
    b.bus.publish(frame("from b"));
    for socket in [&mut a.socket, &mut b.socket] {
        let mut got = vec![
            next_frame(socket, Duration::from_secs(5)).await.unwrap(),
            next_frame(socket, Duration::from_secs(5)).await.unwrap(),
        ];
        got.sort();
        assert_eq!(got, ["from a", "from b"]);
        assert_eq!(
            next_frame(socket, Duration::from_millis(300)).await,
            None,
            "each event once"
        );
    }
    // Closing events cross too: a removal on node A closes the socket held on node B.
    a.bus.publish(Event::MemberRemoved {
        server: ServerId(1),
        account: AccountId(1),
    });
    let close = tokio::time::timeout(Duration::from_secs(5), b.socket.closed())
        .await
        .expect("node B's socket is closed");
    assert_eq!(close.code, pingme_realtime::close_codes::FORBIDDEN);
    assert_eq!(a.bus.dropped() + b.bus.dropped(), 0);
}

/// A private `redis-server` on a port of its own.
struct PrivateRedis {
    port: u16,
    process: Child,
}

impl PrivateRedis {
    async fn start(port: u16) -> Self {
        let process = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server on the PATH (the Redis bus tests start their own)");
        let deadline = Instant::now() + Duration::from_secs(5);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(Instant::now() < deadline, "redis-server did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Self { port, process }
    }

    /// Kills it (see `Drop`); its port, to start another on.
    fn stop(self) -> u16 {
        self.port
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: PINGME_TEST_REDIS_URL (.ci/run sets it)"]
async fn a_redis_outage_stops_only_the_crossing_which_resumes_by_itself() {
    redis_url();
    let redis = PrivateRedis::start(free_port()).await;
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let channel = unique_channel("outage");
    let (mut a, mut b) = (node(&url, &channel), node(&url, &channel));
    until_connected(&[&a, &b], Duration::from_secs(5)).await;
    a.bus.publish(frame("before"));
    assert_eq!(
        next_frame(&mut b.socket, Duration::from_secs(5))
            .await
            .as_deref(),
        Some("before")
    );
    assert_eq!(
        next_frame(&mut a.socket, Duration::from_secs(1))
            .await
            .as_deref(),
        Some("before")
    );

    // Both idle nodes notice the outage by themselves (their pings fail).
    let port = redis.stop();
    let deadline = Instant::now() + Duration::from_secs(5);
    while a.bus.status().connected || b.bus.status().connected {
        assert!(Instant::now() < deadline, "the outage is not reported");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Local delivery goes on; what cannot cross is dropped, not kept.
    for n in 0..20 {
        a.bus.publish(frame(&format!("during {n}")));
        assert_eq!(
            next_frame(&mut a.socket, Duration::from_secs(1)).await,
            Some(format!("during {n}"))
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(a.bus.dropped() > 0, "events of the outage are dropped");
    let dropped = a.bus.dropped();

    // Redis returns: both nodes reconnect by themselves within 5 s, and the very next event
    // crosses. (The one event whose sending failed is sent once more on the new connection:
    // it may arrive late; the others of the outage never do.)
    let _restarted = PrivateRedis::start(port).await;
    until_connected(&[&a, &b], Duration::from_secs(5)).await;
    a.bus.publish(frame("after"));
    let mut late = Vec::new();
    loop {
        let got = next_frame(&mut b.socket, Duration::from_secs(2)).await;
        match got.as_deref() {
            Some("after") => break,
            Some(during) if during.starts_with("during") => late.push(during.to_owned()),
            other => panic!("expected \"after\", got {other:?}"),
        }
    }
    assert!(late.len() <= 1, "only the failed send is retried: {late:?}");
    assert_eq!(
        next_frame(&mut b.socket, Duration::from_millis(300)).await,
        None
    );
    assert_eq!(a.bus.dropped(), dropped, "nothing dropped once back");
}
