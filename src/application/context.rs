use std::sync::Arc;

use super::MessageBus;
use super::live::LiveFeed;
use super::ports::{
    AccountReadModel, ClientReadModel, EventStore, HealthCheck, PasswordHasher, TokenService, TransferReadModel,
};

/// Everything the entry points use, built once by `bootstrap`.
pub struct AppContext {
    pub bus: Arc<MessageBus>,
    pub store: Arc<dyn EventStore>,
    pub clients: Arc<dyn ClientReadModel>,
    pub accounts: Arc<dyn AccountReadModel>,
    pub transfers: Arc<dyn TransferReadModel>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub tokens: Arc<dyn TokenService>,
    pub health: Arc<dyn HealthCheck>,
    /// Committed events for subscribers.
    pub feed: Arc<LiveFeed>,
}
