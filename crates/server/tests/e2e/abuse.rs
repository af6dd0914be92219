//! One client must never be able to take pingme down: each class of abuse found when pingme
//! was probed as an attacker would, reproduced against a real server, and the resource it
//! went for asserted bounded (memory read from `/proc`, descriptors, connections), never a
//! timed assertion.

use crate::cli::{finished, pingme};
use crate::support::community::room;
use crate::support::node::Node;
use crate::support::raw_ws::{self, PING, RawSocket};
use crate::support::{Options, eventually, spawn_app_with};
use futures_util::{SinkExt, StreamExt};
use pingme_api::config::ChatConfig;
use pingme_server::listener::{ListenerConfig, Timeouts};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::process::Command;
use tokio_tungstenite::tungstenite::Message;

const PASSWORD: &str = "abuse test password 1";

/// A verified account made with the CLI, logged in on `node`: its access token.
async fn account(node: &Node, dir: &std::path::Path, name: &str) -> String {
    let mut create = pingme(dir);
    create
        .args(["admin", "create-user", "--verified", "--username", name])
        .args(["--email", &format!("{name}@example.com")])
        .env("PINGME_ADMIN_PASSWORD", PASSWORD);
    let output = finished(&mut create).await;
    assert!(output.status.success(), "{output:?}");
    node.login(&reqwest::Client::new(), name, PASSWORD).await
}

/// A server made by the token's owner: its id and its first channel's.
async fn server_of(node: &Node, token: &str) -> (i64, i64) {
    let client = reqwest::Client::new();
    let categories: Value = client
        .get(format!("{}/api/categories/", node.url))
        .send()
        .await
        .expect("categories")
        .json()
        .await
        .expect("json");
    let body = json!({"name": "lounge", "category": categories[0]["id"]});
    let response = client
        .post(format!("{}/api/servers/", node.url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("create server");
    assert_eq!(response.status(), StatusCode::CREATED);
    let server: Value = response.json().await.expect("json");
    let id = server["id"].as_i64().expect("id");
    (
        id,
        server["channel_server"][0]["id"].as_i64().expect("channel"),
    )
}

async fn healthy(url: &str) -> bool {
    let response = reqwest::Client::new()
        .get(format!("{url}/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    response.is_ok_and(|r| r.status() == StatusCode::OK)
}

/// Pings as fast as the connection takes them, never reading: each owes a pong, and the
/// pongs used to pile up in the server's memory without limit (hundreds of MiB a second).
/// Now what the server holds for the socket is bounded, and the socket is closed (4008)
/// once nothing it is sent can leave.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pings_never_read_cost_bounded_memory_and_close_the_socket_with_4008() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = pingme(dir.path());
    command
        .env("RUST_LOG", "warn")
        .env("PINGME_WS_SEND_TIMEOUT", "2s");
    let node = Node::start(command).await;
    let token = account(&node, dir.path(), "pinger").await;
    let (server, channel) = server_of(&node, &token).await;
    let before = node.memory();

    let mut socket =
        RawSocket::open(&node.url, &format!("/{server}/{channel}?token={token}")).await;
    let payload = [7u8; 125];
    let mut sent = 0usize;
    let mut peak = before.rss;
    let flood_until = tokio::time::Instant::now() + Duration::from_secs(6);
    while tokio::time::Instant::now() < flood_until {
        let batch = tokio::time::timeout(
            Duration::from_millis(200),
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
    assert!(sent >= 50_000, "only {sent} pings went out");
    // The highest the server's memory went, sampled and as the kernel recorded it.
    let peak = peak.max(before.rss + node.memory().peak.saturating_sub(before.peak));
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
    // Reading now: the pongs that fitted in the buffers, then the close frame.
    assert_eq!(socket.close_code(Duration::from_secs(60)).await, Some(4008));
    assert!(healthy(&node.url).await);
    node.terminate().await;
}

/// A client's pings are not a sign of life: a socket that sends nothing but pings, and
/// never answers the server's, is closed as silent. One that answers stays.
#[tokio::test]
async fn pings_alone_do_not_keep_a_socket_open() {
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

/// A test server whose connection timeouts are short.
async fn with_timeouts(head: u64, keep_alive: u64, body: u64) -> crate::support::TestApp {
    let http = ListenerConfig {
        timeouts: Timeouts {
            head: Duration::from_millis(head),
            keep_alive: Duration::from_millis(keep_alive),
            stall: Duration::from_millis(body),
        },
        ..ListenerConfig::default()
    };
    spawn_app_with(Options {
        http,
        ..Options::default()
    })
    .await
}

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1));

/// Connections that send nothing, half a request line, half the headers or half a body, or
/// that sit idle between requests, are closed by the server; before, each stayed open for
/// ever.
#[tokio::test]
async fn stalled_connections_are_reaped() {
    let app = with_timeouts(500, 1000, 1000).await;
    let url = &app.url;
    let pieces: [&[u8]; 3] = [
        b"",
        b"GET /hea",
        b"GET /healthz HTTP/1.1\r\nHost: pingme.test\r\nAccept: */*\r\n",
    ];
    for piece in pieces {
        let mut stream = raw_ws::send_raw(url, LOCAL, piece).await;
        let answer = raw_ws::closed_within(&mut stream, Duration::from_secs(30)).await;
        let piece = String::from_utf8_lossy(piece);
        assert_eq!(answer.as_deref(), Some(""), "after {piece:?}");
    }
    // Idle between requests: the first is answered, then the connection goes.
    let request = b"GET /healthz HTTP/1.1\r\nHost: pingme.test\r\n\r\n";
    let mut stream = raw_ws::send_raw(url, LOCAL, request).await;
    let answer = raw_ws::closed_within(&mut stream, Duration::from_secs(30)).await;
    assert!(
        answer
            .as_deref()
            .is_some_and(|a| a.starts_with("HTTP/1.1 200")),
        "{answer:?}"
    );
}

/// Half a body, or a body trickling in, gets 408 once the body timeout has passed, and the
/// connection is closed.
#[tokio::test]
async fn bodies_that_do_not_arrive_get_408() {
    let app = with_timeouts(5000, 5000, 800).await;
    let head = "POST /api/token/ HTTP/1.1\r\nHost: pingme.test\r\n\
                Content-Type: application/json\r\nContent-Length: 100\r\n\r\n";
    let half = format!("{head}{{\"username\": \"ann\"");
    let mut stream = raw_ws::send_raw(&app.url, LOCAL, half.as_bytes()).await;
    let answer = raw_ws::closed_within(&mut stream, Duration::from_secs(30))
        .await
        .expect("closed");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(
        answer.contains("The request body took too long to arrive."),
        "{answer}"
    );
    // A byte at a time, each well within the deadline of the one before.
    let mut stream = raw_ws::send_raw(&app.url, LOCAL, head.as_bytes()).await;
    let trickle = async {
        for byte in b"{\"username\": \"ann\", \"password\": \"a very long password\"}".repeat(2) {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if stream.write_all(&[byte]).await.is_err() {
                break;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), trickle)
        .await
        .expect("the trickle ends");
    let answer = raw_ws::closed_within(&mut stream, Duration::from_secs(30))
        .await
        .expect("closed");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

/// Idle connections from one address take at most its share; the others are closed at
/// once, and a client at another address is served throughout.
#[tokio::test]
async fn one_address_cannot_take_every_connection() {
    let http = ListenerConfig {
        max_per_client: Some(20),
        ..ListenerConfig::default()
    };
    let app = spawn_app_with(Options {
        http,
        ..Options::default()
    })
    .await;
    let flooder = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let mut held = Vec::new();
    let mut refused = 0;
    for _ in 0..60 {
        let mut stream = raw_ws::tcp_from(&app.url, flooder).await.expect("connect");
        // Closed at once (read ends) when over the cap; still open otherwise.
        match raw_ws::closed_within(&mut stream, Duration::from_millis(200)).await {
            Some(_) => refused += 1,
            None => held.push(stream),
        }
    }
    assert_eq!((held.len(), refused), (20, 40));
    let other = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));
    let request = b"GET /healthz HTTP/1.1\r\nHost: pingme.test\r\nConnection: close\r\n\r\n";
    let mut stream = raw_ws::send_raw(&app.url, other, request).await;
    let answer = raw_ws::closed_within(&mut stream, Duration::from_secs(10)).await;
    assert!(
        answer
            .as_deref()
            .is_some_and(|a| a.starts_with("HTTP/1.1 200")),
        "{answer:?}"
    );
    // A place given back is taken again.
    drop(held.pop());
    let mut again = eventually(Duration::from_secs(10), || async {
        let mut stream = raw_ws::tcp_from(&app.url, flooder).await.ok()?;
        raw_ws::closed_within(&mut stream, Duration::from_millis(200))
            .await
            .is_none()
            .then_some(stream)
    })
    .await;
    assert!(
        raw_ws::closed_within(&mut again, Duration::from_millis(100))
            .await
            .is_none()
    );
}

/// `pingme serve` under an open-files limit of `soft`:`hard`, as `prlimit` sets it.
fn limited(dir: &std::path::Path, soft: u64, hard: u64) -> Command {
    let mut command = Command::new("prlimit");
    command
        .arg(format!("--nofile={soft}:{hard}"))
        .arg(env!("CARGO_BIN_EXE_pingme"))
        .env_clear()
        .env("PINGME_DATA_DIR", dir)
        .env("RUST_LOG", "warn")
        .kill_on_drop(true);
    command
}

/// The open-files limits of a process: soft, hard.
fn open_files_limit(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("limits");
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("open files line");
    let mut numbers = line.split_whitespace().skip(3);
    (
        numbers.next().expect("soft").to_owned(),
        numbers.next().expect("hard").to_owned(),
    )
}

/// Idle connections from many addresses used to take every descriptor of the process:
/// health checks stopped answering and, connections never timing out, the server never
/// recovered. Now the soft limit is raised to the hard one, connections are capped below
/// it with descriptors kept in reserve, the database keeps working, the refusals are
/// logged, and once the idle connections are reaped new clients are served again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_flood_leaves_descriptors_in_reserve_and_the_server_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = limited(dir.path(), 256, 640);
    command
        .env("PINGME_HTTP_HEADER_TIMEOUT", "3s")
        .env("PINGME_MAX_CONNECTIONS_PER_IP", "100");
    let node = Node::start(command).await;
    assert_eq!(open_files_limit(node.pid()), ("640".into(), "640".into()));
    let client = reqwest::Client::new();
    account(&node, dir.path(), "steady").await;
    // A keep-alive connection made before the flood.
    node.login(&client, "steady", PASSWORD).await;

    let mut flood = Vec::new();
    for host in 2..=9u8 {
        for _ in 0..100 {
            let from = IpAddr::V4(Ipv4Addr::new(127, 0, 0, host));
            if let Ok(stream) = raw_ws::tcp_from(&node.url, from).await {
                flood.push(stream);
            }
        }
    }
    // At most 640 - 256 connections were kept: the rest of the descriptors are free.
    let open = node.open_files();
    assert!(open < 640 - 128, "{open} descriptors open during the flood");
    // The database and the connection kept alive still work.
    node.login(&client, "steady", PASSWORD).await;
    // The flood's connections send nothing: reaped after the head timeout, and new clients
    // get in again without anyone closing them from the outside.
    let from = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 10));
    let request = b"GET /healthz HTTP/1.1\r\nHost: pingme.test\r\nConnection: close\r\n\r\n";
    eventually(Duration::from_secs(30), || async {
        let mut stream = raw_ws::send_raw(&node.url, from, request).await;
        let answer = raw_ws::closed_within(&mut stream, Duration::from_secs(5)).await?;
        answer.starts_with("HTTP/1.1 200").then_some(())
    })
    .await;
    let log = node.terminate().await;
    assert!(log.contains("connections refused"), "{log}");
    assert!(!log.contains("Too many open files"), "{log}");
    drop(flood);
}

/// An account deactivated with the CLI — another process, which reaches no socket itself —
/// loses its open sockets on every node, each of which re-checks its sockets against the
/// database every ping interval.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivation_from_the_cli_closes_the_accounts_sockets_on_every_node() {
    let dir = tempfile::tempdir().unwrap();
    let node = |_: u8| {
        let mut command = pingme(dir.path());
        command
            .env("RUST_LOG", "warn")
            .env("PINGME_WS_PING", "1s")
            .env("PINGME_WS_IDLE", "5s");
        Node::start(command)
    };
    let (a, b) = (node(1).await, node(2).await);
    let token = account(&a, dir.path(), "leaving").await;
    let stays = account(&a, dir.path(), "staying").await;
    let (server, channel) = server_of(&a, &token).await;
    let client = reqwest::Client::new();
    let join = format!("{}/api/servers/{server}/add_member/", b.url);
    let joined = client.post(join).bearer_auth(&stays).send().await.unwrap();
    assert_eq!(joined.status(), StatusCode::OK);
    let open = |node: &Node, token: &str| {
        let url = format!(
            "{}/{server}/{channel}?token={token}",
            node.url.replacen("http", "ws", 1)
        );
        async move {
            tokio_tungstenite::connect_async(url)
                .await
                .expect("socket")
                .0
        }
    };
    let mut on_a = open(&a, &token).await;
    let mut on_b = open(&b, &token).await;
    let mut other = open(&b, &stays).await;

    let mut deactivate = pingme(dir.path());
    deactivate.args(["admin", "deactivate-user", "--username", "leaving"]);
    assert!(finished(&mut deactivate).await.status.success());
    for socket in [&mut on_a, &mut on_b] {
        let close = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(Ok(frame)) = socket.next().await {
                if let Message::Close(close) = frame {
                    return close.map(|c| u16::from(c.code));
                }
            }
            None
        })
        .await
        .expect("closed in time");
        assert_eq!(close, Some(4403));
    }
    // Someone else's socket is left alone.
    other
        .send(Message::text(r#"{"message": "still here"}"#))
        .await
        .unwrap();
    let echoed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(Ok(Message::Text(text))) = other.next().await {
                return text;
            }
        }
    })
    .await
    .expect("echo");
    assert!(echoed.contains("still here"), "{echoed}");
    a.terminate().await;
    b.terminate().await;
}
