//! The two media stores behave alike: put, fetch by URL, replace, delete. The S3 one runs
//! against a real S3-compatible server (moto) on a local port.

use pingme_domain::media::MediaStore;
use pingme_media::fixtures::moto::Moto;
use pingme_media::{LocalMediaStore, S3Config, S3MediaStore};

async fn puts_gets_and_deletes(store: &dyn MediaStore) {
    let key = "avatars/7/0123abcd.png";
    assert_eq!(store.get(key).await.unwrap(), None);
    store.put(key, b"first".to_vec()).await.unwrap();
    assert_eq!(
        store.get(key).await.unwrap().as_deref(),
        Some(&b"first"[..])
    );
    // Writing a key again is harmless (keys are content-addressed).
    store.put(key, b"first".to_vec()).await.unwrap();
    store.delete(key).await.unwrap();
    assert_eq!(store.get(key).await.unwrap(), None);
    store.delete(key).await.unwrap();
    assert!(
        store.url(key).ends_with("/avatars/7/0123abcd.png"),
        "{}",
        store.url(key)
    );
}

/// Replacing an image: the new one under its own key, the old one listed and deleted.
async fn replaces_and_lists(store: &dyn MediaStore) {
    let (old, new) = ("avatars/8/aaaa.jpg", "avatars/8/bbbb.png");
    store.put(old, b"old picture".to_vec()).await.unwrap();
    store.put(new, b"new picture".to_vec()).await.unwrap();
    store
        .put("avatars/80/cccc.jpg", b"someone else".to_vec())
        .await
        .unwrap();
    let listed = store.list("avatars/8/").await.unwrap();
    let mut keys: Vec<&str> = listed.iter().map(|o| o.key.as_str()).collect();
    keys.sort_unstable();
    assert_eq!(keys, [old, new]);
    let recent =
        |o: &pingme_domain::media::StoredObject| o.modified.elapsed().unwrap().as_secs() < 60;
    assert!(listed.iter().all(recent));
    store.delete(old).await.unwrap();
    assert_eq!(store.get(old).await.unwrap(), None);
    assert_eq!(
        store.get(new).await.unwrap().as_deref(),
        Some(&b"new picture"[..])
    );
    assert!(store.list("avatars/9/").await.unwrap().is_empty());
}

async fn refuses_keys_the_pipeline_cannot_make(store: &dyn MediaStore) {
    for key in ["../outside.png", "a//b.png", "/abs.png", "UPPER.png"] {
        assert!(store.put(key, b"x".to_vec()).await.is_err(), "{key}");
        assert_eq!(store.get(key).await.unwrap(), None, "{key}");
    }
}

#[tokio::test]
async fn local_store_keeps_files_under_its_root() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalMediaStore::new(dir.path().join("media"), "http://chat.test/media/".into());
    puts_gets_and_deletes(&store).await;
    replaces_and_lists(&store).await;
    refuses_keys_the_pipeline_cannot_make(&store).await;
    store
        .put("servers/1/abc.jpg", b"jpeg".to_vec())
        .await
        .unwrap();
    assert!(dir.path().join("media/servers/1/abc.jpg").exists());
    assert_eq!(
        store.url("servers/1/abc.jpg"),
        "http://chat.test/media/servers/1/abc.jpg"
    );
    assert!(!dir.path().join("outside.png").exists());
}

#[tokio::test]
#[ignore = "needs moto: PINGME_TEST_MOTO_SERVER (.ci/run installs it and sets it)"]
async fn s3_store_works_against_a_real_s3_server_and_serves_by_url() {
    let moto = Moto::start().await;
    moto.create_public_bucket("pingme-media").await;
    let config = S3Config {
        bucket: "pingme-media".into(),
        endpoint: Some(moto.endpoint.clone()),
        region: "us-east-1".into(),
        access_key_id: Some("testing".into()),
        secret_access_key: Some("testing".into()),
        public_base_url: None,
    };
    let store = S3MediaStore::new(&config).unwrap();
    puts_gets_and_deletes(&store).await;
    replaces_and_lists(&store).await;
    refuses_keys_the_pipeline_cannot_make(&store).await;

    let key = "avatars/9/feedbeef.jpg";
    store.put(key, b"public bytes".to_vec()).await.unwrap();
    let url = store.url(key);
    assert_eq!(url, format!("{}/pingme-media/{key}", moto.endpoint));
    let fetched = reqwest::get(&url).await.unwrap();
    assert!(fetched.status().is_success(), "{}", fetched.status());
    assert_eq!(fetched.headers()["content-type"], "image/jpeg");
    assert_eq!(
        fetched.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(fetched.bytes().await.unwrap().as_ref(), b"public bytes");
    store.delete(key).await.unwrap();
    assert_eq!(
        reqwest::get(&url).await.unwrap().status(),
        reqwest::StatusCode::NOT_FOUND
    );
}
