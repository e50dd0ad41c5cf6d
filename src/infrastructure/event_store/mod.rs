//! The event store on SeaORM: one table for every stream, appends guarded by
//! the expected version, inline projections in the appending transaction.

mod commit;
mod read;

use std::sync::Arc;

use async_trait::async_trait;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::application::ports::{
    Commit, CommitError, EventFilter, EventStore, ProcessedCommand, RecordedEvent, StreamBound,
};
use crate::infrastructure::projections::Projection;

pub(crate) use commit::POSITION_ORDER_LOCK;

/// The log after `after`, oldest first, at most `limit` events, read on any
/// connection (a rebuild reads its tail inside the transaction that swaps).
pub async fn read_log<C: sea_orm::ConnectionTrait>(
    conn: &C,
    after: i64,
    limit: u64,
) -> anyhow::Result<Vec<RecordedEvent>> {
    read::read_all(conn, after, limit, &EventFilter::default()).await
}

/// [`EventStore`] on SQLite or PostgreSQL.
#[derive(Clone)]
pub struct SeaOrmEventStore {
    db: DatabaseConnection,
    /// Where reads go: the writer itself unless [`Self::reading_from`] says otherwise.
    reader: DatabaseConnection,
    projections: Arc<[Arc<dyn Projection>]>,
}

impl SeaOrmEventStore {
    /// `projections` run, in this order, on every committed event inside the
    /// commit's transaction.
    pub fn new(db: DatabaseConnection, projections: Vec<Arc<dyn Projection>>) -> Self {
        SeaOrmEventStore { reader: db.clone(), db, projections: projections.into() }
    }

    /// Reads through `reader` (SQLite's reader pool), so that they never wait
    /// for the writer's connection. Reads see every commit that completed
    /// before they started.
    pub fn reading_from(mut self, reader: DatabaseConnection) -> Self {
        self.reader = reader;
        self
    }
}

#[async_trait]
impl EventStore for SeaOrmEventStore {
    async fn commit(&self, commit: Commit) -> Result<Vec<RecordedEvent>, CommitError> {
        commit::commit(&self.db, &self.projections, commit).await
    }

    async fn read_stream(&self, stream_id: Uuid, bound: StreamBound) -> anyhow::Result<Vec<RecordedEvent>> {
        read::read_stream(&self.reader, stream_id, 0, bound).await
    }

    async fn read_stream_after(
        &self,
        stream_id: Uuid,
        after_version: i32,
        bound: StreamBound,
    ) -> anyhow::Result<Vec<RecordedEvent>> {
        read::read_stream(&self.reader, stream_id, after_version, bound).await
    }

    async fn read_stream_page(
        &self,
        stream_id: Uuid,
        after_version: i32,
        limit: u64,
    ) -> anyhow::Result<Vec<RecordedEvent>> {
        read::read_stream_page(&self.reader, stream_id, after_version, limit).await
    }

    async fn read_all(&self, after: i64, limit: u64, filter: &EventFilter) -> anyhow::Result<Vec<RecordedEvent>> {
        read::read_all(&self.reader, after, limit, filter).await
    }

    async fn count(&self, filter: &EventFilter) -> anyhow::Result<u64> {
        read::count(&self.reader, filter).await
    }

    async fn head(&self) -> anyhow::Result<i64> {
        read::head(&self.reader).await
    }

    async fn processed(&self, command_id: Uuid) -> anyhow::Result<Option<ProcessedCommand>> {
        read::processed(&self.reader, command_id).await
    }
}
