//! Fan-out: one frame handed to the queues of 1,000 sockets of a channel, then taken out of
//! them again (as their writers would), so that every round starts from empty queues.
//! `cargo bench -p pingme-realtime --bench fanout`

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pingme_domain::{AccountId, ChannelId, ServerId};
use pingme_realtime::{Frame, Hub};
use std::sync::Arc;

const SOCKETS: u64 = 1_000;

fn fanout(c: &mut Criterion) {
    let hub = Arc::new(Hub::default());
    let channel = ChannelId(1);
    let mut connections: Vec<_> = (0..SOCKETS)
        .map(|n| hub.join((ServerId(1), channel), (AccountId(n as i64), 0), 256))
        .collect();
    let frame = Frame::from(format!(
        r#"{{"message":{{"content":"{}"}}}}"#,
        "x".repeat(200)
    ));
    let mut group = c.benchmark_group("fan-out");
    group.throughput(Throughput::Elements(SOCKETS));
    group.bench_function("1 frame into 1,000 socket queues", |b| {
        b.iter(|| {
            hub.deliver(channel, &frame, None);
            for connection in &mut connections {
                connection.frames.try_recv().expect("a queued frame");
            }
        })
    });
    group.finish();
}

criterion_group!(benches, fanout);
criterion_main!(benches);
