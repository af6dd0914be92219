//! Accounts: creation, case-insensitive uniqueness, lookups, profile and password changes.

use pingme_domain::account::{
    Bio, DisplayName, Email, Location, NewAccount, ProfileChanges, Username,
};
use pingme_domain::store::{Store, StoreError, Unique};
use std::sync::Arc;

pub(crate) fn new_account(login: &str, email: &str) -> NewAccount {
    NewAccount {
        login: Username::parse(login).unwrap(),
        email: Email::parse(email).unwrap(),
        password_hash: "$argon2id$not-a-real-hash".into(),
        is_staff: false,
        verified: false,
    }
}

async fn created_account_reads_back_with_defaults(store: Arc<dyn Store>) {
    let created = store
        .create_account(&new_account("Alice", "alice@example.com"))
        .await
        .unwrap();
    assert_eq!(created.login, "Alice");
    assert_eq!(created.display_name, "Alice");
    assert_eq!(created.location, None);
    assert_eq!(created.content, "");
    assert!(!created.verified && created.is_active && !created.is_staff);
    assert_eq!(created.token_version, 0);
    assert_eq!(created.created_at, created.updated_at);
    let read = store.account(created.id).await.unwrap().unwrap();
    assert_eq!(read, created);
}

async fn login_and_email_are_unique_ignoring_case(store: Arc<dyn Store>) {
    store
        .create_account(&new_account("alice", "alice@example.com"))
        .await
        .unwrap();
    let same_login = store
        .create_account(&new_account("ALICE", "other@example.com"))
        .await;
    assert!(
        matches!(same_login, Err(StoreError::Conflict(Unique::AccountLogin))),
        "{same_login:?}"
    );
    let same_email = store
        .create_account(&new_account("bob", "Alice@Example.com"))
        .await;
    assert!(
        matches!(same_email, Err(StoreError::Conflict(Unique::AccountEmail))),
        "{same_email:?}"
    );
}

async fn ids_are_never_reused(store: Arc<dyn Store>) {
    let first = store
        .create_account(&new_account("first", "first@example.com"))
        .await
        .unwrap();
    assert_eq!(
        store.delete_account(first.id).await.unwrap(),
        Some(Vec::new())
    );
    let second = store
        .create_account(&new_account("second", "second@example.com"))
        .await
        .unwrap();
    assert!(second.id > first.id);
}

async fn credentials_are_found_by_login_in_any_case(store: Arc<dyn Store>) {
    let created = store
        .create_account(&new_account("Carol", "carol@example.com"))
        .await
        .unwrap();
    let (account, hash) = store.credentials("cAROL").await.unwrap().unwrap();
    assert_eq!(account.id, created.id);
    assert_eq!(hash, "$argon2id$not-a-real-hash");
    assert!(store.credentials("nobody").await.unwrap().is_none());
}

async fn accounts_are_found_by_email_in_any_case(store: Arc<dyn Store>) {
    let created = store
        .create_account(&new_account("dave", "Dave@example.com"))
        .await
        .unwrap();
    let found = store
        .account_by_email(&Email::parse("dave@EXAMPLE.com").unwrap())
        .await
        .unwrap();
    assert_eq!(found.map(|a| a.id), Some(created.id));
    let found = store
        .account_by_email(&Email::parse("DAVE@example.com").unwrap())
        .await
        .unwrap();
    assert_eq!(found.map(|a| a.id), Some(created.id));
    assert!(
        store
            .account_by_email(&Email::parse("eve@example.com").unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

async fn verification_is_recorded_once(store: Arc<dyn Store>) {
    let created = store
        .create_account(&new_account("erin", "erin@example.com"))
        .await
        .unwrap();
    assert!(store.mark_verified(created.id).await.unwrap());
    let verified = store.account(created.id).await.unwrap().unwrap();
    assert!(verified.verified);
    assert!(store.mark_verified(created.id).await.unwrap());
    assert_eq!(
        store.account(created.id).await.unwrap().unwrap().updated_at,
        verified.updated_at
    );
    assert!(
        !store
            .mark_verified(pingme_domain::AccountId(9_999_999))
            .await
            .unwrap()
    );
}

async fn profile_changes_touch_only_given_fields(store: Arc<dyn Store>) {
    let created = store
        .create_account(&new_account("frank", "frank@example.com"))
        .await
        .unwrap();
    let changes = ProfileChanges {
        display_name: Some(DisplayName::parse("Frank Z").unwrap()),
        location: Some(Some(Location::parse("Lyon").unwrap())),
        content: None,
        image: None,
    };
    let changed = store
        .update_profile(created.id, &changes)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (changed.display_name.as_str(), changed.location.as_deref()),
        ("Frank Z", Some("Lyon"))
    );
    assert_eq!(changed.content, "");
    assert_eq!(changed.login, "frank");
    assert!(changed.updated_at >= created.updated_at);

    let avatar = ProfileChanges {
        image: Some(Some("avatars/1/abc.jpg".into())),
        ..Default::default()
    };
    let with_avatar = store
        .update_profile(created.id, &avatar)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(with_avatar.image.as_deref(), Some("avatars/1/abc.jpg"));
    assert_eq!(with_avatar.location.as_deref(), Some("Lyon"), "untouched");

    let clear = ProfileChanges {
        image: Some(None),
        location: Some(None),
        content: Some(Bio::parse("hi").unwrap()),
        ..Default::default()
    };
    let cleared = store
        .update_profile(created.id, &clear)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            cleared.display_name.as_str(),
            cleared.location,
            cleared.content.as_str()
        ),
        ("Frank Z", None, "hi")
    );
    assert_eq!(cleared.image, None);
}

async fn password_changes_raise_the_token_version(store: Arc<dyn Store>) {
    let created = store
        .create_account(&new_account("grace", "grace@example.com"))
        .await
        .unwrap();
    assert!(
        store
            .set_password(created.id, "$argon2id$new", None)
            .await
            .unwrap()
    );
    let after = store.account(created.id).await.unwrap().unwrap();
    assert_eq!(after.token_version, 1);
    assert_eq!(
        store.credentials("grace").await.unwrap().unwrap().1,
        "$argon2id$new"
    );
    // A compare-and-set on the version makes a reset link single-use.
    assert!(
        !store
            .set_password(created.id, "$argon2id$again", Some(0))
            .await
            .unwrap()
    );
    assert!(
        store
            .set_password(created.id, "$argon2id$again", Some(1))
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .account(created.id)
            .await
            .unwrap()
            .unwrap()
            .token_version,
        2
    );
}

async fn accounts_can_be_shut_out_and_let_back_in(store: Arc<dyn Store>) {
    let created = store
        .create_account(&new_account("ivy", "ivy@example.com"))
        .await
        .unwrap();
    assert!(store.set_active(created.id, false).await.unwrap());
    assert!(!store.account(created.id).await.unwrap().unwrap().is_active);
    assert!(store.set_active(created.id, true).await.unwrap());
    assert!(store.account(created.id).await.unwrap().unwrap().is_active);
    assert!(
        !store
            .set_active(pingme_domain::AccountId(9_999_999), false)
            .await
            .unwrap()
    );
}

async fn deleted_accounts_are_gone(store: Arc<dyn Store>) {
    let created = store
        .create_account(&new_account("heidi", "heidi@example.com"))
        .await
        .unwrap();
    assert_eq!(
        store.delete_account(created.id).await.unwrap(),
        Some(Vec::new())
    );
    assert!(store.account(created.id).await.unwrap().is_none());
    assert_eq!(store.delete_account(created.id).await.unwrap(), None);
    // The name is free again.
    store
        .create_account(&new_account("heidi", "heidi@example.com"))
        .await
        .unwrap();
}

async fn concurrent_registrations_of_one_name_create_one_account(store: Arc<dyn Store>) {
    let attempts = (0..8).map(|i| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .create_account(&new_account("Racer", &format!("racer{i}@example.com")))
                .await
        })
    });
    let mut created = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(_) => created += 1,
            Err(StoreError::Conflict(Unique::AccountLogin)) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(created, 1);
}

async fn accounts_are_read_many_at_once(store: Arc<dyn Store>) {
    let mut ids = Vec::new();
    for name in ["dana", "eve", "fay"] {
        let email = format!("{name}@example.com");
        ids.push(
            store
                .create_account(&new_account(name, &email))
                .await
                .unwrap()
                .id,
        );
    }
    store.delete_account(ids[1]).await.unwrap();
    let asked = [ids[2], ids[0], ids[1], pingme_domain::AccountId(999_999)];
    let mut found: Vec<String> = store
        .accounts(&asked)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.login)
        .collect();
    found.sort();
    assert_eq!(found, ["dana", "fay"]);
    assert!(store.accounts(&[]).await.unwrap().is_empty());
}

async fn ping_answers(store: Arc<dyn Store>) {
    store.ping().await.unwrap();
}

mod run {
    crate::conformance!(
        created_account_reads_back_with_defaults,
        login_and_email_are_unique_ignoring_case,
        ids_are_never_reused,
        credentials_are_found_by_login_in_any_case,
        accounts_are_found_by_email_in_any_case,
        verification_is_recorded_once,
        profile_changes_touch_only_given_fields,
        password_changes_raise_the_token_version,
        accounts_can_be_shut_out_and_let_back_in,
        deleted_accounts_are_gone,
        concurrent_registrations_of_one_name_create_one_account,
        accounts_are_read_many_at_once,
        ping_answers,
    );
}
