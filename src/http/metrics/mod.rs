//! Prometheus metrics: `GET /metrics` in the text format, on the main port
//! for loopback callers and admins, and on an address of its own when one is
//! configured. What is recorded, and by whom, is listed in `catalog`.

mod catalog;
mod gauges;
mod recorder;
mod requests;

pub use catalog::{
    COMMANDS_COMMITTED, COMMIT_BATCH_SIZE, COMMIT_BATCHES, DB_POOL_CONNECTIONS, DB_POOL_MAX_CONNECTIONS, DB_STATEMENTS,
    EVENTS_APPENDED, LOGIN_FAILURES,
};
pub use gauges::{Open, Samplers};
pub use recorder::install;
pub use requests::{OperationOutcome, record as record_request};

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::PrometheusHandle;

use super::problem::problem;
use crate::application::auth::authenticate;
use crate::application::{Actor, AppContext};
use crate::domain::value::Role;

const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
const FORBIDDEN: &str = "Metrics are served to loopback callers and to admins (Authorization: Bearer <admin token>), \
     or on the address set with --metrics-listen.";

/// What `/metrics` renders from.
#[derive(Clone)]
pub struct MetricsEndpoint {
    ctx: Arc<AppContext>,
    handle: Option<PrometheusHandle>,
    samplers: Samplers,
}

impl MetricsEndpoint {
    /// Installs the process's recorder if it is not yet.
    pub fn new(ctx: Arc<AppContext>, samplers: Samplers) -> Self {
        Self { ctx, handle: install(), samplers }
    }

    async fn render(&self) -> Response {
        gauges::sample_lag(&self.ctx).await;
        self.samplers.sample();
        let body = self.handle.as_ref().map(PrometheusHandle::render).unwrap_or_default();
        let headers = [
            (header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ];
        (headers, body).into_response()
    }
}

/// GET /metrics on the main port: a loopback caller that no proxy speaks for,
/// or an admin's token; anyone else gets 403.
pub async fn scrape(State(endpoint): State<MetricsEndpoint>, request: Request) -> Response {
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| peer.ip());
    if !may_scrape(&endpoint.ctx, request.headers(), peer) {
        return problem(StatusCode::FORBIDDEN, "FORBIDDEN", FORBIDDEN);
    }
    endpoint.render().await
}

/// The router of the metrics-only address: whoever can reach it may scrape.
pub fn router(endpoint: MetricsEndpoint) -> Router {
    Router::new()
        .route("/metrics", get(|State(endpoint): State<MetricsEndpoint>| async move { endpoint.render().await }))
        .with_state(endpoint)
}

fn may_scrape(ctx: &AppContext, headers: &HeaderMap, peer: Option<IpAddr>) -> bool {
    is_local(headers, peer) || is_admin(ctx, headers)
}

/// A loopback peer, unless it forwards someone else's request: a reverse
/// proxy on the same host connects from loopback too.
fn is_local(headers: &HeaderMap, peer: Option<IpAddr>) -> bool {
    let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"].iter().any(|name| headers.contains_key(*name));
    peer.is_some_and(|ip| ip.to_canonical().is_loopback()) && !forwarded
}

fn is_admin(ctx: &AppContext, headers: &HeaderMap) -> bool {
    let authorization = headers.get(header::AUTHORIZATION).and_then(|value| value.to_str().ok());
    matches!(authenticate(ctx, authorization), Ok(Actor::Client { role: Role::Admin, .. }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_local_unless_a_proxy_forwards_for_someone() {
        let none = HeaderMap::new();
        assert!(is_local(&none, Some("127.0.0.1".parse().unwrap())));
        assert!(is_local(&none, Some("::1".parse().unwrap())));
        assert!(is_local(&none, Some("::ffff:127.0.0.1".parse().unwrap())));
        assert!(!is_local(&none, Some("10.1.2.3".parse().unwrap())));
        assert!(!is_local(&none, None));
        let mut forwarded = HeaderMap::new();
        forwarded.insert("x-forwarded-for", HeaderValue::from_static("203.0.113.9"));
        assert!(!is_local(&forwarded, Some("127.0.0.1".parse().unwrap())));
    }
}
