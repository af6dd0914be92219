//! The scenarios; each sets up what it needs through the API, applies its load over a
//! warm-up and a measured window, and fills in a [`Report`].

mod chat;
mod idle;
mod ingest;
mod ready;
mod rest;
mod resume;

use crate::client::Api;
use crate::measure::{CpuMeter, Window, rss_kib};
use crate::report::{Report, ServerUsage};
use crate::users;
use crate::{Common, Scenario};

pub async fn run(common: &Common, scenario: &Scenario) -> anyhow::Result<Report> {
    let api = Api::new(&common.base)?;
    let credentials = users::load(&common.users)?;
    let context = Context {
        common,
        api,
        credentials,
    };
    match scenario.clone() {
        Scenario::Rest {
            endpoint,
            concurrency,
            messages,
            channel,
            servers,
            queries,
        } => {
            let data = rest::Data {
                messages,
                channel,
                servers,
                queries,
            };
            rest::run(&context, endpoint, concurrency, data).await
        }
        Scenario::Fanout {
            sockets,
            senders,
            pace,
        } => chat::fanout(&context, sockets, senders, pace).await,
        Scenario::GatewayFanout {
            sessions,
            senders,
            pace,
        } => chat::gateway_fanout(&context, sessions, senders, pace).await,
        Scenario::Ready { servers, channels } => ready::run(&context, servers, channels).await,
        Scenario::ResumeStorm {
            sessions,
            resume_to,
            posts,
        } => resume::run(&context, sessions, resume_to, posts).await,
        Scenario::Rooms {
            channels,
            per_channel,
            pace,
        } => chat::rooms(&context, channels, per_channel, pace).await,
        Scenario::Idle { sockets } => idle::run(&context, sockets).await,
        Scenario::GatewayIdle { sessions } => idle::gateway(&context, sessions).await,
        Scenario::Ingest {
            channels,
            senders,
            window,
        } => ingest::run(&context, channels, senders, window).await,
    }
}

pub struct Context<'a> {
    pub common: &'a Common,
    pub api: Api,
    pub credentials: Vec<users::Credentials>,
}

impl Context<'_> {
    /// Up to `wanted` logged-in users (all of the file's when it has fewer).
    pub async fn users(&self, wanted: usize) -> anyhow::Result<Vec<users::User>> {
        users::login(&self.api, &self.credentials, wanted.max(1)).await
    }
}

/// CPU of the client and (when its process id is known) of the server over the measured
/// window, with the server's memory at its start and end.
pub struct Usage {
    client_cpu: Option<f64>,
    server: Option<ServerUsage>,
}

impl Usage {
    /// Takes the figures in the background: CPU over the window, the server's memory at its
    /// start and end and every second in between.
    pub fn during(common: &Common, window: Window) -> tokio::task::JoinHandle<Usage> {
        let pid = common.server_pid.map(|p| p.to_string());
        tokio::spawn(async move {
            tokio::time::sleep_until(window.from.into()).await;
            let client = CpuMeter::start("self");
            let server = pid.as_ref().map(|pid| (CpuMeter::start(pid), rss_kib(pid)));
            let mut samples: Vec<u64> = server.iter().filter_map(|(_, rss)| *rss).collect();
            let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                tokio::select! {
                    _ = tokio::time::sleep_until(window.until.into()) => break,
                    _ = every.tick() => samples.extend(pid.as_deref().and_then(rss_kib)),
                }
            }
            let after = pid.as_deref().and_then(rss_kib);
            samples.extend(after);
            Usage {
                client_cpu: client.percent(),
                server: server.map(|(cpu, before)| ServerUsage {
                    cpu_percent: cpu.percent(),
                    rss_kib_before: before,
                    rss_kib_after: after,
                    rss_kib_min: samples.iter().copied().min(),
                    rss_kib_max: samples.iter().copied().max(),
                    rss_kib_samples: samples,
                    rss_bytes_per_socket: None,
                }),
            }
        })
    }

    pub fn apply(self, report: &mut Report) {
        report.client_cpu_percent = self.client_cpu;
        report.server = self.server;
    }
}
