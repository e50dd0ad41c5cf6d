use std::hash::{DefaultHasher, Hash, Hasher};

use tokio::sync::{Mutex, MutexGuard};
use uuid::Uuid;

const STRIPES: usize = 256;

/// Serializes commands on one stream inside this process, so that concurrent
/// requests on a hot account queue up instead of racing into version
/// conflicts. Optimistic concurrency in the store still guards against other
/// processes. Striped: a fixed set of locks, so nothing grows or needs
/// cleaning; a command holds one stripe at a time, so there is no deadlock.
pub struct StreamLocks {
    stripes: Vec<Mutex<()>>,
}

impl Default for StreamLocks {
    fn default() -> Self {
        StreamLocks { stripes: (0..STRIPES).map(|_| Mutex::new(())).collect() }
    }
}

impl StreamLocks {
    pub async fn lock(&self, stream_id: Uuid) -> MutexGuard<'_, ()> {
        let mut hasher = DefaultHasher::new();
        stream_id.hash(&mut hasher);
        self.stripes[(hasher.finish() as usize) % STRIPES].lock().await
    }
}
