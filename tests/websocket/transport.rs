//! graphql-transport-ws: init and authentication, close codes, operations,
//! limits, keepalive and token expiry.

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use minibank::http::websocket::WsConfig;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::client::{Client, TRANSPORT, WAIT, closed, connect, eventually, init, recv, round_trip, send, subscribe};
use crate::server::{fast, server};

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
        SinkExt::send(&mut *client, message.clone()).await.expect("send");
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
