//! Encoding the frame of a new message: done once per message and shared by every socket of
//! the channel, so it bounds how many messages a channel can take per second.
//! `cargo bench -p pingme-api --bench frames`

use criterion::{Criterion, criterion_group, criterion_main};
use pingme_api::chat::frames;
use pingme_api::chat::views::{SocketMessage, SocketUser};
use pingme_domain::Timestamp;
use std::hint::black_box;

fn message(content: &str) -> SocketMessage {
    let at = Timestamp::from_unix_micros(1_764_100_000_123_456).expect("a valid time");
    SocketMessage {
        id: 1_234_567,
        user: SocketUser {
            id: Some(42),
            username: "ann".into(),
            image_url: "http://127.0.0.1:8000/media/avatars/ann.png".into(),
        },
        content: content.into(),
        timestamp_created: at,
        timestamp_updated: at,
    }
}

fn encoding(c: &mut Criterion) {
    let short = message("hello, how is everyone doing today?");
    let long = message(&"a \"quoted\" line with ünïcödé\n".repeat(130));
    let mut group = c.benchmark_group("new_message frame");
    group.bench_function("short message", |b| {
        b.iter(|| frames::new_message(black_box(&short), Some("n-1")))
    });
    group.bench_function("4,000-character message", |b| {
        b.iter(|| frames::new_message(black_box(&long), None))
    });
    group.finish();
}

criterion_group!(benches, encoding);
criterion_main!(benches);
