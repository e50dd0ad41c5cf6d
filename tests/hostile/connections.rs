//! Connections as a weapon: half-sent requests, more sockets than allowed,
//! oversized websocket frames, thousands of idle subscribed websockets and
//! anonymous sockets that would stay open forever.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use futures::future::join_all;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

use crate::support::Target;

// ---------- raw HTTP ----------

/// A connection from `source` (any 127.x.y.z address reaches the server on
/// 127.0.0.1, and the server sees it as a peer of its own).
async fn connect_from(source: Ipv4Addr, server: &str) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((source, 0))).unwrap();
    socket.connect(server.parse().unwrap()).await.unwrap()
}

struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Value,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

/// Sends `GET path` on a kept-alive connection and reads one response.
async fn get(stream: &mut TcpStream, path: &str) -> RawResponse {
    let request = format!("GET {path} HTTP/1.1\r\nHost: minibank\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut bytes = Vec::new();
    let head_end = loop {
        if let Some(at) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let mut chunk = [0u8; 4096];
        let read = tokio::time::timeout(WAIT, stream.read(&mut chunk)).await.expect("an answer").unwrap();
        assert!(read > 0, "closed before answering: {:?}", String::from_utf8_lossy(&bytes));
        bytes.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8(bytes[..head_end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let length: usize = headers.iter().find(|(n, _)| n == "content-length").map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = bytes[head_end + 4..].to_vec();
    while body.len() < length {
        let mut chunk = [0u8; 4096];
        let read = tokio::time::timeout(WAIT, stream.read(&mut chunk)).await.expect("the body").unwrap();
        assert!(read > 0, "closed in the middle of the body");
        body.extend_from_slice(&chunk[..read]);
    }
    let body = serde_json::from_slice(&body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into()));
    RawResponse { status, headers, body }
}

/// Reads until the server closes the connection (EOF or reset).
async fn until_closed(stream: &mut TcpStream) {
    let mut sink = [0u8; 1024];
    while let Ok(read) = stream.read(&mut sink).await {
        if read == 0 {
            return;
        }
    }
}

async fn is_closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    tokio::time::timeout(within, until_closed(stream)).await.is_ok()
}

const WAIT: Duration = Duration::from_secs(10);
/// How long a burst of subscriptions may take to go live, all of them.
const LIVE_WITHIN: Duration = Duration::from_secs(60);

// ---------- header read timeout ----------

/// How many sockets the attacker holds: a third sends nothing, the rest
/// half a request's headers. The test process's open files limit here is
/// 20,000; with a lower one, raise it (`ulimit -n`).
const HALF_SENT: usize = 3_000;
const HEADER_TIMEOUT_S: u64 = 2;
/// Hyper's connection state, a small read buffer and a task per socket.
const HALF_SENT_RSS_BOUND_KIB: u64 = 64 * 1024;

#[tokio::test]
async fn half_sent_requests_and_idle_keep_alives_are_closed_by_the_header_timeout() {
    let mut target = Target::start_with(&[
        ("HEADER_READ_TIMEOUT_SECONDS", &HEADER_TIMEOUT_S.to_string()),
        ("MAX_CONNECTIONS_PER_PEER", "10000"),
    ])
    .await;
    let server = target.server.addr.clone();
    let before = target.rss_kib();

    let mut kept_alive = TcpStream::connect(&server).await.unwrap();
    assert_eq!(get(&mut kept_alive, "/healthz").await.status, 200);
    let mut sockets = Vec::with_capacity(HALF_SENT);
    for i in 0..HALF_SENT {
        let mut socket = TcpStream::connect(&server).await.unwrap();
        if i % 3 != 0 {
            socket
                .write_all(b"POST /graphql HTTP/1.1\r\nHost: minibank\r\nContent-Type: application/json\r\n")
                .await
                .unwrap();
        }
        sockets.push(socket);
    }
    let opened = Instant::now();
    tokio::time::sleep(Duration::from_millis(HEADER_TIMEOUT_S * 1000 / 2)).await;
    let holding = target.rss_kib();

    // Every socket is closed once the deadline passes, measured from the last
    // one opened (each deadline runs from its own accept).
    let within = Duration::from_secs(HEADER_TIMEOUT_S + 5);
    let closed = join_all(sockets.iter_mut().map(|socket| is_closed_within(socket, within))).await;
    let still_open = closed.iter().filter(|closed| !**closed).count();
    assert_eq!(still_open, 0, "{still_open} of {HALF_SENT} half-sent connections still open after {within:?}");
    assert!(
        is_closed_within(&mut kept_alive, Duration::from_secs(1)).await,
        "an idle keep-alive connection stays open"
    );
    let took = opened.elapsed();
    assert!(took >= Duration::from_secs(HEADER_TIMEOUT_S) / 2, "closed before the deadline: {took:?}");

    let grown = holding.saturating_sub(before);
    assert!(
        grown < HALF_SENT_RSS_BOUND_KIB,
        "RSS grew by {grown} KiB ({} B per socket) holding {HALF_SENT} half-sent requests; bound {HALF_SENT_RSS_BOUND_KIB} KiB",
        grown * 1024 / HALF_SENT as u64
    );
    println!(
        "{HALF_SENT} half-sent requests: RSS {before} -> {holding} KiB, all closed {took:?} after the last was opened"
    );
    target.assert_serves().await;
}

// ---------- connection limits ----------

/// Opens connections from `source`, each answering `/healthz`, until one is
/// refused; returns the admitted ones and the refusal.
async fn fill(server: &str, source: Ipv4Addr, at_most: usize) -> (Vec<TcpStream>, RawResponse, TcpStream) {
    let mut admitted = Vec::new();
    for _ in 0..=at_most {
        let mut stream = connect_from(source, server).await;
        let response = get(&mut stream, "/healthz").await;
        if response.status == 200 {
            admitted.push(stream);
        } else {
            return (admitted, response, stream);
        }
    }
    panic!("{} connections from {source} were all admitted; the limit is {at_most}", admitted.len());
}

fn assert_refusal(response: &RawResponse, status: u16, code: &str) {
    assert_eq!(response.status, status, "{}", response.body);
    assert_eq!(crate::support::code(&response.body), Some(code), "{}", response.body);
    assert_eq!(response.header("connection"), Some("close"));
    assert!(response.header("retry-after").is_some_and(|s| s.parse::<u64>().is_ok()), "no Retry-After");
}

/// A connection from `source` gets served again, once the server has seen
/// the others close.
async fn eventually_served(server: &str, source: Ipv4Addr) {
    let deadline = Instant::now() + WAIT;
    loop {
        let mut stream = connect_from(source, server).await;
        let response = get(&mut stream, "/healthz").await;
        if response.status == 200 {
            return;
        }
        assert!(Instant::now() < deadline, "still refused after the others closed: {}", response.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const PER_PEER: usize = 5;

#[tokio::test]
async fn a_peer_over_its_connection_limit_gets_429_and_is_closed() {
    let mut target = Target::start_with(&[("MAX_CONNECTIONS_PER_PEER", &PER_PEER.to_string())]).await;
    let server = target.server.addr.clone();
    let ledger = target.ledger().await;
    let attacker = Ipv4Addr::new(127, 0, 0, 2);

    let (admitted, refusal, mut refused) = fill(&server, attacker, PER_PEER).await;
    assert_eq!(admitted.len(), PER_PEER, "the peer's own connections count, nobody else's");
    assert_refusal(&refusal, 429, "TOO_MANY_REQUESTS");
    assert!(is_closed_within(&mut refused, WAIT).await, "the refused connection stays open");

    // Another address is not affected.
    let mut neighbour = connect_from(Ipv4Addr::new(127, 0, 0, 3), &server).await;
    assert_eq!(get(&mut neighbour, "/healthz").await.status, 200);

    drop(admitted);
    eventually_served(&server, attacker).await;
    target.assert_serves().await;
    assert_eq!(target.ledger().await, ledger);
}

const TOTAL: usize = 8;

#[tokio::test]
async fn connections_over_the_total_limit_get_503_and_are_closed() {
    let mut target = Target::start_with(&[("MAX_CONNECTIONS", &TOTAL.to_string())]).await;
    let server = target.server.addr.clone();

    // The test's own HTTP client holds a connection or two: whatever is left
    // is spread over two addresses, and the next one is refused.
    let mut held = Vec::new();
    let mut refusal = None;
    for i in 0..=TOTAL {
        let mut stream = connect_from(Ipv4Addr::new(127, 0, 0, 4 + (i % 2) as u8), &server).await;
        let response = get(&mut stream, "/healthz").await;
        if response.status != 200 {
            refusal = Some((response, stream));
            break;
        }
        held.push(stream);
    }
    let (refusal, mut refused) = refusal.expect("more connections than the total limit were admitted");
    assert!(held.len() < TOTAL, "{} admitted beside the test's own", held.len());
    assert_refusal(&refusal, 503, "SERVICE_UNAVAILABLE");
    assert!(is_closed_within(&mut refused, WAIT).await, "the refused connection stays open");

    drop(held);
    eventually_served(&server, Ipv4Addr::new(127, 0, 0, 6)).await;
    target.assert_serves().await;
}

// ---------- websockets ----------

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn websocket(target: &Target) -> Socket {
    let url = format!("ws://{}/graphql", target.server.addr);
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", "graphql-transport-ws".parse().unwrap());
    connect_async(request).await.expect("upgrade").0
}

async fn send(socket: &mut Socket, message: Value) {
    socket.send(Message::Text(message.to_string().into())).await.unwrap();
}

/// The next protocol message (pings skipped); panics on a close.
async fn recv(socket: &mut Socket) -> Value {
    recv_within(socket, WAIT).await
}

async fn recv_within(socket: &mut Socket, wait: Duration) -> Value {
    loop {
        match tokio::time::timeout(wait, socket.next()).await.expect("a message") {
            Some(Ok(Message::Text(text))) => return serde_json::from_str(&text).unwrap(),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected a message, got {other:?}"),
        }
    }
}

/// connection_init (with a token, or none) and its ack.
async fn init(socket: &mut Socket, token: Option<&str>) {
    let payload = token.map_or(json!({}), |token| json!({ "authToken": token }));
    send(socket, json!({ "type": "connection_init", "payload": payload })).await;
    assert_eq!(recv(socket).await["type"], "connection_ack");
}

/// The close frame's code and reason, skipping whatever comes before it.
async fn close_frame(socket: &mut Socket, within: Duration) -> (u16, String) {
    let closed = async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Close(Some(frame)))) => return (u16::from(frame.code), frame.reason.to_string()),
                Some(Ok(Message::Close(None))) => panic!("a close frame without a code"),
                Some(Ok(_)) => {}
                other => panic!("the connection ended without a close frame: {other:?}"),
            }
        }
    };
    tokio::time::timeout(within, closed).await.expect("a close frame in time")
}

#[tokio::test]
async fn a_websocket_message_over_the_limit_closes_with_1009() {
    let mut target = Target::start().await;
    let mut socket = websocket(&target).await;
    init(&mut socket, Some(&target.alice.token)).await;
    // The client's own limits (64 MiB per message) allow sending it.
    let too_big = "x".repeat(minibank::http::MAX_WS_MESSAGE_BYTES + 1);
    socket.send(Message::Text(too_big.into())).await.unwrap();
    let (code, reason) = close_frame(&mut socket, WAIT).await;
    assert_eq!((code, reason.as_str()), (u16::from(CloseCode::Size), "Message too big"));
    assert_eq!(code, 1009);
    target.assert_serves().await;
}

#[tokio::test]
async fn an_anonymous_websocket_that_runs_nothing_is_closed_and_a_signed_in_one_kept() {
    let mut target = Target::start_with(&[("WS_ANONYMOUS_IDLE_SECONDS", "1")]).await;
    let mut anonymous = websocket(&target).await;
    init(&mut anonymous, None).await;
    let mut signed_in = websocket(&target).await;
    init(&mut signed_in, Some(&target.alice.token)).await;

    // An anonymous operation keeps it open while it runs, and it still works.
    send(&mut anonymous, json!({"id": "1", "type": "subscribe", "payload": {"query": "{ __typename }"}})).await;
    assert_eq!(recv(&mut anonymous).await["payload"]["data"]["__typename"], "Query");

    let idle_since = Instant::now();
    let (code, reason) = close_frame(&mut anonymous, Duration::from_secs(5)).await;
    assert_eq!(code, 4401, "{reason}");
    assert!(idle_since.elapsed() >= Duration::from_millis(900), "closed too early: {:?}", idle_since.elapsed());

    tokio::time::sleep(Duration::from_secs(1)).await;
    send(&mut signed_in, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut signed_in).await, json!({"type": "pong"}));
    target.assert_serves().await;
}

/// Idle websockets, each initialised with a token and running one `events`
/// subscription.
const SUBSCRIBED: usize = 1_000;
/// The target for one idle websocket with one subscription.
const PER_CONNECTION_BOUND_BYTES: u64 = 32 * 1024;

async fn subscribed(target: &Target) -> Socket {
    let mut socket = websocket(target).await;
    init(&mut socket, Some(&target.alice.token)).await;
    let query = "subscription { events { position } }";
    send(&mut socket, json!({"id": "e", "type": "subscribe", "payload": {"query": query}})).await;
    socket
}

/// Deposits until every socket has received an event: then every
/// subscription is live (one started after a deposit does not see it).
/// Subscriptions start in turns, so the last of a thousand may take a while.
async fn until_all_live(target: &Target, sockets: &mut [Socket]) {
    let received = join_all(sockets.iter_mut().map(|socket| async move {
        let message = recv_within(socket, LIVE_WITHIN).await;
        assert_eq!(message["type"], "next", "{message}; server errors: {:?}", target.server.error_lines());
    }));
    let deposits = async {
        loop {
            let deposit = target.money(&target.alice, "deposit", &target.account, "1.00").await;
            assert!(deposit.get("errors").is_none(), "{deposit}");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    };
    let live = async {
        tokio::select! {
            _ = received => {}
            () = deposits => {}
        }
    };
    tokio::time::timeout(LIVE_WITHIN, live).await.expect("every subscription receives deposits");
}

/// RSS once it stops moving for a second.
async fn settled_rss(target: &Target) -> u64 {
    let mut last = target.rss_kib();
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = target.rss_kib();
        if now.abs_diff(last) < 256 {
            return now;
        }
        last = now;
    }
    last
}

#[tokio::test]
async fn an_idle_subscribed_websocket_costs_at_most_32_kib() {
    let mut target = Target::start_with(&[("MAX_CONNECTIONS_PER_PEER", "5000")]).await;
    // Warm up what every subscriber shares (the live feed, allocator arenas).
    let mut warm: Vec<Socket> = join_all((0..50).map(|_| subscribed(&target))).await;
    until_all_live(&target, &mut warm).await;
    let before = settled_rss(&target).await;

    let mut sockets = Vec::with_capacity(SUBSCRIBED);
    for _ in 0..SUBSCRIBED / 50 {
        sockets.extend(join_all((0..50).map(|_| subscribed(&target))).await);
    }
    until_all_live(&target, &mut sockets).await;
    let after = settled_rss(&target).await;

    let per_connection = after.saturating_sub(before) * 1024 / SUBSCRIBED as u64;
    println!("{SUBSCRIBED} subscribed websockets: RSS {before} -> {after} KiB, {per_connection} B per connection");
    assert!(
        per_connection <= PER_CONNECTION_BOUND_BYTES,
        "{per_connection} B per idle subscribed websocket (RSS {before} -> {after} KiB for {SUBSCRIBED}); bound {PER_CONNECTION_BOUND_BYTES} B"
    );
    target.assert_serves().await;
}

/// Every subscription reads the database when it starts; a burst of a
/// thousand (a fleet of tabs reconnecting) takes turns instead of waiting for
/// pooled connections past the pool's timeout and failing.
#[tokio::test]
async fn a_burst_of_subscriptions_takes_turns_instead_of_failing() {
    let target = Target::start_with(&[("MAX_CONNECTIONS_PER_PEER", "5000")]).await;
    let mut sockets: Vec<Socket> = join_all((0..1000).map(|_| subscribed(&target))).await;
    until_all_live(&target, &mut sockets).await;
}
