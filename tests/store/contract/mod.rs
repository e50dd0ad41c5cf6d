//! The `EventStore` contract: every test here runs on the in-memory store of
//! the bus tests, then on SQLite, then on PostgreSQL when `TEST_DATABASE_URL`
//! is set, so the fake the application tests trust behaves like the stores
//! the server runs on.

mod appends;
mod claims;
mod idempotency;
mod reads;

use std::future::Future;
use std::sync::Arc;

use minibank::application::ports::{EventStore, RecordedEvent};
use minibank::infrastructure::memory::InMemoryEventStore;

use crate::support::on_each_backend;

/// One implementation of the contract, named for the failure messages.
pub struct Subject {
    pub name: &'static str,
    pub store: Arc<dyn EventStore>,
}

/// Runs `test` on a fresh in-memory store, then on a fresh database of each
/// backend (see [`on_each_backend`]).
pub async fn on_each_event_store<F, Fut>(test: F)
where
    F: Fn(Subject) -> Fut,
    Fut: Future<Output = ()>,
{
    test(Subject { name: "memory", store: Arc::new(InMemoryEventStore::new()) }).await;
    on_each_backend(|backend| test(Subject { name: backend.name, store: Arc::new(backend.store()) })).await;
}

/// The positions of `events`, in order.
pub fn positions(events: &[RecordedEvent]) -> Vec<i64> {
    events.iter().map(|e| e.position).collect()
}

/// The stream versions of `events`, in order.
pub fn versions(events: &[RecordedEvent]) -> Vec<i32> {
    events.iter().map(|e| e.version).collect()
}
