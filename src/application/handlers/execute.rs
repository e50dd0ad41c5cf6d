//! load → decide → commit on one stream, with the retry loop.

use uuid::Uuid;

use super::load::{Loaded, cached, load, remember};
use super::retry::{Attempt, committed, retrying};
use super::services::HandlerServices;
use crate::application::AppError;
use crate::application::commands::CommandMeta;
use crate::application::ports::{
    Commit, CommitError, EventMetadata, NewEvent, RecordedEvent, StreamAppend, StreamBound, StreamVersion, UniqueClaim,
};
use crate::domain::{Aggregate, DomainEvent};

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

/// What a handler's `prepare` hands to the aggregate for one attempt: the
/// command its `decide` is asked, and the unique values the commit claims.
pub struct Prepared<A: Aggregate> {
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
    services: &HandlerServices,
    stream_id: Uuid,
    meta: &CommandMeta,
    expected_version: Option<i32>,
    prepare: F,
) -> Result<Handled, AppError>
where
    A: Aggregate,
    F: Fn(&Loaded<A>, u32) -> Result<Prepared<A>, AppError> + Sync,
{
    let kind = A::Event::STREAM_TYPE.noun();
    let _serialized = services.locks.lock(stream_id).await;
    let too_busy = || AppError::Conflict(format!("the {kind} is too busy right now; please retry"));
    let prepare = &prepare;
    retrying(services.max_attempts, too_busy, |attempt| async move {
        // The first attempt decides on the cached state as it is: if another
        // writer moved the stream meanwhile, the commit conflicts and the
        // next attempt reads the stream. What the cached state alone would
        // refuse or leave unchanged is checked against the stream first.
        let (loaded, cached) = match cached::<A>(&services.snapshots, stream_id).filter(|_| attempt == 1) {
            Some(cached) => (cached, true),
            None => {
                (load::<A>(services.store.as_ref(), &services.snapshots, stream_id, StreamBound::All).await?, false)
            }
        };
        // `prepare` authorizes first, so a stale version never reveals a stream
        // that the caller may not see.
        let decision = prepare(&loaded, attempt)?;
        if let Some(expected) = expected_version
            && expected != loaded.version
        {
            if cached {
                return Ok(Attempt::Again);
            }
            return Err(AppError::Conflict(format!(
                "expected version {expected}, but the {kind} is at version {}",
                loaded.version
            )));
        }
        let events = match loaded.state.decide(decision.command) {
            Err(_) if cached => return Ok(Attempt::Again),
            decided => decided?,
        };
        if events.is_empty() && cached {
            return Ok(Attempt::Again);
        }
        if events.is_empty() && meta.idempotency.is_none() {
            return Ok(Attempt::Done(Handled::unchanged(stream_id, loaded.version)));
        }
        let new_version = loaded.version + events.len() as i32;
        let append = append::<A>(stream_id, loaded.version, &events, meta);
        let commit = Commit { appends: vec![append], claims: decision.claims, idempotency: meta.idempotency.clone() };
        let outcome = services.store.commit(commit).await;
        if matches!(outcome, Err(CommitError::Conflict { .. })) {
            if cached {
                tracing::debug!(%stream_id, "the cached state was stale; reading the stream");
                return Ok(Attempt::Again);
            }
            if let Some(expected) = expected_version {
                return Err(AppError::Conflict(format!(
                    "expected version {expected}, but the {kind} changed meanwhile"
                )));
            }
        }
        let Attempt::Done(recorded) = committed(outcome)? else {
            return Ok(Attempt::Lost);
        };
        if recorded.is_empty() {
            return Ok(Attempt::Done(Handled::unchanged(stream_id, loaded.version)));
        }
        let state = events.iter().fold(loaded.state, |state, event| state.evolve(event));
        if services.snapshots.due(loaded.version, new_version) {
            services.snapshots.save(stream_id, new_version, &state).await;
        }
        let last_recorded_at = recorded.last().map(|e| e.recorded_at);
        remember(&services.snapshots, stream_id, &Loaded { state, version: new_version, last_recorded_at });
        Ok(Attempt::Done(Handled::recorded(recorded)))
    })
    .await
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

fn new_event<E: DomainEvent>(event: &E, meta: &CommandMeta) -> NewEvent {
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
