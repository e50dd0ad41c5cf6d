use std::sync::Arc;

use super::live::LiveFeed;
use super::login_throttle::LoginThrottle;
use super::ports::{
    AccountReadModel, CheckpointStore, ClientReadModel, EventStore, HealthCheck, PasswordHasher, TokenService,
    TransferReadModel,
};
use super::{MessageBus, Snapshots};

/// Everything the entry points use, built once by `bootstrap`.
pub struct AppContext {
    pub bus: Arc<MessageBus>,
    pub store: Arc<dyn EventStore>,
    /// The snapshots `accountAt` may start from (the same as the bus's).
    pub snapshots: Snapshots,
    pub clients: Arc<dyn ClientReadModel>,
    pub accounts: Arc<dyn AccountReadModel>,
    pub transfers: Arc<dyn TransferReadModel>,
    /// Where each projection and process manager has got in the log.
    pub checkpoints: Arc<dyn CheckpointStore>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub tokens: Arc<dyn TokenService>,
    /// Failed sign-ins per login and address, in this process.
    pub login_throttle: LoginThrottle,
    pub health: Arc<dyn HealthCheck>,
    /// Committed events for subscribers.
    pub feed: Arc<LiveFeed>,
    /// When accounts were opened, for the answers to account mutations.
    pub account_openings: super::accounts::AccountOpenings,
}
