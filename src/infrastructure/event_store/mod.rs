//! The event store on SeaORM: one table for every stream, appends guarded by
//! the expected version, inline projections in the appending transaction.

mod batch;
mod group_commit;
mod read;

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use uuid::Uuid;

use crate::application::ports::{
    Commit, CommitError, CommitObserver, EventFilter, EventStore, ProcessedCommand, RecordedEvent, StreamBound,
};
use crate::infrastructure::database::Dialect;
use crate::infrastructure::projections::Projection;
use group_commit::{GroupCommit, Writer};

pub use group_commit::MAX_BATCH;
pub(crate) use read::from_model as recorded_event;

/// The log after `after`, oldest first, at most `limit` events, read on any
/// connection.
pub async fn read_log<C: sea_orm::ConnectionTrait>(
    conn: &C,
    after: i64,
    limit: u64,
) -> anyhow::Result<Vec<RecordedEvent>> {
    read::read_all(conn, after, limit, &EventFilter::default()).await
}

/// Holds back every append until `txn` ends, once the appends in flight
/// have ended, so that the whole log is visible to `txn` and stays as it is
/// (a rebuild's switch).
pub async fn stop_appends(txn: &DatabaseTransaction) -> anyhow::Result<()> {
    Dialect::of(txn).stop_appends(txn).await
}

/// [`EventStore`] on SQLite or PostgreSQL.
#[derive(Clone)]
pub struct SeaOrmEventStore {
    db: DatabaseConnection,
    /// Where reads go: the writer itself unless [`Self::reading_from`] says otherwise.
    reader: DatabaseConnection,
    projections: Arc<[Arc<dyn Projection>]>,
    /// The group commit's writer, started with the first commit.
    writer: Arc<OnceLock<GroupCommit>>,
    observer: Arc<OnceLock<Arc<dyn CommitObserver>>>,
}

impl SeaOrmEventStore {
    /// `projections` run, in this order, on every committed event inside the
    /// commit's transaction.
    pub fn new(db: DatabaseConnection, projections: Vec<Arc<dyn Projection>>) -> Self {
        SeaOrmEventStore {
            reader: db.clone(),
            db,
            projections: projections.into(),
            writer: Arc::default(),
            observer: Arc::default(),
        }
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
    fn observe_commits(&self, observer: Arc<dyn CommitObserver>) {
        if self.observer.set(observer).is_err() {
            tracing::warn!("the event store has an observer already; the new one is ignored");
        }
    }

    async fn commit(&self, commit: Commit) -> Result<Vec<RecordedEvent>, CommitError> {
        let writer = self.writer.get_or_init(|| {
            GroupCommit::start(Writer {
                db: self.db.clone(),
                projections: self.projections.clone(),
                observer: self.observer.clone(),
            })
        });
        writer.commit(commit).await
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
