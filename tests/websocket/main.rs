//! The websocket transport against a real client: both subprotocols, their
//! close codes, keepalive, limits and token expiry, and subscriptions that
//! share one evaluation.

mod sharing;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_graphql::{Context, EmptyMutation, Object, Result, Schema, Subscription};
use axum::Router;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use futures::{SinkExt, Stream, StreamExt, stream};
use minibank::application::live::LiveCursor;
use minibank::http::websocket::{Authenticator, Protocol, SharedSubscriptions, WsConfig, WsSession, serve_socket};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

// ---------- the test schema ----------

/// How many `forever` streams are alive: proves that stopping an operation
/// or closing the socket drops its stream.
#[derive(Clone, Default)]
struct LiveStreams(Arc<AtomicUsize>);

/// How many results `flood` has produced.
#[derive(Clone, Default)]
struct Produced(Arc<AtomicUsize>);

struct Guard(Arc<AtomicUsize>);

impl Drop for Guard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

struct Query;

#[Object]
impl Query {
    async fn hello(&self) -> &str {
        "world"
    }
}

struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    async fn ticks(&self, n: i32) -> impl Stream<Item = i32> {
        stream::iter(1..=n).then(|i| async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            i
        })
    }

    async fn forever(&self, ctx: &Context<'_>) -> impl Stream<Item = i32> {
        let live = ctx.data_unchecked::<LiveStreams>().0.clone();
        live.fetch_add(1, Ordering::SeqCst);
        let guard = Guard(live);
        stream::unfold((0, guard), |(i, guard)| async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Some((i + 1, (i + 1, guard)))
        })
    }

    /// 64 KiB results as fast as they can be taken, counted in `Produced`.
    async fn flood(&self, ctx: &Context<'_>) -> impl Stream<Item = String> {
        let produced = ctx.data_unchecked::<Produced>().0.clone();
        stream::repeat_with(move || {
            produced.fetch_add(1, Ordering::SeqCst);
            "x".repeat(64 * 1024)
        })
    }

    /// `n` results of about 1 KiB as fast as they can be taken, each moving
    /// the live cursor to its number (as the API's subscriptions move it to
    /// event positions).
    async fn burst(&self, ctx: &Context<'_>, n: i32) -> impl Stream<Item = String> {
        let cursor = ctx.data_opt::<LiveCursor>().cloned().unwrap_or_default();
        stream::iter(1..=n).map(move |i| {
            cursor.set(i64::from(i));
            format!("{i:>1024}")
        })
    }

    /// Who the caller is, every 20 ms.
    async fn whoami_forever(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = String>> {
        let who = ctx.data::<String>()?.clone();
        Ok(stream::unfold(who, |who| async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Some((who.clone(), who))
        }))
    }

    async fn whoami(&self, ctx: &Context<'_>) -> Result<impl Stream<Item = String>> {
        let who = ctx.data::<String>()?.clone();
        Ok(stream::once(async move { who }))
    }

    async fn failing(&self) -> Result<impl Stream<Item = i32>> {
        Err::<stream::Empty<i32>, _>("refused".into())
    }
}

type TestSchema = Schema<Query, EmptyMutation, SubscriptionRoot>;

fn authenticator() -> Authenticator {
    Arc::new(|token: Option<&str>| {
        let session = |who: &str, expires_at| {
            let mut data = async_graphql::Data::default();
            data.insert(who.to_string());
            WsSession { data, expires_at, share_as: None }
        };
        // Callers whose subscriptions may share evaluations (see `sharing`).
        let sharing = |who: &str, expires_at| WsSession { share_as: Some(who.to_string()), ..session(who, expires_at) };
        match token {
            None => Ok(session("anonymous", None)),
            Some("good") => Ok(session("user", None)),
            Some("expired-soon") => Ok(session("user", Some(chrono::Utc::now() + chrono::Duration::seconds(1)))),
            Some("team-a") => Ok(sharing("team-a", None)),
            Some("team-b") => Ok(sharing("team-b", None)),
            Some("team-a-expiring") => Ok(sharing("team-a", Some(chrono::Utc::now() + chrono::Duration::seconds(1)))),
            Some(_) => Err(()),
        }
    })
}

// ---------- the server ----------

#[derive(Clone)]
struct AppState {
    schema: TestSchema,
    config: WsConfig,
}

async fn upgrade(State(state): State<AppState>, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    let ws = ws.protocols(Protocol::ALL);
    let Some(protocol) = ws.selected_protocol().and_then(|v| v.to_str().ok()).and_then(Protocol::from_header) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    ws.on_upgrade(move |socket| {
        serve_socket(socket, protocol, state.schema, authorization, authenticator(), state.config)
    })
}

struct Server {
    addr: SocketAddr,
    live: LiveStreams,
    produced: Produced,
    shared: SharedSubscriptions,
}

async fn server(config: WsConfig) -> Server {
    let live = LiveStreams::default();
    let produced = Produced::default();
    let schema =
        Schema::build(Query, EmptyMutation, SubscriptionRoot).data(live.clone()).data(produced.clone()).finish();
    let shared = config.shared.clone();
    let app = Router::new().route("/ws", any(upgrade)).with_state(AppState { schema, config });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    Server { addr, live, produced, shared }
}

fn fast() -> WsConfig {
    WsConfig { init_timeout: Duration::from_millis(300), ..WsConfig::default() }
}

// ---------- the client ----------

type Client = WebSocketStream<MaybeTlsStream<TcpStream>>;

const TRANSPORT: &str = "graphql-transport-ws";
const LEGACY: &str = "graphql-ws";
const WAIT: Duration = Duration::from_secs(5);

async fn connect(addr: SocketAddr, protocol: &str, authorization: Option<&str>) -> Client {
    let mut request = format!("ws://{addr}/ws").into_client_request().expect("request");
    let headers = request.headers_mut();
    headers.insert("sec-websocket-protocol", protocol.parse().expect("header"));
    if let Some(authorization) = authorization {
        headers.insert("authorization", authorization.parse().expect("header"));
    }
    let (client, response) = connect_async(request).await.expect("connect");
    let selected = response.headers().get("sec-websocket-protocol");
    assert_eq!(selected.and_then(|v| v.to_str().ok()), Some(protocol));
    client
}

async fn send(client: &mut Client, message: Value) {
    client.send(Message::Text(message.to_string().into())).await.expect("send");
}

/// The next protocol message, skipping Ping/Pong frames and (legacy) `ka`.
async fn recv(client: &mut Client) -> Value {
    let next = async {
        loop {
            match client.next().await {
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(&text).expect("json");
                    if value["type"] != "ka" {
                        return value;
                    }
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                other => panic!("expected a message, got {other:?}"),
            }
        }
    };
    tokio::time::timeout(WAIT, next).await.expect("no message in time")
}

/// Reads until the close frame; text messages before it are returned too.
async fn closed(client: &mut Client) -> (u16, String, Vec<Value>) {
    let until_close = async {
        let mut texts = Vec::new();
        loop {
            match client.next().await {
                Some(Ok(Message::Close(Some(frame)))) => {
                    return (u16::from(frame.code), frame.reason.to_string(), texts);
                }
                Some(Ok(Message::Text(text))) => {
                    texts.push(serde_json::from_str(&text).expect("json"));
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                other => panic!("expected a close frame, got {other:?}"),
            }
        }
    };
    tokio::time::timeout(WAIT, until_close).await.expect("not closed in time")
}

async fn init(client: &mut Client, payload: Value) {
    send(client, json!({"type": "connection_init", "payload": payload})).await;
    assert_eq!(recv(client).await, json!({"type": "connection_ack"}));
}

async fn subscribe(client: &mut Client, id: &str, query: &str) {
    let message = json!({"type": "subscribe", "id": id, "payload": {"query": query}});
    send(client, message).await;
}

/// A ping/pong round trip: every message the server queued before the pong
/// has arrived once this returns.
async fn round_trip(client: &mut Client) -> Vec<Value> {
    send(client, json!({"type": "ping", "payload": {"sync": true}})).await;
    let mut before = Vec::new();
    loop {
        let message = recv(client).await;
        if message["type"] == "pong" {
            return before;
        }
        before.push(message);
    }
}

async fn eventually(what: &str, condition: impl Fn() -> bool) {
    for _ in 0..100 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("never happened: {what}");
}

// ---------- graphql-transport-ws ----------

#[tokio::test]
async fn init_is_acknowledged() {
    let server = server(fast()).await;
    let mut client = connect(server.addr, TRANSPORT, None).await;
    send(&mut client, json!({"type": "connection_init"})).await;
    assert_eq!(recv(&mut client).await, json!({"type": "connection_ack"}));
}

async fn whoami(client: &mut Client) -> Value {
    subscribe(client, "me", "subscription { whoami }").await;
    let next = recv(client).await;
    assert_eq!(recv(client).await, json!({"type": "complete", "id": "me"}));
    next["payload"]["data"]["whoami"].clone()
}

#[tokio::test]
async fn every_payload_key_authenticates() {
    let server = server(fast()).await;
    let payloads = [
        json!({"authToken": "good"}),
        json!({"Authorization": "Bearer good"}),
        json!({"authorization": "bearer good"}),
        json!({"token": "good"}),
        json!({"headers": {"Authorization": "Bearer good"}}),
        json!({"headers": {"authorization": "good"}}),
    ];
    for payload in payloads {
        let mut client = connect(server.addr, TRANSPORT, None).await;
        init(&mut client, payload.clone()).await;
        assert_eq!(whoami(&mut client).await, json!("user"), "{payload}");
    }
}

#[tokio::test]
async fn the_upgrade_header_authenticates_and_no_token_is_anonymous() {
    let server = server(fast()).await;
    let mut client = connect(server.addr, TRANSPORT, Some("Bearer good")).await;
    init(&mut client, json!({})).await;
    assert_eq!(whoami(&mut client).await, json!("user"));

    let mut client = connect(server.addr, TRANSPORT, None).await;
    init(&mut client, json!({})).await;
    assert_eq!(whoami(&mut client).await, json!("anonymous"));
}

#[tokio::test]
async fn a_bad_token_is_forbidden() {
    let server = server(fast()).await;
    let mut client = connect(server.addr, TRANSPORT, None).await;
    send(&mut client, json!({"type": "connection_init", "payload": {"authToken": "bad"}})).await;
    let (code, reason, _) = closed(&mut client).await;
    assert_eq!((code, reason.as_str()), (4403, "Forbidden"));

    let mut client = connect(server.addr, TRANSPORT, Some("Bearer bad")).await;
    send(&mut client, json!({"type": "connection_init"})).await;
    assert_eq!(closed(&mut client).await.0, 4403);
}

#[tokio::test]
async fn no_init_in_time_closes_with_4408() {
    let server = server(fast()).await;
    let mut client = connect(server.addr, TRANSPORT, None).await;
    let (code, reason, _) = closed(&mut client).await;
    assert_eq!((code, reason.as_str()), (4408, "Connection initialisation timeout"));
}

#[tokio::test]
async fn subscribe_before_ack_closes_with_4401() {
    let server = server(fast()).await;
    let mut client = connect(server.addr, TRANSPORT, None).await;
    subscribe(&mut client, "1", "{ hello }").await;
    let (code, reason, _) = closed(&mut client).await;
    assert_eq!((code, reason.as_str()), (4401, "Unauthorized"));
}

#[tokio::test]
async fn a_duplicate_id_closes_with_4409_and_drops_the_streams() {
    let server = server(fast()).await;
    let mut client = connect(server.addr, TRANSPORT, None).await;
    init(&mut client, json!({})).await;
    subscribe(&mut client, "dup", "subscription { forever }").await;
    subscribe(&mut client, "dup", "subscription { forever }").await;
    let (code, reason, _) = closed(&mut client).await;
    assert_eq!((code, reason.as_str()), (4409, "Subscriber for dup already exists"));
    eventually("streams dropped", || server.live.0.load(Ordering::SeqCst) == 0).await;
}

#[tokio::test]
async fn a_second_init_closes_with_4429() {
    let server = server(fast()).await;
    let mut client = connect(server.addr, TRANSPORT, None).await;
    init(&mut client, json!({})).await;
    send(&mut client, json!({"type": "connection_init"})).await;
    let (code, reason, _) = closed(&mut client).await;
    assert_eq!((code, reason.as_str()), (4429, "Too many initialisation requests"));
}

#[tokio::test]
async fn invalid_messages_close_with_4400() {
    let server = server(fast()).await;
    let invalid = [
        Message::Text("{not json".into()),
        Message::Text(r#"{"type":"start","id":"1","payload":{"query":"{hello}"}}"#.into()),
        Message::Text(r#"{"type":"next","id":"1","payload":{}}"#.into()),
        Message::Text(r#"{"type":"subscribe","id":"","payload":{"query":"{hello}"}}"#.into()),
    ];
    for message in invalid {
        let mut client = connect(server.addr, TRANSPORT, None).await;
        init(&mut client, json!({})).await;
        client.send(message.clone()).await.expect("send");
        let (code, reason, _) = closed(&mut client).await;
        assert_eq!((code, reason.as_str()), (4400, "Invalid message received"), "{message:?}");
    }
}

#[tokio::test]
async fn ping_is_answered_with_pong_even_before_init() {
    let server = server(fast()).await;
    let mut client = connect(server.addr, TRANSPORT, None).await;
    send(&mut client, json!({"type": "ping", "payload": {"n": 7}})).await;
    assert_eq!(recv(&mut client).await, json!({"type": "pong", "payload": {"n": 7}}));
    init(&mut client, json!({})).await;
    send(&mut client, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut client).await, json!({"type": "pong"}));
}

#[tokio::test]
async fn ticks_arrive_in_order_then_complete() {
    let server = server(fast()).await;
    let mut client = connect(server.addr, TRANSPORT, None).await;
    init(&mut client, json!({})).await;
    subscribe(&mut client, "t", "subscription { ticks(n: 5) }").await;
    for i in 1..=5 {
        let expected = json!({"type": "next", "id": "t", "payload": {"data": {"ticks": i}}});
        assert_eq!(recv(&mut client).await, expected);
    }
    assert_eq!(recv(&mut client).await, json!({"type": "complete", "id": "t"}));
    // The id is free again once completed.
    subscribe(&mut client, "t", "subscription { ticks(n: 1) }").await;
    assert_eq!(recv(&mut client).await["payload"]["data"]["ticks"], 1);
}

#[tokio::test]
async fn queries_and_mutations_run_over_subscribe() {
    let server = server(fast()).await;
    let mut client = connect(server.addr, TRANSPORT, None).await;
    init(&mut client, json!({})).await;
    subscribe(&mut client, "q", "{ hello }").await;
    let expected = json!({"type": "next", "id": "q", "payload": {"data": {"hello": "world"}}});
    assert_eq!(recv(&mut client).await, expected);
    assert_eq!(recv(&mut client).await, json!({"type": "complete", "id": "q"}));
}

#[tokio::test]
async fn complete_from_the_client_stops_the_operation() {
    let server = server(fast()).await;
    let mut client = connect(server.addr, TRANSPORT, None).await;
    init(&mut client, json!({})).await;
    subscribe(&mut client, "f", "subscription { forever }").await;
    assert_eq!(recv(&mut client).await["payload"]["data"]["forever"], 1);
    send(&mut client, json!({"type": "complete", "id": "f"})).await;
    eventually("stream dropped", || server.live.0.load(Ordering::SeqCst) == 0).await;
    round_trip(&mut client).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(round_trip(&mut client).await.is_empty(), "nothing after complete");
    // The id can be used again.
    subscribe(&mut client, "f", "subscription { ticks(n: 1) }").await;
    assert_eq!(recv(&mut client).await["payload"]["data"]["ticks"], 1);
}

#[tokio::test]
async fn a_refused_operation_gets_an_error_message_and_no_complete() {
    let server = server(fast()).await;
    let mut client = connect(server.addr, TRANSPORT, None).await;
    init(&mut client, json!({})).await;
    subscribe(&mut client, "e", "subscription { failing }").await;
    let error = recv(&mut client).await;
    assert_eq!(error["type"], "error");
    assert_eq!(error["id"], "e");
    assert_eq!(error["payload"][0]["message"], "refused");
    assert!(round_trip(&mut client).await.is_empty(), "no complete");

    subscribe(&mut client, "v", "subscription { nope }").await;
    let error = recv(&mut client).await;
    assert_eq!((&error["type"], &error["id"]), (&json!("error"), &json!("v")));
    assert!(error["payload"].as_array().is_some_and(|e| !e.is_empty()));
    assert!(round_trip(&mut client).await.is_empty(), "no complete");
}

#[tokio::test]
async fn the_33rd_subscription_is_refused_and_the_others_go_on() {
    let server = server(fast()).await;
    let mut client = connect(server.addr, TRANSPORT, None).await;
    init(&mut client, json!({})).await;
    for i in 0..32 {
        subscribe(&mut client, &i.to_string(), "subscription { forever }").await;
    }
    subscribe(&mut client, "extra", "subscription { forever }").await;
    let refusal = loop {
        let message = recv(&mut client).await;
        if message["id"] == "extra" {
            break message;
        }
    };
    assert_eq!(refusal["type"], "error");
    assert_eq!(
        refusal["payload"],
        json!([{
            "message": "At most 32 subscriptions per connection",
            "extensions": {"code": "TOO_MANY_SUBSCRIPTIONS"},
        }])
    );
    assert_eq!(server.live.0.load(Ordering::SeqCst), 32);
    let mut seen = std::collections::HashSet::new();
    while seen.len() < 32 {
        let message = recv(&mut client).await;
        assert_eq!(message["type"], "next");
        seen.insert(message["id"].as_str().expect("id").to_string());
    }
    // Completing one frees a slot.
    send(&mut client, json!({"type": "complete", "id": "0"})).await;
    subscribe(&mut client, "extra", "subscription { ticks(n: 1) }").await;
    let message = loop {
        let message = recv(&mut client).await;
        if message["id"] == "extra" {
            break message;
        }
    };
    assert_eq!(message["type"], "next");
    drop(client);
    eventually("streams dropped with the socket", || server.live.0.load(Ordering::SeqCst) == 0).await;
}

#[tokio::test]
async fn a_client_that_does_not_read_holds_the_producer_back() {
    let server = server(fast()).await;
    let mut client = connect(server.addr, TRANSPORT, None).await;
    init(&mut client, json!({})).await;
    subscribe(&mut client, "flood", "subscription { flood }").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stalled = server.produced.0.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(500)).await;
    // The outgoing queue (64) and the socket buffers are full: nothing more
    // is produced until the client reads.
    assert_eq!(server.produced.0.load(Ordering::SeqCst), stalled);
    assert!(stalled < 1000, "{stalled} results buffered");
    for _ in 0..200 {
        assert_eq!(recv(&mut client).await["type"], "next");
    }
    assert!(server.produced.0.load(Ordering::SeqCst) > stalled);
}

#[tokio::test]
async fn the_server_sends_ping_frames() {
    let config = WsConfig { ping_interval: Duration::from_millis(100), ..fast() };
    let server = server(config).await;
    let mut client = connect(server.addr, TRANSPORT, None).await;
    let ping = async {
        loop {
            if let Some(Ok(Message::Ping(_))) = client.next().await {
                return;
            }
        }
    };
    tokio::time::timeout(WAIT, ping).await.expect("no ping");
}

#[tokio::test]
async fn a_silent_peer_is_dropped_and_a_ponging_one_kept() {
    let config =
        WsConfig { ping_interval: Duration::from_millis(100), idle_timeout: Duration::from_millis(500), ..fast() };
    let server = server(config).await;

    // Reading answers the pings (tungstenite pongs by itself): kept alive
    // well past idle_timeout without sending a single protocol message.
    let mut alive = connect(server.addr, TRANSPORT, None).await;
    init(&mut alive, json!({})).await;
    let listen = async {
        while let Some(Ok(_)) = alive.next().await {}
        panic!("the ponging client was dropped");
    };
    let _ = tokio::time::timeout(Duration::from_millis(1500), listen).await;
    send(&mut alive, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut alive).await, json!({"type": "pong"}));

    // Neither reading nor writing: no pongs, so the server gives up.
    let mut silent = connect(server.addr, TRANSPORT, None).await;
    init(&mut silent, json!({})).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let until_end = async {
        loop {
            match silent.next().await {
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(other)) => panic!("unexpected {other:?}"),
                None | Some(Err(_)) => return,
            }
        }
    };
    tokio::time::timeout(WAIT, until_end).await.expect("the silent peer was not dropped");
}

#[tokio::test]
async fn an_expiring_token_closes_with_4403() {
    let server = server(fast()).await;
    let mut client = connect(server.addr, TRANSPORT, None).await;
    init(&mut client, json!({"authToken": "expired-soon"})).await;
    subscribe(&mut client, "f", "subscription { forever }").await;
    let started = std::time::Instant::now();
    let (code, reason, _) = closed(&mut client).await;
    assert_eq!((code, reason.as_str()), (4403, "Token expired"));
    assert!(started.elapsed() < Duration::from_secs(2));
    eventually("stream dropped", || server.live.0.load(Ordering::SeqCst) == 0).await;
}

// ---------- legacy graphql-ws ----------

async fn start(client: &mut Client, id: &str, query: &str) {
    let message = json!({"type": "start", "id": id, "payload": {"query": query}});
    send(client, message).await;
}

#[tokio::test]
async fn legacy_ack_then_keep_alives() {
    let config = WsConfig { legacy_keepalive: Duration::from_millis(100), ..fast() };
    let server = server(config).await;
    let mut client = connect(server.addr, LEGACY, None).await;
    send(&mut client, json!({"type": "connection_init", "payload": {}})).await;
    let mut texts = Vec::new();
    while texts.len() < 3 {
        if let Some(Ok(Message::Text(text))) = client.next().await {
            texts.push(serde_json::from_str::<Value>(&text).expect("json"));
        }
    }
    assert_eq!(texts[0], json!({"type": "connection_ack"}));
    assert_eq!(texts[1], json!({"type": "ka"}));
    assert_eq!(texts[2], json!({"type": "ka"}));
}

#[tokio::test]
async fn legacy_start_data_complete() {
    let server = server(fast()).await;
    let mut client = connect(server.addr, LEGACY, Some("Bearer good")).await;
    init(&mut client, json!({})).await;
    start(&mut client, "1", "subscription { ticks(n: 3) }").await;
    for i in 1..=3 {
        let expected = json!({"type": "data", "id": "1", "payload": {"data": {"ticks": i}}});
        assert_eq!(recv(&mut client).await, expected);
    }
    assert_eq!(recv(&mut client).await, json!({"type": "complete", "id": "1"}));

    start(&mut client, "2", "subscription { whoami }").await;
    assert_eq!(recv(&mut client).await["payload"]["data"]["whoami"], "user");

    start(&mut client, "3", "subscription { failing }").await;
    let message = loop {
        let message = recv(&mut client).await;
        if message["id"] == "3" {
            break message;
        }
    };
    assert_eq!(message["type"], "error");
    assert_eq!(message["payload"][0]["message"], "refused");
}

#[tokio::test]
async fn legacy_stop_ends_the_operation() {
    let server = server(fast()).await;
    let mut client = connect(server.addr, LEGACY, None).await;
    init(&mut client, json!({})).await;
    start(&mut client, "1", "subscription { forever }").await;
    assert_eq!(recv(&mut client).await["type"], "data");
    send(&mut client, json!({"type": "stop", "id": "1"})).await;
    eventually("stream dropped", || server.live.0.load(Ordering::SeqCst) == 0).await;
}

#[tokio::test]
async fn legacy_bad_token_gets_connection_error() {
    let server = server(fast()).await;
    let mut client = connect(server.addr, LEGACY, None).await;
    send(&mut client, json!({"type": "connection_init", "payload": {"authToken": "bad"}})).await;
    let (code, _, texts) = closed(&mut client).await;
    assert_eq!(code, 4403);
    assert_eq!(texts, vec![json!({"type": "connection_error", "payload": {"message": "Forbidden"}})]);
}

#[tokio::test]
async fn legacy_connection_terminate_closes() {
    let server = server(fast()).await;
    let mut client = connect(server.addr, LEGACY, None).await;
    init(&mut client, json!({})).await;
    start(&mut client, "1", "subscription { forever }").await;
    send(&mut client, json!({"type": "connection_terminate"})).await;
    let (code, _, _) = closed(&mut client).await;
    assert_eq!(code, 1000);
    eventually("stream dropped", || server.live.0.load(Ordering::SeqCst) == 0).await;
}

#[tokio::test]
async fn an_unknown_subprotocol_is_refused() {
    let server = server(fast()).await;
    let mut request = format!("ws://{}/ws", server.addr).into_client_request().expect("request");
    request.headers_mut().insert("sec-websocket-protocol", "soap".parse().expect("header"));
    assert!(connect_async(request).await.is_err());
}
