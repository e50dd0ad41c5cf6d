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
    /// Who the caller is as far as what it may see goes (for this API: its
    /// client id and role). Subscriptions of callers with the same value,
    /// the same document and the same variables get the same results, so
    /// they share one evaluation; `None` never shares.
    pub share_as: Option<String>,
}

/// Authenticates a connection from the bearer token found in
/// `connection_init` or the upgrade request (`None` when there is none).
/// `Err(())` means a bad token, which closes the connection.
pub type Authenticator = Arc<dyn Fn(Option<&str>) -> Result<WsSession, ()> + Send + Sync>;
