//! One client must never be able to take pingme down: each class of abuse found when pingme
//! was probed as an attacker would, reproduced against a real server, and the resource it
//! went for asserted bounded (memory read from `/proc`, descriptors, connections), never a
//! timed assertion.

mod accounts;
mod connections;
mod sockets;

use crate::cli::{finished, pingme};
use crate::support::node::Node;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;

pub const PASSWORD: &str = "abuse test password 1";

/// A verified account made with the CLI, logged in on `node`: its access token.
pub async fn account(node: &Node, dir: &std::path::Path, name: &str) -> String {
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
pub async fn server_of(node: &Node, token: &str) -> (i64, i64) {
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

pub async fn healthy(url: &str) -> bool {
    let response = reqwest::Client::new()
        .get(format!("{url}/healthz"))
        .timeout(Duration::from_secs(5))
        .send()
        .await;
    response.is_ok_and(|r| r.status() == StatusCode::OK)
}
