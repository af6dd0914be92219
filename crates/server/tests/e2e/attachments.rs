//! Image attachments over REST: uploaded through the image pipeline (stripped, resized,
//! sized), used once by their uploader in one message, refused whole otherwise, swept when
//! never used; what the history and the gateway show of them.

use crate::gateway::{dispatch, settled};
use crate::support::community::{call, get, post, room};
use crate::support::{TestApp, User, eventually, json_of, spawn_app};
use pingme_media::fixtures;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

async fn upload(app: &TestApp, user: &User, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let form = Form::new().part("image", Part::bytes(bytes).file_name(name.to_owned()));
    app.client
        .post(app.at("/api/attachments/"))
        .bearer_auth(&user.access)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn uploaded(app: &TestApp, user: &User) -> Value {
    let photo = fixtures::jpeg_with_exif(3000, 2000, 1);
    json_of(
        upload(app, user, "photo.jpg", photo).await,
        StatusCode::CREATED,
    )
    .await
}

async fn latest(app: &TestApp, user: &User, channel: i64) -> Vec<Value> {
    let path = format!("/api/messages/?channel_id={channel}");
    let page = json_of(get(app, &path, Some(user)).await, StatusCode::OK).await;
    page.as_array().unwrap().clone()
}

#[tokio::test]
async fn an_image_is_stored_stripped_and_sized_then_shown_in_its_message() {
    let app = spawn_app().await;
    let (ann, bob) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
    );
    let (_, channel) = room(&app, &ann, &[&bob]).await;
    let (mut watcher, _) = app.identified(&bob).await;
    settled(&mut watcher, 0).await;
    let image = uploaded(&app, &ann).await;
    assert_eq!(
        (&image["width"], &image["height"]),
        (&json!(1920), &json!(1280)),
        "fitted in 1920"
    );
    let url = image["url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!("{}/media/attachments/{}/", app.url, ann.id)),
        "{url}"
    );
    let bytes = reqwest::get(&url).await.unwrap().bytes().await.unwrap();
    assert!(!fixtures::contains(&bytes, b"Exif"), "EXIF stripped");
    assert!(!fixtures::contains(&bytes, &fixtures::GPS_LATITUDE));

    // An image alone: the text may be left out.
    let body = json!({"channel_id": channel, "attachments": [image["id"]]});
    let sent = json_of(
        post(&app, "/api/messages/", &ann, body).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(sent["content"], "");
    assert_eq!(sent["attachments"], json!([image]));
    assert_eq!(
        latest(&app, &bob, channel).await[0]["attachments"],
        json!([image])
    );
    let (_, name, data) = dispatch(&mut watcher).await;
    assert_eq!(
        (name.as_str(), &data["attachments"]),
        ("message_create", &json!([image]))
    );
}

#[tokio::test]
async fn a_message_naming_an_image_it_may_not_use_is_refused_whole() {
    let app = spawn_app().await;
    let (ann, bob) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
    );
    let (_, channel) = room(&app, &ann, &[&bob]).await;
    let (mine, theirs) = (uploaded(&app, &ann).await, uploaded(&app, &bob).await);
    let refusal = json!({"attachments": ["Not an attachment of yours to use."]});
    for attachments in [
        json!([theirs["id"]]),
        json!([mine["id"], theirs["id"]]),
        json!([999_999]),
    ] {
        let body = json!({"channel_id": channel, "content": "look", "attachments": attachments});
        let answer = post(&app, "/api/messages/", &ann, body).await;
        assert_eq!(
            json_of(answer, StatusCode::BAD_REQUEST).await,
            refusal,
            "{attachments}"
        );
    }
    assert!(
        latest(&app, &ann, channel).await.is_empty(),
        "nothing written"
    );
    let body = json!({"channel_id": channel, "content": "look", "attachments": [mine["id"]]});
    json_of(
        post(&app, "/api/messages/", &ann, body.clone()).await,
        StatusCode::CREATED,
    )
    .await;
    // Used once only.
    let again = post(&app, "/api/messages/", &ann, body).await;
    assert_eq!(json_of(again, StatusCode::BAD_REQUEST).await, refusal);
    // Bad lists are field errors.
    for (attachments, error) in [
        (json!("x"), "A valid integer is required."),
        (json!([1, 1]), "Each item may be given once."),
        (
            json!([1, 2, 3, 4, 5]),
            "Ensure this field has no more than 4 elements.",
        ),
        (json!({"a": 1}), "Expected a list of items."),
    ] {
        let body = json!({"channel_id": channel, "content": "x", "attachments": attachments});
        let answer = post(&app, "/api/messages/", &ann, body).await;
        assert_eq!(
            json_of(answer, StatusCode::BAD_REQUEST).await,
            json!({"attachments": [error]})
        );
    }
    // Without images, a blank text is still refused.
    let body = json!({"channel_id": channel, "content": " ", "attachments": []});
    let answer = post(&app, "/api/messages/", &ann, body).await;
    assert_eq!(
        json_of(answer, StatusCode::BAD_REQUEST).await,
        json!({"content": ["This field may not be blank."]})
    );
}

#[tokio::test]
async fn uploads_are_images_and_unused_ones_are_taken_back_or_swept() {
    let app = spawn_app().await;
    let ann = app.quick_user("ann", false).await;
    let bob = app.quick_user("bob", false).await;
    let answer = upload(&app, &ann, "notes.png", b"not a picture".to_vec()).await;
    let body = json_of(answer, StatusCode::BAD_REQUEST).await;
    assert!(body["image"][0].is_string(), "{body}");
    let form = Form::new().text("caption", "no file");
    let answer = app
        .client
        .post(app.at("/api/attachments/"))
        .bearer_auth(&ann.access)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        json_of(answer, StatusCode::BAD_REQUEST).await,
        json!({"image": ["No file was submitted."]})
    );
    let first = uploaded(&app, &ann).await;
    let path = format!("/api/attachments/{}/", first["id"]);
    assert_eq!(
        call(&app, Method::DELETE, &path, Some(&bob), None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&app, Method::DELETE, &path, Some(&ann), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    // Never used: gone after the test server's 2 s, with its file.
    let kept = uploaded(&app, &ann).await;
    let url = kept["url"].as_str().unwrap().to_owned();
    let (_, channel) = room(&app, &ann, &[]).await;
    eventually(Duration::from_secs(20), || async {
        let status = reqwest::get(&url).await.unwrap().status();
        (status == StatusCode::NOT_FOUND).then_some(())
    })
    .await;
    let body = json!({"channel_id": channel, "content": "late", "attachments": [kept["id"]]});
    assert_eq!(
        post(&app, "/api/messages/", &ann, body).await.status(),
        StatusCode::BAD_REQUEST
    );
}

#[tokio::test]
async fn no_more_than_twenty_wait_at_once() {
    let app = spawn_app().await;
    let ann = app.quick_user("ann", false).await;
    let small = fixtures::png(4, 4, false);
    for n in 0..20 {
        let answer = upload(&app, &ann, &format!("{n}.png"), small.clone()).await;
        json_of(answer, StatusCode::CREATED).await;
    }
    let answer = upload(&app, &ann, "21.png", small).await;
    assert_eq!(
        json_of(answer, StatusCode::BAD_REQUEST).await,
        json!({"detail": "You have 20 images waiting to be sent: send or remove some first."})
    );
}
