//! What command handlers work with, built once by `bootstrap` and owned by
//! the bus, which hands it to the handler of each command.

use std::sync::Arc;

use crate::application::Snapshots;
use crate::application::ports::{AccountNumberGenerator, EventStore, PasswordHasher};
use crate::application::stream_locks::StreamLocks;

pub struct HandlerServices {
    pub store: Arc<dyn EventStore>,
    pub hasher: Arc<dyn PasswordHasher>,
    pub numbers: Arc<dyn AccountNumberGenerator>,
    pub locks: StreamLocks,
    /// Where aggregates are snapshotted, and how often.
    pub snapshots: Snapshots,
    /// How often a handler decides again after losing a race.
    pub max_attempts: u32,
    /// Told of each step of a transfer that commits; the server installs
    /// one only when a test asks for fault injection.
    pub after_commit: Option<Arc<dyn AfterCommit>>,
}

/// A test hook: the crash tests abort the process right after a named step
/// of a transfer commits, to prove that a restart completes it exactly once.
pub trait AfterCommit: Send + Sync {
    fn committed(&self, step: &'static str);
}

impl HandlerServices {
    pub(super) fn committed(&self, step: &'static str) {
        if let Some(hook) = &self.after_commit {
            hook.committed(step);
        }
    }
}
