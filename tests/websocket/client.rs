//! Reading the shared websocket client message by message, as these tests
//! need: keepalives skipped, close frames with the messages before them,
//! ping/pong round trips.

use std::net::SocketAddr;
use std::time::Duration;

use futures::StreamExt;
use serde_json::{Value, json};
use test_support::ws_client::WsClient;
use tokio_tungstenite::tungstenite::Message;

/// The tests' one websocket client, read here frame by frame.
pub type Client = WsClient;

pub use test_support::ws_client::{LEGACY_WS as LEGACY, TRANSPORT_WS as TRANSPORT};
pub const WAIT: Duration = Duration::from_secs(5);

pub async fn connect(addr: SocketAddr, protocol: &str, authorization: Option<&str>) -> Client {
    WsClient::connect_to(&format!("ws://{addr}/ws"), protocol, authorization).await
}

pub async fn send(client: &mut Client, message: Value) {
    client.send(message).await;
}

/// The next protocol message, skipping Ping/Pong frames and (legacy) `ka`.
pub async fn recv(client: &mut Client) -> Value {
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
pub async fn closed(client: &mut Client) -> (u16, String, Vec<Value>) {
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

pub async fn init(client: &mut Client, payload: Value) {
    send(client, json!({"type": "connection_init", "payload": payload})).await;
    assert_eq!(recv(client).await, json!({"type": "connection_ack"}));
}

pub async fn subscribe(client: &mut Client, id: &str, query: &str) {
    let message = json!({"type": "subscribe", "id": id, "payload": {"query": query}});
    send(client, message).await;
}

/// A ping/pong round trip: every message the server queued before the pong
/// has arrived once this returns.
pub async fn round_trip(client: &mut Client) -> Vec<Value> {
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

pub async fn eventually(what: &str, condition: impl Fn() -> bool) {
    for _ in 0..100 {
        if condition() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("never happened: {what}");
}
