//! Chat sockets: a client that floods pings without reading, one that talks without reading,
//! and one that only pings.

use super::{account, healthy, server_of};
use crate::cli::pingme;
use crate::support::community::room;
use crate::support::node::Node;
use crate::support::raw_ws::{self, PING, RawSocket};
use crate::support::{Options, TestApp, User, spawn_app_with};
use pingme_api::config::ChatConfig;
use serde_json::json;
use std::time::Duration;

/// Pings as fast as the connection takes them, never reading: each owes a pong, and the
/// pongs used to pile up in the server's memory without limit (hundreds of MiB a second).
/// Now what the server holds for the socket is bounded, and the socket is closed: 4008 once
/// nothing it is sent can leave, or for answering no ping.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pings_never_read_cost_bounded_memory_and_the_socket_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = pingme(dir.path());
    command
        .env("RUST_LOG", "warn")
        // Long enough for the flood below to go out on a loaded machine before the server,
        // unable to write, closes the socket.
        .env("PINGME_WS_SEND_TIMEOUT", "5s")
        // Where the kernel's buffers take every pong the server owes (seen with 32 MiB
        // receive windows), no send ever blocks: the socket is then closed because it
        // answered no ping (pings alone do not keep a socket open), within the wait below.
        .env("PINGME_WS_PING", "10s")
        .env("PINGME_WS_IDLE", "20s");
    let node = Node::start(command).await;
    let token = account(&node, dir.path(), "pinger").await;
    let (server, channel) = server_of(&node, &token).await;
    let before = node.memory();

    let mut socket =
        RawSocket::open(&node.url, &format!("/{server}/{channel}?token={token}")).await;
    // Enough pings that their pongs alone would be three times the bound below (more is
    // not always reached on a loaded machine before the server closes the socket).
    let enough = 3 * 48 * 1024 * 1024 / PING_FRAME;
    let (sent, peak) = flood_with_pings(&node, &mut socket, enough).await;
    assert!(sent >= enough, "only {sent} pings went out, not {enough}");
    let grown_mib = (peak.saturating_sub(before.rss)) / 1024;
    eprintln!(
        "{sent} pings never read: server RSS {} KiB before, {peak} KiB at most",
        before.rss
    );
    assert!(
        grown_mib < 48,
        "{sent} pings grew the server by {grown_mib} MiB (from {} KiB)",
        before.rss
    );
    // Reading now: the pongs that fitted in the buffers, then the close frame: 4008 when the
    // server's sends blocked, 1000 when the buffers took everything and the socket answered
    // no ping.
    let code = socket.close_code(Duration::from_secs(60)).await;
    assert!(matches!(code, Some(4008 | 1000)), "{code:?}");
    assert!(healthy(&node.url).await);
    node.terminate().await;
}

/// A ping of 125 bytes as a client sends it (masked).
const PING_FRAME: usize = 2 + 4 + 125;

/// Sends up to `enough` pings, never reading, for at most 20 s, until the server stops reading
/// (a batch not taken in 2 s): how many went out, and the highest the server's memory went
/// (sampled, and as the kernel recorded it), in KiB.
async fn flood_with_pings(node: &Node, socket: &mut RawSocket, enough: usize) -> (usize, u64) {
    let before = node.memory();
    let payload = [7u8; 125];
    let mut sent = 0usize;
    let mut peak = before.rss;
    let give_up = tokio::time::Instant::now() + Duration::from_secs(20);
    while sent < enough && tokio::time::Instant::now() < give_up {
        let batch = tokio::time::timeout(
            Duration::from_secs(2),
            socket.send_many(PING, &payload, 512),
        )
        .await;
        match batch {
            Ok(Ok(())) => sent += 512,
            // The server has stopped reading (it is closing the socket): nothing more goes in.
            Ok(Err(_)) | Err(_) => break,
        }
        peak = peak.max(node.memory().rss);
    }
    (
        sent,
        peak.max(before.rss + node.memory().peak.saturating_sub(before.peak)),
    )
}

/// The gateway writes its own frames (`gateway/wire.rs`): the socket library's pongs wait for
/// that writer, at most 16 KiB of them, and none once the server has closed the socket (it
/// still reads for its close grace). A client that pings without reading after the close
/// costs bounded memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_pings_never_read_after_the_close_cost_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = pingme(dir.path());
    command.env("RUST_LOG", "warn");
    let node = Node::start(command).await;
    let before = node.memory();
    let mut socket = RawSocket::open(&node.url, "/api/gateway/").await;
    // A token that is none: the server closes with 4003 and reads on for its grace.
    let identify = json!({"op": "identify", "d": {"token": "not a token"}});
    socket
        .send(raw_ws::TEXT, identify.to_string().as_bytes())
        .await
        .unwrap();
    let enough = 48 * 1024 * 1024 / PING_FRAME;
    let (sent, peak) = flood_with_pings(&node, &mut socket, enough).await;
    assert!(sent >= enough, "only {sent} pings went out, not {enough}");
    let grown_mib = (peak.saturating_sub(before.rss)) / 1024;
    assert!(
        grown_mib < 24,
        "{sent} pings after the close grew the server by {grown_mib} MiB"
    );
    assert_eq!(socket.close_code(Duration::from_secs(30)).await, Some(4003));
    assert!(healthy(&node.url).await);
    node.terminate().await;
}

/// A server that pings every 200 ms and closes sockets that answered none for 1.2 s, with an
/// account in a room of its own: the room's server and channel, and its socket path.
async fn pinging_often() -> (TestApp, User, (i64, i64), String) {
    let chat = ChatConfig {
        ping_interval: Duration::from_millis(200),
        idle_timeout: Duration::from_millis(1200),
        ..ChatConfig::default()
    };
    let app = spawn_app_with(Options {
        chat,
        ..Options::default()
    })
    .await;
    let ann = app.quick_user("ann", false).await;
    let (server, channel) = room(&app, &ann, &[]).await;
    let path = format!("/{server}/{channel}?token={}", ann.access);
    (app, ann, (server, channel), path)
}

/// A socket that keeps sending frames (typing notices, pongs nobody asked for or made up)
/// but never reads is closed too: only an echo of one of the server's pings, whose payloads
/// it cannot guess, shows that it reads.
#[tokio::test]
async fn a_socket_that_sends_but_never_reads_is_closed_with_4008() {
    let (app, _, _, path) = pinging_often().await;
    let mut talker = RawSocket::open(&app.url, &path).await;
    // Three idle timeouts of talking without reading a thing.
    for _ in 0..36 {
        let typing = talker.send(raw_ws::TEXT, br#"{"type": "typing"}"#).await;
        // Pongs nobody asked for: empty, or made up as if they answered the first ping.
        let pong = talker.send(raw_ws::PONG, b"").await;
        let forged = talker.send(raw_ws::PONG, &1u64.to_be_bytes()).await;
        if typing.is_err() || pong.is_err() || forged.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(talker.close_code(Duration::from_secs(30)).await, Some(4008));
}

/// A client's pings are not a sign of life: a socket that sends nothing but pings, and
/// never answers the server's, is closed as silent. One that answers stays.
#[tokio::test]
async fn pings_alone_do_not_keep_a_socket_open() {
    let (app, ann, (server, channel), path) = pinging_often().await;
    let mut pinger = RawSocket::open(&app.url, &path).await;
    let mut answering = app.socket(server, channel, &ann).await;
    let pinging = async {
        loop {
            if pinger.send(PING, b"still here?").await.is_err() {
                return None;
            }
            // Reads what came (the pongs, the server's pings), answering nothing.
            match tokio::time::timeout(Duration::from_millis(100), pinger.read()).await {
                Ok(Some(frame)) if frame.opcode == raw_ws::CLOSE => return frame.close_code(),
                Ok(None) => return None,
                _ => {}
            }
        }
    };
    // The answering socket is read meanwhile: its client library answers the pings.
    let (code, answered) = tokio::join!(
        tokio::time::timeout(Duration::from_secs(20), pinging),
        answering.silent_for(Duration::from_secs(3)),
    );
    assert_eq!(code.expect("the pinging socket is closed"), Some(1000));
    assert_eq!(answered, None);
    answering.send(json!({"message": "still here"})).await;
    assert_eq!(answering.next().await["message"]["content"], "still here");
}
