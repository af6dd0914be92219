//! `pingme-bench`: drives a chat server through the contract's Level 1 protocol (REST and
//! the per-channel WebSocket) and measures it. It knows nothing of pingme's insides, so it can
//! be pointed at any implementation of the protocol. The binary is `src/main.rs`; this
//! library is what it runs, also used by pingme's tests to check every scenario runs.

mod client;
pub mod curves;
mod deliveries;
mod fixtures;
mod measure;
mod report;
mod scenarios;
mod users;

pub use report::Report;
pub use scenarios::run;

use clap::{Args, Parser, Subcommand, ValueEnum};
use pingme_domain::duration::parse_duration_or_zero;

use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(name = "pingme-bench", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    #[command(subcommand)]
    pub scenario: Scenario,
}

/// What every scenario takes.
#[derive(Args, Clone, Debug)]
pub struct Common {
    /// The server's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8000", global = true)]
    pub base: String,
    /// Verified users, one `username,password` per line (a `username,password` header is
    /// skipped). `pingme admin create-users` writes such a file.
    #[arg(long, default_value = "users.csv", global = true)]
    pub users: PathBuf,
    /// How long the figures are taken over, after the warm-up (`10s`, `2m`).
    #[arg(long, default_value = "10s", value_parser = parse_duration_or_zero, global = true)]
    pub duration: Duration,
    /// Load applied before measuring starts, left out of every figure.
    #[arg(long, default_value = "2s", value_parser = parse_duration_or_zero, global = true)]
    pub warmup: Duration,
    /// Also write the results as JSON to this file, and the latency histogram as a PNG
    /// next to it.
    #[arg(long, global = true)]
    pub json: Option<PathBuf>,
    /// The server's process id, when it runs on this machine: its memory and CPU are
    /// reported alongside.
    #[arg(long, global = true)]
    pub server_pid: Option<u32>,
    /// Worker threads of the client.
    #[arg(long, default_value_t = 2, global = true)]
    pub threads: usize,
}

#[derive(Subcommand, Clone, Debug)]
pub enum Scenario {
    /// Requests at a fixed concurrency: requests/s and latency.
    Rest {
        #[arg(long, value_enum, default_value = "me")]
        endpoint: Endpoint,
        /// Requests in flight at any time.
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// For `history`: messages in the channel read (filled through the socket first).
        #[arg(long, default_value_t = 1_000)]
        messages: u64,
        /// For `history`: read this channel instead of making and filling one.
        #[arg(long)]
        channel: Option<i64>,
        /// For `servers`: public servers to make first (each with every user as a member), on
        /// top of whatever the server already holds.
        #[arg(long, default_value_t = 0)]
        servers: usize,
        /// For `search`: the queries, each worker going through them in turn.
        #[arg(long = "query")]
        queries: Vec<String>,
    },
    /// One channel, many sockets, some of them sending: deliveries/s, send→receive latency,
    /// lost and duplicated deliveries.
    Fanout {
        /// Sockets in the channel.
        #[arg(long, default_value_t = 1_000)]
        sockets: usize,
        /// How many of them send.
        #[arg(long, default_value_t = 10)]
        senders: usize,
        #[command(flatten)]
        pace: Pace,
    },
    /// One server, many identified gateway sessions receiving its messages, sent by a few
    /// chat sockets: deliveries/s, send→receive latency, lost and duplicated deliveries (the
    /// senders' own sockets count too). Runs must end within `PINGME_WS_IDLE` (75 s): the
    /// sessions send no heartbeats.
    GatewayFanout {
        /// Gateway sessions, each a member of the server.
        #[arg(long, default_value_t = 1_000)]
        sessions: usize,
        /// Chat sockets sending into the server's channel.
        #[arg(long, default_value_t = 10)]
        senders: usize,
        #[command(flatten)]
        pace: Pace,
    },
    /// Identifies K gateway sessions in one server, says so (on stderr) and waits for the
    /// node to cut them all (restart or kill it then); then every session resumes on
    /// `--resume-to` (default: the same address) while messages are posted there: seconds
    /// from the cut until every one has `resumed`, and messages lost or duplicated.
    ResumeStorm {
        #[arg(long, default_value_t = 1_000)]
        sessions: usize,
        /// Where the sessions resume (another node's base URL).
        #[arg(long)]
        resume_to: Option<String>,
        /// Messages posted while the sessions resume.
        #[arg(long, default_value_t = 20)]
        posts: usize,
    },
    /// Identifies one gateway session after another for a person in many servers: the time
    /// from `identify` to the whole `ready` frame (on loopback: mostly the server's work), and
    /// its size.
    Ready {
        #[arg(long, default_value_t = 100)]
        servers: usize,
        /// Channels in each server.
        #[arg(long, default_value_t = 20)]
        channels: usize,
    },
    /// Many channels with a few sockets each, one sender per channel.
    Rooms {
        #[arg(long, default_value_t = 2_000)]
        channels: usize,
        /// Sockets per channel.
        #[arg(long, default_value_t = 5)]
        per_channel: usize,
        #[command(flatten)]
        pace: Pace,
    },
    /// Opens sockets and holds them: with `--server-pid`, the server's memory per socket.
    Idle {
        #[arg(long, default_value_t = 10_000)]
        sockets: usize,
    },
    /// Identifies gateway sessions (members of one server) and holds them: with
    /// `--server-pid`, the server's memory per session. No heartbeats: the warm-up and the
    /// duration must stay under the server's idle timeout (75 s).
    GatewayIdle {
        #[arg(long, default_value_t = 10_000)]
        sessions: usize,
    },
    /// Many senders across many channels at full speed: messages stored per second, counted
    /// in the history afterwards.
    Ingest {
        #[arg(long, default_value_t = 100)]
        channels: usize,
        #[arg(long, default_value_t = 400)]
        senders: usize,
        /// Messages each sender may have sent and not yet seen come back.
        #[arg(long, default_value_t = 4)]
        window: usize,
    },
}

/// How fast senders send.
#[derive(Args, Clone, Copy, Debug)]
pub struct Pace {
    /// Messages per second over all senders; without it, as fast as the server takes them
    /// (each sender waits for its own messages to come back, `--window` at a time).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub rate: Option<u64>,
    /// Messages a sender may have in flight when sending as fast as it can.
    #[arg(long, default_value_t = 4)]
    pub window: usize,
    /// Bytes of padding in each message.
    #[arg(long, default_value_t = 64)]
    pub size: usize,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `GET /api/account/me/`
    Me,
    /// `GET /api/servers/?with_num_members=true`
    Servers,
    /// `GET /api/messages/?channel_id=` (the latest 50)
    History,
    /// The three in turn, each worker starting at a different one
    Mix,
    /// `GET /api/search/messages/?q=` with each of `--query` in turn (the data set is the
    /// server's: `crates/bench/scripts/search-corpus` makes one)
    Search,
}
