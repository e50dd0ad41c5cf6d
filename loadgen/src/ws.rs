//! A graphql-transport-ws connection: upgrade, connection_init with the
//! token, subscribe, and a stream of what arrives.

use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async_with_config};

const PROTOCOL: &str = "graphql-transport-ws";

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What the server sent.
#[derive(Debug)]
pub enum Incoming {
    /// `connection_ack`.
    Ack,
    /// `next`: an operation's result (`payload`).
    Next { payload: Value },
    /// `error` or `complete`: the operation is over.
    Ended { id: String, message: Value },
    /// The connection is closed (code, reason).
    Closed(String),
}

/// What the server sent, with `next` messages left as text: a fleet of
/// thousands of subscribers reads the two fields it needs without building
/// a JSON tree for every message.
#[derive(Debug)]
pub enum Raw {
    Next(String),
    Other(Incoming),
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

/// Raises this process's soft limit on open files to its hard limit (each
/// websocket is a file); the limit now in force.
pub fn raise_open_files() -> Option<u64> {
    let limit = getrlimit(Resource::Nofile);
    let hard = limit.maximum?;
    if limit.current == Some(hard) {
        return Some(hard);
    }
    match setrlimit(Resource::Nofile, Rlimit { current: Some(hard), maximum: Some(hard) }) {
        Ok(()) => Some(hard),
        Err(_) => limit.current,
    }
}

/// Small buffers, as the server's: thousands of sockets with tungstenite's
/// 128 KiB defaults would cost the tool gigabytes.
fn config() -> WebSocketConfig {
    WebSocketConfig::default().read_buffer_size(16 * 1024).write_buffer_size(0)
}

impl Connection {
    /// Connects and initialises with `authToken`, waiting for the ack.
    pub async fn open(http_url: &str, token: &str) -> anyhow::Result<Connection> {
        let url = ws_url(http_url);
        let mut request = url.as_str().into_client_request().with_context(|| format!("bad websocket URL {url}"))?;
        request.headers_mut().insert("sec-websocket-protocol", HeaderValue::from_static(PROTOCOL));
        let (socket, _) = connect_async_with_config(request, Some(config()), true)
            .await
            .with_context(|| format!("cannot open a websocket to {url}"))?;
        let (sink, stream) = socket.split();
        let mut connection = Connection { sink, stream };
        let init = json!({ "type": "connection_init", "payload": { "authToken": token } });
        connection.send(&init).await?;
        let ack = tokio::time::timeout(Duration::from_secs(30), connection.next())
            .await
            .map_err(|_| anyhow!("no connection_ack within 30 s"))??;
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
        match self.next_raw().await? {
            Raw::Other(incoming) => Ok(incoming),
            Raw::Next(text) => {
                let mut value: Value =
                    serde_json::from_str(&text).context("the server sent a frame that is not JSON")?;
                let payload = value.get_mut("payload").map(Value::take).unwrap_or_default();
                Ok(Incoming::Next { payload })
            }
        }
    }

    /// The next protocol message, `next` ones as their text.
    pub async fn next_raw(&mut self) -> anyhow::Result<Raw> {
        loop {
            let frame = match self.stream.next().await {
                None => return Ok(Raw::Other(Incoming::Closed("end of stream".into()))),
                Some(Err(err)) => return Ok(Raw::Other(Incoming::Closed(err.to_string()))),
                Some(Ok(frame)) => frame,
            };
            let text = match frame {
                Message::Text(text) => text,
                Message::Close(frame) => {
                    let why = frame.map_or("1005".into(), |f| format!("{} {}", f.code, f.reason));
                    return Ok(Raw::Other(Incoming::Closed(why)));
                }
                Message::Ping(data) => {
                    self.sink.send(Message::Pong(data)).await.ok();
                    continue;
                }
                _ => continue,
            };
            if text.starts_with(r#"{"type":"next""#)
                || (text.starts_with(r#"{"id":"#) && text.contains(r#""type":"next""#))
            {
                return Ok(Raw::Next(text.as_str().to_owned()));
            }
            let value: Value = serde_json::from_str(&text).context("the server sent a frame that is not JSON")?;
            let id = value["id"].as_str().unwrap_or_default().to_owned();
            match value["type"].as_str() {
                Some("next") => return Ok(Raw::Next(text.as_str().to_owned())),
                Some("error" | "complete") => return Ok(Raw::Other(Incoming::Ended { id, message: value })),
                Some("connection_ack") => return Ok(Raw::Other(Incoming::Ack)),
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
