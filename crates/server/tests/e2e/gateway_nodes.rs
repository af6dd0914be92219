//! The gateway across two nodes of one installation (one database, one Redis): dispatches
//! reach sessions on either node, a node's stream gets only what its sessions may see, and a
//! session resumes on the other node with exactly what it missed, and back. Needs
//! `PINGME_TEST_REDIS_URL` (ignored by a plain `cargo test`, run by `.ci/run`).

use crate::crash::{community, node_command};
use crate::gateway::{dispatch, send};
use crate::nodes::{bus_channel, connected, redis_url, two_nodes, two_nodes_on};
use crate::support::community::{call, room};
use crate::support::database::TestDatabase;
use crate::support::node::Node;
use crate::support::socket::Socket;
use crate::support::{Options, TestApp, User};
use futures_util::{SinkExt, StreamExt};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// Resumes `session` on `node` after `seq`: the missed dispatches' `(s, content)`, then the
/// `s` of `resumed`.
async fn resume(
    node: &TestApp,
    user: &User,
    session: &Value,
    seq: u64,
) -> (Socket, Vec<(u64, Value)>, u64) {
    let mut socket = node.gateway().await;
    let resume =
        json!({"op": "resume", "d": {"token": user.access, "session_id": session, "seq": seq}});
    socket.send(resume).await;
    let mut missed = Vec::new();
    loop {
        let (s, name, data) = dispatch(&mut socket).await;
        if name == "resumed" {
            return (socket, missed, s);
        }
        missed.push((s, data["content"].clone()));
    }
}

/// The dispatches in each node's stream under the channel's keys, fewest first.
/// The dispatches in each node's stream, but presence updates (sessions coming online).
async fn dispatches_by_node(redis: &str, channel: &str) -> Vec<usize> {
    let client = redis::Client::open(redis).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{channel}:gw:node:*"))
        .query_async(&mut conn)
        .await
        .unwrap();
    let mut lengths = Vec::new();
    for key in keys {
        let entries: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg(key)
            .arg("-")
            .arg("+")
            .query_async(&mut conn)
            .await
            .unwrap();
        let dispatches = entries
            .ids
            .iter()
            .filter(|entry| {
                entry.get::<String>("e").is_some_and(|e| {
                    e.starts_with(r#"{"dispatch""#) && !e.contains(r#""event":"presence_update""#)
                })
            })
            .count();
        lengths.push(dispatches);
    }
    lengths.sort_unstable();
    lengths
}

#[tokio::test]
#[ignore = "needs Redis: PINGME_TEST_REDIS_URL (.ci/run sets it)"]
async fn a_node_receives_only_the_dispatches_of_its_sessions_and_joins_apply_across_nodes() {
    let (redis, channel) = (redis_url(), bus_channel());
    let (a, b) = two_nodes_on(&redis, &channel, Options::default).await;
    connected([&a, &b]).await;
    let (ann, bob, cat) = (
        a.quick_user("ann", false).await,
        a.quick_user("bob", false).await,
        a.quick_user("cat", false).await,
    );
    let (server, channel_id) = room(&a, &ann, &[&bob]).await;
    let (mut on_a, _) = a.identified(&cat).await;
    // Cat joins through the other node: the join reaches her session, then the server's
    // messages do, sent from either node.
    let join = format!("/api/servers/{server}/add_member/");
    call(&b, Method::POST, &join, Some(&cat), None).await;
    let (seq, name, data) = dispatch(&mut on_a).await;
    assert_eq!(
        (seq, name.as_str(), &data["user"]["id"]),
        (2, "member_add", &json!(cat.id))
    );
    send(&b, &ann, channel_id, "to cat").await;
    let (seq, _, data) = dispatch(&mut on_a).await;
    assert_eq!((seq, &data["content"]), (3, &json!("to cat")));
    // Node B has no session: its stream holds no dispatch; A's holds the two.
    assert_eq!(dispatches_by_node(&redis, &channel).await, vec![0, 2]);
}

/// Two nodes; Ann and Bob in a room; Bob's session identified on node A.
struct Pair {
    a: TestApp,
    b: TestApp,
    ann: User,
    bob: User,
    channel: i64,
    on_a: Socket,
    session: Value,
}

async fn pair() -> Pair {
    let (a, b) = two_nodes(&redis_url()).await;
    connected([&a, &b]).await;
    let (ann, bob) = (
        a.quick_user("ann", false).await,
        a.quick_user("bob", false).await,
    );
    let (_, channel) = room(&a, &ann, &[&bob]).await;
    let (on_a, ready) = a.identified(&bob).await;
    let session = ready["d"]["session_id"].clone();
    Pair {
        a,
        b,
        ann,
        bob,
        channel,
        on_a,
        session,
    }
}

#[tokio::test]
#[ignore = "needs Redis: PINGME_TEST_REDIS_URL (.ci/run sets it)"]
async fn a_session_resumes_on_the_other_node_with_exactly_what_it_missed() {
    let Pair {
        a,
        b,
        ann,
        bob,
        channel,
        mut on_a,
        session,
    } = pair().await;
    // Sent through the other node, received on this one.
    send(&b, &ann, channel, "one").await;
    let (seq, _, data) = dispatch(&mut on_a).await;
    assert_eq!((seq, &data["content"]), (2, &json!("one")));
    drop(on_a);
    a.gateway_sessions_detached().await;
    send(&a, &ann, channel, "two").await;
    send(&b, &ann, channel, "three").await;

    let (mut on_b, missed, resumed) = resume(&b, &bob, &session, 2).await;
    assert_eq!(missed, vec![(3, json!("two")), (4, json!("three"))]);
    assert_eq!(resumed, 4);
    send(&a, &ann, channel, "four").await;
    let (seq, _, data) = dispatch(&mut on_b).await;
    assert_eq!((seq, &data["content"]), (5, &json!("four")));
    assert_eq!(a.gateway.attached() + b.gateway.attached(), 1);

    // Back to the first node, which let the session go: nothing missed, numbers go on.
    drop(on_b);
    b.gateway_sessions_detached().await;
    let (mut back, missed, resumed) = resume(&a, &bob, &session, 5).await;
    assert_eq!((missed, resumed), (vec![], 5));
    let id = send(&b, &ann, channel, "five").await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(dispatch(&mut back).await.0, 6);
    call(
        &b,
        Method::DELETE,
        &format!("/api/messages/{id}/"),
        Some(&ann),
        None,
    )
    .await;
    let (seq, name, data) = dispatch(&mut back).await;
    assert_eq!(
        (seq, name.as_str(), &data["id"]),
        (7, "message_delete", &json!(id))
    );

    // A number the session never gave: refused on either node.
    for node in [&a, &b] {
        let mut socket = node.gateway().await;
        let resume =
            json!({"op": "resume", "d": {"token": bob.access, "session_id": session, "seq": 99}});
        socket.send(resume).await;
        assert_eq!(socket.next().await["op"], "invalid_session");
    }
}

type Raw =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A gateway socket of a node process, past its hello.
async fn raw_gateway(node: &Node) -> Raw {
    let url = format!("{}/api/gateway/", node.url.replacen("http", "ws", 1));
    let (mut socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("gateway");
    let hello = raw_next(&mut socket).await.expect("hello");
    assert_eq!(hello["op"], "hello");
    socket
}

/// The next frame, or `None` once the socket is gone.
async fn raw_next(socket: &mut Raw) -> Option<Value> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(20), socket.next())
            .await
            .expect("a frame in time");
        match frame {
            Some(Ok(Message::Text(text))) => return serde_json::from_str(&text).ok(),
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return None,
            Some(Ok(_)) => {}
        }
    }
}

async fn raw_send(socket: &mut Raw, frame: Value) {
    socket
        .send(Message::Text(frame.to_string().into()))
        .await
        .expect("sent");
}

/// Posts `count` messages through `node` as fast as they are answered, the second half once
/// `go_on` says so; the contents stored.
async fn post_all(
    url: String,
    token: String,
    channel: i64,
    count: usize,
    go_on: tokio::sync::oneshot::Receiver<()>,
) -> Vec<String> {
    let client = reqwest::Client::new();
    let mut stored = Vec::new();
    let mut go_on = Some(go_on);
    for n in 0..count {
        if n == count / 2
            && let Some(go_on) = go_on.take()
        {
            go_on.await.expect("told to go on");
        }
        let content = format!("m{n}");
        let body = json!({"channel_id": channel, "content": content, "nonce": content});
        let answer = client
            .post(format!("{url}/api/messages/"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .expect("posted");
        assert_eq!(answer.status(), reqwest::StatusCode::CREATED);
        stored.push(content);
    }
    stored
}

/// What a listening session was sent: `(s, content)` of each `message_create`, in order;
/// every other dispatch counts in the numbering too.
fn record(frame: &Value, seen: &mut Vec<(u64, String)>, last: &mut u64) {
    if frame["op"] != "dispatch" {
        return;
    }
    let seq = frame["s"].as_u64().expect("s");
    if frame["t"] == "resumed" {
        assert_eq!(seq, *last, "resumed carries the last number");
        return;
    }
    assert_eq!(seq, *last + 1, "numbers follow each other: {frame}");
    *last = seq;
    if frame["t"] == "message_create" {
        let content = frame["d"]["content"].as_str().expect("content");
        seen.push((seq, content.to_owned()));
    }
}

/// Two node processes of one installation (Postgres and Redis) and a community of users.
struct Processes {
    database: TestDatabase,
    a: Node,
    b: Node,
    tokens: Vec<String>,
    channel: i64,
    _dirs: [tempfile::TempDir; 2],
}

async fn processes() -> Processes {
    let postgres = std::env::var("PINGME_TEST_POSTGRES_URL").expect("PINGME_TEST_POSTGRES_URL");
    let database = TestDatabase::postgres(&postgres).await;
    let (redis, bus) = (redis_url(), bus_channel());
    let settings: [(&str, &str); 4] = [
        ("DATABASE_URL", &database.url),
        ("REDIS_URL", &redis),
        ("PINGME_REDIS_CHANNEL", &bus),
        ("SECRET_KEY", "gateway-kill-secret-0123456789-abcdefghij"),
    ];
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Node::start(node_command(dir_a.path(), &settings)).await;
    let b = Node::start(node_command(dir_b.path(), &settings)).await;
    let (tokens, _, channel) = community(&a, dir_a.path(), &settings).await;
    Processes {
        database,
        a,
        b,
        tokens,
        channel,
        _dirs: [dir_a, dir_b],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Postgres and Redis: PINGME_TEST_POSTGRES_URL and PINGME_TEST_REDIS_URL (.ci/run sets them and runs it)"]
async fn a_session_on_a_killed_node_resumes_on_the_other_with_every_message_once() {
    const MESSAGES: usize = 400;
    let Processes {
        database,
        a,
        b,
        tokens,
        channel,
        _dirs: _kept,
    } = processes().await;

    let mut socket = raw_gateway(&a).await;
    raw_send(
        &mut socket,
        json!({"op": "identify", "d": {"token": tokens[0]}}),
    )
    .await;
    let ready = raw_next(&mut socket).await.expect("ready");
    assert_eq!(ready["t"], "ready");
    let session = ready["d"]["session_id"].clone();
    let (killed, go_on) = tokio::sync::oneshot::channel();
    let poster = tokio::spawn(post_all(
        b.url.clone(),
        tokens[1].clone(),
        channel,
        MESSAGES,
        go_on,
    ));
    let (mut seen, mut last) = (Vec::new(), 1);
    while seen.len() < MESSAGES / 4 {
        let frame = raw_next(&mut socket)
            .await
            .expect("a dispatch before the kill");
        record(&frame, &mut seen, &mut last);
    }
    a.kill().await;
    // Half of them are sent while the session has no socket.
    killed.send(()).unwrap();
    // What reached the client before its node died counts as seen.
    while let Some(frame) = raw_next(&mut socket).await {
        record(&frame, &mut seen, &mut last);
    }
    let before = seen.len();
    assert!(
        before < MESSAGES / 2 + 1,
        "{before} received before the resume"
    );
    let mut socket = raw_gateway(&b).await;
    let resume =
        json!({"op": "resume", "d": {"token": tokens[0], "session_id": session, "seq": last}});
    raw_send(&mut socket, resume).await;
    let stored = poster.await.expect("the poster");
    while seen.len() < stored.len() {
        let frame = raw_next(&mut socket)
            .await
            .expect("the rest, on the other node");
        assert_ne!(
            frame["op"], "invalid_session",
            "resumable on the other node"
        );
        record(&frame, &mut seen, &mut last);
    }
    assert!(
        seen.len() - before >= MESSAGES / 2,
        "the other half came through the resume"
    );
    let contents: Vec<String> = seen.into_iter().map(|(_, c)| c).collect();
    assert_eq!(contents, stored, "every message once, in order");
    b.terminate().await;
    drop(database);
}

#[tokio::test]
#[ignore = "needs Redis: PINGME_TEST_REDIS_URL (.ci/run sets it)"]
async fn a_node_stopping_closes_with_1001_and_its_sessions_resume_on_the_other() {
    let Pair {
        mut a,
        b,
        ann,
        bob,
        channel,
        mut on_a,
        session,
    } = pair().await;
    send(&b, &ann, channel, "before").await;
    assert_eq!(dispatch(&mut on_a).await.0, 2);
    // Stopped as SIGTERM would (node A keeps the test's database, which B shares).
    a.signal_stop();
    assert_eq!(on_a.closed().await.0, 1001);
    send(&b, &ann, channel, "while away").await;
    let (mut on_b, missed, resumed) = resume(&b, &bob, &session, 2).await;
    assert_eq!((missed, resumed), (vec![(3, json!("while away"))], 3));
    send(&b, &ann, channel, "after").await;
    let (seq, _, data) = dispatch(&mut on_b).await;
    assert_eq!((seq, &data["content"]), (4, &json!("after")));
    // And again on the node that holds it now (the same node: from what it kept).
    drop(on_b);
    b.gateway_sessions_detached().await;
    let mut other = b.gateway().await;
    let resume =
        json!({"op": "resume", "d": {"token": bob.access, "session_id": session, "seq": 4}});
    other.send(resume).await;
    assert_eq!(
        dispatch(&mut other).await,
        (4, "resumed".to_owned(), json!({}))
    );
}

/// The next `presence_update` about `user` within `wait`, reading past anything else.
async fn raw_presence_of(socket: &mut Raw, user: &Value, wait: Duration) -> Option<String> {
    let found = tokio::time::timeout(wait, async {
        while let Some(Ok(message)) = socket.next().await {
            let Message::Text(text) = message else {
                continue;
            };
            let frame: Value = serde_json::from_str(&text).expect("JSON");
            if frame["t"] == "presence_update" && frame["d"]["user_id"] == *user {
                return frame["d"]["status"].as_str().map(str::to_owned);
            }
        }
        None
    });
    found.await.ok().flatten()
}

/// Identifies on a node process: the socket and its `ready`.
async fn raw_identified(node: &Node, token: &str) -> (Raw, Value) {
    let mut socket = raw_gateway(node).await;
    raw_send(
        &mut socket,
        json!({"op": "identify", "d": {"token": token}}),
    )
    .await;
    let ready = raw_next(&mut socket).await.expect("ready");
    assert_eq!(ready["t"], "ready", "{ready}");
    (socket, ready)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Postgres and Redis: PINGME_TEST_POSTGRES_URL and PINGME_TEST_REDIS_URL (.ci/run sets them and runs it)"]
async fn presence_crosses_nodes_and_a_killed_nodes_people_go_offline_within_a_minute() {
    let Processes {
        database,
        a,
        b,
        tokens,
        channel: _,
        _dirs: _kept,
    } = processes().await;

    // The watcher on node B; the person on node A, who sees the watcher online in `ready`.
    let (mut watcher, watcher_ready) = raw_identified(&b, &tokens[1]).await;
    let (mut person, ready) = raw_identified(&a, &tokens[0]).await;
    let (me, them) = (&ready["d"]["user"]["id"], &watcher_ready["d"]["user"]["id"]);
    let presences = ready["d"]["presences"].as_array().unwrap();
    assert!(
        presences.contains(&json!({"user_id": them, "status": "online"})),
        "{presences:?}"
    );
    let wait = Duration::from_secs(10);
    assert_eq!(
        raw_presence_of(&mut watcher, me, wait).await.as_deref(),
        Some("online")
    );
    raw_send(
        &mut person,
        json!({"op": "presence", "d": {"status": "dnd"}}),
    )
    .await;
    assert_eq!(
        raw_presence_of(&mut watcher, me, wait).await.as_deref(),
        Some("dnd")
    );

    // Node A dies without a goodbye: the person is offline to the watcher within a minute.
    a.kill().await;
    let killed = std::time::Instant::now();
    let status = raw_presence_of(&mut watcher, me, Duration::from_secs(60)).await;
    assert_eq!(status.as_deref(), Some("offline"));
    eprintln!(
        "offline {:.1} s after the kill",
        killed.elapsed().as_secs_f64()
    );
    b.terminate().await;
    drop(database);
}
