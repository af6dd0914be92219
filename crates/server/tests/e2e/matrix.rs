//! The authorization matrix: every action on servers, channels, invites, moderation and
//! categories, tried by every role on a public and a private server, each on a fresh
//! server, with the exact status expected in every cell. docs/api.md shows the same table.

use crate::support::community::{call, create_server, post};
use crate::support::{TestApp, User, json_of, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Anonymous,
    Outsider,
    Member,
    /// A member who made a channel, but does not own the server (any more).
    ChannelOwner,
    Owner,
    Banned,
    /// Staff, not a member.
    Staff,
}

const ROLES: [Role; 7] = [
    Role::Anonymous,
    Role::Outsider,
    Role::Member,
    Role::ChannelOwner,
    Role::Owner,
    Role::Banned,
    Role::Staff,
];

struct People {
    outsider: User,
    member: User,
    maker: User,
    owner: User,
    banned: User,
    staff: User,
    /// A second member, for kicks, bans and transfers.
    target: User,
}

impl People {
    fn of(&self, role: Role) -> Option<&User> {
        match role {
            Role::Anonymous => None,
            Role::Outsider => Some(&self.outsider),
            Role::Member => Some(&self.member),
            Role::ChannelOwner => Some(&self.maker),
            Role::Owner => Some(&self.owner),
            Role::Banned => Some(&self.banned),
            Role::Staff => Some(&self.staff),
        }
    }
}

/// A fresh server: made by `maker` (who also made channel `made`), handed to `owner`,
/// joined by `member` and `target`, with `banned` banned and one unlimited invite.
struct Fixture {
    server: i64,
    made: i64,
    invite: String,
    /// A message of `target`'s in `made`.
    message: i64,
}

async fn fixture(app: &TestApp, people: &People, private: bool) -> Fixture {
    let server = create_server(app, &people.maker, "Matrix", private).await["id"]
        .as_i64()
        .unwrap();
    let made = json_of(
        post(
            app,
            "/api/channels/",
            &people.maker,
            json!({"name": "made", "server": server}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let invite = json_of(
        post(
            app,
            &format!("/api/servers/{server}/invites/"),
            &people.maker,
            json!({}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let invite = invite["code"].as_str().unwrap().to_owned();
    for user in [
        &people.owner,
        &people.member,
        &people.target,
        &people.banned,
    ] {
        let joined = post(
            app,
            &format!("/api/servers/{server}/add_member/"),
            user,
            json!({"invite": invite}),
        )
        .await;
        assert_eq!(joined.status(), StatusCode::OK);
    }
    let made = made["id"].as_i64().unwrap();
    let message = json_of(
        post(
            app,
            "/api/messages/",
            &people.target,
            json!({"channel_id": made, "content": "marked"}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await["id"]
        .as_i64()
        .unwrap();
    let handed = post(
        app,
        &format!("/api/servers/{server}/transfer_ownership/"),
        &people.maker,
        json!({"account": people.owner.id}),
    )
    .await;
    assert_eq!(handed.status(), StatusCode::OK);
    let banned = post(
        app,
        &format!("/api/servers/{server}/ban/"),
        &people.owner,
        json!({"account": people.banned.id}),
    )
    .await;
    assert_eq!(banned.status(), StatusCode::OK);
    Fixture {
        server,
        made,
        invite,
        message,
    }
}

/// An action: a name for the table, and the request it makes.
type Action = (
    &'static str,
    fn(&Fixture, &People, i64) -> (Method, String, Option<Value>),
);

fn actions() -> Vec<Action> {
    vec![
        ("view server", |f, _, _| {
            (Method::GET, format!("/api/servers/{}/", f.server), None)
        }),
        ("update server", |f, _, _| {
            (
                Method::PATCH,
                format!("/api/servers/{}/", f.server),
                Some(json!({"name": "Renamed"})),
            )
        }),
        ("delete server", |f, _, _| {
            (Method::DELETE, format!("/api/servers/{}/", f.server), None)
        }),
        ("join (add_member)", |f, _, _| {
            (
                Method::POST,
                format!("/api/servers/{}/add_member/", f.server),
                Some(json!({})),
            )
        }),
        ("leave (remove_member)", |f, _, _| {
            (
                Method::POST,
                format!("/api/servers/{}/remove_member/", f.server),
                Some(json!({})),
            )
        }),
        ("transfer ownership", |f, p, _| {
            (
                Method::POST,
                format!("/api/servers/{}/transfer_ownership/", f.server),
                Some(json!({"account": p.target.id})),
            )
        }),
        ("view channel", |f, _, _| {
            (Method::GET, format!("/api/channels/{}/", f.made), None)
        }),
        ("create channel", |f, _, _| {
            (
                Method::POST,
                "/api/channels/".into(),
                Some(json!({"name": "new", "server": f.server})),
            )
        }),
        ("update channel", |f, _, _| {
            (
                Method::PATCH,
                format!("/api/channels/{}/", f.made),
                Some(json!({"name": "renamed"})),
            )
        }),
        ("delete channel", |f, _, _| {
            (Method::DELETE, format!("/api/channels/{}/", f.made), None)
        }),
        ("create invite", |f, _, _| {
            (
                Method::POST,
                format!("/api/servers/{}/invites/", f.server),
                Some(json!({})),
            )
        }),
        ("list invites", |f, _, _| {
            (
                Method::GET,
                format!("/api/servers/{}/invites/", f.server),
                None,
            )
        }),
        ("preview invite", |f, _, _| {
            (Method::GET, format!("/api/invites/{}/", f.invite), None)
        }),
        ("accept invite", |f, _, _| {
            (
                Method::POST,
                format!("/api/invites/{}/accept/", f.invite),
                Some(json!({})),
            )
        }),
        ("revoke invite", |f, _, _| {
            (Method::DELETE, format!("/api/invites/{}/", f.invite), None)
        }),
        ("kick", |f, p, _| {
            (
                Method::POST,
                format!("/api/servers/{}/kick/", f.server),
                Some(json!({"account": p.target.id})),
            )
        }),
        ("ban", |f, p, _| {
            (
                Method::POST,
                format!("/api/servers/{}/ban/", f.server),
                Some(json!({"account": p.target.id})),
            )
        }),
        ("unban", |f, p, _| {
            (
                Method::POST,
                format!("/api/servers/{}/unban/", f.server),
                Some(json!({"account": p.banned.id})),
            )
        }),
        ("list bans", |f, _, _| {
            (
                Method::GET,
                format!("/api/servers/{}/bans/", f.server),
                None,
            )
        }),
        ("reply", |f, _, _| {
            (
                Method::POST,
                "/api/messages/".into(),
                Some(json!({"channel_id": f.made, "content": "re", "reply_to": f.message})),
            )
        }),
        ("react", |f, _, _| {
            let path = format!("/api/messages/{}/reactions/%F0%9F%8E%89/", f.message);
            (Method::PUT, path, None)
        }),
        ("unreact", |f, _, _| {
            let path = format!("/api/messages/{}/reactions/%F0%9F%8E%89/", f.message);
            (Method::DELETE, path, None)
        }),
        ("pin", |f, _, _| {
            let path = format!("/api/messages/{}/pin/", f.message);
            (Method::PUT, path, None)
        }),
        ("unpin", |f, _, _| {
            let path = format!("/api/messages/{}/pin/", f.message);
            (Method::DELETE, path, None)
        }),
        ("list pins", |f, _, _| {
            let path = format!("/api/messages/?channel_id={}&pinned=true", f.made);
            (Method::GET, path, None)
        }),
        ("create category", |_, _, _| {
            (
                Method::POST,
                "/api/categories/".into(),
                Some(json!({"name": "brand new"})),
            )
        }),
        ("update category", |_, _, category| {
            (
                Method::PATCH,
                format!("/api/categories/{category}/"),
                Some(json!({"description": "changed"})),
            )
        }),
        ("delete category", |_, _, category| {
            (Method::DELETE, format!("/api/categories/{category}/"), None)
        }),
    ]
}

/// Expected statuses, in [`ROLES`] order: anonymous, outsider, member, channel owner,
/// server owner, banned, staff. `(public, private)`.
fn expected(action: &str) -> ([u16; 7], [u16; 7]) {
    const OWNER_ONLY_200: [u16; 7] = [401, 403, 403, 403, 200, 403, 403];
    let same = |row: [u16; 7]| (row, row);
    match action {
        "view server" | "view channel" => ([200; 7], [401, 403, 200, 200, 200, 403, 403]),
        "update server" | "transfer ownership" | "list invites" | "kick" | "ban" | "unban"
        | "list bans" => same(OWNER_ONLY_200),
        "delete server" | "revoke invite" => same([401, 403, 403, 403, 204, 403, 403]),
        "join (add_member)" => (
            [401, 200, 200, 200, 200, 403, 200],
            [401, 403, 200, 200, 200, 403, 403],
        ),
        "leave (remove_member)" => same([401, 200, 200, 200, 400, 200, 200]),
        "create channel" | "create invite" => same([401, 403, 403, 403, 201, 403, 403]),
        "update channel" => same([401, 403, 403, 200, 200, 403, 403]),
        "delete channel" => same([401, 403, 403, 204, 204, 403, 403]),
        "preview invite" => same([200; 7]),
        "reply" => same([401, 403, 201, 201, 201, 403, 403]),
        "react" | "unreact" => same([401, 403, 204, 204, 204, 403, 403]),
        "pin" | "unpin" => same([401, 403, 403, 403, 204, 403, 403]),
        "list pins" => same([401, 403, 200, 200, 200, 403, 403]),
        "accept invite" => same([401, 200, 200, 200, 200, 403, 200]),
        "create category" => same([401, 403, 403, 403, 403, 403, 201]),
        "update category" => same([401, 403, 403, 403, 403, 403, 200]),
        "delete category" => same([401, 403, 403, 403, 403, 403, 204]),
        other => panic!("no expectation for {other}"),
    }
}

#[tokio::test]
async fn every_role_gets_exactly_the_expected_status_for_every_action() {
    let app = spawn_app().await;
    let people = People {
        outsider: app.quick_user("outsider", false).await,
        member: app.quick_user("member", false).await,
        maker: app.quick_user("maker", false).await,
        owner: app.quick_user("owner", false).await,
        banned: app.quick_user("banned", false).await,
        staff: app.quick_user("staff", true).await,
        target: app.quick_user("target", false).await,
    };
    let mut wrong = Vec::new();
    for (name, request) in actions() {
        let (public, private) = expected(name);
        for (private_server, row) in [(false, public), (true, private)] {
            for (role, want) in ROLES.into_iter().zip(row) {
                let fixture = fixture(&app, &people, private_server).await;
                let category = scratch_category(&app).await;
                let (method, path, body) = request(&fixture, &people, category);
                let response = call(&app, method.clone(), &path, people.of(role), body).await;
                let server = if private_server { "private" } else { "public" };
                let cell = format!("{name} on a {server} server as {role:?}: {method} {path}");
                let got = response.status().as_u16();
                if got != want {
                    wrong.push(format!("{cell} gave {got}, expected {want}"));
                } else if let Some(problem) = refusal_shape(response).await {
                    wrong.push(format!("{cell}: {problem}"));
                }
                // Undo the categories of this cell, so the next one starts alike.
                for made in ["brand new", "scratch"] {
                    if let Some(made) = app.store.category_by_name(made).await.unwrap() {
                        app.store.delete_category(made.id).await.unwrap();
                    }
                }
            }
        }
    }
    wrong.extend(listing_problems(&app, &people).await);
    assert!(
        wrong.is_empty(),
        "{} cells differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// A category no server uses, for the category actions to act on.
async fn scratch_category(app: &TestApp) -> i64 {
    let name = pingme_domain::community::CategoryName::parse("scratch").unwrap();
    let new = pingme_domain::community::NewCategory {
        name,
        description: None,
    };
    app.store.create_category(&new).await.unwrap().id.0
}

/// 401s and 403s answer `{"detail": ...}`, and 401s name the scheme to use.
async fn refusal_shape(response: reqwest::Response) -> Option<String> {
    let status = response.status();
    if status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN {
        return None;
    }
    let challenge = response.headers().get("www-authenticate").cloned();
    if status == StatusCode::UNAUTHORIZED && challenge.is_none() {
        return Some("401 without WWW-Authenticate".into());
    }
    let body: Value = response.json().await.ok()?;
    (!body["detail"].is_string()).then(|| format!("{status} body without a detail: {body}"))
}

/// Listings are 200 for everyone; a private server and its channels appear only to members.
async fn listing_problems(app: &TestApp, people: &People) -> Vec<String> {
    let private = fixture(app, people, true).await;
    let mut problems = Vec::new();
    for role in ROLES {
        let sees = matches!(role, Role::Member | Role::ChannelOwner | Role::Owner);
        // Servers come 100 a page and the matrix has made more: the page from just before it.
        let servers = format!("/api/servers/?after={}", private.server - 1);
        for (path, id) in [
            (servers.as_str(), private.server),
            ("/api/channels/", private.made),
        ] {
            let response = call(app, Method::GET, path, people.of(role), None).await;
            let listed: Value = response.json().await.unwrap_or_default();
            let found = listed
                .as_array()
                .is_some_and(|l| l.iter().any(|item| item["id"] == id));
            if found != sees {
                problems.push(format!(
                    "{path} as {role:?} lists the private server's item: {found}, expected {sees}"
                ));
            }
        }
    }
    problems
}
