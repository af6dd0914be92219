//! `resume-storm`: K gateway sessions in one server, cut at once (the node they are on is
//! restarted or killed by whoever runs the benchmark, once this prints that it is ready), all
//! resuming on `--resume-to` (the same node back, or another): the time from the cut until
//! every one has `resumed`, and whether each got every message posted meanwhile once.

use super::Context;
use crate::client::{Api, Socket, content_of};
use crate::fixtures;
use crate::measure::{histogram, micros};
use crate::report::Report;
use anyhow::{Context as _, bail};
use futures_util::{SinkExt, StreamExt, TryStreamExt, stream};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// How long the node may take to cut the sessions, and to come back.
const WAIT: Duration = Duration::from_secs(120);

/// One session as its client knows it.
struct Held {
    token: String,
    session: String,
    last: u64,
    contents: Vec<String>,
}

pub async fn run(
    context: &Context<'_>,
    sessions: usize,
    resume_to: Option<String>,
    posts: usize,
) -> anyhow::Result<Report> {
    let users = context.users(sessions.min(200)).await?;
    let (_, channel) = fixtures::server(&context.api, &users).await?;
    let tokens: Vec<String> = (0..sessions)
        .map(|n| users[n % users.len()].access.clone())
        .collect();
    let opened: Vec<(Socket, Held)> = stream::iter(tokens)
        .map(|token| identify(&context.api, token))
        .buffered(64)
        .try_collect()
        .await?;
    let readers: Vec<_> = opened
        .into_iter()
        .map(|(socket, held)| tokio::spawn(read_until_cut(socket, held)))
        .collect();
    eprintln!("resume-storm: {sessions} sessions identified; restart the node now");
    let mut held = Vec::with_capacity(sessions);
    for reader in readers {
        held.push(
            tokio::time::timeout(WAIT, reader)
                .await
                .context("a session never cut")??,
        );
    }
    let cut = Instant::now();
    eprintln!("resume-storm: all cut; resuming");
    let target = Api::new(resume_to.as_deref().unwrap_or(&context.common.base))?;
    let poster = users[0].access.clone();
    let posting = {
        let target = Api::new(resume_to.as_deref().unwrap_or(&context.common.base))?;
        tokio::spawn(async move { post(&target, &poster, channel, posts).await })
    };
    let resumes: Vec<_> = held
        .into_iter()
        .map(|held| {
            let target = target.clone();
            tokio::spawn(async move { resume(&target, held, cut).await })
        })
        .collect();
    let posted = posting.await??;
    let mut latencies = histogram();
    let (mut resumed, mut refused, mut lost, mut duplicated, mut slowest) = (0, 0, 0, 0, 0.0f64);
    for outcome in resumes {
        match outcome.await? {
            Ok((took, mut session)) => {
                resumed += 1;
                latencies.record(micros(took)).ok();
                slowest = slowest.max(took.as_secs_f64());
                finish(&mut session, &posted).await;
                let (l, d) = tally(&session.held.contents, &posted);
                lost += l;
                duplicated += d;
            }
            Err(_) => refused += 1,
        }
    }
    let parameters = json!({"sessions": sessions, "posts": posts});
    let mut report = Report::new("resume-storm", parameters, "sessions resumed");
    report.throughput(resumed, slowest);
    report.latencies(latencies);
    report.errors = refused;
    report.lost = Some(lost);
    report.duplicated = Some(duplicated);
    report.notes.push(format!(
        "{resumed} of {sessions} sessions resumed, the last {slowest:.2} s after the cut; {refused} refused; {} messages posted meanwhile",
        posted.len()
    ));
    Ok(report)
}

/// Identifies a session: its socket, past `ready`.
async fn identify(api: &Api, token: String) -> anyhow::Result<(Socket, Held)> {
    let mut socket = api.gateway_socket().await?;
    let ready: Value = serde_json::from_str(&crate::client::identify(&mut socket, &token).await?)?;
    let session = ready["d"]["session_id"].as_str().context("a session id")?;
    let held = Held {
        token,
        session: session.to_owned(),
        last: 1,
        contents: Vec::new(),
    };
    Ok((socket, held))
}

/// Reads dispatches until the socket is cut.
async fn read_until_cut(mut socket: Socket, mut held: Held) -> Held {
    while let Some(Ok(message)) = socket.next().await {
        if let Message::Text(text) = message {
            seen(&mut held, &text);
        }
    }
    held
}

/// Notes a dispatch: its number and, for a message, its content.
fn seen(held: &mut Held, text: &str) -> bool {
    if text.starts_with(r#"{"op":"dispatch","t":"resumed""#) {
        return true;
    }
    if let Some(seq) = number(text) {
        held.last = seq;
    }
    if let Some(content) = content_of(text) {
        held.contents.push(content.to_owned());
    }
    false
}

fn number(frame: &str) -> Option<u64> {
    let at = frame.find(r#","s":"#)? + 5;
    let digits: String = frame[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Resumes on `api` (retrying the connection while the node comes back): how long after the
/// cut `resumed` came, and the session reading on.
async fn resume(api: &Api, mut held: Held, cut: Instant) -> anyhow::Result<(Duration, Resumed)> {
    let mut socket = loop {
        match api.gateway_socket().await {
            Ok(socket) => break socket,
            Err(_) if cut.elapsed() < WAIT => tokio::time::sleep(Duration::from_millis(50)).await,
            Err(error) => return Err(error),
        }
    };
    let resume = json!({"op": "resume", "d": {"token": held.token, "session_id": held.session, "seq": held.last}});
    socket.send(Message::text(resume.to_string())).await?;
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => {
                if text.starts_with(r#"{"op":"invalid_session""#) {
                    bail!("invalid_session");
                }
                if seen(&mut held, &text) {
                    return Ok((cut.elapsed(), Resumed { socket, held }));
                }
            }
            Some(Ok(_)) => {}
            other => bail!("the gateway ended before resumed: {other:?}"),
        }
    }
}

struct Resumed {
    socket: Socket,
    held: Held,
}

/// Reads on until every posted message came, or a few seconds of silence.
async fn finish(resumed: &mut Resumed, posted: &[String]) {
    while resumed.held.contents.len() < posted.len() {
        match tokio::time::timeout(Duration::from_secs(5), resumed.socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => {
                seen(&mut resumed.held, &text);
            }
            Ok(Some(Ok(_))) => {}
            _ => return,
        }
    }
}

/// Messages posted and not received, and received more than once.
fn tally(received: &[String], posted: &[String]) -> (u64, u64) {
    let mut counts: HashMap<&str, u64> = HashMap::new();
    for content in received {
        *counts.entry(content).or_default() += 1;
    }
    let lost = posted
        .iter()
        .filter(|p| !counts.contains_key(p.as_str()))
        .count() as u64;
    let duplicated = counts.values().map(|n| n.saturating_sub(1)).sum();
    (lost, duplicated)
}

/// Posts `count` messages (retrying while the node comes back); their contents.
async fn post(api: &Api, token: &str, channel: i64, count: usize) -> anyhow::Result<Vec<String>> {
    let started = Instant::now();
    let mut posted = Vec::with_capacity(count);
    for n in 0..count {
        let content = format!("storm-{n}");
        let body = json!({"channel_id": channel, "content": content, "nonce": content});
        loop {
            match api
                .call(
                    Method::POST,
                    "/api/messages/",
                    Some(token),
                    Some(body.clone()),
                )
                .await
            {
                Ok(_) => break,
                Err(_) if started.elapsed() < WAIT => {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                Err(error) => return Err(error),
            }
        }
        posted.push(content);
    }
    Ok(posted)
}
