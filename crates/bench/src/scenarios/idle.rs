//! `idle` and `gateway-idle`: open chat sockets or identify gateway sessions and hold them
//! (answering the server's pings); with the server's process id, what each one costs it in
//! memory. Gateway sessions heartbeat once after the warm-up, with the last number they saw,
//! as a client does every `heartbeat_interval_ms`: the memory is measured before and after.

use super::Context;
use crate::client::Socket;
use crate::deliveries;
use crate::fixtures;
use crate::measure::{CpuMeter, rss_kib};
use crate::report::{Report, ServerUsage};
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

pub async fn run(context: &Context<'_>, sockets: usize) -> anyhow::Result<Report> {
    let users = context.users(sockets.min(200)).await?;
    let (server, channel) = fixtures::server(&context.api, &users).await?;
    let specs = (0..sockets)
        .map(|n| (server, channel, users[n % users.len()].access.clone()))
        .collect();
    let opening = async {
        let sockets = deliveries::open(&context.api, specs).await?;
        Ok(sockets.into_iter().map(|s| (s, None)).collect())
    };
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
    let opening = async {
        let sessions = deliveries::identify_seeing(&context.api, tokens).await?;
        Ok(sessions
            .into_iter()
            .map(|(s, seen)| (s, Some(seen)))
            .collect())
    };
    let parameters = json!({"sessions": sessions});
    hold(context, "gateway-idle", parameters, "sessions", opening).await
}

/// How long the server's idle blocking threads live, and a little more.
const BLOCKING_THREADS_END: Duration = Duration::from_secs(11);

/// Opens the sockets `opening` makes (gateway sessions with the last number they saw), holds
/// them for the run, and reports how fast they opened and what each one cost the server.
async fn hold(
    context: &Context<'_>,
    scenario: &'static str,
    parameters: serde_json::Value,
    what: &str,
    opening: impl Future<Output = anyhow::Result<Vec<(Socket, Option<u64>)>>>,
) -> anyhow::Result<Report> {
    let common = context.common;
    let pid = common.server_pid.map(|p| p.to_string());
    if pid.is_some() {
        // The server hashed the people's passwords as they logged in, on blocking threads
        // that end once idle for 10 s (tokio's default), taking their memory with them:
        // measured before that, the baseline would be too high by up to some 40 MiB.
        tokio::time::sleep(BLOCKING_THREADS_END).await;
    }
    let before = pid.as_deref().and_then(rss_kib);
    let started = Instant::now();
    let opened = opening.await?;
    let sockets = opened.len();
    let opening = started.elapsed().as_secs_f64();
    let mut readers = tokio::task::JoinSet::new();
    let (heartbeat, beat) = tokio::sync::watch::channel(());
    for (socket, seen) in opened {
        readers.spawn(read_and_beat(socket, seen, beat.clone()));
    }
    tokio::time::sleep(common.warmup).await;
    let gateway = what == "sessions";
    let unacknowledged = pid.as_deref().and_then(rss_kib);
    if gateway {
        heartbeat.send_replace(());
    }
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
    if let (true, Some(before), Some(unacknowledged)) = (gateway, before, unacknowledged) {
        let each = (unacknowledged.saturating_sub(before) * 1024) as f64 / sockets.max(1) as f64;
        report.notes.push(format!(
            "before their heartbeat (the dispatches they were sent still kept for a resume): \
             {each:.0} B per session"
        ));
    }
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
    drop(heartbeat);
    tokio::time::sleep(Duration::from_millis(100)).await;
    Ok(report)
}

/// Reads (which answers pings) until the socket ends, which is an error here; a gateway
/// session (`seen`: the last number it saw) heartbeats whenever `beat` says so.
async fn read_and_beat(
    socket: Socket,
    mut seen: Option<u64>,
    mut beat: tokio::sync::watch::Receiver<()>,
) {
    let (mut write, mut read) = socket.split();
    beat.mark_unchanged();
    loop {
        tokio::select! {
            message = read.next() => match message {
                Some(Ok(message)) if !message.is_close() => {
                    if let (Some(seen), Some(seq)) =
                        (seen.as_mut(), message.to_text().ok().and_then(deliveries::seq_of))
                    {
                        *seen = seq;
                    }
                }
                _ => break,
            },
            Ok(()) = beat.changed(), if seen.is_some() => {
                let frame = json!({"op": "heartbeat", "d": {"seq": seen}}).to_string();
                if write.send(Message::text(frame)).await.is_err() {
                    break;
                }
            }
        }
    }
}
