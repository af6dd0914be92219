//! `idle` and `gateway-idle`: open chat sockets or identify gateway sessions and hold them
//! (answering the server's pings); with the server's process id, what each one costs it in
//! memory.

use super::Context;
use crate::client::Socket;
use crate::deliveries;
use crate::fixtures;
use crate::measure::{CpuMeter, rss_kib};
use crate::report::{Report, ServerUsage};
use futures_util::StreamExt;
use serde_json::json;
use std::time::{Duration, Instant};

pub async fn run(context: &Context<'_>, sockets: usize) -> anyhow::Result<Report> {
    let users = context.users(sockets.min(200)).await?;
    let (server, channel) = fixtures::server(&context.api, &users).await?;
    let specs = (0..sockets)
        .map(|n| (server, channel, users[n % users.len()].access.clone()))
        .collect();
    let opening = async { deliveries::open(&context.api, specs).await };
    hold(
        context,
        "idle",
        json!({"sockets": sockets}),
        "sockets",
        opening,
    )
    .await
}

/// `gateway-idle`: the same with identified gateway sessions.
pub async fn gateway(context: &Context<'_>, sessions: usize) -> anyhow::Result<Report> {
    let users = context.users(sessions.min(200)).await?;
    fixtures::server(&context.api, &users).await?;
    let tokens = (0..sessions)
        .map(|n| users[n % users.len()].access.clone())
        .collect();
    let opening = async { deliveries::identify(&context.api, tokens).await };
    let parameters = json!({"sessions": sessions});
    hold(context, "gateway-idle", parameters, "sessions", opening).await
}

/// Opens the sockets `opening` makes, holds them for the run, and reports how fast they
/// opened and what each one cost the server.
async fn hold(
    context: &Context<'_>,
    scenario: &'static str,
    parameters: serde_json::Value,
    what: &str,
    opening: impl Future<Output = anyhow::Result<Vec<Socket>>>,
) -> anyhow::Result<Report> {
    let common = context.common;
    let pid = common.server_pid.map(|p| p.to_string());
    let before = pid.as_deref().and_then(rss_kib);
    let started = Instant::now();
    let opened = opening.await?;
    let sockets = opened.len();
    let opening = started.elapsed().as_secs_f64();
    let mut readers = tokio::task::JoinSet::new();
    for socket in opened {
        // Reading answers pings; anything that ends the socket is an error here.
        readers.spawn(async move {
            let (_write, mut read) = socket.split();
            while let Some(Ok(message)) = read.next().await {
                if message.is_close() {
                    break;
                }
            }
        });
    }
    tokio::time::sleep(common.warmup).await;
    let client = CpuMeter::start("self");
    let server_cpu = pid.as_deref().map(CpuMeter::start);
    let deadline = tokio::time::Instant::now() + common.duration;
    let mut dropped = 0u64;
    loop {
        match tokio::time::timeout_at(deadline, readers.join_next()).await {
            Ok(Some(_)) => dropped += 1,
            Ok(None) => break tokio::time::sleep_until(deadline).await,
            Err(_) => break,
        }
    }
    let after = pid.as_deref().and_then(rss_kib);
    // The throughput is how fast the sockets were opened; the memory is the point.
    let unit = if what == "sessions" {
        "sessions opened"
    } else {
        "sockets opened"
    };
    let mut report = Report::new(scenario, parameters, unit);
    report.throughput(sockets as u64, opening);
    // Sockets the server dropped while they were held.
    report.errors = dropped;
    report.client_cpu_percent = client.percent();
    report.notes.push(format!(
        "{sockets} {what} opened in {opening:.1} s, then held for {:.0} s",
        common.duration.as_secs_f64()
    ));
    report.server = pid.as_ref().map(|_| ServerUsage {
        cpu_percent: server_cpu.and_then(|c| c.percent()),
        rss_kib_before: before,
        rss_kib_after: after,
        rss_bytes_per_socket: before
            .zip(after)
            .map(|(b, a)| (a.saturating_sub(b) * 1024) as f64 / sockets.max(1) as f64),
        ..ServerUsage::default()
    });
    readers.abort_all();
    tokio::time::sleep(Duration::from_millis(100)).await;
    Ok(report)
}
