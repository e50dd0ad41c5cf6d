//! Rebuilding an aggregate from its stream: from the cached state, a
//! snapshot plus the events after it, or the whole stream.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::application::AppError;
use crate::application::Snapshots;
use crate::application::ports::{EventStore, RecordedEvent, StreamBound};
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
    if latest && let Some(cached) = cached::<A>(snapshots, stream_id) {
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

/// The cached state of `stream_id`, as it is (see `execute`).
pub(super) fn cached<A: Aggregate>(snapshots: &Snapshots, stream_id: Uuid) -> Option<Loaded<A>> {
    snapshots.memory().get::<Loaded<A>>(stream_id)
}

/// Caches the state of a stream that exists (an unknown id is not worth a slot).
pub(super) fn remember<A: Aggregate>(snapshots: &Snapshots, stream_id: Uuid, loaded: &Loaded<A>) {
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
