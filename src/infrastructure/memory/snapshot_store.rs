use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use async_trait::async_trait;
use uuid::Uuid;

use crate::application::ports::{SnapshotStore, StoredSnapshot};

/// Snapshots held in memory, with the database adapter's replacement rule.
#[derive(Debug, Default)]
pub struct InMemorySnapshotStore {
    snapshots: Mutex<HashMap<Uuid, StoredSnapshot>>,
}

impl InMemorySnapshotStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Puts any snapshot in place, unchecked (tests of corrupt or outdated ones).
    pub fn put(&self, snapshot: StoredSnapshot) {
        self.snapshots.lock().unwrap_or_else(PoisonError::into_inner).insert(snapshot.stream_id, snapshot);
    }
}

#[async_trait]
impl SnapshotStore for InMemorySnapshotStore {
    async fn load(&self, stream_id: Uuid) -> anyhow::Result<Option<StoredSnapshot>> {
        Ok(self.snapshots.lock().unwrap_or_else(PoisonError::into_inner).get(&stream_id).cloned())
    }

    async fn save(&self, snapshot: StoredSnapshot) -> anyhow::Result<()> {
        let mut snapshots = self.snapshots.lock().unwrap_or_else(PoisonError::into_inner);
        let keep = snapshots.get(&snapshot.stream_id).is_some_and(|stored| {
            stored.snapshot_version == snapshot.snapshot_version && stored.version >= snapshot.version
        });
        if !keep {
            snapshots.insert(snapshot.stream_id, snapshot);
        }
        Ok(())
    }
}
