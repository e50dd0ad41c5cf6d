use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

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
}

/// An event as the store sees it: a stable past-tense type name, a schema
/// version, and a JSON body. Implemented by each aggregate's event enum, which
/// is serde's adjacently tagged `{"type": .., "data": ..}` representation.
pub trait DomainEvent: Serialize + DeserializeOwned + Sized {
    const STREAM_TYPE: StreamType;

    fn event_type(&self) -> &'static str;

    /// Version of this event type's JSON shape; bump it when the shape changes.
    fn schema_version(&self) -> i32 {
        1
    }

    /// The JSON body stored in the `data` column.
    fn to_data(&self) -> Value {
        match serde_json::to_value(self) {
            Ok(Value::Object(mut tagged)) => tagged.remove("data").unwrap_or(Value::Null),
            _ => Value::Null,
        }
    }

    /// Rebuilds the event from its stored type name and body.
    fn from_stored(event_type: &str, data: &Value) -> Result<Self, serde_json::Error> {
        serde_json::from_value(serde_json::json!({ "type": event_type, "data": data }))
    }
}
