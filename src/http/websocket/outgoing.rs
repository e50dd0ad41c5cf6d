//! Messages to the client, spelled the way each subprotocol wants them.

use std::sync::Arc;

use async_graphql::Response;
use axum::extract::ws::{CloseFrame, Message};
use serde::Serialize;
use serde_json::{Value, json};

use super::Protocol;
use super::frame::Frame;

pub fn ack() -> Message {
    text(json!({"type": "connection_ack"}))
}

/// The answer to a client `ping`, echoing its payload.
pub fn pong(payload: Option<Value>) -> Message {
    match payload {
        Some(payload) => text(json!({"type": "pong", "payload": payload})),
        None => text(json!({"type": "pong"})),
    }
}

/// The legacy protocol's keep-alive.
pub fn keep_alive() -> Message {
    text(json!({"type": "ka"}))
}

/// One result of an operation: `next`, or `data` in the legacy protocol,
/// serialized straight into the message's text.
pub fn next(protocol: Protocol, id: &str, response: &Response) -> Message {
    Frame::Shared { head: next_head(protocol, id), payload: payload(response) }.into_message()
}

/// The start of a result message for operation `id`, to which a payload
/// serialized once for many subscribers (`payload`) and `}` are appended.
pub fn next_head(protocol: Protocol, id: &str) -> Arc<str> {
    let kind = match protocol {
        Protocol::GraphqlTransportWs => "next",
        Protocol::GraphqlWs => "data",
    };
    head(kind, id)
}

/// The start of an `error` message, as `next_head`.
pub fn error_head(id: &str) -> Arc<str> {
    head("error", id)
}

fn head(kind: &str, id: &str) -> Arc<str> {
    let id = Value::from(id);
    format!(r#"{{"type":"{kind}","id":{id},"payload":"#).into()
}

/// A result (or, for an `error` message, a list of errors) serialized once.
pub fn payload(value: &impl Serialize) -> Arc<str> {
    serde_json::to_string(value)
        .map_err(|error| tracing::error!(%error, "could not serialize a websocket message"))
        .unwrap_or_else(|()| json!({"data": null, "errors": internal_errors()}).to_string())
        .into()
}

/// Ends a subscriber that did not take its results as fast as its shared
/// evaluation produced them: a result with a SUBSCRIPTION_LAGGED error
/// naming the position to resume from, as when a subscriber falls behind the
/// log.
pub fn lagged(protocol: Protocol, id: &str, max_waiting: usize, resume_after: i64) -> Message {
    let kind = match protocol {
        Protocol::GraphqlTransportWs => "next",
        Protocol::GraphqlWs => "data",
    };
    let message = format!(
        "the subscriber fell behind: more than {max_waiting} results were waiting for it; resume after position {resume_after}"
    );
    let extensions = json!({"code": "SUBSCRIPTION_LAGGED", "resumeAfter": resume_after.to_string()});
    let errors = json!([{"message": message, "extensions": extensions}]);
    text(json!({"type": kind, "id": id, "payload": {"data": null, "errors": errors}}))
}

/// The operation failed before producing anything: `errors` is a list of
/// GraphQL errors, which is what both protocols' clients accept.
pub fn error(id: &str, errors: &impl Serialize) -> Message {
    let payload = to_json(errors).unwrap_or_else(internal_errors);
    text(json!({"type": "error", "id": id, "payload": payload}))
}

pub fn complete(id: &str) -> Message {
    text(json!({"type": "complete", "id": id}))
}

/// The legacy protocol's way to say why the server is closing.
pub fn connection_error(message: &str) -> Message {
    text(json!({"type": "connection_error", "payload": {"message": message}}))
}

/// A close frame. The reason is cut to the 123 bytes a frame can carry,
/// since it may echo an operation id the client chose.
pub fn close(code: u16, reason: &str) -> Message {
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    Message::Close(Some(CloseFrame { code, reason: reason[..end].into() }))
}

fn text(value: Value) -> Message {
    Message::Text(value.to_string().into())
}

/// GraphQL values always serialize; should one ever not, the client gets a
/// generic error instead of the serializer's text.
fn to_json(value: &impl Serialize) -> Option<Value> {
    serde_json::to_value(value).map_err(|error| tracing::error!(%error, "could not serialize a websocket message")).ok()
}

fn internal_errors() -> Value {
    json!([{
        "message": "Something went wrong on our side. It has been logged; please try again later.",
        "extensions": {"code": "INTERNAL_SERVER_ERROR"},
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_reasons_fit_in_a_frame() {
        let long = "é".repeat(100);
        let Message::Close(Some(frame)) = close(4409, &long) else {
            panic!("not a close frame");
        };
        assert!(frame.reason.len() <= 123);
        assert_eq!(frame.code, 4409);
    }
}
