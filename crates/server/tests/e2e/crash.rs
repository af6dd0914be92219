//! Crash rounds: many senders chatting over sockets, the server killed with SIGKILL in the
//! middle of the storm and started again, and every message it acknowledged (echoed to its
//! sender) found in the history exactly once — on SQLite, and on two Postgres + Redis nodes
//! killed in turn.

use crate::cli::{finished, pingme};
use crate::support::database::TestDatabase;
use crate::support::node::Node;
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::process::Command;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

const PASSWORD: &str = "crash test password 1";
const SENDERS: usize = 12;
/// Acknowledged messages per round before the kill (or a few seconds, whichever first).
const PER_ROUND: usize = 500;

/// Messages acknowledged to their senders, by content.
type Acked = Arc<Mutex<HashSet<String>>>;

/// `pingme` for one node of the test, with rate limits off (the senders send as fast as
/// they are answered).
pub(crate) fn node_command(dir: &Path, extra: &[(&str, &str)]) -> Command {
    let mut command = pingme(dir);
    command
        .env("RUST_LOG", "warn")
        .env("PINGME_RATE_LIMITS", "off")
        .env("PINGME_ADMIN_PASSWORD", PASSWORD);
    for (name, value) in extra {
        command.env(name, value);
    }
    command
}

/// `SENDERS` accounts made with the CLI, members of one server: their tokens, the server's
/// id and its channel's.
pub(crate) async fn community(
    node: &Node,
    dir: &Path,
    extra: &[(&str, &str)],
) -> (Vec<String>, i64, i64) {
    let mut users = node_command(dir, extra);
    users
        .args(["admin", "create-users", "--prefix", "sender", "--count"])
        .arg(SENDERS.to_string())
        .arg("--csv")
        .arg(dir.join("users.csv"));
    assert!(finished(&mut users).await.status.success());
    let client = reqwest::Client::new();
    let mut tokens = Vec::new();
    for n in 0..SENDERS {
        tokens.push(node.login(&client, &format!("sender{n}"), PASSWORD).await);
    }
    let categories: Value = client
        .get(format!("{}/api/categories/", node.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let created: Value = client
        .post(format!("{}/api/servers/", node.url))
        .bearer_auth(&tokens[0])
        .json(&json!({"name": "storm", "category": categories[0]["id"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let server = created["id"].as_i64().expect("server");
    for token in &tokens[1..] {
        let join = format!("{}/api/servers/{server}/add_member/", node.url);
        let joined = client.post(join).bearer_auth(token).send().await.unwrap();
        assert_eq!(joined.status(), StatusCode::OK);
    }
    let channel = created["channel_server"][0]["id"]
        .as_i64()
        .expect("channel");
    (tokens, server, channel)
}

/// One sender: sends a message, waits for its echo (the acknowledgement), records it, and
/// goes on until its socket fails (the node was killed) or the task is stopped.
async fn sender(url: String, token: String, label: String, acked: Acked) {
    let Ok((socket, _)) = tokio_tungstenite::connect_async(format!("{url}?token={token}")).await
    else {
        return;
    };
    let (mut out, mut incoming) = socket.split();
    for n in 0.. {
        let content = format!("{label}-{n}");
        if out
            .send(Message::text(json!({"message": content}).to_string()))
            .await
            .is_err()
        {
            return;
        }
        loop {
            let frame = match tokio::time::timeout(Duration::from_secs(20), incoming.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => text,
                Ok(Some(Ok(_))) => continue,
                _ => return,
            };
            let frame: Value = serde_json::from_str(&frame).unwrap_or_default();
            if frame["message"]["content"] == content.as_str() {
                acked.lock().unwrap().insert(content);
                break;
            }
        }
    }
}

/// Starts a sender per token on `node`'s channel socket.
fn storm(
    node: &Node,
    path: &str,
    tokens: &[String],
    label: &str,
    acked: &Acked,
) -> Vec<JoinHandle<()>> {
    let url = format!("{}{path}", node.url.replacen("http", "ws", 1));
    tokens
        .iter()
        .enumerate()
        .map(|(n, token)| {
            let sender = sender(
                url.clone(),
                token.clone(),
                format!("{label}s{n}"),
                acked.clone(),
            );
            tokio::spawn(sender)
        })
        .collect()
}

/// Waits until `more` further messages have been acknowledged: every round of the storm
/// must get going again after a restart.
async fn acknowledged(acked: &Acked, more: usize) {
    let target = acked.lock().unwrap().len() + more;
    let reached = tokio::time::timeout(Duration::from_secs(60), async {
        while acked.lock().unwrap().len() < target {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    let now = acked.lock().unwrap().len();
    assert!(
        reached.is_ok(),
        "only {now} of {target} messages acknowledged"
    );
}

/// Every message of the channel's history, page by page.
async fn history(node: &Node, token: &str, channel: i64) -> Vec<String> {
    let client = reqwest::Client::new();
    let mut contents = Vec::new();
    let mut after = 0;
    loop {
        let url = format!(
            "{}/api/messages/?channel_id={channel}&limit=100&after={after}",
            node.url
        );
        let page: Vec<Value> = client
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for message in &page {
            contents.push(message["content"].as_str().unwrap().to_owned());
            after = message["id"].as_i64().unwrap();
        }
        if page.len() < 100 {
            return contents;
        }
    }
}

/// Every acknowledged message is stored once, and nothing is stored twice. (The senders
/// never send a message again, so a duplicate could only come from the server: a batch
/// written twice, say, when the log is replayed after a crash.)
fn check(stored: &[String], acked: &Acked) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for content in stored {
        *counts.entry(content).or_default() += 1;
    }
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "stored more than once: {twice:?}");
    let acked = acked.lock().unwrap();
    let lost: Vec<_> = acked
        .iter()
        .filter(|c| !counts.contains_key(c.as_str()))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged messages lost: {lost:?}",
        lost.len()
    );
    assert!(
        acked.len() >= PER_ROUND,
        "only {} acknowledged",
        acked.len()
    );
    eprintln!(
        "{} messages acknowledged, {} stored, none lost, none twice",
        acked.len(),
        stored.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_storm_on_sqlite_loses_no_acknowledged_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = Node::start(node_command(dir.path(), &[])).await;
    let (tokens, server, channel) = community(&node, dir.path(), &[]).await;
    let path = format!("/{server}/{channel}");
    let acked = Acked::default();
    for round in 0..3 {
        let senders = storm(&node, &path, &tokens, &format!("r{round}"), &acked);
        acknowledged(&acked, PER_ROUND).await;
        node.kill().await;
        for sender in senders {
            sender.await.unwrap();
        }
        node = Node::start(node_command(dir.path(), &[])).await;
    }
    check(&history(&node, &tokens[0], channel).await, &acked);
    node.terminate().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Postgres and Redis: PINGME_TEST_POSTGRES_URL and PINGME_TEST_REDIS_URL (.ci/run sets them and runs it)"]
async fn two_postgres_nodes_killed_in_turn_lose_no_acknowledged_message() {
    let postgres = std::env::var("PINGME_TEST_POSTGRES_URL").expect("PINGME_TEST_POSTGRES_URL");
    let redis = std::env::var("PINGME_TEST_REDIS_URL").expect("PINGME_TEST_REDIS_URL");
    let database = TestDatabase::postgres(&postgres).await;
    let bus = format!("pingme-test:crash:{}", std::process::id());
    let settings: [(&str, &str); 4] = [
        ("DATABASE_URL", &database.url),
        ("REDIS_URL", &redis),
        ("PINGME_REDIS_CHANNEL", &bus),
        ("SECRET_KEY", "crash-test-secret-0123456789-abcdefghijkl"),
    ];
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let start = |dir: &Path| Node::start(node_command(dir, &settings));
    let mut nodes = [
        Some(start(dir_a.path()).await),
        Some(start(dir_b.path()).await),
    ];
    let first = nodes[0].as_ref().expect("node a");
    let (tokens, server, channel) = community(first, dir_a.path(), &settings).await;
    let path = format!("/{server}/{channel}");
    let halves: Vec<&[String]> = tokens.chunks(SENDERS / 2).collect();
    let acked = Acked::default();
    let mut running: Vec<Vec<JoinHandle<()>>> = vec![Vec::new(), Vec::new()];
    for round in 0..4 {
        let victim = round % 2;
        for (n, node) in nodes.iter().flatten().enumerate() {
            if running[n].is_empty() {
                let label = format!("r{round}n{n}");
                running[n] = storm(node, &path, halves[n], &label, &acked);
            }
        }
        acknowledged(&acked, PER_ROUND).await;
        nodes[victim].take().expect("running").kill().await;
        for sender in std::mem::take(&mut running[victim]) {
            sender.await.unwrap();
        }
        let dir = if victim == 0 {
            dir_a.path()
        } else {
            dir_b.path()
        };
        nodes[victim] = Some(start(dir).await);
    }
    for sender in running.into_iter().flatten() {
        sender.abort();
    }
    let [Some(a), Some(b)] = nodes else {
        panic!("both nodes run")
    };
    check(&history(&b, &tokens[0], channel).await, &acked);
    a.terminate().await;
    b.terminate().await;
    drop(database);
}
