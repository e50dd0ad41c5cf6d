//! A small real websocket client speaking both GraphQL subprotocols.

use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

pub const TRANSPORT_WS: &str = "graphql-transport-ws";
pub const LEGACY_WS: &str = "graphql-ws";

pub struct WsClient {
    socket: Socket,
    /// Messages read while looking for another operation's, oldest first.
    buffered: VecDeque<Value>,
}

/// What arrived: a protocol message, or the close frame.
#[derive(Debug)]
pub enum Received {
    Message(Value),
    Closed(u16, String),
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

impl WsClient {
    /// Connects to the server's `/graphql` endpoint.
    pub async fn connect(addr: &std::net::SocketAddr, protocol: &str, authorization: Option<&str>) -> Self {
        Self::connect_to(&format!("ws://{addr}/graphql"), protocol, authorization).await
    }

    /// Connects to any websocket URL, asking for `protocol`, which the server must select.
    pub async fn connect_to(url: &str, protocol: &str, authorization: Option<&str>) -> Self {
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_str(protocol).unwrap());
        if let Some(value) = authorization {
            request.headers_mut().insert("authorization", HeaderValue::from_str(value).unwrap());
        }
        let (socket, response) = connect_async(request).await.expect("websocket upgrade");
        assert_eq!(response.headers()["sec-websocket-protocol"], protocol);
        WsClient { socket, buffered: VecDeque::new() }
    }

    pub async fn send(&mut self, message: Value) {
        self.socket.send(Message::text(message.to_string())).await.unwrap();
    }

    /// The next protocol message or close frame (pings, pongs and legacy `ka` are skipped).
    pub async fn recv(&mut self) -> Received {
        let deadline = Duration::from_secs(30);
        loop {
            let frame = tokio::time::timeout(deadline, self.socket.next()).await.expect("a message within 30 s");
            match frame {
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(&text).unwrap();
                    if value["type"] == "ka" {
                        continue;
                    }
                    return Received::Message(value);
                }
                Some(Ok(Message::Close(frame))) => {
                    return frame.map_or(Received::Closed(1005, String::new()), |f| {
                        Received::Closed(f.code.into(), f.reason.to_string())
                    });
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Received::Closed(1006, String::new()),
            }
        }
    }

    /// The next message: one buffered earlier, or a new one.
    pub async fn message(&mut self) -> Value {
        if let Some(message) = self.buffered.pop_front() {
            return message;
        }
        match self.recv().await {
            Received::Message(value) => value,
            Received::Closed(code, reason) => {
                panic!("closed with {code} {reason} while a message was expected")
            }
        }
    }

    /// Sends connection_init and expects the ack.
    pub async fn init(&mut self, payload: Value) {
        self.send(json!({ "type": "connection_init", "payload": payload })).await;
        let ack = self.message().await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
    }

    /// Starts an operation in the connection's protocol.
    pub async fn subscribe(&mut self, protocol: &str, id: &str, query: &str, variables: Value) {
        let kind = if protocol == LEGACY_WS { "start" } else { "subscribe" };
        self.send(json!({ "id": id, "type": kind, "payload": { "query": query, "variables": variables } })).await;
    }

    /// The next `next`/`data` payload for `id`; panics on anything else.
    pub async fn next_data(&mut self, id: &str) -> Value {
        let message = match self.buffered.iter().position(|m| m["id"] == id) {
            Some(index) => self.buffered.remove(index).unwrap_or_default(),
            None => loop {
                let message = match self.recv().await {
                    Received::Message(value) => value,
                    Received::Closed(code, reason) => panic!("closed with {code} {reason} while waiting for {id}"),
                };
                if message["id"] == id {
                    break message;
                }
                self.buffered.push_back(message);
            },
        };
        assert!(matches!(message["type"].as_str(), Some("next" | "data")), "{message}");
        assert_eq!(message["id"], id);
        assert!(message["payload"].get("errors").is_none(), "{message}");
        message["payload"]["data"].clone()
    }

    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }
}

/// The socket itself, for a test that sends or reads frames of its own
/// (malformed messages, a peer that stops reading).
impl Deref for WsClient {
    type Target = Socket;

    fn deref(&self) -> &Socket {
        &self.socket
    }
}

impl DerefMut for WsClient {
    fn deref_mut(&mut self) -> &mut Socket {
        &mut self.socket
    }
}
