//! Messages sent with a nonce (`POST /api/messages/`): the same nonce from the same author
//! in the same channel names one message for as long as the caller's window says, however
//! many sends race.

use crate::messages::{account, body, channel};
use pingme_domain::messages::{Message, MessageWrite, NewMessage, Nonce, Outgoing, Page, Sent};
use pingme_domain::store::Store;
use pingme_domain::{AccountId, ChannelId, Timestamp};
use std::sync::Arc;

fn nonce(text: &str) -> Nonce {
    Nonce::parse(text).unwrap()
}

async fn send(
    store: &Arc<dyn Store>,
    channel: ChannelId,
    author: AccountId,
    text: &str,
    key: &str,
    since: Timestamp,
) -> MessageWrite<Sent> {
    let new = NewMessage {
        channel,
        author,
        body: body(text),
    };
    let out = Outgoing {
        new,
        nonce: Some(nonce(key)),
        reply_to: None,
        attachments: Vec::new(),
    };
    match store.send_message(&out, since).await.unwrap() {
        MessageWrite::Done(Ok(sent)) => MessageWrite::Done(sent),
        MessageWrite::Done(Err(unusable)) => panic!("{unusable:?}"),
        MessageWrite::Refused => MessageWrite::Refused,
        MessageWrite::Missing => MessageWrite::Missing,
    }
}

/// Sends that must store or find a message: it, and whether it is new.
async fn sent(
    store: &Arc<dyn Store>,
    channel: ChannelId,
    author: AccountId,
    text: &str,
    key: &str,
    since: Timestamp,
) -> (Message, bool) {
    match send(store, channel, author, text, key, since).await {
        MessageWrite::Done(Sent { message, new }) => (message, new),
        other => panic!("not sent: {other:?}"),
    }
}

async fn stored(store: &Arc<dyn Store>, channel: ChannelId) -> usize {
    let page = store
        .messages(channel, Page::Latest { limit: 50 }, None)
        .await;
    page.unwrap().len()
}

fn ten_minutes_ago() -> Timestamp {
    Timestamp::now().minus(Nonce::WINDOW)
}

async fn a_nonce_names_one_message_within_the_window(store: Arc<dyn Store>) {
    let (ann, bob) = (account(&store, "ann").await, account(&store, "bob").await);
    let (general, other) = (channel(&store, ann).await, channel(&store, ann).await);
    let server = store.channel(general).await.unwrap().unwrap().server;
    store.join(server, bob).await.unwrap();
    let window = ten_minutes_ago();

    let (first, new) = sent(&store, general, ann, " hello ", "n-1", window).await;
    assert!(new);
    assert_eq!((first.content.as_str(), first.channel), ("hello", general));
    assert_eq!(first.author.as_ref().unwrap().id, ann);
    assert!(!first.edited());
    let (again, new) = sent(&store, general, ann, "other text", "n-1", window).await;
    assert_eq!((again, new), (first.clone(), false), "a retry finds it");

    for (channel, author, key) in [
        (other, ann, "n-1"),
        (general, bob, "n-1"),
        (general, ann, "n-2"),
        (general, ann, "N-1"),
    ] {
        let (message, new) = sent(&store, channel, author, "x", key, window).await;
        assert!(new && message.id > first.id, "{channel:?} {author:?} {key}");
    }
    // Once the first send is older than the window, the nonce makes a new message, and
    // from then on names that one.
    let later = Timestamp::from_unix_micros(first.created_at.unix_micros() + 1).unwrap();
    let (renewed, new) = sent(&store, general, ann, "anew", "n-1", later).await;
    assert!(new && renewed.id > first.id);
    let (found, new) = sent(&store, general, ann, "anew?", "n-1", window).await;
    assert_eq!((found.id, new), (renewed.id, false));

    assert_eq!(stored(&store, general).await, 5, "one message per new send");
    let page = store
        .messages(general, Page::Latest { limit: 1 }, None)
        .await;
    assert_eq!(page.unwrap()[0], found);
}

async fn a_send_is_refused_to_strangers_and_missing_channels(store: Arc<dyn Store>) {
    let (ann, bob) = (account(&store, "ann").await, account(&store, "bob").await);
    let general = channel(&store, ann).await;
    let window = ten_minutes_ago();
    assert_eq!(
        send(&store, general, bob, "let me in", "n", window).await,
        MessageWrite::Refused
    );
    assert_eq!(
        send(&store, ChannelId(9_999), ann, "nowhere", "n", window).await,
        MessageWrite::Missing
    );
    // A stranger's nonce names nothing: the owner's send with it is new.
    let (_, new) = sent(&store, general, ann, "mine", "n", window).await;
    assert!(new);
    assert_eq!(stored(&store, general).await, 1);
}

/// A send raises its channel's page version, as a message from the chat socket does, so a
/// node's kept page of history shows it.
async fn a_sent_message_moves_its_channels_page_version(store: Arc<dyn Store>) {
    let ann = account(&store, "ann").await;
    let general = channel(&store, ann).await;
    let before = store.page_version(general).await.unwrap().unwrap();
    sent(&store, general, ann, "hi", "n", ten_minutes_ago()).await;
    let after = store.page_version(general).await.unwrap().unwrap();
    assert!(after.messages > before.messages);
    sent(&store, general, ann, "hi", "n", ten_minutes_ago()).await;
    assert_eq!(store.page_version(general).await.unwrap(), Some(after));
}

async fn twenty_sends_racing_with_one_nonce_make_one_message(store: Arc<dyn Store>) {
    let ann = account(&store, "ann").await;
    let general = channel(&store, ann).await;
    let window = ten_minutes_ago();
    let answers = futures_util::future::join_all(
        (0..20).map(|_| sent(&store, general, ann, "once", "same", window)),
    )
    .await;
    let id = answers[0].0.id;
    assert!(answers.iter().all(|(message, _)| message.id == id));
    assert_eq!(answers.iter().filter(|(_, new)| *new).count(), 1);
    assert_eq!(stored(&store, general).await, 1);
}

/// An edited message says so, however soon after it was sent.
async fn an_edit_marks_a_message_edited(store: Arc<dyn Store>) {
    let ann = account(&store, "ann").await;
    let general = channel(&store, ann).await;
    let (message, _) = sent(&store, general, ann, "one", "n", ten_minutes_ago()).await;
    let MessageWrite::Done(edited) = store
        .update_message(message.id, ann, &body("two"))
        .await
        .unwrap()
    else {
        panic!("the sender edits");
    };
    assert!(edited.edited() && !message.edited());
    assert_eq!(
        store
            .message(message.id, Some(message.author.as_ref().unwrap().id))
            .await
            .unwrap(),
        Some(edited)
    );
}

mod run {
    crate::conformance!(
        a_nonce_names_one_message_within_the_window,
        a_send_is_refused_to_strangers_and_missing_channels,
        a_sent_message_moves_its_channels_page_version,
        twenty_sends_racing_with_one_nonce_make_one_message,
        an_edit_marks_a_message_edited,
    );
}
