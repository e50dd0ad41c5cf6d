//! Websocket upgrades on GET /graphql: subscriptions (and any operation) over
//! graphql-transport-ws or the legacy graphql-ws subprotocol.

use std::sync::Arc;

use async_graphql::Data;
use axum::extract::{FromRequestParts, Request, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tracing::Instrument;

use super::metrics::Open;
use super::problem::problem;
use super::serve::client_address;
use super::websocket::{Authenticator, Protocol, WsSession, serve_socket};
use super::{HttpState, MAX_WS_MESSAGE_BYTES};
use crate::application::{Actor, AppContext};
use crate::graphql::{ClientAddress, RequestAuth};

/// Per-connection buffers start small and grow only for a large message:
/// tungstenite's defaults (128 KiB to read, 128 KiB to gather writes) would
/// make every idle socket cost over 128 KiB. Reads take at most this much
/// from the socket at a time.
const READ_BUFFER_BYTES: usize = 4 * 1024;
/// Messages gather up to this much before they are written, so that a
/// writer with several queued (a connection that fell behind) writes them
/// with one system call; it flushes after each batch, so the buffer holds at
/// most one batch and needs no cap of its own (a cap below the largest
/// answer would end the connection instead). Its memory is taken only as
/// messages pass through it.
const WRITE_BUFFER_BYTES: usize = 8 * 1024;

pub fn is_upgrade(headers: &HeaderMap) -> bool {
    headers.get(header::UPGRADE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The first subprotocol the client offers that we speak.
fn chosen_protocol(headers: &HeaderMap) -> Option<Protocol> {
    headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find_map(|p| Protocol::from_header(p.trim()))
}

/// Each connection authenticates once, from connection_init or the upgrade
/// request; its operations then run as that caller until the token expires.
fn authenticator(ctx: Arc<AppContext>, client: Option<ClientAddress>) -> Authenticator {
    Arc::new(move |token: Option<&str>| {
        let (actor, expires_at) = match token {
            None => (Actor::Anonymous, None),
            Some(token) => {
                let claims = ctx.tokens.verify(token).ok_or(())?;
                (Actor::Client { id: claims.client_id, role: claims.role }, Some(claims.expires_at))
            }
        };
        // What a caller may see follows from who it is and its role alone
        // (`Visibility`), so that is what its subscriptions share by.
        let share_as = match actor {
            Actor::Client { id, role } => Some(format!("{id}/{}", role.as_str())),
            Actor::Anonymous | Actor::System => None,
        };
        let mut data = Data::default();
        data.insert(RequestAuth::Valid(actor));
        if let Some(client) = client {
            data.insert(client);
        }
        Ok(WsSession { data, expires_at, share_as })
    })
}

pub async fn upgrade(state: HttpState, request: Request) -> Response {
    let (mut parts, _body) = request.into_parts();
    let Some(protocol) = chosen_protocol(&parts.headers) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "Offer the graphql-transport-ws (or legacy graphql-ws) websocket subprotocol.",
        );
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let authorization = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).map(String::from);
    let schema = state.schemas.main.clone();
    let authenticate = authenticator(state.ctx.clone(), client_address(&parts.extensions));
    let config = state.websocket.clone();
    // The request's span (method, URI, request id) goes with the socket, so
    // its line when it closes says which upgrade it was.
    let span = tracing::Span::current();
    upgrade
        .read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_message_size(MAX_WS_MESSAGE_BYTES)
        .max_frame_size(MAX_WS_MESSAGE_BYTES)
        .protocols([protocol.name()])
        .on_upgrade(move |socket| {
            async move {
                let _open = Open::websocket();
                serve_socket(socket, protocol, schema, authorization, authenticate, config).await;
            }
            .instrument(span)
        })
}
