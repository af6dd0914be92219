//! Messages sent over REST (`POST /api/messages/`): they reach the channel's sockets as
//! socket-sent ones do, a nonce makes a retry safe (however many race), and bad sends get
//! the contract's 4xx answers with nothing stored.

use crate::support::community::{call, get, post, room};
use crate::support::{Options, TestApp, User, json_of, spawn_app, spawn_app_with};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

async fn history(app: &TestApp, user: &User, channel: i64) -> Vec<Value> {
    let path = format!("/api/messages/?channel_id={channel}");
    let page = json_of(get(app, &path, Some(user)).await, StatusCode::OK).await;
    page.as_array().unwrap().clone()
}

#[tokio::test]
async fn a_message_sent_over_rest_reaches_the_sockets_once_whatever_the_retries() {
    let app = spawn_app().await;
    let (ann, bob) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
    );
    let (server, channel) = room(&app, &ann, &[&bob]).await;
    let mut socket = app.socket(server, channel, &bob).await;

    let text = format!("  hi <@{}> and <@{}>  ", bob.id, ann.id);
    let send = json!({"channel_id": channel, "content": text, "nonce": "n-1"});
    let sent = json_of(
        post(&app, "/api/messages/", &ann, send.clone()).await,
        StatusCode::CREATED,
    )
    .await;
    let content = format!("hi <@{}> and <@{}>", bob.id, ann.id);
    assert_eq!(sent["content"], content);
    assert_eq!(
        (&sent["channel_id"], &sent["mentions"], &sent["edited"]),
        (&json!(channel), &json!([bob.id, ann.id]), &json!(false))
    );
    assert_eq!(sent["user"]["id"], ann.id);
    let frame = socket.next().await;
    assert_eq!(
        (&frame["message"]["id"], &frame["message"]["content"]),
        (&sent["id"], &json!(content))
    );
    assert_eq!(frame["nonce"], "n-1");

    // A retry (another text, even) answers 200 with the same message and sends nothing.
    let retry = json!({"channel_id": channel.to_string(), "content": "again", "nonce": "n-1"});
    let again = json_of(
        post(&app, "/api/messages/", &ann, retry).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(again, sent);
    assert_eq!(socket.silent_for(Duration::from_millis(300)).await, None);

    // Without a nonce, or with another, every send is a message.
    for body in [
        json!({"channel_id": channel, "content": "plain"}),
        json!({"channel_id": channel, "content": "plain", "nonce": null}),
        json!({"channel_id": channel, "content": "plain", "nonce": "n-2", "reply_to": null, "attachments": []}),
    ] {
        let made = post(&app, "/api/messages/", &ann, body).await;
        json_of(made, StatusCode::CREATED).await;
        assert!(socket.next().await["message"]["id"].as_i64() > sent["id"].as_i64());
    }
    let listed = history(&app, &bob, channel).await;
    assert_eq!(listed.len(), 4);
    assert_eq!(listed[0], sent, "the history shows what the send answered");

    let id = sent["id"].as_i64().unwrap();
    let edit = call(
        &app,
        Method::PATCH,
        &format!("/api/messages/{id}/"),
        Some(&ann),
        Some(json!({"content": "no mentions"})),
    )
    .await;
    let edited = json_of(edit, StatusCode::OK).await;
    assert_eq!(
        (&edited["edited"], &edited["mentions"]),
        (&json!(true), &json!([]))
    );
    assert_eq!(history(&app, &bob, channel).await[0], edited);
}

#[tokio::test]
async fn bad_sends_get_the_contracts_answers_and_store_nothing() {
    let app = spawn_app().await;
    let (ann, stranger) = (
        app.quick_user("ann", false).await,
        app.quick_user("stranger", false).await,
    );
    let (_, channel) = room(&app, &ann, &[]).await;
    let cases = [
        (
            json!({"content": "x"}),
            json!({"channel_id": ["This field is required."]}),
        ),
        (
            json!({"channel_id": "x", "content": " "}),
            json!({"channel_id": ["A valid integer is required."], "content": ["This field may not be blank."]}),
        ),
        (
            json!({"channel_id": channel, "content": "x", "nonce": "n".repeat(101)}),
            json!({"nonce": ["Ensure this field has no more than 100 characters."]}),
        ),
        (
            json!({"channel_id": channel, "content": "x", "nonce": ""}),
            json!({"nonce": ["This field may not be blank."]}),
        ),
        (
            json!({"channel_id": channel, "content": "x", "reply_to": "x", "attachments": [1]}),
            json!({"reply_to": ["A valid integer is required."]}),
        ),
        (
            json!({"channel_id": channel, "content": "x", "reply_to": 999_999_999}),
            json!({"reply_to": ["Not a message of this channel."]}),
        ),
        (
            json!({"channel_id": channel, "content": "x".repeat(4001)}),
            json!({"content": ["Ensure this field has no more than 4000 characters."]}),
        ),
    ];
    for (body, errors) in cases {
        let answer = post(&app, "/api/messages/", &ann, body.clone()).await;
        assert_eq!(
            json_of(answer, StatusCode::BAD_REQUEST).await,
            errors,
            "{body}"
        );
    }
    let answer = post(
        &app,
        "/api/messages/",
        &stranger,
        json!({"channel_id": channel, "content": "let me in"}),
    )
    .await;
    assert_eq!(
        json_of(answer, StatusCode::FORBIDDEN).await,
        json!({"detail": "Only members of this channel's server can post to it."})
    );
    let answer = post(
        &app,
        "/api/messages/",
        &ann,
        json!({"channel_id": 999_999, "content": "nowhere"}),
    )
    .await;
    json_of(answer, StatusCode::NOT_FOUND).await;
    let anonymous = call(
        &app,
        Method::POST,
        "/api/messages/",
        None,
        Some(json!({"channel_id": channel, "content": "who?"})),
    )
    .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(history(&app, &ann, channel).await.is_empty());
}

/// Twenty identical sends at once (a client retrying hard, or two tabs): one message, and
/// every answer carries it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_identical_sends_racing_make_one_message() {
    let app = spawn_app().await;
    let ann = app.quick_user("ann", false).await;
    let (_, channel) = room(&app, &ann, &[]).await;
    let body = json!({"channel_id": channel, "content": "once", "nonce": "same"});
    let answers = futures_util::future::join_all((0..20).map(|_| async {
        let answer = post(&app, "/api/messages/", &ann, body.clone()).await;
        let status = answer.status();
        (status, answer.json::<Value>().await.unwrap())
    }))
    .await;
    let created = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{answers:?}");
    assert!(
        answers
            .iter()
            .all(|(status, message)| status.is_success() && message["id"] == answers[0].1["id"]),
        "{answers:?}"
    );
    assert_eq!(history(&app, &ann, channel).await.len(), 1);
}

#[tokio::test]
async fn sends_past_the_rate_get_429_with_retry_after() {
    let app = spawn_app_with(Options::messages_per_minute(2)).await;
    let ann = app.quick_user("ann", false).await;
    let (_, channel) = room(&app, &ann, &[]).await;
    for n in 0..2 {
        let body = json!({"channel_id": channel, "content": format!("m{n}")});
        json_of(
            post(&app, "/api/messages/", &ann, body).await,
            StatusCode::CREATED,
        )
        .await;
    }
    let body = json!({"channel_id": channel, "content": "one too many"});
    let refused = post(&app, "/api/messages/", &ann, body).await;
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait >= 1, "{wait}");
    json_of(refused, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(history(&app, &ann, channel).await.len(), 2);
}
