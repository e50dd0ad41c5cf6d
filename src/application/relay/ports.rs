use async_trait::async_trait;
use futures::future::BoxFuture;

use crate::application::ports::RecordedEvent;

/// Resolves once the broker has stored the event (`Ok`), or with why it may
/// not have: the relay then starts a new session from what the broker holds.
pub type Pending = BoxFuture<'static, anyhow::Result<()>>;

/// Where the relay publishes: a durable, ordered stream of events.
#[async_trait]
pub trait EventBroker: Send + Sync {
    /// Starts publishing: makes sure the stream exists and reads where it ends.
    async fn open(&self) -> anyhow::Result<Box<dyn BrokerSession>>;
}

/// One run of publishing, in order. A session stores the events in the
/// order they were sent and never one after a predecessor it did not store:
/// once a send fails, the session is dropped and a new one opened.
#[async_trait]
pub trait BrokerSession: Send {
    /// The position of the last event the stream holds, if it holds any.
    fn last_position(&self) -> Option<i64>;

    /// Hands `event` to the broker (without waiting for it to be stored);
    /// the returned future says when it is.
    async fn send(&mut self, event: &RecordedEvent) -> anyhow::Result<Pending>;
}

/// Who may publish: one instance at a time among those sharing a database.
#[async_trait]
pub trait RelayLease: Send + Sync {
    /// Waits until this process holds the lease.
    async fn acquire(&self) -> anyhow::Result<Box<dyn HeldLease>>;
}

#[async_trait]
pub trait HeldLease: Send {
    /// Resolves when the lease has been lost; dropping it gives it up.
    async fn lost(&mut self);
}

/// The lease of a database only one process uses (SQLite): always held.
pub struct SoleLease;

struct SoleHeld;

#[async_trait]
impl RelayLease for SoleLease {
    async fn acquire(&self) -> anyhow::Result<Box<dyn HeldLease>> {
        Ok(Box::new(SoleHeld))
    }
}

#[async_trait]
impl HeldLease for SoleHeld {
    async fn lost(&mut self) {
        std::future::pending::<()>().await;
    }
}
