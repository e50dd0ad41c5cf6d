//! One INFO line per request: method, path, GraphQL operation name, status,
//! duration, request id and, once authenticated, the caller; and the same
//! request in the metrics (by route and status, and each GraphQL operation by
//! name, type and outcome code). The handler, which parses the body anyway,
//! records what only it knows into the response's extensions; this
//! middleware reads it from there.
//!
//! A websocket upgrade is logged when the socket closes instead (see
//! `websocket::serve_socket`), inside this request's span.

use std::time::Instant;

use axum::extract::{MatchedPath, Query, Request};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use uuid::Uuid;

use super::metrics::{self, OperationOutcome};
use crate::application::Actor;
use crate::graphql::RequestAuth;

pub const REQUEST_ID: &str = "x-request-id";
const GRAPHQL_ROUTE: &str = "/graphql";
/// Apollo Client sends the operation name here too.
const OPERATION_HEADER: &str = "x-apollo-operation-name";

/// What the GraphQL handler learned about a request, for its log line.
#[derive(Debug, Clone, Default)]
pub struct Logged {
    /// The operations' names; a batch's are joined with commas.
    pub operation: Option<String>,
    /// The authenticated caller.
    pub client_id: Option<Uuid>,
    /// What each operation came to, for the metrics.
    pub outcomes: Vec<OperationOutcome>,
}

/// The code of a request refused before GraphQL ran (see `problem`).
#[derive(Debug, Clone)]
pub struct Refused(pub String);

impl Logged {
    /// From the requests' `operationName`s (`None` for a request without one)
    /// and the caller's authentication.
    pub fn new<'a>(operation_names: impl IntoIterator<Item = Option<&'a str>>, auth: &RequestAuth) -> Self {
        let names: Vec<&str> = operation_names.into_iter().map(|name| name.unwrap_or("-")).collect();
        let operation = names.iter().any(|name| *name != "-").then(|| names.join(","));
        let client_id = match auth {
            RequestAuth::Valid(Actor::Client { id, .. }) => Some(*id),
            _ => None,
        };
        Self { operation, client_id, outcomes: Vec::new() }
    }

    pub fn with_outcomes(mut self, outcomes: Vec<OperationOutcome>) -> Self {
        self.outcomes = outcomes;
        self
    }

    /// Attaches itself to `response`, for the log line.
    pub fn attach(self, mut response: Response) -> Response {
        response.extensions_mut().insert(self);
        response
    }
}

/// The middleware. Runs the request inside an `http` span (method, URI,
/// request id) so that what the handler logs carries them, then logs the
/// request line outside it.
pub async fn log_requests(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |path| path.as_str()).to_owned();
    let path = request.uri().path().to_owned();
    let request_id = header(request.headers(), REQUEST_ID).unwrap_or_default();
    let named_operation = header(request.headers(), OPERATION_HEADER).or_else(|| {
        // A GET's query string is not a body: reading it here costs little.
        (request.method() == Method::GET).then(|| query_operation(request.uri())).flatten()
    });
    let span = tracing::info_span!("http", method = %method, uri = %request.uri(), request_id = %request_id);
    let response = next.run(request).instrument(span).await;
    let status = response.status();
    let logged = response.extensions().get::<Logged>().cloned().unwrap_or_default();
    let mut outcomes = logged.outcomes;
    if let Some(Refused(code)) = response.extensions().get::<Refused>()
        && outcomes.is_empty()
        && route == GRAPHQL_ROUTE
    {
        outcomes.push(OperationOutcome::refused(code));
    }
    metrics::record_request(method.as_str(), &route, status.as_u16(), started.elapsed(), &outcomes);
    if status == StatusCode::SWITCHING_PROTOCOLS {
        return response;
    }
    tracing::info!(
        method = %method,
        path = %path,
        operation = logged.operation.or(named_operation).as_deref(),
        status = status.as_u16(),
        duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        request_id = %request_id,
        client_id = logged.client_id.map(tracing::field::display),
        "request"
    );
    response
}

/// `operationName` from a GET's query string.
fn query_operation(uri: &Uri) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Named {
        #[serde(rename = "operationName")]
        operation_name: Option<String>,
    }
    Query::<Named>::try_from_uri(uri).ok().and_then(|named| named.0.operation_name)
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get(name).and_then(|value| value.to_str().ok()).map(String::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_names_each_operation_and_the_caller() {
        let id = Uuid::now_v7();
        let auth = RequestAuth::Valid(Actor::Client { id, role: crate::domain::value::Role::Customer });
        let logged = Logged::new([Some("Accounts"), None, Some("Me")], &auth);
        assert_eq!(logged.operation.as_deref(), Some("Accounts,-,Me"));
        assert_eq!(logged.client_id, Some(id));
    }

    #[test]
    fn a_get_names_its_operation_in_the_query_string() {
        let uri: Uri = "/graphql?query=query%20Ping%7B__typename%7D&operationName=Ping".parse().unwrap();
        assert_eq!(query_operation(&uri).as_deref(), Some("Ping"));
        assert_eq!(query_operation(&"/graphql?query=x".parse().unwrap()), None);
    }

    #[test]
    fn anonymous_operations_without_names_log_none() {
        let logged = Logged::new([None, None], &RequestAuth::Invalid);
        assert_eq!(logged.operation, None);
        assert_eq!(logged.client_id, None);
    }
}
