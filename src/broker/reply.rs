//! What a command's requester gets back: `{"data": <the mutation's
//! payload>}` or `{"error": {"code": …, "message": …}}` (with `field` for a
//! refused input value and `retryAfter` when throttled, as over GraphQL).

use async_graphql::{Response, ServerError, Value as GqlValue};
use serde_json::{Map, Value, json};

use crate::graphql::INTERNAL_MESSAGE;

pub fn error(code: &str, message: impl Into<String>) -> Value {
    json!({ "error": { "code": code, "message": message.into() } })
}

/// The first error's code and message (a mutation stops at its first), or
/// the payload of the mutation `name`.
pub fn from_response(name: &str, response: Response) -> Value {
    if let Some(first) = response.errors.into_iter().next() {
        return from_error(first);
    }
    match response.data.into_json() {
        Ok(Value::Object(mut fields)) => match fields.remove(name) {
            Some(payload) => json!({ "data": payload }),
            None => internal(name),
        },
        _ => internal(name),
    }
}

pub fn from_error(error: ServerError) -> Value {
    let mut body = Map::new();
    let extensions = error.extensions.unwrap_or_default();
    let code = match extensions.get("code") {
        Some(GqlValue::String(code)) => code.clone(),
        _ => "INTERNAL_SERVER_ERROR".to_string(),
    };
    body.insert("code".into(), Value::String(code));
    body.insert("message".into(), Value::String(error.message));
    for key in ["field", "retryAfter"] {
        if let Some(value) = extensions.get(key).and_then(|v| v.clone().into_json().ok()) {
            body.insert(key.into(), value);
        }
    }
    json!({ "error": body })
}

fn internal(name: &str) -> Value {
    tracing::error!(command = name, "a command's response had neither data nor an error");
    error("INTERNAL_SERVER_ERROR", INTERNAL_MESSAGE)
}
