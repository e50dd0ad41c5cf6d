//! An event as clients and other services see it: in today's shape, without
//! secrets. Made once per event, from the stored one; the type says it was.

use std::borrow::Cow;

use serde_json::Value;

use super::ports::RecordedEvent;
use crate::domain::client::SECRET_FIELDS;
use crate::domain::{current_schema_version, upcast};

/// A recorded event upcast to its current schema version (its
/// `schema_version` is then the current one) and with its secret fields
/// removed. A body that cannot be upcast (written by newer code) keeps its
/// stored shape.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicEvent(RecordedEvent);

impl PublicEvent {
    pub fn upcast_and_redact(mut event: RecordedEvent) -> Self {
        let upcasters = event.stream_type.upcasters();
        match upcast(upcasters, &event.event_type, event.schema_version, &event.data) {
            Ok(Cow::Owned(data)) => {
                event.data = data;
                event.schema_version = current_schema_version(upcasters, &event.event_type);
            }
            Ok(Cow::Borrowed(_)) => {}
            Err(error) => tracing::warn!(event_id = %event.id, %error, "event shown in its stored shape"),
        }
        if let Value::Object(data) = &mut event.data {
            for field in SECRET_FIELDS {
                data.remove(*field);
            }
        }
        PublicEvent(event)
    }

    pub fn event(&self) -> &RecordedEvent {
        &self.0
    }

    pub fn into_event(self) -> RecordedEvent {
        self.0
    }
}
