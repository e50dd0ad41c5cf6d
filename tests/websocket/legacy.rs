//! The legacy graphql-ws subprotocol, and a subprotocol that is neither.

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::StreamExt;
use minibank::http::websocket::WsConfig;
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::client::{Client, LEGACY, closed, connect, eventually, init, recv, send};
use crate::server::{fast, server};

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
