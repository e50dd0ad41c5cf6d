use std::borrow::Cow;

use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;
use thiserror::Error;

use super::account::AccountEvent;
use super::client::ClientEvent;
use super::transfer::TransferEvent;

/// Which kind of aggregate a stream belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamType {
    Client,
    Account,
    Transfer,
}

impl StreamType {
    pub const ALL: [StreamType; 3] = [StreamType::Client, StreamType::Account, StreamType::Transfer];

    pub fn as_str(self) -> &'static str {
        match self {
            StreamType::Client => "CLIENT",
            StreamType::Account => "ACCOUNT",
            StreamType::Transfer => "TRANSFER",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == raw)
    }

    /// What a stream of this type is, in words for messages ("the account ...").
    pub fn noun(self) -> &'static str {
        match self {
            StreamType::Client => "client",
            StreamType::Account => "account",
            StreamType::Transfer => "transfer",
        }
    }

    /// The schema evolution steps of this stream type's events.
    pub fn upcasters(self) -> &'static [Upcaster] {
        match self {
            StreamType::Client => ClientEvent::UPCASTERS,
            StreamType::Account => AccountEvent::UPCASTERS,
            StreamType::Transfer => TransferEvent::UPCASTERS,
        }
    }
}

/// One step of an event type's schema evolution: turns a body written at
/// schema version `from_version` into the body of version `from_version + 1`,
/// from that body alone.
#[derive(Debug, Clone, Copy)]
pub struct Upcaster {
    pub event_type: &'static str,
    pub from_version: i32,
    pub upcast: fn(Value) -> Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UpcastError {
    #[error("{event_type} has no schema version {found} (this code knows 1 to {current})")]
    UnknownVersion { event_type: String, found: i32, current: i32 },
    #[error("{event_type} has no upcaster from schema version {from}")]
    MissingStep { event_type: String, from: i32 },
}

/// The schema version today's code writes for `event_type`: 1, plus one per
/// registered upcaster step of that type.
pub fn current_schema_version(upcasters: &[Upcaster], event_type: &str) -> i32 {
    1 + upcasters.iter().filter(|u| u.event_type == event_type).count() as i32
}

/// Brings a stored body from its schema version to the current one, applying
/// the steps v→v+1 in order. A current body comes back unchanged (borrowed).
pub fn upcast<'a>(
    upcasters: &[Upcaster],
    event_type: &str,
    schema_version: i32,
    data: &'a Value,
) -> Result<Cow<'a, Value>, UpcastError> {
    let current = current_schema_version(upcasters, event_type);
    if schema_version < 1 || schema_version > current {
        return Err(UpcastError::UnknownVersion { event_type: event_type.into(), found: schema_version, current });
    }
    let mut data = Cow::Borrowed(data);
    for from in schema_version..current {
        let step = upcasters
            .iter()
            .find(|u| u.event_type == event_type && u.from_version == from)
            .ok_or_else(|| UpcastError::MissingStep { event_type: event_type.into(), from })?;
        data = Cow::Owned((step.upcast)(data.into_owned()));
    }
    Ok(data)
}

/// An event as the store sees it: a stable past-tense type name, a schema
/// version, and a JSON body. Implemented by each aggregate's event enum, which
/// is serde's adjacently tagged `{"type": .., "data": ..}` representation.
pub trait DomainEvent: Serialize + DeserializeOwned + Sized {
    const STREAM_TYPE: StreamType;

    /// Every type name this enum writes and reads (see [`Self::event_type`]).
    const EVENT_TYPES: &'static [&'static str];

    /// How older bodies of this enum's event types become today's: one step
    /// per (type, version). Registering a step bumps the version written.
    const UPCASTERS: &'static [Upcaster] = &[];

    fn event_type(&self) -> &'static str;

    /// Version of this event type's JSON shape, as written today: derived
    /// from [`Self::UPCASTERS`], so a new shape cannot be written without the
    /// step that reads the old one.
    fn schema_version(&self) -> i32 {
        current_schema_version(Self::UPCASTERS, self.event_type())
    }

    /// The JSON body stored in the `data` column.
    fn to_data(&self) -> Value {
        match serde_json::to_value(self) {
            Ok(Value::Object(mut tagged)) => tagged.remove("data").unwrap_or(Value::Null),
            _ => Value::Null,
        }
    }

    /// Rebuilds the event from its stored type name, schema version and body;
    /// a body of an older version goes through the upcasters first.
    fn from_stored(event_type: &str, schema_version: i32, data: &Value) -> Result<Self, serde_json::Error> {
        let data = upcast(Self::UPCASTERS, event_type, schema_version, data).map_err(serde::de::Error::custom)?;
        serde_json::from_value(serde_json::json!({ "type": event_type, "data": data }))
    }
}
