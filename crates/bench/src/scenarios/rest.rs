//! `rest`: one endpoint at a fixed concurrency, each worker sending its next request as soon
//! as the last one is answered.

use super::{Context, Usage};
use crate::Endpoint;
use crate::fixtures;
use crate::measure::{Counters, Window, histogram, micros, progress};
use crate::report::Report;
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

/// What the endpoint reads: made through the API before measuring.
pub struct Data {
    /// Messages in the channel `history` reads.
    pub messages: u64,
    /// A channel to read instead of making one.
    pub channel: Option<i64>,
    /// Servers to make for `servers`.
    pub servers: usize,
    /// What `search` looks for.
    pub queries: Vec<String>,
}

pub async fn run(
    context: &Context<'_>,
    endpoint: Endpoint,
    concurrency: usize,
    data: Data,
) -> anyhow::Result<Report> {
    let common = context.common;
    let users = context.users(concurrency.min(64)).await?;
    let (paths, mut parameters) = paths(context, &users, endpoint, &data).await?;
    parameters["concurrency"] = json!(concurrency);
    let window = Window::starting_now(common.warmup, common.duration);
    let counters = Arc::new(Counters::default());
    let shown = progress(counters.clone(), window, "requests");
    let usage = super::Usage::during(common, window);
    let mut workers = tokio::task::JoinSet::new();
    for n in 0..concurrency {
        let (api, paths, counters) = (context.api.clone(), paths.clone(), counters.clone());
        let token = users[n % users.len()].access.clone();
        workers.spawn(async move {
            let (mut latencies, mut answered) = (histogram(), 0u64);
            for path in paths.iter().cycle().skip(n) {
                if window.over() {
                    break;
                }
                let started = Instant::now();
                let ok = api.probe(path, &token).await;
                Counters::add(if ok { &counters.done } else { &counters.errors }, 1);
                if ok && window.contains(started) {
                    latencies.record(micros(started.elapsed())).ok();
                    answered += 1;
                }
            }
            (latencies, answered)
        });
    }
    let (mut latencies, mut answered) = (histogram(), 0);
    while let Some(done) = workers.join_next().await {
        let (part, count) = done?;
        latencies.add(&part).ok();
        answered += count;
    }
    shown.await?;
    let mut report = Report::new("rest", parameters, "requests");
    report.throughput(answered, window.seconds());
    report.latencies(latencies);
    report.errors = Counters::get(&counters.errors);
    Usage::apply(usage.await?, &mut report);
    Ok(report)
}

/// The paths the workers request, after making what they read; and the run's parameters.
async fn paths(
    context: &Context<'_>,
    users: &[crate::users::User],
    endpoint: Endpoint,
    data: &Data,
) -> anyhow::Result<(Arc<Vec<String>>, serde_json::Value)> {
    let mut paths = Vec::new();
    let mut parameters = json!({});
    if matches!(endpoint, Endpoint::Me | Endpoint::Mix) {
        paths.push("/api/account/me/".to_owned());
    }
    if matches!(endpoint, Endpoint::Servers | Endpoint::Mix) {
        for _ in 0..data.servers {
            fixtures::server(&context.api, users).await?;
        }
        parameters["servers made"] = json!(data.servers);
        paths.push("/api/servers/?with_num_members=true".to_owned());
    }
    if matches!(endpoint, Endpoint::History | Endpoint::Mix) {
        let channel = match data.channel {
            Some(channel) => channel,
            None => {
                let room = fixtures::server(&context.api, users).await?;
                fixtures::fill(&context.api, users, room, data.messages).await?;
                parameters["messages"] = json!(data.messages);
                room.1
            }
        };
        paths.push(format!("/api/messages/?channel_id={channel}"));
    }
    if endpoint == Endpoint::Search {
        anyhow::ensure!(
            !data.queries.is_empty(),
            "search needs at least one --query"
        );
        for query in &data.queries {
            paths.push(format!("/api/search/messages/?q={}", encoded(query)));
        }
    }
    parameters["endpoint"] = json!(paths.join(" "));
    Ok((Arc::new(paths), parameters))
}

/// A query parameter's value, percent-encoded but for letters and digits.
fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
