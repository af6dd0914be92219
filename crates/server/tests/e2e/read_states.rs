//! Read states over REST (`POST /api/channels/<id>/ack/`): a member marks a channel read, the
//! counts follow, and bad acknowledgements get the contract's 4xx answers.

use crate::support::community::{call, post, room};
use crate::support::{TestApp, User, json_of, spawn_app};
use pingme_domain::messages::{MessageId, ReadState};
use pingme_domain::{AccountId, ChannelId};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn send(app: &TestApp, user: &User, channel: i64, text: &str) -> i64 {
    let body = json!({"channel_id": channel, "content": text});
    let sent = json_of(
        post(app, "/api/messages/", user, body).await,
        StatusCode::CREATED,
    )
    .await;
    sent["id"].as_i64().unwrap()
}

async fn state(app: &TestApp, user: &User, channel: i64) -> ReadState {
    let states = app.store.read_states(AccountId(user.id)).await.unwrap();
    *states
        .iter()
        .find(|s| s.channel == ChannelId(channel))
        .expect("a read state")
}

async fn ack(app: &TestApp, user: Option<&User>, channel: i64, body: Value) -> reqwest::Response {
    let path = format!("/api/channels/{channel}/ack/");
    call(app, Method::POST, &path, user, Some(body)).await
}

#[tokio::test]
async fn a_member_marks_a_channel_read() {
    let app = spawn_app().await;
    let (ann, bob) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
    );
    let (_, channel) = room(&app, &ann, &[&bob]).await;
    let first = send(&app, &ann, channel, &format!("hi <@{}>", bob.id)).await;
    let second = send(&app, &ann, channel, "and more").await;
    let unread = state(&app, &bob, channel).await;
    assert_eq!((unread.unread_count, unread.mention_count), (2, 1));

    let answer = ack(&app, Some(&bob), channel, json!({"message_id": first})).await;
    assert_eq!(answer.status(), StatusCode::NO_CONTENT);
    let read = state(&app, &bob, channel).await;
    assert_eq!(
        (read.last_read_id, read.unread_count, read.mention_count),
        (MessageId(first), 1, 0)
    );
    // A form works too; an id past the newest message reads everything.
    let form = app
        .client
        .post(app.at(&format!("/api/channels/{channel}/ack")))
        .bearer_auth(&bob.access)
        .form(&[("message_id", (second + 100).to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        state(&app, &bob, channel).await.last_read_id,
        MessageId(second)
    );
}

#[tokio::test]
async fn bad_acknowledgements_get_the_contracts_answers() {
    let app = spawn_app().await;
    let (ann, stranger) = (
        app.quick_user("ann", false).await,
        app.quick_user("stranger", false).await,
    );
    let (_, channel) = room(&app, &ann, &[]).await;
    let id = send(&app, &ann, channel, "hi").await;
    for (body, errors) in [
        (
            json!({}),
            json!({"message_id": ["This field is required."]}),
        ),
        (
            json!({"message_id": "x"}),
            json!({"message_id": ["A valid integer is required."]}),
        ),
        (
            json!({"message_id": 0}),
            json!({"message_id": ["Ensure this value is greater than or equal to 1."]}),
        ),
    ] {
        let answer = ack(&app, Some(&ann), channel, body.clone()).await;
        assert_eq!(
            json_of(answer, StatusCode::BAD_REQUEST).await,
            errors,
            "{body}"
        );
    }
    let answer = ack(&app, Some(&stranger), channel, json!({"message_id": id})).await;
    assert_eq!(
        json_of(answer, StatusCode::FORBIDDEN).await,
        json!({"detail": "Only members of this channel's server can read its messages."})
    );
    let answer = ack(&app, Some(&ann), 999_999, json!({"message_id": id})).await;
    json_of(answer, StatusCode::NOT_FOUND).await;
    let answer = ack(&app, None, channel, json!({"message_id": id})).await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(state(&app, &ann, channel).await.last_read_id, MessageId(0));
}
