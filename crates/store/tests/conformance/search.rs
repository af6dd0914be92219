//! Finding servers and accounts by a piece of their names (in any case, wildcards typed
//! as plain characters, non-ASCII folded the same on both databases), a server's members
//! by page, and whether two people share a server.

use crate::communities::{account, category};
use pingme_domain::account::{AccountPage, AccountQuery, DisplayName, ProfileChanges};
use pingme_domain::community::{NewServer, ServerChanges, ServerName, ServerQuery};
use pingme_domain::search::SearchText;
use pingme_domain::store::Store;
use pingme_domain::{AccountId, CategoryId, ServerId};
use std::sync::Arc;

async fn named_server(
    store: &Arc<dyn Store>,
    owner: AccountId,
    category: CategoryId,
    name: &str,
) -> ServerId {
    let new = NewServer {
        name: ServerName::parse(name).unwrap(),
        description: None,
        owner,
        category,
        is_private: false,
    };
    store.create_server(&new).await.unwrap().id
}

fn text(raw: &str) -> Option<SearchText> {
    SearchText::parse(raw).unwrap()
}

async fn servers_named(store: &Arc<dyn Store>, search: &str) -> Vec<ServerId> {
    let query = ServerQuery {
        name: text(search),
        ..ServerQuery::default()
    };
    let found = store.servers(&query).await.unwrap();
    found.iter().map(|s| s.id).collect()
}

async fn servers_are_found_by_a_piece_of_their_name(store: Arc<dyn Store>) {
    let ann = account(&store, "ann").await;
    let (games, music) = (
        category(&store, "games").await,
        category(&store, "music").await,
    );
    let unicode = named_server(&store, ann, games, "Ünïcode Fans").await;
    let percent = named_server(&store, ann, games, "100% Rust").await;
    let underscore = named_server(&store, ann, music, "rust_lang").await;
    let plain = named_server(&store, ann, music, "Rustaceans").await;

    assert_eq!(servers_named(&store, "ÜNÏ").await, [unicode]);
    assert_eq!(servers_named(&store, "üNï").await, [unicode]);
    assert_eq!(
        servers_named(&store, "RUST").await,
        [percent, underscore, plain]
    );
    // `%` and `_` are looked for as themselves, never as wildcards.
    assert_eq!(servers_named(&store, "%").await, [percent]);
    assert_eq!(servers_named(&store, "t_l").await, [underscore]);
    assert_eq!(servers_named(&store, "0%").await, [percent]);
    assert!(servers_named(&store, "\\").await.is_empty());

    let in_music = ServerQuery {
        name: text("rust"),
        category: Some("music".into()),
        limit: Some(1),
        ..ServerQuery::default()
    };
    let found = store.servers(&in_music).await.unwrap();
    assert_eq!(found.iter().map(|s| s.id).collect::<Vec<_>>(), [underscore]);

    let renamed = ServerChanges {
        name: Some(ServerName::parse("Ölkännchen").unwrap()),
        ..ServerChanges::default()
    };
    store.update_server(plain, &renamed).await.unwrap();
    assert_eq!(servers_named(&store, "ÖLK").await, [plain]);
    assert_eq!(servers_named(&store, "rust").await, [percent, underscore]);
}

fn all(search: Option<SearchText>, after: Option<AccountId>, limit: u32) -> AccountQuery {
    AccountQuery {
        search,
        page: AccountPage { after, limit },
    }
}

async fn logins(store: &Arc<dyn Store>, query: AccountQuery) -> Vec<String> {
    let found = store.search_accounts(&query).await.unwrap();
    found.into_iter().map(|a| a.login).collect()
}

async fn accounts_are_found_by_login_display_name_or_email(store: Arc<dyn Store>) {
    let zoe = account(&store, "zoe").await;
    account(&store, "max_power").await;
    account(&store, "maxpower").await;
    let shown = ProfileChanges {
        display_name: Some(DisplayName::parse("Élodie 100%").unwrap()),
        ..ProfileChanges::default()
    };
    store.update_profile(zoe, &shown).await.unwrap();
    store.set_active(zoe, false).await.unwrap();

    // Every account, inactive ones too, by id and by page.
    assert_eq!(
        logins(&store, all(None, None, 10)).await,
        ["zoe", "max_power", "maxpower"]
    );
    assert_eq!(logins(&store, all(None, Some(zoe), 1)).await, ["max_power"]);
    // Display name, in any case, non-ASCII included; wildcards as themselves.
    assert_eq!(logins(&store, all(text("éLODIE"), None, 10)).await, ["zoe"]);
    assert_eq!(logins(&store, all(text("0%"), None, 10)).await, ["zoe"]);
    assert_eq!(
        logins(&store, all(text("X_P"), None, 10)).await,
        ["max_power"]
    );
    // Login name and e-mail address.
    assert_eq!(
        logins(&store, all(text("MAXP"), None, 10)).await,
        ["maxpower"]
    );
    assert_eq!(
        logins(&store, all(text("@EXAMPLE.com"), None, 10))
            .await
            .len(),
        3
    );
}

async fn members(
    store: &Arc<dyn Store>,
    server: ServerId,
    after: Option<AccountId>,
    limit: u32,
) -> Vec<AccountId> {
    let page = AccountPage { after, limit };
    let found = store.members(server, page).await.unwrap();
    found.into_iter().map(|a| a.id).collect()
}

async fn members_are_paged_by_id_without_shut_out_accounts(store: Arc<dyn Store>) {
    let owner = account(&store, "owner").await;
    let games = category(&store, "games").await;
    let server = named_server(&store, owner, games, "Hall").await;
    let other = named_server(&store, owner, games, "Other").await;
    let (ann, ben, cat) = (
        account(&store, "ann").await,
        account(&store, "ben").await,
        account(&store, "cat").await,
    );
    let outsider = account(&store, "outsider").await;
    for member in [cat, ann, ben] {
        store.join(server, member).await.unwrap();
    }
    store.join(other, outsider).await.unwrap();
    store.set_active(ben, false).await.unwrap();

    assert_eq!(members(&store, server, None, 10).await, [owner, ann, cat]);
    assert_eq!(members(&store, server, Some(owner), 1).await, [ann]);
    assert_eq!(members(&store, server, Some(cat), 10).await, []);
    assert_eq!(members(&store, ServerId(999_999), None, 10).await, []);

    assert!(store.share_a_server(ann, cat).await.unwrap());
    assert!(store.share_a_server(outsider, owner).await.unwrap());
    assert!(!store.share_a_server(ann, outsider).await.unwrap());

    assert_eq!(store.memberships(owner).await.unwrap(), [server, other]);
    assert_eq!(store.memberships(outsider).await.unwrap(), [other]);
    // Hall has four members (ben, shut out, counts), Other two.
    assert_eq!(
        store.small_servers_of(owner, 4).await.unwrap(),
        [server, other]
    );
    assert_eq!(store.small_servers_of(owner, 3).await.unwrap(), [other]);
    assert_eq!(store.small_servers_of(owner, 1).await.unwrap(), []);
    assert_eq!(store.small_servers_of(ann, 3).await.unwrap(), []);
    assert_eq!(store.small_servers_of(outsider, 2).await.unwrap(), [other]);
}

/// Clears every search key, as rows written before migration 0005 have none.
async fn forget_search_keys(url: &str) {
    const FORGET: [&str; 2] = [
        "UPDATE servers SET name_key = NULL",
        "UPDATE accounts SET display_key = NULL",
    ];
    for statement in FORGET {
        if url.starts_with("sqlite:") {
            let pool = sqlx::SqlitePool::connect(url).await.unwrap();
            sqlx::query(statement).execute(&pool).await.unwrap();
        } else {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            sqlx::query(statement).execute(&pool).await.unwrap();
        }
    }
}

async fn older_names_get_their_search_keys_at_start_up(url: String) {
    let store = pingme_store::open(&url).await.unwrap();
    let ann = account(&store, "ann").await;
    let games = category(&store, "games").await;
    let server = named_server(&store, ann, games, "Ünïcode Fans").await;
    let shown = ProfileChanges {
        display_name: Some(DisplayName::parse("Élodie").unwrap()),
        ..ProfileChanges::default()
    };
    store.update_profile(ann, &shown).await.unwrap();
    drop(store);
    forget_search_keys(&url).await;

    let store = pingme_store::open(&url).await.unwrap();
    assert_eq!(servers_named(&store, "ünï").await, [server]);
    assert_eq!(logins(&store, all(text("ÉLO"), None, 10)).await, ["ann"]);
}

#[tokio::test]
async fn older_names_get_their_search_keys_at_start_up_on_sqlite() {
    crate::on_empty_sqlite(older_names_get_their_search_keys_at_start_up).await;
}

#[tokio::test]
#[ignore = "needs Postgres: PINGME_TEST_POSTGRES_URL (.ci/run sets it)"]
async fn older_names_get_their_search_keys_at_start_up_on_postgres() {
    crate::on_empty_postgres(older_names_get_their_search_keys_at_start_up).await;
}

mod run {
    crate::conformance!(
        servers_are_found_by_a_piece_of_their_name,
        accounts_are_found_by_login_display_name_or_email,
        members_are_paged_by_id_without_shut_out_accounts,
    );
}
