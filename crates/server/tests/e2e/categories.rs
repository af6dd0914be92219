//! Categories: read by anyone, managed by staff over the API and by operators with
//! `pingme admin category …`; a fresh installation starts with a default set.

use crate::support::community::{call, category_id, create_server, get, post};
use crate::support::{json_of, spawn_app};
use pingme_media::fixtures;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::process::Output;
use std::time::Duration;
use tokio::process::Command;

#[tokio::test]
async fn a_fresh_installation_lists_its_default_categories_by_name() {
    let app = spawn_app().await;
    let all = json_of(get(&app, "/api/categories/", None).await, StatusCode::OK).await;
    let names: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["gaming", "general", "music"]);
    let gaming = &all[0];
    let mut keys: Vec<&str> = gaming
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "category_icon_url",
            "created_at",
            "description",
            "id",
            "name",
            "updated_at"
        ]
    );
    let icon = gaming["category_icon_url"].as_str().unwrap();
    assert_eq!(reqwest::get(icon).await.unwrap().status(), StatusCode::OK);
    let one = json_of(
        get(&app, &format!("/api/categories/{}/", gaming["id"]), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(&one, gaming);
    assert_eq!(
        get(&app, "/api/categories/999/", None).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn staff_manage_categories_and_others_may_not() {
    let app = spawn_app().await;
    let (staff, user) = (
        app.quick_user("admin", true).await,
        app.quick_user("user", false).await,
    );
    assert_eq!(
        post(&app, "/api/categories/", &user, json!({"name": "art"}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(
            &app,
            Method::POST,
            "/api/categories/",
            None,
            Some(json!({"name": "art"}))
        )
        .await
        .status(),
        StatusCode::UNAUTHORIZED
    );

    let made = json_of(
        post(
            &app,
            "/api/categories/",
            &staff,
            json!({"name": "Art", "description": "paint"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(
        (&made["name"], &made["description"]),
        (&json!("art"), &json!("paint"))
    );
    let again = json_of(
        post(&app, "/api/categories/", &staff, json!({"name": "ART"})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        again,
        json!({"name": ["A category with that name already exists."]})
    );

    let path = format!("/api/categories/{}/", made["id"]);
    let form = Form::new().text("description", "drawing").part(
        "icon",
        Part::bytes(fixtures::png(600, 600, true)).file_name("i.png"),
    );
    let response = app
        .client
        .patch(app.at(&path))
        .bearer_auth(&staff.access)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let changed = json_of(response, StatusCode::OK).await;
    assert_eq!(changed["description"], "drawing");
    let icon = changed["category_icon_url"].as_str().unwrap();
    assert!(icon.contains("/media/categories/"), "{icon}");
    let image =
        image::load_from_memory(&reqwest::get(icon).await.unwrap().bytes().await.unwrap()).unwrap();
    assert_eq!((image.width(), image.height()), (512, 512));
    assert_eq!(
        call(
            &app,
            Method::PATCH,
            &path,
            Some(&user),
            Some(json!({"name": "x"}))
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );

    let gaming = category_id(&app, "gaming").await;
    create_server(&app, &user, "Uses gaming", false).await;
    let in_use = call(
        &app,
        Method::DELETE,
        &format!("/api/categories/{gaming}/"),
        Some(&staff),
        None,
    )
    .await;
    let body = json_of(in_use, StatusCode::CONFLICT).await;
    assert!(
        body["detail"].as_str().unwrap().contains("1 server"),
        "{body}"
    );
    assert_eq!(
        call(&app, Method::DELETE, &path, Some(&user), None)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(&app, Method::DELETE, &path, Some(&staff), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(get(&app, &path, None).await.status(), StatusCode::NOT_FOUND);
}

fn pingme(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pingme"));
    command
        .env_clear()
        .env("PINGME_DATA_DIR", data_dir)
        .kill_on_drop(true);
    command
}

async fn run(command: &mut Command) -> Output {
    tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("in time")
        .expect("runs")
}

fn out(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn operators_manage_categories_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let icon = dir.path().join("icon.png");
    std::fs::write(&icon, fixtures::png(64, 64, false)).unwrap();
    let added = run(pingme(dir.path())
        .args([
            "admin",
            "category",
            "add",
            "--name",
            "Books",
            "--description",
            "reading",
        ])
        .arg("--icon")
        .arg(&icon))
    .await;
    assert!(added.status.success(), "{}", out(&added));
    assert!(out(&added).contains("created category"), "{}", out(&added));
    let twice = run(pingme(dir.path()).args(["admin", "category", "add", "--name", "books"])).await;
    assert!(
        !twice.status.success() && out(&twice).contains("already exists"),
        "{}",
        out(&twice)
    );
    let bad_icon = dir.path().join("notes.png");
    std::fs::write(&bad_icon, b"not an image").unwrap();
    let refused = run(pingme(dir.path())
        .args(["admin", "category", "add", "--name", "films"])
        .arg("--icon")
        .arg(&bad_icon))
    .await;
    assert!(
        !refused.status.success() && out(&refused).contains("not an image"),
        "{}",
        out(&refused)
    );

    let listed = run(pingme(dir.path()).args(["admin", "category", "list"])).await;
    assert!(listed.status.success());
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains("books\treading"),
        "{}",
        out(&listed)
    );
    assert!(
        !out(&listed).contains("films"),
        "a refused add writes nothing"
    );
    let store = pingme_store::open(&format!(
        "sqlite:{}",
        dir.path().join("pingme.sqlite3").display()
    ))
    .await
    .unwrap();
    let books = store
        .category_by_name("books")
        .await
        .unwrap()
        .expect("the category");
    let icon = books.icon.expect("the category refers to its icon");
    assert!(
        icon.starts_with(&format!("categories/{}/", books.id)),
        "{icon}"
    );
    assert!(
        dir.path().join("media").join(&icon).is_file(),
        "and the icon is stored"
    );

    let removed =
        run(pingme(dir.path()).args(["admin", "category", "remove", "--name", "BOOKS"])).await;
    assert!(removed.status.success(), "{}", out(&removed));
    let missing =
        run(pingme(dir.path()).args(["admin", "category", "remove", "--name", "books"])).await;
    assert!(
        !missing.status.success() && out(&missing).contains("no category"),
        "{}",
        out(&missing)
    );
}
