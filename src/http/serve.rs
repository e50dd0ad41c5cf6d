//! The accept loop. `axum::serve` offers neither a deadline for request
//! headers nor connection limits; this loop has both:
//! - HTTP/1 only (as axum served it), through hyper's own HTTP/1 connection,
//!   whose header read timeout runs from the first byte awaited: a client
//!   that sends nothing, half a request, or stays idle between keep-alive
//!   requests is disconnected when it runs out;
//! - at most `max_connections` open sockets and `max_per_peer` from one IP
//!   address, websockets included; a connection over a limit gets a 429 or
//!   503 with `Connection: close` and never reaches the application;
//! - every request carries the peer's address (`ConnectInfo<SocketAddr>`);
//! - graceful shutdown: stop accepting, let requests in flight finish;
//! - TCP_NODELAY on every socket, so small writes (live events) go out at once.

mod admission;
mod open_files;
mod peer;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, StatusCode, header};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tower::ServiceExt;

use self::admission::{Admission, Decision, Limits, Refusal, Slot};
pub use self::peer::client_address;
use super::problem::problem;

/// Connection limits and deadlines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSettings {
    /// Open sockets in all, websockets included.
    pub max_connections: usize,
    /// Open sockets from one IP address. Clients behind one NAT or proxy
    /// share it; load generators on loopback need it raised.
    pub max_per_peer: usize,
    /// An HTTP/1 client must send a request's headers within this; it is
    /// also how long an idle keep-alive connection stays open.
    pub header_read_timeout: Duration,
}

impl Default for ConnectionSettings {
    fn default() -> Self {
        Self { max_connections: 10_000, max_per_peer: 1_000, header_read_timeout: Duration::from_secs(10) }
    }
}

/// A refused connection must send its request within this, or it is closed
/// without an answer.
const REFUSAL_HEADER_TIMEOUT: Duration = Duration::from_secs(2);
/// What a refused client is told to wait before trying again.
const RETRY_AFTER_SECONDS: &str = "5";
/// After a failed `accept` that is not the client's doing (out of file
/// descriptors, typically), wait this long before accepting again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(250);

/// Serves `router` on `listener` until `shutdown` completes, then stops
/// accepting and waits for the requests in flight. Upgraded websockets are
/// not this loop's: they close on `WsConfig::going_away`, and
/// `RunningServer::stop` waits for them.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    settings: ConnectionSettings,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let open_files = open_files::raise_to_hard_limit();
    log_limits(&settings, open_files);
    let admission = Admission::new(Limits { total: settings.max_connections, per_peer: settings.max_per_peer });
    let server = Arc::new(Server { router, http: http1_builder(settings.header_read_timeout, true) });
    let refusals = Arc::new(http1_builder(REFUSAL_HEADER_TIMEOUT, false));
    // Each connection task holds a receiver: once every one is dropped, the
    // connections have finished.
    let (stop, stopping) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    if !is_peer_error(&error) {
                        tracing::warn!(%error, "cannot accept a connection; pausing");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                    }
                    continue;
                }
            },
        };
        match admission.admit(peer.ip()) {
            Decision::Admitted(slot) => {
                tokio::spawn(server.clone().connection(stream, peer, slot, stopping.clone()));
            }
            Decision::Refused(refusal, ticket) => {
                let refusals = refusals.clone();
                let limits = admission.limits();
                tokio::spawn(async move {
                    refuse(&refusals, stream, refusal, limits).await;
                    drop(ticket);
                });
            }
            Decision::Dropped => drop(stream),
        }
    }
    drop(listener);
    tracing::info!(open_connections = admission.open(), "stopped accepting; finishing the requests in flight");
    let _ = stop.send(true);
    drop(stopping);
    stop.closed().await;
    Ok(())
}

fn http1_builder(header_read_timeout: Duration, keep_alive: bool) -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(header_read_timeout).keep_alive(keep_alive);
    builder
}

struct Server {
    router: Router,
    http: http1::Builder,
}

impl Server {
    async fn connection(
        self: Arc<Self>,
        stream: TcpStream,
        peer: SocketAddr,
        slot: Slot,
        mut stop: watch::Receiver<bool>,
    ) {
        // Without it, a write that follows one the client has not yet
        // acknowledged waits for its delayed ACK (up to 40 ms on Linux): live
        // events sent close together would reach subscribers in bursts.
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, %peer, "cannot set TCP_NODELAY");
        }
        // The slot goes wherever the socket goes: into a websocket too.
        let io = TokioIo::new(peer::Counted::new(stream, slot));
        let service = self.router.clone().map_request(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            request
        });
        let connection = self.http.serve_connection(io, TowerToHyperService::new(service)).with_upgrades();
        tokio::pin!(connection);
        let finished = tokio::select! {
            result = connection.as_mut() => Some(result),
            _ = stop.wait_for(|stop| *stop) => None,
        };
        let result = match finished {
            Some(result) => result,
            None => {
                connection.as_mut().graceful_shutdown();
                connection.await
            }
        };
        if let Err(error) = result {
            tracing::debug!(%error, %peer, "connection ended with an error");
        }
    }
}

/// Answers the connection's first request with the refusal and closes it,
/// without running the application.
async fn refuse(builder: &http1::Builder, stream: TcpStream, refusal: Refusal, limits: Limits) {
    let service = hyper::service::service_fn(move |_request: Request<Incoming>| {
        let mut response = match refusal {
            Refusal::PeerLimit => problem(
                StatusCode::TOO_MANY_REQUESTS,
                "TOO_MANY_REQUESTS",
                &format!(
                    "Too many connections from your address: at most {} may be open at once. Close some, or retry later.",
                    limits.per_peer
                ),
            ),
            Refusal::TotalLimit => problem(
                StatusCode::SERVICE_UNAVAILABLE,
                "SERVICE_UNAVAILABLE",
                &format!("The server has {} connections open, its limit. Retry later.", limits.total),
            ),
        };
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static(RETRY_AFTER_SECONDS));
        std::future::ready(Ok::<_, std::convert::Infallible>(response))
    });
    if let Err(error) = builder.serve_connection(TokioIo::new(stream), service).await {
        tracing::debug!(%error, "refused connection ended with an error");
    }
}

/// Errors of one incoming connection (it was reset before we took it), as
/// opposed to the listener's own trouble.
fn is_peer_error(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(error.kind(), ConnectionRefused | ConnectionAborted | ConnectionReset)
}

fn log_limits(settings: &ConnectionSettings, open_files: Option<u64>) {
    let files = open_files.map_or_else(|| "unlimited".to_string(), |n| n.to_string());
    tracing::info!(
        max_connections = settings.max_connections,
        max_connections_per_peer = settings.max_per_peer,
        header_read_timeout_s = settings.header_read_timeout.as_secs_f64(),
        open_files_limit = %files,
        "connection limits"
    );
    // Database connections, log files and the listener need descriptors too.
    if let Some(open_files) = open_files
        && open_files < settings.max_connections as u64 + 64
    {
        tracing::warn!(
            open_files,
            max_connections = settings.max_connections,
            "the open files limit is below the connection limit: connections will fail before the limit refuses them"
        );
    }
}
