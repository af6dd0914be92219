//! `ready`: one gateway session after another for a person in many servers, each timed from
//! its `identify` to the last byte of its `ready`.

use super::{Context, Usage};
use crate::fixtures;
use crate::measure::{Window, histogram, micros};
use crate::report::Report;
use anyhow::Context as _;
use futures_util::StreamExt;
use serde_json::json;
use std::time::Instant;

pub async fn run(context: &Context<'_>, servers: usize, channels: usize) -> anyhow::Result<Report> {
    let users = context.users(1).await?;
    let person = &users[0];
    fixtures::many_servers(&context.api, person, servers, channels).await?;
    let common = context.common;
    let window = Window::starting_now(common.warmup, common.duration);
    let usage = Usage::during(common, window);
    let (mut latencies, mut measured, mut bytes) = (histogram(), 0u64, 0usize);
    while !window.over() {
        let (took, size) = identify(context, &person.access).await?;
        if window.contains(Instant::now()) {
            latencies.record(micros(took)).ok();
            measured += 1;
            bytes = size;
        }
    }
    let parameters = json!({"servers": servers, "channels": channels});
    let mut report = Report::new("ready", parameters, "ready frames");
    report.throughput(measured, window.seconds());
    report.latencies(latencies);
    report.notes.push(format!(
        "ready: {bytes} bytes for {servers} servers of {channels} channels"
    ));
    Usage::apply(usage.await?, &mut report);
    Ok(report)
}

/// One session: how long from `identify` to `ready`, and `ready`'s size.
async fn identify(
    context: &Context<'_>,
    token: &str,
) -> anyhow::Result<(std::time::Duration, usize)> {
    let mut socket = context.api.gateway_socket().await?;
    let hello = socket.next().await.context("no hello")??;
    anyhow::ensure!(hello.is_text(), "no hello");
    let started = Instant::now();
    let ready = crate::client::identify(&mut socket, token).await?;
    let took = started.elapsed();
    let _ = socket.close(None).await;
    Ok((took, ready.len()))
}
