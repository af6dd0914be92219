//! Replies, reactions and pins over REST and the gateway: what each answers, who may, what
//! the history shows each reader (reactions' `me` through the kept pages too), and each
//! refusal in the contract's shapes with nothing written.

use crate::gateway::{dispatch, settled};
use crate::support::community::{call, get, post, room};
use crate::support::{TestApp, User, json_of, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const THUMBS: &str = "%F0%9F%91%8D"; // 👍

async fn say(app: &TestApp, user: &User, channel: i64, body: Value) -> Value {
    let mut body = body;
    body["channel_id"] = json!(channel);
    json_of(
        post(app, "/api/messages/", user, body).await,
        StatusCode::CREATED,
    )
    .await
}

async fn latest(app: &TestApp, user: &User, channel: i64) -> Vec<Value> {
    let path = format!("/api/messages/?channel_id={channel}");
    let page = json_of(get(app, &path, Some(user)).await, StatusCode::OK).await;
    page.as_array().unwrap().clone()
}

async fn status(app: &TestApp, method: Method, path: &str, user: &User) -> StatusCode {
    call(app, method, path, Some(user), None).await.status()
}

#[tokio::test]
async fn a_reply_quotes_its_original_and_then_says_it_was_deleted() {
    let app = spawn_app().await;
    let (ann, bob) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
    );
    let (_, channel) = room(&app, &ann, &[&bob]).await;
    let long = "long ".repeat(40);
    let original = say(&app, &ann, channel, json!({"content": long})).await;
    let reply = say(
        &app,
        &bob,
        channel,
        json!({"content": "yes", "reply_to": original["id"], "nonce": "r1"}),
    )
    .await;
    let quoted = &reply["reply_to"];
    assert_eq!(quoted["id"], original["id"]);
    assert_eq!(quoted["content"], json!(long.trim()[..100]));
    assert_eq!(
        (&quoted["user"]["id"], &quoted["user"]["username"]),
        (&json!(ann.id), &json!("ann"))
    );
    assert!(
        quoted["user"]["image_url"]
            .as_str()
            .unwrap()
            .starts_with("http")
    );
    assert_eq!(reply["reply_to_id"], original["id"]);
    assert_eq!(
        latest(&app, &ann, channel).await[1],
        reply,
        "the page says the same"
    );

    let path = format!("/api/messages/{}/", original["id"]);
    assert_eq!(
        status(&app, Method::DELETE, &path, &ann).await,
        StatusCode::NO_CONTENT
    );
    let after = &latest(&app, &bob, channel).await[0];
    assert_eq!(
        (&after["reply_to"], &after["reply_to_id"]),
        (&Value::Null, &original["id"])
    );
    // A plain message is no reply.
    let plain = say(
        &app,
        &bob,
        channel,
        json!({"content": "plain", "reply_to": null}),
    )
    .await;
    assert_eq!(
        (&plain["reply_to"], &plain["reply_to_id"]),
        (&Value::Null, &Value::Null)
    );
}

#[tokio::test]
async fn a_reply_to_another_channel_is_refused_whole() {
    let app = spawn_app().await;
    let ann = app.quick_user("ann", false).await;
    let (_, channel) = room(&app, &ann, &[]).await;
    let (_, elsewhere) = room(&app, &ann, &[]).await;
    let there = say(&app, &ann, elsewhere, json!({"content": "there"})).await;
    let before = latest(&app, &ann, channel).await.len();
    for nonce in [json!(null), json!("n")] {
        let body =
            json!({"channel_id": channel, "content": "x", "reply_to": there["id"], "nonce": nonce});
        let answer = post(&app, "/api/messages/", &ann, body).await;
        assert_eq!(
            json_of(answer, StatusCode::BAD_REQUEST).await,
            json!({"reply_to": ["Not a message of this channel."]})
        );
    }
    assert_eq!(latest(&app, &ann, channel).await.len(), before);
}

#[tokio::test]
async fn reactions_show_counts_and_each_readers_own() {
    let app = spawn_app().await;
    let (ann, bob, cat) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
        app.quick_user("cat", false).await,
    );
    let (_, channel) = room(&app, &ann, &[&bob, &cat]).await;
    let message = say(&app, &ann, channel, json!({"content": "react to me"})).await;
    let base = format!("/api/messages/{}/reactions/", message["id"]);
    // Cat reads first: the page is kept as one reacted to by nobody reading.
    assert_eq!(latest(&app, &cat, channel).await[0]["reactions"], json!([]));
    for (who, emoji) in [(&bob, THUMBS), (&ann, "%E2%9D%A4"), (&bob, THUMBS)] {
        let path = format!("{base}{emoji}/");
        assert_eq!(
            status(&app, Method::PUT, &path, who).await,
            StatusCode::NO_CONTENT
        );
    }
    let seen = |page: Vec<Value>| page[0]["reactions"].clone();
    // ❤ is kept in its fully qualified form, ❤️.
    assert_eq!(
        seen(latest(&app, &bob, channel).await),
        json!([{"emoji": "👍", "count": 1, "me": true}, {"emoji": "❤️", "count": 1, "me": false}])
    );
    for _ in 0..2 {
        assert_eq!(
            seen(latest(&app, &cat, channel).await),
            json!([{"emoji": "👍", "count": 1, "me": false}, {"emoji": "❤️", "count": 1, "me": false}])
        );
        assert_eq!(
            seen(latest(&app, &ann, channel).await),
            json!([{"emoji": "👍", "count": 1, "me": false}, {"emoji": "❤️", "count": 1, "me": true}])
        );
    }
    let one = format!("/api/messages/{}/", message["id"]);
    let read = json_of(get(&app, &one, Some(&bob)).await, StatusCode::OK).await;
    assert_eq!(read["reactions"][0]["me"], true);

    let path = format!("{base}{THUMBS}/");
    for _ in 0..2 {
        assert_eq!(
            status(&app, Method::DELETE, &path, &bob).await,
            StatusCode::NO_CONTENT
        );
    }
    assert_eq!(
        seen(latest(&app, &bob, channel).await),
        json!([{"emoji": "❤️", "count": 1, "me": false}])
    );
}

#[tokio::test]
async fn only_emoji_and_at_most_twenty_of_them() {
    let app = spawn_app().await;
    let ann = app.quick_user("ann", false).await;
    let (_, channel) = room(&app, &ann, &[]).await;
    let message = say(&app, &ann, channel, json!({"content": "x"})).await;
    let base = format!("/api/messages/{}/reactions/", message["id"]);
    for bad in [
        "a",
        "%F0%9F%91%8D%F0%9F%91%8D",
        "%3Ascript%3E",
        "%20",
        "%3A%2B1%3A",
    ] {
        let answer = call(
            &app,
            Method::PUT,
            &format!("{base}{bad}/"),
            Some(&ann),
            None,
        )
        .await;
        assert_eq!(
            json_of(answer, StatusCode::BAD_REQUEST).await,
            json!({"emoji": ["Not an emoji."]}),
            "{bad}"
        );
    }
    let faces = 0x1F600..0x1F614_u32;
    for code in faces.clone() {
        let emoji = char::from_u32(code).unwrap().to_string();
        let path = format!("{base}{}/", urlencoding(&emoji));
        assert_eq!(
            status(&app, Method::PUT, &path, &ann).await,
            StatusCode::NO_CONTENT
        );
    }
    let answer = call(
        &app,
        Method::PUT,
        &format!("{base}{THUMBS}/"),
        Some(&ann),
        None,
    )
    .await;
    assert_eq!(
        json_of(answer, StatusCode::BAD_REQUEST).await,
        json!({"detail": "A message has at most 20 different reactions."})
    );
    assert_eq!(
        latest(&app, &ann, channel).await[0]["reactions"]
            .as_array()
            .unwrap()
            .len(),
        20
    );
    let missing = "/api/messages/999999999/reactions/%F0%9F%91%8D/";
    assert_eq!(
        status(&app, Method::PUT, missing, &ann).await,
        StatusCode::NOT_FOUND
    );
}

fn urlencoding(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[tokio::test]
async fn the_owner_pins_and_everyone_in_the_channel_sees_the_pins() {
    let app = spawn_app().await;
    let (ann, bob) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
    );
    let (_, channel) = room(&app, &ann, &[&bob]).await;
    let first = say(&app, &bob, channel, json!({"content": "first"})).await;
    let second = say(&app, &bob, channel, json!({"content": "second"})).await;
    let (mut watcher, _) = app.identified(&bob).await;
    settled(&mut watcher, 0).await;
    let pin = |m: &Value| format!("/api/messages/{}/pin/", m["id"]);
    assert_eq!(
        status(&app, Method::PUT, &pin(&first), &bob).await,
        StatusCode::FORBIDDEN
    );
    for message in [&first, &second, &first] {
        assert_eq!(
            status(&app, Method::PUT, &pin(message), &ann).await,
            StatusCode::NO_CONTENT
        );
    }
    for message in [&first, &second] {
        let (_, name, data) = dispatch(&mut watcher).await;
        assert_eq!(
            (name.as_str(), &data["id"], &data["pinned"]),
            ("message_update", &message["id"], &json!(true))
        );
        assert!(
            data.get("reactions").is_none(),
            "no reader's own in a dispatch: {data}"
        );
    }
    let pins = format!("/api/messages/?channel_id={channel}&pinned=true");
    let listed = json_of(get(&app, &pins, Some(&bob)).await, StatusCode::OK).await;
    let ids: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["id"])
        .collect();
    assert_eq!(
        ids,
        [&second["id"], &first["id"]],
        "the latest pinned first"
    );
    assert!(
        latest(&app, &bob, channel)
            .await
            .iter()
            .all(|m| m["pinned"] == true)
    );
    assert_eq!(
        status(&app, Method::DELETE, &pin(&second), &ann).await,
        StatusCode::NO_CONTENT
    );
    let listed = json_of(get(&app, &pins, Some(&bob)).await, StatusCode::OK).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let bad = format!("/api/messages/?channel_id={channel}&pinned=maybe");
    assert_eq!(
        json_of(get(&app, &bad, Some(&bob)).await, StatusCode::BAD_REQUEST).await,
        json!({"pinned": ["Must be a valid boolean."]})
    );
}

#[tokio::test]
async fn reaction_dispatches_name_the_message_the_person_and_the_emoji() {
    let app = spawn_app().await;
    let (ann, bob) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
    );
    let (server, channel) = room(&app, &ann, &[&bob]).await;
    let message = say(&app, &ann, channel, json!({"content": "x"})).await;
    let (mut watcher, _) = app.identified(&ann).await;
    settled(&mut watcher, 0).await;
    let path = format!("/api/messages/{}/reactions/{THUMBS}/", message["id"]);
    for (method, event, count) in [
        (Method::PUT, "reaction_add", 1),
        (Method::DELETE, "reaction_remove", 0),
    ] {
        assert_eq!(
            status(&app, method, &path, &bob).await,
            StatusCode::NO_CONTENT
        );
        let (_, name, data) = dispatch(&mut watcher).await;
        assert_eq!(name, event);
        assert_eq!(
            data,
            json!({"message_id": message["id"], "channel_id": channel, "server_id": server, "user_id": bob.id, "emoji": "👍", "count": count})
        );
    }
    // What changes nothing tells no one.
    assert_eq!(
        status(&app, Method::DELETE, &path, &bob).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        watcher
            .silent_for(std::time::Duration::from_millis(300))
            .await,
        None
    );
}

#[tokio::test]
async fn reactions_and_pins_past_the_rate_get_429_with_retry_after() {
    let app =
        crate::support::spawn_app_with(crate::support::Options::messages_per_minute(100)).await;
    let ann = app.quick_user("ann", false).await;
    let (_, channel) = room(&app, &ann, &[]).await;
    let message = say(&app, &ann, channel, json!({"content": "x"})).await;
    let path = format!("/api/messages/{}/reactions/{THUMBS}/", message["id"]);
    let pin = format!("/api/messages/{}/pin/", message["id"]);
    // Twenty at once (reactions and pins together); then one each half second.
    let mut refused = None;
    for n in 0..40 {
        let (method, path) = match n % 3 {
            0 => (Method::PUT, &path),
            1 => (Method::DELETE, &path),
            _ => (Method::PUT, &pin),
        };
        let answer = call(&app, method, path, Some(&ann), None).await;
        if answer.status() == StatusCode::TOO_MANY_REQUESTS {
            refused = Some((n, answer));
            break;
        }
        assert_eq!(answer.status(), StatusCode::NO_CONTENT);
    }
    let (n, answer) = refused.expect("refused within forty");
    assert!(n >= 20, "refused after {n}");
    assert!(answer.headers().contains_key("retry-after"));
    json_of(answer, StatusCode::TOO_MANY_REQUESTS).await;
}

#[tokio::test]
async fn a_kept_page_follows_pins_edited_originals_and_reactors_gone() {
    let app = spawn_app().await;
    let (ann, bob, cat) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
        app.quick_user("cat", false).await,
    );
    let (_, channel) = room(&app, &ann, &[&bob, &cat]).await;
    let original = say(&app, &ann, channel, json!({"content": "first words"})).await;
    let reply = json!({"content": "re", "reply_to": original["id"]});
    say(&app, &bob, channel, reply).await;
    let path = format!("/api/messages/{}/reactions/{THUMBS}/", original["id"]);
    assert_eq!(
        status(&app, Method::PUT, &path, &cat).await,
        StatusCode::NO_CONTENT
    );
    // Read once: kept.
    let page = latest(&app, &bob, channel).await;
    assert_eq!(page[0]["reactions"][0]["count"], 1);
    let pin = format!("/api/messages/{}/pin/", original["id"]);
    assert_eq!(
        status(&app, Method::PUT, &pin, &ann).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(latest(&app, &bob, channel).await[0]["pinned"], true);
    let one = format!("/api/messages/{}/", original["id"]);
    call(
        &app,
        Method::PATCH,
        &one,
        Some(&ann),
        Some(json!({"content": "better words"})),
    )
    .await;
    assert_eq!(
        latest(&app, &bob, channel).await[1]["reply_to"]["content"],
        "better words"
    );
    assert_eq!(
        app.delete_me(&cat.access).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(latest(&app, &bob, channel).await[0]["reactions"], json!([]));
}
