//! Two nodes of one installation (one database, one Redis): a client on each, in the same
//! channel, gets the other's messages, edits and deletes, and a kick through node A closes
//! the socket held on node B; what node B's read cache holds follows changes made on node A
//! at once. Needs `PINGME_TEST_REDIS_URL` (ignored by a plain `cargo test`,
//! run by `.ci/run`), on whichever database the suite runs on (an SQLite file both nodes
//! open, or one Postgres database).

use crate::support::community::{call, get, post, rename, room};
use crate::support::{Options, TestApp, eventually, json_of, spawn_app_with};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

pub(crate) fn redis_url() -> String {
    std::env::var("PINGME_TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .expect("the multi-node tests need PINGME_TEST_REDIS_URL")
}

/// Two nodes on one database and one Redis channel of their own.
pub(crate) async fn two_nodes(redis: &str) -> (TestApp, TestApp) {
    two_nodes_with(redis, Options::default).await
}

/// [`two_nodes`], each started with `options()` (the bus and the database are set here).
async fn two_nodes_with(redis: &str, options: fn() -> Options) -> (TestApp, TestApp) {
    two_nodes_on(redis, &bus_channel(), options).await
}

/// A Redis channel no other test uses.
pub(crate) fn bus_channel() -> String {
    format!(
        "pingme-test:nodes:{}:{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    )
}

/// [`two_nodes_with`] on a given Redis channel.
pub(crate) async fn two_nodes_on(
    redis: &str,
    channel: &str,
    options: fn() -> Options,
) -> (TestApp, TestApp) {
    let channel = channel.to_owned();
    let bus = Some((redis.to_owned(), channel));
    let a = spawn_app_with(Options {
        redis: bus.clone(),
        ..options()
    })
    .await;
    let shared = a.database.url.clone();
    let b = spawn_app_with(Options {
        redis: bus,
        database_url: Some(shared),
        ..options()
    })
    .await;
    (a, b)
}

/// Waits for both nodes' buses to report themselves connected (`/readyz`).
pub(crate) async fn connected(nodes: [&TestApp; 2]) {
    for node in nodes {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let health: serde_json::Value = node
                .client
                .get(node.at("/readyz"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if health["bus"] == json!({"backend": "redis", "status": "ok"}) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "bus not connected: {health}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: PINGME_TEST_REDIS_URL (.ci/run sets it)"]
async fn clients_on_two_nodes_chat_and_a_kick_crosses_over() {
    let redis = redis_url();
    let (a, b) = two_nodes(&redis).await;
    connected([&a, &b]).await;
    let (ann, bob) = (
        a.quick_user("ann", false).await,
        a.quick_user("bob", false).await,
    );
    let (server, channel) = room(&a, &ann, &[&bob]).await;
    let mut on_a = a.socket(server, channel, &ann).await;
    let mut on_b = b.socket(server, channel, &bob).await;

    on_a.send(json!({"message": "hello from node a"})).await;
    for socket in [&mut on_a, &mut on_b] {
        assert_eq!(
            socket.next().await["message"]["content"],
            "hello from node a"
        );
    }
    on_b.send(json!({"message": "hello from node b"})).await;
    let mut ids = Vec::new();
    for socket in [&mut on_b, &mut on_a] {
        let frame = socket.next().await;
        assert_eq!(frame["message"]["content"], "hello from node b");
        ids.push(frame["message"]["id"].clone());
    }
    assert_eq!(ids[0], ids[1], "one message, one id");

    // An edit through node B and a delete through node A reach both sockets.
    let id = &ids[0];
    let edited = call(
        &b,
        Method::PATCH,
        &format!("/api/messages/{id}/"),
        Some(&bob),
        Some(json!({"content": "edited on b"})),
    )
    .await;
    assert_eq!(edited.status(), 200);
    for socket in [&mut on_a, &mut on_b] {
        let frame = socket.next().await;
        assert_eq!(
            (&frame["event"], &frame["data"]["content"]),
            (&json!("message_update"), &json!("edited on b"))
        );
    }
    let deleted = call(
        &a,
        Method::DELETE,
        &format!("/api/messages/{id}/"),
        Some(&ann),
        None,
    )
    .await;
    assert_eq!(deleted.status(), 204);
    for socket in [&mut on_a, &mut on_b] {
        let frame = socket.next().await;
        assert_eq!(
            (&frame["event"], &frame["data"]["id"]),
            (&json!("message_delete"), id)
        );
    }

    // The owner kicks bob through node A: his socket on node B closes with 4403.
    post(
        &a,
        &format!("/api/servers/{server}/kick/"),
        &ann,
        json!({"account": bob.id}),
    )
    .await;
    assert_eq!(on_b.closed().await.0, 4403);
    on_a.send(json!({"message": "still here"})).await;
    assert_eq!(on_a.next().await["message"]["content"], "still here");
    // Node B uses node A's database, which goes with A: B stops first.
    drop(b);
    drop(a);
}

/// Node B keeps what every request reads (the account a token names, a channel's server, a
/// membership) for ten minutes here; changes made through node A still show on node B at
/// once, because node A's events make it forget them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: PINGME_TEST_REDIS_URL (.ci/run sets it)"]
async fn changes_on_one_node_show_at_once_on_the_other_despite_its_cache() {
    let redis = redis_url();
    let long = || Options {
        cache_ttl: Duration::from_secs(600),
        ..Options::default()
    };
    let (a, b) = two_nodes_with(&redis, long).await;
    connected([&a, &b]).await;
    let (ann, bob) = (
        a.quick_user("ann", false).await,
        a.quick_user("bob", false).await,
    );
    let (server, channel) = room(&a, &ann, &[&bob]).await;
    let history = format!("/api/messages/?channel_id={channel}");
    // Node B reads, and so keeps, both accounts, the channel's server and both memberships.
    for user in [&ann, &bob] {
        json_of(get(&b, &history, Some(user)).await, StatusCode::OK).await;
    }
    let me = json_of(
        get(&b, "/api/account/me/", Some(&bob)).await,
        StatusCode::OK,
    )
    .await;
    assert_ne!(me["username"], "Bobby");

    rename(&a, &bob, "Bobby").await;
    eventually(Duration::from_secs(5), || async {
        let me = json_of(
            get(&b, "/api/account/me/", Some(&bob)).await,
            StatusCode::OK,
        )
        .await;
        (me["username"] == "Bobby").then_some(())
    })
    .await;

    let kicked = post(
        &a,
        &format!("/api/servers/{server}/kick/"),
        &ann,
        json!({"account": bob.id}),
    )
    .await;
    assert_eq!(kicked.status(), StatusCode::OK);
    eventually(Duration::from_secs(5), || async {
        let status = get(&b, &history, Some(&bob)).await.status();
        (status == StatusCode::FORBIDDEN).then_some(())
    })
    .await;

    let deleted = call(
        &a,
        Method::DELETE,
        &format!("/api/channels/{channel}/"),
        Some(&ann),
        None,
    )
    .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    eventually(Duration::from_secs(5), || async {
        let status = get(&b, &history, Some(&ann)).await.status();
        (status == StatusCode::NOT_FOUND).then_some(())
    })
    .await;
}
