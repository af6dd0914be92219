//! `/api/servers/` and `my_servers/`: the Server object, creation in every encoding,
//! the listing filters, changes by the owner, joining, leaving, handing ownership on.

use crate::support::community::{call, category_id, create_server, get, ids, post};
use crate::support::{TestApp, User, json_of, spawn_app};
use pingme_domain::events::Event;
use pingme_domain::{AccountId, ServerId};
use pingme_media::fixtures;
use reqwest::multipart::{Form, Part};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::time::Duration;

async fn loads(url: &str) -> image::DynamicImage {
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    let bytes = response.bytes().await.unwrap();
    if bytes.starts_with(b"<svg") {
        return image::DynamicImage::new_rgb8(1, 1);
    }
    image::load_from_memory(&bytes).unwrap_or_else(|e| panic!("{url}: {e}"))
}

#[tokio::test]
async fn a_new_server_is_owned_joined_and_has_a_general_channel() {
    let app = spawn_app().await;
    let owner = app.quick_user("olga", false).await;
    let server = create_server(&app, &owner, "Rustaceans", false).await;
    let mut keys: Vec<&str> = server
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let mut expected = [
        "id",
        "channel_server",
        "owner_id",
        "owner",
        "category_name",
        "members",
        "server_image_urls",
        "name",
        "description",
        "created_at",
        "updated_at",
        "is_private",
        "category",
    ];
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(
        (&server["owner_id"], &server["owner"]),
        (&json!(owner.id), &json!("olga"))
    );
    assert_eq!(server["members"], json!([owner.id]));
    assert_eq!(
        (&server["category_name"], &server["category"]),
        (&json!("gaming"), &json!(category_id(&app, "gaming").await))
    );
    assert_eq!(
        (
            &server["name"],
            &server["description"],
            &server["is_private"]
        ),
        (&json!("Rustaceans"), &json!("a test server"), &json!(false))
    );
    let channel = &server["channel_server"][0];
    assert_eq!(server["channel_server"].as_array().unwrap().len(), 1);
    assert_eq!(
        (&channel["name"], &channel["description"], &channel["type"]),
        (
            &json!("general"),
            &json!("General text chat"),
            &json!("text")
        )
    );
    assert_eq!(
        (&channel["owner"], &channel["server"]),
        (&json!(owner.id), &server["id"])
    );
    for url in ["server_icon_url", "banner_image_url"] {
        let url = server["server_image_urls"][url].as_str().unwrap();
        assert!(
            url.starts_with(&format!("{}/media/defaults/", app.url)),
            "{url}"
        );
        loads(url).await;
    }
}

#[tokio::test]
async fn servers_are_created_from_forms_and_multipart_with_their_images() {
    let app = spawn_app().await;
    let owner = app.quick_user("fred", false).await;
    let category = category_id(&app, "music").await.to_string();
    let form = [
        ("name", "Form made"),
        ("category", category.as_str()),
        ("is_private", "true"),
    ];
    let response = app
        .client
        .post(app.at("/api/servers/"))
        .bearer_auth(&owner.access)
        .form(&form)
        .send()
        .await
        .unwrap();
    let made = json_of(response, StatusCode::CREATED).await;
    assert_eq!(
        (&made["is_private"], &made["description"]),
        (&json!(true), &Value::Null)
    );

    let multipart = Form::new()
        .text("name", "With pictures")
        .text("category", category.clone())
        .text("is_private", "false")
        .part(
            "server_icon",
            Part::bytes(fixtures::jpeg(800, 800)).file_name("icon.jpg"),
        )
        .part(
            "banner_image",
            Part::bytes(fixtures::jpeg(2400, 600)).file_name("banner.jpg"),
        );
    let response = app
        .client
        .post(app.at("/api/servers"))
        .bearer_auth(&owner.access)
        .multipart(multipart)
        .send()
        .await
        .unwrap();
    let made = json_of(response, StatusCode::CREATED).await;
    let id = made["id"].as_i64().unwrap();
    let icon = made["server_image_urls"]["server_icon_url"]
        .as_str()
        .unwrap();
    let banner = made["server_image_urls"]["banner_image_url"]
        .as_str()
        .unwrap();
    assert!(
        icon.starts_with(&format!("{}/media/servers/{id}/", app.url)),
        "{icon}"
    );
    let (icon, banner) = (loads(icon).await, loads(banner).await);
    assert_eq!((icon.width(), icon.height()), (512, 512));
    assert_eq!((banner.width(), banner.height()), (1920, 480));
}

#[tokio::test]
async fn bad_server_forms_get_field_errors_and_create_nothing() {
    let app = spawn_app().await;
    let owner = app.quick_user("bea", false).await;
    let cases = [
        (
            json!({}),
            json!({"name": ["This field is required."], "category": ["This field is required."]}),
        ),
        (
            json!({"name": "x", "category": 999}),
            json!({"category": ["Invalid pk \"999\" - object does not exist."]}),
        ),
        (
            json!({"name": "x", "category": "abc"}),
            json!({"category": ["A valid integer is required."]}),
        ),
        (
            json!({"name": "n".repeat(101), "category": 1, "is_private": "maybe"}),
            json!({"name": ["Ensure this field has no more than 100 characters."], "is_private": ["Must be a valid boolean."]}),
        ),
        (
            json!({"name": "  ", "category": 1, "description": "d".repeat(256)}),
            json!({"name": ["This field may not be blank."], "description": ["Ensure this field has no more than 255 characters."]}),
        ),
    ];
    for (body, expected) in cases {
        let response = post(&app, "/api/servers/", &owner, body.clone()).await;
        assert_eq!(
            json_of(response, StatusCode::BAD_REQUEST).await,
            expected,
            "{body}"
        );
    }
    let form = Form::new()
        .text("name", "bad picture")
        .text("category", "1")
        .part(
            "server_icon",
            Part::bytes(fixtures::bmp()).file_name("i.bmp"),
        );
    let response = app
        .client
        .post(app.at("/api/servers/"))
        .bearer_auth(&owner.access)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let body = json_of(response, StatusCode::BAD_REQUEST).await;
    assert!(
        body["server_icon"][0].as_str().unwrap().contains("BMP"),
        "{body}"
    );
    let everything = json_of(
        get(&app, "/api/servers/", Some(&owner)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(everything, json!([]));
    let anonymous = call(
        &app,
        Method::POST,
        "/api/servers/",
        None,
        Some(json!({"name": "x", "category": 1})),
    )
    .await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

async fn listed(app: &TestApp, query: &str, user: Option<&User>) -> Value {
    json_of(
        get(app, &format!("/api/servers/{query}"), user).await,
        StatusCode::OK,
    )
    .await
}

#[tokio::test]
async fn listings_filter_as_the_original_and_hide_private_servers() {
    let app = spawn_app().await;
    let (ann, ben) = (
        app.quick_user("ann", false).await,
        app.quick_user("ben", false).await,
    );
    let game = create_server(&app, &ann, "Game night", false).await["id"]
        .as_i64()
        .unwrap();
    let secret = create_server(&app, &ann, "Secret", true).await["id"]
        .as_i64()
        .unwrap();
    let music_category = category_id(&app, "music").await;
    let body = json!({"name": "Band", "category": music_category});
    let band = json_of(
        post(&app, "/api/servers/", &ben, body).await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_i64()
        .unwrap();
    post(
        &app,
        &format!("/api/servers/{band}/add_member/"),
        &ann,
        json!({}),
    )
    .await;

    assert_eq!(
        ids(&listed(&app, "", None).await),
        [game, band],
        "anonymous: no private server"
    );
    assert_eq!(
        ids(&listed(&app, "", Some(&ann)).await),
        [game, secret, band]
    );
    assert_eq!(ids(&listed(&app, "", Some(&ben)).await), [game, band]);
    assert_eq!(
        ids(&listed(&app, "?category=gaming", Some(&ann)).await),
        [game, secret]
    );
    assert_eq!(ids(&listed(&app, "?category=Gaming", None).await), [game]);
    assert_eq!(
        ids(&listed(&app, "?category=nothing", None).await),
        Vec::<i64>::new()
    );
    assert_eq!(ids(&listed(&app, "?qty=1", None).await), [game]);
    assert_eq!(
        ids(&listed(&app, "?qty=abc", None).await),
        [game, band],
        "a bad qty is ignored"
    );
    assert_eq!(ids(&listed(&app, "?qty=-1", None).await), [game, band]);
    assert_eq!(
        ids(&listed(&app, "?by_user=true", Some(&ben)).await),
        [band]
    );
    assert_eq!(
        ids(&listed(&app, &format!("?by_serverid={secret}"), Some(&ben)).await),
        Vec::<i64>::new()
    );
    assert_eq!(
        ids(&listed(&app, &format!("?mutual_with={}", ben.id), Some(&ann)).await),
        [band]
    );

    let counted = listed(&app, "?with_num_members=true", None).await;
    assert_eq!(
        (&counted[0]["num_members"], &counted[1]["num_members"]),
        (&json!(1), &json!(2))
    );
    assert!(listed(&app, "", None).await[0].get("num_members").is_none());

    for query in ["?by_user=true", &format!("?mutual_with={}", ben.id)] {
        let response = get(&app, &format!("/api/servers/{query}"), None).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{query}");
    }
    let body = json_of(
        get(&app, "/api/servers/?mutual_with=x", Some(&ann)).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        body,
        json!({"mutual_with": ["A valid integer is required."]})
    );
    assert_eq!(
        ids(&listed(&app, "?category=&by_serverid=", None).await),
        [game, band],
        "empty filters count as absent"
    );
    let body = json_of(
        get(&app, "/api/servers/?by_serverid=abc", None).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        body,
        json!({"by_serverid": ["A valid integer is required."]})
    );

    let mine = json_of(
        get(&app, "/api/account/my_servers/", Some(&ann)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&mine), [game, secret, band]);
    assert_eq!(
        get(&app, "/api/account/my_servers/", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

/// The `Link` header's next page, if there is one.
fn next_page(response: &reqwest::Response) -> Option<String> {
    let link = response.headers().get("link")?.to_str().ok()?;
    let rest = link.strip_prefix('<')?;
    let (target, relation) = rest.split_once('>')?;
    assert_eq!(relation, "; rel=\"next\"");
    Some(target.to_owned())
}

/// A listing is a page of at most 100 servers, also for the original client's calls that
/// ask for none; `Link` leads to the next page with the request's own filters.
#[tokio::test]
async fn listings_come_in_pages_with_a_link_to_the_next() {
    let app = spawn_app().await;
    let ann = app.quick_user("ann", false).await;
    let category = pingme_domain::CategoryId(category_id(&app, "gaming").await);
    let mut made = Vec::new();
    for n in 0..102 {
        let new = pingme_domain::community::NewServer {
            name: pingme_domain::community::ServerName::parse(&format!("server {n}")).unwrap(),
            description: None,
            owner: AccountId(ann.id),
            category,
            is_private: n == 5,
        };
        made.push(app.store.create_server(&new).await.unwrap().id.0);
    }
    let public: Vec<i64> = made.iter().copied().filter(|id| *id != made[5]).collect();

    // Unpaginated, as the original client asks: the first 100, and where the rest are.
    let first = get(&app, "/api/servers/?with_num_members=true", None).await;
    let next = next_page(&first).expect("a next page");
    assert_eq!(
        next,
        format!("/api/servers/?with_num_members=true&after={}", public[99])
    );
    assert_eq!(ids(&json_of(first, StatusCode::OK).await), public[..100]);
    let rest = get(&app, &next, None).await;
    assert_eq!(next_page(&rest), None, "the last page has no link");
    let rest = json_of(rest, StatusCode::OK).await;
    assert_eq!(ids(&rest), public[100..]);
    assert_eq!(rest[0]["num_members"], 1, "the filters carry over");

    // Pages of a chosen size, the private server among its member's.
    let mut seen = Vec::new();
    let mut path = Some("/api/account/my_servers/?limit=40".to_owned());
    while let Some(page) = path {
        let response = get(&app, &page, Some(&ann)).await;
        path = next_page(&response);
        let page = json_of(response, StatusCode::OK).await;
        assert!(page.as_array().unwrap().len() <= 40);
        seen.extend(ids(&page));
    }
    assert_eq!(seen, made);
    // `qty` is still "the first n", across pages too; a `limit` over 100 is 100.
    let three = get(&app, "/api/servers/?qty=3", None).await;
    assert_eq!(next_page(&three), None, "nothing follows the first n");
    assert_eq!(ids(&json_of(three, StatusCode::OK).await), public[..3]);
    let first = get(&app, "/api/servers/?qty=101", None).await;
    let next = next_page(&first).expect("the rest of the first 101");
    assert_eq!(next, format!("/api/servers/?qty=1&after={}", public[99]));
    let last = get(&app, &next, None).await;
    assert_eq!(next_page(&last), None);
    assert_eq!(ids(&json_of(last, StatusCode::OK).await), public[100..101]);
    // The link carries the parameters encoded again, whatever they were sent as.
    let found = get(&app, "/api/servers/?search=server%201&limit=5", None).await;
    let next = next_page(&found).expect("more names with \"server 1\"");
    assert_eq!(
        next,
        format!("/api/servers/?search=server+1&limit=5&after={}", made[13])
    );
    let ones: Vec<i64> = [1, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 100, 101]
        .iter()
        .map(|&n| made[n])
        .collect();
    assert_eq!(ids(&json_of(found, StatusCode::OK).await), ones[..5]);
    assert_eq!(
        ids(&listed(&app, &next["/api/servers/".len()..], None).await),
        ones[5..10]
    );
    assert_eq!(
        listed(&app, "?limit=500", None)
            .await
            .as_array()
            .unwrap()
            .len(),
        100
    );
    for bad in ["?limit=0", "?after=x", "?after=-1"] {
        let refused = get(&app, &format!("/api/servers/{bad}"), None).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn private_servers_are_shown_to_members_only() {
    let app = spawn_app().await;
    let (owner, other) = (
        app.quick_user("pia", false).await,
        app.quick_user("quin", false).await,
    );
    let id = create_server(&app, &owner, "Hidden", true).await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/servers/{id}/");
    assert_eq!(
        get(&app, &path, Some(&owner)).await.status(),
        StatusCode::OK
    );
    let body = json_of(get(&app, &path, Some(&other)).await, StatusCode::FORBIDDEN).await;
    assert!(body["detail"].as_str().unwrap().contains("private"));
    assert_eq!(
        get(&app, &path, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let counted = json_of(
        get(&app, &format!("{path}?with_num_members=true"), Some(&owner)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(counted["num_members"], 1);
    assert_eq!(
        get(&app, "/api/servers/99999/", None).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get(&app, "/api/servers/abc/", None).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn owners_change_and_delete_their_servers() {
    let app = spawn_app().await;
    let (owner, other) = (
        app.quick_user("ona", false).await,
        app.quick_user("oto", false).await,
    );
    let server = create_server(&app, &owner, "Before", false).await;
    let id = server["id"].as_i64().unwrap();
    let path = format!("/api/servers/{id}/");
    let music = category_id(&app, "music").await;

    let patched = json_of(
        call(
            &app,
            Method::PATCH,
            &path,
            Some(&owner),
            Some(json!({"name": "After", "is_private": true, "category": music})),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            &patched["name"],
            &patched["is_private"],
            &patched["category_name"]
        ),
        (&json!("After"), &json!(true), &json!("music"))
    );
    assert_eq!(patched["description"], "a test server", "untouched");
    let put = call(
        &app,
        Method::PUT,
        &path,
        Some(&owner),
        Some(json!({"description": "only this"})),
    )
    .await;
    let body = json_of(put, StatusCode::BAD_REQUEST).await;
    assert_eq!(
        body,
        json!({"name": ["This field is required."], "category": ["This field is required."]})
    );
    let put = call(
        &app,
        Method::PUT,
        &path,
        Some(&owner),
        Some(json!({"name": "Whole", "category": music, "description": null})),
    )
    .await;
    assert_eq!(
        json_of(put, StatusCode::OK).await["description"],
        Value::Null
    );

    for method in [Method::PATCH, Method::DELETE] {
        let response = call(
            &app,
            method.clone(),
            &path,
            Some(&other),
            Some(json!({"name": "Mine now"})),
        )
        .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method}");
        assert_eq!(
            call(&app, method, &path, None, None).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }

    let mut events = app.events.subscribe();
    assert_eq!(
        call(&app, Method::DELETE, &path, Some(&owner), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        get(&app, &path, Some(&owner)).await.status(),
        StatusCode::NOT_FOUND
    );
    let channel = server["channel_server"][0]["id"].as_i64().unwrap();
    assert_eq!(
        get(&app, &format!("/api/channels/{channel}/"), Some(&owner))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        event,
        Event::ServerDeleted {
            server: ServerId(id)
        }
    );
}

#[tokio::test]
async fn members_join_and_leave_and_the_owner_cannot_leave() {
    let app = spawn_app().await;
    let (owner, guest) = (
        app.quick_user("host", false).await,
        app.quick_user("guest", false).await,
    );
    let id = create_server(&app, &owner, "Open", false).await["id"]
        .as_i64()
        .unwrap();
    let join = format!("/api/servers/{id}/add_member/");
    let leave = format!("/api/servers/{id}/remove_member/");
    for _ in 0..2 {
        let body = json_of(post(&app, &join, &guest, json!({})).await, StatusCode::OK).await;
        assert_eq!(body, json!({"status": "member added"}));
    }
    let server = json_of(
        get(&app, &format!("/api/servers/{id}/"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(server["members"], json!([owner.id, guest.id]));

    let mut events = app.events.subscribe();
    for _ in 0..2 {
        let body = json_of(post(&app, &leave, &guest, json!({})).await, StatusCode::OK).await;
        assert_eq!(body, json!({"status": "member removed"}));
    }
    let event = tokio::time::timeout(Duration::from_secs(5), events.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        event,
        Event::MemberRemoved {
            server: ServerId(id),
            account: AccountId(guest.id)
        }
    );
    // And the gateway's dispatch of it, once.
    match events.recv().await.unwrap() {
        Event::Dispatch(dispatch) => assert_eq!(dispatch.event, "member_remove"),
        other => panic!("{other:?}"),
    }
    assert!(events.try_recv().is_err(), "leaving twice removed once");

    let body = json_of(
        post(&app, &leave, &owner, json!({})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(
        body["detail"].as_str().unwrap().contains("transfer"),
        "{body}"
    );
    assert_eq!(
        call(&app, Method::POST, &join, None, None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post(&app, "/api/servers/424242/add_member/", &guest, json!({}))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );

    let private = create_server(&app, &owner, "Closed", true).await["id"]
        .as_i64()
        .unwrap();
    let refused = post(
        &app,
        &format!("/api/servers/{private}/add_member/"),
        &guest,
        json!({}),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn ownership_passes_to_a_member_who_then_owns_everything() {
    let app = spawn_app().await;
    let (owner, member, stranger) = (
        app.quick_user("king", false).await,
        app.quick_user("heir", false).await,
        app.quick_user("nobody", false).await,
    );
    let id = create_server(&app, &owner, "Realm", false).await["id"]
        .as_i64()
        .unwrap();
    post(
        &app,
        &format!("/api/servers/{id}/add_member/"),
        &member,
        json!({}),
    )
    .await;
    let transfer = format!("/api/servers/{id}/transfer_ownership/");
    let body = json_of(
        post(&app, &transfer, &owner, json!({"account": stranger.id})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(
        body,
        json!({"account": ["That account is not a member of this server."]})
    );
    assert_eq!(
        post(&app, &transfer, &member, json!({"account": member.id}))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let body = json_of(
        post(&app, &transfer, &owner, json!({})).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(body, json!({"account": ["This field is required."]}));

    let server = json_of(
        post(&app, &transfer, &owner, json!({"account": member.id})).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (&server["owner_id"], &server["owner"]),
        (&json!(member.id), &json!("heir"))
    );
    let left = post(
        &app,
        &format!("/api/servers/{id}/remove_member/"),
        &owner,
        json!({}),
    )
    .await;
    assert_eq!(left.status(), StatusCode::OK, "the old owner may leave now");
    let renamed = call(
        &app,
        Method::PATCH,
        &format!("/api/servers/{id}/"),
        Some(&member),
        Some(json!({"name": "New realm"})),
    )
    .await;
    assert_eq!(renamed.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_original_clients_flow_works() {
    // Explore by category → join → see channels → create a channel as owner → leave.
    let app = spawn_app().await;
    let (owner, visitor) = (
        app.quick_user("maker", false).await,
        app.quick_user("visitor", false).await,
    );
    let id = create_server(&app, &owner, "Explorable", false).await["id"]
        .as_i64()
        .unwrap();
    let explore = json_of(
        get(
            &app,
            "/api/servers/?category=gaming&with_num_members=true",
            Some(&visitor),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&explore), [id]);
    json_of(
        post(
            &app,
            &format!("/api/servers/{id}/add_member/"),
            &visitor,
            json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let server = json_of(
        get(&app, &format!("/api/servers/{id}/"), Some(&visitor)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(server["channel_server"][0]["name"], "general");
    let channel = json_of(
        post(
            &app,
            "/api/channels/",
            &owner,
            json!({"name": "Announcements", "server": id}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(channel["name"], "announcements");
    let server = json_of(
        get(&app, &format!("/api/servers/{id}/"), Some(&visitor)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(server["channel_server"].as_array().unwrap().len(), 2);
    json_of(
        post(
            &app,
            &format!("/api/servers/{id}/remove_member/"),
            &visitor,
            json!({}),
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let mine = json_of(
        get(&app, "/api/account/my_servers/", Some(&visitor)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(mine, json!([]));
}

#[tokio::test]
async fn deleting_an_owners_account_hands_the_server_to_the_earliest_member() {
    let app = spawn_app().await;
    // `second` has the smaller id but joins later: the joining order decides.
    let (owner, second, first) = (
        app.quick_user("leaver", false).await,
        app.quick_user("second", false).await,
        app.quick_user("first", false).await,
    );
    let shared = create_server(&app, &owner, "Shared", false).await["id"]
        .as_i64()
        .unwrap();
    let lonely = create_server(&app, &owner, "Lonely", false).await["id"]
        .as_i64()
        .unwrap();
    for member in [&first, &second] {
        post(
            &app,
            &format!("/api/servers/{shared}/add_member/"),
            member,
            json!({}),
        )
        .await;
    }
    let mut events = app.events.subscribe();
    assert_eq!(
        app.delete_me(&owner.access).await.status(),
        StatusCode::NO_CONTENT
    );
    let server = json_of(
        get(&app, &format!("/api/servers/{shared}/"), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (&server["owner_id"], &server["owner"]),
        (&json!(first.id), &json!("first"))
    );
    assert_eq!(server["channel_server"][0]["owner"], first.id);
    assert_eq!(
        get(&app, &format!("/api/servers/{lonely}/"), None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let mut seen = Vec::new();
    for _ in 0..2 {
        seen.push(
            tokio::time::timeout(Duration::from_secs(5), events.recv())
                .await
                .unwrap()
                .unwrap(),
        );
    }
    assert!(
        seen.contains(&Event::AccountDeleted {
            account: AccountId(owner.id)
        }),
        "{seen:?}"
    );
    assert!(
        seen.contains(&Event::ServerDeleted {
            server: ServerId(lonely)
        }),
        "{seen:?}"
    );
}

#[tokio::test]
async fn replaced_and_deleted_server_images_are_swept() {
    let app = spawn_app().await;
    let owner = app.quick_user("painter", false).await;
    let category = category_id(&app, "gaming").await.to_string();
    let form = Form::new()
        .text("name", "Gallery")
        .text("category", category)
        .part(
            "server_icon",
            Part::bytes(fixtures::png(40, 40, true)).file_name("a.png"),
        );
    let response = app
        .client
        .post(app.at("/api/servers/"))
        .bearer_auth(&owner.access)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let made = json_of(response, StatusCode::CREATED).await;
    let id = made["id"].as_i64().unwrap();
    let first = made["server_image_urls"]["server_icon_url"]
        .as_str()
        .unwrap()
        .to_owned();
    loads(&first).await;

    let form = Form::new().part(
        "server_icon",
        Part::bytes(fixtures::png(50, 50, true)).file_name("b.png"),
    );
    let response = app
        .client
        .patch(app.at(&format!("/api/servers/{id}/")))
        .bearer_auth(&owner.access)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let second = json_of(response, StatusCode::OK).await["server_image_urls"]["server_icon_url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(first, second);
    gone(&first).await;
    loads(&second).await;

    assert_eq!(
        call(
            &app,
            Method::DELETE,
            &format!("/api/servers/{id}/"),
            Some(&owner),
            None
        )
        .await
        .status(),
        StatusCode::NO_CONTENT
    );
    gone(&second).await;
}

async fn gone(url: &str) {
    crate::support::eventually(Duration::from_secs(15), || async {
        (reqwest::get(url).await.ok()?.status() == StatusCode::NOT_FOUND).then_some(())
    })
    .await;
}
