//! A graphql-transport-ws connection: upgrade, connection_init with the
//! token, subscribe, and a stream of what arrives.

use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

const PROTOCOL: &str = "graphql-transport-ws";

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What the server sent.
#[derive(Debug)]
pub enum Incoming {
    /// `connection_ack`.
    Ack,
    /// `next`: an operation's result (`payload`).
    Next { id: String, payload: Value },
    /// `error` or `complete`: the operation is over.
    Ended { id: String, message: Value },
    /// The connection is closed (code, reason).
    Closed(String),
}

pub struct Connection {
    sink: SplitSink<Socket, Message>,
    stream: SplitStream<Socket>,
}

/// The websocket address of a GraphQL HTTP endpoint.
pub fn ws_url(http_url: &str) -> String {
    if let Some(rest) = http_url.strip_prefix("https://") {
        format!("wss://{rest}")
    } else if let Some(rest) = http_url.strip_prefix("http://") {
        format!("ws://{rest}")
    } else {
        http_url.to_owned()
    }
}

impl Connection {
    /// Connects and initialises with `authToken`, waiting for the ack.
    pub async fn open(http_url: &str, token: &str) -> anyhow::Result<Connection> {
        let url = ws_url(http_url);
        let mut request = url.as_str().into_client_request().with_context(|| format!("bad websocket URL {url}"))?;
        request.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_static(PROTOCOL));
        let (socket, _) = connect_async(request).await.with_context(|| format!("cannot open a websocket to {url}"))?;
        let (sink, stream) = socket.split();
        let mut connection = Connection { sink, stream };
        let init = json!({ "type": "connection_init", "payload": { "authToken": token } });
        connection.send(&init).await?;
        let ack = tokio::time::timeout(Duration::from_secs(10), connection.next())
            .await
            .map_err(|_| anyhow!("no connection_ack within 10 s"))??;
        match ack {
            Incoming::Ack => Ok(connection),
            Incoming::Closed(why) => bail!("closed during connection_init: {why}"),
            other => bail!("expected connection_ack, got {other:?}"),
        }
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) -> anyhow::Result<()> {
        let message = json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } });
        self.send(&message).await
    }

    async fn send(&mut self, message: &Value) -> anyhow::Result<()> {
        self.sink.send(Message::text(message.to_string())).await.context("cannot send on the websocket")
    }

    /// The next protocol message (pings and pongs are handled underneath).
    pub async fn next(&mut self) -> anyhow::Result<Incoming> {
        loop {
            let frame = match self.stream.next().await {
                None => return Ok(Incoming::Closed("end of stream".into())),
                Some(Err(err)) => return Ok(Incoming::Closed(err.to_string())),
                Some(Ok(frame)) => frame,
            };
            let text = match frame {
                Message::Text(text) => text,
                Message::Close(frame) => {
                    let why = frame.map_or("1005".into(), |f| format!("{} {}", f.code, f.reason));
                    return Ok(Incoming::Closed(why));
                }
                Message::Ping(data) => {
                    self.sink.send(Message::Pong(data)).await.ok();
                    continue;
                }
                _ => continue,
            };
            let mut value: Value = serde_json::from_str(&text).context("the server sent a frame that is not JSON")?;
            let id = value["id"].as_str().unwrap_or_default().to_owned();
            match value["type"].as_str() {
                Some("next") => {
                    let payload = value.get_mut("payload").map(Value::take).unwrap_or_default();
                    return Ok(Incoming::Next { id, payload });
                }
                Some("error" | "complete") => return Ok(Incoming::Ended { id, message: value }),
                Some("connection_ack") => return Ok(Incoming::Ack),
                Some("ping") => {
                    self.send(&json!({ "type": "pong" })).await?;
                }
                _ => {}
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self.sink.close().await;
    }
}
