//! GraphQL over WebSocket, both subprotocols (`graphql-transport-ws` and the
//! legacy `graphql-ws`), written here rather than taken from async-graphql:
//! its built-in transport has no `connection_init` timeout (4408), closes with
//! 1002/1011 where the spec says 4401/4403/4400, does not refuse duplicate ids
//! (4409), never pings, and has no per-connection limit.
//!
//! `serve_socket` runs one upgraded socket; the route chooses the protocol
//! with `WebSocketUpgrade::protocols(Protocol::ALL)`.

mod config;
mod connection;
mod frame;
mod incoming;
mod operations;
mod outgoing;
mod protocol;
mod session;
mod shared;
mod token;
mod writer;

pub use config::{GoingAway, WsConfig};
pub use connection::serve_socket;
pub use protocol::Protocol;
pub use session::{Authenticator, WsSession};
pub use shared::SharedSubscriptions;
