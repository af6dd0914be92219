//! The HTTP listener in front of the router: connections admitted within the caps (per
//! client address and in all, below the descriptor limit), each served by hyper under the
//! connection timeouts, and a graceful stop. It replaces `axum::serve`, which has neither
//! caps nor timeouts: a client could hold connections open, idle or half-sent, until the
//! process ran out of descriptors and stopped answering even its health checks.

mod admission;
mod connection;
mod descriptors;
mod service;
mod socket;

pub use connection::Timeouts;

use admission::{Admission, Permit, RareWarning};
use axum::Router;
use connection::{Connection, Expired};
use hyper_util::rt::TokioIo;
use service::service;
use socket::Socket;
use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch as signal};

/// The listener's settings (`PINGME_HTTP_*`, `PINGME_MAX_CONNECTIONS*`).
#[derive(Clone, Debug)]
pub struct ListenerConfig {
    pub timeouts: Timeouts,
    /// Connections open at once; `None`: as many as the descriptor limit allows.
    pub max_connections: Option<usize>,
    /// Connections open at once from one client address; `None`: no cap.
    pub max_per_client: Option<usize>,
    /// Descriptors the database pool needs, kept in reserve besides the fixed reserve.
    pub database_connections: u64,
}

impl Default for ListenerConfig {
    fn default() -> Self {
        Self {
            timeouts: Timeouts {
                head: Duration::from_secs(10),
                keep_alive: Duration::from_secs(75),
                stall: Duration::from_secs(60),
            },
            max_connections: None,
            max_per_client: Some(256),
            database_connections: 10,
        }
    }
}

pub struct Listener {
    tcp: TcpListener,
    admission: Arc<Admission>,
    timeouts: Timeouts,
}

impl Listener {
    /// Raises the descriptor limit and sets the caps. Peers in `trusted` (load balancers)
    /// carry many clients: they have no cap of their own.
    pub fn new(tcp: TcpListener, config: &ListenerConfig, trusted: Vec<IpAddr>) -> Self {
        let limit = descriptors::raise_limit();
        let reserve = descriptors::RESERVE + config.database_connections;
        let total = descriptors::connection_cap(config.max_connections, limit, reserve);
        tracing::debug!(?limit, total, per_client = ?config.max_per_client, "connection caps");
        Self {
            tcp,
            admission: Admission::new(total, config.max_per_client, trusted),
            timeouts: config.timeouts,
        }
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }

    /// Serves until `shutdown` completes, then stops accepting, lets every connection finish
    /// its request in flight, and completes once none is left. (Upgraded sockets are not
    /// waited for here: the hub closes them.)
    pub async fn serve(self, router: Router, shutdown: impl Future<Output = ()>) {
        let (stop, stopping) = signal::channel(false);
        let (alive, mut all_done) = mpsc::channel::<Infallible>(1);
        let accept_errors = RareWarning::default();
        tokio::pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = self.tcp.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        pause_after(&error, &accept_errors).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            // Over a cap: closed at once, never left waiting in the backlog.
            let Some(permit) = self.admission.admit(peer.ip()) else {
                continue;
            };
            let connection = self.admission.connection();
            let served = Served {
                router: router.clone(),
                peer,
                timeouts: self.timeouts,
                stopping: stopping.clone(),
                _alive: alive.clone(),
            };
            tokio::spawn(served.run(stream, connection, permit));
        }
        // Refused from now on, rather than left waiting in the backlog: the balancer moves on.
        drop(self.tcp);
        let _ = stop.send(true);
        drop((alive, stopping));
        // Completes once every connection task has dropped its sender.
        let _ = all_done.recv().await;
    }
}

/// What failing to accept means: out of descriptors (or memory) is worth a pause, so the
/// loop does not spin while the condition lasts; a connection the peer reset before it was
/// accepted is nothing.
async fn pause_after(error: &std::io::Error, warning: &RareWarning) {
    let scarce = matches!(error.raw_os_error(), Some(code) if [23, 24, 12, 105].contains(&code));
    if scarce {
        warning.warn(|times| {
            tracing::warn!(%error, times, "cannot accept connections: out of descriptors or memory");
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
    } else {
        tracing::debug!(%error, "accept failed");
    }
}

/// One connection's task.
struct Served {
    router: Router,
    peer: SocketAddr,
    timeouts: Timeouts,
    stopping: signal::Receiver<bool>,
    /// Dropped when the task ends: the listener waits for all of them at shutdown.
    _alive: mpsc::Sender<Infallible>,
}

impl Served {
    async fn run(mut self, stream: TcpStream, connection: Arc<Connection>, permit: Permit) {
        // Chat frames and API answers are small and wanted at once: no Nagle delay (which,
        // against a client's delayed ACKs, held frames back by up to 40 ms).
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY not set");
        }
        let socket = Socket::new(stream, connection.clone(), permit);
        let service = service(self.router.clone(), self.peer, connection.clone());
        let mut http = hyper::server::conn::http1::Builder::new();
        http.header_read_timeout(None);
        let served = http
            .serve_connection(TokioIo::new(socket), service)
            .with_upgrades();
        tokio::pin!(served);
        let expired = connection.expired(self.timeouts);
        tokio::pin!(expired);
        // Once closing gracefully after an idle timeout, the connection gets the stall
        // timeout to finish what it may still be writing, then goes.
        let finishing = tokio::time::sleep(Duration::MAX);
        tokio::pin!(finishing);
        let (mut closing, mut idle_closed) = (false, false);
        loop {
            tokio::select! {
                result = served.as_mut() => {
                    if let Err(error) = result {
                        tracing::debug!(%error, peer = %self.peer, "connection ended");
                    }
                    return;
                }
                changed = self.stopping.changed(), if !closing => {
                    closing = true;
                    if changed.is_ok() {
                        served.as_mut().graceful_shutdown();
                    }
                }
                why = &mut expired, if !idle_closed => {
                    if why != Expired::Idle {
                        return;
                    }
                    idle_closed = true;
                    served.as_mut().graceful_shutdown();
                    let until = tokio::time::Instant::now() + self.timeouts.stall;
                    finishing.as_mut().reset(until);
                }
                () = &mut finishing => return,
            }
        }
    }
}
