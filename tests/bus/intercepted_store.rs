//! The one store the bus tests intercept: the in-memory store, with commits
//! going through the test's hook and stream reads shown to it; every other
//! `EventStore` method goes straight to the in-memory store.

use std::ops::Deref;

use async_trait::async_trait;
use minibank::application::ports::{
    Commit, CommitError, EventFilter, EventStore, ProcessedCommand, RecordedEvent, StreamBound,
};
use minibank::infrastructure::memory::InMemoryEventStore;
use uuid::Uuid;

/// What a test does to the store's traffic; by default, nothing.
#[async_trait]
pub trait Interception: Send + Sync {
    /// Commits `commit` on `store`.
    async fn commit(&self, store: &InMemoryEventStore, commit: Commit) -> Result<Vec<RecordedEvent>, CommitError> {
        store.commit(commit).await
    }

    /// Sees the events one read of a stream returned.
    fn stream_read(&self, _events: &[RecordedEvent]) {}
}

pub struct InterceptedStore<I> {
    store: InMemoryEventStore,
    interception: I,
}

impl<I: Interception> InterceptedStore<I> {
    pub fn new(interception: I) -> Self {
        InterceptedStore { store: InMemoryEventStore::new(), interception }
    }
}

/// The test reaches its interception's state through the store it holds.
impl<I> Deref for InterceptedStore<I> {
    type Target = I;

    fn deref(&self) -> &I {
        &self.interception
    }
}

#[async_trait]
impl<I: Interception> EventStore for InterceptedStore<I> {
    async fn commit(&self, commit: Commit) -> Result<Vec<RecordedEvent>, CommitError> {
        self.interception.commit(&self.store, commit).await
    }

    async fn read_stream_after(
        &self,
        stream_id: Uuid,
        after_version: i32,
        bound: StreamBound,
    ) -> anyhow::Result<Vec<RecordedEvent>> {
        let events = self.store.read_stream_after(stream_id, after_version, bound).await?;
        self.interception.stream_read(&events);
        Ok(events)
    }

    async fn read_stream_page(
        &self,
        stream_id: Uuid,
        after_version: i32,
        limit: u64,
    ) -> anyhow::Result<Vec<RecordedEvent>> {
        self.store.read_stream_page(stream_id, after_version, limit).await
    }

    async fn read_all(&self, after: i64, limit: u64, filter: &EventFilter) -> anyhow::Result<Vec<RecordedEvent>> {
        self.store.read_all(after, limit, filter).await
    }

    async fn count(&self, filter: &EventFilter) -> anyhow::Result<u64> {
        self.store.count(filter).await
    }

    async fn head(&self) -> anyhow::Result<i64> {
        self.store.head().await
    }

    async fn processed(&self, command_id: Uuid) -> anyhow::Result<Option<ProcessedCommand>> {
        self.store.processed(command_id).await
    }
}
