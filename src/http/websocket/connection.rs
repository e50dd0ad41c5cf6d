//! One connection: a single loop reads the socket, answers the protocol,
//! watches the deadlines, and starts and stops operations.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::{Data, Executor};
use axum::extract::ws::{Message, WebSocket};
use futures::StreamExt;
use futures::stream::SplitStream;
use serde_json::json;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::{Instant, Interval, MissedTickBehavior, interval_at, sleep_until};

use super::frame::Frame;
use super::incoming::{self, Incoming};
use super::operations::{Finished, Operations};
use super::shared::share_key;
use super::{Authenticator, Protocol, WsConfig, outgoing, token, writer};

/// Messages waiting for the writer. Results of operations wait here when the
/// socket is slow, which in turn makes the operations wait.
const OUTGOING_CAPACITY: usize = 64;
/// How long a closing connection waits to deliver its close frame and to
/// hear the peer's, so that unread bytes do not turn the TCP close into a
/// reset that loses the close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Serves one upgraded socket in `protocol` until it closes. Operations run
/// on `executor` with the `Data` the authenticator returned.
pub async fn serve_socket<E: Executor>(
    socket: WebSocket,
    protocol: Protocol,
    executor: E,
    upgrade_authorization: Option<String>,
    authenticate: Authenticator,
    config: WsConfig,
) {
    let (sink, mut stream) = socket.split();
    let (out, queue) = mpsc::channel(OUTGOING_CAPACITY);
    let mut writer = AbortOnDrop(tokio::spawn(writer::run(sink, queue, config.ping_interval)));
    let (operations, finished) = Operations::new();
    let mut connection = Connection {
        protocol,
        executor,
        upgrade_authorization,
        authenticate,
        config,
        session: None,
        operations,
        finished,
        pending: VecDeque::new(),
        out,
    };
    let opened = Instant::now();
    let end = connection.run(&mut stream).await;
    let Connection { operations, out, .. } = connection;
    drop(operations);
    let close_code = end.code();
    match end {
        End::Drop => {}
        End::PeerClosed(_) => {
            drop(out);
            drain(&mut stream).await;
        }
        End::Close(code, reason) => {
            let mut frames = Vec::new();
            if protocol == Protocol::GraphqlWs && code != NORMAL {
                // Legacy clients know no close codes; this is how they learn why.
                frames.push(outgoing::connection_error(&reason));
            }
            frames.push(outgoing::close(code, &reason));
            deliver(frames, out, &mut writer).await;
            drain(&mut stream).await;
        }
        End::GoingAway { stopped, finishing } => {
            // Each operation ends cleanly, then the socket: graphql-ws clients
            // take 1001 as a cue to reconnect, to another instance if need be.
            // The server's grace period bounds the wait.
            futures::future::join_all(finishing).await;
            let mut frames: Vec<_> = stopped.iter().map(|id| outgoing::complete(id)).collect();
            frames.push(outgoing::close(GOING_AWAY, "Server shutting down"));
            deliver(frames, out, &mut writer).await;
            drain(&mut stream).await;
        }
    }
    tracing::info!(
        protocol = protocol.name(),
        close_code,
        duration_ms = u64::try_from(opened.elapsed().as_millis()).unwrap_or(u64::MAX),
        "websocket closed"
    );
}

/// Hands `frames` to the writer and waits until it has sent them (the last
/// is a close frame, after which it stops), for at most `CLOSE_GRACE`.
async fn deliver(frames: Vec<Message>, out: mpsc::Sender<Frame>, writer: &mut AbortOnDrop) {
    let deliver = async {
        for frame in frames {
            if out.send(frame.into()).await.is_err() {
                break;
            }
        }
        drop(out);
        let _ = (&mut writer.0).await;
    };
    let _ = tokio::time::timeout(CLOSE_GRACE, deliver).await;
}

const NORMAL: u16 = 1000;
/// RFC 6455: "an endpoint is going away, such as a server going down".
const GOING_AWAY: u16 = 1001;
/// RFC 6455: "a message that is too big for it to process".
const TOO_BIG: u16 = 1009;

/// A message or frame above the configured maximum, which tungstenite
/// refuses as soon as it reads the length.
fn is_too_big(error: &axum::Error) -> bool {
    let inner = std::error::Error::source(error).and_then(|inner| inner.downcast_ref::<tungstenite::Error>());
    matches!(inner, Some(tungstenite::Error::Capacity(_)))
}

/// How the connection ends.
enum End {
    /// The peer is dead or gone: drop the socket without ceremony.
    Drop,
    /// The peer sent a close frame, with this code if any (axum answers it).
    PeerClosed(Option<u16>),
    /// We close with this code and reason.
    Close(u16, String),
    /// The server is shutting down: once the operations `finishing` have,
    /// complete the `stopped` ones, then close with 1001.
    GoingAway { stopped: Vec<String>, finishing: Vec<JoinHandle<()>> },
}

impl End {
    /// The close code as the client sees it (1006: no close frame at all,
    /// 1005: a close frame without a code).
    fn code(&self) -> u16 {
        match self {
            End::Drop => 1006,
            End::PeerClosed(code) => code.unwrap_or(1005),
            End::Close(code, _) => *code,
            End::GoingAway { .. } => GOING_AWAY,
        }
    }
}

fn close(code: u16, reason: &str) -> End {
    End::Close(code, reason.to_string())
}

struct Connection<E> {
    protocol: Protocol,
    executor: E,
    upgrade_authorization: Option<String>,
    authenticate: Authenticator,
    config: WsConfig,
    session: Option<Session>,
    operations: Operations,
    finished: mpsc::UnboundedReceiver<Finished>,
    /// Protocol answers not yet handed to the writer. The socket is not read
    /// while there are any, so a client that sends but does not read is held
    /// back instead of growing this queue.
    pending: VecDeque<Message>,
    out: mpsc::Sender<Frame>,
}

struct Session {
    data: Arc<Data>,
    /// Initialised without a token.
    anonymous: bool,
    /// Who the caller is for visibility, when its subscriptions may share
    /// evaluations with others' (`WsSession::share_as`).
    share_as: Option<String>,
    expires_at: Option<Instant>,
    /// Legacy protocol only.
    keep_alive: Option<Interval>,
}

impl<E: Executor> Connection<E> {
    async fn run(&mut self, stream: &mut SplitStream<WebSocket>) -> End {
        let init_deadline = Instant::now() + self.config.init_timeout;
        let mut idle_deadline = Instant::now() + self.config.idle_timeout;
        let mut anonymous_idle_since = None;
        // Handles of our own, so that they do not borrow `self`.
        let out = self.out.clone();
        let mut going_away = self.config.going_away.clone();
        loop {
            let initialized = self.session.is_some();
            let expires_at = self.session.as_ref().and_then(|s| s.expires_at);
            let anonymous_idle = self.session.as_ref().is_some_and(|s| s.anonymous) && self.operations.is_empty();
            anonymous_idle_since = match anonymous_idle_since {
                None if anonymous_idle => Some(Instant::now()),
                _ if !anonymous_idle => None,
                since => since,
            };
            let anonymous_deadline = anonymous_idle_since.map(|since| since + self.config.anonymous_idle_timeout);
            let keep_alive = self.session.as_mut().and_then(|s| s.keep_alive.as_mut());
            tokio::select! {
                biased;
                Some(report) = self.finished.recv() => self.operations.finished(report),
                () = going_away.announced() => return self.going_away(),
                _ = sleep_until(idle_deadline) => return End::Drop,
                _ = sleep_until(init_deadline), if !initialized => {
                    return close(4408, "Connection initialisation timeout");
                }
                _ = sleep_until_some(expires_at) => return close(4403, "Token expired"),
                _ = sleep_until_some(anonymous_deadline) => {
                    return close(4401, "Unauthorized: an anonymous connection closes when it runs no operation");
                }
                _ = tick_some(keep_alive) => {
                    let ka = outgoing::keep_alive();
                    if !self.pending.contains(&ka) {
                        self.pending.push_back(ka);
                    }
                }
                permit = out.reserve(), if !self.pending.is_empty() => {
                    let (Ok(permit), Some(message)) = (permit, self.pending.pop_front()) else {
                        return End::Drop;
                    };
                    permit.send(message.into());
                }
                frame = stream.next(), if self.pending.is_empty() => {
                    idle_deadline = Instant::now() + self.config.idle_timeout;
                    let bytes = match frame {
                        Some(Err(error)) if is_too_big(&error) => return close(TOO_BIG, "Message too big"),
                        None | Some(Err(_)) => return End::Drop,
                        Some(Ok(Message::Close(frame))) => return End::PeerClosed(frame.map(|f| f.code)),
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                        Some(Ok(Message::Text(text))) => text.into(),
                        Some(Ok(Message::Binary(bytes))) => bytes,
                    };
                    if let Some(end) = self.handle(&bytes) {
                        return end;
                    }
                }
            }
        }
    }

    /// Stops the subscriptions; queries and mutations still running finish
    /// (a command commits and its answer is sent) before the socket closes.
    fn going_away(&mut self) -> End {
        while let Ok(report) = self.finished.try_recv() {
            self.operations.finished(report);
        }
        let (stopped, finishing) = self.operations.going_away();
        End::GoingAway { stopped, finishing }
    }

    fn handle(&mut self, bytes: &[u8]) -> Option<End> {
        let Ok(message) = incoming::parse(self.protocol, bytes) else {
            return Some(close(4400, "Invalid message received"));
        };
        match message {
            Incoming::Init(payload) => return self.init(payload),
            Incoming::Ping(payload) => self.pending.push_back(outgoing::pong(payload)),
            Incoming::Pong => {}
            Incoming::Subscribe { id, request } => return self.subscribe(id, *request),
            Incoming::Complete { id } => self.operations.stop(&id),
            Incoming::Terminate => return Some(close(NORMAL, "Normal Closure")),
        }
        None
    }

    fn init(&mut self, payload: Option<serde_json::Value>) -> Option<End> {
        if self.session.is_some() {
            return Some(close(4429, "Too many initialisation requests"));
        }
        let token = token::find(payload.as_ref(), self.upgrade_authorization.as_deref());
        let anonymous = token.is_none();
        let Ok(session) = (self.authenticate)(token.as_deref()) else {
            return Some(close(4403, "Forbidden"));
        };
        let expires_at = session.expires_at.map(|at| {
            let left = (at - chrono::Utc::now()).to_std().unwrap_or_default();
            // Too far to represent: it will not expire during this connection.
            Instant::now().checked_add(left)
        });
        if expires_at == Some(None) {
            tracing::debug!("websocket token expiry too far away to watch");
        }
        self.pending.push_back(outgoing::ack());
        let keep_alive = (self.protocol == Protocol::GraphqlWs).then(|| {
            self.pending.push_back(outgoing::keep_alive());
            let every = self.config.legacy_keepalive;
            let mut interval = interval_at(Instant::now() + every, every);
            interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
            interval
        });
        let data = Arc::new(session.data);
        let share_as = session.share_as;
        self.session = Some(Session { data, anonymous, share_as, expires_at: expires_at.flatten(), keep_alive });
        None
    }

    fn subscribe(&mut self, id: String, mut request: async_graphql::Request) -> Option<End> {
        let Some(session) = &self.session else {
            return Some(close(4401, "Unauthorized"));
        };
        // The same bounds as over HTTP, before the parser or the validator sees the document.
        let lasting = match crate::graphql::guard::prepare(&mut request) {
            Ok(checked) => checked.is_subscription(request.operation_name.as_deref()),
            Err(error) => {
                self.pending.push_back(outgoing::error(&id, &json!([error])));
                return None;
            }
        };
        if self.operations.contains(&id) {
            match self.protocol {
                Protocol::GraphqlTransportWs => {
                    let reason = format!("Subscriber for {id} already exists");
                    return Some(End::Close(4409, reason));
                }
                // subscriptions-transport-ws replaced the old operation.
                Protocol::GraphqlWs => self.operations.stop(&id),
            }
        }
        let max = self.config.max_subscriptions;
        if self.operations.len() >= max {
            let errors = json!([{
                "message": format!("At most {max} subscriptions per connection"),
                "extensions": {"code": "TOO_MANY_SUBSCRIPTIONS"},
            }]);
            self.pending.push_back(outgoing::error(&id, &errors));
            return None;
        }
        let data = Arc::clone(&session.data);
        let out = self.out.clone();
        let executor = &self.executor;
        let shared =
            lasting.then_some(session.share_as.as_deref()).flatten().and_then(|who| share_key(&mut request, who));
        match shared {
            Some(key) => {
                let sharing = &self.config.shared;
                self.operations.join((id, request, key), executor, data, (self.protocol, out), sharing);
            }
            None => self.operations.start((id, request, lasting), executor, data, self.protocol, out),
        }
        None
    }
}

async fn sleep_until_some(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

async fn tick_some(interval: Option<&mut Interval>) {
    match interval {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// Reads until the peer's close frame (or the end), for at most `CLOSE_GRACE`.
async fn drain(stream: &mut SplitStream<WebSocket>) {
    let until_closed = async {
        while let Some(Ok(frame)) = stream.next().await {
            if matches!(frame, Message::Close(_)) {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(CLOSE_GRACE, until_closed).await;
}

/// The writer must not outlive the connection, even when it is stuck on a
/// dead peer.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
