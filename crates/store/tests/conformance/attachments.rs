//! Attachments: uploaded images, each its uploader's until one message uses it, decided in
//! the message's transaction (a message naming one it may not use is not written at all).

use crate::messages::{account, body, channel};
use pingme_domain::messages::{
    MessageWrite, NewAttachment, NewMessage, Outgoing, Page, Sent, Unusable,
};
use pingme_domain::store::Store;
use pingme_domain::{AccountId, AttachmentId, ChannelId, Timestamp};
use std::sync::Arc;

/// A time before any attachment of a test: none has expired.
fn long_ago() -> Timestamp {
    Timestamp::from_unix_micros(0).unwrap()
}

fn image(owner: AccountId, name: &str) -> NewAttachment {
    NewAttachment {
        owner,
        key: format!("attachments/{owner}/{name}.webp"),
        width: 640,
        height: 480,
        content_type: "image/webp".into(),
    }
}

async fn upload(store: &Arc<dyn Store>, owner: AccountId, name: &str) -> AttachmentId {
    store
        .create_attachment(&image(owner, name), 20, long_ago())
        .await
        .unwrap()
        .expect("room for it")
        .id
}

async fn send(
    store: &Arc<dyn Store>,
    channel: ChannelId,
    author: AccountId,
    attachments: Vec<AttachmentId>,
) -> MessageWrite<Result<Sent, Unusable>> {
    let out = Outgoing {
        new: NewMessage {
            channel,
            author,
            body: body("look"),
        },
        nonce: None,
        reply_to: None,
        attachments,
    };
    store.send_message(&out, Timestamp::now()).await.unwrap()
}

async fn count(store: &Arc<dyn Store>, channel: ChannelId) -> usize {
    let page = Page::Latest { limit: 50 };
    store.messages(channel, page, None).await.unwrap().len()
}

async fn a_message_shows_its_authors_unused_images_in_order(store: Arc<dyn Store>) {
    let ann = account(&store, "ann").await;
    let general = channel(&store, ann).await;
    let (first, second) = (
        upload(&store, ann, "a").await,
        upload(&store, ann, "b").await,
    );
    let MessageWrite::Done(Ok(sent)) = send(&store, general, ann, vec![second, first]).await else {
        panic!("sent");
    };
    let shown: Vec<(AttachmentId, &str, u32)> = sent
        .message
        .attachments
        .iter()
        .map(|a| (a.id, a.key.as_str(), a.width))
        .collect();
    let keys = (
        format!("attachments/{ann}/b.webp"),
        format!("attachments/{ann}/a.webp"),
    );
    assert_eq!(
        shown,
        [
            (second, keys.0.as_str(), 640),
            (first, keys.1.as_str(), 640)
        ]
    );
    let page = store
        .messages(general, Page::Latest { limit: 1 }, None)
        .await
        .unwrap();
    assert_eq!(
        page[0].attachments, sent.message.attachments,
        "the page shows the same"
    );
    assert_eq!(
        store
            .message(sent.message.id, None)
            .await
            .unwrap()
            .unwrap()
            .attachments,
        sent.message.attachments
    );
}

async fn an_image_used_or_not_ones_own_refuses_the_whole_message(store: Arc<dyn Store>) {
    let (ann, bob) = (account(&store, "ann").await, account(&store, "bob").await);
    let general = channel(&store, ann).await;
    let server = store.channel(general).await.unwrap().unwrap().server;
    store.join(server, bob).await.unwrap();
    let (mine, theirs) = (
        upload(&store, ann, "a").await,
        upload(&store, bob, "b").await,
    );
    assert!(matches!(
        send(&store, general, ann, vec![mine]).await,
        MessageWrite::Done(Ok(_))
    ));
    let before = count(&store, general).await;
    let fresh = upload(&store, ann, "c").await;
    for attachments in [
        vec![mine],
        vec![fresh, theirs],
        vec![AttachmentId(fresh.0 + 100)],
    ] {
        assert_eq!(
            send(&store, general, ann, attachments).await,
            MessageWrite::Done(Err(Unusable::Attachments))
        );
    }
    assert_eq!(count(&store, general).await, before, "nothing written");
    // The fresh one was not taken by the refused message: it is still free to use.
    assert!(matches!(
        send(&store, general, ann, vec![fresh]).await,
        MessageWrite::Done(Ok(_))
    ));
    // A stranger's send is refused for not being a member, not for the image.
    let eve = account(&store, "eve").await;
    let hers = upload(&store, eve, "e").await;
    assert_eq!(
        send(&store, general, eve, vec![hers]).await,
        MessageWrite::Refused
    );
}

async fn unused_images_are_limited_taken_back_and_expire(store: Arc<dyn Store>) {
    let (ann, bob) = (account(&store, "ann").await, account(&store, "bob").await);
    let general = channel(&store, ann).await;
    let limit = 3;
    let mut ids = Vec::new();
    for n in 0..limit {
        let made = store
            .create_attachment(&image(ann, &format!("{n}")), limit, long_ago())
            .await;
        ids.push(made.unwrap().expect("room").id);
    }
    assert!(
        store
            .create_attachment(&image(ann, "x"), limit, long_ago())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !store.delete_attachment(ids[0], bob).await.unwrap(),
        "not bob's"
    );
    assert!(store.delete_attachment(ids[0], ann).await.unwrap());
    assert!(
        !store.delete_attachment(ids[0], ann).await.unwrap(),
        "gone already"
    );
    assert!(matches!(
        send(&store, general, ann, vec![ids[1]]).await,
        MessageWrite::Done(Ok(_))
    ));
    assert!(
        !store.delete_attachment(ids[1], ann).await.unwrap(),
        "a sent one stays"
    );
    // Expiry: only unused ones made before the time given, whoever uploaded them.
    let later = Timestamp::from_unix_micros(Timestamp::now().unix_micros() + 1_000_000).unwrap();
    let bobs = upload(&store, bob, "b").await;
    let mut expired = store.expire_attachments(later).await.unwrap();
    expired.sort();
    assert_eq!(
        expired,
        [
            format!("attachments/{ann}/2.webp"),
            format!("attachments/{bob}/b.webp")
        ]
    );
    assert!(
        !store.delete_attachment(bobs, bob).await.unwrap(),
        "expired"
    );
    let folder = format!("attachments/{ann}");
    assert_eq!(
        store.attachment_keys(&folder).await.unwrap(),
        [format!("{folder}/1.webp")]
    );
    // Expired ones never count against the limit, swept or not.
    for n in 0..limit {
        let made = store
            .create_attachment(&image(ann, &format!("again{n}")), limit, long_ago())
            .await;
        assert!(made.unwrap().is_some());
    }
    let now = Timestamp::from_unix_micros(Timestamp::now().unix_micros() + 1).unwrap();
    let fresh = store
        .create_attachment(&image(ann, "fresh"), limit, now)
        .await;
    assert!(
        fresh.unwrap().is_some(),
        "the waiting ones made before `since` are forgotten"
    );
}

async fn a_folders_keys_are_its_own_and_go_with_their_message(store: Arc<dyn Store>) {
    let ann = account(&store, "ann").await;
    let general = channel(&store, ann).await;
    for n in 0..10 {
        account(&store, &format!("filler{n}")).await;
    }
    let other = account(&store, "zed").await;
    // Account ids 1 and 1x share a prefix: the folder ends at its slash.
    assert!(other.0 >= 10 && other.to_string().starts_with(&ann.to_string()));
    upload(&store, other, "theirs").await;
    let mine = upload(&store, ann, "mine").await;
    let MessageWrite::Done(Ok(sent)) = send(&store, general, ann, vec![mine]).await else {
        panic!("sent");
    };
    let folder = format!("attachments/{ann}");
    assert_eq!(
        store.attachment_keys(&folder).await.unwrap(),
        [format!("{folder}/mine.webp")]
    );
    store.delete_message(sent.message.id, ann).await.unwrap();
    assert!(
        store.attachment_keys(&folder).await.unwrap().is_empty(),
        "gone with it"
    );
}

mod run {
    crate::conformance!(
        a_message_shows_its_authors_unused_images_in_order,
        an_image_used_or_not_ones_own_refuses_the_whole_message,
        unused_images_are_limited_taken_back_and_expire,
        a_folders_keys_are_its_own_and_go_with_their_message,
    );
}
