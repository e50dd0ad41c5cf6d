//! The event store on SeaORM: one table for every stream, appends guarded by
//! the expected version, inline projections in the appending transaction.

mod commit;
mod read;

use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend};
use uuid::Uuid;

use crate::application::ports::{
    Commit, CommitError, EventFilter, EventStore, ProcessedCommand, RecordedEvent, StreamBound,
};
use crate::infrastructure::projections::Projection;

/// The log after `after`, oldest first, at most `limit` events, read on any
/// connection, as far as it is settled (what a follower may go past).
pub async fn read_log<C: sea_orm::ConnectionTrait>(
    conn: &C,
    after: i64,
    limit: u64,
) -> anyhow::Result<Vec<RecordedEvent>> {
    read::read_all(conn, after, limit, &EventFilter::default()).await
}

/// Holds back every append until `txn` ends, and waits for the appends in
/// flight to end, so that the whole log is visible to `txn` and stays as it
/// is (a rebuild's switch). On PostgreSQL: the position order lock keeps new
/// appends out, and a SHARE lock on `events` waits for every transaction
/// that inserted events (they hold ROW EXCLUSIVE until they end). On SQLite
/// a write transaction excludes every other writer already.
pub async fn stop_appends(txn: &DatabaseTransaction) -> anyhow::Result<()> {
    if txn.get_database_backend() == DbBackend::Postgres {
        let sql =
            format!("SELECT pg_advisory_xact_lock({}); LOCK TABLE events IN SHARE MODE", commit::POSITION_ORDER_LOCK);
        txn.execute_unprepared(&sql).await.context("cannot stop appends")?;
    }
    Ok(())
}

/// The log after `after` in a transaction that called [`stop_appends`].
pub async fn read_stopped_log(txn: &DatabaseTransaction, after: i64, limit: u64) -> anyhow::Result<Vec<RecordedEvent>> {
    read::read_all_visible(txn, after, limit).await
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
        // In a task of its own, so that a caller that goes away (a client
        // hanging up) cannot stop a commit half-way, e.g. inside the
        // position order section on PostgreSQL.
        let (db, projections) = (self.db.clone(), self.projections.clone());
        tokio::spawn(async move { commit::commit(&db, &projections, commit).await })
            .await
            .map_err(|error| CommitError::Store(anyhow::anyhow!("the commit task failed: {error}")))?
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

    async fn read_at(&self, positions: &[i64]) -> anyhow::Result<Vec<RecordedEvent>> {
        read::read_at(&self.reader, positions).await
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
