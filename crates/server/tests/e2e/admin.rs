//! `/api/admin/accounts/`: staff list accounts, shut them out and let them back in, with
//! the same effects as `pingme admin deactivate-user` and `activate-user`.

use crate::support::community::{call, get, get_query, ids, post, rename, room};
use crate::support::{PASSWORD, TestApp, User, json_of, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const LIST: &str = "/api/admin/accounts/";

async fn accounts(app: &TestApp, staff: &User, query: &[(&str, &str)]) -> Value {
    json_of(
        get_query(app, LIST, Some(staff), query).await,
        StatusCode::OK,
    )
    .await
}

fn action(id: i64, what: &str) -> String {
    format!("/api/admin/accounts/{id}/{what}/")
}

#[tokio::test]
async fn staff_list_every_account_by_page() {
    let app = spawn_app().await;
    let staff = app.quick_user("stella", true).await;
    let ann = app.quick_user("ann", false).await;
    let unverified = app.register("newbie", "newbie@example.com", PASSWORD).await;
    assert_eq!(unverified.status(), StatusCode::CREATED);

    let all = accounts(&app, &staff, &[]).await;
    assert_eq!(all.as_array().unwrap().len(), 3);
    assert_eq!(ids(&all)[..2], [staff.id, ann.id]);
    let created_at = all[1]["created_at"].clone();
    assert!(created_at.is_string());
    assert_eq!(
        all[1],
        json!({"id": ann.id, "owner": "ann", "username": "ann", "email": "ann@example.com",
               "is_active": true, "is_staff": false, "verified": true, "created_at": created_at})
    );
    assert_eq!(all[0]["is_staff"], true);
    assert_eq!(all[2]["verified"], false);

    let first = accounts(&app, &staff, &[("limit", "1")]).await;
    assert_eq!(ids(&first), [staff.id]);
    let after = staff.id.to_string();
    let next = accounts(&app, &staff, &[("after", &after), ("limit", "1")]).await;
    assert_eq!(ids(&next), [ann.id]);
    let response = get_query(&app, LIST, Some(&staff), &[("limit", "0")]).await;
    assert_eq!(
        json_of(response, StatusCode::BAD_REQUEST).await,
        json!({"limit": ["Ensure this value is greater than or equal to 1."]})
    );
}

#[tokio::test]
async fn staff_search_login_display_name_and_email_in_any_case() {
    let app = spawn_app().await;
    let staff = app.quick_user("stella", true).await;
    let zoe = app.quick_user("zoe", false).await;
    let under = app.quick_user("max_power", false).await;
    let plain = app.quick_user("maxpower", false).await;
    rename(&app, &zoe, "Élodie 100%").await;

    let found = |search: &'static str| {
        let (app, staff) = (&app, &staff);
        async move { ids(&accounts(app, staff, &[("search", search)]).await) }
    };
    assert_eq!(found("éLODIE").await, [zoe.id]);
    assert_eq!(found("ÉLODIE").await, [zoe.id]);
    assert_eq!(found("0%").await, [zoe.id]);
    assert_eq!(found("x_p").await, [under.id]);
    assert_eq!(found("MAXP").await, [plain.id]);
    assert_eq!(found("zoe@EXAMPLE").await, [zoe.id]);
    assert!(found("%%").await.is_empty());
    assert_eq!(found("  ").await.len(), 4);

    let long = "x".repeat(101);
    let response = get_query(&app, LIST, Some(&staff), &[("search", &long)]).await;
    assert_eq!(
        json_of(response, StatusCode::BAD_REQUEST).await,
        json!({"search": ["Ensure this field has no more than 100 characters."]})
    );
}

#[tokio::test]
async fn only_staff_reach_the_admin_endpoints() {
    let app = spawn_app().await;
    let ann = app.quick_user("ann", false).await;
    let ben = app.quick_user("ben", false).await;
    let refused = json_of(get(&app, LIST, Some(&ann)).await, StatusCode::FORBIDDEN).await;
    assert_eq!(
        refused,
        json!({"detail": "Only staff can manage accounts."})
    );
    for what in ["deactivate", "reactivate"] {
        let path = action(ben.id, what);
        let response = post(&app, &path, &ann, json!({})).await;
        assert_eq!(json_of(response, StatusCode::FORBIDDEN).await, refused);
        let anonymous = call(&app, Method::POST, &path, None, None).await;
        json_of(anonymous, StatusCode::UNAUTHORIZED).await;
    }
    json_of(get(&app, LIST, None).await, StatusCode::UNAUTHORIZED).await;
    // Nothing was changed by the refused calls.
    json_of(
        app.get_with("/api/account/me/", &ben.access).await,
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn deactivating_shuts_the_account_out_at_once_and_reactivating_lets_it_back() {
    let app = spawn_app().await;
    let staff = app.quick_user("stella", true).await;
    let ann = app.quick_user("ann", false).await;
    let ben = app.quick_user("ben", false).await;
    let (server, channel) = room(&app, &ann, &[&ben]).await;
    let mut socket = app.socket(server, channel, &ben).await;
    let tokens = app.login("ben", PASSWORD).await;

    let response = post(&app, &action(ben.id, "deactivate"), &staff, json!({})).await;
    let view = json_of(response, StatusCode::OK).await;
    assert_eq!(
        (view["id"].as_i64(), &view["is_active"]),
        (Some(ben.id), &json!(false))
    );
    assert_eq!(socket.closed().await.0, 4403);
    let refused = json_of(
        app.get_with("/api/account/me/", &ben.access).await,
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(refused["code"], "token_not_valid");
    let refresh = app
        .post("/api/token/refresh/", json!({"refresh": tokens.refresh}))
        .await;
    assert_eq!(
        json_of(refresh, StatusCode::UNAUTHORIZED).await["code"],
        "token_not_valid"
    );
    assert_eq!(
        app.try_login("ben", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let url = app.socket_url(server, channel, &ben.access);
    assert_eq!(app.try_socket(&url, None).await.err(), Some(403));

    // Twice is harmless.
    json_of(
        post(&app, &action(ben.id, "deactivate"), &staff, json!({})).await,
        StatusCode::OK,
    )
    .await;
    let response = post(&app, &action(ben.id, "reactivate"), &staff, json!({})).await;
    assert_eq!(json_of(response, StatusCode::OK).await["is_active"], true);
    let back = app.login("ben", PASSWORD).await;
    json_of(
        app.get_with("/api/account/me/", &back.access).await,
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn staff_cannot_deactivate_themselves_nor_unknown_accounts() {
    let app = spawn_app().await;
    let staff = app.quick_user("stella", true).await;
    let response = post(&app, &action(staff.id, "deactivate"), &staff, json!({})).await;
    assert_eq!(
        json_of(response, StatusCode::BAD_REQUEST).await,
        json!({"detail": "You cannot deactivate your own account."})
    );
    json_of(
        app.get_with("/api/account/me/", &staff.access).await,
        StatusCode::OK,
    )
    .await;
    for what in ["deactivate", "reactivate"] {
        let response = post(&app, &action(999_999, what), &staff, json!({})).await;
        assert!(json_of(response, StatusCode::NOT_FOUND).await["detail"].is_string());
    }
}
