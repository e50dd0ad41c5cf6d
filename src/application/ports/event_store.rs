use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;
use uuid::Uuid;

use crate::domain::StreamType;

/// Who caused an event and on whose behalf; stored as the `metadata` JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventMetadata {
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
    pub command_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
}

/// An event about to be appended.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub id: Uuid,
    pub event_type: String,
    pub schema_version: i32,
    pub data: Value,
    pub metadata: EventMetadata,
}

/// A committed event, as read back from the store.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedEvent {
    /// Global, monotonic position in the log (1 for the first event).
    pub position: i64,
    pub id: Uuid,
    pub stream_id: Uuid,
    pub stream_type: StreamType,
    /// Version of the stream after this event (1 for the first).
    pub version: i32,
    pub event_type: String,
    pub schema_version: i32,
    pub data: Value,
    pub metadata: EventMetadata,
    pub recorded_at: DateTime<Utc>,
}

/// Events for one stream, appended only if the stream is at `expected_version`
/// (0 for a new stream). With no events it appends nothing and only requires
/// the version: how a command that decided nothing commits its idempotency
/// record against the state it was decided on.
#[derive(Debug, Clone)]
pub struct StreamAppend {
    pub stream_id: Uuid,
    pub stream_type: StreamType,
    pub expected_version: i32,
    pub events: Vec<NewEvent>,
}

/// A value that must be unique across the whole store (a username, an e-mail,
/// an account number), claimed in the same transaction as the events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniqueClaim {
    /// What kind of value: "username", "email", "account_number".
    pub scope: &'static str,
    pub value: String,
    pub owner_id: Uuid,
}

/// A client's idempotency key with what it was used for: the command and the
/// caller, so a repeat can be told from a reuse with other input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    pub command_id: Uuid,
    pub fingerprint: String,
}

/// What a command with an idempotency key recorded, kept to answer repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessedCommand {
    pub fingerprint: String,
    pub positions: Vec<i64>,
    /// A command that recorded no events: the stream it was decided on and
    /// the version it found there, the state its repeats answer with.
    pub unchanged: Option<StreamVersion>,
}

/// One stream at one version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamVersion {
    pub stream_id: Uuid,
    pub version: i32,
}

impl ProcessedCommand {
    /// The record of `key` for a commit that recorded `recorded`: with no
    /// events, the stream and version of the commit's first append.
    pub fn of(key: &IdempotencyKey, commit: &Commit, recorded: &[RecordedEvent]) -> Self {
        let unchanged = match recorded {
            [] => commit.appends.first().map(|a| StreamVersion { stream_id: a.stream_id, version: a.expected_version }),
            _ => None,
        };
        ProcessedCommand {
            fingerprint: key.fingerprint.clone(),
            positions: recorded.iter().map(|e| e.position).collect(),
            unchanged,
        }
    }
}

/// Everything one command writes: committed together or not at all.
#[derive(Debug, Clone, Default)]
pub struct Commit {
    pub appends: Vec<StreamAppend>,
    pub claims: Vec<UniqueClaim>,
    /// Recorded with the positions of the events, in the same transaction
    /// (see [`ProcessedCommand::of`]).
    pub idempotency: Option<IdempotencyKey>,
}

#[derive(Debug, Error)]
pub enum CommitError {
    /// Another writer moved the stream first.
    #[error("stream {stream_id} is not at version {expected_version}")]
    Conflict { stream_id: Uuid, expected_version: i32 },
    /// The unique value is claimed already.
    #[error("{scope} is already claimed")]
    AlreadyClaimed { scope: &'static str },
    /// A command with this idempotency key committed first.
    #[error("the command was processed already")]
    AlreadyProcessed,
    #[error(transparent)]
    Store(#[from] anyhow::Error),
}

/// Which events of the log a reader wants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// `None`: any stream; `Some(empty)`: no stream at all.
    pub stream_ids: Option<Vec<Uuid>>,
    pub stream_types: Option<Vec<StreamType>>,
    pub event_types: Option<Vec<String>>,
}

impl EventFilter {
    /// The same test the stores apply, for events already in memory.
    pub fn matches(&self, event: &RecordedEvent) -> bool {
        self.stream_ids.as_ref().is_none_or(|ids| ids.contains(&event.stream_id))
            && self.stream_types.as_ref().is_none_or(|types| types.contains(&event.stream_type))
            && self.event_types.as_ref().is_none_or(|types| types.contains(&event.event_type))
    }
}

/// How far to replay one stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamBound {
    All,
    UpToVersion(i32),
    RecordedUpTo(DateTime<Utc>),
}

/// Told of the events this process commits, batch by batch, in commit order,
/// right after each commit and before its commands are answered.
pub trait CommitObserver: Send + Sync {
    /// `events` (in position order) committed right after `previous_head`:
    /// every event up to that position was visible when they were appended.
    fn committed(&self, previous_head: i64, events: &[RecordedEvent]);
}

#[async_trait]
pub trait EventStore: Send + Sync {
    /// Registers the one observer of this store's commits (a store that
    /// cannot tell ignores it; its readers follow the log instead).
    fn observe_commits(&self, _observer: std::sync::Arc<dyn CommitObserver>) {}

    /// Appends atomically, runs the inline projections in the same transaction,
    /// and returns the recorded events in order.
    async fn commit(&self, commit: Commit) -> Result<Vec<RecordedEvent>, CommitError>;

    /// One stream, oldest first, up to a bound.
    async fn read_stream(&self, stream_id: Uuid, bound: StreamBound) -> anyhow::Result<Vec<RecordedEvent>> {
        self.read_stream_after(stream_id, 0, bound).await
    }

    /// One stream, oldest first, versions after `after_version` up to a bound
    /// (the tail after a snapshot).
    async fn read_stream_after(
        &self,
        stream_id: Uuid,
        after_version: i32,
        bound: StreamBound,
    ) -> anyhow::Result<Vec<RecordedEvent>>;

    /// One stream, oldest first, versions after `after_version`, at most `limit`.
    async fn read_stream_page(
        &self,
        stream_id: Uuid,
        after_version: i32,
        limit: u64,
    ) -> anyhow::Result<Vec<RecordedEvent>>;

    /// Committed events after `after` in global order, at most `limit`; where
    /// commits can become visible out of position order, only as far as no
    /// smaller position can still appear, so that following the log with
    /// "after the last one seen" never skips an event.
    async fn read_all(&self, after: i64, limit: u64, filter: &EventFilter) -> anyhow::Result<Vec<RecordedEvent>>;

    /// The committed events at these positions (those that exist), in
    /// position order, however far the log is settled: a lookup, not a read
    /// that follows the log.
    async fn read_at(&self, positions: &[i64]) -> anyhow::Result<Vec<RecordedEvent>> {
        let mut found = Vec::with_capacity(positions.len());
        for &position in positions {
            let event = self.read_all(position - 1, 1, &EventFilter::default()).await?.into_iter().next();
            found.extend(event.filter(|e| e.position == position));
        }
        Ok(found)
    }

    /// How many committed events match the filter.
    async fn count(&self, filter: &EventFilter) -> anyhow::Result<u64>;

    /// The position of the newest committed event (0 for an empty log).
    async fn head(&self) -> anyhow::Result<i64>;

    /// What the command with this idempotency key recorded, if it committed.
    async fn processed(&self, command_id: Uuid) -> anyhow::Result<Option<ProcessedCommand>>;
}
