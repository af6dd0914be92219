//! `ingest`: senders spread over many channels, each as fast as its messages come back;
//! the figure is the messages stored per second, counted in the channels' histories
//! afterwards (only those sent during the measured window).

use super::{Context, Usage};
use crate::Pace;
use crate::client::Api;
use crate::deliveries::{self, Group};
use crate::fixtures;
use crate::measure::{Counters, Window, progress};
use crate::report::Report;
use futures_util::{StreamExt, TryStreamExt, stream};
use reqwest::Method;
use serde_json::json;
use std::sync::Arc;

pub async fn run(
    context: &Context<'_>,
    channels: usize,
    senders: usize,
    window_size: usize,
) -> anyhow::Result<Report> {
    let common = context.common;
    let (channels, senders) = (channels.max(1), senders.max(channels.max(1)));
    let users = context.users(senders).await?;
    let (server, ids) = fixtures::rooms(&context.api, &users, channels).await?;
    let specs = (0..senders)
        .map(|n| {
            (
                server,
                ids[n % channels],
                users[n % users.len()].access.clone(),
            )
        })
        .collect();
    let mut sockets: Vec<_> = deliveries::open(&context.api, specs)
        .await?
        .into_iter()
        .map(Some)
        .collect();
    let groups = ids
        .iter()
        .enumerate()
        .map(|(c, _)| {
            let mine: Vec<_> = (c..senders)
                .step_by(channels)
                .filter_map(|n| sockets[n].take())
                .collect();
            Group {
                senders: mine.len(),
                sockets: mine,
            }
        })
        .collect();
    let window = Window::starting_now(common.warmup, common.duration);
    let counters = Arc::new(Counters::default());
    let shown = progress(counters.clone(), window, "echoes");
    let usage = Usage::during(common, window);
    let pace = Pace {
        rate: None,
        window: window_size,
        size: 16,
    };
    let outcome = deliveries::run(groups, pace, window, counters).await?;
    shown.await?;
    eprintln!("counting the stored messages");
    let owner = &users[0].access;
    let stored: u64 = stream::iter(&ids)
        .map(|&channel| stored_in_window(&context.api, owner, channel, window))
        .buffer_unordered(8)
        .try_collect::<Vec<_>>()
        .await?
        .into_iter()
        .sum();
    let parameters = json!({"channels": channels, "senders": senders, "window": window_size});
    let mut report = Report::new("ingest", parameters, "messages stored");
    report.throughput(stored, window.seconds());
    report.latencies(outcome.latency.unwrap_or_else(crate::measure::histogram));
    report.errors = outcome.errors;
    report.lost = Some(outcome.sent.saturating_sub(stored));
    report.notes.push(format!("{} messages sent in the window, {stored} of them found in the histories; latency is send → each socket of the channel (the sender's own included) receiving it", outcome.sent));
    Usage::apply(usage.await?, &mut report);
    Ok(report)
}

/// How many of the channel's messages were sent during the window, paging its history
/// from the start.
async fn stored_in_window(
    api: &Api,
    token: &str,
    channel: i64,
    window: Window,
) -> anyhow::Result<u64> {
    let (mut after, mut count) = (0i64, 0u64);
    loop {
        let path = format!("/api/messages/?channel_id={channel}&after={after}&limit=100");
        let page = api.call(Method::GET, &path, Some(token), None).await?;
        let Some(messages) = page.as_array().filter(|m| !m.is_empty()) else {
            return Ok(count);
        };
        for message in messages {
            let stamp = message["content"]
                .as_str()
                .and_then(deliveries::parse)
                .map(|(_, _, stamp)| stamp);
            if stamp.is_some_and(|s| window.contains(window.instant(s))) {
                count += 1;
            }
            after = message["id"].as_i64().unwrap_or(after);
        }
    }
}
