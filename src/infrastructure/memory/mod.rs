//! In-process adapters for fast tests of the application layer.

mod event_store;

pub use event_store::InMemoryEventStore;
