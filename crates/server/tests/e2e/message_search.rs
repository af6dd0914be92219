//! `GET /api/search/messages/`: the words of messages the caller may read (their servers'
//! channels and their direct messages), newest first, with a total, the filters and pages,
//! edits and deletions seen at once, and each bad query a field error.

use crate::support::community::{call, get, post, room};
use crate::support::{TestApp, User, json_of, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn say(app: &TestApp, user: &User, channel: i64, text: &str) -> i64 {
    let body = json!({"channel_id": channel, "content": text});
    let sent = json_of(
        post(app, "/api/messages/", user, body).await,
        StatusCode::CREATED,
    )
    .await;
    sent["id"].as_i64().unwrap()
}

async fn search(app: &TestApp, user: &User, query: &str) -> Value {
    let path = format!("/api/search/messages/?{query}");
    json_of(get(app, &path, Some(user)).await, StatusCode::OK).await
}

fn ids(found: &Value) -> Vec<i64> {
    found["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn the_words_of_readable_messages_are_found_newest_first_with_the_filters() {
    let app = spawn_app().await;
    let (ann, bob, sam) = (
        app.quick_user("ann", false).await,
        app.quick_user("bob", false).await,
        app.quick_user("sam", false).await,
    );
    let (server, general) = room(&app, &ann, &[&bob]).await;
    let (_, elsewhere) = room(&app, &sam, &[]).await;
    let dm = json_of(
        post(&app, "/api/dms/", &ann, json!({"recipients": [bob.id]})).await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let first = say(&app, &ann, general, "Shall we MEET at the harbour?").await;
    let second = say(&app, &bob, dm, "meet me, quietly").await;
    say(&app, &sam, elsewhere, "meet where nobody reads").await;
    let third = say(
        &app,
        &bob,
        general,
        "a meeting is not a meet… or is it: meet!",
    )
    .await;
    say(&app, &ann, general, "nothing to see").await;

    let found = search(&app, &ann, "q=meet").await;
    assert_eq!(found["total"], 3);
    assert_eq!(ids(&found), vec![third, second, first]);
    assert_eq!(found["results"][1]["channel_id"], dm);
    assert_eq!(found["results"][0]["user"]["username"], "bob");
    // Every word, in any case and order.
    assert_eq!(
        ids(&search(&app, &ann, "q=HARBOUR%20meet").await),
        vec![first]
    );
    assert_eq!(
        search(&app, &ann, "q=meet%20nowhere").await,
        json!({"total": 0, "results": []})
    );
    // Sam finds Sam's own, nothing of the others'.
    let theirs = search(&app, &sam, "q=meet").await;
    assert_eq!(theirs["total"], 1);
    // Filters and pages.
    assert_eq!(
        ids(&search(&app, &ann, &format!("q=meet&server_id={server}")).await),
        vec![third, first]
    );
    assert_eq!(
        ids(&search(&app, &ann, &format!("q=meet&channel_id={dm}")).await),
        vec![second]
    );
    assert_eq!(
        ids(&search(&app, &ann, &format!("q=meet&author_id={}", bob.id)).await),
        vec![third, second]
    );
    let page = search(&app, &ann, "q=meet&limit=2").await;
    assert_eq!(
        (ids(&page), &page["total"]),
        (vec![third, second], &json!(3))
    );
    let next = search(&app, &ann, &format!("q=meet&limit=2&before={second}")).await;
    assert_eq!((ids(&next), &next["total"]), (vec![first], &json!(1)));
    assert_eq!(
        search(&app, &ann, &format!("q=meet&server_id={}", server + 1000)).await["total"],
        0
    );

    // Dotted names, numbers and letters of every alphabet, as typed, on either database.
    let host = say(&app, &ann, general, "deploy to staging.example.com failed").await;
    let pi = say(&app, &ann, general, "pi is 3.14, roughly").await;
    let city = say(&app, &bob, dm, "İstanbul in May?").await;
    for (query, found) in [
        ("q=staging.example.com", host),
        ("q=3.14", pi),
        ("q=%C4%B0stanbul", city),
    ] {
        assert_eq!(
            ids(&search(&app, &ann, query).await),
            vec![found],
            "{query}"
        );
    }

    // An edit and a deletion show at once.
    let edit = json!({"content": "let us gather"});
    let path = format!("/api/messages/{first}/");
    assert_eq!(
        call(&app, Method::PATCH, &path, Some(&ann), Some(edit))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(ids(&search(&app, &ann, "q=gather").await), vec![first]);
    let path = format!("/api/messages/{second}/");
    assert_eq!(
        call(&app, Method::DELETE, &path, Some(&bob), None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(ids(&search(&app, &ann, "q=meet").await), vec![third]);
}

#[tokio::test]
async fn bad_queries_are_field_errors() {
    let app = spawn_app().await;
    let ann = app.quick_user("ann", false).await;
    let eleven: Vec<String> = (0..11).map(|n| format!("w{n}")).collect();
    for (query, field, says) in [
        ("", "q", "Search for at least one word.".to_owned()),
        (
            "q=%20%2C%21",
            "q",
            "Search for at least one word.".to_owned(),
        ),
        (
            &*format!("q={}", eleven.join("%20")),
            "q",
            "Search for at most 10 words.".to_owned(),
        ),
        (
            &*format!("q={}", "x".repeat(201)),
            "q",
            "Ensure this field has no more than 200 characters.".to_owned(),
        ),
        (
            "q=a&limit=0",
            "limit",
            "Ensure this value is greater than or equal to 1.".to_owned(),
        ),
        (
            "q=a&server_id=x",
            "server_id",
            "A valid integer is required.".to_owned(),
        ),
        (
            "q=a&before=-3",
            "before",
            "A valid integer is required.".to_owned(),
        ),
        (
            "q=a&channel_id=0",
            "channel_id",
            "A valid integer is required.".to_owned(),
        ),
    ] {
        let path = format!("/api/search/messages/?{query}");
        let refused = json_of(get(&app, &path, Some(&ann)).await, StatusCode::BAD_REQUEST).await;
        assert_eq!(refused, json!({ field: [says] }), "{query}");
    }
    assert_eq!(
        get(&app, "/api/search/messages/?q=a", None).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // At most 50 a page.
    let found = search(&app, &ann, "q=a&limit=500").await;
    assert_eq!(found, json!({"total": 0, "results": []}));
}
