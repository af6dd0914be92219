//! Categories, servers, memberships, bans, channels and invites.

use pingme_domain::account::{Email, NewAccount, Username};
use pingme_domain::community::{
    Accepted, Banned, CategoryChanges, CategoryName, ChannelChanges, ChannelName, Description,
    Joined, Left, NewCategory, NewChannel, NewInvite, NewServer, ServerChanges, ServerName,
    ServerQuery, Standing,
};
use pingme_domain::messages::{MessageBody, NewMessage};
use pingme_domain::store::{CategoryDeletion, Store, StoreError, Unique};
use pingme_domain::{AccountId, CategoryId, ServerId, Timestamp};
use std::sync::Arc;

pub(crate) async fn account(store: &Arc<dyn Store>, login: &str) -> AccountId {
    let new = NewAccount {
        login: Username::parse(login).unwrap(),
        email: Email::parse(&format!("{login}@example.com")).unwrap(),
        password_hash: "$argon2id$x".into(),
        is_staff: false,
        verified: true,
    };
    store.create_account(&new).await.unwrap().id
}

pub(crate) async fn category(store: &Arc<dyn Store>, name: &str) -> CategoryId {
    let new = NewCategory {
        name: CategoryName::parse(name).unwrap(),
        description: None,
    };
    store.create_category(&new).await.unwrap().id
}

pub(crate) async fn server(
    store: &Arc<dyn Store>,
    owner: AccountId,
    category: CategoryId,
    private: bool,
) -> ServerId {
    let new = NewServer {
        name: ServerName::parse("Rustaceans").unwrap(),
        description: Some(Description::parse("all about Rust").unwrap()),
        owner,
        category,
        is_private: private,
    };
    store.create_server(&new).await.unwrap().id
}

fn ids(servers: &[pingme_domain::community::Server]) -> Vec<ServerId> {
    servers.iter().map(|s| s.id).collect()
}

async fn categories_are_unique_ordered_and_kept_while_used(store: Arc<dyn Store>) {
    let music = category(&store, "music").await;
    let art = category(&store, "art").await;
    let again = store
        .create_category(&NewCategory {
            name: CategoryName::parse("Music").unwrap(),
            description: None,
        })
        .await;
    assert!(
        matches!(again, Err(StoreError::Conflict(Unique::CategoryName))),
        "{again:?}"
    );
    let names: Vec<String> = store
        .categories()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names, ["art", "music"]);
    assert_eq!(
        store.category_by_name("music").await.unwrap().unwrap().id,
        music
    );

    let changes = CategoryChanges {
        description: Some(Some(Description::parse("painting").unwrap())),
        icon: Some(Some("categories/1/x.png".into())),
        ..CategoryChanges::default()
    };
    let changed = store.update_category(art, &changes).await.unwrap().unwrap();
    assert_eq!(
        (changed.name.as_str(), changed.description.as_deref()),
        ("art", Some("painting"))
    );
    assert_eq!(changed.icon.as_deref(), Some("categories/1/x.png"));

    let owner = account(&store, "olive").await;
    server(&store, owner, music, false).await;
    assert_eq!(
        store.delete_category(music).await.unwrap(),
        CategoryDeletion::InUse(1)
    );
    assert_eq!(
        store.delete_category(art).await.unwrap(),
        CategoryDeletion::Deleted
    );
    assert_eq!(
        store.delete_category(art).await.unwrap(),
        CategoryDeletion::NotFound
    );
}

async fn default_categories_are_created_once(store: Arc<dyn Store>) {
    let names: Vec<CategoryName> = ["general", "gaming"]
        .iter()
        .map(|n| CategoryName::parse(n).unwrap())
        .collect();
    assert!(store.seed_categories(&names).await.unwrap());
    assert_eq!(store.categories().await.unwrap().len(), 2);
    let gaming = store.category_by_name("gaming").await.unwrap().unwrap();
    store.delete_category(gaming.id).await.unwrap();
    assert!(!store.seed_categories(&names).await.unwrap(), "never twice");
    assert_eq!(store.categories().await.unwrap().len(), 1);
}

async fn a_new_server_has_its_owner_and_a_general_channel(store: Arc<dyn Store>) {
    let owner = account(&store, "ada").await;
    let games = category(&store, "gaming").await;
    let id = server(&store, owner, games, false).await;
    let created = store.server(id).await.unwrap().unwrap();
    assert_eq!(created.owner, owner);
    assert_eq!(created.owner_login, "ada");
    assert_eq!(
        (created.category, created.category_name.as_str()),
        (games, "gaming")
    );
    assert_eq!(created.members, [owner]);
    assert_eq!(created.channels.len(), 1);
    assert_eq!(created.channels[0].name, "general");
    assert_eq!(
        created.channels[0].description.as_deref(),
        Some("General text chat")
    );
    assert_eq!(created.channels[0].owner, owner);
    assert_eq!(store.standing(id, owner).await.unwrap(), Standing::Member);
}

async fn a_server_in_a_missing_category_is_refused(store: Arc<dyn Store>) {
    let owner = account(&store, "bo").await;
    let new = NewServer {
        name: ServerName::parse("x").unwrap(),
        description: None,
        owner,
        category: CategoryId(4_242),
        is_private: false,
    };
    assert!(matches!(
        store.create_server(&new).await,
        Err(StoreError::MissingReference)
    ));
    assert!(
        store
            .servers(&ServerQuery::default())
            .await
            .unwrap()
            .is_empty(),
        "nothing half-written"
    );
}

async fn listings_filter_and_hide_private_servers(store: Arc<dyn Store>) {
    let (ann, ben, cat) = (
        account(&store, "ann").await,
        account(&store, "ben").await,
        account(&store, "cat").await,
    );
    let games = category(&store, "gaming").await;
    let music = category(&store, "music").await;
    let public_game = server(&store, ann, games, false).await;
    let private_game = server(&store, ann, games, true).await;
    let public_music = server(&store, ben, music, false).await;
    store.join(public_music, ann).await.unwrap();
    store.join(public_game, cat).await.unwrap();

    let list = |query: ServerQuery| {
        let store = store.clone();
        async move { ids(&store.servers(&query).await.unwrap()) }
    };
    assert_eq!(
        list(ServerQuery::default()).await,
        [public_game, public_music],
        "anonymous"
    );
    assert_eq!(
        list(ServerQuery {
            viewer: Some(ann),
            ..Default::default()
        })
        .await,
        [public_game, private_game, public_music]
    );
    assert_eq!(
        list(ServerQuery {
            viewer: Some(ben),
            ..Default::default()
        })
        .await,
        [public_game, public_music]
    );
    assert_eq!(
        list(ServerQuery {
            category: Some("gaming".into()),
            viewer: Some(ann),
            ..Default::default()
        })
        .await,
        [public_game, private_game]
    );
    assert_eq!(
        list(ServerQuery {
            member: Some(ann),
            viewer: Some(ann),
            ..Default::default()
        })
        .await,
        [public_game, private_game, public_music]
    );
    assert_eq!(
        list(ServerQuery {
            member: Some(ben),
            viewer: Some(ben),
            ..Default::default()
        })
        .await,
        [public_music]
    );
    assert_eq!(
        list(ServerQuery {
            member: Some(ann),
            shared_with: Some(cat),
            viewer: Some(ann),
            ..Default::default()
        })
        .await,
        [public_game],
        "mutual servers"
    );
    assert_eq!(
        list(ServerQuery {
            id: Some(private_game),
            viewer: Some(ben),
            ..Default::default()
        })
        .await,
        []
    );
    assert_eq!(
        list(ServerQuery {
            limit: Some(1),
            ..Default::default()
        })
        .await,
        [public_game]
    );
    assert_eq!(
        list(ServerQuery {
            limit: Some(0),
            ..Default::default()
        })
        .await,
        []
    );
    // Pages by id: `after` the last of one page, the next.
    let page = |after: Option<ServerId>| ServerQuery {
        viewer: Some(ann),
        after,
        limit: Some(2),
        ..Default::default()
    };
    assert_eq!(list(page(None)).await, [public_game, private_game]);
    assert_eq!(list(page(Some(private_game))).await, [public_music]);
    assert_eq!(list(page(Some(public_music))).await, []);
    assert_eq!(
        list(ServerQuery {
            viewer: Some(ann),
            member: Some(ann),
            after: Some(public_game),
            ..Default::default()
        })
        .await,
        [private_game, public_music],
        "her own servers, from a cursor"
    );

    let all = store
        .servers(&ServerQuery {
            viewer: Some(ann),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(all[0].members, [ann, cat]);
    assert_eq!(all[2].members, [ann, ben]);
    assert!(all.iter().all(|s| s.channels.len() == 1));
}

async fn joining_leaving_and_bans(store: Arc<dyn Store>) {
    let (owner, guest) = (account(&store, "owen").await, account(&store, "gail").await);
    let id = server(&store, owner, category(&store, "general").await, false).await;
    assert_eq!(store.join(id, guest).await.unwrap(), Joined::Joined);
    assert_eq!(store.join(id, guest).await.unwrap(), Joined::AlreadyMember);
    assert_eq!(
        store.join(ServerId(9_999), guest).await.unwrap(),
        Joined::NoSuchServer
    );
    assert_eq!(store.leave(id, guest).await.unwrap(), Left::Left);
    assert_eq!(store.leave(id, guest).await.unwrap(), Left::NotMember);
    assert_eq!(
        store.leave(id, owner).await.unwrap(),
        Left::Owner,
        "the owner stays"
    );
    assert_eq!(store.ban(id, owner).await.unwrap(), Banned::Owner);
    assert!(store.server(id).await.unwrap().unwrap().has_member(owner));

    store.join(id, guest).await.unwrap();
    assert_eq!(
        store.ban(id, guest).await.unwrap(),
        Banned::Banned { was_member: true }
    );
    assert_eq!(
        store.ban(id, guest).await.unwrap(),
        Banned::Banned { was_member: false }
    );
    assert_eq!(store.standing(id, guest).await.unwrap(), Standing::Banned);
    assert!(
        !store.server(id).await.unwrap().unwrap().has_member(guest),
        "a ban removes the member"
    );
    assert_eq!(store.join(id, guest).await.unwrap(), Joined::Banned);
    let bans = store.bans(id).await.unwrap();
    assert_eq!(
        (bans.len(), bans[0].account, bans[0].login.as_str()),
        (1, guest, "gail")
    );
    assert!(store.unban(id, guest).await.unwrap());
    assert!(!store.unban(id, guest).await.unwrap());
    assert_eq!(store.standing(id, guest).await.unwrap(), Standing::Outsider);
    assert_eq!(store.join(id, guest).await.unwrap(), Joined::Joined);

    let closed = server(&store, owner, category(&store, "closed").await, true).await;
    let outsider = account(&store, "door").await;
    assert_eq!(
        store.join(closed, outsider).await.unwrap(),
        Joined::Private,
        "invites only"
    );
    assert_eq!(
        store.join(closed, owner).await.unwrap(),
        Joined::AlreadyMember
    );
}

async fn ownership_passes_only_to_a_member(store: Arc<dyn Store>) {
    let (owner, member, stranger) = (
        account(&store, "o1").await,
        account(&store, "m1").await,
        account(&store, "s1").await,
    );
    let id = server(&store, owner, category(&store, "general").await, false).await;
    store.join(id, member).await.unwrap();
    assert!(!store.transfer_ownership(id, stranger).await.unwrap());
    assert!(store.transfer_ownership(id, member).await.unwrap());
    let server = store.server(id).await.unwrap().unwrap();
    assert_eq!((server.owner, server.owner_login.as_str()), (member, "m1"));
}

async fn servers_update_partially_and_delete_with_everything_in_them(store: Arc<dyn Store>) {
    let owner = account(&store, "uma").await;
    let general = category(&store, "general").await;
    let music = category(&store, "music").await;
    let id = server(&store, owner, general, false).await;
    let changes = ServerChanges {
        name: Some(ServerName::parse("Renamed").unwrap()),
        category: Some(music),
        is_private: Some(true),
        icon: Some(Some("servers/1/icon.png".into())),
        description: Some(None),
        ..ServerChanges::default()
    };
    let updated = store.update_server(id, &changes).await.unwrap().unwrap();
    assert_eq!(
        (
            updated.name.as_str(),
            updated.category_name.as_str(),
            updated.is_private
        ),
        ("Renamed", "music", true)
    );
    assert_eq!(
        (
            updated.icon.as_deref(),
            updated.banner.as_deref(),
            updated.description.as_deref()
        ),
        (Some("servers/1/icon.png"), None, None)
    );
    assert!(
        store
            .update_server(ServerId(9_999), &changes)
            .await
            .unwrap()
            .is_none()
    );

    let channel = updated.channels[0].id;
    let invite = NewInvite {
        code: "deleteme".into(),
        server: id,
        created_by: owner,
        max_uses: None,
        expires_at: None,
    };
    store.create_invite(&invite).await.unwrap();
    assert!(store.delete_server(id).await.unwrap());
    assert!(store.server(id).await.unwrap().is_none());
    assert!(store.channel(channel).await.unwrap().is_none());
    assert!(store.invite("deleteme").await.unwrap().is_none());
    assert_eq!(store.standing(id, owner).await.unwrap(), Standing::Outsider);
    assert!(!store.delete_server(id).await.unwrap());
}

async fn channels_are_listed_where_visible(store: Arc<dyn Store>) {
    let (owner, other) = (account(&store, "cy").await, account(&store, "di").await);
    let general = category(&store, "general").await;
    let public = server(&store, owner, general, false).await;
    let private = server(&store, owner, general, true).await;
    let new = NewChannel {
        server: public,
        owner,
        name: ChannelName::parse("Random").unwrap(),
        description: None,
    };
    let random = store.create_channel(&new).await.unwrap();
    assert_eq!(random.name, "random");
    let visible = |viewer, server| {
        let store = store.clone();
        async move {
            store
                .channels(viewer, server)
                .await
                .unwrap()
                .into_iter()
                .map(|c| c.server)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(visible(None, None).await, [public, public]);
    assert_eq!(visible(Some(other), None).await, [public, public]);
    assert_eq!(visible(Some(owner), None).await, [public, private, public]);
    assert_eq!(visible(Some(owner), Some(private)).await, [private]);

    let changes = ChannelChanges {
        name: Some(ChannelName::parse("Chat").unwrap()),
        description: Some(Some(Description::parse("talk").unwrap())),
    };
    let changed = store
        .update_channel(random.id, &changes)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            changed.name.as_str(),
            changed.description.as_deref(),
            changed.server
        ),
        ("chat", Some("talk"), public)
    );
    assert!(store.delete_channel(random.id).await.unwrap());
    assert!(store.channel(random.id).await.unwrap().is_none());
}

async fn invites_count_uses_and_expire(store: Arc<dyn Store>) {
    let (owner, a, b, c) = (
        account(&store, "iv").await,
        account(&store, "ia").await,
        account(&store, "ib").await,
        account(&store, "ic").await,
    );
    let id = server(&store, owner, category(&store, "general").await, true).await;
    let new = NewInvite {
        code: "twice".into(),
        server: id,
        created_by: owner,
        max_uses: Some(2),
        expires_at: None,
    };
    let invite = store.create_invite(&new).await.unwrap();
    assert_eq!((invite.uses, invite.max_uses), (0, Some(2)));
    assert!(matches!(
        store.create_invite(&new).await,
        Err(StoreError::Conflict(Unique::InviteCode))
    ));

    assert_eq!(
        store.accept_invite("twice", a).await.unwrap(),
        Accepted::Joined(id)
    );
    assert_eq!(
        store.accept_invite("twice", a).await.unwrap(),
        Accepted::AlreadyMember(id),
        "no second use"
    );
    store.ban(id, c).await.unwrap();
    assert_eq!(
        store.accept_invite("twice", c).await.unwrap(),
        Accepted::Banned
    );
    assert_eq!(
        store.accept_invite("twice", b).await.unwrap(),
        Accepted::Joined(id)
    );
    assert_eq!(store.invite("twice").await.unwrap().unwrap().uses, 2);
    let late = account(&store, "id").await;
    assert_eq!(
        store.accept_invite("twice", late).await.unwrap(),
        Accepted::Unusable,
        "used up"
    );
    assert_eq!(
        store.accept_invite("nope", late).await.unwrap(),
        Accepted::Unusable
    );

    let past = Timestamp::from_unix_micros(Timestamp::now().unix_micros() - 1).unwrap();
    let expired = NewInvite {
        code: "expired".into(),
        server: id,
        created_by: owner,
        max_uses: None,
        expires_at: Some(past),
    };
    store.create_invite(&expired).await.unwrap();
    assert_eq!(
        store.accept_invite("expired", late).await.unwrap(),
        Accepted::Unusable
    );
    assert_eq!(store.invites(id).await.unwrap().len(), 2);
    assert_eq!(
        store.accept_invite("expired", c).await.unwrap(),
        Accepted::Unusable,
        "an unusable invite answers alike, banned or not"
    );
    assert!(store.revoke_invite("expired").await.unwrap());
    assert!(store.invite("expired").await.unwrap().is_none());
    assert!(!store.revoke_invite("expired").await.unwrap());
}

async fn racing_for_an_invites_last_use_lets_one_in(store: Arc<dyn Store>) {
    let owner = account(&store, "race").await;
    let id = server(&store, owner, category(&store, "general").await, true).await;
    let new = NewInvite {
        code: "once".into(),
        server: id,
        created_by: owner,
        max_uses: Some(1),
        expires_at: None,
    };
    store.create_invite(&new).await.unwrap();
    let mut racers = Vec::new();
    for n in 0..6 {
        racers.push(account(&store, &format!("racer{n}")).await);
    }
    let attempts = racers.into_iter().map(|racer| {
        let store = store.clone();
        tokio::spawn(async move { store.accept_invite("once", racer).await.unwrap() })
    });
    let mut joined = 0;
    for attempt in attempts {
        if matches!(attempt.await.unwrap(), Accepted::Joined(_)) {
            joined += 1;
        }
    }
    assert_eq!(joined, 1);
    assert_eq!(store.server(id).await.unwrap().unwrap().members.len(), 2);
}

async fn deleting_an_owner_hands_servers_on_or_deletes_them(store: Arc<dyn Store>) {
    // `second` is created first (smaller id) but joins later: joining order decides.
    let (leaver, second, first) = (
        account(&store, "lee").await,
        account(&store, "sam").await,
        account(&store, "fay").await,
    );
    let general = category(&store, "general").await;
    let shared = server(&store, leaver, general, false).await;
    let lonely = server(&store, leaver, general, false).await;
    store.join(shared, first).await.unwrap();
    store.join(shared, second).await.unwrap();
    let made = NewChannel {
        server: shared,
        owner: leaver,
        name: ChannelName::parse("mine").unwrap(),
        description: None,
    };
    let channel = store.create_channel(&made).await.unwrap();

    let deleted = store.delete_account(leaver).await.unwrap().unwrap();
    assert_eq!(deleted, [lonely]);
    assert!(store.server(lonely).await.unwrap().is_none());
    let inherited = store.server(shared).await.unwrap().unwrap();
    assert_eq!(inherited.owner, first, "the earliest member inherits");
    assert_eq!(
        inherited.members,
        [second, first],
        "members are listed by id"
    );
    assert_eq!(
        store.channel(channel.id).await.unwrap().unwrap().owner,
        first
    );
    assert_eq!(store.delete_account(leaver).await.unwrap(), None);
}

/// The directory's version moves with every change a listing of servers shows, in the
/// write's own transaction, and not with a channel's messages: what lets a node keep a
/// rendered listing.
async fn the_directory_version_moves_with_every_change_a_listing_shows(store: Arc<dyn Store>) {
    let (ann, bob) = (account(&store, "ann").await, account(&store, "bob").await);
    let general = category(&store, "general").await;
    let mut last = store.directory_version().await.unwrap().directory;
    let mut moved = |now: i64, what: &str| {
        assert!(now > last, "{what}: {now} after {last}");
        last = now;
    };
    let music = category(&store, "music").await;
    moved(
        store.directory_version().await.unwrap().directory,
        "a category",
    );
    let changes = CategoryChanges {
        description: Some(Some(Description::parse("tunes").unwrap())),
        ..CategoryChanges::default()
    };
    store
        .update_category(music, &changes)
        .await
        .unwrap()
        .unwrap();
    moved(
        store.directory_version().await.unwrap().directory,
        "a category changed",
    );
    let id = server(&store, ann, general, false).await;
    moved(
        store.directory_version().await.unwrap().directory,
        "a server",
    );
    store.join(id, bob).await.unwrap();
    moved(store.directory_version().await.unwrap().directory, "a join");
    let channel = store.server(id).await.unwrap().unwrap().channels[0].id;
    let before = store.directory_version().await.unwrap().directory;
    let message = NewMessage {
        channel,
        author: bob,
        body: MessageBody::parse("hello", 100).unwrap(),
    };
    store.create_message(&message).await.unwrap();
    assert_eq!(
        store.directory_version().await.unwrap().directory,
        before,
        "a message is not the directory's"
    );
    let rename = ChannelChanges {
        name: Some(ChannelName::parse("lobby").unwrap()),
        description: None,
    };
    store
        .update_channel(channel, &rename)
        .await
        .unwrap()
        .unwrap();
    moved(
        store.directory_version().await.unwrap().directory,
        "a channel renamed",
    );
    let second = NewChannel {
        server: id,
        owner: ann,
        name: ChannelName::parse("second").unwrap(),
        description: None,
    };
    let second = store.create_channel(&second).await.unwrap().id;
    moved(
        store.directory_version().await.unwrap().directory,
        "a channel",
    );
    store.delete_channel(second).await.unwrap();
    moved(
        store.directory_version().await.unwrap().directory,
        "a channel deleted",
    );
    let private = ServerChanges {
        is_private: Some(true),
        ..ServerChanges::default()
    };
    store.update_server(id, &private).await.unwrap().unwrap();
    moved(
        store.directory_version().await.unwrap().directory,
        "a server changed",
    );
    store.leave(id, bob).await.unwrap();
    moved(
        store.directory_version().await.unwrap().directory,
        "a member left",
    );
    store.delete_server(id).await.unwrap();
    moved(
        store.directory_version().await.unwrap().directory,
        "a server deleted",
    );
}

mod run {
    crate::conformance!(
        the_directory_version_moves_with_every_change_a_listing_shows,
        categories_are_unique_ordered_and_kept_while_used,
        default_categories_are_created_once,
        a_new_server_has_its_owner_and_a_general_channel,
        a_server_in_a_missing_category_is_refused,
        listings_filter_and_hide_private_servers,
        joining_leaving_and_bans,
        ownership_passes_only_to_a_member,
        servers_update_partially_and_delete_with_everything_in_them,
        channels_are_listed_where_visible,
        invites_count_uses_and_expire,
        racing_for_an_invites_last_use_lets_one_in,
        deleting_an_owner_hands_servers_on_or_deletes_them,
    );
}
