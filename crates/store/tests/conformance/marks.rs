//! Replies, reactions and pins: what a message refers to and the marks people put on it,
//! decided in the write's transaction and read back the same on every path (a page, one
//! message, the pins).

use crate::messages::{account, body, channel, say};
use pingme_domain::messages::{
    Emoji, MAX_PINS, MAX_REACTIONS, Message, MessageId, MessageWrite, NewMessage, Outgoing, Page,
    Pinned, Reacted, Sent, Unusable,
};
use pingme_domain::store::Store;
use pingme_domain::{AccountId, ChannelId, Timestamp};
use std::sync::Arc;

fn emoji(text: &str) -> Emoji {
    Emoji::parse(text).unwrap()
}

async fn reply(
    store: &Arc<dyn Store>,
    channel: ChannelId,
    author: AccountId,
    text: &str,
    to: MessageId,
) -> MessageWrite<Result<Sent, Unusable>> {
    let out = Outgoing {
        new: NewMessage {
            channel,
            author,
            body: body(text),
        },
        nonce: None,
        reply_to: Some(to),
        attachments: Vec::new(),
    };
    store.send_message(&out, Timestamp::now()).await.unwrap()
}

async fn latest(store: &Arc<dyn Store>, channel: ChannelId, reader: AccountId) -> Vec<Message> {
    let page = Page::Latest { limit: 50 };
    store.messages(channel, page, Some(reader)).await.unwrap()
}

async fn one(store: &Arc<dyn Store>, id: MessageId, reader: Option<AccountId>) -> Message {
    store.message(id, reader).await.unwrap().unwrap()
}

async fn a_reply_carries_an_excerpt_of_its_original_until_it_is_deleted(store: Arc<dyn Store>) {
    let (ann, bob) = (account(&store, "ann").await, account(&store, "bob").await);
    let general = channel(&store, ann).await;
    let server = store.channel(general).await.unwrap().unwrap().server;
    store.join(server, bob).await.unwrap();
    let long = format!("{}{}", "é".repeat(99), "xyz");
    let original = say(&store, general, ann, &long).await;

    let MessageWrite::Done(Ok(sent)) = reply(&store, general, bob, "yes", original).await else {
        panic!("a member replies to a message of the channel");
    };
    let answer = sent.message.reply_to.clone().expect("a reply");
    assert_eq!(answer.id, original);
    let excerpt = answer.excerpt.expect("the original is there");
    assert_eq!(
        excerpt.content,
        format!("{}x", "é".repeat(99)),
        "100 characters"
    );
    let author = excerpt.author.expect("its author");
    assert_eq!((author.id, author.display_name.as_str()), (ann, "ann"));
    // The same on every path that reads it.
    assert_eq!(one(&store, sent.message.id, Some(bob)).await, sent.message);
    assert_eq!(latest(&store, general, bob).await[1], sent.message);

    store.delete_message(original, ann).await.unwrap();
    let after = one(&store, sent.message.id, None).await;
    let answer = after.reply_to.expect("still a reply");
    assert_eq!((answer.id, &answer.excerpt), (original, &None));
    assert_eq!(latest(&store, general, bob).await[0].reply_to, Some(answer));
}

async fn a_reply_only_answers_a_message_of_its_channel(store: Arc<dyn Store>) {
    let ann = account(&store, "ann").await;
    let (general, elsewhere) = (channel(&store, ann).await, channel(&store, ann).await);
    let there = say(&store, elsewhere, ann, "over there").await;
    let before = latest(&store, general, ann).await.len();
    for to in [there, MessageId(there.0 + 1000)] {
        assert_eq!(
            reply(&store, general, ann, "hm", to).await,
            MessageWrite::Done(Err(Unusable::ReplyTo)),
        );
    }
    assert_eq!(
        latest(&store, general, ann).await.len(),
        before,
        "nothing written"
    );
    let stranger = account(&store, "eve").await;
    assert_eq!(
        reply(&store, general, stranger, "hm", there).await,
        MessageWrite::Refused,
        "a stranger learns nothing of the message",
    );
}

async fn reactions_count_people_once_each_and_know_the_reader(store: Arc<dyn Store>) {
    let (ann, bob, eve) = (
        account(&store, "ann").await,
        account(&store, "bob").await,
        account(&store, "eve").await,
    );
    let general = channel(&store, ann).await;
    let server = store.channel(general).await.unwrap().unwrap().server;
    store.join(server, bob).await.unwrap();
    let id = say(&store, general, ann, "react").await;

    let (thumbs, heart) = (emoji("👍"), emoji("❤️"));
    for (who, what, outcome) in [
        (bob, &thumbs, Reacted::Changed(1)),
        (ann, &heart, Reacted::Changed(1)),
        (ann, &thumbs, Reacted::Changed(2)),
        (bob, &thumbs, Reacted::Unchanged),
    ] {
        let version = store.page_version(general).await.unwrap();
        let done = store.add_reaction(id, who, what).await.unwrap();
        assert_eq!(done, MessageWrite::Done(outcome));
        let moved = store.page_version(general).await.unwrap() != version;
        assert_eq!(
            moved,
            outcome != Reacted::Unchanged,
            "the version follows changes only"
        );
    }
    let seen = |message: Message| {
        message
            .reactions
            .iter()
            .map(|r| (r.emoji.as_str().to_owned(), r.count, r.me))
            .collect::<Vec<_>>()
    };
    let by_bob = seen(one(&store, id, Some(bob)).await);
    assert_eq!(by_bob, [("👍".into(), 2, true), ("❤️".into(), 1, false)]);
    let by_ann = seen(latest(&store, general, ann).await.pop().unwrap());
    assert_eq!(by_ann, [("👍".into(), 2, true), ("❤️".into(), 1, true)]);
    let page = Page::Latest { limit: 50 };
    let by_nobody = seen(
        store
            .messages(general, page, None)
            .await
            .unwrap()
            .pop()
            .unwrap(),
    );
    assert_eq!(
        by_nobody,
        [("👍".into(), 2, false), ("❤️".into(), 1, false)]
    );
    assert_eq!(
        store
            .reactions_by(bob, &[MessageId(id.0 + 1), id])
            .await
            .unwrap(),
        [(id, thumbs.clone())]
    );
    assert!(store.reactions_by(eve, &[id]).await.unwrap().is_empty());

    assert_eq!(
        store.add_reaction(id, eve, &heart).await.unwrap(),
        MessageWrite::Refused
    );
    assert_eq!(
        store.remove_reaction(id, eve, &heart).await.unwrap(),
        MessageWrite::Refused
    );
    let gone = MessageId(id.0 + 1000);
    assert_eq!(
        store.add_reaction(gone, ann, &heart).await.unwrap(),
        MessageWrite::Missing
    );
    for (outcome, expected) in [(Reacted::Changed(1), 1), (Reacted::Unchanged, 1)] {
        let version = store.page_version(general).await.unwrap();
        let done = store.remove_reaction(id, bob, &thumbs).await.unwrap();
        assert_eq!(done, MessageWrite::Done(outcome));
        let moved = store.page_version(general).await.unwrap() != version;
        assert_eq!(moved, outcome != Reacted::Unchanged);
        // In the order the reactions still there were first given.
        let after = seen(one(&store, id, Some(bob)).await);
        assert_eq!(after[1], ("👍".into(), expected, false));
    }
    // Gone with the person who gave them.
    store.delete_account(ann).await.unwrap();
    let left = seen(one(&store, id, Some(bob)).await);
    assert!(left.is_empty(), "{left:?}");
}

async fn a_message_takes_at_most_twenty_different_emoji(store: Arc<dyn Store>) {
    let (ann, bob) = (account(&store, "ann").await, account(&store, "bob").await);
    let general = channel(&store, ann).await;
    let server = store.channel(general).await.unwrap().unwrap().server;
    store.join(server, bob).await.unwrap();
    let id = say(&store, general, ann, "many").await;
    let set: Vec<Emoji> = emojis_iter().take(MAX_REACTIONS + 1).collect();
    for emoji in &set[..MAX_REACTIONS] {
        let done = store.add_reaction(id, ann, emoji).await.unwrap();
        assert_eq!(done, MessageWrite::Done(Reacted::Changed(1)));
    }
    let extra = &set[MAX_REACTIONS];
    assert_eq!(
        store.add_reaction(id, bob, extra).await.unwrap(),
        MessageWrite::Done(Reacted::TooMany)
    );
    // One of the twenty may still be given by someone else.
    assert_eq!(
        store.add_reaction(id, bob, &set[0]).await.unwrap(),
        MessageWrite::Done(Reacted::Changed(2))
    );
    assert_eq!(one(&store, id, None).await.reactions.len(), MAX_REACTIONS);
}

async fn twenty_emoji_and_fifty_pins_hold_when_writers_race(store: Arc<dyn Store>) {
    let ann = account(&store, "ann").await;
    let general = channel(&store, ann).await;
    let id = say(&store, general, ann, "race").await;
    let all: Vec<Emoji> = emojis_iter().collect();
    let adds = all.iter().map(|e| {
        let store = store.clone();
        let e = e.clone();
        async move { store.add_reaction(id, ann, &e).await.unwrap() }
    });
    let outcomes = futures_util::future::join_all(adds).await;
    let added = outcomes
        .iter()
        .filter(|o| matches!(o, MessageWrite::Done(Reacted::Changed(_))))
        .count();
    assert_eq!(added, MAX_REACTIONS, "{outcomes:?}");
    assert_eq!(one(&store, id, None).await.reactions.len(), MAX_REACTIONS);

    let mut ids = Vec::new();
    for n in 0..MAX_PINS + 10 {
        ids.push(say(&store, general, ann, &format!("p{n}")).await);
    }
    let pins = ids.iter().map(|m| {
        let store = store.clone();
        let m = *m;
        async move { store.set_pinned(m, ann, true).await.unwrap() }
    });
    let pinned = futures_util::future::join_all(pins)
        .await
        .into_iter()
        .filter(|o| matches!(o, MessageWrite::Done(Pinned::Changed(_))))
        .count();
    assert_eq!(pinned, MAX_PINS);
    assert_eq!(store.pins(general, ann).await.unwrap().len(), MAX_PINS);
}

fn emojis_iter() -> impl Iterator<Item = Emoji> {
    [
        "😀", "😃", "😄", "😁", "😆", "😅", "🤣", "😂", "🙂", "🙃", "😉", "😊", "😇",
    ]
    .into_iter()
    .chain([
        "🥰", "😍", "🤩", "😘", "😗", "😚", "😙", "🥲", "😋", "😛", "😜", "🤪", "😝",
    ])
    .map(emoji)
}

async fn the_owner_pins_and_the_pins_are_listed_latest_first(store: Arc<dyn Store>) {
    let (ann, bob) = (account(&store, "ann").await, account(&store, "bob").await);
    let general = channel(&store, ann).await;
    let server = store.channel(general).await.unwrap().unwrap().server;
    store.join(server, bob).await.unwrap();
    let first = say(&store, general, bob, "first").await;
    let second = say(&store, general, bob, "second").await;

    assert_eq!(
        store.set_pinned(first, bob, true).await.unwrap(),
        MessageWrite::Refused,
        "a member is not the owner"
    );
    for id in [first, second] {
        let version = store.page_version(general).await.unwrap();
        let MessageWrite::Done(Pinned::Changed(message)) =
            store.set_pinned(id, ann, true).await.unwrap()
        else {
            panic!("the owner pins");
        };
        assert!(message.pinned && !message.edited());
        assert_ne!(store.page_version(general).await.unwrap(), version);
    }
    let version = store.page_version(general).await.unwrap();
    assert_eq!(
        store.set_pinned(first, ann, true).await.unwrap(),
        MessageWrite::Done(Pinned::Unchanged)
    );
    let pins: Vec<MessageId> = store
        .pins(general, bob)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(pins, [second, first]);
    assert!(latest(&store, general, bob).await.iter().all(|m| m.pinned));

    assert_eq!(
        store.page_version(general).await.unwrap(),
        version,
        "pinning again changed nothing"
    );
    let MessageWrite::Done(Pinned::Changed(unpinned)) =
        store.set_pinned(second, ann, false).await.unwrap()
    else {
        panic!("the owner unpins");
    };
    assert!(!unpinned.pinned);
    assert_ne!(
        store.page_version(general).await.unwrap(),
        version,
        "an unpin moves it"
    );
    assert_eq!(store.pins(general, bob).await.unwrap().len(), 1);
    assert_eq!(
        store
            .set_pinned(MessageId(second.0 + 1000), ann, true)
            .await
            .unwrap(),
        MessageWrite::Missing
    );
}

async fn a_channel_keeps_at_most_fifty_pins(store: Arc<dyn Store>) {
    let ann = account(&store, "ann").await;
    let general = channel(&store, ann).await;
    let mut ids = Vec::new();
    for n in 0..=MAX_PINS {
        ids.push(say(&store, general, ann, &format!("m{n}")).await);
    }
    for id in &ids[..MAX_PINS] {
        let done = store.set_pinned(*id, ann, true).await.unwrap();
        assert!(matches!(done, MessageWrite::Done(Pinned::Changed(_))));
    }
    assert_eq!(
        store.set_pinned(ids[MAX_PINS], ann, true).await.unwrap(),
        MessageWrite::Done(Pinned::TooMany)
    );
    store.set_pinned(ids[0], ann, false).await.unwrap();
    let done = store.set_pinned(ids[MAX_PINS], ann, true).await.unwrap();
    assert!(matches!(done, MessageWrite::Done(Pinned::Changed(_))));
}

mod run {
    crate::conformance!(
        a_reply_carries_an_excerpt_of_its_original_until_it_is_deleted,
        a_reply_only_answers_a_message_of_its_channel,
        reactions_count_people_once_each_and_know_the_reader,
        a_message_takes_at_most_twenty_different_emoji,
        twenty_emoji_and_fifty_pins_hold_when_writers_race,
        the_owner_pins_and_the_pins_are_listed_latest_first,
        a_channel_keeps_at_most_fifty_pins,
    );
}
