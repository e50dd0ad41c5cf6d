//! When snapshots are taken and which ones may be trusted when loading.

use std::sync::Arc;

use chrono::Utc;
use uuid::Uuid;

use super::AggregateCache;
use super::ports::{SnapshotStore, StoredSnapshot, StreamBound};
use crate::domain::{Aggregate, DomainEvent};

/// Where loading an aggregate may start instead of at its first event: the
/// stored snapshots ("every N events"; 0: neither taken nor used) and, in
/// front of them, the in-memory [`AggregateCache`] (off unless enabled).
#[derive(Clone)]
pub struct Snapshots {
    store: Option<Arc<dyn SnapshotStore>>,
    every: u32,
    memory: Arc<AggregateCache>,
}

impl Snapshots {
    pub fn new(store: Arc<dyn SnapshotStore>, every: u32) -> Self {
        Snapshots { store: (every > 0).then_some(store), every, memory: Arc::new(AggregateCache::disabled()) }
    }

    /// Every load replays the whole stream.
    pub fn disabled() -> Self {
        Snapshots { store: None, every: 0, memory: Arc::new(AggregateCache::disabled()) }
    }

    /// Also keeps up to `capacity` recently used aggregates in memory.
    pub fn with_memory(mut self, capacity: usize) -> Self {
        self.memory = Arc::new(AggregateCache::new(capacity));
        self
    }

    pub fn memory(&self) -> &AggregateCache {
        &self.memory
    }

    pub fn every(&self) -> u32 {
        self.every
    }

    /// Whether going from `before` to `after` crossed a multiple of N.
    pub fn due(&self, before: i32, after: i32) -> bool {
        let every = self.every as i64;
        self.store.is_some() && every > 0 && before.max(0) as i64 / every < after.max(0) as i64 / every
    }

    /// The snapshot to start from for `bound`, with its version, if there is
    /// one that may be trusted: not past the bound, of the code's
    /// `SNAPSHOT_VERSION`, of this stream type, and deserializable. Anything
    /// else is ignored, and logged unless it is another type's (the caller
    /// replays from the start; the next save replaces it). Instants are
    /// always replayed from the start: which events were recorded by then is
    /// for the log alone to say.
    pub async fn usable<A: Aggregate>(&self, stream_id: Uuid, bound: StreamBound) -> Option<(A, i32)> {
        let store = self.store.as_ref()?;
        let max_version = match bound {
            StreamBound::All => i32::MAX,
            StreamBound::UpToVersion(v) => v,
            StreamBound::RecordedUpTo(_) => return None,
        };
        let snapshot = match store.load(stream_id).await {
            Ok(Some(snapshot)) => snapshot,
            Ok(None) => return None,
            Err(error) => {
                tracing::warn!(%stream_id, error = format!("{error:#}"), "cannot read the snapshot; replaying");
                return None;
            }
        };
        if snapshot.version < 1 || snapshot.version > max_version {
            return None;
        }
        if snapshot.stream_type != A::Event::STREAM_TYPE {
            // Another kind of aggregate under this id: not a stream of `A`
            // at all (the replay takes it as absent), nothing to warn about.
            tracing::debug!(%stream_id, stream_type = snapshot.stream_type.as_str(), "snapshot of another type");
            return None;
        }
        if snapshot.snapshot_version != A::SNAPSHOT_VERSION {
            tracing::warn!(
                %stream_id,
                found = snapshot.snapshot_version,
                expected = A::SNAPSHOT_VERSION,
                "outdated snapshot ignored; replaying"
            );
            return None;
        }
        match serde_json::from_value::<A>(snapshot.state) {
            Ok(state) => Some((state, snapshot.version)),
            Err(error) => {
                tracing::warn!(%stream_id, %error, "snapshot does not deserialize; ignored, replaying");
                None
            }
        }
    }

    /// Saves `state` as the stream's snapshot at `version`. Best effort: a
    /// failure is logged and otherwise ignored.
    pub async fn save<A: Aggregate>(&self, stream_id: Uuid, version: i32, state: &A) {
        let Some(store) = &self.store else { return };
        let state = match serde_json::to_value(state) {
            Ok(state) => state,
            Err(error) => {
                tracing::warn!(%stream_id, %error, "cannot serialize a snapshot");
                return;
            }
        };
        let snapshot = StoredSnapshot {
            stream_id,
            stream_type: A::Event::STREAM_TYPE,
            version,
            snapshot_version: A::SNAPSHOT_VERSION,
            state,
            taken_at: Utc::now(),
        };
        match store.save(snapshot).await {
            Ok(()) => tracing::debug!(%stream_id, version, "snapshot taken"),
            Err(error) => tracing::warn!(%stream_id, version, error = format!("{error:#}"), "cannot save a snapshot"),
        }
    }
}
