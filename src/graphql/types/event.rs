use async_graphql::{ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{parse_id, to_id};
use crate::application::AppError;
use crate::application::ports::{EventFilter, RecordedEvent};
use crate::application::public_event::PublicEvent;
use crate::domain::value::quoted;
use crate::domain::{DomainError, StreamType};
use crate::graphql::scalars::Position;

/// A committed event as clients see it (secrets removed).
#[derive(Clone)]
pub struct Event(RecordedEvent);

impl From<PublicEvent> for Event {
    fn from(event: PublicEvent) -> Self {
        Event(event.into_event())
    }
}

/// A command's own events and the live feed's come as stored.
impl From<RecordedEvent> for Event {
    fn from(event: RecordedEvent) -> Self {
        Event::from(PublicEvent::upcast_and_redact(event))
    }
}

/// Why and on whose behalf an event was recorded (for tracing a request's effects).
#[derive(SimpleObject)]
pub struct EventMetadata {
    /// Shared by every event caused, directly or not, by one request.
    correlation_id: ID,
    /// The event or command that caused this one.
    causation_id: Option<ID>,
    /// The client-supplied or generated id of the command that produced it.
    command_id: Option<ID>,
    /// The client on whose behalf it was recorded; null for the system.
    actor_id: Option<ID>,
}

/// A fact recorded in the append-only event log (secrets such as password
/// hashes removed). Events are never changed or deleted.
#[Object]
impl Event {
    /// Opaque, unique identifier of the event (a UUID).
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    /// Global position in the log: increases in commit order across all streams.
    async fn position(&self) -> Position {
        Position(self.0.position)
    }

    /// Id of the client, account or transfer whose stream holds the event.
    async fn stream_id(&self) -> ID {
        to_id(self.0.stream_id)
    }

    /// CLIENT, ACCOUNT or TRANSFER.
    async fn stream_type(&self) -> &'static str {
        self.0.stream_type.as_str()
    }

    /// Version of the stream after this event (1 for the first).
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// Past-tense name, e.g. AccountOpened, MoneyDeposited, MoneyWithdrawn.
    #[graphql(name = "type")]
    async fn event_type(&self) -> &str {
        &self.0.event_type
    }

    /// Version of the shape of `data` for this event type (1 for the first shape).
    async fn schema_version(&self) -> i32 {
        self.0.schema_version
    }

    /// The event's own fields as a JSON object; its keys depend on `type` and `schemaVersion` (amounts are Decimal strings).
    async fn data(&self) -> Json<&serde_json::Value> {
        Json(&self.0.data)
    }

    /// Correlation, causation, command and actor of the event.
    async fn metadata(&self) -> EventMetadata {
        let m = &self.0.metadata;
        EventMetadata {
            correlation_id: to_id(m.correlation_id),
            causation_id: m.causation_id.map(to_id),
            command_id: m.command_id.map(to_id),
            actor_id: m.actor_id.map(to_id),
        }
    }

    /// When the event was committed.
    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }
}

/// Which events to keep; omitted or null lists keep every event, and the
/// lists combine with AND. Filters are bounded so that none costs more than an
/// ordinary page: each list holds at most 100 entries, each type name at most
/// 64 characters; beyond that the answer is BAD_USER_INPUT.
#[derive(InputObject, Default)]
#[graphql(name = "EventFilter")]
pub struct EventFilterInput {
    /// Keep only events of these streams (client, account or transfer ids); at most 100 ids.
    pub stream_ids: Option<Vec<ID>>,
    /// Stream types to keep: CLIENT, ACCOUNT, TRANSFER (anything else is BAD_USER_INPUT); at most 100.
    pub stream_types: Option<Vec<String>>,
    /// Event type names, e.g. MoneyDeposited: at most 100, each 1-64 ASCII
    /// letters or digits. A name no event has matches nothing.
    pub types: Option<Vec<String>>,
}

const MAX_FILTER_ENTRIES: usize = 100;
const MAX_TYPE_NAME: usize = 64;

fn bounded<T>(field: &'static str, list: Option<Vec<T>>) -> Result<Option<Vec<T>>, DomainError> {
    match list {
        Some(list) if list.len() > MAX_FILTER_ENTRIES => {
            Err(DomainError::invalid(field, format!("may hold at most {MAX_FILTER_ENTRIES} entries")))
        }
        list => Ok(list),
    }
}

/// Event type names are identifiers such as MoneyDeposited; anything else
/// (blank, long, punctuation, NUL) is a mistake, not a name to look up.
fn is_type_name(name: &str) -> bool {
    (1..=MAX_TYPE_NAME).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl EventFilterInput {
    pub fn parse(self) -> Result<EventFilter, AppError> {
        let stream_ids = bounded("streamIds", self.stream_ids)?
            .map(|ids| ids.iter().map(|id| parse_id("streamIds", id)).collect::<Result<Vec<_>, _>>())
            .transpose()?;
        let stream_types = bounded("streamTypes", self.stream_types)?
            .map(|types| {
                types
                    .iter()
                    .map(|t| {
                        StreamType::parse(t).ok_or_else(|| {
                            DomainError::invalid(
                                "streamTypes",
                                format!("{} is not one of CLIENT, ACCOUNT, TRANSFER", quoted(t)),
                            )
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        let event_types = bounded("types", self.types)?;
        if let Some(bad) = event_types.iter().flatten().find(|t| !is_type_name(t)) {
            return Err(DomainError::invalid(
                "types",
                format!("{} is not an event type name (1 to {MAX_TYPE_NAME} letters or digits)", quoted(bad)),
            )
            .into());
        }
        Ok(EventFilter { stream_ids, stream_types, event_types })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused_field(filter: EventFilterInput) -> &'static str {
        match filter.parse() {
            Err(AppError::Domain(DomainError::InvalidValue { field, .. })) => field,
            other => panic!("expected a refusal naming a field, got {other:?}"),
        }
    }

    #[test]
    fn filters_are_bounded_and_type_names_are_identifiers() {
        let types = |names: Vec<String>| EventFilterInput { types: Some(names), ..Default::default() };
        assert_eq!(refused_field(types(vec!["MoneyDeposited".into(); 101])), "types");
        assert_eq!(refused_field(types(vec!["M".repeat(65)])), "types");
        assert_eq!(refused_field(types(vec!["Money\u{0}Deposited".into()])), "types");
        assert_eq!(refused_field(types(vec![String::new()])), "types");
        let ids = EventFilterInput { stream_ids: Some(vec![ID::from("x"); 101]), ..Default::default() };
        assert_eq!(refused_field(ids), "streamIds");
        let streams = EventFilterInput { stream_types: Some(vec!["ACCOUNT".into(); 101]), ..Default::default() };
        assert_eq!(refused_field(streams), "streamTypes");
        let known = types(vec!["MoneyDeposited".into(); 100]).parse().unwrap();
        assert_eq!(known.event_types.map(|t| t.len()), Some(100));
        assert!(types(vec!["NoSuchEvent".into()]).parse().is_ok(), "an unknown name matches nothing");
    }
}
