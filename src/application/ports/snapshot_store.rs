use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::StreamType;

/// An aggregate's state after `version` events of its stream, as JSON.
/// Only a cache: it can always be rebuilt from the events, so a snapshot that
/// is outdated (`snapshot_version` is not the code's) or unreadable is ignored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSnapshot {
    pub stream_id: Uuid,
    pub stream_type: StreamType,
    /// Version of the stream whose state this is.
    pub version: i32,
    /// The aggregate's `SNAPSHOT_VERSION` when it was taken.
    pub snapshot_version: i32,
    pub state: Value,
    pub taken_at: DateTime<Utc>,
}

/// Where snapshots are kept: the latest one per stream.
#[async_trait]
pub trait SnapshotStore: Send + Sync {
    /// The latest snapshot of a stream, if any.
    async fn load(&self, stream_id: Uuid) -> anyhow::Result<Option<StoredSnapshot>>;

    /// Keeps `snapshot` as the stream's latest, unless the stored one is of
    /// the same snapshot version and not older (a slower writer never
    /// replaces a newer snapshot; an outdated or corrupt one is replaced).
    async fn save(&self, snapshot: StoredSnapshot) -> anyhow::Result<()>;
}
