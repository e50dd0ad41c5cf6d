use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use async_trait::async_trait;
use chrono::Utc;
use uuid::Uuid;

use crate::application::ports::{
    Commit, CommitError, EventFilter, EventStore, ProcessedCommand, RecordedEvent, StreamBound,
};

/// The event store held in memory: the same contract as the database
/// adapters (atomic commits, optimistic versions, unique claims, global
/// positions from 1), without projections. For fast tests of the
/// application layer.
#[derive(Debug, Default)]
pub struct InMemoryEventStore {
    log: Mutex<Log>,
}

#[derive(Debug, Default)]
struct Log {
    /// Index `i` holds the event at position `i + 1`.
    events: Vec<RecordedEvent>,
    /// Indexes into `events`, per stream, in version order.
    streams: HashMap<Uuid, Vec<usize>>,
    claims: HashSet<(&'static str, String)>,
    processed: HashMap<Uuid, ProcessedCommand>,
}

impl Log {
    fn version_of(&self, stream_id: Uuid) -> i32 {
        self.streams.get(&stream_id).map_or(0, |s| s.len() as i32)
    }

    fn stream(&self, stream_id: Uuid) -> impl Iterator<Item = &RecordedEvent> {
        self.streams.get(&stream_id).into_iter().flatten().map(|&i| &self.events[i])
    }

    /// Every check a commit must pass, before anything is written.
    fn check(&self, commit: &Commit) -> Result<(), CommitError> {
        let mut versions: HashMap<Uuid, i32> = HashMap::new();
        for append in &commit.appends {
            let current = *versions.entry(append.stream_id).or_insert_with(|| self.version_of(append.stream_id));
            if current != append.expected_version {
                return Err(CommitError::Conflict {
                    stream_id: append.stream_id,
                    expected_version: append.expected_version,
                });
            }
            versions.insert(append.stream_id, current + append.events.len() as i32);
        }
        let mut claimed_here = HashSet::new();
        for claim in &commit.claims {
            let key = (claim.scope, claim.value.clone());
            if self.claims.contains(&key) || !claimed_here.insert(key) {
                return Err(CommitError::AlreadyClaimed { scope: claim.scope });
            }
        }
        if let Some(key) = &commit.idempotency
            && self.processed.contains_key(&key.command_id)
        {
            return Err(CommitError::AlreadyProcessed);
        }
        Ok(())
    }

    fn write(&mut self, commit: Commit) -> Vec<RecordedEvent> {
        let recorded_at = Utc::now();
        let mut recorded = Vec::new();
        for append in &commit.appends {
            let next_versions = self.version_of(append.stream_id) + 1..;
            for (version, event) in next_versions.zip(append.events.iter().cloned()) {
                let index = self.events.len();
                let event = RecordedEvent {
                    position: index as i64 + 1,
                    id: event.id,
                    stream_id: append.stream_id,
                    stream_type: append.stream_type,
                    version,
                    event_type: event.event_type,
                    schema_version: event.schema_version,
                    data: event.data,
                    metadata: event.metadata,
                    recorded_at,
                };
                self.events.push(event.clone());
                self.streams.entry(append.stream_id).or_default().push(index);
                recorded.push(event);
            }
        }
        for claim in &commit.claims {
            self.claims.insert((claim.scope, claim.value.clone()));
        }
        if let Some(key) = &commit.idempotency {
            self.processed.insert(key.command_id, ProcessedCommand::of(key, &commit, &recorded));
        }
        recorded
    }
}

fn limit(limit: u64) -> usize {
    usize::try_from(limit).unwrap_or(usize::MAX)
}

impl InMemoryEventStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Every check happens before the first write, so a panic cannot leave a
    /// half-written commit behind: a poisoned lock still guards a consistent log.
    fn log(&self) -> MutexGuard<'_, Log> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl EventStore for InMemoryEventStore {
    async fn commit(&self, commit: Commit) -> Result<Vec<RecordedEvent>, CommitError> {
        let mut log = self.log();
        log.check(&commit)?;
        Ok(log.write(commit))
    }

    async fn read_stream(&self, stream_id: Uuid, bound: StreamBound) -> anyhow::Result<Vec<RecordedEvent>> {
        self.read_stream_after(stream_id, 0, bound).await
    }

    async fn read_stream_after(
        &self,
        stream_id: Uuid,
        after_version: i32,
        bound: StreamBound,
    ) -> anyhow::Result<Vec<RecordedEvent>> {
        let log = self.log();
        let within = |e: &&RecordedEvent| match bound {
            StreamBound::All => true,
            StreamBound::UpToVersion(version) => e.version <= version,
            StreamBound::RecordedUpTo(instant) => e.recorded_at <= instant,
        };
        let start = usize::try_from(after_version.max(0)).unwrap_or(usize::MAX);
        Ok(log.stream(stream_id).skip(start).filter(within).cloned().collect())
    }

    async fn read_stream_page(
        &self,
        stream_id: Uuid,
        after_version: i32,
        limit: u64,
    ) -> anyhow::Result<Vec<RecordedEvent>> {
        let log = self.log();
        Ok(log.stream(stream_id).filter(|e| e.version > after_version).take(self::limit(limit)).cloned().collect())
    }

    async fn read_all(&self, after: i64, limit: u64, filter: &EventFilter) -> anyhow::Result<Vec<RecordedEvent>> {
        let log = self.log();
        let start = usize::try_from(after.max(0)).unwrap_or(usize::MAX).min(log.events.len());
        Ok(log.events[start..].iter().filter(|e| filter.matches(e)).take(self::limit(limit)).cloned().collect())
    }

    async fn count(&self, filter: &EventFilter) -> anyhow::Result<u64> {
        let log = self.log();
        Ok(log.events.iter().filter(|e| filter.matches(e)).count() as u64)
    }

    async fn head(&self) -> anyhow::Result<i64> {
        Ok(self.log().events.last().map_or(0, |e| e.position))
    }

    async fn processed(&self, command_id: Uuid) -> anyhow::Result<Option<ProcessedCommand>> {
        Ok(self.log().processed.get(&command_id).cloned())
    }
}
