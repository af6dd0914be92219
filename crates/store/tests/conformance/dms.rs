//! Direct messages and blocks: one channel per set of people, opened only between people who
//! know each other and no block; read, written and marked by its people only (decided in the
//! write's transaction); left, emptied, and outliving a deleted account.

use crate::messages::{account, body, channel, say};
use pingme_domain::dms::{DmOpening, DmPeople, Home, LeftDm};
use pingme_domain::messages::{
    Emoji, MessageId, MessageWrite, NewMessage, Outgoing, Page, Pinned, Reacted, Sent, Unusable,
};
use pingme_domain::store::Store;
use pingme_domain::{AccountId, ChannelId, Timestamp};
use std::sync::Arc;

async fn open(store: &Arc<dyn Store>, opener: AccountId, others: &[AccountId]) -> DmOpening {
    let people = DmPeople::new(opener, others).unwrap();
    store.open_dm(&people).await.unwrap()
}

async fn opened(store: &Arc<dyn Store>, opener: AccountId, others: &[AccountId]) -> ChannelId {
    match open(store, opener, others).await {
        DmOpening::Opened { dm, .. } => dm.id,
        other => panic!("not opened: {other:?}"),
    }
}

/// A message sent outside the group commit (as every direct message is).
async fn send(
    store: &Arc<dyn Store>,
    channel: ChannelId,
    author: AccountId,
    text: &str,
) -> MessageWrite<Result<Sent, Unusable>> {
    let out = Outgoing {
        new: NewMessage {
            channel,
            author,
            body: body(text),
        },
        nonce: None,
        reply_to: None,
        attachments: Vec::new(),
    };
    store.send_message(&out, Timestamp::now()).await.unwrap()
}

async fn sent(
    store: &Arc<dyn Store>,
    channel: ChannelId,
    author: AccountId,
    text: &str,
) -> MessageId {
    match send(store, channel, author, text).await {
        MessageWrite::Done(Ok(sent)) => sent.message.id,
        other => panic!("not sent: {other:?}"),
    }
}

/// Ann, Bob and Cat share a server; Sam is in none of theirs.
async fn people(store: &Arc<dyn Store>) -> [AccountId; 4] {
    let [ann, bob, cat, sam] = [
        account(store, "ann").await,
        account(store, "bob").await,
        account(store, "cat").await,
        account(store, "sam").await,
    ];
    let general = channel(store, ann).await;
    let server = store.channel(general).await.unwrap().unwrap().server;
    store.join(server, bob).await.unwrap();
    store.join(server, cat).await.unwrap();
    [ann, bob, cat, sam]
}

async fn the_same_people_get_the_same_channel(store: Arc<dyn Store>) {
    let [ann, bob, cat, _] = people(&store).await;
    let DmOpening::Opened {
        dm,
        created,
        joined,
    } = open(&store, ann, &[bob]).await
    else {
        panic!("opened");
    };
    assert_eq!((created, joined, dm.group), (true, vec![ann, bob], false));
    assert_eq!(dm.members, vec![ann, bob]);
    let DmOpening::Opened {
        dm: again,
        created,
        joined,
    } = open(&store, bob, &[ann]).await
    else {
        panic!("opened");
    };
    assert_eq!((again.id, created, joined), (dm.id, false, vec![]));
    let group = opened(&store, cat, &[bob, ann]).await;
    assert_ne!(group, dm.id);
    assert_eq!(opened(&store, ann, &[cat, bob]).await, group);
    assert_eq!(
        store.channel_home(dm.id).await.unwrap(),
        Some(Home::Dm),
        "a channel without a server"
    );
    // Not a channel of any server, for everything that reads those.
    assert!(store.channel(dm.id).await.unwrap().is_none());
    let listed: Vec<ChannelId> = store.dms(ann).await.unwrap().iter().map(|d| d.id).collect();
    assert_eq!(listed, vec![dm.id, group]);
    assert!(store.dm(dm.id, cat).await.unwrap().is_none());
    assert!(store.dm(group, cat).await.unwrap().unwrap().group);
}

async fn only_people_who_know_each_other_and_no_block_open_one(store: Arc<dyn Store>) {
    let [ann, bob, cat, sam] = people(&store).await;
    let ghost = AccountId(987_654);
    assert_eq!(
        open(&store, ann, &[bob, ghost]).await,
        DmOpening::Unknown(vec![ghost])
    );
    store.set_active(cat, false).await.unwrap();
    assert_eq!(
        open(&store, ann, &[cat]).await,
        DmOpening::Unknown(vec![cat])
    );
    assert_eq!(
        open(&store, ann, &[sam]).await,
        DmOpening::Strangers(vec![sam])
    );
    store.block(bob, ann).await.unwrap();
    // Either way round.
    assert_eq!(
        open(&store, ann, &[bob]).await,
        DmOpening::Blocked(vec![bob])
    );
    assert_eq!(
        open(&store, bob, &[ann]).await,
        DmOpening::Blocked(vec![ann])
    );
    assert!(store.dms(ann).await.unwrap().is_empty(), "nothing written");
    // Sharing a direct message is knowing each other.
    store.unblock(bob, ann).await.unwrap();
    store.set_active(cat, true).await.unwrap();
    let general = channel(&store, sam).await;
    let server = store.channel(general).await.unwrap().unwrap().server;
    store.join(server, bob).await.unwrap();
    opened(&store, bob, &[ann, sam]).await;
    opened(&store, ann, &[sam]).await;
}

async fn its_people_read_write_and_mark_it_and_nobody_else(store: Arc<dyn Store>) {
    let [ann, bob, cat, _] = people(&store).await;
    let dm = opened(&store, ann, &[bob]).await;
    let hello = sent(&store, dm, ann, &format!("hello <@{}>", bob.0)).await;
    assert!(matches!(
        send(&store, dm, cat, "me too").await,
        MessageWrite::Refused
    ));
    // The group commit writes servers' channels only.
    let new = NewMessage {
        channel: dm,
        author: ann,
        body: body("batched"),
    };
    assert!(matches!(
        store.create_message(&new).await.unwrap(),
        MessageWrite::Refused
    ));

    let thumbs = Emoji::parse("👍").unwrap();
    assert_eq!(
        store.add_reaction(hello, cat, &thumbs).await.unwrap(),
        MessageWrite::Refused
    );
    assert_eq!(
        store.add_reaction(hello, bob, &thumbs).await.unwrap(),
        MessageWrite::Done(Reacted::Changed(1))
    );
    assert_eq!(
        store.set_pinned(hello, cat, true).await.unwrap(),
        MessageWrite::Refused
    );
    assert!(matches!(
        store.set_pinned(hello, bob, true).await.unwrap(),
        MessageWrite::Done(Pinned::Changed(_))
    ));
    assert_eq!(
        store
            .update_message(hello, bob, &body("mine now"))
            .await
            .unwrap(),
        MessageWrite::Refused
    );
    assert!(matches!(
        store
            .update_message(hello, ann, &body("hello!"))
            .await
            .unwrap(),
        MessageWrite::Done(_)
    ));
    assert_eq!(
        store.delete_message(hello, bob).await.unwrap(),
        MessageWrite::Refused
    );
    assert_eq!(
        store.ack(cat, dm, hello).await.unwrap(),
        MessageWrite::Refused
    );

    // Bob's read state: one unread message, which mentioned him.
    let states = store.read_states(bob).await.unwrap();
    let state = states
        .iter()
        .find(|s| s.channel == dm)
        .expect("the DM's state");
    assert_eq!(
        (state.unread_count, state.mention_count),
        (1, 0),
        "the edit dropped the mention"
    );
    let MessageWrite::Done(state) = store.ack(bob, dm, hello).await.unwrap() else {
        panic!("acknowledged");
    };
    assert_eq!((state.last_read_id, state.unread_count), (hello, 0));
    assert!(
        store
            .read_states(cat)
            .await
            .unwrap()
            .iter()
            .all(|s| s.channel != dm)
    );

    let page = store
        .messages(dm, Page::Latest { limit: 10 }, Some(bob))
        .await
        .unwrap();
    assert_eq!(
        (page[0].server, page[0].pinned, page[0].reactions[0].me),
        (None, true, true)
    );
    assert_eq!(
        store.delete_message(hello, ann).await.unwrap(),
        MessageWrite::Done(dm)
    );
}

async fn a_block_between_two_stops_both_and_a_group_goes_on(store: Arc<dyn Store>) {
    let [ann, bob, cat, _] = people(&store).await;
    let pair = opened(&store, ann, &[bob]).await;
    let group = opened(&store, ann, &[bob, cat]).await;
    let before = sent(&store, pair, ann, "before").await;
    let theirs = sent(&store, pair, bob, "mine").await;
    assert!(store.block(bob, ann).await.unwrap());
    // Between the two: no reaction, pin or edit either way; one's own message still goes.
    let thumbs = Emoji::parse("👍").unwrap();
    for (who, id) in [(ann, theirs), (bob, before)] {
        assert_eq!(
            store.add_reaction(id, who, &thumbs).await.unwrap(),
            MessageWrite::Refused
        );
        assert_eq!(
            store.set_pinned(id, who, true).await.unwrap(),
            MessageWrite::Refused
        );
    }
    assert_eq!(
        store
            .update_message(before, ann, &body("after all"))
            .await
            .unwrap(),
        MessageWrite::Refused
    );
    assert_eq!(
        store.delete_message(before, ann).await.unwrap(),
        MessageWrite::Done(pair)
    );
    assert!(
        store.block(bob, ann).await.unwrap(),
        "blocking twice is one block"
    );
    assert!(!store.block(bob, AccountId(987_654)).await.unwrap());
    let blocked: Vec<AccountId> = store
        .blocked(bob)
        .await
        .unwrap()
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(blocked, vec![ann]);
    assert!(matches!(
        send(&store, pair, ann, "hi").await,
        MessageWrite::Refused
    ));
    assert!(matches!(
        send(&store, pair, bob, "no").await,
        MessageWrite::Refused
    ));
    sent(&store, group, ann, "hi all").await;
    // Ann's events in the group reach Ann and Cat; Bob's reach everyone.
    assert_eq!(store.dm_audience(group, ann).await.unwrap(), vec![ann, cat]);
    assert_eq!(
        store.dm_audience(group, bob).await.unwrap(),
        vec![ann, bob, cat]
    );
    // Once Cat has left, the group is theirs alone: the block holds there too.
    store.leave_dm(group, cat).await.unwrap();
    assert!(matches!(
        send(&store, group, ann, "just us").await,
        MessageWrite::Refused
    ));
    assert!(store.unblock(bob, ann).await.unwrap());
    assert!(!store.unblock(bob, ann).await.unwrap());
    sent(&store, group, ann, "just us").await;
    sent(&store, pair, ann, "hi").await;
    assert!(
        store
            .dm_audience(ChannelId(987_654), ann)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_group_is_left_then_emptied_and_a_pair_is_not_left(store: Arc<dyn Store>) {
    let [ann, bob, cat, _] = people(&store).await;
    let pair = opened(&store, ann, &[bob]).await;
    let group = opened(&store, ann, &[bob, cat]).await;
    assert_eq!(store.leave_dm(pair, ann).await.unwrap(), LeftDm::NotAGroup);
    assert_eq!(
        store.leave_dm(group, cat).await.unwrap(),
        LeftDm::Left { emptied: false }
    );
    assert_eq!(store.leave_dm(group, cat).await.unwrap(), LeftDm::NotIn);
    assert!(matches!(
        send(&store, group, cat, "back?").await,
        MessageWrite::Refused
    ));
    assert_eq!(
        store.dm(group, ann).await.unwrap().unwrap().members,
        vec![ann, bob]
    );
    // Opening it again brings Cat back.
    let DmOpening::Opened { joined, .. } = open(&store, bob, &[ann, cat]).await else {
        panic!("opened");
    };
    assert_eq!(joined, vec![cat]);
    for person in [ann, bob] {
        store.leave_dm(group, person).await.unwrap();
    }
    assert_eq!(
        store.leave_dm(group, cat).await.unwrap(),
        LeftDm::Left { emptied: true }
    );
    assert_eq!(store.channel_home(group).await.unwrap(), None);
}

async fn a_deleted_account_leaves_its_messages_and_empty_dms_go(store: Arc<dyn Store>) {
    let [ann, bob, cat, _] = people(&store).await;
    let pair = opened(&store, ann, &[bob]).await;
    let words = sent(&store, pair, bob, "bye").await;
    store.delete_account(bob).await.unwrap();
    let message = store.message(words, Some(ann)).await.unwrap().unwrap();
    assert!(message.author.is_none());
    assert_eq!(
        store.dm(pair, ann).await.unwrap().unwrap().members,
        vec![ann]
    );
    // A direct message nobody else is left in goes with its last person.
    let other = opened(&store, ann, &[cat]).await;
    store.delete_account(cat).await.unwrap();
    store.delete_account(ann).await.unwrap();
    for channel in [pair, other] {
        assert_eq!(store.channel_home(channel).await.unwrap(), None);
    }
}

/// What `account`'s read state in `channel` counts: (unread, mentions).
async fn counts(store: &Arc<dyn Store>, account: AccountId, channel: ChannelId) -> (u32, u32) {
    let states = store.read_states(account).await.unwrap();
    let state = states
        .iter()
        .find(|s| s.channel == channel)
        .expect("a read state");
    (state.unread_count, state.mention_count)
}

async fn a_mention_counts_for_readers_who_do_not_block_its_author(store: Arc<dyn Store>) {
    let [ann, bob, cat, sam] = people(&store).await;
    let servers = store.memberships(bob).await.unwrap();
    let general = store.channels(None, Some(servers[0])).await.unwrap()[0].id;
    store.block(bob, ann).await.unwrap();
    let text = format!("<@{}> <@{}> <@{}>", bob.0, cat.0, sam.0);
    // Through the group commit, and one by one.
    say(&store, general, ann, &text).await;
    sent(&store, general, ann, &text).await;
    assert_eq!(counts(&store, cat, general).await, (2, 2));
    assert_eq!(
        counts(&store, bob, general).await,
        (2, 0),
        "blocked: no mention"
    );
    // Sam cannot read the channel: no mention of Sam is kept, and joining later finds none.
    store.join(servers[0], sam).await.unwrap();
    assert_eq!(counts(&store, sam, general).await, (0, 0));
    store.unblock(bob, ann).await.unwrap();
    let edited = sent(&store, general, ann, "soon").await;
    store
        .update_message(edited, ann, &body(&text))
        .await
        .unwrap();
    assert_eq!(counts(&store, bob, general).await, (3, 1));
    // In a group: the one who blocks the author is not mentioned.
    let group = opened(&store, cat, &[ann, bob]).await;
    store.block(cat, ann).await.unwrap();
    sent(&store, group, ann, &text).await;
    assert_eq!(counts(&store, bob, group).await, (1, 1));
    assert_eq!(counts(&store, cat, group).await, (1, 0));
}

/// Messages of a server channel still go where they went: the same checks on both kinds.
async fn server_channels_are_as_they_were(store: Arc<dyn Store>) {
    let [ann, _, _, sam] = people(&store).await;
    let general = channel(&store, ann).await;
    let server = store.channel(general).await.unwrap().unwrap().server;
    assert_eq!(
        store.channel_home(general).await.unwrap(),
        Some(Home::Server(server))
    );
    say(&store, general, ann, "hi").await;
    assert!(matches!(
        send(&store, general, sam, "hi").await,
        MessageWrite::Refused
    ));
    let id = sent(&store, general, ann, "again").await;
    let message = store.message(id, None).await.unwrap().unwrap();
    assert_eq!(message.server, Some(server));
}

mod run {
    crate::conformance!(
        the_same_people_get_the_same_channel,
        only_people_who_know_each_other_and_no_block_open_one,
        its_people_read_write_and_mark_it_and_nobody_else,
        a_block_between_two_stops_both_and_a_group_goes_on,
        a_group_is_left_then_emptied_and_a_pair_is_not_left,
        a_deleted_account_leaves_its_messages_and_empty_dms_go,
        server_channels_are_as_they_were,
        a_mention_counts_for_readers_who_do_not_block_its_author,
    );
}

/// An SQLite database from before direct messages: migration 0012 builds its `channels`
/// again (to let `server_id` be NULL) and everything that refers to them stays whole, ids
/// going on from where they were.
#[tokio::test]
async fn sqlite_channels_are_rebuilt_with_everything_that_refers_to_them() {
    let (url, _dir) = crate::sqlite_url();
    let options: sqlx::sqlite::SqliteConnectOptions = url.parse().unwrap();
    let pool = sqlx::SqlitePool::connect_with(options.create_if_missing(true))
        .await
        .unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let mut before = sqlx::migrate::Migrator::new(dir).await.unwrap();
    before.migrations = before
        .migrations
        .iter()
        .filter(|m| m.version < 12)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    before.run(&pool).await.unwrap();
    for statement in [
        "INSERT INTO accounts (id, login, login_key, email, email_key, password_hash, \
         display_name, created_at, updated_at) VALUES (1, 'ann', 'ann', 'a@x', 'a@x', 'x', 'ann', 0, 0)",
        "INSERT INTO categories (id, name, created_at, updated_at) VALUES (1, 'general', 0, 0)",
        "INSERT INTO servers (id, name, owner_id, category_id, created_at, updated_at) \
         VALUES (1, 'home', 1, 1, 0, 0)",
        "INSERT INTO memberships (server_id, account_id, joined_at) VALUES (1, 1, 0)",
        "INSERT INTO channels (id, server_id, owner_id, name, created_at, updated_at) \
         VALUES (7, 1, 1, 'general', 0, 0)",
        "INSERT INTO messages (id, channel_id, author_id, content, created_at, updated_at) \
         VALUES (1, 7, 1, 'kept', 0, 0)",
        // The newest channel ever made is gone: its id is still never given again.
        "INSERT INTO channels (id, server_id, owner_id, name, created_at, updated_at) \
         VALUES (9, 1, 1, 'gone', 0, 0)",
        "DELETE FROM channels WHERE id = 9",
        "UPDATE channels SET last_message_id = 1, version = 3 WHERE id = 7",
        "INSERT INTO read_states (account_id, channel_id, last_read_id) VALUES (1, 7, 1)",
    ] {
        sqlx::query(statement).execute(&pool).await.unwrap();
    }
    pool.close().await;

    let store = pingme_store::open(&url).await.unwrap();
    let general = store.channel(ChannelId(7)).await.unwrap().expect("kept");
    assert_eq!(general.name, "general");
    let page = store
        .messages(general.id, Page::Latest { limit: 5 }, None)
        .await
        .unwrap();
    assert_eq!(page[0].content, "kept");
    let version = store.page_version(general.id).await.unwrap().unwrap();
    let states = store.read_states(AccountId(1)).await.unwrap();
    assert_eq!(states[0].last_read_id, MessageId(1));
    // Deleting the channel still cascades to its messages and read state.
    assert!(store.delete_channel(general.id).await.unwrap());
    assert!(store.message(MessageId(1), None).await.unwrap().is_none());
    assert!(store.read_states(AccountId(1)).await.unwrap().is_empty());
    let bob = account(&store, "bob").await;
    let next = channel(&store, bob).await;
    assert!(
        next.0 > 9,
        "ids go on from where they were: {next:?} after {version:?}"
    );
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let dangling: Vec<(String,)> = sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert!(dangling.is_empty(), "{dangling:?}");
}
