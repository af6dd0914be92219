//! Messages: stored only from members, paged through the history by id, kept when their
//! author's account goes.

use pingme_domain::account::{
    Bio, DisplayName, Email, Location, NewAccount, ProfileChanges, Username,
};
use pingme_domain::community::{
    CategoryName, ChannelName, NewCategory, NewChannel, NewServer, ServerName,
};
use pingme_domain::messages::{
    Message, MessageBody, MessageId, MessageWrite, NewMessage, Page, PageVersion,
};
use pingme_domain::store::Store;
use pingme_domain::{AccountId, ChannelId};
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

/// A server owned by `owner` and its `general` channel.
pub(crate) async fn channel(store: &Arc<dyn Store>, owner: AccountId) -> ChannelId {
    let category = match store.category_by_name("general").await.unwrap() {
        Some(c) => c.id,
        None => {
            store
                .create_category(&NewCategory {
                    name: CategoryName::parse("general").unwrap(),
                    description: None,
                })
                .await
                .unwrap()
                .id
        }
    };
    let new = NewServer {
        name: ServerName::parse("chat").unwrap(),
        description: None,
        owner,
        category,
        is_private: false,
    };
    store.create_server(&new).await.unwrap().channels[0].id
}

async fn post(
    store: &Arc<dyn Store>,
    channel: ChannelId,
    author: AccountId,
    text: &str,
) -> MessageWrite<Message> {
    let new = NewMessage {
        channel,
        author,
        body: MessageBody::parse(text, 4000).unwrap(),
    };
    store.create_message(&new).await.unwrap()
}

/// Posts a message that must be stored; its id.
pub(crate) async fn say(
    store: &Arc<dyn Store>,
    channel: ChannelId,
    author: AccountId,
    text: &str,
) -> MessageId {
    match post(store, channel, author, text).await {
        MessageWrite::Done(message) => message.id,
        other => panic!("not stored: {other:?}"),
    }
}

pub(crate) fn body(text: &str) -> MessageBody {
    MessageBody::parse(text, 4000).unwrap()
}

fn contents(messages: &[pingme_domain::messages::Message]) -> Vec<&str> {
    messages.iter().map(|m| m.content.as_str()).collect()
}

async fn members_post_and_others_cannot(store: Arc<dyn Store>) {
    let (ann, bob) = (account(&store, "ann").await, account(&store, "bob").await);
    let general = channel(&store, ann).await;
    let MessageWrite::Done(message) = post(&store, general, ann, " hello ").await else {
        panic!("a member posts");
    };
    assert_eq!(
        (message.content.as_str(), message.channel),
        ("hello", general)
    );
    assert_eq!(message.created_at, message.updated_at);
    let author = message.author.unwrap();
    assert_eq!(
        (
            author.id,
            author.login.as_str(),
            author.display_name.as_str()
        ),
        (ann, "ann", "ann")
    );
    assert_eq!(
        post(&store, general, bob, "let me in").await,
        MessageWrite::Refused,
        "not a member"
    );
    assert_eq!(
        post(&store, ChannelId(9_999), ann, "nowhere").await,
        MessageWrite::Missing
    );
    assert_eq!(
        store
            .messages(general, Page::Latest { limit: 50 }, None)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn history_pages_by_id_oldest_first(store: Arc<dyn Store>) {
    let ann = account(&store, "ann").await;
    let general = channel(&store, ann).await;
    let mut ids = Vec::new();
    for n in 0..10 {
        ids.push(say(&store, general, ann, &format!("m{n}")).await);
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "ids grow");
    let page = |page| {
        let store = store.clone();
        async move { store.messages(general, page, None).await.unwrap() }
    };
    assert_eq!(
        contents(&page(Page::Latest { limit: 3 }).await),
        ["m7", "m8", "m9"]
    );
    assert_eq!(
        contents(&page(Page::Latest { limit: 10 }).await).len(),
        10,
        "an exact page"
    );
    assert_eq!(contents(&page(Page::Latest { limit: 50 }).await).len(), 10);
    assert_eq!(
        contents(
            &page(Page::Before {
                id: ids[5],
                limit: 3
            })
            .await
        ),
        ["m2", "m3", "m4"]
    );
    assert_eq!(
        contents(
            &page(Page::Before {
                id: ids[1],
                limit: 3
            })
            .await
        ),
        ["m0"]
    );
    assert!(
        page(Page::Before {
            id: ids[0],
            limit: 3
        })
        .await
        .is_empty(),
        "before the first"
    );
    assert_eq!(
        contents(
            &page(Page::After {
                after: ids[5],
                before: None,
                limit: 2
            })
            .await
        ),
        ["m6", "m7"]
    );
    assert!(
        page(Page::After {
            after: ids[9],
            before: None,
            limit: 5
        })
        .await
        .is_empty(),
        "after the last"
    );
    assert_eq!(
        contents(
            &page(Page::After {
                after: ids[2],
                before: Some(ids[6]),
                limit: 50
            })
            .await
        ),
        ["m3", "m4", "m5"]
    );
    let empty = channel(&store, ann).await;
    assert!(
        store
            .messages(empty, Page::Latest { limit: 50 }, None)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn messages_change_and_go(store: Arc<dyn Store>) {
    let ann = account(&store, "ann").await;
    let general = channel(&store, ann).await;
    let id = say(&store, general, ann, "first draft").await;
    let MessageWrite::Done(edited) = store.update_message(id, ann, &body("final")).await.unwrap()
    else {
        panic!("the sender edits");
    };
    assert_eq!(edited.content, "final");
    assert!(edited.updated_at >= edited.created_at);
    assert_eq!(
        store.message(id, None).await.unwrap().unwrap().content,
        "final"
    );
    let missing = store
        .update_message(MessageId(9_999), ann, &body("x"))
        .await;
    assert_eq!(missing.unwrap(), MessageWrite::Missing);
    assert_eq!(
        store.delete_message(id, ann).await.unwrap(),
        MessageWrite::Done(general)
    );
    assert!(store.message(id, None).await.unwrap().is_none());
    assert_eq!(
        store.delete_message(id, ann).await.unwrap(),
        MessageWrite::Missing
    );
}

async fn only_senders_edit_and_senders_or_owners_delete(store: Arc<dyn Store>) {
    let (owner, ann, bob) = (
        account(&store, "own").await,
        account(&store, "ann").await,
        account(&store, "bob").await,
    );
    let general = channel(&store, owner).await;
    let server = store.channel(general).await.unwrap().unwrap().server;
    store.join(server, ann).await.unwrap();
    store.join(server, bob).await.unwrap();
    let (first, second) = (
        say(&store, general, ann, "one").await,
        say(&store, general, ann, "two").await,
    );
    let by_owner = say(&store, general, owner, "rules").await;
    for (editor, id) in [(bob, first), (owner, first), (ann, by_owner)] {
        let refused = store
            .update_message(id, editor, &body("mine now"))
            .await
            .unwrap();
        assert_eq!(refused, MessageWrite::Refused, "only the sender edits");
    }
    assert_eq!(
        store.delete_message(first, bob).await.unwrap(),
        MessageWrite::Refused
    );
    assert_eq!(
        store.delete_message(first, owner).await.unwrap(),
        MessageWrite::Done(general)
    );
    // A sender who left can no longer change what they wrote; the owner still can.
    store.leave(server, ann).await.unwrap();
    assert_eq!(
        store.update_message(second, ann, &body("x")).await.unwrap(),
        MessageWrite::Refused
    );
    assert_eq!(
        store.delete_message(second, ann).await.unwrap(),
        MessageWrite::Refused
    );
    assert_eq!(
        post(&store, general, ann, "back?").await,
        MessageWrite::Refused
    );
    assert_eq!(
        store.message(second, None).await.unwrap().unwrap().content,
        "two"
    );
    assert_eq!(
        store.delete_message(second, owner).await.unwrap(),
        MessageWrite::Done(general)
    );
}

async fn messages_outlive_their_author_but_not_their_channel(store: Arc<dyn Store>) {
    let (owner, leaver) = (account(&store, "own").await, account(&store, "gone").await);
    let general = channel(&store, owner).await;
    let server = store.channel(general).await.unwrap().unwrap().server;
    store.join(server, leaver).await.unwrap();
    let id = say(&store, general, leaver, "goodbye").await;
    store.delete_account(leaver).await.unwrap();
    let kept = store.message(id, None).await.unwrap().unwrap();
    assert_eq!((kept.content.as_str(), kept.author), ("goodbye", None));
    store.delete_channel(general).await.unwrap();
    assert!(store.message(id, None).await.unwrap().is_none());
}

/// Many messages at once (stored together where the backend groups its commits): each keeps
/// its own outcome and its own id.
async fn messages_sent_together_keep_their_own_outcomes(store: Arc<dyn Store>) {
    let (ann, bob) = (account(&store, "ann").await, account(&store, "bob").await);
    let (general, bobs) = (channel(&store, ann).await, channel(&store, bob).await);
    let gone = channel(&store, ann).await;
    store.delete_channel(gone).await.unwrap();
    let sent: Vec<(ChannelId, AccountId, String)> = (0..300)
        .map(|n| match n % 5 {
            0 => (general, bob, format!("refused {n}")),
            1 => (gone, ann, format!("missing {n}")),
            2 => (bobs, bob, format!("bob {n}")),
            // The same text twice in a row: each its own message.
            _ => (general, ann, format!("ann {}", n / 5)),
        })
        .collect();
    let outcomes = futures_util::future::join_all(
        sent.iter()
            .map(|(channel, author, text)| post(&store, *channel, *author, text)),
    )
    .await;
    let mut ids = std::collections::HashSet::new();
    for ((channel, _, text), outcome) in sent.iter().zip(outcomes) {
        match outcome {
            MessageWrite::Done(message) => {
                assert_eq!(
                    (message.channel, message.content.as_str()),
                    (*channel, text.as_str())
                );
                assert!(ids.insert(message.id), "one id per message");
            }
            MessageWrite::Refused => assert!(text.starts_with("refused"), "{text}"),
            MessageWrite::Missing => assert!(text.starts_with("missing"), "{text}"),
        }
    }
    let stored = store
        .messages(general, Page::Latest { limit: 200 }, None)
        .await
        .unwrap();
    assert_eq!(stored.len(), 120);
    assert!(
        stored
            .iter()
            .all(|m| m.author.as_ref().map(|a| a.id) == Some(ann))
    );
}

/// A sender that queues its next message before the previous one is written (the chat
/// socket does) gets ids in the order it queued, channel by channel, and the history shows
/// them in that order: whichever batch, or lane, each went through.
async fn messages_queued_one_after_another_keep_their_order(store: Arc<dyn Store>) {
    let ann = account(&store, "ann").await;
    let mut channels = Vec::new();
    for _ in 0..4 {
        channels.push(channel(&store, ann).await);
    }
    let mut queued = Vec::new();
    for n in 0..200 {
        let new = NewMessage {
            channel: channels[n % channels.len()],
            author: ann,
            body: MessageBody::parse(&format!("m{n}"), 2000).unwrap(),
        };
        queued.push(store.queue_message(new).await.unwrap());
    }
    // Every outcome awaited together, the last one first.
    queued.reverse();
    let mut written: Vec<Message> = futures_util::future::join_all(queued)
        .await
        .into_iter()
        .map(|outcome| match outcome.unwrap() {
            MessageWrite::Done(message) => message,
            other => panic!("not stored: {other:?}"),
        })
        .collect();
    written.reverse();
    for (index, &channel) in channels.iter().enumerate() {
        let sent: Vec<&Message> = written.iter().filter(|m| m.channel == channel).collect();
        let texts: Vec<String> = (index..200)
            .step_by(channels.len())
            .map(|n| format!("m{n}"))
            .collect();
        assert_eq!(
            sent.iter().map(|m| m.content.as_str()).collect::<Vec<_>>(),
            texts
        );
        assert!(sent.windows(2).all(|w| w[0].id < w[1].id), "ids in order");
        let page = store
            .messages(channel, Page::Latest { limit: 100 }, None)
            .await
            .unwrap();
        assert_eq!(
            page.iter().map(|m| m.content.as_str()).collect::<Vec<_>>(),
            texts,
            "the history in the order queued"
        );
    }
}

/// A page holds each message as it reads alone: every field of it and of its author (the
/// paths differ on SQLite, where a page shares each author among its messages).
async fn a_page_holds_each_message_as_read_alone(store: Arc<dyn Store>) {
    let (ann, bob) = (account(&store, "ann").await, account(&store, "bob").await);
    let gone = account(&store, "gone").await;
    let profile = ProfileChanges {
        display_name: Some(DisplayName::parse("Ann A").unwrap()),
        location: Some(Some(Location::parse("Lyon").unwrap())),
        content: Some(Bio::parse("likes trains").unwrap()),
        image: Some(Some("avatars/1/ann.png".into())),
    };
    store.update_profile(ann, &profile).await.unwrap().unwrap();
    let first = channel(&store, ann).await;
    let server = store.channel(first).await.unwrap().unwrap().server;
    // A second channel, so that the channel's id is not its server's.
    let new = NewChannel {
        server,
        owner: ann,
        name: ChannelName::parse("second").unwrap(),
        description: None,
    };
    let general = store.create_channel(&new).await.unwrap().id;
    for member in [bob, gone] {
        store.join(server, member).await.unwrap();
    }
    let mut ids = Vec::new();
    for (n, author) in [ann, bob, gone, ann, bob, ann, gone]
        .into_iter()
        .enumerate()
    {
        ids.push(say(&store, general, author, &format!("message {n}")).await);
    }
    let edit = MessageBody::parse("edited", 4000).unwrap();
    store.update_message(ids[3], ann, &edit).await.unwrap();
    store.delete_account(gone).await.unwrap();
    let mut alone = Vec::new();
    for id in &ids {
        alone.push(store.message(*id, None).await.unwrap().unwrap());
    }
    assert_eq!(
        alone[0].author.as_ref().unwrap().location.as_deref(),
        Some("Lyon")
    );
    assert_eq!(alone[2].author, None);
    assert_ne!(alone[0].server.map(|s| s.0), Some(alone[0].channel.0));
    assert_ne!(alone[3].created_at, alone[3].updated_at);
    let pages = [
        Page::Latest { limit: 50 },
        Page::Before {
            id: ids[6],
            limit: 4,
        },
        Page::After {
            after: ids[0],
            before: Some(ids[6]),
            limit: 50,
        },
    ];
    let expected = [&alone[..], &alone[2..6], &alone[1..6]];
    for (page, expected) in pages.into_iter().zip(expected) {
        let read = store.messages(general, page, None).await.unwrap();
        assert_eq!(read, expected, "{page:?}");
    }
}

async fn version(store: &Arc<dyn Store>, channel: ChannelId) -> PageVersion {
    store
        .page_version(channel)
        .await
        .unwrap()
        .expect("the channel")
}

/// A channel's page version moves with every change its history shows, in the write's own
/// transaction, and with nothing else: what lets a node keep a rendered page.
async fn a_page_version_moves_with_every_change_a_page_shows(store: Arc<dyn Store>) {
    let (ann, bob) = (account(&store, "ann").await, account(&store, "bob").await);
    let (general, other) = (channel(&store, ann).await, channel(&store, bob).await);
    assert_eq!(store.page_version(ChannelId(9_999)).await.unwrap(), None);
    let server = store.channel(general).await.unwrap().unwrap().server;
    store.join(server, bob).await.unwrap();
    let start = version(&store, general).await;

    let id = say(&store, general, ann, "one").await;
    let posted = version(&store, general).await;
    assert!(posted.messages > start.messages, "a message posted");
    assert_eq!(posted.profiles, start.profiles);
    say(&store, other, bob, "elsewhere").await;
    assert_eq!(
        version(&store, general).await,
        posted,
        "another channel's message"
    );
    assert_eq!(
        post(&store, general, AccountId(9_999), "no").await,
        MessageWrite::Refused
    );
    assert_eq!(version(&store, general).await, posted, "a refused message");

    store.update_message(id, ann, &body("two")).await.unwrap();
    let edited = version(&store, general).await;
    assert!(edited.messages > posted.messages, "an edit");
    store
        .update_message(id, bob, &body("not yours"))
        .await
        .unwrap();
    assert_eq!(version(&store, general).await, edited, "a refused edit");

    // Messages stored together (one batch, where the backend groups its commits).
    futures_util::future::join_all(
        (0..20).map(|n| post(&store, general, if n % 2 == 0 { ann } else { bob }, "many")),
    )
    .await;
    let batch = version(&store, general).await;
    assert!(batch.messages > edited.messages, "messages stored together");

    store.delete_message(id, ann).await.unwrap();
    let deleted = version(&store, general).await;
    assert!(deleted.messages > batch.messages, "a deletion");

    let profile = ProfileChanges {
        display_name: Some(DisplayName::parse("Bob B").unwrap()),
        location: None,
        content: None,
        image: None,
    };
    store.update_profile(bob, &profile).await.unwrap().unwrap();
    let renamed = version(&store, general).await;
    assert!(renamed.profiles > deleted.profiles, "an author's profile");
    assert_eq!(renamed.messages, deleted.messages);
    store.set_active(bob, false).await.unwrap();
    let shut_out = version(&store, general).await;
    assert!(
        shut_out.profiles > renamed.profiles,
        "an author's updated_at"
    );

    store.delete_account(bob).await.unwrap();
    let gone = version(&store, general).await;
    // Their messages now show "Deleted User": the profiles' version tells, and the channels
    // the author wrote in are left alone.
    assert!(gone.profiles > shut_out.profiles, "an author deleted");
    assert_eq!(
        gone.database, start.database,
        "the same database throughout"
    );
}

mod run {
    crate::conformance!(
        messages_sent_together_keep_their_own_outcomes,
        messages_queued_one_after_another_keep_their_order,
        members_post_and_others_cannot,
        history_pages_by_id_oldest_first,
        only_senders_edit_and_senders_or_owners_delete,
        messages_change_and_go,
        messages_outlive_their_author_but_not_their_channel,
        a_page_holds_each_message_as_read_alone,
        a_page_version_moves_with_every_change_a_page_shows,
    );
}
