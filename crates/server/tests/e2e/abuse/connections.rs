//! Connections: timeouts for heads, bodies and idle keep-alive, the cap per client address,
//! and a flood from many addresses under a low open-files limit.

use super::{PASSWORD, account};
use crate::support::node::Node;
use crate::support::raw_ws;
use crate::support::{Options, TestApp, eventually, spawn_app_with};
use pingme_server::listener::{ListenerConfig, Timeouts};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

/// A test server whose connection timeouts are short.
async fn with_timeouts(head: u64, keep_alive: u64, body: u64) -> TestApp {
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
        // Long enough that none of the flood's connections is reaped during the test.
        timeouts: Timeouts {
            head: Duration::from_secs(600),
            ..ListenerConfig::default().timeouts
        },
        ..ListenerConfig::default()
    };
    let app = spawn_app_with(Options {
        http,
        ..Options::default()
    })
    .await;
    let flooder = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let mut flood = Vec::new();
    for _ in 0..60 {
        flood.push(raw_ws::tcp_from(&app.url, flooder).await.expect("connect"));
    }
    // Each connection is asked for /healthz: the ones held are answered (and kept alive),
    // the ones refused were closed as soon as they were accepted.
    let mut held = Vec::new();
    for mut stream in flood {
        if raw_ws::exchange(&mut stream, HEALTH).await.is_some() {
            held.push(stream);
        }
    }
    assert_eq!(held.len(), 20);
    let other = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));
    assert!(
        healthz_from(&app.url, other).await,
        "another address is served"
    );
    // A place given back is taken again.
    drop(held.pop());
    eventually(Duration::from_secs(10), || async {
        let mut stream = raw_ws::tcp_from(&app.url, flooder).await.ok()?;
        raw_ws::exchange(&mut stream, HEALTH).await
    })
    .await;
}

const HEALTH: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: pingme.test\r\n\r\n";

/// Whether a new connection from `from` gets a 200 from /healthz.
async fn healthz_from(url: &str, from: IpAddr) -> bool {
    let Ok(mut stream) = raw_ws::tcp_from(url, from).await else {
        return false;
    };
    raw_ws::exchange(&mut stream, HEALTH)
        .await
        .is_some_and(|answer| answer.starts_with("HTTP/1.1 200"))
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
/// it with descriptors kept in reserve, a new connection takes the place of the oldest one
/// that never sent a request, so health checks are answered during the flood, and the
/// database and the connections in use keep working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_flood_leaves_room_for_health_checks_and_descriptors_in_reserve() {
    let dir = tempfile::tempdir().unwrap();
    let mut command = limited(dir.path(), 256, 640);
    command
        // None of the flood is reaped by a timeout: room is made by eviction alone.
        .env("PINGME_HTTP_HEADER_TIMEOUT", "600s")
        .env("PINGME_MAX_CONNECTIONS_PER_IP", "64");
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
    // At most 640 - 256 - the pool's connections were kept: the rest are free.
    let open = node.open_files();
    assert!(open < 640 - 128, "{open} descriptors open during the flood");
    // Health checks from a new address are answered while the flood holds on.
    for host in 10..15u8 {
        let from = IpAddr::V4(Ipv4Addr::new(127, 0, 0, host));
        assert!(
            healthz_from(&node.url, from).await,
            "health check from {from}"
        );
    }
    // The database and the connection kept alive still work.
    node.login(&client, "steady", PASSWORD).await;
    let log = node.terminate().await;
    assert!(log.contains("connections refused"), "{log}");
    assert!(log.contains("closed to make room"), "{log}");
    assert!(!log.contains("Too many open files"), "{log}");
    drop(flood);
}

/// Bodies held half-sent from one address take at most that address's share of the memory
/// for bodies: its next body gets 503 with `Retry-After`, while another address's request is
/// read as usual, and the share comes back once the held bodies are gone.
#[tokio::test]
async fn bodies_from_one_address_hold_at_most_its_share_of_memory() {
    // One client's share: two of the largest bodies (2 × 1 MiB) of 4 MiB in all.
    let app = spawn_app_with(Options {
        max_body_bytes: 1024 * 1024,
        body_memory: 4 * 1024 * 1024,
        ..Options::default()
    })
    .await;
    let flooder = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
    let head = "POST /api/token/ HTTP/1.1\r\nHost: pingme.test\r\n\
                Content-Type: application/json\r\nContent-Length: 1048576\r\n\r\n";
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = raw_ws::send_raw(&app.url, flooder, head.as_bytes()).await;
        stream
            .write_all(&[b' '; 900 * 1024])
            .await
            .expect("900 KiB");
        held.push(stream);
    }
    // Another 900 KiB from the same address does not fit in its share.
    let mut third = raw_ws::send_raw(&app.url, flooder, head.as_bytes()).await;
    let _ = third.write_all(&[b' '; 900 * 1024]).await;
    let answer = raw_ws::closed_within(&mut third, Duration::from_secs(30)).await;
    let answer = answer.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("retry-after: 2"), "{answer}");
    // Someone else is served meanwhile.
    let other = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 3));
    let body = r#"{"username":"ann","password":"wrong 1"}"#;
    let login = format!(
        "POST /api/token/ HTTP/1.1\r\nHost: pingme.test\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let login = login.as_str();
    let mut stream = raw_ws::send_raw(&app.url, other, login.as_bytes()).await;
    let answer = raw_ws::closed_within(&mut stream, Duration::from_secs(30)).await;
    assert!(answer.is_some_and(|a| a.starts_with("HTTP/1.1 401")));
    // The held bodies go; the address's share comes back.
    drop(held);
    eventually(Duration::from_secs(10), || async {
        let mut stream = raw_ws::send_raw(&app.url, flooder, login.as_bytes()).await;
        let answer = raw_ws::closed_within(&mut stream, Duration::from_secs(10)).await?;
        answer.starts_with("HTTP/1.1 401").then_some(())
    })
    .await;
}

/// When the server holds as many connections as it may, a new one takes the place of an
/// idle one — one that never sent a request, else the keep-alive connection idle longest —
/// however many addresses they come from; connections in use are never closed for it.
#[tokio::test]
async fn a_full_server_makes_room_by_closing_idle_connections_only() {
    let http = ListenerConfig {
        max_connections: Some(20),
        max_per_client: None,
        timeouts: Timeouts {
            head: Duration::from_secs(600),
            keep_alive: Duration::from_secs(600),
            stall: Duration::from_secs(600),
        },
        ..ListenerConfig::default()
    };
    let app = spawn_app_with(Options {
        http,
        ..Options::default()
    })
    .await;
    // Twenty connections, each served once and kept alive (idle), from twenty addresses.
    let mut kept = Vec::new();
    for host in 2..22u8 {
        let from = IpAddr::V4(Ipv4Addr::new(127, 0, 0, host));
        let mut stream = raw_ws::tcp_from(&app.url, from).await.expect("connect");
        raw_ws::exchange(&mut stream, HEALTH).await.expect("served");
        kept.push(stream);
    }
    // A newcomer is served: the connection idle longest, the first, made room.
    assert!(healthz_from(&app.url, IpAddr::V4(Ipv4Addr::new(127, 0, 0, 30))).await);
    let mut first = kept.remove(0);
    let closed = raw_ws::closed_within(&mut first, Duration::from_secs(10)).await;
    assert!(closed.is_some(), "the longest idle connection was closed");
    // Connections in use (a body on its way) are never closed to make room. Each asks to
    // be told to go on (`Expect: 100-continue`): the answer shows its request is being
    // handled.
    let head = "POST /api/token/ HTTP/1.1\r\nHost: pingme.test\r\nExpect: 100-continue\r\n\
                Content-Type: application/json\r\nContent-Length: 100\r\n\r\n";
    let mut busy = Vec::new();
    for host in 40..60u8 {
        let from = IpAddr::V4(Ipv4Addr::new(127, 0, 0, host));
        let mut stream = raw_ws::tcp_from(&app.url, from).await.expect("connect");
        let go_on = raw_ws::exchange(&mut stream, head.as_bytes()).await;
        assert!(
            go_on.is_some_and(|a| a.starts_with("HTTP/1.1 100")),
            "being handled"
        );
        stream
            .write_all(b"{")
            .await
            .expect("a first byte of the body");
        busy.push(stream);
    }
    let mut late = raw_ws::tcp_from(&app.url, IpAddr::V4(Ipv4Addr::new(127, 0, 0, 70)))
        .await
        .expect("connect");
    assert!(
        raw_ws::exchange(&mut late, HEALTH).await.is_none(),
        "refused: every connection is in use"
    );
    for stream in &mut busy {
        let open = raw_ws::closed_within(stream, Duration::from_millis(50)).await;
        assert!(open.is_none(), "a connection in use was closed");
    }
}

/// A keep-alive timeout falling while a large answer is still being written does not cut it
/// off: the connection is busy until the answer has left.
#[tokio::test]
async fn a_large_answer_read_slowly_arrives_whole() {
    let app = with_timeouts(5000, 200, 60_000).await;
    let request =
        b"GET /api/docs/schema/ui/swagger-ui-bundle.js HTTP/1.1\r\nHost: pingme.test\r\n\r\n";
    let mut stream = raw_ws::send_raw(&app.url, LOCAL, request).await;
    let mut received = Vec::new();
    let mut chunk = vec![0; 64 * 1024];
    loop {
        let read = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut chunk)).await;
        match read.expect("no stall") {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&chunk[..n]),
        }
        // About 640 KiB a second: the answer takes a few times the keep-alive timeout.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = String::from_utf8_lossy(&received);
    let head_end = text.find("\r\n\r\n").expect("a head") + 4;
    let length: usize = text
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length: ")
                .map(str::to_owned)
        })
        .and_then(|l| l.trim().parse().ok())
        .expect("a content length");
    assert!(length > 1024 * 1024, "{length} bytes");
    assert_eq!(received.len() - head_end, length, "the whole answer");
}
