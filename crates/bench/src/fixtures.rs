//! What a run needs on the server, made through the API: a server every user belongs to,
//! more channels in it, a channel's history.

use crate::client::Api;
use crate::users::User;
use anyhow::Context;
use futures_util::{SinkExt, StreamExt, TryStreamExt, stream};
use reqwest::Method;
use serde_json::json;
use std::time::SystemTime;
use tokio_tungstenite::tungstenite::Message;

/// A server owned by the first user with every other user a member; its id and its
/// general channel's.
pub async fn server(api: &Api, users: &[User]) -> anyhow::Result<(i64, i64)> {
    let owner = &users[0];
    let categories = api
        .call(Method::GET, "/api/categories/", Some(&owner.access), None)
        .await?;
    let category = categories[0]["id"]
        .as_i64()
        .context("the server has no category")?;
    let stamp = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis();
    let body = json!({"name": format!("bench {stamp}"), "category": category, "description": "pingme-bench"});
    let created = api
        .call(
            Method::POST,
            "/api/servers/",
            Some(&owner.access),
            Some(body),
        )
        .await?;
    let server = created["id"].as_i64().context("no server id")?;
    let channel = created["channel_server"][0]["id"]
        .as_i64()
        .context("no general channel")?;
    let path = format!("/api/servers/{server}/add_member/");
    eprintln!("adding {} members", users.len() - 1);
    stream::iter(&users[1..])
        .map(|user| api.call(Method::POST, &path, Some(&user.access), Some(json!({}))))
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await?;
    Ok((server, channel))
}

/// A server every user belongs to with `count` channels (its general one among them); its
/// id and theirs.
pub async fn rooms(api: &Api, users: &[User], count: usize) -> anyhow::Result<(i64, Vec<i64>)> {
    let (server, general) = server(api, users).await?;
    let mut ids = vec![general];
    ids.extend(channels(api, &users[0], server, count.saturating_sub(1)).await?);
    Ok((server, ids))
}

/// `servers` servers of `channels` channels each, owned by `owner` (the one member); their ids.
pub async fn many_servers(
    api: &Api,
    owner: &User,
    servers: usize,
    channels_each: usize,
) -> anyhow::Result<Vec<i64>> {
    eprintln!("making {servers} servers of {channels_each} channels");
    let mut ids = Vec::with_capacity(servers);
    for _ in 0..servers {
        let (server, _) = server(api, std::slice::from_ref(owner)).await?;
        channels(api, owner, server, channels_each.saturating_sub(1)).await?;
        ids.push(server);
    }
    Ok(ids)
}

/// `count` more channels in the server, made by its owner; their ids.
async fn channels(api: &Api, owner: &User, server: i64, count: usize) -> anyhow::Result<Vec<i64>> {
    eprintln!("making {count} channels");
    stream::iter(0..count)
        .map(|n| async move {
            let body = json!({"name": format!("room-{n}"), "server": server});
            let made = api
                .call(
                    Method::POST,
                    "/api/channels/",
                    Some(&owner.access),
                    Some(body),
                )
                .await?;
            made["id"].as_i64().context("no channel id")
        })
        .buffered(16)
        .try_collect()
        .await
}

/// Sends `count` messages into the channel through a few sockets, each keeping a window of
/// messages in flight, and waits until every one came back (so is stored).
pub async fn fill(
    api: &Api,
    users: &[User],
    (server, channel): (i64, i64),
    count: u64,
) -> anyhow::Result<()> {
    const SOCKETS: u64 = 32;
    const WINDOW: u64 = 32;
    eprintln!("filling channel {channel} with {count} messages");
    let started = std::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..SOCKETS {
        let share = count / SOCKETS + u64::from(n < count % SOCKETS);
        let user = &users[n as usize % users.len()];
        let socket = api.socket(server, channel, &user.access).await?;
        tasks.spawn(send_and_wait(socket, n, share, WINDOW));
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    eprintln!("filled in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

/// How long filling waits for a message to come back before giving up.
const STALL: std::time::Duration = std::time::Duration::from_secs(30);

/// Sends `count` messages tagged `f:<id>:<seq>`, at most `window` unanswered at a time.
async fn send_and_wait(
    socket: crate::client::Socket,
    id: u64,
    count: u64,
    window: u64,
) -> anyhow::Result<()> {
    let (mut write, mut read) = socket.split();
    let (mut sent, mut back) = (0, 0);
    let tag = format!("f:{id}:");
    while back < count {
        while sent < count && sent - back < window {
            write
                .send(Message::text(
                    json!({"message": format!("{tag}{sent}")}).to_string(),
                ))
                .await?;
            sent += 1;
        }
        let next = tokio::time::timeout(STALL, read.next())
            .await
            .context("no message came back for 30 s while filling")?;
        match next.context("the socket closed while filling")?? {
            Message::Text(text)
                if crate::client::content_of(&text).is_some_and(|c| c.starts_with(&tag)) =>
            {
                back += 1
            }
            Message::Text(text) if crate::client::is_error(&text) => {
                anyhow::bail!("the server refused a message while filling: {text}")
            }
            Message::Close(frame) => anyhow::bail!("the server closed the socket: {frame:?}"),
            _ => {}
        }
    }
    write.close().await.ok();
    Ok(())
}
