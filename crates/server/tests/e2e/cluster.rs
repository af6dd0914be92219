//! Two `pingme serve` processes on one Postgres database and one Redis, as in production:
//! a client on each node chats with the other (messages, edits, deletes, a kick closing the
//! socket held on the other node), and when one node gets SIGTERM its socket
//! closes with 1001, it exits cleanly, and every message it acknowledged is in the database.
//! Needs `PINGME_TEST_POSTGRES_URL` and `PINGME_TEST_REDIS_URL`: ignored by a plain
//! `cargo test`, run by `.ci/run`.

use crate::cli::{finished, pingme, serve_with, terminate};
use crate::support::database::TestDatabase;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

const SECRET: &str = "cluster-test-secret-0123456789-abcdefghij";
const PASSWORD: &str = "cluster password 1";

/// `pingme` with the settings every node of the installation shares.
fn node(
    dir: &std::path::Path,
    database: &str,
    redis: &str,
    channel: &str,
) -> tokio::process::Command {
    let mut command = pingme(dir);
    command
        .env("DATABASE_URL", database)
        .env("REDIS_URL", redis)
        .env("PINGME_REDIS_CHANNEL", channel)
        .env("SECRET_KEY", SECRET)
        .env("PINGME_RATE_LIMITS", "off")
        .env("PINGME_ADMIN_PASSWORD", PASSWORD);
    command
}

async fn api(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Value,
) -> Value {
    let response = client
        .request(method, url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("request");
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.unwrap_or(Value::Null)
}

async fn login(client: &reqwest::Client, node: &str, username: &str) -> String {
    let tokens: Value = client
        .post(format!("{node}/api/token/"))
        .json(&json!({"username": username, "password": PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("tokens");
    tokens["access"]
        .as_str()
        .expect("an access token")
        .to_owned()
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The account id behind a token.
async fn login_id(client: &reqwest::Client, node: &str, token: &str) -> i64 {
    let url = format!("{node}/api/account/me/");
    let me = api(client, reqwest::Method::GET, url, token, Value::Null).await;
    me["id"].as_i64().expect("an id")
}

async fn socket(node: &str, server: i64, channel: i64, token: &str) -> Socket {
    let url = format!(
        "{}/{server}/{channel}?token={token}",
        node.replacen("http", "ws", 1)
    );
    tokio_tungstenite::connect_async(url)
        .await
        .expect("socket")
        .0
}

/// The next chat frame, or the close code.
async fn next(socket: &mut Socket) -> Result<Value, u16> {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a frame in time");
        match frame {
            Some(Ok(Message::Text(text))) => return Ok(serde_json::from_str(&text).expect("JSON")),
            Some(Ok(Message::Close(close))) => return Err(close.map_or(1005, |c| c.code.into())),
            Some(Ok(_)) => continue,
            None | Some(Err(_)) => return Err(1006),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Postgres and Redis: PINGME_TEST_POSTGRES_URL and PINGME_TEST_REDIS_URL (.ci/run sets them)"]
async fn two_processes_chat_and_a_stopped_node_loses_nothing() {
    let postgres = std::env::var("PINGME_TEST_POSTGRES_URL").expect("PINGME_TEST_POSTGRES_URL");
    let redis = std::env::var("PINGME_TEST_REDIS_URL").expect("PINGME_TEST_REDIS_URL");
    let database = TestDatabase::postgres(&postgres).await;
    let channel = format!("pingme-test:cluster:{}", std::process::id());
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut users = node(dir_a.path(), &database.url, &redis, &channel);
    users.args([
        "admin",
        "create-users",
        "--prefix",
        "member",
        "--count",
        "2",
        "--csv",
    ]);
    users.arg(dir_a.path().join("users.csv"));
    assert!(finished(&mut users).await.status.success());
    let (a, node_a) = serve_with(node(dir_a.path(), &database.url, &redis, &channel)).await;
    let (b, node_b) = serve_with(node(dir_b.path(), &database.url, &redis, &channel)).await;

    let client = reqwest::Client::new();
    let (ann, bob) = (
        login(&client, &a, "member0").await,
        login(&client, &b, "member1").await,
    );
    let categories = api(
        &client,
        reqwest::Method::GET,
        format!("{a}/api/categories/"),
        &ann,
        Value::Null,
    )
    .await;
    let created = api(
        &client,
        reqwest::Method::POST,
        format!("{a}/api/servers/"),
        &ann,
        json!({"name": "cluster", "category": categories[0]["id"]}),
    )
    .await;
    let server = created["id"].as_i64().expect("a server id");
    let room = created["channel_server"][0]["id"]
        .as_i64()
        .expect("a channel id");
    api(
        &client,
        reqwest::Method::POST,
        format!("{b}/api/servers/{server}/add_member/"),
        &bob,
        json!({}),
    )
    .await;
    let mut on_a = socket(&a, server, room, &ann).await;
    let mut on_b = socket(&b, server, room, &bob).await;
    // The nodes' subscriptions may still be connecting: wait until a message crosses.
    let mut crossed = false;
    for attempt in 0..50 {
        on_a.send(Message::text(
            json!({"message": format!("ping {attempt}")}).to_string(),
        ))
        .await
        .unwrap();
        assert!(next(&mut on_a).await.is_ok());
        let got = tokio::time::timeout(Duration::from_millis(200), on_b.next()).await;
        if matches!(got, Ok(Some(Ok(Message::Text(_))))) {
            crossed = true;
            break;
        }
    }
    assert!(crossed, "no message crossed from node A to node B");
    while tokio::time::timeout(Duration::from_millis(300), on_b.next())
        .await
        .is_ok()
    {}

    on_b.send(Message::text(json!({"message": "from b"}).to_string()))
        .await
        .unwrap();
    let sent = next(&mut on_b).await.unwrap();
    assert_eq!(sent["message"]["content"], "from b");
    assert_eq!(next(&mut on_a).await.unwrap()["message"], sent["message"]);
    let id = sent["message"]["id"].as_i64().expect("an id");

    // Bob edits through node B, ann deletes through node A: both sockets see both.
    let path = format!("/api/messages/{id}/");
    let edit = json!({"content": "edited on b"});
    api(
        &client,
        reqwest::Method::PATCH,
        format!("{b}{path}"),
        &bob,
        edit,
    )
    .await;
    for socket in [&mut on_a, &mut on_b] {
        let frame = next(socket).await.unwrap();
        assert_eq!(
            (&frame["event"], &frame["data"]["content"]),
            (&json!("message_update"), &json!("edited on b"))
        );
    }
    let deleted = client
        .delete(format!("{a}{path}"))
        .bearer_auth(&ann)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), reqwest::StatusCode::NO_CONTENT);
    for socket in [&mut on_a, &mut on_b] {
        let frame = next(socket).await.unwrap();
        assert_eq!(
            (&frame["event"], &frame["data"]["id"]),
            (&json!("message_delete"), &json!(id))
        );
    }

    // Ann kicks bob through node A: his socket on node B closes with 4403.
    let kick = json!({"account": login_id(&client, &b, &bob).await});
    api(
        &client,
        reqwest::Method::POST,
        format!("{a}/api/servers/{server}/kick/"),
        &ann,
        kick,
    )
    .await;
    assert_eq!(next(&mut on_b).await, Err(4403));

    // Ann keeps sending through node A, each message once the last came back, while node A
    // is told to stop: her socket closes with 1001 and everything acknowledged is stored.
    let progress = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = progress.clone();
    let sender = tokio::spawn(async move {
        let mut acknowledged = Vec::new();
        for n in 0.. {
            let text = json!({"message": format!("numbered {n}")}).to_string();
            if on_a.send(Message::text(text)).await.is_err() {
                return (acknowledged, 1006);
            }
            match next(&mut on_a).await {
                Ok(frame) => {
                    acknowledged.push(frame["message"]["id"].as_i64().expect("an id"));
                    counted.store(acknowledged.len(), std::sync::atomic::Ordering::SeqCst);
                }
                Err(code) => return (acknowledged, code),
            }
        }
        unreachable!()
    });
    // Stopped mid-stream, once a few messages went through.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while progress.load(std::sync::atomic::Ordering::SeqCst) < 20 {
        assert!(
            std::time::Instant::now() < deadline,
            "messages are not acknowledged"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stderr = terminate(node_a).await;
    let (acknowledged, code) = sender.await.expect("the sender");
    assert_eq!(code, 1001, "{stderr}");
    assert!(acknowledged.len() >= 20);
    let mut stored = Vec::new();
    let mut after = 0;
    loop {
        let page = api(
            &client,
            reqwest::Method::GET,
            format!("{b}/api/messages/?channel_id={room}&after={after}&limit=100"),
            &ann,
            Value::Null,
        )
        .await;
        let Some(page) = page.as_array().filter(|p| !p.is_empty()) else {
            break;
        };
        stored.extend(page.iter().filter_map(|m| m["id"].as_i64()));
        after = *stored.last().expect("ids");
    }
    let missing: Vec<_> = acknowledged
        .iter()
        .filter(|id| !stored.contains(id))
        .collect();
    assert!(
        missing.is_empty(),
        "acknowledged but not stored: {missing:?}"
    );
    terminate(node_b).await;
    drop(database);
}
