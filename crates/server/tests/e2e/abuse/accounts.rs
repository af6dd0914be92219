//! Accounts shut out from the CLI lose their sockets on every node.

use super::{account, server_of};
use crate::cli::{finished, pingme};
use crate::support::node::Node;
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

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
