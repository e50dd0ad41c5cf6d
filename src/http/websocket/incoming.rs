//! Messages from the client, in either subprotocol, read into one shape.

use async_graphql::Request;
use serde::Deserialize;
use serde_json::Value;

use super::Protocol;

/// A client message, whatever the subprotocol called it.
pub enum Incoming {
    Init(Option<Value>),
    Ping(Option<Value>),
    Pong,
    Subscribe { id: String, request: Box<Request> },
    Complete { id: String },
    Terminate,
}

/// The message is not JSON, has an unknown `type`, or misses a field.
pub struct Invalid;

/// `graphql-transport-ws` client messages (graphql-ws `PROTOCOL.md`).
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum TransportWs {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Ping {
        #[serde(default)]
        payload: Option<Value>,
    },
    Pong {},
    Subscribe {
        id: String,
        payload: Box<Request>,
    },
    Complete {
        id: String,
    },
}

/// Legacy `graphql-ws` client messages (subscriptions-transport-ws).
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Legacy {
    ConnectionInit {
        #[serde(default)]
        payload: Option<Value>,
    },
    Start {
        id: String,
        payload: Box<Request>,
    },
    Stop {
        id: String,
    },
    ConnectionTerminate {},
}

pub fn parse(protocol: Protocol, bytes: &[u8]) -> Result<Incoming, Invalid> {
    let message = match protocol {
        Protocol::GraphqlTransportWs => match serde_json::from_slice(bytes) {
            Ok(TransportWs::ConnectionInit { payload }) => Incoming::Init(payload),
            Ok(TransportWs::Ping { payload }) => Incoming::Ping(payload),
            Ok(TransportWs::Pong {}) => Incoming::Pong,
            Ok(TransportWs::Subscribe { id, payload }) => Incoming::Subscribe { id, request: payload },
            Ok(TransportWs::Complete { id }) => Incoming::Complete { id },
            Err(_) => return Err(Invalid),
        },
        Protocol::GraphqlWs => match serde_json::from_slice(bytes) {
            Ok(Legacy::ConnectionInit { payload }) => Incoming::Init(payload),
            Ok(Legacy::Start { id, payload }) => Incoming::Subscribe { id, request: payload },
            Ok(Legacy::Stop { id }) => Incoming::Complete { id },
            Ok(Legacy::ConnectionTerminate {}) => Incoming::Terminate,
            Err(_) => return Err(Invalid),
        },
    };
    // Both protocols require a non-empty operation id.
    match &message {
        Incoming::Subscribe { id, .. } | Incoming::Complete { id } if id.is_empty() => Err(Invalid),
        _ => Ok(message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parses(protocol: Protocol, text: &str) -> bool {
        parse(protocol, text.as_bytes()).is_ok()
    }

    #[test]
    fn transport_ws_messages() {
        let p = Protocol::GraphqlTransportWs;
        assert!(parses(p, r#"{"type":"connection_init"}"#));
        assert!(parses(p, r#"{"type":"connection_init","payload":{"a":1}}"#));
        assert!(parses(p, r#"{"type":"ping"}"#));
        assert!(parses(p, r#"{"type":"pong","payload":{"x":1}}"#));
        assert!(parses(p, r#"{"type":"subscribe","id":"1","payload":{"query":"{a}"}}"#));
        assert!(parses(p, r#"{"type":"complete","id":"1"}"#));
        assert!(!parses(p, r#"{"type":"complete","id":""}"#));
        assert!(!parses(p, r#"{"type":"subscribe","id":"1"}"#));
        assert!(!parses(p, r#"{"type":"next","id":"1","payload":{}}"#));
        assert!(!parses(p, r#"{"type":"start","id":"1","payload":{"query":"{a}"}}"#));
        assert!(!parses(p, "{not json"));
    }

    #[test]
    fn legacy_messages() {
        let p = Protocol::GraphqlWs;
        assert!(parses(p, r#"{"type":"connection_init","payload":{}}"#));
        assert!(parses(p, r#"{"type":"start","id":"1","payload":{"query":"{a}"}}"#));
        assert!(parses(p, r#"{"type":"stop","id":"1"}"#));
        assert!(parses(p, r#"{"type":"connection_terminate"}"#));
        assert!(!parses(p, r#"{"type":"subscribe","id":"1","payload":{"query":"{a}"}}"#));
        assert!(!parses(p, r#"{"type":"ping"}"#));
    }
}
