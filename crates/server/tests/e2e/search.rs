//! `GET /api/servers/?search=`: servers by a piece of their name, in any case, with the
//! other filters and the private-server rule.

use crate::support::community::{create_server, get_query, ids, post};
use crate::support::{TestApp, User, json_of, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn listed(app: &TestApp, user: Option<&User>, query: &[(&str, &str)]) -> Vec<i64> {
    let response = get_query(app, "/api/servers/", user, query).await;
    ids(&json_of(response, StatusCode::OK).await)
}

fn id(server: &Value) -> i64 {
    server["id"].as_i64().expect("id")
}

#[tokio::test]
async fn servers_are_found_by_a_piece_of_their_name_in_any_case() {
    let app = spawn_app().await;
    let owner = app.quick_user("olga", false).await;
    let unicode = id(&create_server(&app, &owner, "Ünïcode Fans", false).await);
    let percent = id(&create_server(&app, &owner, "100% Rust", false).await);
    let underscore = id(&create_server(&app, &owner, "rust_lang", false).await);
    let plain = id(&create_server(&app, &owner, "Rustaceans", false).await);

    assert_eq!(listed(&app, None, &[("search", "üNÏ")]).await, [unicode]);
    assert_eq!(
        listed(&app, None, &[("search", "ÜNÏCODE")]).await,
        [unicode]
    );
    assert_eq!(
        listed(&app, None, &[("search", "  RUST ")]).await,
        [percent, underscore, plain]
    );
    // `%` and `_` are characters to find, not wildcards.
    assert_eq!(listed(&app, None, &[("search", "%")]).await, [percent]);
    assert_eq!(listed(&app, None, &[("search", "t_l")]).await, [underscore]);
    assert!(listed(&app, None, &[("search", "_x")]).await.is_empty());
    // Blank: no filter.
    assert_eq!(listed(&app, None, &[("search", " ")]).await.len(), 4);
}

#[tokio::test]
async fn search_combines_with_the_other_filters_and_keeps_private_servers_hidden() {
    let app = spawn_app().await;
    let owner = app.quick_user("olga", false).await;
    let outsider = app.quick_user("sid", false).await;
    let first = id(&create_server(&app, &owner, "Rust one", false).await);
    let secret = id(&create_server(&app, &owner, "Rust secret", true).await);
    let third = id(&create_server(&app, &owner, "Rust three", false).await);
    let music = json!({"name": "Rust music", "category": crate::support::community::category_id(&app, "music").await});
    json_of(
        post(&app, "/api/servers/", &owner, music).await,
        StatusCode::CREATED,
    )
    .await;

    let gaming = [("search", "rust"), ("category", "gaming")];
    assert_eq!(
        listed(&app, Some(&owner), &gaming).await,
        [first, secret, third]
    );
    assert_eq!(listed(&app, Some(&outsider), &gaming).await, [first, third]);
    assert_eq!(listed(&app, None, &gaming).await, [first, third]);
    let query = [
        ("search", "rust"),
        ("qty", "1"),
        ("with_num_members", "true"),
    ];
    let response = get_query(&app, "/api/servers/", None, &query).await;
    let one = json_of(response, StatusCode::OK).await;
    assert_eq!(ids(&one), [first]);
    assert_eq!(one[0]["num_members"], 1);
}

#[tokio::test]
async fn search_text_over_100_characters_is_a_field_error() {
    let app = spawn_app().await;
    let long = "ü".repeat(101);
    let response = get_query(&app, "/api/servers/", None, &[("search", &long)]).await;
    assert_eq!(
        json_of(response, StatusCode::BAD_REQUEST).await,
        json!({"search": ["Ensure this field has no more than 100 characters."]})
    );
    let fits = format!("  {}  ", "ü".repeat(100));
    let response = get_query(&app, "/api/servers/", None, &[("search", &fits)]).await;
    json_of(response, StatusCode::OK).await;
}
