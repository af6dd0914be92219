//! Who sees whom: `/api/servers/<id>/members/` and `/api/accounts/<id>/`.

use crate::support::community::{create_server, get, get_query, ids, post, room};
use crate::support::{TestApp, User, json_of, spawn_app};
use pingme_domain::AccountId;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The keys of the Account object, as `GET /api/account/me/` has them minus `is_staff`.
pub const ACCOUNT_KEYS: [&str; 8] = [
    "content",
    "created_at",
    "id",
    "image_url",
    "location",
    "owner",
    "updated_at",
    "username",
];

/// An object's keys, sorted.
pub fn keys(object: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = object
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

async fn members(app: &TestApp, server: i64, user: &User, query: &[(&str, &str)]) -> Value {
    let path = format!("/api/servers/{server}/members/");
    json_of(
        get_query(app, &path, Some(user), query).await,
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn members_are_listed_as_account_objects_by_id_and_paged() {
    let app = spawn_app().await;
    let owner = app.quick_user("olga", false).await;
    let (ann, ben) = (
        app.quick_user("ann", false).await,
        app.quick_user("ben", false).await,
    );
    let (server, _) = room(&app, &owner, &[&ben, &ann]).await;
    let all = members(&app, server, &ann, &[]).await;
    assert_eq!(ids(&all), [owner.id, ann.id, ben.id]);
    assert_eq!(keys(&all[0]), ACCOUNT_KEYS);
    assert_eq!(all[1]["owner"], "ann");

    let first = members(&app, server, &ann, &[("limit", "1")]).await;
    assert_eq!(ids(&first), [owner.id]);
    let after = owner.id.to_string();
    let next = members(&app, server, &ann, &[("after", &after), ("limit", "1")]).await;
    assert_eq!(ids(&next), [ann.id]);
    // More than the maximum is cut down to it, not refused.
    let capped = members(&app, server, &ann, &[("limit", "5000")]).await;
    assert_eq!(ids(&capped).len(), 3);
}

#[tokio::test]
async fn members_are_listed_to_members_only_even_of_a_public_server() {
    let app = spawn_app().await;
    let owner = app.quick_user("olga", false).await;
    let stranger = app.quick_user("sid", false).await;
    let server = create_server(&app, &owner, "Hideout", true).await;
    let path = format!("/api/servers/{}/members/", server["id"]);

    let anonymous = json_of(get(&app, &path, None).await, StatusCode::UNAUTHORIZED).await;
    assert_eq!(
        anonymous,
        json!({"detail": "Authentication credentials were not provided."})
    );
    let refused = json_of(
        get(&app, &path, Some(&stranger)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert!(refused["detail"].is_string(), "{refused}");
    let listed = json_of(get(&app, &path, Some(&owner)).await, StatusCode::OK).await;
    assert_eq!(ids(&listed), [owner.id]);

    // A public server's list too: it holds profiles, which are for people who share a
    // server; the server object gives anyone the count and the ids.
    let public = create_server(&app, &owner, "Square", false).await;
    let path = format!("/api/servers/{}/members/", public["id"]);
    let refused = json_of(
        get(&app, &path, Some(&stranger)).await,
        StatusCode::FORBIDDEN,
    )
    .await;
    assert_eq!(
        refused,
        json!({"detail": "Only members of this server can see who its members are."})
    );

    let missing = get(&app, "/api/servers/999999/members/", Some(&owner)).await;
    assert!(json_of(missing, StatusCode::NOT_FOUND).await["detail"].is_string());
}

#[tokio::test]
async fn bad_member_pages_are_field_errors() {
    let app = spawn_app().await;
    let owner = app.quick_user("olga", false).await;
    let (server, _) = room(&app, &owner, &[]).await;
    let path = format!("/api/servers/{server}/members/");
    for (query, field, message) in [
        (
            ("limit", "0"),
            "limit",
            "Ensure this value is greater than or equal to 1.",
        ),
        (("limit", "many"), "limit", "A valid integer is required."),
        (("after", "-1"), "after", "A valid integer is required."),
    ] {
        let response = get_query(&app, &path, Some(&owner), &[query]).await;
        assert_eq!(
            json_of(response, StatusCode::BAD_REQUEST).await,
            json!({ field: [message] }),
            "{query:?}"
        );
    }
}

async fn profile(app: &TestApp, of: i64, viewer: &User) -> reqwest::Response {
    get(app, &format!("/api/accounts/{of}/"), Some(viewer)).await
}

#[tokio::test]
async fn profiles_are_seen_by_oneself_people_sharing_a_server_and_staff() {
    let app = spawn_app().await;
    let (ann, ben) = (
        app.quick_user("ann", false).await,
        app.quick_user("ben", false).await,
    );
    let stranger = app.quick_user("sid", false).await;
    let staff = app.quick_user("stella", true).await;
    room(&app, &ann, &[&ben]).await;

    let seen = json_of(profile(&app, ben.id, &ann).await, StatusCode::OK).await;
    assert_eq!(keys(&seen), ACCOUNT_KEYS);
    assert_eq!(
        (seen["id"].as_i64(), &seen["owner"]),
        (Some(ben.id), &json!("ben"))
    );
    json_of(profile(&app, ann.id, &ann).await, StatusCode::OK).await;
    json_of(profile(&app, stranger.id, &staff).await, StatusCode::OK).await;

    // A stranger is told there is nobody, exactly as for an id nobody has.
    let hidden = json_of(
        profile(&app, ben.id, &stranger).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let missing = json_of(
        profile(&app, 999_999, &stranger).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(hidden, missing);

    let anonymous = get(&app, &format!("/api/accounts/{}/", ben.id), None).await;
    json_of(anonymous, StatusCode::UNAUTHORIZED).await;
}

#[tokio::test]
async fn shut_out_and_deleted_accounts_have_no_profile_and_are_not_members() {
    let app = spawn_app().await;
    let (ann, ben, cy) = (
        app.quick_user("ann", false).await,
        app.quick_user("ben", false).await,
        app.quick_user("cy", false).await,
    );
    let staff = app.quick_user("stella", true).await;
    let (server, _) = room(&app, &ann, &[&ben, &cy]).await;

    app.store
        .set_active(AccountId(ben.id), false)
        .await
        .unwrap();
    json_of(profile(&app, ben.id, &ann).await, StatusCode::NOT_FOUND).await;
    json_of(profile(&app, ben.id, &staff).await, StatusCode::NOT_FOUND).await;
    assert_eq!(
        ids(&members(&app, server, &ann, &[]).await),
        [ann.id, cy.id]
    );

    assert_eq!(
        app.delete_me(&cy.access).await.status(),
        StatusCode::NO_CONTENT
    );
    json_of(profile(&app, cy.id, &ann).await, StatusCode::NOT_FOUND).await;
    assert_eq!(ids(&members(&app, server, &ann, &[]).await), [ann.id]);
}

#[tokio::test]
async fn leaving_the_last_shared_server_hides_a_profile() {
    let app = spawn_app().await;
    let (ann, ben) = (
        app.quick_user("ann", false).await,
        app.quick_user("ben", false).await,
    );
    let (server, _) = room(&app, &ann, &[&ben]).await;
    json_of(profile(&app, ann.id, &ben).await, StatusCode::OK).await;
    let path = format!("/api/servers/{server}/remove_member/");
    assert_eq!(
        post(&app, &path, &ben, json!({})).await.status(),
        StatusCode::OK
    );
    json_of(profile(&app, ann.id, &ben).await, StatusCode::NOT_FOUND).await;
    json_of(profile(&app, ben.id, &ann).await, StatusCode::NOT_FOUND).await;
}
