use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware;
use axum::response::Redirect;
use axum::routing::get;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

use super::metrics::{self, MetricsEndpoint, Samplers};
use super::request_log::{REQUEST_ID, log_requests};
use super::serve::ConnectionSettings;
use super::websocket::WsConfig;
use super::{HttpState, graphiql, graphql, health};
use crate::application::AppContext;
use crate::graphql::build_schemas;

/// What the router needs from the configuration.
#[derive(Debug, Clone, Default)]
pub struct HttpSettings {
    /// Origins allowed by CORS; empty: same-origin only; "*": any.
    pub cors_origins: Vec<String>,
    pub websocket: WsConfig,
    pub connections: ConnectionSettings,
    /// Gauges read at each scrape of `/metrics` (database pools).
    pub metric_samplers: Samplers,
}

pub fn router(ctx: Arc<AppContext>, settings: &HttpSettings) -> Router {
    let metrics = MetricsEndpoint::new(ctx.clone(), settings.metric_samplers.clone());
    let state = HttpState {
        schemas: Arc::new(build_schemas(ctx.clone())),
        parsed_queries: Arc::default(),
        persisted_queries: Arc::default(),
        ctx,
        websocket: settings.websocket.clone(),
    };
    let request_id = HeaderName::from_static(REQUEST_ID);
    Router::new()
        .route("/", get(|| async { Redirect::temporary("/graphql") }))
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route(graphiql::ASSETS_ROUTE, get(graphiql::asset))
        .route("/metrics", get(metrics::scrape).with_state(metrics))
        .with_state(state)
        .layer(cors(settings))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(middleware::from_fn(log_requests))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

fn cors(settings: &HttpSettings) -> CorsLayer {
    let allow_origin = if settings.cors_origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        // Browsers send an origin without a trailing slash; a configured
        // "https://app.example/" means the same origin.
        let origins = settings.cors_origins.iter().map(|origin| origin.trim().trim_end_matches('/'));
        AllowOrigin::list(origins.filter_map(|origin| HeaderValue::from_str(origin).ok()))
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static("apollo-require-preflight"),
            HeaderName::from_static("x-apollo-operation-name"),
            HeaderName::from_static("apollographql-client-name"),
            HeaderName::from_static("apollographql-client-version"),
        ])
        // Browser apps on another origin may read it, to quote it to support.
        .expose_headers([HeaderName::from_static(REQUEST_ID)])
        .max_age(Duration::from_secs(600))
}
