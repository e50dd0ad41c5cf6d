//! POST /graphql runs operations; GET /graphql runs queries from the query
//! string (mutations are refused with 405) or shows GraphiQL.

use std::net::{IpAddr, SocketAddr};

use async_graphql::parser::types::OperationType;
use async_graphql::{BatchRequest, BatchResponse, Request, ServerError};
use axum::body::Body;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use futures::future::join_all;
use serde::Deserialize;

use super::media_type::MediaType;
use super::metrics::OperationOutcome;
use super::parsed_queries::Prepared;
use super::persisted_queries::{self, Unresolved};
use super::problem::problem;
use super::request_log::Logged;
use super::{HttpState, MAX_BATCH, MAX_BODY_BYTES, MAX_RESPONSE_BYTES, csrf, graphiql, subscriptions};
use crate::application::auth::authenticate;
use crate::graphql::guard::{self, MAX_PASSWORD_FIELDS};
use crate::graphql::{self, ClientAddress, INTERNAL_MESSAGE, RequestAuth};

const NOT_A_REQUEST: &str = "The body must be a GraphQL request in JSON: {\"query\": \"...\", \"variables\": {...}}, \
     or a list of 1 to 10 of them.";
const SUBSCRIPTION_OVER_HTTP: &str =
    "Subscriptions need a websocket: connect to this path with the graphql-transport-ws subprotocol.";

pub async fn post(State(state): State<HttpState>, request: axum::extract::Request) -> Response {
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    // The body is read (within its limit) before any refusal: a response
    // that leaves it unread ends the keep-alive connection under a client
    // that may already be sending its next request on it.
    let bytes = match read_body(&headers, body).await {
        Ok(bytes) => bytes,
        Err(response) => return *response,
    };
    if csrf::is_blocked(&headers) {
        return problem(StatusCode::BAD_REQUEST, "BAD_REQUEST", csrf::MESSAGE);
    }
    // serde's own messages name Rust types ("untagged enum BatchRequest"): say what the body must be instead.
    let Ok(batch) = serde_json::from_slice::<BatchRequest>(&bytes) else {
        return problem(StatusCode::BAD_REQUEST, "BAD_REQUEST", NOT_A_REQUEST);
    };
    let (requests, is_batch) = match batch {
        BatchRequest::Single(request) => (vec![request], false),
        BatchRequest::Batch(requests) if requests.is_empty() || requests.len() > MAX_BATCH => {
            let message = format!("A batch must hold 1 to {MAX_BATCH} operations; this one holds {}.", requests.len());
            return problem(StatusCode::BAD_REQUEST, "BAD_REQUEST", &message);
        }
        BatchRequest::Batch(requests) => (requests, true),
    };
    let operation_names: Vec<_> = requests.iter().map(|r| r.operation_name.clone()).collect();
    let requests = match requests.into_iter().map(|r| resolve_persisted(&state, r)).collect::<Result<Vec<_>, _>>() {
        Ok(requests) => requests,
        Err(response) => return *response,
    };
    if requests.iter().any(|r| r.as_ref().is_ok_and(|r| r.query.trim().is_empty())) {
        return problem(StatusCode::BAD_REQUEST, "BAD_REQUEST", NOT_A_REQUEST);
    }
    let prepared: Vec<_> = requests.into_iter().map(|r| r.and_then(|request| prepare(&state, request))).collect();
    let password_fields: usize = prepared
        .iter()
        .filter_map(|p| p.as_ref().ok())
        .map(|(request, prepared)| prepared.checked.password_fields(request.operation_name.as_deref()))
        .sum();
    if password_fields > MAX_PASSWORD_FIELDS {
        let message = format!(
            "At most {MAX_PASSWORD_FIELDS} login or registerClient per request; this batch has {password_fields}."
        );
        return problem(StatusCode::BAD_REQUEST, "QUERY_TOO_COMPLEX", &message);
    }
    let auth = request_auth(&state, &headers);
    let logged = Logged::new(operation_names.iter().map(Option::as_deref), &auth);
    let address = peer(&parts.extensions);
    if !is_batch {
        let Some(prepared) = prepared.into_iter().next() else {
            return problem(StatusCode::BAD_REQUEST, "BAD_REQUEST", NOT_A_REQUEST);
        };
        if let Ok((request, prepared)) = &prepared
            && prepared.checked.is_subscription(request.operation_name.as_deref())
        {
            return problem(StatusCode::BAD_REQUEST, "BAD_REQUEST", SUBSCRIPTION_OVER_HTTP);
        }
        let shape = shape(&prepared);
        let response = run(&state, prepared, auth, address).await;
        let logged = logged.with_outcomes(vec![outcome(shape, &response)]);
        return logged.attach(respond(BatchResponse::Single(response), MediaType::from_accept(&headers)));
    }
    let shapes: Vec<_> = prepared.iter().map(shape).collect();
    let responses = join_all(prepared.into_iter().map(|p| run(&state, p, auth, address))).await;
    let logged = logged.with_outcomes(shapes.into_iter().zip(&responses).map(|(s, r)| outcome(s, r)).collect());
    logged.attach(respond(BatchResponse::Batch(responses), MediaType::from_accept(&headers)))
}

/// The selected operation's name and type, when the document parsed.
fn shape(prepared: &Result<(Request, Prepared), ServerError>) -> (Option<String>, Option<OperationType>) {
    let selected =
        prepared.as_ref().ok().and_then(|(request, p)| p.checked.selected(request.operation_name.as_deref()));
    selected.map_or((None, None), |operation| (operation.name.clone(), operation.ty))
}

fn outcome(
    (name, ty): (Option<String>, Option<OperationType>),
    response: &async_graphql::Response,
) -> OperationOutcome {
    OperationOutcome::new(name.as_deref(), ty, response)
}

/// GET /graphql: a websocket upgrade, a query in the query string, or GraphiQL.
pub async fn get(State(state): State<HttpState>, request: axum::extract::Request) -> Response {
    if subscriptions::is_upgrade(request.headers()) {
        return subscriptions::upgrade(state, request).await;
    }
    let headers = request.headers().clone();
    let address = peer(request.extensions());
    if request.uri().query().is_none_or(str::is_empty) {
        return graphiql::page();
    }
    if csrf::is_blocked(&headers) {
        return problem(StatusCode::BAD_REQUEST, "BAD_REQUEST", csrf::MESSAGE);
    }
    let Some(request) = QueryString::parse(request.uri()) else {
        let message = "The query string is not a GraphQL request: send ?query=...&variables=<JSON>&operationName=...";
        return problem(StatusCode::BAD_REQUEST, "BAD_REQUEST", message);
    };
    let operation_name = request.operation_name.clone();
    let request = match resolve_persisted(&state, request) {
        Ok(request) => request,
        Err(response) => return *response,
    };
    let prepared = request.and_then(|request| prepare(&state, request));
    if let Ok((request, prepared)) = &prepared {
        match prepared.checked.selected(request.operation_name.as_deref()).and_then(|op| op.ty) {
            Some(OperationType::Mutation) => {
                let mut response = problem(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "BAD_REQUEST",
                    "Mutations are not allowed over GET; send them with POST.",
                );
                response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
                return response;
            }
            Some(OperationType::Subscription) => {
                return problem(StatusCode::BAD_REQUEST, "BAD_REQUEST", SUBSCRIPTION_OVER_HTTP);
            }
            _ => {}
        }
    }
    let auth = request_auth(&state, &headers);
    let logged = Logged::new([operation_name.as_deref()], &auth);
    let shape = shape(&prepared);
    let response = run(&state, prepared, auth, address).await;
    let logged = logged.with_outcomes(vec![outcome(shape, &response)]);
    logged.attach(respond(BatchResponse::Single(response), MediaType::from_accept(&headers)))
}

/// A GET request's parameters as the GraphQL-over-HTTP spec names them.
/// async-graphql's own `parse_query_string` reads `operation_name`, so a
/// document of several operations could not have one chosen over GET.
#[derive(Deserialize)]
struct QueryString {
    #[serde(default)]
    query: String,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

impl QueryString {
    /// `None` when the query string, its variables or its extensions do not parse.
    fn parse(uri: &axum::http::Uri) -> Option<Request> {
        let Query(fields) = Query::<QueryString>::try_from_uri(uri).ok()?;
        let variables = json::<async_graphql::Variables>(fields.variables)?;
        let extensions = json::<async_graphql::Extensions>(fields.extensions)?;
        let mut request = Request::new(fields.query).variables(variables);
        // An empty name is no name: the document's only operation runs.
        request.operation_name = fields.operation_name.filter(|name| !name.is_empty());
        request.extensions = extensions;
        Some(request)
    }
}

/// A parameter holding JSON; absent: the default.
fn json<T: serde::de::DeserializeOwned + Default>(text: Option<String>) -> Option<T> {
    text.map_or(Some(T::default()), |text| serde_json::from_str(&text).ok())
}

/// Reads the body, refusing more than `MAX_BODY_BYTES` with 413.
async fn read_body(headers: &HeaderMap, body: Body) -> Result<axum::body::Bytes, Box<Response>> {
    let too_large = || {
        let message = format!("The request body is larger than {MAX_BODY_BYTES} bytes.");
        let mut response = problem(StatusCode::PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", &message);
        // The rest of the body stays unread, so the server closes the
        // connection: say so, or a keep-alive client sends its next request
        // into a closing socket.
        response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
        Box::new(response)
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

fn request_auth(state: &HttpState, headers: &HeaderMap) -> RequestAuth {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    match authenticate(&state.ctx, authorization) {
        Ok(actor) => RequestAuth::Valid(actor),
        Err(_) => RequestAuth::Invalid,
    }
}

/// The TCP peer, as the server's accept loop recorded it.
fn peer(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip())
}

/// Gives a request with only a persisted query's hash its kept query: an
/// unknown hash is a GraphQL error (the client resends with the query), a
/// malformed extension or a hash that does not match the query is a 400.
fn resolve_persisted(state: &HttpState, request: Request) -> Result<Result<Request, ServerError>, Box<Response>> {
    match state.persisted_queries.resolve(request) {
        Ok(request) => Ok(Ok(request)),
        Err(Unresolved::NotFound) => Ok(Err(persisted_queries::not_found())),
        Err(Unresolved::Refused(message)) => Err(Box::new(problem(StatusCode::BAD_REQUEST, "BAD_REQUEST", message))),
    }
}

/// Checks and parses one request behind the guard's limits.
fn prepare(state: &HttpState, mut request: Request) -> Result<(Request, Prepared), ServerError> {
    let prepared = state.parsed_queries.prepare(&mut request)?;
    Ok((request, prepared))
}

async fn run(
    state: &HttpState,
    prepared: Result<(Request, Prepared), ServerError>,
    auth: RequestAuth,
    address: Option<IpAddr>,
) -> async_graphql::Response {
    let (mut request, prepared) = match prepared {
        Ok(prepared) => prepared,
        Err(error) => return async_graphql::Response::from_errors(vec![error]),
    };
    if prepared.checked.is_subscription(request.operation_name.as_deref()) {
        return async_graphql::Response::from_errors(vec![guard::refused("BAD_REQUEST", SUBSCRIPTION_OVER_HTTP)]);
    }
    let keep = prepared.keep.then(|| (request.query.clone(), request.parsed_query().ok().cloned()));
    let persist = state.persisted_queries.pending(&request);
    let selected = prepared.checked.selected(request.operation_name.as_deref());
    let plain = prepared.validated && selected.is_some_and(graphql::runs_plain);
    let schema = match () {
        _ if prepared.checked.introspection_only() => &state.schemas.introspection,
        _ if plain => &state.schemas.plain,
        _ if selected.is_none_or(|operation| operation.schema_fields > 0) => &state.schemas.described,
        _ => &state.schemas.main,
    };
    let mut request = request.data(auth);
    if let Some(address) = address {
        request = request.data(ClientAddress(address));
    }
    let mut response = schema.execute(request).await;
    if plain {
        graphql::classify_errors(&mut response);
    }
    if let Some((query, Some(document))) = keep
        && passed_validation(&response)
    {
        state.parsed_queries.keep(query, document, prepared.checked);
    }
    if let Some(persist) = persist
        && passed_validation(&response)
    {
        state.persisted_queries.keep(persist);
    }
    response
}

fn passed_validation(response: &async_graphql::Response) -> bool {
    !response.errors.iter().any(|error| {
        let code = error.extensions.as_ref().and_then(|e| e.get("code"));
        matches!(
            code,
            Some(async_graphql::Value::String(code))
                if matches!(code.as_str(), "GRAPHQL_PARSE_FAILED" | "GRAPHQL_VALIDATION_FAILED" | "QUERY_TOO_COMPLEX")
        )
    })
}

/// Serializes the answer once; one larger than `MAX_RESPONSE_BYTES` is
/// replaced by an error saying so. In `application/graphql-response+json`, a
/// single request that never reached execution is a 400 without `data`.
fn respond(batch: BatchResponse, media_type: MediaType) -> Response {
    let cache_control = batch.is_ok().then(|| batch.cache_control().value()).flatten();
    let http_headers = batch.http_headers();
    let request_error = media_type == MediaType::GraphqlResponseJson
        && matches!(&batch, BatchResponse::Single(response) if is_request_error(response));
    let Ok(mut body) = serialize(&batch, request_error) else {
        return problem(StatusCode::INTERNAL_SERVER_ERROR, "INTERNAL_SERVER_ERROR", INTERNAL_MESSAGE);
    };
    if body.len() > MAX_RESPONSE_BYTES {
        let message = format!(
            "The answer would be {} bytes, more than the {MAX_RESPONSE_BYTES} allowed; select fewer fields or items.",
            body.len()
        );
        let error = || async_graphql::Response::from_errors(vec![guard::refused("QUERY_TOO_COMPLEX", message.clone())]);
        let replaced = match batch {
            BatchResponse::Single(_) => BatchResponse::Single(error()),
            BatchResponse::Batch(responses) => BatchResponse::Batch(responses.iter().map(|_| error()).collect()),
        };
        body = serde_json::to_vec(&replaced).unwrap_or_default();
    }
    let mut response = Response::new(Body::from(body));
    if request_error {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media_type.content_type()));
    if let Some(value) = cache_control.and_then(|value| HeaderValue::from_str(&value).ok()) {
        headers.insert(header::CACHE_CONTROL, value);
    }
    headers.extend(http_headers);
    response
}

/// The request did not parse or validate (its variables included): nothing
/// ran, so there is no `data`, and no error has a `path`. A persisted query
/// the server does not know is not one: Apollo's link resends on a 200.
fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|error| error.path.is_empty())
        && !response.errors.iter().any(persisted_queries::is_not_found)
}

fn serialize(batch: &BatchResponse, without_data: bool) -> serde_json::Result<Vec<u8>> {
    if !without_data {
        return serde_json::to_vec(batch);
    }
    let mut value = serde_json::to_value(batch)?;
    if let Some(object) = value.as_object_mut() {
        object.remove("data");
    }
    serde_json::to_vec(&value)
}
