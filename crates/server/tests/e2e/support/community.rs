//! Helpers for servers, channels and invites: generic authenticated calls and fixtures.

use super::{TestApp, User, json_of};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};

/// One request, as `user` (or anonymously), with an optional JSON body.
pub async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    user: Option<&User>,
    body: Option<Value>,
) -> Response {
    let mut request = app.client.request(method, app.at(path));
    if let Some(user) = user {
        request = request.bearer_auth(&user.access);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.expect("request")
}

pub async fn get(app: &TestApp, path: &str, user: Option<&User>) -> Response {
    call(app, Method::GET, path, user, None).await
}

pub async fn post(app: &TestApp, path: &str, user: &User, body: Value) -> Response {
    call(app, Method::POST, path, Some(user), Some(body)).await
}

/// The id of a category by name (the test servers start with general, gaming and music).
pub async fn category_id(app: &TestApp, name: &str) -> i64 {
    let all = json_of(get(app, "/api/categories/", None).await, StatusCode::OK).await;
    all.as_array()
        .and_then(|list| list.iter().find(|c| c["name"] == name))
        .and_then(|c| c["id"].as_i64())
        .unwrap_or_else(|| panic!("no category {name} in {all}"))
}

/// Creates a server as `owner` and returns its object.
pub async fn create_server(app: &TestApp, owner: &User, name: &str, private: bool) -> Value {
    let category = category_id(app, "gaming").await;
    let body = json!({"name": name, "category": category, "description": "a test server", "is_private": private});
    json_of(
        post(app, "/api/servers/", owner, body).await,
        StatusCode::CREATED,
    )
    .await
}

/// The ids in a JSON array of objects.
pub fn ids(list: &Value) -> Vec<i64> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|item| item["id"].as_i64().expect("id"))
        .collect()
}

/// A server owned by `owner` with `members` joined; its id and its general channel's.
pub async fn room(app: &TestApp, owner: &User, members: &[&User]) -> (i64, i64) {
    let server = create_server(app, owner, "Chat", false).await;
    let id = server["id"].as_i64().unwrap();
    for member in members {
        let joined = post(
            app,
            &format!("/api/servers/{id}/add_member/"),
            member,
            json!({}),
        )
        .await;
        assert_eq!(joined.status(), StatusCode::OK);
    }
    (id, server["channel_server"][0]["id"].as_i64().unwrap())
}

/// A `GET` with query parameters, encoded by the client (`%`, `_`, non-ASCII alike).
pub async fn get_query(
    app: &TestApp,
    path: &str,
    user: Option<&User>,
    query: &[(&str, &str)],
) -> Response {
    let url = reqwest::Url::parse_with_params(&app.at(path), query).expect("url");
    let mut request = app.client.get(url);
    if let Some(user) = user {
        request = request.bearer_auth(&user.access);
    }
    request.send().await.expect("request")
}

/// Changes `user`'s display name.
pub async fn rename(app: &TestApp, user: &User, display_name: &str) {
    let body = json!({ "username": display_name });
    let response = call(
        app,
        Method::PATCH,
        "/api/account/edit_me/",
        Some(user),
        Some(body),
    )
    .await;
    json_of(response, StatusCode::OK).await;
}
