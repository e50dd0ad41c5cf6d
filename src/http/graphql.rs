//! POST /graphql runs operations; GET /graphql runs queries from the query
//! string (mutations are refused with 405) or shows GraphiQL.

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse, Request};
use async_graphql_axum::GraphQLResponse;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::future::join_all;

use super::problem::problem;
use super::{HttpState, MAX_BATCH, MAX_BODY_BYTES, csrf, graphiql, subscriptions};
use crate::application::auth::authenticate;
use crate::graphql::{RequestAuth, is_introspection_only};

pub async fn post(State(state): State<HttpState>, headers: HeaderMap, body: Body) -> Response {
    if csrf::is_blocked(&headers) {
        return problem(StatusCode::BAD_REQUEST, "BAD_REQUEST", csrf::MESSAGE);
    }
    let bytes = match read_body(&headers, body).await {
        Ok(bytes) => bytes,
        Err(response) => return *response,
    };
    let batch: BatchRequest = match serde_json::from_slice(&bytes) {
        Ok(batch) => batch,
        Err(error) => {
            let message = format!("The body is not a GraphQL request in JSON ({{\"query\": ...}}): {error}");
            return problem(StatusCode::BAD_REQUEST, "BAD_REQUEST", &message);
        }
    };
    let auth = request_auth(&state, &headers);
    match batch {
        BatchRequest::Single(request) => GraphQLResponse::from(execute(&state, request, auth).await).into_response(),
        BatchRequest::Batch(requests) if requests.is_empty() || requests.len() > MAX_BATCH => problem(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            &format!("A batch must hold 1 to {MAX_BATCH} operations; this one holds {}.", requests.len()),
        ),
        BatchRequest::Batch(requests) => {
            let responses = join_all(requests.into_iter().map(|r| execute(&state, r, auth))).await;
            GraphQLResponse::from(BatchResponse::Batch(responses)).into_response()
        }
    }
}

/// GET /graphql: a websocket upgrade, a query in the query string, or GraphiQL.
pub async fn get(State(state): State<HttpState>, request: axum::extract::Request) -> Response {
    if subscriptions::is_upgrade(request.headers()) {
        return subscriptions::upgrade(state, request).await;
    }
    let headers = request.headers().clone();
    let query = request.uri().query().map(String::from);
    let Some(query) = query.filter(|q| !q.is_empty()) else {
        return graphiql::page().into_response();
    };
    if csrf::is_blocked(&headers) {
        return problem(StatusCode::BAD_REQUEST, "BAD_REQUEST", csrf::MESSAGE);
    }
    let mut request = match async_graphql::http::parse_query_string(&query) {
        Ok(request) => request,
        Err(error) => {
            let message = format!("The query string is not a GraphQL request: {error}");
            return problem(StatusCode::BAD_REQUEST, "BAD_REQUEST", &message);
        }
    };
    if is_mutation(&mut request) {
        let mut response = problem(
            StatusCode::METHOD_NOT_ALLOWED,
            "BAD_REQUEST",
            "Mutations are not allowed over GET; send them with POST.",
        );
        response.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("POST"));
        return response;
    }
    let auth = request_auth(&state, &headers);
    GraphQLResponse::from(execute(&state, request, auth).await).into_response()
}

/// Reads the body, refusing more than `MAX_BODY_BYTES` with 413.
async fn read_body(headers: &HeaderMap, body: Body) -> Result<axum::body::Bytes, Box<Response>> {
    let too_large = || {
        let message = format!("The request body is larger than {MAX_BODY_BYTES} bytes.");
        Box::new(problem(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", &message))
    };
    let declared =
        headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES) {
        return Err(too_large());
    }
    match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => Ok(bytes),
        Err(error) if is_length_limit(&error) => Err(too_large()),
        Err(_) => Err(Box::new(problem(StatusCode::BAD_REQUEST, "BAD_REQUEST", "The request body could not be read."))),
    }
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(current) = source {
        if current.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = current.source();
    }
    false
}

fn is_mutation(request: &mut Request) -> bool {
    let operation_name = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return false;
    };
    document.operations.iter().any(|(name, op)| {
        let selected = match (&operation_name, name) {
            (Some(wanted), Some(name)) => wanted.as_str() == name.as_str(),
            _ => true,
        };
        selected && op.node.ty == OperationType::Mutation
    })
}

fn request_auth(state: &HttpState, headers: &HeaderMap) -> RequestAuth {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    match authenticate(&state.ctx, authorization) {
        Ok(actor) => RequestAuth::Valid(actor),
        Err(_) => RequestAuth::Invalid,
    }
}

async fn execute(state: &HttpState, mut request: Request, auth: RequestAuth) -> async_graphql::Response {
    state.parsed_queries.prepare(&mut request);
    let introspection_only = request.parsed_query().is_ok_and(is_introspection_only);
    let schema = if introspection_only { &state.schemas.introspection } else { &state.schemas.main };
    schema.execute(request.data(auth)).await
}
