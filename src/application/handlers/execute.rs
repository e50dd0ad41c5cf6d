use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use uuid::Uuid;

use crate::application::AppError;
use crate::application::Snapshots;
use crate::application::bus::Deps;
use crate::application::commands::CommandMeta;
use crate::application::ports::{
    Commit, CommitError, EventMetadata, EventStore, NewEvent, RecordedEvent, StreamAppend, StreamBound, StreamVersion,
    UniqueClaim,
};
use crate::domain::{Aggregate, DomainEvent};

/// An aggregate rebuilt from its stream, with the stream's version.
#[derive(Debug, Clone)]
pub struct Loaded<A> {
    pub state: A,
    pub version: i32,
    /// When the last applied event was recorded; `None` for an empty stream.
    pub last_recorded_at: Option<DateTime<Utc>>,
}

/// Rebuilds an aggregate up to `bound`: from the cached state, or its latest
/// usable snapshot, plus the events after it; or from the whole stream.
pub async fn load<A: Aggregate>(
    store: &dyn EventStore,
    snapshots: &Snapshots,
    stream_id: Uuid,
    bound: StreamBound,
) -> Result<Loaded<A>, AppError> {
    let latest = matches!(bound, StreamBound::All);
    if latest && let Some(cached) = snapshots.memory().get::<Loaded<A>>(stream_id) {
        let tail = store.read_stream_after(stream_id, cached.version, bound).await?;
        let loaded = apply(cached, stream_id, &tail)?;
        if !tail.is_empty() {
            remember(snapshots, stream_id, &loaded);
        }
        return Ok(loaded);
    }
    let loaded = load_stored(store, snapshots, stream_id, bound).await?;
    if latest {
        remember(snapshots, stream_id, &loaded);
    }
    Ok(loaded)
}

/// The cached state of `stream_id`, as it is (see [`execute`]).
fn cached<A: Aggregate>(deps: &Deps, stream_id: Uuid) -> Option<Loaded<A>> {
    deps.snapshots.memory().get::<Loaded<A>>(stream_id)
}

/// Caches the state of a stream that exists (an unknown id is not worth a slot).
fn remember<A: Aggregate>(snapshots: &Snapshots, stream_id: Uuid, loaded: &Loaded<A>) {
    if loaded.version > 0 {
        snapshots.memory().put(stream_id, loaded.version, loaded.clone());
    }
}

async fn load_stored<A: Aggregate>(
    store: &dyn EventStore,
    snapshots: &Snapshots,
    stream_id: Uuid,
    bound: StreamBound,
) -> Result<Loaded<A>, AppError> {
    if let Some((state, version)) = snapshots.usable::<A>(stream_id, bound).await {
        // From the snapshot's own event on: it tells when that version was
        // recorded, and that the stream really has it.
        let events = store.read_stream_after(stream_id, version - 1, bound).await?;
        match events.split_first() {
            Some((first, tail)) if first.version == version => {
                let loaded = Loaded { state, version, last_recorded_at: Some(first.recorded_at) };
                return apply(loaded, stream_id, tail);
            }
            _ => tracing::warn!(%stream_id, version, "snapshot is ahead of the stream; ignored, replaying"),
        }
    }
    replay(store, stream_id, bound).await
}

/// Replays the whole stream (up to `bound`) into aggregate state, without snapshots.
///
/// A stream of another aggregate type (a client's id given where an account
/// is expected) is, to this aggregate, a stream that does not exist: ids are
/// only ever looked up by kind, and answering any differently would tell a
/// caller that the id exists.
pub async fn replay<A: Aggregate>(
    store: &dyn EventStore,
    stream_id: Uuid,
    bound: StreamBound,
) -> Result<Loaded<A>, AppError> {
    let recorded = store.read_stream_after(stream_id, 0, bound).await?;
    let absent = Loaded { state: A::default(), version: 0, last_recorded_at: None };
    if let Some(first) = recorded.first()
        && first.stream_type != A::Event::STREAM_TYPE
    {
        tracing::debug!(%stream_id, found = first.stream_type.as_str(), "a stream of another type; taken as absent");
        return Ok(absent);
    }
    apply(absent, stream_id, &recorded)
}

fn apply<A: Aggregate>(
    mut loaded: Loaded<A>,
    stream_id: Uuid,
    events: &[RecordedEvent],
) -> Result<Loaded<A>, AppError> {
    for event in events {
        if event.stream_type != A::Event::STREAM_TYPE {
            // Streams never change type: the tail after a cached state or a
            // snapshot of this type is of this type too, unless the log is damaged.
            return Err(anyhow::anyhow!(
                "event {} of stream {stream_id} is of type {}, not {}",
                event.id,
                event.stream_type.as_str(),
                A::Event::STREAM_TYPE.as_str()
            )
            .into());
        }
        let domain_event =
            A::Event::from_stored(&event.event_type, event.schema_version, &event.data).map_err(|e| {
                anyhow::anyhow!(
                    "event {} ({}) of stream {stream_id} does not deserialize: {e}",
                    event.id,
                    event.event_type
                )
            })?;
        loaded.state = loaded.state.evolve(&domain_event);
        loaded.version = event.version;
        loaded.last_recorded_at = Some(event.recorded_at);
    }
    Ok(loaded)
}

/// What a command handler did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Handled {
    /// The events it recorded, in order.
    pub events: Vec<RecordedEvent>,
    /// When it recorded none: the stream it decided on and the version it
    /// found there, the state it answers with.
    pub unchanged: Option<StreamVersion>,
}

impl Handled {
    pub fn recorded(events: Vec<RecordedEvent>) -> Self {
        Handled { events, unchanged: None }
    }

    pub(super) fn unchanged(stream_id: Uuid, version: i32) -> Self {
        Handled { events: Vec::new(), unchanged: Some(StreamVersion { stream_id, version }) }
    }
}

/// What a handler decided for one attempt.
pub struct Decision<A: Aggregate> {
    pub command: A::Command,
    pub claims: Vec<UniqueClaim>,
}

/// Runs load → decide → append on one stream. A version conflict with another
/// writer is retried (reload and decide again) a bounded number of times; a
/// stale `expected_version` from the client is a CONFLICT error instead.
/// `prepare` sees the current state (for authorization and command building)
/// and may be called once per attempt.
///
/// A decision without events writes nothing, except the idempotency record
/// of a command that has one: committed like any other, after the same
/// version check, with the version decided on, so that its repeats answer
/// with that state instead of deciding again.
pub async fn execute<A, F>(
    deps: &Deps,
    stream_id: Uuid,
    meta: &CommandMeta,
    expected_version: Option<i32>,
    mut prepare: F,
) -> Result<Handled, AppError>
where
    A: Aggregate,
    F: FnMut(&Loaded<A>, u32) -> Result<Decision<A>, AppError>,
{
    let _serialized = deps.locks.lock(stream_id).await;
    let mut attempt = 0;
    loop {
        attempt += 1;
        // The first attempt decides on the cached state as it is: if another
        // writer moved the stream meanwhile, the commit conflicts and the
        // next attempt reads the stream. What the cached state alone would
        // refuse or leave unchanged is checked against the stream first.
        let (loaded, cached) = match cached::<A>(deps, stream_id).filter(|_| attempt == 1) {
            Some(cached) => (cached, true),
            None => (load::<A>(deps.store.as_ref(), &deps.snapshots, stream_id, StreamBound::All).await?, false),
        };
        // `prepare` authorizes first, so a stale version never reveals a stream
        // that the caller may not see.
        let decision = prepare(&loaded, attempt)?;
        if let Some(expected) = expected_version
            && expected != loaded.version
        {
            if cached {
                continue;
            }
            return Err(stale(expected, loaded.version));
        }
        let events = match loaded.state.decide(decision.command) {
            Err(_) if cached => continue,
            decided => decided?,
        };
        if events.is_empty() && cached {
            continue;
        }
        if events.is_empty() && meta.idempotency.is_none() {
            return Ok(Handled::unchanged(stream_id, loaded.version));
        }
        let new_version = loaded.version + events.len() as i32;
        let append = append::<A>(stream_id, loaded.version, &events, meta);
        let commit = Commit { appends: vec![append], claims: decision.claims, idempotency: meta.idempotency.clone() };
        match deps.store.commit(commit).await {
            Ok(recorded) if recorded.is_empty() => return Ok(Handled::unchanged(stream_id, loaded.version)),
            Ok(recorded) => {
                let state = events.iter().fold(loaded.state, |state, event| state.evolve(event));
                if deps.snapshots.due(loaded.version, new_version) {
                    deps.snapshots.save(stream_id, new_version, &state).await;
                }
                let last_recorded_at = recorded.last().map(|e| e.recorded_at);
                remember(&deps.snapshots, stream_id, &Loaded { state, version: new_version, last_recorded_at });
                return Ok(Handled::recorded(recorded));
            }
            Err(CommitError::Conflict { .. }) if cached => {
                tracing::debug!(%stream_id, "the cached state was stale; reading the stream");
            }
            Err(CommitError::Conflict { .. }) if expected_version.is_none() && attempt < deps.max_attempts => {
                tracing::debug!(%stream_id, attempt, "version conflict, deciding again");
                backoff(attempt).await;
            }
            Err(CommitError::Conflict { .. }) => {
                return Err(match expected_version {
                    Some(expected) => {
                        AppError::Conflict(format!("expected version {expected}, but the account changed meanwhile"))
                    }
                    None => AppError::Conflict("the account is too busy right now; please retry".into()),
                });
            }
            Err(refused) => return Err(refusal(refused)),
        }
    }
}

/// What a commit refused for another reason than a version conflict means
/// to the caller.
pub(super) fn refusal(error: CommitError) -> AppError {
    match error {
        CommitError::AlreadyClaimed { scope } => AppError::AlreadyExists(scope_name(scope)),
        CommitError::AlreadyProcessed => AppError::AlreadyProcessed,
        CommitError::Store(e) => AppError::Unexpected(e),
        CommitError::Conflict { .. } => AppError::Conflict("another writer changed the stream meanwhile".into()),
    }
}

/// `events` decided on one stream, to be appended at `expected_version`.
pub(super) fn append<A: Aggregate>(
    stream_id: Uuid,
    expected_version: i32,
    events: &[A::Event],
    meta: &CommandMeta,
) -> StreamAppend {
    StreamAppend {
        stream_id,
        stream_type: A::Event::STREAM_TYPE,
        expected_version,
        events: events.iter().map(|e| new_event(e, meta)).collect(),
    }
}

fn stale(expected: i32, actual: i32) -> AppError {
    AppError::Conflict(format!("expected version {expected}, but the account is at version {actual}"))
}

fn scope_name(scope: &'static str) -> &'static str {
    match scope {
        "email" => "e-mail",
        other => other,
    }
}

/// Random jitter keeps competing writers from colliding again in lock-step.
pub(super) async fn backoff(attempt: u32) {
    let ceiling = 2u64.pow(attempt.min(6)).max(2);
    let millis = rand::rng().random_range(1..=ceiling);
    tokio::time::sleep(Duration::from_millis(millis)).await;
}

pub fn new_event<E: DomainEvent>(event: &E, meta: &CommandMeta) -> NewEvent {
    NewEvent {
        id: Uuid::now_v7(),
        event_type: event.event_type().to_string(),
        schema_version: event.schema_version(),
        data: event.to_data(),
        metadata: EventMetadata {
            correlation_id: meta.correlation_id,
            causation_id: meta.causation_id.or(Some(meta.command_id)),
            command_id: Some(meta.command_id),
            actor_id: meta.actor.client_id(),
        },
    }
}
