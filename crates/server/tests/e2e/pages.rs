//! A channel's latest page and a listing of servers are kept rendered by each node and
//! checked against the database's versions at every request: no write is ever hidden, even
//! one made through another node with no bus between the two (each node's events stay on it
//! here). Runs on whichever database the suite runs on (an SQLite file both nodes open, or
//! one Postgres database).

use crate::support::community::{call, create_server, get, ids, post, rename, room};
use crate::support::{Options, TestApp, User, json_of, spawn_app, spawn_app_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The latest page as `user` reads it on `node`: each message's content and author's name.
async fn latest(node: &TestApp, user: &User, channel: i64, limit: &str) -> Vec<(String, String)> {
    let path = format!("/api/messages/?channel_id={channel}{limit}");
    let page: Value = json_of(get(node, &path, Some(user)).await, StatusCode::OK).await;
    page.as_array()
        .expect("a list")
        .iter()
        .map(|m| {
            (
                m["content"].as_str().expect("content").to_owned(),
                m["user"]["username"].as_str().expect("username").to_owned(),
            )
        })
        .collect()
}

fn said(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(text, name)| ((*text).to_owned(), (*name).to_owned()))
        .collect()
}

/// Two nodes on one database, with no bus between them.
async fn two_nodes() -> (TestApp, TestApp) {
    let a = spawn_app().await;
    let b = spawn_app_with(Options {
        database_url: Some(a.database.url.clone()),
        ..Options::default()
    })
    .await;
    (a, b)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_page_never_hides_a_write_made_through_another_node() {
    let (a, b) = two_nodes().await;
    let (ann, bob) = (
        a.quick_user("ann", false).await,
        a.quick_user("bob", false).await,
    );
    let (server, channel) = room(&a, &ann, &[&bob]).await;
    // Node B keeps the empty page, twice read.
    for _ in 0..2 {
        assert_eq!(latest(&b, &bob, channel, "").await, said(&[]));
    }

    let mut socket = a.socket(server, channel, &ann).await;
    for text in ["one", "two"] {
        socket.send(json!({ "message": text })).await;
        socket.next().await;
    }
    let sent = said(&[("one", "ann"), ("two", "ann")]);
    for _ in 0..2 {
        assert_eq!(latest(&b, &bob, channel, "").await, sent, "new messages");
    }
    assert_eq!(
        latest(&b, &bob, channel, "&limit=1").await,
        said(&[("two", "ann")]),
        "a page of another length"
    );
    let first: Value = json_of(
        get(
            &a,
            &format!("/api/messages/?channel_id={channel}"),
            Some(&ann),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let (one, two) = (&first[0]["id"], &first[1]["id"]);

    let edited = call(
        &a,
        Method::PATCH,
        &format!("/api/messages/{one}/"),
        Some(&ann),
        Some(json!({ "content": "one, edited" })),
    )
    .await;
    assert_eq!(edited.status(), StatusCode::OK);
    assert_eq!(
        latest(&b, &bob, channel, "").await,
        said(&[("one, edited", "ann"), ("two", "ann")]),
        "an edit"
    );

    rename(&a, &ann, "Ann A").await;
    assert_eq!(
        latest(&b, &bob, channel, "").await,
        said(&[("one, edited", "Ann A"), ("two", "Ann A")]),
        "an author's new name"
    );

    let deleted = call(
        &a,
        Method::DELETE,
        &format!("/api/messages/{two}/"),
        Some(&ann),
        None,
    )
    .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        latest(&b, &bob, channel, "").await,
        said(&[("one, edited", "Ann A")]),
        "a deletion"
    );
    assert_eq!(
        latest(&b, &bob, channel, "&limit=1").await,
        said(&[("one, edited", "Ann A")]),
        "the other length too"
    );
}

/// With the page cache off (`PINGME_PAGE_CACHE=0`) every page is read: the same answers.
#[tokio::test]
async fn without_the_page_cache_pages_are_read_each_time() {
    let app = spawn_app_with(Options {
        page_cache: 0,
        ..Options::default()
    })
    .await;
    let ann = app.quick_user("ann", false).await;
    let (server, channel) = room(&app, &ann, &[]).await;
    assert_eq!(latest(&app, &ann, channel, "").await, said(&[]));
    let mut socket = app.socket(server, channel, &ann).await;
    socket.send(json!({ "message": "hello" })).await;
    socket.next().await;
    assert_eq!(
        latest(&app, &ann, channel, "").await,
        said(&[("hello", "ann")])
    );
}

/// A listing as `user` (or no one) reads it on `node`: the servers' ids and names, and each
/// one's channels' names and member count.
async fn listing(node: &TestApp, user: Option<&User>, query: &str) -> Value {
    let path = format!("/api/servers/?with_num_members=true{query}");
    let list: Value = json_of(get(node, &path, user).await, StatusCode::OK).await;
    list.as_array()
        .expect("a list")
        .iter()
        .map(|s| {
            let channels: Vec<&Value> = s["channel_server"]
                .as_array()
                .expect("channels")
                .iter()
                .map(|c| &c["name"])
                .collect();
            json!([s["id"], s["name"], channels, s["num_members"]])
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_listing_never_hides_a_write_made_through_another_node() {
    let (a, b) = two_nodes().await;
    let (ann, bob) = (
        a.quick_user("ann", false).await,
        a.quick_user("bob", false).await,
    );
    let first = create_server(&a, &ann, "First", false).await["id"].clone();
    for _ in 0..2 {
        assert_eq!(
            listing(&b, None, "").await,
            json!([[first, "First", ["general"], 1]])
        );
    }
    let second = create_server(&a, &ann, "Second", false).await["id"].clone();
    assert_eq!(
        ids(&json_of(get(&b, "/api/servers/", None).await, StatusCode::OK).await),
        [first.as_i64().unwrap(), second.as_i64().unwrap()],
        "a new server"
    );
    let joined = post(
        &a,
        &format!("/api/servers/{first}/add_member/"),
        &bob,
        json!({}),
    )
    .await;
    assert_eq!(joined.status(), StatusCode::OK);
    assert_eq!(
        listing(&b, None, "&limit=1").await,
        json!([[first, "First", ["general"], 2]]),
        "a member joined"
    );
    let channel = post(
        &a,
        "/api/channels/",
        &ann,
        json!({"server": first, "name": "music"}),
    )
    .await;
    assert_eq!(channel.status(), StatusCode::CREATED);
    assert_eq!(
        listing(&b, None, "&limit=1").await,
        json!([[first, "First", ["general", "music"], 2]]),
        "a channel"
    );
    // Made private: gone for others, kept for its members.
    let private = call(
        &a,
        Method::PATCH,
        &format!("/api/servers/{first}/"),
        Some(&ann),
        Some(json!({"is_private": true})),
    )
    .await;
    assert_eq!(private.status(), StatusCode::OK);
    assert_eq!(
        listing(&b, None, "").await,
        json!([[second, "Second", ["general"], 1]]),
        "a server made private"
    );
    assert_eq!(
        listing(&b, Some(&bob), "").await,
        json!([
            [first, "First", ["general", "music"], 2],
            [second, "Second", ["general"], 1]
        ]),
        "a member still sees it"
    );
}
