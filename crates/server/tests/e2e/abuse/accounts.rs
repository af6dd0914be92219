//! Accounts shut out from the CLI lose their sockets and their tokens on every node, and
//! what every node's read cache holds follows changes made on another.

use super::{account, server_of};
use crate::cli::{finished, pingme};
use crate::support::node::Node;
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

/// An account deactivated with the CLI — another process, which reaches no socket itself —
/// loses its open sockets on every node, each of which re-checks its sockets against the
/// database every ping interval, and its tokens once each node's read cache lets go of it
/// (`PINGME_CACHE_TTL`, 2 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivation_from_the_cli_closes_the_accounts_sockets_on_every_node() {
    let recheck = [("PINGME_WS_PING", "1s"), ("PINGME_WS_IDLE", "5s")];
    deactivation_closes_sockets_on_both_nodes(&recheck, Duration::from_secs(30)).await;
}

/// With Redis, the CLI tells every node itself: the sockets close and the tokens are refused
/// at once, long before the nodes' next re-check (30 s away) and before their read caches
/// would let go of the account by themselves (60 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Redis: PINGME_TEST_REDIS_URL (.ci/run sets it)"]
async fn deactivation_from_the_cli_reaches_every_node_over_redis_at_once() {
    let redis = std::env::var("PINGME_TEST_REDIS_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .expect("this test needs PINGME_TEST_REDIS_URL");
    let channel = format!("pingme-test:cli:{}", std::process::id());
    let bus = [
        ("REDIS_URL", redis.as_str()),
        ("PINGME_REDIS_CHANNEL", channel.as_str()),
        ("PINGME_WS_PING", "30s"),
        ("PINGME_WS_IDLE", "75s"),
        ("PINGME_CACHE_TTL", "60s"),
    ];
    deactivation_closes_sockets_on_both_nodes(&bus, Duration::from_secs(5)).await;
}

/// Two nodes (and the CLI) on one SQLite file with `env`; the deactivated account's
/// sockets on both must close with 4403 within `within`, and nobody else's; its token must
/// be refused on both within `within` too (each node has it in its read cache before).
async fn deactivation_closes_sockets_on_both_nodes(env: &[(&str, &str)], within: Duration) {
    let dir = tempfile::tempdir().unwrap();
    let with_env = |mut command: tokio::process::Command| {
        command.envs(env.iter().copied());
        command
    };
    let node = |_: u8| {
        let mut command = with_env(pingme(dir.path()));
        command.env("RUST_LOG", "warn");
        Node::start(command)
    };
    let (a, b) = (node(1).await, node(2).await);
    for node in [&a, &b] {
        bus_ready(node).await;
    }
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
    let me = |node: &Node| {
        client
            .get(format!("{}/api/account/me/", node.url))
            .bearer_auth(&token)
            .send()
    };
    for node in [&a, &b] {
        assert_eq!(me(node).await.unwrap().status(), StatusCode::OK);
    }

    let mut deactivate = with_env(pingme(dir.path()));
    deactivate.args(["admin", "deactivate-user", "--username", "leaving"]);
    let done = finished(&mut deactivate).await;
    assert!(done.status.success(), "{done:?}");
    for socket in [&mut on_a, &mut on_b] {
        let close = tokio::time::timeout(within, async {
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
    for node in [&a, &b] {
        tokio::time::timeout(within, async {
            while me(node).await.unwrap().status() != StatusCode::UNAUTHORIZED {
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
        })
        .await
        .expect("the token refused in time");
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

/// Waits until the node's bus, if it has Redis, is connected: an event published before
/// its subscription is up would pass it by.
async fn bus_ready(node: &Node) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let health: serde_json::Value = reqwest::get(format!("{}/readyz", node.url))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if health["bus"]["backend"] != "redis" || health["bus"]["status"] == "ok" {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "bus not connected: {health}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
