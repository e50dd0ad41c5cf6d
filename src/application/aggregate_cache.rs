//! The most recently used aggregates, kept in memory, so that loading one
//! reads only the events recorded since it was cached (usually none) instead
//! of a snapshot and the events after it.
//!
//! A command decides on a cached state as it is (see `handlers::execute`): an
//! append made from a stale state fails on the stream version, and the
//! command then reads the stream and decides again; a refusal or a no-op
//! decided on a cached state is checked against the stream first. Every
//! other load reads the stream after the cached version, so events appended
//! by another instance, by a multi-stream commit or by a writer that raced
//! this one are applied. An entry only saves work.

use std::any::Any;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard};

use lru::LruCache;
use uuid::Uuid;

/// Aggregates cached unless configured otherwise (`AGGREGATE_CACHE`).
pub const DEFAULT_CAPACITY: usize = 10_000;

struct Entry {
    version: i32,
    value: Arc<dyn Any + Send + Sync>,
}

pub struct AggregateCache {
    entries: Option<Mutex<LruCache<Uuid, Entry>>>,
}

impl AggregateCache {
    /// Holds up to `capacity` aggregates (0: caches nothing).
    pub fn new(capacity: usize) -> Self {
        AggregateCache { entries: NonZeroUsize::new(capacity).map(|c| Mutex::new(LruCache::new(c))) }
    }

    pub fn disabled() -> Self {
        AggregateCache::new(0)
    }

    /// The cached value of `stream_id`, if it is one of type `T`.
    pub fn get<T: Clone + Send + Sync + 'static>(&self, stream_id: Uuid) -> Option<T> {
        self.locked()?.get(&stream_id).and_then(|entry| entry.value.downcast_ref::<T>()).cloned()
    }

    /// Keeps `value` as the state of `stream_id` at `version`, unless a newer
    /// version is cached already (two loads may finish in either order).
    pub fn put<T: Send + Sync + 'static>(&self, stream_id: Uuid, version: i32, value: T) {
        let Some(mut entries) = self.locked() else { return };
        if entries.peek(&stream_id).is_some_and(|cached| cached.version > version) {
            return;
        }
        entries.put(stream_id, Entry { version, value: Arc::new(value) });
    }

    pub fn len(&self) -> usize {
        self.locked().map_or(0, |entries| entries.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The entries, if caching is on. A panic elsewhere while holding the
    /// lock leaves them usable: every entry is complete on its own.
    fn locked(&self) -> Option<MutexGuard<'_, LruCache<Uuid, Entry>>> {
        Some(self.entries.as_ref()?.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_version_and_evicts_the_least_recently_used() {
        let cache = AggregateCache::new(2);
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        cache.put(a, 2, "a@2".to_string());
        cache.put(a, 1, "a@1".to_string());
        assert_eq!(cache.get::<String>(a).as_deref(), Some("a@2"), "an older version never replaces a newer one");
        cache.put(b, 1, "b@1".to_string());
        assert_eq!(cache.get::<String>(a).as_deref(), Some("a@2"));
        cache.put(c, 1, "c@1".to_string());
        assert_eq!(cache.get::<String>(b), None, "b was the least recently used");
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn another_type_under_the_same_id_is_a_miss() {
        let cache = AggregateCache::new(4);
        let id = Uuid::now_v7();
        cache.put(id, 1, 7_u32);
        assert_eq!(cache.get::<String>(id), None);
        assert_eq!(cache.get::<u32>(id), Some(7));
    }

    #[test]
    fn a_disabled_cache_holds_nothing() {
        let cache = AggregateCache::disabled();
        let id = Uuid::now_v7();
        cache.put(id, 1, 7_u32);
        assert_eq!(cache.get::<u32>(id), None);
        assert!(cache.is_empty());
    }
}
