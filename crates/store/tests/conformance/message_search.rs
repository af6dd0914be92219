//! Message search against a generated data set of 10,000 messages in servers the reader is and
//! is not in and in direct messages the reader is, is not, and was in: every page of every
//! query, with each filter, is exactly what a brute-force scan of the messages the reader may
//! read finds, newest first, and stays so through edits and deletions.

use crate::messages::{account, body, channel};
use futures_util::future::join_all;
use pingme_domain::dms::DmPeople;
use pingme_domain::message_search::{MAX_TOTAL, MessageQuery, Words};
use pingme_domain::messages::{MessageId, MessageWrite, NewMessage, Outgoing};
use pingme_domain::store::Store;
use pingme_domain::{AccountId, ChannelId, ServerId, Timestamp};
use std::sync::Arc;

const MESSAGES: usize = 10_000;
const WORDS: [&str; 24] = [
    "apple", "banana", "cherry", "delta", "echo", "falcon", "garden", "harbor", "island", "jungle",
    "kettle", "lemon", "meadow", "nickel", "orbit", "pepper", "quartz", "river", "saddle",
    "tundra", "umbra", "velvet", "willow", "zephyr",
];

/// A small deterministic generator (the same data set on every run and backend).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % below as u64) as usize
    }

    /// Three to six words, some capitalised, with punctuation between.
    fn text(&mut self) -> String {
        let mut text = String::new();
        for n in 0..3 + self.next(4) {
            let word = WORDS[self.next(WORDS.len())];
            let word = if self.next(5) == 0 {
                word.to_uppercase()
            } else {
                word.to_owned()
            };
            text.push_str(&word);
            text.push_str([" ", ", ", "! ", " — "][n % 4]);
        }
        text
    }
}

/// A message as the brute-force scan sees it.
#[derive(Clone)]
struct Written {
    id: MessageId,
    channel: ChannelId,
    server: Option<ServerId>,
    author: AccountId,
    content: String,
}

struct Place {
    channel: ChannelId,
    server: Option<ServerId>,
    people: Vec<AccountId>,
    /// Whether the reader may read it (at the end).
    readable: bool,
}

async fn dm(store: &Arc<dyn Store>, opener: AccountId, others: &[AccountId]) -> ChannelId {
    match store
        .open_dm(&DmPeople::new(opener, others).unwrap())
        .await
        .unwrap()
    {
        pingme_domain::dms::DmOpening::Opened { dm, .. } => dm.id,
        other => panic!("{other:?}"),
    }
}

/// The places: a server the reader is in (two of them), one it is not in, a conversation
/// of the reader's, one between two others, and a group the reader leaves at the end.
async fn places(store: &Arc<dyn Store>, reader: AccountId, others: [AccountId; 2]) -> Vec<Place> {
    let [one, two] = others;
    let mut places = Vec::new();
    for (owner, members, readable) in [
        (one, vec![reader, two], true),
        (reader, vec![one], true),
        (two, vec![one], false),
    ] {
        let general = channel(store, owner).await;
        let server = store.channel(general).await.unwrap().unwrap().server;
        for member in &members {
            store.join(server, *member).await.unwrap();
        }
        let mut people = members.clone();
        people.push(owner);
        places.push(Place {
            channel: general,
            server: Some(server),
            people,
            readable,
        });
    }
    for (people, readable) in [
        (vec![reader, one], true),
        (vec![one, two], false),
        (vec![reader, one, two], false),
    ] {
        let id = dm(store, people[0], &people[1..]).await;
        places.push(Place {
            channel: id,
            server: None,
            people,
            readable,
        });
    }
    places
}

async fn write(store: &Arc<dyn Store>, places: &[Place]) -> Vec<Written> {
    let mut random = Lcg(17);
    let mut planned = Vec::new();
    for _ in 0..MESSAGES {
        let place = &places[random.next(places.len())];
        let author = place.people[random.next(place.people.len())];
        planned.push((place.channel, place.server, author, random.text()));
    }
    let mut written = Vec::new();
    for chunk in planned.chunks(100) {
        let sends = chunk.iter().map(|(channel, _, author, text)| {
            let out = Outgoing {
                new: NewMessage {
                    channel: *channel,
                    author: *author,
                    body: body(text),
                },
                nonce: None,
                reply_to: None,
                attachments: Vec::new(),
            };
            let store = store.clone();
            async move { store.send_message(&out, Timestamp::now()).await.unwrap() }
        });
        for ((channel, server, author, _), sent) in chunk.iter().zip(join_all(sends).await) {
            let MessageWrite::Done(Ok(sent)) = sent else {
                panic!("not sent: {sent:?}")
            };
            written.push(Written {
                id: sent.message.id,
                channel: *channel,
                server: *server,
                author: *author,
                content: sent.message.content,
            });
        }
    }
    written
}

/// A query and what the scan says it finds: ids, newest first.
fn expected(query: &MessageQuery, written: &[Written], readable: &[ChannelId]) -> Vec<MessageId> {
    let mut ids: Vec<MessageId> = written
        .iter()
        .filter(|m| readable.contains(&m.channel) && query.words.all_in(&m.content))
        .filter(|m| query.server.is_none_or(|s| m.server == Some(s)))
        .filter(|m| query.channel.is_none_or(|c| m.channel == c))
        .filter(|m| query.author.is_none_or(|a| m.author == a))
        .filter(|m| query.before.is_none_or(|b| m.id < b))
        .map(|m| m.id)
        .collect();
    ids.sort_unstable_by(|a, b| b.cmp(a));
    ids
}

/// Every page of the query, following `before`, and the total of the first.
async fn every_page(store: &Arc<dyn Store>, query: &MessageQuery) -> (u32, Vec<MessageId>) {
    let first = store.search_messages(query).await.unwrap();
    let total = first.total;
    let mut ids: Vec<MessageId> = Vec::new();
    let mut page = first;
    loop {
        for message in &page.messages {
            assert!(query.words.all_in(&message.content), "{}", message.content);
        }
        ids.extend(page.messages.iter().map(|m| m.id));
        if page.messages.len() < query.limit as usize {
            return (total, ids);
        }
        let next = MessageQuery {
            before: ids.last().copied(),
            ..query.clone()
        };
        page = store.search_messages(&next).await.unwrap();
    }
}

async fn check_queries(
    store: &Arc<dyn Store>,
    reader: AccountId,
    others: [AccountId; 2],
    places: &[Place],
    written: &[Written],
) {
    let readable: Vec<ChannelId> = places
        .iter()
        .filter(|p| p.readable)
        .map(|p| p.channel)
        .collect();
    let base = |words: &str| MessageQuery {
        viewer: reader,
        words: Words::parse(words).unwrap(),
        server: None,
        channel: None,
        author: None,
        before: None,
        limit: 50,
    };
    let middle = written[written.len() / 2].id;
    let queries = [
        base("apple"),
        base("Banana, CHERRY"),
        base("delta echo falcon"),
        base("zephyr"),
        base("nothing-like-this"),
        MessageQuery {
            server: places[0].server,
            ..base("garden")
        },
        MessageQuery {
            server: places[2].server,
            ..base("garden")
        },
        MessageQuery {
            channel: Some(places[3].channel),
            ..base("harbor")
        },
        MessageQuery {
            channel: Some(places[4].channel),
            ..base("harbor")
        },
        MessageQuery {
            author: Some(others[0]),
            ..base("island")
        },
        MessageQuery {
            before: Some(middle),
            ..base("jungle kettle")
        },
    ];
    let mut found = 0;
    for query in &queries {
        let want = expected(query, written, &readable);
        let (total, got) = every_page(store, query).await;
        assert_eq!(
            total as usize,
            want.len().min(MAX_TOTAL as usize),
            "{query:?}"
        );
        assert_eq!(got, want, "{query:?}");
        found += got.len();
    }
    // The data set is no empty world where every answer is trivially right.
    assert!(found > 2_000, "{found} found in all");
}

async fn a_search_finds_exactly_what_a_scan_of_the_readable_messages_finds(store: Arc<dyn Store>) {
    let reader = account(&store, "reader").await;
    let others = [account(&store, "one").await, account(&store, "two").await];
    let places = places(&store, reader, others).await;
    let mut written = write(&store, &places).await;
    // The reader leaves the group: what it held is no longer the reader's to find.
    store.leave_dm(places[5].channel, reader).await.unwrap();
    check_queries(&store, reader, others, &places, &written).await;

    // Edits and deletions keep the index exact.
    let mut random = Lcg(99);
    for _ in 0..200 {
        let at = random.next(written.len());
        let message = written[at].clone();
        if message.channel == places[5].channel && message.author == reader {
            continue; // no longer the reader's to change
        }
        if random.next(2) == 0 {
            let text = random.text();
            let done = store
                .update_message(message.id, message.author, &body(&text))
                .await
                .unwrap();
            assert!(matches!(done, MessageWrite::Done(_)), "{done:?}");
            written[at].content = text;
        } else {
            store
                .delete_message(message.id, message.author)
                .await
                .unwrap();
            written.remove(at);
        }
    }
    check_queries(&store, reader, others, &places, &written).await;
}

mod run {
    crate::conformance!(a_search_finds_exactly_what_a_scan_of_the_readable_messages_finds);
}
