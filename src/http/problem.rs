//! Errors answered before GraphQL runs (bad HTTP, not bad GraphQL): still a
//! GraphQL-shaped JSON body with a code, so every client can read it.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::request_log::Refused;

pub fn problem(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    let mut response = (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response();
    // For the request's metrics.
    response.extensions_mut().insert(Refused(code.to_string()));
    response
}
