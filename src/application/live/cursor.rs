use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Where a running subscription is in the log: the position of the last
/// event its stream has taken, matching or not. A transport that shares one
/// evaluation between several subscribers reads it with each result, so that
/// a subscriber it has to end early can be told where to resume.
#[derive(Debug, Clone, Default)]
pub struct LiveCursor(Arc<AtomicI64>);

impl LiveCursor {
    pub fn set(&self, position: i64) {
        self.0.store(position, Ordering::Relaxed);
    }

    pub fn get(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}
