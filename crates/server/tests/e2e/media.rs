//! Avatars through `PATCH /api/account/edit_me/`: every bad file refused with its reason,
//! good ones stored stripped and resized and served back, replaced ones removed — with the
//! local store and with a real S3-compatible server.

use crate::support::{Options, PASSWORD, TestApp, eventually, json_of, spawn_app, spawn_app_with};
use pingme_media::S3Config;
use pingme_media::fixtures::{self, moto::Moto};
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use std::time::Duration;

/// A verified account and its access token.
async fn member(app: &TestApp, name: &str) -> String {
    app.verified_user(name).await;
    app.login(name, PASSWORD).await.access
}

async fn upload(app: &TestApp, access: &str, file_name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let form = Form::new().part("image", Part::bytes(bytes).file_name(file_name.to_owned()));
    edit_me_form(app, access, form).await
}

async fn edit_me_form(app: &TestApp, access: &str, form: Form) -> reqwest::Response {
    let request = app
        .client
        .patch(app.at("/api/account/edit_me/"))
        .bearer_auth(access);
    request.multipart(form).send().await.unwrap()
}

async fn me(app: &TestApp, access: &str) -> Value {
    json_of(
        app.get_with("/api/account/me/", access).await,
        StatusCode::OK,
    )
    .await
}

/// Waits until nothing is served at `url` any more: unused files are swept shortly after
/// they stop being used (one second in these tests).
async fn gone(url: &str) {
    eventually(Duration::from_secs(15), || async {
        let status = reqwest::get(url).await.ok()?.status();
        (status == StatusCode::NOT_FOUND).then_some(())
    })
    .await;
}

/// Fetches an image URL and decodes what it serves.
async fn fetch_image(url: &str) -> (reqwest::header::HeaderMap, Vec<u8>, image::DynamicImage) {
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap().to_vec();
    let image =
        image::load_from_memory(&bytes).unwrap_or_else(|e| panic!("{url} is not an image: {e}"));
    (headers, bytes, image)
}

#[tokio::test]
async fn new_accounts_show_a_default_avatar_that_loads() {
    let app = spawn_app().await;
    let access = member(&app, "ada").await;
    let url = me(&app, &access).await["image_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(url, format!("{}/media/defaults/avatar.svg", app.url));
    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert!(response.text().await.unwrap().starts_with("<svg"));
    for default in ["server-icon.svg", "banner.svg", "category-icon.svg"] {
        let response = reqwest::get(format!("{}/media/defaults/{default}", app.url))
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{default}");
    }
}

#[tokio::test]
async fn an_uploaded_photo_is_served_upright_resized_and_without_exif() {
    let app = spawn_app().await;
    let access = member(&app, "bea").await;
    // A 3000 × 2000 phone photo, to be turned upright (EXIF orientation 6), with a GPS fix.
    let photo = fixtures::jpeg_with_exif(3000, 2000, 6);
    let body = json_of(
        upload(&app, &access, "holiday.jpg", photo).await,
        StatusCode::OK,
    )
    .await;
    let url = body["image_url"].as_str().unwrap().to_owned();
    let id = body["id"].as_i64().unwrap();
    assert!(
        url.starts_with(&format!("{}/media/avatars/{id}/", app.url)),
        "{url}"
    );
    assert!(url.ends_with(".jpg"), "{url}");
    assert_eq!(me(&app, &access).await["image_url"], url);

    let (headers, bytes, image) = fetch_image(&url).await;
    assert_eq!(headers["content-type"], "image/jpeg");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert_eq!(
        (image.width(), image.height()),
        (341, 512),
        "upright, then fitted in 512 × 512"
    );
    assert!(!fixtures::contains(&bytes, b"Exif"));
    assert!(!fixtures::contains(&bytes, &fixtures::GPS_LATITUDE));
}

#[tokio::test]
async fn every_bad_file_is_refused_with_its_reason_and_changes_nothing() {
    let app = spawn_app().await;
    let access = member(&app, "cy").await;
    let before = me(&app, &access).await;
    let cases: [(&str, Vec<u8>, &str); 7] = [
        ("empty.png", Vec::new(), "The submitted file is empty."),
        (
            "notes.png",
            b"these are my notes, not a picture".to_vec(),
            "either not an image or a corrupted image",
        ),
        (
            "cut.png",
            fixtures::truncated_png(),
            "either not an image or a corrupted image",
        ),
        (
            "huge.jpg",
            fixtures::jpeg_sized(5 * 1024 * 1024),
            "larger than the limit of 4 MiB",
        ),
        (
            "bomb.png",
            fixtures::png_header_only(20_000, 20_000),
            "20000 × 20000 pixels; at most 40 megapixels",
        ),
        ("old.bmp", fixtures::bmp(), "BMP images are not supported"),
        (
            "scan.tiff",
            fixtures::tiff(),
            "TIFF images are not supported",
        ),
    ];
    for (name, bytes, reason) in cases {
        let body = json_of(
            upload(&app, &access, name, bytes).await,
            StatusCode::BAD_REQUEST,
        )
        .await;
        let messages = body["image"]
            .as_array()
            .unwrap_or_else(|| panic!("{name}: {body}"));
        let message = messages[0].as_str().unwrap();
        assert!(
            message.starts_with("Upload a valid image. "),
            "{name}: {message}"
        );
        assert!(message.contains(reason), "{name}: {message}");
        assert_eq!(body.as_object().unwrap().len(), 1, "{name}: {body}");
    }
    let after = me(&app, &access).await;
    assert_eq!(after, before, "a refused upload writes nothing");
    assert!(
        !app.data_dir.join("media/avatars").exists(),
        "and stores nothing"
    );
}

#[tokio::test]
async fn a_bad_image_is_reported_with_the_other_field_errors() {
    let app = spawn_app().await;
    let access = member(&app, "dee").await;
    let form = Form::new()
        .text("username", "   ")
        .part("image", Part::bytes(fixtures::bmp()).file_name("x.bmp"));
    let response = edit_me_form(&app, &access, form).await;
    let body = json_of(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(body["username"], json!(["This field may not be blank."]));
    assert!(body["image"][0].as_str().unwrap().contains("BMP"));

    let form = Form::new().text("image", "https://example.com/me.png");
    let response = edit_me_form(&app, &access, form).await;
    let body = json_of(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(
        body,
        json!({"image": ["The submitted data was not a file. Check the encoding type on the form."]})
    );
}

#[tokio::test]
async fn replacing_or_clearing_an_avatar_removes_the_old_file() {
    let app = spawn_app().await;
    let access = member(&app, "eli").await;
    let first = json_of(
        upload(&app, &access, "a.png", fixtures::png(64, 64, true)).await,
        StatusCode::OK,
    )
    .await;
    let first = first["image_url"].as_str().unwrap().to_owned();
    assert!(
        first.ends_with(".png"),
        "a translucent image stays PNG: {first}"
    );
    fetch_image(&first).await;

    let second = json_of(
        upload(&app, &access, "b.gif", fixtures::gif_animation(40, 40, 2)).await,
        StatusCode::OK,
    )
    .await;
    let second = second["image_url"].as_str().unwrap().to_owned();
    assert!(second.ends_with(".gif"), "{second}");
    assert_ne!(first, second);
    gone(&first).await;
    fetch_image(&second).await;

    // The same picture again keeps its name, and its file.
    let again = json_of(
        upload(&app, &access, "b.gif", fixtures::gif_animation(40, 40, 2)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(again["image_url"], second);
    fetch_image(&second).await;

    let cleared = app
        .client
        .patch(app.at("/api/account/edit_me/"))
        .bearer_auth(&access)
        .json(&json!({"image": null}))
        .send()
        .await
        .unwrap();
    let cleared = json_of(cleared, StatusCode::OK).await;
    assert_eq!(
        cleared["image_url"],
        format!("{}/media/defaults/avatar.svg", app.url)
    );
    gone(&second).await;
}

#[tokio::test]
async fn deleting_an_account_deletes_its_avatar() {
    let app = spawn_app().await;
    let access = member(&app, "fox").await;
    let body = json_of(
        upload(&app, &access, "me.webp", fixtures::webp(80, 60)).await,
        StatusCode::OK,
    )
    .await;
    let url = body["image_url"].as_str().unwrap().to_owned();
    fetch_image(&url).await;
    assert_eq!(
        app.delete_me(&access).await.status(),
        StatusCode::NO_CONTENT
    );
    gone(&url).await;
}

#[tokio::test]
async fn media_urls_name_nothing_outside_the_store() {
    let app = spawn_app().await;
    std::fs::write(app.data_dir.join("pingme-secret.png"), b"outside").unwrap();
    for path in [
        "/media/defaults/nothing.svg",
        "/media/avatars/1/missing.jpg",
        "/media/avatars/..%2F..%2Fpingme-secret.png",
        "/media/avatars/%2E%2E/pingme-secret.png",
        "/media/AVATARS/1/x.jpg",
        "/media/avatars/1/x.exe",
    ] {
        let response = app.client.get(app.at(path)).send().await.unwrap();
        assert_eq!(
            json_of(response, StatusCode::NOT_FOUND).await,
            json!({"detail": "Not found."}),
            "{path}"
        );
    }
}

#[tokio::test]
#[ignore = "needs moto: PINGME_TEST_MOTO_SERVER (.ci/run installs it and sets it)"]
async fn avatars_live_in_an_s3_bucket_when_one_is_configured() {
    let moto = Moto::start().await;
    moto.create_public_bucket("pingme-avatars").await;
    let s3 = S3Config {
        bucket: "pingme-avatars".into(),
        endpoint: Some(moto.endpoint.clone()),
        region: "us-east-1".into(),
        access_key_id: Some("testing".into()),
        secret_access_key: Some("testing".into()),
        public_base_url: None,
    };
    let app = spawn_app_with(Options {
        s3: Some(s3),
        ..Options::default()
    })
    .await;
    let access = member(&app, "gus").await;

    let body = json_of(
        upload(
            &app,
            &access,
            "p.jpg",
            fixtures::jpeg_with_exif(1200, 900, 1),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let first = body["image_url"].as_str().unwrap().to_owned();
    let id = body["id"].as_i64().unwrap();
    assert!(
        first.starts_with(&format!("{}/pingme-avatars/avatars/{id}/", moto.endpoint)),
        "{first}"
    );
    let (_, bytes, image) = fetch_image(&first).await;
    assert_eq!((image.width(), image.height()), (512, 384));
    assert!(!fixtures::contains(&bytes, b"Exif"));
    assert!(
        !app.data_dir.join("media").exists(),
        "nothing is kept locally"
    );

    let body = json_of(
        upload(&app, &access, "q.png", fixtures::png(30, 30, true)).await,
        StatusCode::OK,
    )
    .await;
    let second = body["image_url"].as_str().unwrap().to_owned();
    fetch_image(&second).await;
    gone(&first).await;

    assert_eq!(
        app.delete_me(&access).await.status(),
        StatusCode::NO_CONTENT
    );
    gone(&second).await;
}

#[tokio::test]
async fn files_under_other_names_and_gif_bombs_are_refused() {
    let app = spawn_app().await;
    let access = member(&app, "hal").await;
    let form = Form::new().part(
        "resume",
        Part::bytes(fixtures::png(4, 4, false)).file_name("cv.png"),
    );
    let response = edit_me_form(&app, &access, form).await;
    let body = json_of(response, StatusCode::BAD_REQUEST).await;
    assert_eq!(
        body,
        json!({"resume": ["Unexpected file: files are accepted here only as `image`."]})
    );

    let bomb = fixtures::gif_raw((1, 1), &[(20_000, 20_000)]);
    let body = json_of(
        upload(&app, &access, "tiny.gif", bomb).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        body["image"][0].as_str().unwrap().contains("corrupted"),
        "{body}"
    );
    let frames = fixtures::gif_raw((1000, 1000), &[(1, 1); 30]);
    let body = json_of(
        upload(&app, &access, "long.gif", frames).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        body["image"][0]
            .as_str()
            .unwrap()
            .contains("more than 20 frames of 1000 × 1000"),
        "{body}"
    );
}
