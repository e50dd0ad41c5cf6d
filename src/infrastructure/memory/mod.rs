//! In-process adapters for fast tests of the application layer.

mod event_store;
mod snapshot_store;

pub use event_store::InMemoryEventStore;
pub use snapshot_store::InMemorySnapshotStore;
