use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::application::ports::RecordedEvent;
use crate::application::public_event::PublicEvent;

/// A committed event as other services receive it: the shape of the GraphQL
/// `Event` type (the position as a decimal string, the time in RFC 3339),
/// upcast to the current schema version and without secrets, because it is
/// made by the same [`PublicEvent::upcast_and_redact`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationEvent {
    pub position: String,
    pub id: Uuid,
    pub stream_id: Uuid,
    /// CLIENT, ACCOUNT or TRANSFER.
    pub stream_type: String,
    pub version: i32,
    #[serde(rename = "type")]
    pub event_type: String,
    pub schema_version: i32,
    pub data: Value,
    pub metadata: IntegrationMetadata,
    pub recorded_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IntegrationMetadata {
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
    pub command_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
}

impl From<&RecordedEvent> for IntegrationEvent {
    fn from(event: &RecordedEvent) -> Self {
        let event = PublicEvent::upcast_and_redact(event.clone()).into_event();
        let m = &event.metadata;
        IntegrationEvent {
            position: event.position.to_string(),
            id: event.id,
            stream_id: event.stream_id,
            stream_type: event.stream_type.as_str().to_owned(),
            version: event.version,
            metadata: IntegrationMetadata {
                correlation_id: m.correlation_id,
                causation_id: m.causation_id,
                command_id: m.command_id,
                actor_id: m.actor_id,
            },
            recorded_at: event.recorded_at.to_rfc3339(),
            event_type: event.event_type,
            schema_version: event.schema_version,
            data: event.data,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use serde_json::json;

    use super::*;
    use crate::application::ports::EventMetadata;
    use crate::domain::StreamType;

    fn recorded(event_type: &str, data: Value) -> RecordedEvent {
        RecordedEvent {
            position: 42,
            id: Uuid::now_v7(),
            stream_id: Uuid::now_v7(),
            stream_type: StreamType::Client,
            version: 1,
            event_type: event_type.into(),
            schema_version: 1,
            data,
            metadata: EventMetadata {
                correlation_id: Uuid::now_v7(),
                causation_id: None,
                command_id: Some(Uuid::now_v7()),
                actor_id: None,
            },
            recorded_at: Utc::now(),
        }
    }

    #[test]
    fn the_body_has_the_graphql_event_shape_without_secrets() {
        let event = recorded("ClientRegistered", json!({ "username": "ann", "passwordHash": "$argon2id$secret" }));
        let body = serde_json::to_value(IntegrationEvent::from(&event)).unwrap();
        assert_eq!(body["position"], "42");
        assert_eq!(body["streamType"], "CLIENT");
        assert_eq!(body["type"], "ClientRegistered");
        assert_eq!(body["id"], event.id.to_string());
        assert_eq!(body["metadata"]["commandId"], event.metadata.command_id.unwrap().to_string());
        assert_eq!(body["metadata"]["causationId"], Value::Null);
        assert_eq!(body["recordedAt"], event.recorded_at.to_rfc3339());
        assert!(body["data"].get("passwordHash").is_none(), "{body}");
        assert_eq!(body["data"]["username"], "ann");
        let keys: Vec<_> = body.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys.len(), 10, "{keys:?}");
    }
}
