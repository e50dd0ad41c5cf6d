//! The test schema served over websockets on a random port.

use std::net::SocketAddr;
use std::time::Duration;

use async_graphql::{EmptyMutation, Schema};
use axum::Router;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use minibank::http::websocket::{Protocol, SharedSubscriptions, WsConfig, serve_socket};

use crate::schema::{LiveStreams, Produced, Query, SubscriptionRoot, TestSchema, authenticator};

#[derive(Clone)]
struct AppState {
    schema: TestSchema,
    config: WsConfig,
}

async fn upgrade(State(state): State<AppState>, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    let ws = ws.protocols(Protocol::ALL);
    let Some(protocol) = ws.selected_protocol().and_then(|v| v.to_str().ok()).and_then(Protocol::from_header) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let authorization = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_string);
    ws.on_upgrade(move |socket| {
        serve_socket(socket, protocol, state.schema, authorization, authenticator(), state.config)
    })
}

pub struct Server {
    pub addr: SocketAddr,
    pub live: LiveStreams,
    pub produced: Produced,
    pub shared: SharedSubscriptions,
}

pub async fn server(config: WsConfig) -> Server {
    let live = LiveStreams::default();
    let produced = Produced::default();
    let schema =
        Schema::build(Query, EmptyMutation, SubscriptionRoot).data(live.clone()).data(produced.clone()).finish();
    let shared = config.shared.clone();
    let app = Router::new().route("/ws", any(upgrade)).with_state(AppState { schema, config });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    Server { addr, live, produced, shared }
}

pub fn fast() -> WsConfig {
    WsConfig { init_timeout: Duration::from_millis(300), ..WsConfig::default() }
}
