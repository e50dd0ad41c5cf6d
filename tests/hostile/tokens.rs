//! Tokens signed with the right secret but dated in the future (`iat` or
//! `nbf` beyond the minute of tolerated skew) are refused over HTTP and over
//! websockets; the same token dated now is accepted, so the refusal is about
//! the dates alone.

use futures::{SinkExt, StreamExt};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::support::{JWT_SECRET, Target, code};

const HOUR: i64 = 3600;

/// A token for `client_id` signed with the server's secret, with `dates` over the usual claims.
fn forge(client_id: &str, dates: Value) -> String {
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "sub": client_id, "role": "CUSTOMER", "iss": "minibank", "aud": "minibank",
        "iat": now, "exp": now + 2 * HOUR,
    });
    for (key, value) in dates.as_object().unwrap() {
        claims[key] = value.clone();
    }
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &EncodingKey::from_secret(JWT_SECRET.as_bytes()))
        .unwrap()
}

fn future_dated(client_id: &str) -> Vec<(&'static str, String)> {
    let now = chrono::Utc::now().timestamp();
    vec![
        ("iat in an hour", forge(client_id, json!({ "iat": now + HOUR }))),
        ("nbf in an hour", forge(client_id, json!({ "nbf": now + HOUR }))),
        ("iat in two minutes", forge(client_id, json!({ "iat": now + 120 }))),
        ("nbf far in the future", forge(client_id, json!({ "nbf": i64::MAX }))),
    ]
}

#[tokio::test]
async fn future_dated_tokens_are_refused_over_http() {
    let mut target = Target::start().await;
    let alice = target.alice.id.clone();
    let now_dated = forge(&alice, json!({ "nbf": chrono::Utc::now().timestamp() }));
    let data = target.ok(Some(&now_dated), "{ me { id } }", json!({})).await;
    assert_eq!(data["me"]["id"], alice.as_str(), "the same token dated now works");

    for (what, token) in future_dated(&alice) {
        let response = target.gql(Some(&token), "{ me { id } }", json!({})).await;
        assert_eq!(code(&response), Some("UNAUTHENTICATED"), "{what}: {response}");
        assert!(response["data"].is_null() || response["data"]["me"].is_null(), "{what}: {response}");
    }
    target.assert_serves().await;
}

/// The close code a websocket gets after `connection_init` with `token`, or None when acknowledged.
async fn init_with(target: &Target, token: &str) -> Option<u16> {
    let mut request = format!("ws://{}/graphql", target.server.addr).into_client_request().unwrap();
    request.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_static("graphql-transport-ws"));
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("websocket upgrade");
    let init = json!({ "type": "connection_init", "payload": { "authToken": token } });
    socket.send(Message::text(init.to_string())).await.unwrap();
    let deadline = std::time::Duration::from_secs(30);
    loop {
        match tokio::time::timeout(deadline, socket.next()).await.expect("an answer within 30 s") {
            Some(Ok(Message::Text(text))) => {
                let message: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(message["type"], "connection_ack", "{message}");
                let _ = socket.close(None).await;
                return None;
            }
            Some(Ok(Message::Close(frame))) => return Some(frame.map_or(1005, |f| f.code.into())),
            Some(Ok(_)) => continue,
            Some(Err(_)) | None => return Some(1006),
        }
    }
}

#[tokio::test]
async fn future_dated_tokens_are_refused_over_websockets() {
    let mut target = Target::start().await;
    let alice = target.alice.id.clone();
    assert_eq!(init_with(&target, &forge(&alice, json!({}))).await, None, "a token dated now is acknowledged");
    for (what, token) in future_dated(&alice) {
        assert_eq!(init_with(&target, &token).await, Some(4403), "{what}");
    }
    target.assert_serves().await;
}
