//! The HTTP entry point: routes, the GraphQL endpoint, GraphiQL, health probes.

mod csrf;
mod graphiql;
mod graphql;
mod health;
mod media_type;
pub mod metrics;
mod parsed_queries;
mod persisted_queries;
mod problem;
mod request_log;
mod router;
pub mod serve;
mod subscriptions;
pub mod websocket;

pub use router::{HttpSettings, router};
pub use serve::ConnectionSettings;

use std::sync::Arc;

use crate::application::AppContext;
use crate::graphql::Schemas;

/// Shared by every handler.
#[derive(Clone)]
pub struct HttpState {
    pub ctx: Arc<AppContext>,
    pub schemas: Arc<Schemas>,
    pub parsed_queries: Arc<parsed_queries::ParsedQueries>,
    pub persisted_queries: Arc<persisted_queries::PersistedQueries>,
    pub websocket: websocket::WsConfig,
}

/// Request bodies above this are refused with 413.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// A websocket message above this closes the connection with 1009.
pub const MAX_WS_MESSAGE_BYTES: usize = 1024 * 1024;
/// A larger answer is replaced by a QUERY_TOO_COMPLEX error: the other
/// limits keep real answers far below it.
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;
/// Apollo's BatchHttpLink sends at most 10 operations per batch by default.
pub const MAX_BATCH: usize = 10;
