//! The outbox relay: every committed event, once and in position order, to
//! the broker other services read (NATS JetStream). The log is the outbox:
//! the relay follows it through the live feed from its own checkpoint, and
//! only the instance holding the lease publishes.

mod event_relay;
mod integration_event;
mod ports;

pub use event_relay::{EventRelay, RelaySettings};
pub use integration_event::{IntegrationEvent, IntegrationMetadata};
pub use ports::{BrokerSession, EventBroker, HeldLease, Pending, RelayLease, SoleLease};
