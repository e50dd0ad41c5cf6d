//! What authentication gives a connection.

use std::sync::Arc;

use chrono::{DateTime, Utc};

/// What the connection learns from authentication.
pub struct WsSession {
    /// Attached to every operation of the connection (`ctx.data::<T>()`).
    pub data: async_graphql::Data,
    /// When the token expires: the socket is closed then with 4403, and
    /// clients whose `connectionParams` is a function reconnect with a fresh
    /// token.
    pub expires_at: Option<DateTime<Utc>>,
}

/// Authenticates a connection from the bearer token found in
/// `connection_init` or the upgrade request (`None` when there is none).
/// `Err(())` means a bad token, which closes the connection.
pub type Authenticator = Arc<dyn Fn(Option<&str>) -> Result<WsSession, ()> + Send + Sync>;
