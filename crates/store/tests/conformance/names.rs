//! Look-alike login names: refused beside each other, told apart from exact duplicates,
//! freed with their account, and filled in at start-up for accounts made before.

use crate::accounts::new_account;
use pingme_domain::store::{Store, StoreError, Unique};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Creates an account of that login name (and an e-mail address of its own).
async fn create(store: &dyn Store, login: &str) -> Result<i64, StoreError> {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let email = format!("person{}@example.com", NEXT.fetch_add(1, Ordering::Relaxed));
    store
        .create_account(&new_account(login, &email))
        .await
        .map(|a| a.id.0)
}

fn is(result: Result<i64, StoreError>, expected: Unique) -> bool {
    matches!(result, Err(StoreError::Conflict(rule)) if rule == expected)
}

async fn look_alike_logins_are_refused_and_told_from_taken_ones(store: Arc<dyn Store>) {
    create(&*store, "admin").await.unwrap();
    create(&*store, "paypal").await.unwrap();
    for twin in ["аdmin", "ɑdmin", "АDMlN", "paypa1", "PAYPA1"] {
        let result = create(&*store, twin).await;
        assert!(is(result, Unique::AccountLookalike), "{twin}");
    }
    // The same name in another case or width is taken, not merely similar.
    for same in ["ADMIN", "ａｄｍｉｎ", "Paypal"] {
        let result = create(&*store, same).await;
        assert!(is(result, Unique::AccountLogin), "{same}");
    }
    // Nothing of a refused registration stays behind.
    assert!(store.credentials("аdmin").await.unwrap().is_none());
    create(&*store, "adrian").await.unwrap();
}

async fn deleting_an_account_frees_its_look_alikes(store: Arc<dyn Store>) {
    let admin = create(&*store, "admin").await.unwrap();
    store
        .delete_account(pingme_domain::AccountId(admin))
        .await
        .unwrap();
    create(&*store, "аdmin").await.unwrap();
}

async fn credentials_match_the_normalised_name(store: Arc<dyn Store>) {
    let admin = create(&*store, "admin").await.unwrap();
    for typed in ["ａｄｍｉｎ", "ＡＤＭＩＮ", "admin"] {
        let (account, _) = store.credentials(typed).await.unwrap().unwrap();
        assert_eq!(account.id.0, admin, "{typed}");
    }
    assert!(store.credentials("аdmin").await.unwrap().is_none());
}

async fn concurrent_look_alike_registrations_create_one_account(store: Arc<dyn Store>) {
    let names = ["admin", "аdmin", "ɑdmin", "ADMIN", "ａｄｍｉｎ", "аdmіn"];
    let attempts = names.map(|name| {
        let store = store.clone();
        tokio::spawn(async move { create(&*store, name).await })
    });
    let mut created = 0;
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(_) => created += 1,
            Err(StoreError::Conflict(Unique::AccountLogin | Unique::AccountLookalike)) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(created, 1);
}

mod run {
    crate::conformance!(
        look_alike_logins_are_refused_and_told_from_taken_ones,
        deleting_an_account_frees_its_look_alikes,
        credentials_match_the_normalised_name,
        concurrent_look_alike_registrations_create_one_account,
    );
}

mod backfill;
