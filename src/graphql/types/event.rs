use async_graphql::{ID, InputObject, Json, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{parse_id, to_id};
use crate::application::AppError;
use crate::application::ports::{EventFilter, RecordedEvent};
use crate::application::queries::public_view;
use crate::domain::StreamType;
use crate::graphql::scalars::Position;

/// A committed event as clients see it (secrets removed).
#[derive(Clone)]
pub struct Event(RecordedEvent);

impl From<RecordedEvent> for Event {
    fn from(event: RecordedEvent) -> Self {
        Event(public_view(event))
    }
}

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

#[Object]
impl Event {
    async fn id(&self) -> ID {
        to_id(self.0.id)
    }

    async fn position(&self) -> Position {
        Position(self.0.position)
    }

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

    async fn schema_version(&self) -> i32 {
        self.0.schema_version
    }

    async fn data(&self) -> Json<&serde_json::Value> {
        Json(&self.0.data)
    }

    async fn metadata(&self) -> EventMetadata {
        let m = &self.0.metadata;
        EventMetadata {
            correlation_id: to_id(m.correlation_id),
            causation_id: m.causation_id.map(to_id),
            command_id: m.command_id.map(to_id),
            actor_id: m.actor_id.map(to_id),
        }
    }

    async fn recorded_at(&self) -> DateTime<Utc> {
        self.0.recorded_at
    }
}

#[derive(InputObject, Default)]
#[graphql(name = "EventFilter")]
pub struct EventFilterInput {
    pub stream_ids: Option<Vec<ID>>,
    /// CLIENT, ACCOUNT, TRANSFER
    pub stream_types: Option<Vec<String>>,
    /// Event type names, e.g. MoneyDeposited
    pub types: Option<Vec<String>>,
}

impl EventFilterInput {
    pub fn parse(self) -> Result<EventFilter, AppError> {
        let stream_ids = self
            .stream_ids
            .map(|ids| ids.iter().map(|id| parse_id("streamIds", id)).collect::<Result<Vec<_>, _>>())
            .transpose()?;
        let stream_types = self
            .stream_types
            .map(|types| {
                types
                    .iter()
                    .map(|t| {
                        StreamType::parse(t).ok_or_else(|| {
                            AppError::bad_input(format!("streamTypes: '{t}' is not one of CLIENT, ACCOUNT, TRANSFER"))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?;
        if let Some(types) = &self.types
            && let Some(bad) = types.iter().find(|t| t.is_empty() || t.len() > 100)
        {
            return Err(AppError::bad_input(format!("types: '{bad}' is not an event type name")));
        }
        Ok(EventFilter { stream_ids, stream_types, event_types: self.types })
    }
}
