//! `fanout` (one channel, many sockets), `gateway-fanout` (one server, many gateway
//! sessions) and `rooms` (many channels, a few sockets each).

use super::{Context, Usage};
use crate::Pace;
use crate::deliveries::{self, Group};
use crate::fixtures;
use crate::measure::{Counters, Window, progress};
use crate::report::Report;
use crate::users::User;
use serde_json::json;
use std::sync::Arc;

pub async fn fanout(
    context: &Context<'_>,
    sockets: usize,
    senders: usize,
    pace: Pace,
) -> anyhow::Result<Report> {
    let senders = senders.clamp(1, sockets.max(1));
    let users = context.users(sockets).await?;
    let (server, channel) = fixtures::server(&context.api, &users).await?;
    let specs = (0..sockets)
        .map(|n| (server, channel, users[n % users.len()].access.clone()))
        .collect();
    let group = Group {
        sockets: deliveries::open(&context.api, specs).await?,
        senders,
    };
    let parameters = json!({"sockets": sockets, "senders": senders, "rate": pace.rate, "window": pace.window, "size": pace.size});
    measure(context, "fanout", parameters, vec![group], pace).await
}

pub async fn gateway_fanout(
    context: &Context<'_>,
    sessions: usize,
    senders: usize,
    pace: Pace,
) -> anyhow::Result<Report> {
    let senders = senders.max(1);
    let users = context.users(sessions.max(senders)).await?;
    let (server, channel) = fixtures::server(&context.api, &users).await?;
    let specs = (0..senders)
        .map(|n| (server, channel, seat(&users, n).access.clone()))
        .collect();
    let mut sockets = deliveries::open(&context.api, specs).await?;
    let tokens = (0..sessions)
        .map(|n| seat(&users, n).access.clone())
        .collect();
    sockets.extend(deliveries::identify(&context.api, tokens).await?);
    let group = Group { sockets, senders };
    let parameters = json!({"sessions": sessions, "senders": senders, "rate": pace.rate, "window": pace.window, "size": pace.size});
    measure(context, "gateway-fanout", parameters, vec![group], pace).await
}

pub async fn rooms(
    context: &Context<'_>,
    channels: usize,
    per_channel: usize,
    pace: Pace,
) -> anyhow::Result<Report> {
    let (channels, per_channel) = (channels.max(1), per_channel.max(1));
    let users = context.users(channels * per_channel).await?;
    let (server, ids) = fixtures::rooms(&context.api, &users, channels).await?;
    let specs = (0..channels * per_channel)
        .map(|n| (server, ids[n / per_channel], seat(&users, n).access.clone()))
        .collect();
    let mut sockets = deliveries::open(&context.api, specs).await?.into_iter();
    let groups = ids
        .iter()
        .map(|_| Group {
            sockets: sockets.by_ref().take(per_channel).collect(),
            senders: 1,
        })
        .collect();
    let parameters = json!({"channels": channels, "per_channel": per_channel, "rate": pace.rate, "window": pace.window, "size": pace.size});
    measure(context, "rooms", parameters, groups, pace).await
}

/// The user of the `n`th socket.
fn seat(users: &[User], n: usize) -> &User {
    &users[n % users.len()]
}

async fn measure(
    context: &Context<'_>,
    scenario: &'static str,
    parameters: serde_json::Value,
    groups: Vec<Group>,
    pace: Pace,
) -> anyhow::Result<Report> {
    let common = context.common;
    let window = Window::starting_now(common.warmup, common.duration);
    let counters = Arc::new(Counters::default());
    let shown = progress(counters.clone(), window, "deliveries");
    let usage = Usage::during(common, window);
    let outcome = deliveries::run(groups, pace, window, counters).await?;
    shown.await?;
    let mut report = Report::new(scenario, parameters, "deliveries");
    report.throughput(outcome.delivered, window.seconds());
    report.latencies(outcome.latency.unwrap_or_else(crate::measure::histogram));
    report.errors = outcome.errors;
    report.lost = Some(outcome.lost);
    report.duplicated = Some(outcome.duplicated);
    report.notes.push(format!(
        "{} messages sent in the window ({:.0}/s), {} in all",
        outcome.sent,
        outcome.sent as f64 / window.seconds(),
        outcome.sent_total
    ));
    Usage::apply(usage.await?, &mut report);
    Ok(report)
}
