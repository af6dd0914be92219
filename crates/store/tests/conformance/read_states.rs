//! Read states: where each member has read to in each channel, raised by acknowledgements
//! only, with unread and mention counts that every way of writing a message keeps right.

use crate::messages::{account, body, channel, say};
use pingme_domain::community::{ChannelName, NewChannel};
use pingme_domain::messages::{
    MAX_UNREAD, MessageId, MessageWrite, NewMessage, Nonce, Outgoing, ReadState,
};
use pingme_domain::store::Store;
use pingme_domain::{AccountId, ChannelId, ServerId, Timestamp};
use std::sync::Arc;

/// A message sent over REST with a nonce (its own transaction); its id.
async fn send(
    store: &Arc<dyn Store>,
    channel: ChannelId,
    author: AccountId,
    text: &str,
) -> MessageId {
    let new = NewMessage {
        channel,
        author,
        body: body(text),
    };
    let nonce = Nonce::parse(&format!("{text}-{}", Timestamp::now().unix_micros())).unwrap();
    let out = Outgoing {
        new,
        nonce: Some(nonce),
        reply_to: None,
        attachments: Vec::new(),
    };
    match store.send_message(&out, Timestamp::now()).await.unwrap() {
        MessageWrite::Done(Ok(sent)) => sent.message.id,
        other => panic!("not sent: {other:?}"),
    }
}

async fn state(store: &Arc<dyn Store>, account: AccountId, channel: ChannelId) -> ReadState {
    let states = store.read_states(account).await.unwrap();
    *states
        .iter()
        .find(|s| s.channel == channel)
        .expect("a read state")
}

/// `(unread, mentions)`.
async fn counts(store: &Arc<dyn Store>, account: AccountId, channel: ChannelId) -> (u32, u32) {
    let state = state(store, account, channel).await;
    (state.unread_count, state.mention_count)
}

async fn ack(
    store: &Arc<dyn Store>,
    account: AccountId,
    channel: ChannelId,
    id: MessageId,
) -> ReadState {
    match store.ack(account, channel, id).await.unwrap() {
        MessageWrite::Done(state) => state,
        other => panic!("not acknowledged: {other:?}"),
    }
}

async fn server_of(store: &Arc<dyn Store>, channel: ChannelId) -> ServerId {
    store.channel(channel).await.unwrap().unwrap().server
}

async fn a_member_reads_from_their_joining_on(store: Arc<dyn Store>) {
    let (ann, bob) = (account(&store, "ann").await, account(&store, "bob").await);
    let general = channel(&store, ann).await;
    for n in 0..3 {
        say(&store, general, ann, &format!("before bob {n}")).await;
    }
    // Ann's own messages are not unread to her.
    assert_eq!(counts(&store, ann, general).await, (0, 0));
    store
        .join(server_of(&store, general).await, bob)
        .await
        .unwrap();
    let joined = state(&store, bob, general).await;
    assert_eq!((joined.unread_count, joined.mention_count), (0, 0));
    assert_eq!(
        joined.last_read_id, joined.last_message_id,
        "the history counts as read"
    );

    let first = say(&store, general, ann, &format!("hi <@{}>", bob.0)).await;
    let second = send(&store, general, ann, "<@999999> is nobody").await;
    let now = state(&store, bob, general).await;
    assert_eq!((now.unread_count, now.mention_count), (2, 1));
    assert_eq!(
        (now.last_message_id, now.last_read_id),
        (second, joined.last_read_id)
    );

    assert_eq!(
        ack(&store, bob, general, first).await,
        ReadState {
            channel: general,
            last_message_id: second,
            last_read_id: first,
            unread_count: 1,
            mention_count: 0,
        }
    );
    let back = ack(&store, bob, general, MessageId(1)).await;
    assert_eq!(back.last_read_id, first, "never back");
    let past = ack(&store, bob, general, MessageId(second.0 + 1_000)).await;
    assert_eq!(
        (past.last_read_id, past.unread_count),
        (second, 0),
        "never past the newest message"
    );
}

async fn only_members_acknowledge(store: Arc<dyn Store>) {
    let (ann, bob) = (account(&store, "ann").await, account(&store, "bob").await);
    let general = channel(&store, ann).await;
    let id = say(&store, general, ann, "hi").await;
    assert_eq!(
        store.ack(bob, general, id).await.unwrap(),
        MessageWrite::Refused
    );
    assert_eq!(
        store.ack(ann, ChannelId(9_999), id).await.unwrap(),
        MessageWrite::Missing
    );
    assert!(store.read_states(bob).await.unwrap().is_empty());
}

/// Every channel of every server the account belongs to, and nothing else, by id; a new
/// channel has no message yet.
async fn read_states_cover_each_channel_of_ones_servers(store: Arc<dyn Store>) {
    let (ann, bob) = (account(&store, "ann").await, account(&store, "bob").await);
    let (first, second, elsewhere) = (
        channel(&store, ann).await,
        channel(&store, ann).await,
        channel(&store, bob).await,
    );
    let new = NewChannel {
        server: server_of(&store, first).await,
        owner: ann,
        name: ChannelName::parse("more").unwrap(),
        description: None,
    };
    let more = store.create_channel(&new).await.unwrap().id;
    say(&store, elsewhere, bob, "not ann's").await;
    let states = store.read_states(ann).await.unwrap();
    let channels: Vec<ChannelId> = states.iter().map(|s| s.channel).collect();
    assert_eq!(channels, [first, second, more]);
    assert!(states.iter().all(|s| s.last_message_id == MessageId(0)));
}

/// Mentions follow the text: an edit adds or removes them, a deletion takes the message's
/// unread and mention counts away; the channel's newest message id stays.
async fn edits_and_deletions_keep_the_counts_right(store: Arc<dyn Store>) {
    let (ann, bob) = (account(&store, "ann").await, account(&store, "bob").await);
    let general = channel(&store, ann).await;
    store
        .join(server_of(&store, general).await, bob)
        .await
        .unwrap();
    let id = send(&store, general, ann, "no one yet").await;
    assert_eq!(counts(&store, bob, general).await, (1, 0));
    let mention = body(&format!("now <@{}> and <@{}>", bob.0, bob.0));
    store.update_message(id, ann, &mention).await.unwrap();
    assert_eq!(counts(&store, bob, general).await, (1, 1));
    store
        .update_message(id, ann, &body("gone again"))
        .await
        .unwrap();
    assert_eq!(counts(&store, bob, general).await, (1, 0));
    store.update_message(id, ann, &mention).await.unwrap();
    store.delete_message(id, ann).await.unwrap();
    assert_eq!(counts(&store, bob, general).await, (0, 0));
    assert_eq!(state(&store, bob, general).await.last_message_id, id);
}

async fn unread_counts_stop_at_the_most_shown(store: Arc<dyn Store>) {
    let (ann, bob) = (account(&store, "ann").await, account(&store, "bob").await);
    let general = channel(&store, ann).await;
    store
        .join(server_of(&store, general).await, bob)
        .await
        .unwrap();
    let texts: Vec<String> = (0..=MAX_UNREAD).map(|n| format!("m{n}")).collect();
    futures_util::future::join_all(texts.iter().map(|t| say(&store, general, ann, t))).await;
    assert_eq!(counts(&store, bob, general).await, (MAX_UNREAD, 0));
}

/// Leaving and joining again starts from the newest message again; deleting the account
/// that was mentioned takes its mentions along.
async fn rejoining_starts_afresh(store: Arc<dyn Store>) {
    let (ann, bob) = (account(&store, "ann").await, account(&store, "bob").await);
    let general = channel(&store, ann).await;
    let server = server_of(&store, general).await;
    store.join(server, bob).await.unwrap();
    say(&store, general, ann, &format!("<@{}>", bob.0)).await;
    store.leave(server, bob).await.unwrap();
    assert!(store.read_states(bob).await.unwrap().is_empty());
    store.join(server, bob).await.unwrap();
    assert_eq!(counts(&store, bob, general).await, (0, 0));
    store.delete_account(bob).await.unwrap();
    assert!(store.read_states(bob).await.unwrap().is_empty());
}

mod run {
    crate::conformance!(
        a_member_reads_from_their_joining_on,
        only_members_acknowledge,
        read_states_cover_each_channel_of_ones_servers,
        edits_and_deletions_keep_the_counts_right,
        unread_counts_stop_at_the_most_shown,
        rejoining_starts_afresh,
    );
}
